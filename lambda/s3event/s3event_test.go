package s3event

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bucketbell/bucketbell/lambda/change"
)

func s3Record(name, rawKey string) string {
	return fmt.Sprintf(`{"eventVersion":"2.1","eventSource":"aws:s3","eventTime":"2026-11-27T10:00:01.5Z","eventName":%q,`+
		`"userIdentity":{"principalId":"AWS:AIDAEXAMPLE"},"requestParameters":{"sourceIPAddress":"203.0.113.10"},`+
		`"s3":{"bucket":{"name":"b"},"object":{"key":%q,"size":42,"versionId":"v1","sequencer":"0A"}}}`, name, rawKey)
}

func sqsMessage(id, body string) string {
	b, _ := json.Marshal(body)
	return fmt.Sprintf(`{"messageId":%q,"eventSource":"aws:sqs","body":%s}`, id, b)
}

func TestKeyDecoding(t *testing.T) {
	cases := []struct {
		name, raw, want string
	}{
		{name: "plus is a space", raw: "summer+sale.jpg", want: "summer sale.jpg"},
		{name: "encoded plus is a plus", raw: "c%2B%2B.png", want: "c++.png"},
		{name: "percent-encoded space", raw: "Happy%20Face.jpg", want: "Happy Face.jpg"},
		{name: "unicode", raw: "caf%C3%A9/%E6%97%A5%E6%9C%AC.jpg", want: "café/日本.jpg"},
		{name: "slashes stay", raw: "a/b/c.jpg", want: "a/b/c.jpg"},
		{name: "control characters", raw: "a%0D%0Ab%09c", want: "a\r\nb\tc"},
		{name: "invalid UTF-8 survives", raw: "%FF.jpg", want: "\xff.jpg"},
		{name: "1 KB key", raw: strings.Repeat("k", 1024), want: strings.Repeat("k", 1024)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b, err := Parse([]byte(`{"Records":[` + s3Record("ObjectCreated:Put", tc.raw) + `]}`))
			if err != nil {
				t.Fatal(err)
			}
			cs := b.Messages[0].Changes
			if len(cs) != 1 || cs[0].Key != tc.want {
				t.Fatalf("changes %+v, want key %q", cs, tc.want)
			}
		})
	}
}

func TestRecordFields(t *testing.T) {
	b, err := Parse([]byte(`{"Records":[` + s3Record("s3:ObjectRemoved:DeleteMarkerCreated", "k") + `]}`))
	if err != nil {
		t.Fatal(err)
	}
	c := b.Messages[0].Changes[0]
	if b.FromSQS || b.Messages[0].ID != "" {
		t.Errorf("direct event read as SQS: %+v", b)
	}
	if c.EventName != "ObjectRemoved:DeleteMarkerCreated" || c.Kind != change.DeletedRecoverable {
		t.Errorf("event %q kind %q", c.EventName, c.Kind)
	}
	if c.Bucket != "b" || c.Size != 42 || !c.SizeKnown || c.VersionID != "v1" || c.Sequencer != "0A" {
		t.Errorf("object fields %+v", c)
	}
	if c.Principal != "AWS:AIDAEXAMPLE" || c.Actor != c.Principal || c.SourceIP != "203.0.113.10" {
		t.Errorf("identity fields %+v", c)
	}
	if got := c.Time.Format("15:04:05.000 MST"); got != "10:00:01.500 UTC" {
		t.Errorf("time %s", got)
	}
}

