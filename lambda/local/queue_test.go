package local

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// fakeFunction records each batch and answers with respond.
type fakeFunction struct {
	mu      sync.Mutex
	batches []events.SQSEvent
	respond func(ev events.SQSEvent, call int) ([]byte, error)
}

func (f *fakeFunction) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	var ev events.SQSEvent
	if err := json.Unmarshal(payload, &ev); err != nil {
		return nil, err
	}
	f.mu.Lock()
	f.batches = append(f.batches, ev)
	call := len(f.batches)
	f.mu.Unlock()
	if f.respond == nil {
		return []byte(`{"batchItemFailures":[]}`), nil
	}
	return f.respond(ev, call)
}

func (f *fakeFunction) sizes() []int {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []int
	for _, b := range f.batches {
		out = append(out, len(b.Records))
	}
	return out
}

func failItems(ids ...string) []byte {
	r := events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{}}
	for _, id := range ids {
		r.BatchItemFailures = append(r.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: id})
	}
	b, _ := json.Marshal(r)
	return b
}

func newTestQueue(f Invoker, batch int, window time.Duration) *Queue {
	return &Queue{
		ARN: "arn:aws:sqs:us-east-1:100010001000:q", Region: "us-east-1",
		BatchSize: batch, Window: window, MaxReceiveCount: 3,
		VisibilityTimeout: 30 * time.Millisecond, InvokeTimeout: time.Second,
		Function: f,
	}
}

// run runs q until cond holds or a second passes.
func run(t *testing.T, q *Queue, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { q.Run(ctx); close(done) }()
	deadline := time.Now().Add(2 * time.Second)
	for !cond() && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	<-done
	if !cond() {
		t.Fatalf("condition not met in time; stats %+v", q.Stats())
	}
}

func TestQueueBatches(t *testing.T) {
	tests := []struct {
		name   string
		batch  int
		sends  int
		window time.Duration
		want   []int
	}{
		{"window collects all", 10, 3, 50 * time.Millisecond, []int{3}},
		{"batch size cuts", 2, 5, 50 * time.Millisecond, []int{2, 2, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeFunction{}
			q := newTestQueue(f, tt.batch, tt.window)
			for i := 0; i < tt.sends; i++ {
				q.Send(fmt.Sprintf(`{"n":%d}`, i))
			}
			run(t, q, func() bool { return q.Stats().Deleted == tt.sends })
			if got := f.sizes(); fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("batches %v, want %v", got, tt.want)
			}
			ev := f.batches[0]
			r := ev.Records[0]
			if r.EventSource != "aws:sqs" || r.EventSourceARN != q.ARN || r.Attributes["ApproximateReceiveCount"] != "1" || r.MessageId == "" || r.Md5OfBody == "" {
				t.Errorf("record does not look like SQS's: %+v", r)
			}
		})
	}
}

func TestQueuePartialFailureRedelivers(t *testing.T) {
	f := &fakeFunction{}
	f.respond = func(ev events.SQSEvent, call int) ([]byte, error) {
		if call == 1 {
			return failItems(ev.Records[1].MessageId), nil
		}
		return []byte(`{"batchItemFailures":[]}`), nil
	}
	q := newTestQueue(f, 10, 10*time.Millisecond)
	q.Send("a")
	q.Send("b")
	q.Send("c")
	run(t, q, func() bool { return q.Stats().Deleted == 3 })
	if got := f.sizes(); fmt.Sprint(got) != "[3 1]" {
		t.Fatalf("batches %v, want [3 1]", got)
	}
	again := f.batches[1].Records[0]
	if again.Body != "b" || again.Attributes["ApproximateReceiveCount"] != "2" || again.MessageId != f.batches[0].Records[1].MessageId {
		t.Errorf("redelivery %+v, want b with receive count 2 and the same message id", again)
	}
	if s := q.Stats(); s.ItemFailures != 1 || s.Redelivered != 1 || s.Waiting != 0 {
		t.Errorf("stats %+v", s)
	}
}

func TestQueueWholeFailureAndDeadLetters(t *testing.T) {
	tests := []struct {
		name    string
		respond func(ev events.SQSEvent, call int) ([]byte, error)
	}{
		{"invocation error", func(events.SQSEvent, int) ([]byte, error) { return nil, errors.New("function error") }},
		{"every item failed", func(ev events.SQSEvent, _ int) ([]byte, error) {
			return failItems(ev.Records[0].MessageId, ev.Records[1].MessageId), nil
		}},
		{"unknown item fails the batch", func(events.SQSEvent, int) ([]byte, error) { return failItems("not-in-batch"), nil }},
		{"not a batch response", func(events.SQSEvent, int) ([]byte, error) { return []byte(`"ok"`), nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeFunction{respond: tt.respond}
			q := newTestQueue(f, 10, 5*time.Millisecond)
			q.Send("a")
			q.Send("b")
			run(t, q, func() bool { return q.Stats().Dead == 2 })
			// maxReceiveCount 3: three deliveries, then the dead-letter list.
			if got := f.sizes(); fmt.Sprint(got) != "[2 2 2]" {
				t.Errorf("batches %v, want [2 2 2]", got)
			}
			for _, d := range q.Dead() {
				if d.Receives != 3 {
					t.Errorf("dead message %s received %d times, want 3", d.Body, d.Receives)
				}
			}
			if s := q.Stats(); s.Waiting != 0 || s.Deleted != 0 {
				t.Errorf("stats %+v", s)
			}
		})
	}
}

func TestQueueAcceptsWebhookPosts(t *testing.T) {
	q := newTestQueue(&fakeFunction{}, 10, time.Millisecond)
	srv := httptest.NewServer(q)
	defer srv.Close()
	resp, err := http.Post(srv.URL, "application/json", strings.NewReader(`{"EventName":"s3:ObjectCreated:Put","Records":[]}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	big := strings.Repeat("x", maxMessageBytes+1)
	resp, err = http.Post(srv.URL, "application/json", strings.NewReader(big))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized message: %s, want 413", resp.Status)
	}
	if n, _, _ := q.ArrivedSince(time.Time{}); n != 1 || q.Stats().Received != 1 {
		t.Errorf("received %d, want 1", n)
	}
}
