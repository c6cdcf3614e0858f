// Package change is bucketbell's domain: what happened to which object, by
// whom and when. It knows nothing of JSON, AWS clients or e-mail layout.
//
// Every reader (S3 events, SQS bodies) produces Changes; every writer (the
// digest) consumes them. Enrichment fills the optional fields in place.
package change

import (
	"strings"
	"time"
)

// Change is one object-level event, as read from an S3 event record.
type Change struct {
	// EventName is the S3 event name without the "s3:" prefix some
	// S3-compatible stores add, for example "ObjectCreated:Put".
	EventName string
	// Kind is the plain-English name of what happened; see KindOf.
	Kind Kind

	Bucket string
	// Key is the object key, decoded from the event's form encoding.
	Key string
	// Size is the object size in bytes; SizeKnown is false when the event
	// carries none (deletes, most lifecycle events).
	Size      int64
	SizeKnown bool
	ETag      string
	VersionID string
	// Sequencer orders events of one key; see Later.
	Sequencer string
	// Time is when S3 says the event happened, in UTC.
	Time time.Time

	// Principal is the raw userIdentity.principalId, for example
	// "AWS:AIDAEXAMPLE". Actor is the name shown to people; it starts as
	// the raw principal and enrichment may replace it.
	Principal string
	Actor     string
	SourceIP  string
	Region    string

	// MessageID names the SQS message the change arrived in, "" when S3
	// invoked the function directly. It is not part of the change's identity.
	MessageID string

	// The fields below are filled by enrichment, when it runs.

	// ContentType is the object's Content-Type.
	ContentType string
	// PreviousVersionID is the version an upload replaced.
	PreviousVersionID string
	// Width and Height are the image's pixel dimensions, 0 when unknown.
	Width, Height int
	// Warning says the object is not what it claims to be (not an image,
	// or content that contradicts its name or type). Empty when fine.
	Warning string
	// Notes are extra facts for the reader, one line each, such as the
	// command that undoes a delete.
	Notes []string
}

// ID is the identity used to drop duplicate deliveries: S3 delivers at
// least once, and a redelivery repeats bucket, key, version, sequencer and
// event name exactly.
type ID struct {
	Bucket, Key, VersionID, Sequencer, EventName string
}

// ID returns c's identity.
func (c *Change) ID() ID {
	return ID{Bucket: c.Bucket, Key: c.Key, VersionID: c.VersionID, Sequencer: c.Sequencer, EventName: c.EventName}
}

// HasVersion reports whether the event names a version. Unversioned
// buckets send none, or the literal "null".
func (c *Change) HasVersion() bool {
	return c.VersionID != "" && c.VersionID != "null"
}

// Later reports whether sequencer a orders after b for the same key. S3
// sequencers are hexadecimal strings of varying length: the shorter is
// right-padded with zeros before a plain string comparison.
func Later(a, b string) bool {
	if n := len(b) - len(a); n > 0 {
		a += strings.Repeat("0", n)
	} else if n < 0 {
		b += strings.Repeat("0", -n)
	}
	return a > b
}

// Dedupe returns changes without repeated deliveries of the same event,
// keeping the first occurrence and the original order. It reuses the
// backing array of changes.
func Dedupe(changes []Change) []Change {
	seen := make(map[ID]struct{}, len(changes))
	out := changes[:0]
	for i := range changes {
		id := changes[i].ID()
		if _, dup := seen[id]; dup {
			continue
		}
		seen[id] = struct{}{}
		out = append(out, changes[i])
	}
	return out
}

// Problem is an input that could not be read as a change. It is reported
// to the reader rather than dropped.
type Problem struct {
	// MessageID is the SQS message it came in, "" on the direct path.
	MessageID string
	Bucket    string
	EventName string
	// Raw is the undecodable key, or the start of an unreadable body.
	Raw string
	// Reason says what was wrong, in plain words.
	Reason string
}
