package history

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/bucketbell/bucketbell/lambda/change"
	"github.com/bucketbell/bucketbell/lambda/digest"
	"github.com/bucketbell/bucketbell/lambda/s3event"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func upload(key string, t time.Time, msg string) change.Change {
	return change.Change{
		EventName: "ObjectCreated:Put", Kind: change.Uploaded, Bucket: "acme-product-images", Key: key,
		Size: 5120, SizeKnown: true, ETag: "0123456789abcdef", VersionID: "v-" + key, Sequencer: "0055B9",
		Time: t, Principal: "AWS:AIDAEXAMPLEMEDIACO1", Actor: "mediacouser", SourceIP: "203.0.113.10",
		Region: "us-east-1", MessageID: msg,
	}
}

func gunzip(t *testing.T, b []byte) string {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func gzipped(s string) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte(s))
	zw.Close()
	return buf.Bytes()
}

func TestKey(t *testing.T) {
	cases := []struct {
		at   time.Time
		want string
	}{
		{at("2026-12-02T10:15:30.123Z"), "changes/year=2026/month=12/day=02/20261202T101530.123Z-d1.jsonl.gz"},
		{at("2027-01-05T00:00:00Z"), "changes/year=2027/month=01/day=05/20270105T000000.000Z-d1.jsonl.gz"},
		// Another zone is the same instant: the date is UTC's.
		{time.Date(2026, 12, 31, 23, 30, 0, 0, time.FixedZone("UTC-2", -2*3600)), "changes/year=2027/month=01/day=01/20270101T013000.000Z-d1.jsonl.gz"},
		{Undated, "changes/year=1970/month=01/day=01/19700101T000000.000Z-d1.jsonl.gz"},
	}
	for _, tc := range cases {
		if got := Key(tc.at, "d1"); got != tc.want {
			t.Errorf("Key(%v) = %s, want %s", tc.at, got, tc.want)
		}
	}
}

func TestEncodeSplitsByDate(t *testing.T) {
	b := Batch{
		DigestID: "abc",
		Changes: []change.Change{
			upload("late.jpg", at("2026-12-02T00:00:01Z"), "m3"),
			upload("early.jpg", at("2026-12-01T23:59:59.5Z"), "m1"),
			upload("b.jpg", at("2026-12-01T23:00:00Z"), "m2"),
		},
	}
	objects, err := Encode(b)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		key  string
		keys []string
	}{
		{"changes/year=2026/month=12/day=01/20261201T230000.000Z-abc.jsonl.gz", []string{"b.jpg", "early.jpg"}},
		{"changes/year=2026/month=12/day=02/20261202T000001.000Z-abc.jsonl.gz", []string{"late.jpg"}},
	}
	if len(objects) != len(want) {
		t.Fatalf("%d objects, want %d", len(objects), len(want))
	}
	for i, o := range objects {
		if o.Key != want[i].key {
			t.Errorf("object %d key %s, want %s", i, o.Key, want[i].key)
		}
		var keys []string
		for _, l := range strings.Split(strings.TrimSpace(gunzip(t, o.Body)), "\n") {
			var line Line
			if err := json.Unmarshal([]byte(l), &line); err != nil {
				t.Fatal(err)
			}
			if line.DigestID != "abc" || line.SchemaVersion != SchemaVersion {
				t.Errorf("line %s", l)
			}
			keys = append(keys, line.Key)
		}
		if !reflect.DeepEqual(keys, want[i].keys) || o.Changes != len(keys) {
			t.Errorf("object %d holds %v (%d changes), want %v", i, keys, o.Changes, want[i].keys)
		}
	}
	// Encoding does not reorder the caller's changes.
	if b.Changes[0].Key != "late.jpg" {
		t.Errorf("Encode reordered the batch: %s first", b.Changes[0].Key)
	}
	again, _ := Encode(b)
	if !reflect.DeepEqual(objects, again) {
		t.Error("encoding the same batch twice differs: the record depends on something outside the batch")
	}
}

