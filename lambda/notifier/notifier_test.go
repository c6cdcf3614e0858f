package notifier

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/bucketbell/bucketbell/lambda/change"
	"github.com/bucketbell/bucketbell/lambda/digest"
	"github.com/bucketbell/bucketbell/lambda/replay"
	"github.com/bucketbell/bucketbell/lambda/sample"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// run invokes a fresh handler on payload with a recording SNS stand-in.
func run(t *testing.T, payload []byte, fail bool) (*replay.Recorder, *events.SQSEventResponse, error) {
	t.Helper()
	rec := &replay.Recorder{Fail: fail}
	h := &Handler{TopicARN: "arn:aws:sns:us-east-1:123456789012:s3NotificationTopic", Publisher: rec, Log: quiet()}
	resp, err := h.Handle(context.Background(), payload)
	return rec, resp, err
}

func TestGolden(t *testing.T) {
	cases := []struct {
		name  string
		event string
		bulk  []byte
		fail  bool
	}{
		{name: "aws-s3-event", event: "aws-s3-event.json"},
		{name: "aws-s3-glacier-event", event: "aws-s3-glacier-event.json"},
		{name: "aws-s3-intelligenttier-event", event: "aws-s3-intelligenttier-event.json"},
		{name: "aws-s3-lifecycle-event", event: "aws-s3-lifecycle-event.json"},
		{name: "aws-s3-replication-event", event: "aws-s3-replication-event.json"},
		{name: "aws-s3-restore-event", event: "aws-s3-restore-event.json"},
		{name: "aws-sqs-event-not-s3", event: "aws-sqs-event.json"},
		{name: "odd-keys", event: "odd-keys.json"},
		{name: "bad-escape", event: "bad-escape.json"},
		{name: "every-kind", event: "every-kind.json"},
		{name: "sqs-duplicates", event: "sqs-duplicates.json"},
		{name: "sqs-test-event", event: "sqs-test-event.json"},
		{name: "test-event", event: "test-event.json"},
		{name: "sqs-mixed", event: "sqs-mixed.json"},
		{name: "minio", event: "minio.json"},
		{name: "future-version", event: "future-version.json"},
		{name: "empty", event: "empty.json"},
		{name: "actors", event: "actors.json"},
		{name: "publish-fails-direct", event: "odd-keys.json", fail: true},
		{name: "publish-fails-sqs", event: "sqs-mixed.json", fail: true},
		{name: "bulk-2000", event: "generated"},
		// Notable changes hidden in bulk uploads, at the start, in the
		// middle and at the end: each must be named before the bulk.
		{name: "bulk-3000-permanent-delete-middle", bulk: bulk(3000, hero(1500))},
		{name: "bulk-600-permanent-delete-end", bulk: bulk(600, hero(600))},
		{name: "bulk-2000-other-actor-start", bulk: bulk(2000, sample.Event{At: 0, EventName: "ObjectCreated:Put",
			Key: "campaign/spring teaser.png", Principal: "AWS:AROAEXAMPLEROLEID:alice@example.com", VersionID: "a1", Size: 52000})},
		{name: "bulk-2000-acl-end", bulk: bulk(2000, sample.Event{At: 2000, EventName: "ObjectAcl:Put",
			Key: "catalogue/2026/item-01999.jpg", VersionID: "v01999", Size: -1})},
		{name: "bulk-2000-recoverable-delete", bulk: bulk(2000, sample.Event{At: 700, EventName: "ObjectRemoved:DeleteMarkerCreated",
			Key: "old/boot+lace.jpg", VersionID: "dm-7", Size: -1})},
		{name: "bulk-2000-unreadable", bulk: bulk(2000, sample.Event{At: 1234, Body: "this is not JSON"})},
		{name: "bulk-3000-notables-everywhere", bulk: bulk(3000, hero(0),
			sample.Event{At: 1000, EventName: "ObjectAcl:Put", Key: "catalogue/2026/item-00999.jpg", Size: -1},
			sample.Event{At: 1001, EventName: "ObjectCreated:Put", Key: "catalogue/2026/item-01000.jpg",
				Principal: "AWS:AROAEXAMPLEROLEID:alice@example.com", VersionID: "a2", Size: 99},
			sample.Event{At: 2500, Body: `{"hello": "world"}`},
			sample.Event{At: 3000, EventName: "LifecycleExpiration:Delete", Key: "archive/2019/old.jpg",
				Principal: "s3.amazonaws.com", VersionID: "x9", Size: -1})},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			payload := tc.bulk
			if payload == nil && tc.event == "generated" {
				payload = sample.BulkUpload(2000)
			}
			if payload == nil {
				var err error
				payload, err = os.ReadFile(filepath.Join("testdata", "events", tc.event))
				if err != nil {
					t.Fatal(err)
				}
			}
			rec, resp, err := run(t, payload, tc.fail)
			got := describe(t, rec, resp, err)
			checkInvariants(t, payload, rec, resp, err, tc.fail)

			golden := filepath.Join("testdata", "golden", tc.name+".txt")
			if *update {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("output differs from %s (go test -update rewrites it; read the diff first):\n%s", golden, firstDiff(string(want), got))
			}
		})
	}
}

