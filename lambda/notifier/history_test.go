package notifier

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/smithy-go"

	"github.com/bucketbell/bucketbell/lambda/digest"
	"github.com/bucketbell/bucketbell/lambda/history"
	"github.com/bucketbell/bucketbell/lambda/replay"
	"github.com/bucketbell/bucketbell/lambda/sample"
)

// steps notes what the handler did, in order, across its stand-ins.
type steps struct {
	mu  sync.Mutex
	all []string
}

func (s *steps) add(step string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.all = append(s.all, step)
}

// bucket is a history bucket: conditional puts, or a failure.
type bucket struct {
	steps   *steps
	err     error
	objects map[string][]byte
}

func (b *bucket) PutObject(_ context.Context, in *s3.PutObjectInput, _ ...func(*s3.Options)) (*s3.PutObjectOutput, error) {
	key := aws.ToString(in.Key)
	b.steps.add("put " + key)
	if b.err != nil {
		return nil, b.err
	}
	if _, ok := b.objects[key]; ok && aws.ToString(in.IfNoneMatch) == "*" {
		return nil, &smithy.GenericAPIError{Code: "PreconditionFailed"}
	}
	body, _ := io.ReadAll(in.Body)
	b.objects[key] = body
	return &s3.PutObjectOutput{}, nil
}

// publisher is the SNS stand-in that notes its publishes among the steps.
type publisher struct {
	steps *steps
	rec   replay.Recorder
}

func (p *publisher) Publish(ctx context.Context, in *sns.PublishInput, opt ...func(*sns.Options)) (*sns.PublishOutput, error) {
	p.steps.add("publish")
	return p.rec.Publish(ctx, in, opt...)
}

func withHistory(putErr error) (*Handler, *bucket, *publisher, *steps) {
	s := &steps{}
	b := &bucket{steps: s, err: putErr, objects: map[string][]byte{}}
	p := &publisher{steps: s}
	h := &Handler{
		TopicARN: "arn:aws:sns:us-east-1:123456789012:s3NotificationTopic", Publisher: p,
		History: &history.Writer{Bucket: "hist", Region: "us-east-1", Client: b}, Log: quiet(),
	}
	return h, b, p, s
}

func event(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "events", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRecordIsWrittenBeforePublish(t *testing.T) {
	h, b, p, s := withHistory(nil)
	resp, err := h.Handle(context.Background(), event(t, "sqs-mixed.json"))
	if err != nil || resp == nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("resp %+v, err %v", resp, err)
	}
	if len(s.all) != 2 || !strings.HasPrefix(s.all[0], "put changes/year=2026/month=11/day=27/") || s.all[1] != "publish" {
		t.Fatalf("steps %v, want one put, then the publish", s.all)
	}
	// The record holds every change and problem of the batch.
	var changes, problems int
	for _, body := range b.objects {
		for _, line := range readLines(t, body) {
			if line.Problem != nil {
				problems++
			} else {
				changes++
			}
		}
	}
	doc := document(t, p.rec.All[0])
	if changes != doc.TotalChanges || problems != doc.TotalProblems || changes+problems == 0 {
		t.Errorf("record has %d changes and %d problems; the digest %d and %d", changes, problems, doc.TotalChanges, doc.TotalProblems)
	}
	// The digest names the record in its footer and its document.
	key := strings.TrimPrefix(s.all[0], "put ")
	wantRecord := digest.Record{URI: "s3://hist/" + key, ConsoleURL: history.ConsoleURL("hist", "us-east-1", key)}
	if !reflect.DeepEqual(doc.Records, []digest.Record{wantRecord}) {
		t.Errorf("document records %+v, want %+v", doc.Records, wantRecord)
	}
	if text := envelopeOf(t, p.rec.All[0])["email"]; !strings.Contains(text, wantRecord.URI) {
		t.Errorf("the e-mail does not name %s:\n%s", wantRecord.URI, text)
	}
}

// TestBulkRecordHoldsWhatTheEmailOnlyCounts: the e-mail lists what fits;
// the record holds all 2,000.
func TestBulkRecordHoldsWhatTheEmailOnlyCounts(t *testing.T) {
	h, b, p, _ := withHistory(nil)
	if _, err := h.Handle(context.Background(), sample.BulkUpload(2000)); err != nil {
		t.Fatal(err)
	}
	doc := document(t, p.rec.All[0])
	keys := map[string]bool{}
	for _, body := range b.objects {
		for _, line := range readLines(t, body) {
			keys[line.Key] = true
		}
	}
	if doc.ListedChanges >= 2000 || len(keys) != 2000 {
		t.Errorf("listed %d; the record holds %d distinct keys, want 2,000", doc.ListedChanges, len(keys))
	}
}