func TestEncodeKeysComeFromTheBatchOnly(t *testing.T) {
	// Years ago and years ahead: the clock has no say in the key.
	for _, when := range []string{"2019-03-04T05:06:07Z", "2031-08-09T10:11:12Z"} {
		objects, err := Encode(Batch{DigestID: "x", Changes: []change.Change{upload("k", at(when), "m")}})
		if err != nil {
			t.Fatal(err)
		}
		if want := Key(at(when), "x"); len(objects) != 1 || objects[0].Key != want {
			t.Errorf("event at %s: keys %v, want %s", when, objects, want)
		}
	}
}

func TestDating(t *testing.T) {
	sent := at("2026-12-03T08:00:00Z")
	noTime := upload("no-time.jpg", time.Time{}, "m-sent")
	cases := []struct {
		name  string
		batch Batch
		want  []string // keys
	}{
		{
			name: "problem by its message's SentTimestamp",
			batch: Batch{DigestID: "d", Changes: []change.Change{upload("a", at("2026-12-01T10:00:00Z"), "m1")},
				Problems: []change.Problem{{MessageID: "m-sent", Reason: "message body is not JSON"}},
				Sent:     map[string]time.Time{"m-sent": sent}},
			want: []string{
				"changes/year=2026/month=12/day=01/20261201T100000.000Z-d.jsonl.gz",
				"changes/year=2026/month=12/day=03/20261203T080000.000Z-d.jsonl.gz",
			},
		},
		{
			name: "change without event time by its message's SentTimestamp",
			batch: Batch{DigestID: "d", Changes: []change.Change{noTime},
				Sent: map[string]time.Time{"m-sent": sent}},
			want: []string{"changes/year=2026/month=12/day=03/20261203T080000.000Z-d.jsonl.gz"},
		},
		{
			name: "direct path: the batch's first event",
			batch: Batch{DigestID: "d", Changes: []change.Change{
				upload("b", at("2026-12-01T10:00:00Z"), ""), upload("a", at("2026-11-30T09:00:00Z"), "")},
				Problems: []change.Problem{{Raw: "%zz", Reason: "object key cannot be decoded"}}},
			want: []string{
				"changes/year=2026/month=11/day=30/20261130T090000.000Z-d.jsonl.gz",
				"changes/year=2026/month=12/day=01/20261201T100000.000Z-d.jsonl.gz",
			},
		},
		{
			name: "no event time: the batch's first SentTimestamp",
			batch: Batch{DigestID: "d", Problems: []change.Problem{{MessageID: "unstamped", Reason: "r"}},
				Sent: map[string]time.Time{"other": sent}},
			want: []string{"changes/year=2026/month=12/day=03/20261203T080000.000Z-d.jsonl.gz"},
		},
		{
			name:  "no time at all: 1970-01-01",
			batch: Batch{DigestID: "d", Problems: []change.Problem{{Raw: "%zz", Reason: "r"}}},
			want:  []string{"changes/year=1970/month=01/day=01/19700101T000000.000Z-d.jsonl.gz"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			objects, err := Encode(tc.batch)
			if err != nil {
				t.Fatal(err)
			}
			var keys []string
			lines := 0
			for _, o := range objects {
				keys = append(keys, o.Key)
				lines += o.Changes + o.Problems
			}
			if !reflect.DeepEqual(keys, tc.want) {
				t.Errorf("keys %v, want %v", keys, tc.want)
			}
			if want := len(tc.batch.Changes) + len(tc.batch.Problems); lines != want {
				t.Errorf("%d lines, want %d", lines, want)
			}
		})
	}
}

