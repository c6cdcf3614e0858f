package digest

import (
	"bytes"
	"time"
	"unicode/utf8"

	"github.com/bucketbell/bucketbell/lambda/change"
)

// Document is the JSON copy of a digest, for machines (schemaVersion 1).
// The README documents every field; changes and problems are appended
// after the head (see document).
type Document struct {
	SchemaVersion int    `json:"schemaVersion"`
	Subject       string `json:"subject"`
	// Buckets names the first maxDocBuckets buckets; BucketCount counts
	// them all.
	Buckets     []string `json:"buckets"`
	BucketCount int      `json:"bucketCount"`
	// FirstEventTime and LastEventTime bound the changes' event times
	// (RFC 3339, UTC); absent when no change carries a time.
	FirstEventTime string `json:"firstEventTime,omitempty"`
	LastEventTime  string `json:"lastEventTime,omitempty"`
	// TotalChanges counts distinct changes, NotableChanges the notable
	// ones among them (see Notable); ListedChanges how many are in
	// "changes". TotalBytes adds up the sizes the changes carry.
	TotalChanges   int   `json:"totalChanges"`
	NotableChanges int   `json:"notableChanges"`
	ListedChanges  int   `json:"listedChanges"`
	TotalBytes     int64 `json:"totalBytes"`
	// Counts covers all changes, per actor and kind; past maxDocCounts
	// pairs the rest are added up in one entry whose actor and kind are
	// "(others)".
	Counts []count `json:"counts"`
	// Folders rolls up the routine changes by folder, as the e-mail does.
	Folders []Folder `json:"folders"`
	// TotalProblems counts unreadable inputs; ListedProblems how many are
	// in "problems".
	TotalProblems  int `json:"totalProblems"`
	ListedProblems int `json:"listedProblems"`
	// Changes lists every notable change first, in the e-mail's order,
	// then as many routine ones as fit, by key.
	Changes  []Listed  `json:"changes"`
	Problems []Problem `json:"problems"`
	// Records name the change history's objects that hold every change of
	// this digest, listed or not; absent when none was written.
	Records []Record `json:"records,omitempty"`
}

// Entry is one change in the document.
type Entry struct {
	Bucket            string      `json:"bucket"`
	Key               string      `json:"key"`
	EventName         string      `json:"eventName"`
	Kind              change.Kind `json:"kind"`
	Size              *int64      `json:"size,omitempty"`
	ETag              string      `json:"eTag,omitempty"`
	VersionID         string      `json:"versionId,omitempty"`
	Sequencer         string      `json:"sequencer,omitempty"`
	Time              string      `json:"time,omitempty"`
	Actor             string      `json:"actor"`
	PrincipalID       string      `json:"principalId"`
	SourceIP          string      `json:"sourceIp,omitempty"`
	ContentType       string      `json:"contentType,omitempty"`
	PreviousVersionID string      `json:"previousVersionId,omitempty"`
	Width             int         `json:"width,omitempty"`
	Height            int         `json:"height,omitempty"`
	Warning           string      `json:"warning,omitempty"`
	Notes             []string    `json:"notes,omitempty"`
}

// Listed is one change in the document: its entry, and what the digest
// made of it. The change history writes entries alone: whether a change
// is notable depends on the digest it is in.
type Listed struct {
	Entry
	// Notable is true for a change a reader must not miss (see Notable).
	Notable bool `json:"notable,omitempty"`
	// Brief is true for an entry that names its change by key alone
	// (bucket, key, eventName, kind, versionId, time, actor, principalId),
	// because SNS's size limit left no room for the rest.
	Brief bool `json:"brief,omitempty"`
}

// Problem is one unreadable input in the document.
type Problem struct {
	MessageID string `json:"messageId,omitempty"`
	Bucket    string `json:"bucket,omitempty"`
	EventName string `json:"eventName,omitempty"`
	Raw       string `json:"raw,omitempty"`
	Reason    string `json:"reason"`
}

