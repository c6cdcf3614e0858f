// Package history is the change history: the complete record of every
// change the notifier reports, kept in S3 so that "what happened?" has an
// answer long after the e-mails are gone, and for the changes a bulk
// digest only counts.
//
// Before it publishes, the notifier writes the invocation's changes and
// problems as gzip JSON lines (one Line each) under Prefix, partitioned by
// event date, Hive style, so that Athena and the history command read only
// the days they are asked about:
//
//	changes/year=2026/month=12/day=02/20261202T101530.123Z-<digest id>.jsonl.gz
//
// The key comes from the batch alone, never from the clock: a batch that
// SQS delivers again writes the same key, and the write is conditional, so
// a retry never adds a version. Readers drop the duplicates that remain
// (SQS can regroup redelivered messages; S3 delivers some events twice)
// the way the digest does, by change.ID.
package history

import (
	"crypto/sha256"
	"encoding/hex"
	"sort"
	"time"

	"github.com/bucketbell/bucketbell/lambda/change"
	"github.com/bucketbell/bucketbell/lambda/digest"
	"github.com/bucketbell/bucketbell/lambda/s3event"
)

// SchemaVersion is the version of Line. It changes only when a field
// changes meaning or disappears; new fields may appear at any time.
const SchemaVersion = 1

// Prefix is where the records are kept in the history bucket.
const Prefix = "changes/"

// Line is one line of a record: a change, or a problem (an input that could
// not be read).
//
// A change's line has every field of the digest's JSON entry (digest.Entry),
// plus schemaVersion and digestId. A problem's line has only schemaVersion,
// digestId and a "problem" object.
type Line struct {
	SchemaVersion int `json:"schemaVersion"`
	// DigestID names the invocation (the digest) that wrote the line; see
	// DigestID.
	DigestID string `json:"digestId"`
	digest.Entry
	// Problem is set on a problem's line only.
	Problem *Problem `json:"problem,omitempty"`
}

// Problem is an input the notifier could not read, as the record keeps it.
type Problem struct {
	// MessageID is the SQS message it came in, absent on the direct path.
	MessageID string `json:"messageId,omitempty"`
	Bucket    string `json:"bucket,omitempty"`
	EventName string `json:"eventName,omitempty"`
	// Raw is the undecodable key, or the start of an unreadable body.
	Raw string `json:"raw,omitempty"`
	// Reason says what was wrong.
	Reason string `json:"reason"`
	// SentTime is when SQS received the message (RFC 3339, UTC), absent
	// when unknown. It dates the problem's line.
	SentTime string `json:"sentTime,omitempty"`
}

// ID is the line's identity for dropping duplicates: the same as
// change.Change.ID, so the history and the digest agree on what a
// duplicate is.
func (l *Line) ID() change.ID {
	return change.ID{Bucket: l.Bucket, Key: l.Key, VersionID: l.VersionID, Sequencer: l.Sequencer, EventName: l.EventName}
}

// Batch is what one invocation keeps.
type Batch struct {
	// DigestID names the invocation; see DigestID.
	DigestID string
	// Changes are the invocation's changes, free of duplicate deliveries
	// and enriched. Writing does not reorder them.
	Changes []change.Change
	// Problems are every unreadable input, even those the e-mail counts.
	Problems []change.Problem
	// Sent maps an SQS message id to when SQS received the message; it
	// dates what has no event time.
	Sent map[string]time.Time
}

// NewBatch gathers what the notifier keeps of one invocation: the changes
// it reports (deduplicated and enriched), every problem, and what dates
// and names them.
func NewBatch(in s3event.Batch, payload []byte, changes []change.Change, problems []change.Problem) Batch {
	b := Batch{DigestID: DigestID(in, payload), Changes: changes, Problems: problems, Sent: map[string]time.Time{}}
	for _, m := range in.Messages {
		if m.ID != "" && !m.Sent.IsZero() {
			b.Sent[m.ID] = m.Sent
		}
	}
	return b
}

// DigestID names an invocation by its content, so that a delivery repeated
// by SQS or Lambda writes the same keys: on the SQS path a hash of the
// batch's sorted message ids (a redelivered message keeps its id, while
// its receipt handle and receive count change); on the direct path, or
// when no message has an id, a hash of the payload (Lambda retries an
// asynchronous invoke with the same payload). It is 32 hexadecimal
// characters.
func DigestID(in s3event.Batch, payload []byte) string {
	var ids []string
	for _, m := range in.Messages {
		if m.ID != "" {
			ids = append(ids, m.ID)
		}
	}
	h := sha256.New()
	if len(ids) > 0 {
		sort.Strings(ids)
		h.Write([]byte("sqs message ids\n"))
		for _, id := range ids {
			h.Write([]byte(id))
			h.Write([]byte{'\n'})
		}
	} else {
		h.Write([]byte("payload\n"))
		h.Write(payload)
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}