func TestDigestID(t *testing.T) {
	sqs := func(ids ...string) s3event.Batch {
		b := s3event.Batch{FromSQS: true}
		for _, id := range ids {
			b.Messages = append(b.Messages, s3event.Message{ID: id})
		}
		return b
	}
	a := DigestID(sqs("m1", "m2", "m3"), []byte(`{"receiptHandle":"first"}`))
	if len(a) != 32 {
		t.Errorf("id %q, want 32 hex characters", a)
	}
	// Redelivered: other receipt handles and receive counts, another order.
	if b := DigestID(sqs("m3", "m1", "m2"), []byte(`{"receiptHandle":"second"}`)); b != a {
		t.Errorf("same messages, id %s then %s", a, b)
	}
	if b := DigestID(sqs("m1", "m2"), nil); b == a {
		t.Error("a regrouped batch has the id of the whole")
	}
	direct := s3event.Batch{Messages: []s3event.Message{{}}}
	p1 := DigestID(direct, []byte(`{"Records":[1]}`))
	if p1 != DigestID(direct, []byte(`{"Records":[1]}`)) || p1 == DigestID(direct, []byte(`{"Records":[2]}`)) {
		t.Error("direct path: the id is not the payload's")
	}
	if DigestID(sqs("m1"), nil) == DigestID(direct, []byte("m1\n")) {
		t.Error("an SQS id and a payload hash can meet")
	}
}

func TestNewBatch(t *testing.T) {
	sent := at("2026-12-03T08:00:00Z")
	in := s3event.Batch{FromSQS: true, Messages: []s3event.Message{{ID: "m1", Sent: sent}, {ID: "m2"}}}
	b := NewBatch(in, []byte("{}"), nil, []change.Problem{{MessageID: "m2", Reason: "r"}})
	if b.DigestID != DigestID(in, []byte("{}")) || len(b.Problems) != 1 {
		t.Errorf("batch %+v", b)
	}
	if !reflect.DeepEqual(b.Sent, map[string]time.Time{"m1": sent}) {
		t.Errorf("sent %v", b.Sent)
	}
}

// goldenBatch has what a record must carry: enriched fields, odd keys, a
// delete with its undo note, problems with and without a message.
func goldenBatch() Batch {
	img := upload(`shoes/"red" <b> & ü.png`, at("2026-12-02T10:15:30.123Z"), "m1")
	img.ContentType, img.Width, img.Height = "image/png", 800, 600
	img.Kind, img.PreviousVersionID = change.Replaced, "v-old"
	del := change.Change{
		EventName: "ObjectRemoved:DeleteMarkerCreated", Kind: change.DeletedRecoverable, Bucket: "acme-product-images",
		Key: "old/boot.jpg", VersionID: "dm-1", Sequencer: "0055BA", Time: at("2026-12-02T10:16:00Z"),
		Principal: "AWS:AIDAEXAMPLEMEDIACO1", Actor: "mediacouser", SourceIP: "203.0.113.10", MessageID: "m2",
		Notes: []string{"undo: aws s3api delete-object --bucket acme-product-images --key old/boot.jpg --version-id dm-1"},
	}
	odd := upload("notes.txt", at("2026-12-02T10:17:00Z"), "m3")
	odd.Warning = "not an image: text/plain"
	odd.SizeKnown, odd.Size = false, 0
	return Batch{
		DigestID: "0f1e2d3c4b5a69788796a5b4c3d2e1f0",
		Changes:  []change.Change{odd, del, img},
		Problems: []change.Problem{
			{MessageID: "m4", Raw: "not JSON", Reason: "message body is not JSON"},
			{MessageID: "m5", Bucket: "acme-product-images", EventName: "ObjectCreated:Put", Raw: "%zz.jpg", Reason: "object key cannot be decoded: invalid URL escape \"%zz\""},
		},
		Sent: map[string]time.Time{"m4": at("2026-12-02T10:18:00Z"), "m1": at("2026-12-02T10:15:31Z")},
	}
}

