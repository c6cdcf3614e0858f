package local

import (
	"context"
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// Limits of SQS and Lambda that the queue stand-in keeps.
const (
	// maxMessageBytes is SQS's largest message body.
	maxMessageBytes = 256 * 1024
	// maxPayloadBytes is Lambda's synchronous invocation payload limit;
	// the event source mapping cuts a batch before it.
	maxPayloadBytes = 6 * 1000 * 1000
	// perRecordOverhead is roughly what one SQS record adds to the
	// payload around its body.
	perRecordOverhead = 1024
)

// Invoker calls the function with an event and returns its response.
// An error means the invocation failed as a whole (a function error, a
// timeout, the emulator unreachable).
type Invoker interface {
	Invoke(ctx context.Context, payload []byte) ([]byte, error)
}

// Queue stands in for the SQS queue between S3 and the notifier and for
// Lambda's event source mapping that reads it. It accepts S3 notifications
// as HTTP POSTs (MinIO's webhook target) and delivers them to the function
// in SQS events, as the mapping does:
//
//   - a batch is invoked when BatchSize messages are waiting, when Window has
//     passed since the batch began, or before the payload would pass 6 MB;
//   - each delivery increments the message's receive count; a message about
//     to be received more than MaxReceiveCount times moves to the
//     dead-letter list instead;
//   - the function's batchItemFailures stay in the queue and come back after
//     VisibilityTimeout, the rest are deleted; when the invocation fails as a
//     whole, every message of the batch comes back.
//
// One batch is in flight at a time: the emulator runs one invocation at a
// time, as a single Lambda execution environment does.
type Queue struct {
	// ARN and Region label the records as the real queue's would.
	ARN    string
	Region string
	// BatchSize, Window and MaxReceiveCount are the mapping's and the
	// redrive policy's settings.
	BatchSize       int
	Window          time.Duration
	MaxReceiveCount int
	// VisibilityTimeout is how long a failed message stays hidden before
	// it is delivered again.
	VisibilityTimeout time.Duration
	// InvokeTimeout bounds one invocation (the function's timeout plus a
	// margin).
	InvokeTimeout time.Duration
	Function      Invoker
	Log           *slog.Logger

	mu       sync.Mutex
	waiting  []*message // in arrival order, visible or hidden
	dead     []DeadMessage
	stats    QueueStats
	arrivals []time.Time
}

type message struct {
	id        string
	body      string
	sent      time.Time
	firstRecv time.Time
	receives  int
	visibleAt time.Time
	inFlight  bool
}

// DeadMessage is a message moved to the dead-letter list.
type DeadMessage struct {
	ID       string
	Body     string
	Receives int
}

// QueueStats counts what the queue did.
type QueueStats struct {
	// Received counts messages accepted from S3.
	Received int
	// Invocations counts function invocations; FailedInvocations those
	// that failed as a whole.
	Invocations       int
	FailedInvocations int
	// ItemFailures counts messages named in batchItemFailures.
	ItemFailures int
	// Redelivered counts deliveries after the first.
	Redelivered int
	// Deleted counts messages done with; Waiting those still in the
	// queue (in flight or not); Dead those moved to the dead-letter list.
	Deleted, Waiting, Dead int
}

// ServeHTTP accepts one S3 notification per POST, as MinIO's webhook
// target sends them. Any other method answers 200: MinIO only checks that
// the endpoint is up.
func (q *Queue) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxMessageBytes+1))
	if err != nil {
		http.Error(w, "read body: "+err.Error(), http.StatusBadRequest)
		return
	}
	if len(body) > maxMessageBytes {
		// SQS would refuse it too; MinIO logs the failure.
		http.Error(w, "message larger than 256 KiB", http.StatusRequestEntityTooLarge)
		return
	}
	q.Send(string(body))
}

