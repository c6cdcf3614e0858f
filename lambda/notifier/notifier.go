// Package notifier is the notifier Lambda's handler: it reads an invocation's
// S3 events, drops duplicate deliveries, lets enrichment add what the events
// lack, and publishes one digest to the SNS topic.
//
// It never loses a change: when the publish fails, every SQS message that fed
// the digest is reported as a batch item failure so SQS delivers it again
// (and, after maxReceiveCount, moves it to the dead-letter queue); on the
// direct path the handler returns an error so Lambda retries.
package notifier

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/bucketbell/bucketbell/lambda/change"
	"github.com/bucketbell/bucketbell/lambda/digest"
	"github.com/bucketbell/bucketbell/lambda/history"
	"github.com/bucketbell/bucketbell/lambda/s3event"
)

// Publisher publishes to SNS; *sns.Client satisfies it.
type Publisher interface {
	Publish(ctx context.Context, in *sns.PublishInput, optFns ...func(*sns.Options)) (*sns.PublishOutput, error)
}

// Enricher adds what events lack (names, versions, content) to changes in
// place. It must not fail: whatever it cannot find out, it leaves as it is
// or notes on the change.
type Enricher interface {
	Enrich(ctx context.Context, changes []change.Change)
}

// History keeps the complete record of an invocation's changes and names
// the objects it wrote; *history.Writer satisfies it.
type History interface {
	Write(ctx context.Context, b history.Batch) ([]digest.Record, error)
}

// DefaultHistoryTimeout bounds writing the record, every object included.
const DefaultHistoryTimeout = 20 * time.Second

// DefaultPublishTimeout bounds one Publish call, retries included.
const DefaultPublishTimeout = 10 * time.Second

// Handler handles notifier invocations. Build it once per container.
type Handler struct {
	TopicARN  string
	Publisher Publisher
	// Enricher is optional; without it the digest shows what the events
	// say.
	Enricher Enricher
	// History is optional; without it no record is kept and the digest
	// names none.
	History History
	// HistoryTimeout bounds the History write; DefaultHistoryTimeout when
	// zero.
	HistoryTimeout time.Duration
	// PublishTimeout bounds the Publish call; DefaultPublishTimeout when
	// zero.
	PublishTimeout time.Duration
	Log            *slog.Logger
}

// Handle processes one invocation. For an SQS batch it returns the partial
// batch response (never an error, so that only failed messages are retried);
// for a direct S3 event it returns a nil response, and an error when the
// changes could not be kept (History) or published.
func (h *Handler) Handle(ctx context.Context, payload json.RawMessage) (*events.SQSEventResponse, error) {
	log := h.logger()
	batch, err := s3event.Parse(payload)
	if err != nil {
		log.Error("unreadable invocation payload", "error", err, "bytes", len(payload))
		return nil, err
	}

	var changes []change.Change
	var problems []change.Problem
	var fed []string // SQS message ids whose content is in the digest
	tests := 0
	for _, m := range batch.Messages {
		changes = append(changes, m.Changes...)
		problems = append(problems, m.Problems...)
		tests += m.TestEvents
		if m.ID != "" && len(m.Changes)+len(m.Problems) > 0 {
			fed = append(fed, m.ID)
		}
	}
	for _, p := range problems {
		log.Warn("unreadable input reported in the digest",
			"messageId", p.MessageID, "bucket", p.Bucket, "eventName", p.EventName, "reason", p.Reason, "raw", p.Raw)
	}
	if tests > 0 {
		log.Info("s3:TestEvent received: S3 can reach the notifier", "count", tests)
	}
	received := len(changes)
	changes = change.Dedupe(changes)

	resp := func() *events.SQSEventResponse {
		if !batch.FromSQS {
			return nil
		}
		return &events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{}}
	}
	if digest.Empty(changes, problems) {
		log.Info("nothing to report", "messages", len(batch.Messages), "testEvents", tests)
		return resp(), nil
	}
	if h.Enricher != nil {
		h.enrich(ctx, changes)
	}

	// The record comes first: an e-mail never tells of a change that has
	// no record.
	var opt digest.Options
	if h.History != nil {
		records, err := h.keep(ctx, history.NewBatch(batch, payload, changes, problems))
		if err != nil {
			log.Error("change history not written: nothing is published; the changes will be delivered again",
				"error", err, "changes", len(changes), "problems", len(problems), "messages", len(fed), "fromSQS", batch.FromSQS)
			return failed(batch.FromSQS, fed, err)
		}
		opt.Records = records
	}

	msg := digest.Compose(changes, problems, opt)
	if err := h.publish(ctx, msg); err != nil {
		log.Error("publish failed; the changes will be delivered again",
			"error", err, "changes", msg.Total, "messages", len(fed), "fromSQS", batch.FromSQS)
		return failed(batch.FromSQS, fed, err)
	}
	keys, omitted := loggedKeys(changes)
	log.Info("digest published", "subject", msg.Subject, "changes", msg.Total, "notable", msg.Notable, "listed", msg.Listed,
		"duplicates", received-len(changes), "problems", len(problems), "bytes", len(msg.Envelope), "records", len(opt.Records),
		"keys", keys, "keysOmitted", omitted)
	r := resp()
	if r != nil {
		// Unreadable messages the digest could only count go back to SQS,
		// which delivers them again (to be named in a later digest) and
		// finally moves them to the dead-letter queue.
		seen := map[string]bool{}
		for _, p := range problems[msg.ListedProblems:] {
			if p.MessageID != "" && !seen[p.MessageID] {
				seen[p.MessageID] = true
				r.BatchItemFailures = append(r.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: p.MessageID})
			}
		}
	}
	return r, nil
}