func TestGoldenRecord(t *testing.T) {
	objects, err := Encode(goldenBatch())
	if err != nil {
		t.Fatal(err)
	}
	if len(objects) != 1 {
		t.Fatalf("%d objects, want 1", len(objects))
	}
	got := "key: " + objects[0].Key + "\n" + gunzip(t, objects[0].Body)
	golden := filepath.Join("testdata", "record.txt")
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (go test -update writes it)", err)
	}
	if got != string(want) {
		t.Errorf("record differs from %s (go test -update rewrites it; read the diff first):\n%s", golden, got)
	}
}

// TestReadGoldenRecord reads the golden record back: every field of every
// change and problem survives the round trip.
func TestReadGoldenRecord(t *testing.T) {
	text, err := os.ReadFile(filepath.Join("testdata", "record.txt"))
	if err != nil {
		t.Fatal(err)
	}
	first, body, _ := strings.Cut(string(text), "\n")
	key := strings.TrimPrefix(first, "key: ")
	dir := t.TempDir()
	if _, err := Dir(dir).PutObject(context.Background(), putInput(key, gzipped(body))); err != nil {
		t.Fatal(err)
	}
	res, err := Read(context.Background(), Dir(dir), Prefix, Filter{}, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	b := goldenBatch()
	if res.Records != 1 || len(res.Skipped) != 0 || len(res.Changes) != len(b.Changes) || len(res.Problems) != len(b.Problems) {
		t.Fatalf("read %+v", res)
	}
	byKey := map[string]digest.Entry{}
	for _, it := range res.Changes {
		byKey[it.Key] = it.Entry
		if it.DigestID != b.DigestID || it.SchemaVersion != SchemaVersion || it.Record != filepath.Join(dir, filepath.FromSlash(key)) {
			t.Errorf("line of %s: digest %s, schema %d, record %s", it.Key, it.DigestID, it.SchemaVersion, it.Record)
		}
	}
	for i := range b.Changes {
		want := digest.NewEntry(&b.Changes[i])
		if got := byKey[b.Changes[i].Key]; !reflect.DeepEqual(got, want) {
			t.Errorf("read back\n %+v\nwant\n %+v", got, want)
		}
	}
	// A problem without a SentTimestamp is read at the start of its day.
	wantSent := map[string]string{"m4": "2026-12-02T10:18:00Z", "m5": ""}
	for i, it := range res.Problems {
		p := b.Problems[len(b.Problems)-1-i]
		if it.Problem.MessageID != p.MessageID || it.Problem.Raw != p.Raw || it.Problem.Reason != p.Reason ||
			it.Problem.Bucket != p.Bucket || it.Problem.EventName != p.EventName || it.Problem.SentTime != wantSent[p.MessageID] {
			t.Errorf("problem %d read back as %+v, want %+v sent %q", i, *it.Problem, p, wantSent[p.MessageID])
		}
	}
}

func TestProblemLineForm(t *testing.T) {
	objects, err := Encode(Batch{DigestID: "d", Problems: []change.Problem{{MessageID: "m", Raw: "x", Reason: "r"}},
		Sent: map[string]time.Time{"m": at("2026-12-02T10:18:00Z")}})
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(gunzip(t, objects[0].Body)), &m); err != nil {
		t.Fatal(err)
	}
	p, ok := m["problem"].(map[string]any)
	if !ok {
		t.Fatalf("no problem object: %v", m)
	}
	want := map[string]any{"messageId": "m", "raw": "x", "reason": "r", "sentTime": "2026-12-02T10:18:00Z"}
	if !reflect.DeepEqual(p, want) {
		t.Errorf("problem %v, want %v", p, want)
	}
	if len(m) != 3 || m["schemaVersion"] != float64(1) || m["digestId"] != "d" {
		t.Errorf("line %v, want schemaVersion, digestId and problem only", m)
	}
	if fmt.Sprint(objects[0].Problems, objects[0].Changes) != "1 0" {
		t.Errorf("counts %d problems, %d changes", objects[0].Problems, objects[0].Changes)
	}
}