func TestShapes(t *testing.T) {
	good := s3Record("ObjectCreated:Put", "ok.jpg")
	cases := []struct {
		name         string
		payload      string
		wantErr      bool
		fromSQS      bool
		changes      int
		problems     int
		tests        int
		problemMatch string
		errMatch     string
	}{
		{name: "not JSON", payload: `hello`, wantErr: true},
		{name: "JSON but no records", payload: `{"foo":1}`, wantErr: true},
		{name: "JSON array", payload: `[1,2]`, wantErr: true, errMatch: "not a JSON object"},
		{name: "empty records", payload: `{"Records":[]}`},
		{name: "direct test event", payload: `{"Service":"Amazon S3","Event":"s3:TestEvent","Bucket":"b"}`, tests: 1},
		{name: "direct record", payload: `{"Records":[` + good + `]}`, changes: 1},
		{name: "minio source", payload: `{"Records":[` + strings.Replace(good, `"aws:s3"`, `"minio:s3"`, 1) + `]}`, changes: 1},
		{name: "bad escape among three", payload: `{"Records":[` + good + `,` + s3Record("ObjectCreated:Put", "bad%zz") + `,` + good + `]}`,
			changes: 2, problems: 1, problemMatch: "cannot be decoded"},
		{name: "record of the wrong type", payload: `{"Records":[` + good + `,{"eventName":7}]}`, changes: 1, problems: 1, problemMatch: "not a valid event record"},
		{name: "record without key", payload: `{"Records":[{"eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"b"}}}]}`, problems: 1, problemMatch: "no object key"},
		{name: "string size", payload: `{"Records":[` + strings.Replace(good, `"size":42`, `"size":"42"`, 1) + `]}`, changes: 1},
		{name: "sqs good", payload: `{"Records":[` + sqsMessage("m1", `{"Records":[`+good+`]}`) + `]}`, fromSQS: true, changes: 1},
		{name: "sqs body not JSON", payload: `{"Records":[` + sqsMessage("m1", `nope`) + `,` + sqsMessage("m2", `{"Records":[`+good+`]}`) + `]}`,
			fromSQS: true, changes: 1, problems: 1, problemMatch: "not JSON"},
		{name: "sqs body other JSON", payload: `{"Records":[` + sqsMessage("m1", `{"a":1}`) + `]}`, fromSQS: true, problems: 1, problemMatch: "not an S3 event"},
		{name: "sqs test event", payload: `{"Records":[` + sqsMessage("m1", `{"Event":"s3:TestEvent"}`) + `]}`, fromSQS: true, tests: 1},
		{name: "sqs record of the wrong type keeps its id", payload: `{"Records":[{"messageId":"m1","eventSource":"aws:sqs","body":5},` + sqsMessage("m2", `{"Records":[`+good+`]}`) + `]}`,
			fromSQS: true, changes: 1, problems: 1, problemMatch: "not a valid event record"},
		{name: "sqs without body", payload: `{"Records":[{"messageId":"m1","eventSource":"aws:sqs"}]}`, fromSQS: true, problems: 1, problemMatch: "no body"},
		{name: "sns envelope in sqs", payload: `{"Records":[` + sqsMessage("m1", mustJSON(map[string]string{"Type": "Notification", "Message": `{"Records":[` + good + `]}`})) + `]}`,
			fromSQS: true, changes: 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b, err := Parse([]byte(tc.payload))
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if err != nil {
				if !strings.Contains(err.Error(), tc.errMatch) {
					t.Fatalf("error %q lacks %q", err, tc.errMatch)
				}
				return
			}
			var changes, problems, tests int
			var reasons []string
			for _, m := range b.Messages {
				changes += len(m.Changes)
				problems += len(m.Problems)
				tests += m.TestEvents
				for _, p := range m.Problems {
					reasons = append(reasons, p.Reason)
					if b.FromSQS && p.MessageID != m.ID {
						t.Errorf("problem names message %q, want %q", p.MessageID, m.ID)
					}
				}
			}
			if b.FromSQS != tc.fromSQS || changes != tc.changes || problems != tc.problems || tests != tc.tests {
				t.Fatalf("fromSQS %v changes %d problems %d tests %d; want %v %d %d %d (%v)",
					b.FromSQS, changes, problems, tests, tc.fromSQS, tc.changes, tc.problems, tc.tests, reasons)
			}
			if tc.problemMatch != "" && !strings.Contains(strings.Join(reasons, "|"), tc.problemMatch) {
				t.Errorf("reasons %q lack %q", reasons, tc.problemMatch)
			}
		})
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// FuzzParse checks that no input panics, and that every S3 record in a
// readable event becomes exactly one change or one problem.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("..", "notifier", "testdata", "events", "*.json"))
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"Records":[` + s3Record("ObjectCreated:Put", "a%") + `]}`))
	f.Add([]byte(`{"Records":[{"eventSource":"aws:sqs","body":"{\"Records\":[{}]}"}]}`))
	f.Fuzz(func(t *testing.T, payload []byte) {
		b, err := Parse(payload)
		if err != nil {
			return
		}
		var env struct {
			Records []json.RawMessage `json:"Records"`
		}
		if json.Unmarshal(payload, &env) != nil || b.FromSQS {
			return
		}
		got := 0
		for _, m := range b.Messages {
			got += len(m.Changes) + len(m.Problems)
		}
		if got != len(env.Records) {
			t.Fatalf("%d records became %d changes and problems", len(env.Records), got)
		}
	})
}

func TestSentTimestamp(t *testing.T) {
	body, _ := json.Marshal(`{"Records":[` + s3Record("ObjectCreated:Put", "k") + `]}`)
	msg := func(id, attrs string) string {
		return fmt.Sprintf(`{"messageId":%q,"eventSource":"aws:sqs","attributes":%s,"body":%s}`, id, attrs, body)
	}
	payload := `{"Records":[` + strings.Join([]string{
		msg("good", `{"ApproximateReceiveCount":"1","SentTimestamp":"1795773601000"}`),
		msg("number", `{"SentTimestamp":1795773601500}`),
		msg("missing", `{}`),
		msg("odd", `"not an object"`),
		msg("garbage", `{"SentTimestamp":"soon"}`),
		`{"messageId":"wrong-shape","eventSource":"aws:sqs","attributes":{"SentTimestamp":"1795773602000"},"body":5}`,
	}, ",") + `]}`
	b, err := Parse([]byte(payload))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"good": "2026-11-27T10:00:01Z", "number": "2026-11-27T10:00:01.5Z", "missing": "", "odd": "", "garbage": "",
		"wrong-shape": "2026-11-27T10:00:02Z",
	}
	if len(b.Messages) != len(want) {
		t.Fatalf("%d messages, want %d", len(b.Messages), len(want))
	}
	for _, m := range b.Messages {
		got := ""
		if !m.Sent.IsZero() {
			got = m.Sent.Format(time.RFC3339Nano)
		}
		if got != want[m.ID] {
			t.Errorf("%s: sent %q, want %q", m.ID, got, want[m.ID])
		}
		if m.ID != "wrong-shape" && len(m.Changes) != 1 {
			t.Errorf("%s: an attribute of an odd shape cost the change: %+v", m.ID, m)
		}
	}
}
