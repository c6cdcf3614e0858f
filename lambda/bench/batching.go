package bench

import (
	"context"
	"encoding/json"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/bucketbell/bucketbell/lambda/notifier"
	"github.com/bucketbell/bucketbell/lambda/sample"
)

// Batching is how the SQS event source mapping hands queued changes to the
// notifier, as deployed (see cdk/).
type Batching struct {
	// BatchSize is the most messages per invocation.
	BatchSize int
	// Window is the longest the mapping gathers messages before invoking.
	Window time.Duration
	// MaxPayload is Lambda's limit on an invocation's payload.
	MaxPayload int
}

// Publishes sends n uploads, arriving evenly over spread, through batching
// into the real notifier handler, and counts the digests it publishes. A
// batch is invoked when it is full, would pass the payload limit, or its
// window has run out since its first message.
func Publishes(ctx context.Context, n int, spread time.Duration, bt Batching) (int64, error) {
	var ev struct {
		Records []events.SQSMessage `json:"Records"`
	}
	if err := json.Unmarshal(sample.BulkUpload(n), &ev); err != nil {
		return 0, err
	}
	sns := &SlowAWS{}
	h := &notifier.Handler{TopicARN: "arn:aws:sns:us-east-1:123456789012:s3NotificationTopic", Publisher: sns, Log: quiet}
	invoke := func(batch []events.SQSMessage) error {
		payload, err := json.Marshal(events.SQSEvent{Records: batch})
		if err != nil {
			return err
		}
		_, err = h.Handle(ctx, payload)
		return err
	}
	var batch []events.SQSMessage
	var opened time.Duration
	size := 0
	for i, m := range ev.Records {
		at := time.Duration(0)
		if n > 1 {
			at = spread * time.Duration(i) / time.Duration(n-1)
		}
		msgSize := len(m.Body) + 600 // the SQS record around the body
		if len(batch) > 0 && (at-opened > bt.Window || size+msgSize > bt.MaxPayload) {
			if err := invoke(batch); err != nil {
				return 0, err
			}
			batch, size = nil, 0
		}
		if len(batch) == 0 {
			opened = at
		}
		batch = append(batch, m)
		size += msgSize
		if len(batch) == bt.BatchSize {
			if err := invoke(batch); err != nil {
				return 0, err
			}
			batch, size = nil, 0
		}
	}
	if len(batch) > 0 {
		if err := invoke(batch); err != nil {
			return 0, err
		}
	}
	return sns.Publishes.Load(), nil
}
