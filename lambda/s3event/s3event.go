// Package s3event reads the events the notifier is invoked with: an SQS
// batch whose message bodies are S3 event notifications (the deployed path),
// or a plain S3 event (S3 invoking Lambda directly, or a person replaying a
// file). It turns them into change.Changes and change.Problems.
//
// Reading is record by record: one record or message that cannot be read
// becomes a Problem and never costs the others.
package s3event

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	json "github.com/goccy/go-json"

	"github.com/bucketbell/bucketbell/lambda/change"
)

// Batch is everything one invocation carried.
type Batch struct {
	// FromSQS is true when the event came from an SQS event source mapping,
	// which expects a partial batch response.
	FromSQS bool
	// Messages holds one entry per SQS message, or a single entry with an
	// empty ID for a direct S3 event.
	Messages []Message
}

// Message is what one SQS message (or one direct event) contained.
type Message struct {
	// ID is the SQS message id, "" for a direct event.
	ID string
	// Sent is when SQS received the message (its SentTimestamp attribute),
	// in UTC; zero on the direct path or when the attribute is missing or
	// unreadable. The change history dates what has no event time by it.
	Sent     time.Time
	Changes  []change.Change
	Problems []change.Problem
	// TestEvents counts s3:TestEvent notifications, which S3 sends when a
	// notification configuration is saved. They describe no change.
	TestEvents int
}

// ErrNotEvent is returned when the input is JSON but neither an S3 event, an
// SQS event nor an s3:TestEvent.
var ErrNotEvent = errors.New(`s3event: not an S3 or SQS event: no "Records" list and no s3:TestEvent`)

// envelope covers every outer shape: {"Records":[...]}, the s3:TestEvent,
// and an SNS notification that wraps an S3 event (S3 -> SNS -> SQS).
type envelope struct {
	Records []record `json:"Records"`
	Event   string   `json:"Event"`
	Type    string   `json:"Type"`
	Message *string  `json:"Message"`
}

// rawEnvelope is envelope with records left undecoded, for reading them one
// by one when one of them does not fit the record type.
type rawEnvelope struct {
	Records []json.RawMessage `json:"Records"`
}

// item is one decoded record, or the reason it could not be decoded.
type item struct {
	rec *record
	raw json.RawMessage // nil on the fast path, where no record failed
	err error
}

// decode reads an event in one pass. Only when a record has a field of the
// wrong type does it decode again, record by record, so that the bad one is
// reported and the others are kept.
func decode(data []byte) (env envelope, items []item, err error) {
	// goccy/go-json decodes twice as fast as encoding/json, which is most
	// of the notifier's time per record. It is fuzzed here, but it is not
	// the standard library: should it ever panic on some input, that input
	// is reported as unreadable, like any other bad JSON.
	defer func() {
		if r := recover(); r != nil {
			env, items, err = envelope{}, nil, fmt.Errorf("JSON decoder failed: %v", r)
		}
	}()
	err = json.Unmarshal(data, &env)
	var typeErr *json.UnmarshalTypeError
	switch {
	case err == nil:
		items = make([]item, len(env.Records))
		for i := range env.Records {
			items[i].rec = &env.Records[i]
		}
		return env, items, nil
	case !errors.As(err, &typeErr):
		return env, nil, err
	}
	var raw rawEnvelope
	if err := json.Unmarshal(data, &raw); err != nil {
		return env, nil, err // "Records" itself is not a list
	}
	items = make([]item, len(raw.Records))
	for i, r := range raw.Records {
		items[i].raw = r
		var rec record
		if err := json.Unmarshal(r, &rec); err != nil {
			items[i].err = err
			continue
		}
		items[i].rec = &rec
	}
	env.Records = make([]record, 0) // non-nil: the event has a list
	return env, items, nil
}