func TestRecordFailureFailsLikeAFailedPublish(t *testing.T) {
	cases := []struct {
		name  string
		event string
	}{
		{"sqs", "sqs-mixed.json"},
		{"direct", "odd-keys.json"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			denied := &smithy.GenericAPIError{Code: "AccessDenied", Message: "no"}
			h, _, p, s := withHistory(denied)
			payload := event(t, tc.event)
			resp, err := h.Handle(context.Background(), payload)
			if len(p.rec.All) != 0 || strings.Contains(strings.Join(s.all, ","), "publish") {
				t.Fatalf("published without a record: steps %v", s.all)
			}
			if tc.name == "direct" {
				if !errors.Is(err, denied) || resp != nil {
					t.Fatalf("resp %+v, err %v; want the put's error", resp, err)
				}
				return
			}
			if err != nil || resp == nil {
				t.Fatalf("resp %+v, err %v", resp, err)
			}
			var got []string
			for _, f := range resp.BatchItemFailures {
				got = append(got, f.ItemIdentifier)
			}
			want := messagesWithContent(t, payload)
			sort.Strings(got)
			sort.Strings(want)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("batchItemFailures %v, want every message that fed the digest %v", got, want)
			}
		})
	}
}

// TestRetryWritesTheSameKey: SQS delivers the batch again (new receipt
// handles and receive counts, another order) after a failed publish; the
// record's key is the same, the conditional write finds it, and the
// retry publishes.
func TestRetryWritesTheSameKey(t *testing.T) {
	h, b, p, s := withHistory(nil)
	first := event(t, "sqs-mixed.json")
	p.rec.Fail = true
	resp, _ := h.Handle(context.Background(), first)
	if len(resp.BatchItemFailures) == 0 {
		t.Fatal("the failed publish returned nothing to SQS")
	}
	keys := sortedKeys(b.objects)

	var ev events.SQSEvent
	if err := json.Unmarshal(first, &ev); err != nil {
		t.Fatal(err)
	}
	for i := range ev.Records {
		ev.Records[i].ReceiptHandle += "-again"
		ev.Records[i].Attributes["ApproximateReceiveCount"] = "2"
	}
	for i, j := 0, len(ev.Records)-1; i < j; i, j = i+1, j-1 {
		ev.Records[i], ev.Records[j] = ev.Records[j], ev.Records[i]
	}
	again, _ := json.Marshal(ev)
	p.rec.Fail = false
	s.all = nil
	resp, err := h.Handle(context.Background(), again)
	if err != nil || len(resp.BatchItemFailures) != 0 || len(p.rec.All) != 1 {
		t.Fatalf("retry: resp %+v, err %v, %d publishes", resp, err, len(p.rec.All))
	}
	if got := sortedKeys(b.objects); !reflect.DeepEqual(got, keys) {
		t.Errorf("retry wrote %v, first attempt %v", got, keys)
	}
	if len(s.all) != len(keys)+1 || s.all[0] != "put "+keys[0] {
		t.Errorf("retry steps %v", s.all)
	}
}

func TestNothingToReportWritesNoRecord(t *testing.T) {
	h, b, _, s := withHistory(nil)
	if _, err := h.Handle(context.Background(), event(t, "sqs-test-event.json")); err != nil {
		t.Fatal(err)
	}
	if len(b.objects) != 0 || len(s.all) != 0 {
		t.Errorf("steps %v", s.all)
	}
}

func sortedKeys(m map[string][]byte) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func readLines(t *testing.T, body []byte) []history.Line {
	t.Helper()
	dir := t.TempDir()
	key := "changes/year=2026/month=11/day=27/x.jsonl.gz"
	if _, err := history.Dir(dir).PutObject(context.Background(), &s3.PutObjectInput{Key: aws.String(key), Body: bytes.NewReader(body)}); err != nil {
		t.Fatal(err)
	}
	res, err := history.Read(context.Background(), history.Dir(dir), "changes/", history.Filter{}, 1, nil)
	if err != nil || len(res.Skipped) != 0 {
		t.Fatalf("read: %v %v", err, res.Skipped)
	}
	var lines []history.Line
	for _, it := range append(res.Changes, res.Problems...) {
		lines = append(lines, it.Line)
	}
	if n := res.ChangeLines + res.ProblemLines; n != len(lines) {
		t.Fatalf("%d lines read, %d kept: the record has duplicates", n, len(lines))
	}
	return lines
}

func document(t *testing.T, p replay.Published) digest.Document {
	t.Helper()
	var doc digest.Document
	if err := json.Unmarshal([]byte(envelopeOf(t, p)["default"]), &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}
