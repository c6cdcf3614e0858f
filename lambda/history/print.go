package history

import (
	"bufio"
	"fmt"
	json "github.com/goccy/go-json"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/bucketbell/bucketbell/lambda/change"
	"github.com/bucketbell/bucketbell/lambda/digest"
	"github.com/bucketbell/bucketbell/lambda/enrich"
)

// The output formats of make history.
const (
	FormatText  = "text"
	FormatJSONL = "jsonl"
)

// WriteJSONL writes one JSON object per change: every field of its line
// (digest.Entry, schemaVersion, digestId), with "time", "size" and
// "versionId" always present ("", null and "" when unknown), and "record",
// the object it was read from. With KIND=problem (problems set) it writes
// the problems instead: schemaVersion, digestId, problem and record.
func WriteJSONL(w io.Writer, items []*Item, problems bool) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for _, it := range items {
		var v any
		if problems {
			v = problemOut{problemLine{SchemaVersion: it.SchemaVersion, DigestID: it.DigestID, Problem: it.Problem}, it.Record}
		} else {
			v = changeOut{Line: it.Line, Time: it.Time, Size: it.Size, VersionID: it.VersionID, Record: it.Record}
		}
		if err := enc.Encode(v); err != nil {
			return err
		}
	}
	return nil
}

// changeOut is a change as make history FORMAT=jsonl writes it. Its own
// fields hide the omitempty ones of the embedded entry.
type changeOut struct {
	Line
	Time      string `json:"time"`
	Size      *int64 `json:"size"`
	VersionID string `json:"versionId"`
	Record    string `json:"record"`
}

type problemOut struct {
	problemLine
	Record string `json:"record"`
}

// WriteText writes changes as an aligned table in time order, with the
// command that undoes each recoverable delete under it, then the problems
// when there are any.
func WriteText(w io.Writer, changes, problems []*Item) error {
	bw := bufio.NewWriter(w)
	header := []string{"TIME (UTC)", "ACTOR", "KIND", "BUCKET", "KEY", "SIZE", "VERSION"}
	rows := make([][]string, 0, len(changes))
	widths := make([]int, len(header))
	measure := func(row []string) {
		for i, cell := range row {
			widths[i] = max(widths[i], utf8.RuneCountInString(cell))
		}
	}
	if len(changes) > 0 {
		measure(header)
	}
	for _, c := range changes {
		size, version := "-", "-"
		if c.Size != nil {
			size = digest.Size(*c.Size)
		}
		if c.VersionID != "" {
			version = digest.Text(c.VersionID)
		}
		row := []string{when(c), digest.Text(c.Actor), digest.Text(string(c.Kind)), digest.Text(c.Bucket), digest.Text(c.Key), size, version}
		measure(row)
		rows = append(rows, row)
	}
	writeRow := func(row []string) {
		for i, cell := range row {
			bw.WriteString(cell)
			if i < len(row)-1 {
				bw.WriteString(strings.Repeat(" ", widths[i]-utf8.RuneCountInString(cell)+2))
			}
		}
		bw.WriteByte('\n')
	}
	if len(changes) > 0 {
		writeRow(header)
	}
	for i, row := range rows {
		writeRow(row)
		if undo := Undo(changes[i]); undo != "" {
			bw.WriteString("    undo: " + undo + "\n")
		}
	}
	if len(problems) > 0 {
		if len(changes) > 0 {
			bw.WriteByte('\n')
		}
		fmt.Fprintf(bw, "Could not be read (%s):\n", digest.Count(len(problems)))
		for _, p := range problems {
			bw.WriteString("  " + when(p) + "  " + problemText(p.Problem) + "\n")
		}
	}
	return bw.Flush()
}

// Undo is the command that brings back what a recoverable delete (or a
// lifecycle expiration that left a delete marker) hid: removing the delete
// marker. "" for any other change.
func Undo(it *Item) string {
	if it.Kind != change.DeletedRecoverable && it.Kind != change.ExpiredRecoverable {
		return ""
	}
	if it.VersionID == "" || it.VersionID == "null" {
		return ""
	}
	return enrich.UndoCommand(it.Bucket, it.Key, it.VersionID)
}

// when shows a line's time to the millisecond, or says it is not known.
func when(it *Item) string {
	if !it.Timed {
		return "time unknown (" + it.At.Format(time.DateOnly) + ")"
	}
	return it.At.Format("2006-01-02 15:04:05.000")
}

func problemText(p *Problem) string {
	var parts []string
	if p.MessageID != "" {
		parts = append(parts, "message "+digest.Text(p.MessageID))
	}
	if p.Bucket != "" {
		parts = append(parts, "bucket "+digest.Text(p.Bucket))
	}
	if p.EventName != "" {
		parts = append(parts, digest.Text(p.EventName))
	}
	s := strings.Join(parts, ", ")
	if s != "" {
		s += ": "
	}
	s += digest.Text(p.Reason)
	if p.Raw != "" {
		s += " (raw: " + digest.Text(p.Raw) + ")"
	}
	return s
}