// record holds the fields bucketbell reads from an SQS record or an S3
// event record. Unknown fields are ignored, so future event versions parse.
type record struct {
	EventSource string  `json:"eventSource"`
	MessageID   string  `json:"messageId"`
	Body        *string `json:"body"`
	// Attributes stays raw: an attribute of an odd shape must not make the
	// message unreadable.
	Attributes json.RawMessage `json:"attributes"`

	EventVersion string `json:"eventVersion"`
	EventName    string `json:"eventName"`
	EventTime    string `json:"eventTime"`
	AWSRegion    string `json:"awsRegion"`
	UserIdentity struct {
		PrincipalID string `json:"principalId"`
	} `json:"userIdentity"`
	RequestParameters struct {
		SourceIPAddress string `json:"sourceIPAddress"`
	} `json:"requestParameters"`
	S3 struct {
		Bucket struct {
			Name string `json:"name"`
		} `json:"bucket"`
		Object struct {
			Key       *string         `json:"key"`
			Size      json.RawMessage `json:"size"`
			ETag      string          `json:"eTag"`
			VersionID string          `json:"versionId"`
			Sequencer string          `json:"sequencer"`
		} `json:"object"`
	} `json:"s3"`
}

// Parse reads one invocation's payload. It returns an error only when the
// payload as a whole is not JSON or not an event; every problem inside an
// event is reported in the Batch instead.
func Parse(payload []byte) (Batch, error) {
	env, items, err := decode(payload)
	if err != nil {
		if bytes.HasPrefix(bytes.TrimSpace(payload), []byte("{")) {
			return Batch{}, fmt.Errorf("s3event: payload is not a JSON event: %w", err)
		}
		return Batch{}, errors.New("s3event: payload is not a JSON object")
	}
	if env.Event == "s3:TestEvent" {
		return Batch{Messages: []Message{{TestEvents: 1}}}, nil
	}
	if env.Records == nil {
		return Batch{}, ErrNotEvent
	}
	var b Batch
	direct := Message{}
	for i, it := range items {
		if it.err != nil {
			p := change.Problem{
				Raw:    excerpt(it.raw),
				Reason: fmt.Sprintf("record %d is not a valid event record: %v", i+1, it.err),
			}
			// An SQS record keeps its message id, so that the message can be
			// named, and handed back to SQS when the digest fails.
			if id, ok := sqsMessageID(it.raw); ok {
				b.FromSQS = true
				p.MessageID = id
				b.Messages = append(b.Messages, Message{ID: id, Sent: sentTime(it.raw), Problems: []change.Problem{p}})
				continue
			}
			direct.Problems = append(direct.Problems, p)
			continue
		}
		if it.rec.EventSource == "aws:sqs" {
			b.FromSQS = true
			b.Messages = append(b.Messages, readSQS(it.rec))
			continue
		}
		readRecord(it, i+1, &direct)
	}
	if len(direct.Changes)+len(direct.Problems) > 0 || len(b.Messages) == 0 {
		b.Messages = append(b.Messages, direct)
	}
	return b, nil
}

// sqsMessageID reads the message id of an SQS record whose other fields
// do not decode.
func sqsMessageID(raw []byte) (string, bool) {
	var r struct {
		EventSource json.RawMessage `json:"eventSource"`
		MessageID   json.RawMessage `json:"messageId"`
	}
	if json.Unmarshal(raw, &r) != nil {
		return "", false
	}
	var source, id string
	if json.Unmarshal(r.EventSource, &source) != nil || source != "aws:sqs" || json.Unmarshal(r.MessageID, &id) != nil || id == "" {
		return "", false
	}
	return id, true
}

// readSQS reads the S3 notification carried in one SQS message body.
func readSQS(r *record) Message {
	m := Message{ID: r.MessageID, Sent: sentAttribute(r.Attributes)}
	if r.Body == nil {
		m.Problems = append(m.Problems, change.Problem{MessageID: r.MessageID, Reason: "SQS message has no body"})
		return m
	}
	readBody([]byte(*r.Body), &m, 0)
	return m
}

// sentTime reads the SentTimestamp of an SQS record whose other fields do
// not decode.
func sentTime(raw []byte) time.Time {
	var r struct {
		Attributes json.RawMessage `json:"attributes"`
	}
	if json.Unmarshal(raw, &r) != nil {
		return time.Time{}
	}
	return sentAttribute(r.Attributes)
}