// NewEntry returns c as the document lists it. The change history
// (package history) writes the same entries, so both describe a change
// alike.
func NewEntry(c *change.Change) Entry {
	e := Entry{
		Bucket: c.Bucket, Key: c.Key, EventName: c.EventName, Kind: c.Kind,
		ETag: c.ETag, VersionID: c.VersionID, Sequencer: c.Sequencer,
		Actor: c.Actor, PrincipalID: c.Principal, SourceIP: c.SourceIP,
		ContentType: c.ContentType, PreviousVersionID: c.PreviousVersionID,
		Width: c.Width, Height: c.Height, Warning: c.Warning, Notes: c.Notes,
	}
	if c.SizeKnown {
		e.Size = &c.Size
	}
	if !c.Time.IsZero() {
		e.Time = c.Time.UTC().Format(time.RFC3339Nano)
	}
	return e
}

// briefEntry names c by key alone: a notable change past the ones the
// digest has room to show in full.
func briefEntry(c *change.Change) Listed {
	e := Entry{
		Bucket: c.Bucket, Key: c.Key, EventName: c.EventName, Kind: c.Kind, VersionID: c.VersionID,
		Actor: c.Actor, PrincipalID: c.Principal,
	}
	if !c.Time.IsZero() {
		e.Time = c.Time.UTC().Format(time.RFC3339Nano)
	}
	return Listed{Entry: e, Notable: true, Brief: true}
}

// document renders the JSON copy of shape s. The per-change entries were
// rendered once, when first needed.
func (d *draft) document(s shape) []byte {
	k := d.notable
	head := Document{
		SchemaVersion:  SchemaVersion,
		Subject:        d.subject,
		Buckets:        []string{},
		BucketCount:    len(d.buckets),
		TotalChanges:   len(d.changes),
		NotableChanges: k,
		ListedChanges:  s.full + s.brief + s.routine,
		TotalBytes:     d.bytes,
		Counts:         docCounts(d.counts, d.minimal),
		Folders:        d.docFolders(s.level),
		TotalProblems:  len(d.problems),
		ListedProblems: s.problems,
	}
	for _, b := range d.buckets[:min(len(d.buckets), maxDocBuckets)] {
		head.Buckets = append(head.Buckets, clipRunes(b, maxDocName))
	}
	if !d.first.IsZero() {
		head.FirstEventTime = d.first.UTC().Format(time.RFC3339Nano)
		head.LastEventTime = d.last.UTC().Format(time.RFC3339Nano)
	}
	problems := make([]Problem, s.problems)
	for i, pr := range d.problems[:s.problems] {
		problems[i] = Problem(pr)
	}
	head.Problems = problems
	head.Records = d.records
	// Marshal the head with an empty change list, then splice the
	// entries into it.
	head.Changes = []Listed{}
	b := marshal(head)
	marker := []byte(`"changes":[]`)
	i := bytes.Index(b, marker)
	var out bytes.Buffer
	out.Grow(len(b) + (s.full+s.brief+s.routine)*400)
	out.Write(b[:i+len(marker)-1])
	sep := func() {
		if out.Len() > i+len(marker)-1 {
			out.WriteByte(',')
		}
	}
	for j := 0; j < s.full; j++ {
		sep()
		out.Write(d.entry(j))
	}
	for j := s.full; j < s.full+s.brief; j++ {
		sep()
		out.Write(d.brief(j))
	}
	for j := k; j < k+s.routine; j++ {
		sep()
		out.Write(d.entry(j))
	}
	out.Write(b[i+len(marker)-1:])
	return out.Bytes()
}

const (
	// maxDocBuckets, maxDocCounts and maxDocName bound the document's
	// head, whatever the input, so that the digest always fits SNS.
	maxDocBuckets = 100
	maxDocCounts  = 50
	maxDocName    = 200
	// others names what docCounts adds up.
	others = "(others)"
)

// docCounts returns counts for the document: names clipped, at most
// maxDocCounts entries, the last adding up the rest. In a minimal digest
// the counts are per kind only.
func docCounts(counts []count, minimal bool) []count {
	if minimal {
		counts = byKind(counts)
		for i := range counts {
			counts[i].Actor = others
		}
	}
	out := make([]count, 0, min(len(counts), maxDocCounts))
	for i, c := range counts {
		if i == maxDocCounts-1 && len(counts) > maxDocCounts {
			out = append(out, count{Actor: others, Kind: others, Count: sum(counts[i:])})
			break
		}
		c.Actor = clipRunes(c.Actor, maxDocName)
		c.Kind = change.Kind(clipRunes(string(c.Kind), maxDocName))
		out = append(out, c)
	}
	return out
}

// clipRunes shortens s to n characters, marking the cut.
func clipRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-3]) + "..."
}