func bulk(n int, events ...sample.Event) []byte { return sample.Bulk(n, events...) }

// hero is the permanent deletion of the issue that asked for notable
// changes first: it used to be lost at the end of 556 lines of uploads.
func hero(at int) sample.Event {
	return sample.Event{At: at, EventName: "ObjectRemoved:Delete", Key: "homepage/hero banner.jpg",
		VersionID: "3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY", Size: -1}
}

// describe renders what the handler did, for a golden file a person reads:
// the response, the error, and each published e-mail.
func describe(t *testing.T, rec *replay.Recorder, resp *events.SQSEventResponse, err error) string {
	t.Helper()
	var b strings.Builder
	r, _ := json.Marshal(resp)
	fmt.Fprintf(&b, "response: %s\nerror: %v\npublishes: %d\n", r, err, len(rec.All))
	for _, p := range rec.All {
		env := envelopeOf(t, p)
		fmt.Fprintf(&b, "\n=== subject: %s\n%s", *p.Subject, env["email"])
	}
	return b.String()
}

func envelopeOf(t *testing.T, p replay.Published) map[string]string {
	t.Helper()
	if p.MessageStructure == nil || *p.MessageStructure != "json" {
		t.Fatalf("MessageStructure = %v, want json", p.MessageStructure)
	}
	var env map[string]string
	if err := json.Unmarshal([]byte(*p.Message), &env); err != nil {
		t.Fatalf("message is not a JSON envelope: %v", err)
	}
	if env["email"] == "" || env["default"] == "" {
		t.Fatalf("envelope lacks email or default: %v", env)
	}
	return env
}

// inputKeys reads the decodable keys of every S3 record in payload, on its
// own, with the decoding S3 prescribes (url.QueryUnescape: a space is +).
func inputKeys(t *testing.T, payload []byte) []string {
	var ev struct {
		Records []struct {
			EventSource string `json:"eventSource"`
			Body        string `json:"body"`
			S3          struct {
				Object struct {
					Key *string `json:"key"`
				} `json:"object"`
			} `json:"s3"`
		} `json:"Records"`
	}
	if err := json.Unmarshal(payload, &ev); err != nil {
		return nil
	}
	var keys []string
	for _, r := range ev.Records {
		if r.EventSource == "aws:sqs" {
			keys = append(keys, inputKeys(t, []byte(r.Body))...)
			continue
		}
		if r.S3.Object.Key == nil {
			continue
		}
		if k, err := url.QueryUnescape(*r.S3.Object.Key); err == nil {
			keys = append(keys, k)
		}
	}
	return keys
}