// sentAttribute reads SentTimestamp, milliseconds since the Unix epoch in a
// string, from an SQS record's attributes.
func sentAttribute(attrs json.RawMessage) time.Time {
	var a struct {
		SentTimestamp json.RawMessage `json:"SentTimestamp"`
	}
	if len(attrs) == 0 || json.Unmarshal(attrs, &a) != nil {
		return time.Time{}
	}
	ms, err := strconv.ParseInt(string(bytes.Trim(a.SentTimestamp, `"`)), 10, 64)
	if err != nil || ms <= 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

// readBody reads an S3 event notification (or an SNS notification wrapping
// one) into m. depth stops an SNS envelope nested in an SNS envelope.
func readBody(body []byte, m *Message, depth int) {
	env, items, err := decode(body)
	if err != nil {
		m.Problems = append(m.Problems, change.Problem{
			MessageID: m.ID, Raw: excerpt(body), Reason: "message body is not JSON",
		})
		return
	}
	switch {
	case env.Event == "s3:TestEvent":
		m.TestEvents++
	case env.Records != nil:
		for i, it := range items {
			if it.err != nil {
				m.Problems = append(m.Problems, change.Problem{
					MessageID: m.ID, Raw: excerpt(it.raw),
					Reason: fmt.Sprintf("record %d is not a valid S3 event record: %v", i+1, it.err),
				})
				continue
			}
			readRecord(it, i+1, m)
		}
	case env.Type == "Notification" && env.Message != nil && depth == 0:
		readBody([]byte(*env.Message), m, depth+1)
	default:
		m.Problems = append(m.Problems, change.Problem{
			MessageID: m.ID, Raw: excerpt(body), Reason: "message body is not an S3 event notification",
		})
	}
}

// readRecord turns one S3 event record into a Change, or a Problem when
// it lacks what a change needs or its key cannot be decoded.
func readRecord(it item, n int, m *Message) {
	r := it.rec
	name := change.NormalizeEventName(r.EventName)
	o := &r.S3.Object
	if name == "" || o.Key == nil {
		raw := it.raw
		if raw == nil {
			raw, _ = json.Marshal(r) // what was read of it, on the fast path
		}
		m.Problems = append(m.Problems, change.Problem{
			MessageID: m.ID, Bucket: r.S3.Bucket.Name, EventName: name, Raw: excerpt(raw),
			Reason: fmt.Sprintf("record %d has no eventName or no object key", n),
		})
		return
	}
	// S3 form-encodes keys: '+' is a space and "%2B" a plus sign, so this
	// must be QueryUnescape, never PathUnescape.
	key, err := url.QueryUnescape(*o.Key)
	if err != nil {
		m.Problems = append(m.Problems, change.Problem{
			MessageID: m.ID, Bucket: r.S3.Bucket.Name, EventName: name, Raw: *o.Key,
			Reason: "object key cannot be decoded: " + err.Error(),
		})
		return
	}
	c := change.Change{
		EventName: name,
		Kind:      change.KindOf(name),
		Bucket:    r.S3.Bucket.Name,
		Key:       key,
		ETag:      o.ETag,
		VersionID: o.VersionID,
		Sequencer: o.Sequencer,
		Principal: r.UserIdentity.PrincipalID,
		Actor:     r.UserIdentity.PrincipalID,
		SourceIP:  r.RequestParameters.SourceIPAddress,
		Region:    r.AWSRegion,
		MessageID: m.ID,
	}
	c.Size, c.SizeKnown = parseSize(o.Size)
	if t, err := time.Parse(time.RFC3339Nano, r.EventTime); err == nil {
		c.Time = t.UTC()
	}
	m.Changes = append(m.Changes, c)
}

// parseSize accepts a JSON number, or a number in a string as some
// S3-compatible stores send; anything else means "unknown".
func parseSize(raw json.RawMessage) (int64, bool) {
	s := string(bytes.Trim(raw, `"`))
	if s == "" || s == "null" {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, false
	}
	return n, true
}

// excerpt keeps the start of unreadable input so a person can recognise it
// without the e-mail carrying a whole payload.
func excerpt(b []byte) string {
	const max = 120
	if len(b) <= max {
		return string(b)
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(b[cut]) {
		cut--
	}
	return strings.ToValidUTF8(string(b[:cut]), "\uFFFD") + "..."
}