// Send adds a message to the queue and returns its id.
func (q *Queue) Send(body string) string {
	m := &message{id: newID(), body: body, sent: time.Now()}
	q.mu.Lock()
	q.waiting = append(q.waiting, m)
	q.arrivals = append(q.arrivals, m.sent)
	q.stats.Received++
	q.mu.Unlock()
	return m.id
}

// ArrivedSince returns how many messages arrived at or after since, and
// when the first and the last of them arrived.
func (q *Queue) ArrivedSince(since time.Time) (n int, first, last time.Time) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, t := range q.arrivals {
		if t.Before(since) {
			continue
		}
		if n == 0 {
			first = t
		}
		n++
		last = t
	}
	return n, first, last
}

// Stats returns the counters so far.
func (q *Queue) Stats() QueueStats {
	q.mu.Lock()
	defer q.mu.Unlock()
	s := q.stats
	s.Waiting = len(q.waiting)
	s.Dead = len(q.dead)
	return s
}

// Dead returns the messages in the dead-letter list.
func (q *Queue) Dead() []DeadMessage {
	q.mu.Lock()
	defer q.mu.Unlock()
	return append([]DeadMessage(nil), q.dead...)
}

// pollInterval is how often the poller looks for visible messages.
const pollInterval = 20 * time.Millisecond

// Run delivers batches until ctx ends.
func (q *Queue) Run(ctx context.Context) {
	for {
		batch := q.collect(ctx)
		if batch == nil {
			return
		}
		q.deliver(ctx, batch)
	}
}

// collect waits for a visible message, then gathers a batch: until
// BatchSize messages are visible, the payload limit is near, or Window has
// passed. It returns nil when ctx ends.
func (q *Queue) collect(ctx context.Context) []*message {
	var began time.Time
	for {
		now := time.Now()
		q.mu.Lock()
		visible, bytes := 0, 0
		for _, m := range q.waiting {
			if q.isVisible(m, now) {
				visible++
				bytes += len(m.body) + perRecordOverhead
			}
		}
		if visible > 0 && began.IsZero() {
			began = now
		}
		full := visible >= q.BatchSize || bytes >= maxPayloadBytes-maxMessageBytes-perRecordOverhead
		if visible > 0 && (full || now.Sub(began) >= q.Window) {
			batch := q.receive(now)
			q.mu.Unlock()
			if len(batch) > 0 {
				return batch
			}
			began = time.Time{} // all of them went to the dead-letter list
			continue
		}
		q.mu.Unlock()
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(pollInterval):
		}
	}
}

func (q *Queue) isVisible(m *message, now time.Time) bool {
	return !m.inFlight && !now.Before(m.visibleAt)
}

// receive takes up to BatchSize visible messages within the payload limit,
// moving those received MaxReceiveCount times to the dead-letter list.
// q.mu is held.
func (q *Queue) receive(now time.Time) []*message {
	var batch []*message
	bytes := 0
	kept := q.waiting[:0]
	for _, m := range q.waiting {
		if len(batch) >= q.BatchSize || !q.isVisible(m, now) ||
			bytes+len(m.body)+perRecordOverhead > maxPayloadBytes {
			kept = append(kept, m)
			continue
		}
		if q.MaxReceiveCount > 0 && m.receives >= q.MaxReceiveCount {
			q.dead = append(q.dead, DeadMessage{ID: m.id, Body: m.body, Receives: m.receives})
			q.logger().Warn("queue: message moved to the dead-letter list", "messageId", m.id, "receives", m.receives)
			continue
		}
		if m.receives > 0 {
			q.stats.Redelivered++
		} else {
			m.firstRecv = now
		}
		m.receives++
		m.inFlight = true
		bytes += len(m.body) + perRecordOverhead
		batch = append(batch, m)
		kept = append(kept, m)
	}
	q.waiting = kept
	return batch
}