// checkInvariants holds for every input: valid subjects, messages within
// SNS's limit, every key shown or counted, nothing lost when publish fails.
func checkInvariants(t *testing.T, payload []byte, rec *replay.Recorder, resp *events.SQSEventResponse, err error, fail bool) {
	t.Helper()
	fromSQS := strings.Contains(string(payload), `"aws:sqs"`)
	if fail {
		if fromSQS {
			if err != nil || resp == nil {
				t.Fatalf("SQS path with failing publish: resp %v err %v, want batch item failures", resp, err)
			}
			want := messagesWithContent(t, payload)
			got := map[string]bool{}
			for _, f := range resp.BatchItemFailures {
				got[f.ItemIdentifier] = true
			}
			for _, id := range want {
				if !got[id] {
					t.Errorf("message %s fed the digest but is not in batchItemFailures", id)
				}
			}
		} else if err == nil {
			t.Fatal("direct path with failing publish returned no error")
		}
		return
	}
	if err != nil {
		t.Fatalf("handler error: %v", err)
	}
	if fromSQS && (resp == nil || len(resp.BatchItemFailures) != 0) {
		t.Fatalf("SQS path: response %+v, want an empty batchItemFailures", resp)
	}
	keys := inputKeys(t, payload)
	if len(keys) > 0 && len(rec.All) != 1 {
		t.Fatalf("%d publishes, want exactly one digest", len(rec.All))
	}
	for _, p := range rec.All {
		s := *p.Subject
		if len(s) == 0 || len(s) > 99 {
			t.Errorf("subject length %d: %q", len(s), s)
		}
		for _, r := range s {
			if r < ' ' || r > '~' {
				t.Errorf("subject has a non-printable-ASCII character %q: %q", r, s)
			}
		}
		if n := len(*p.Message); n > digest.MaxMessageBytes {
			t.Errorf("message is %d bytes, over SNS's %d", n, digest.MaxMessageBytes)
		}
		env := envelopeOf(t, p)
		text := env["email"]
		for i, line := range strings.Split(text, "\n") {
			for _, r := range line {
				if r == '\r' || r == '\t' || (r < ' ' && r != '\n') {
					t.Errorf("e-mail line %d has a raw control character %q", i+1, r)
				}
			}
		}
		var doc digest.Document
		if err := json.Unmarshal([]byte(env["default"]), &doc); err != nil {
			t.Fatalf("default is not the JSON document: %v", err)
		}
		if doc.SchemaVersion != digest.SchemaVersion {
			t.Errorf("schemaVersion %d", doc.SchemaVersion)
		}
		checkDigest(t, text, &doc)
		listed := map[string]bool{}
		for _, e := range doc.Changes {
			listed[e.Key] = true
		}
		unlisted := 0
		for _, k := range keys {
			if !listed[k] {
				unlisted++
			}
		}
		if doc.ListedChanges == doc.TotalChanges && unlisted > 0 {
			t.Errorf("%d input keys are neither listed nor counted", unlisted)
		}
	}
}

// checkDigest checks what every digest promises: counts that add up, the
// total in the first line, every notable change named by key in the text
// and in the document before any routine one (or counted when there are
// too many to name), every unreadable input named or counted, and the
// e-mail's length bound.
func checkDigest(t *testing.T, text string, doc *digest.Document) {
	t.Helper()
	sum := 0
	for _, c := range doc.Counts {
		sum += c.Count
	}
	if sum != doc.TotalChanges || doc.ListedChanges != len(doc.Changes) {
		t.Errorf("counts add up to %d, total %d, listed %d with %d entries", sum, doc.TotalChanges, doc.ListedChanges, len(doc.Changes))
	}
	inFolders := 0
	for _, f := range doc.Folders {
		inFolders += f.Changes
	}
	if inFolders != doc.TotalChanges-doc.NotableChanges {
		t.Errorf("folders add up to %d routine changes, want %d", inFolders, doc.TotalChanges-doc.NotableChanges)
	}
	first, _, _ := strings.Cut(text, "\n")
	if doc.TotalChanges > 0 && !strings.HasPrefix(first, digest.Count(doc.TotalChanges)+" change") {
		t.Errorf("first line %q does not start with the total %d", first, doc.TotalChanges)
	}
	named, routine := 0, false
	for _, e := range doc.Changes {
		if !e.Notable {
			routine = true
			continue
		}
		named++
		if routine {
			t.Errorf("notable %q comes after a routine change in the document", e.Key)
		}
		if !strings.Contains(text, digest.Text(e.Key)) {
			t.Errorf("notable key %q is not in the e-mail text", e.Key)
		}
	}
	if named != doc.NotableChanges && !strings.Contains(text, "counted only: ") {
		t.Errorf("%d of %d notable changes named, and none counted", named, doc.NotableChanges)
	}
	for _, p := range doc.Problems {
		if p.MessageID != "" && !strings.Contains(text, "message "+digest.Text(p.MessageID)+":") {
			t.Errorf("unreadable message %q is not in the e-mail text", p.MessageID)
		}
	}
	if lines, bound := strings.Count(text, "\n"), digest.MaxLines+3*(doc.NotableChanges+doc.TotalProblems); lines > bound {
		t.Errorf("e-mail of %d lines, over the bound %d", lines, bound)
	}
}

