package notifier

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/sns"
)

// discard is an SNS stand-in that answers at once.
type discard struct{}

func (discard) Publish(context.Context, *sns.PublishInput, ...func(*sns.Options)) (*sns.PublishOutput, error) {
	return &sns.PublishOutput{}, nil
}

// BenchmarkHandle1000 is a 1,000-message SQS batch through the whole
// handler: JSON decoding, de-duplication, composing and publishing.
func BenchmarkHandle1000(b *testing.B) {
	const records = 1000
	payload := bulkSQS(records)
	h := &Handler{TopicARN: "arn:aws:sns:us-east-1:123456789012:s3NotificationTopic", Publisher: discard{}, Log: quiet()}
	b.ReportAllocs()
	b.SetBytes(int64(len(payload)))
	for b.Loop() {
		if _, err := h.Handle(context.Background(), payload); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/records, "ns/record")
}