// maxLoggedKeys bounds the keys the "digest published" line names: enough
// for make verify-deploy to find its test object, small enough for a log
// line when a digest holds thousands of changes.
const maxLoggedKeys = 20

// loggedKeys is the first maxLoggedKeys object keys of changes, and how
// many are left out.
func loggedKeys(changes []change.Change) ([]string, int) {
	keys := make([]string, 0, min(len(changes), maxLoggedKeys))
	for _, c := range changes[:min(len(changes), maxLoggedKeys)] {
		keys = append(keys, c.Key)
	}
	return keys, len(changes) - len(keys)
}

// failed is the answer when the changes could not be kept or published:
// on the SQS path every message that fed the digest goes back to SQS, on
// the direct path the error makes Lambda retry.
func failed(fromSQS bool, fed []string, err error) (*events.SQSEventResponse, error) {
	if !fromSQS {
		return nil, err
	}
	r := &events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{}}
	for _, id := range fed {
		r.BatchItemFailures = append(r.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: id})
	}
	return r, nil
}

// enrich gives enrichment the invocation's time less what keeping the
// record, composing and publishing need: a slow AWS makes the digest less
// detailed, never late.
func (h *Handler) enrich(ctx context.Context, changes []change.Change) {
	if deadline, ok := ctx.Deadline(); ok {
		reserve := h.publishTimeout() + publishReserve
		if h.History != nil {
			reserve += h.historyTimeout()
		}
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, deadline.Add(-reserve))
		defer cancel()
	}
	h.Enricher.Enrich(ctx, changes)
}

// keep writes the record within its own timeout.
func (h *Handler) keep(ctx context.Context, b history.Batch) ([]digest.Record, error) {
	ctx, cancel := context.WithTimeout(ctx, h.historyTimeout())
	defer cancel()
	return h.History.Write(ctx, b)
}

func (h *Handler) historyTimeout() time.Duration {
	if h.HistoryTimeout > 0 {
		return h.HistoryTimeout
	}
	return DefaultHistoryTimeout
}

// publishReserve is the time kept for composing the digest, beyond the
// publish's own timeout.
const publishReserve = 5 * time.Second

func (h *Handler) publishTimeout() time.Duration {
	if h.PublishTimeout > 0 {
		return h.PublishTimeout
	}
	return DefaultPublishTimeout
}

func (h *Handler) publish(ctx context.Context, msg digest.Message) error {
	ctx, cancel := context.WithTimeout(ctx, h.publishTimeout())
	defer cancel()
	_, err := h.Publisher.Publish(ctx, &sns.PublishInput{
		TopicArn:         aws.String(h.TopicARN),
		Subject:          aws.String(msg.Subject),
		Message:          aws.String(msg.Envelope),
		MessageStructure: aws.String("json"),
	})
	if err != nil {
		return fmt.Errorf("notifier: publish digest to %s: %w", h.TopicARN, err)
	}
	return nil
}

func (h *Handler) logger() *slog.Logger {
	if h.Log != nil {
		return h.Log
	}
	return slog.Default()
}
