package history

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/bucketbell/bucketbell/lambda/change"
	"github.com/bucketbell/bucketbell/lambda/digest"
)

// Object is one object of a record: the lines of one batch that share an
// event date, as gzip JSON lines.
type Object struct {
	// Key is the object's key in the history bucket; see Key.
	Key string
	// Body is the gzip-compressed JSON lines.
	Body []byte
	// Changes and Problems count its lines.
	Changes, Problems int
}

// Suffix ends the name of every record object.
const Suffix = ".jsonl.gz"

// keyTime is the first event time in a key: sortable, and free of the
// colons some file systems refuse.
const keyTime = "20060102T150405.000Z"

// Key is the key of the record object of digestID whose first line is
// dated first: changes/year=YYYY/month=MM/day=DD/<first>-<digest id>.jsonl.gz,
// with the date of first in UTC.
func Key(first time.Time, digestID string) string {
	first = first.UTC()
	return fmt.Sprintf("%syear=%04d/month=%02d/day=%02d/%s-%s%s",
		Prefix, first.Year(), int(first.Month()), first.Day(), first.Format(keyTime), digestID, Suffix)
}

// Undated is the time that dates a line when the batch holds no time at
// all: the partition year=1970/month=01/day=01. It happens only on the
// direct path (S3 or a person invoking the function), when no record
// carries a readable event time; SQS stamps every message it delivers.
var Undated = time.Unix(0, 0).UTC()

// dating decides the time that dates each line, and so its partition and
// object. A change is dated by its event time; a change without one, and a
// problem, by when SQS received its message (SentTimestamp). When that is
// unknown too, by the batch's first event time, then the batch's first
// SentTimestamp, and last by Undated. Every one comes from the batch.
type dating struct {
	sent     map[string]time.Time
	fallback time.Time
}

func newDating(b *Batch) dating {
	d := dating{sent: b.Sent}
	for i := range b.Changes {
		if t := b.Changes[i].Time; !t.IsZero() && (d.fallback.IsZero() || t.Before(d.fallback)) {
			d.fallback = t
		}
	}
	if d.fallback.IsZero() {
		for _, t := range b.Sent {
			if d.fallback.IsZero() || t.Before(d.fallback) {
				d.fallback = t
			}
		}
	}
	if d.fallback.IsZero() {
		d.fallback = Undated
	}
	return d
}

func (d dating) change(c *change.Change) time.Time {
	if !c.Time.IsZero() {
		return c.Time.UTC()
	}
	return d.message(c.MessageID)
}

func (d dating) message(id string) time.Time {
	if t, ok := d.sent[id]; ok && id != "" {
		return t.UTC()
	}
	return d.fallback.UTC()
}

// dated is a line before encoding, with the time that dates it.
type dated struct {
	at time.Time
	c  *change.Change  // a change's line
	p  *change.Problem // or a problem's
	// sent is when SQS received a problem's message, zero when unknown.
	sent time.Time
	day  string
}

// Encode turns a batch into its record: one object per event date, in key
// order. Changes are written in the order of their dating time, then
// bucket, key and sequencer; problems follow in the order given. An empty
// batch has no objects.
func Encode(b Batch) ([]Object, error) {
	d := newDating(&b)
	lines := make([]dated, 0, len(b.Changes)+len(b.Problems))
	for i := range b.Changes {
		lines = append(lines, dated{at: d.change(&b.Changes[i]), c: &b.Changes[i]})
	}
	sort.SliceStable(lines, func(i, j int) bool {
		x, y := lines[i], lines[j]
		if !x.at.Equal(y.at) {
			return x.at.Before(y.at)
		}
		if x.c.Bucket != y.c.Bucket {
			return x.c.Bucket < y.c.Bucket
		}
		if x.c.Key != y.c.Key {
			return x.c.Key < y.c.Key
		}
		return change.Later(y.c.Sequencer, x.c.Sequencer)
	})
	for i := range b.Problems {
		p := &b.Problems[i]
		lines = append(lines, dated{at: d.message(p.MessageID), p: p, sent: b.Sent[p.MessageID]})
	}

	// Group by day, keeping each group's first time for its key.
	byDay := map[string]int{}
	var groups [][]dated
	var firsts []time.Time
	for _, l := range lines {
		l.day = l.at.Format("2006-01-02")
		g, ok := byDay[l.day]
		if !ok {
			g = len(groups)
			byDay[l.day] = g
			groups = append(groups, nil)
			firsts = append(firsts, l.at)
		}
		groups[g] = append(groups[g], l)
		if l.at.Before(firsts[g]) {
			firsts[g] = l.at
		}
	}
	objects := make([]Object, 0, len(groups))
	for g, group := range groups {
		o, err := encode(group, b.DigestID)
		if err != nil {
			return nil, err
		}
		o.Key = Key(firsts[g], b.DigestID)
		objects = append(objects, o)
	}
	sort.Slice(objects, func(i, j int) bool { return objects[i].Key < objects[j].Key })
	return objects, nil
}

// problemLine is how a problem's Line is written: without the change
// fields, which a problem does not have.
type problemLine struct {
	SchemaVersion int      `json:"schemaVersion"`
	DigestID      string   `json:"digestId"`
	Problem       *Problem `json:"problem"`
}

// encode writes one object's lines.
func encode(lines []dated, digestID string) (Object, error) {
	var o Object
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	enc := json.NewEncoder(zw)
	// Keys and names stay readable: "<" and "&" are common in keys.
	enc.SetEscapeHTML(false)
	for _, l := range lines {
		var line any
		if l.c != nil {
			line = &Line{SchemaVersion: SchemaVersion, DigestID: digestID, Entry: digest.NewEntry(l.c)}
			o.Changes++
		} else {
			p := l.p
			pl := &problemLine{SchemaVersion: SchemaVersion, DigestID: digestID,
				Problem: &Problem{MessageID: p.MessageID, Bucket: p.Bucket, EventName: p.EventName, Raw: p.Raw, Reason: p.Reason}}
			if !l.sent.IsZero() {
				pl.Problem.SentTime = l.sent.UTC().Format(time.RFC3339Nano)
			}
			line = pl
			o.Problems++
		}
		if err := enc.Encode(line); err != nil {
			return Object{}, fmt.Errorf("history: encode a line: %w", err)
		}
	}
	if err := zw.Close(); err != nil {
		return Object{}, fmt.Errorf("history: compress: %w", err)
	}
	o.Body = buf.Bytes()
	return o, nil
}