// messagesWithContent lists the SQS messages that carry a change or an
// unreadable item: exactly the ones a failed publish must hand back.
func messagesWithContent(t *testing.T, payload []byte) []string {
	var ev events.SQSEvent
	if err := json.Unmarshal(payload, &ev); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, m := range ev.Records {
		if strings.Contains(m.Body, `"s3:TestEvent"`) && !strings.Contains(m.Body, `"Records"`) {
			continue
		}
		ids = append(ids, m.MessageId)
	}
	return ids
}

func firstDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return fmt.Sprintf("line %d\n want: %q\n  got: %q", i+1, wl, gl)
		}
	}
	return "(no line differs)"
}

// deadlineEnricher records the deadline enrichment was given.
type deadlineEnricher struct {
	deadline time.Time
	ok       bool
}

func (d *deadlineEnricher) Enrich(ctx context.Context, _ []change.Change) {
	d.deadline, d.ok = ctx.Deadline()
}

func TestEnrichmentLeavesTimeToPublish(t *testing.T) {
	payload, err := os.ReadFile(filepath.Join("testdata", "events", "minio.json"))
	if err != nil {
		t.Fatal(err)
	}
	e := &deadlineEnricher{}
	rec := &replay.Recorder{}
	h := &Handler{TopicARN: "arn:aws:sns:us-east-1:123456789012:s3NotificationTopic", Publisher: rec, Enricher: e, Log: quiet()}
	invocation := time.Now().Add(60 * time.Second)
	ctx, cancel := context.WithDeadline(context.Background(), invocation)
	defer cancel()
	if _, err := h.Handle(ctx, payload); err != nil {
		t.Fatal(err)
	}
	if !e.ok || !e.deadline.Before(invocation.Add(-DefaultPublishTimeout)) {
		t.Fatalf("enrichment deadline %v (set %v), want before %v", e.deadline, e.ok, invocation.Add(-DefaultPublishTimeout))
	}
	if len(rec.All) != 1 {
		t.Fatalf("%d publishes", len(rec.All))
	}
}

// TestUnreadableMessagesAreNamedOrReturned: every unreadable SQS message is
// named in the digest or handed back to SQS, and a message of the wrong
// shape keeps its id when the publish fails.
func TestUnreadableMessagesAreNamedOrReturned(t *testing.T) {
	var ev events.SQSEvent
	for i := 0; i < 120; i++ {
		ev.Records = append(ev.Records, events.SQSMessage{MessageId: fmt.Sprintf("bad-%03d", i), Body: "not JSON", EventSource: "aws:sqs"})
	}
	payload, _ := json.Marshal(ev)
	rec, resp, err := run(t, payload, false)
	if err != nil || len(rec.All) != 1 {
		t.Fatalf("err %v, %d publishes", err, len(rec.All))
	}
	text := envelopeOf(t, rec.All[0])["email"]
	returned := map[string]bool{}
	for _, f := range resp.BatchItemFailures {
		returned[f.ItemIdentifier] = true
	}
	for _, r := range ev.Records {
		named := strings.Contains(text, "message "+r.MessageId+":")
		if named == returned[r.MessageId] {
			t.Errorf("%s: named %v, returned %v; want exactly one", r.MessageId, named, returned[r.MessageId])
		}
	}

	wrong := []byte(`{"Records":[{"messageId":"odd","eventSource":"aws:sqs","body":5}]}`)
	_, resp, err = run(t, wrong, true)
	if err != nil || resp == nil || len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != "odd" {
		t.Fatalf("failed publish: response %+v, error %v; want message odd returned", resp, err)
	}
}