// deliver invokes the function with batch and settles each message.
func (q *Queue) deliver(ctx context.Context, batch []*message) {
	payload, err := json.Marshal(q.event(batch))
	if err == nil {
		ictx, cancel := context.WithTimeout(ctx, q.InvokeTimeout)
		var out []byte
		out, err = q.Function.Invoke(ictx, payload)
		cancel()
		if err == nil {
			var failed map[string]bool
			failed, err = batchItemFailures(out, batch)
			if err == nil {
				q.settle(batch, failed, false)
				q.logger().Info("queue: batch delivered", "messages", len(batch), "itemFailures", len(failed))
				return
			}
		}
	}
	q.logger().Warn("queue: invocation failed; the whole batch will be delivered again", "messages", len(batch), "error", err)
	q.settle(batch, nil, true)
}

// settle deletes the messages of a finished batch, except the failed ones
// (all when whole is true), which become visible after VisibilityTimeout.
func (q *Queue) settle(batch []*message, failed map[string]bool, whole bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.stats.Invocations++
	if whole {
		q.stats.FailedInvocations++
	}
	done := map[*message]bool{}
	visibleAt := time.Now().Add(q.VisibilityTimeout)
	for _, m := range batch {
		m.inFlight = false
		if whole || failed[m.id] {
			m.visibleAt = visibleAt
			if !whole {
				q.stats.ItemFailures++
			}
			continue
		}
		done[m] = true
	}
	kept := q.waiting[:0]
	for _, m := range q.waiting {
		if !done[m] {
			kept = append(kept, m)
		}
	}
	q.waiting = kept
	q.stats.Deleted += len(done)
}

// event builds the SQS event Lambda's mapping would send for batch.
func (q *Queue) event(batch []*message) events.SQSEvent {
	ev := events.SQSEvent{Records: make([]events.SQSMessage, 0, len(batch))}
	for _, m := range batch {
		sum := md5.Sum([]byte(m.body))
		ev.Records = append(ev.Records, events.SQSMessage{
			MessageId:     m.id,
			ReceiptHandle: newID(),
			Body:          m.body,
			Md5OfBody:     hex.EncodeToString(sum[:]),
			Attributes: map[string]string{
				"ApproximateReceiveCount":          strconv.Itoa(m.receives),
				"SentTimestamp":                    strconv.FormatInt(m.sent.UnixMilli(), 10),
				"SenderId":                         "AIDAIENQZJOLO23YVJ4VO",
				"ApproximateFirstReceiveTimestamp": strconv.FormatInt(m.firstRecv.UnixMilli(), 10),
			},
			MessageAttributes: map[string]events.SQSMessageAttribute{},
			EventSourceARN:    q.ARN,
			EventSource:       "aws:sqs",
			AWSRegion:         q.Region,
		})
	}
	return ev
}

// batchItemFailures reads the function's partial batch response. As with
// Lambda, a response that names a message not in the batch, or is not a
// partial batch response, fails the whole batch; an empty or null
// response means every message succeeded.
func batchItemFailures(out []byte, batch []*message) (map[string]bool, error) {
	var resp *events.SQSEventResponse
	if len(out) > 0 {
		if err := json.Unmarshal(out, &resp); err != nil {
			return nil, fmt.Errorf("queue: function response is not a partial batch response: %w", err)
		}
	}
	if resp == nil {
		return nil, nil
	}
	ids := map[string]bool{}
	for _, m := range batch {
		ids[m.id] = true
	}
	failed := map[string]bool{}
	for _, f := range resp.BatchItemFailures {
		if !ids[f.ItemIdentifier] {
			return nil, fmt.Errorf("queue: batchItemFailures names %q, which is not in the batch", f.ItemIdentifier)
		}
		failed[f.ItemIdentifier] = true
	}
	return failed, nil
}

func (q *Queue) logger() *slog.Logger {
	if q.Log != nil {
		return q.Log
	}
	return slog.Default()
}

// newID returns a random UUID (version 4), the form of SQS message ids.
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on Linux
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
