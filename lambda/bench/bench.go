// Package bench measures the notifier: its cost per record, the speed of
// enrichment against slow AWS calls, the number of e-mails a bulk upload
// sends, and its cold start against a hello-world function. make bench
// prints the figures; go test -bench runs the same measurements.
package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/bucketbell/bucketbell/lambda/change"
	"github.com/bucketbell/bucketbell/lambda/enrich"
	"github.com/bucketbell/bucketbell/lambda/notifier"
	"github.com/bucketbell/bucketbell/lambda/sample"
	"github.com/bucketbell/bucketbell/lambda/who"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// Handler runs an SQS batch of n uploads through the whole notifier
// handler (decoding, de-duplication, composing, publishing to an SNS
// stand-in that answers at once) and reports ns/record and allocs/record.
func Handler(b *testing.B, n int) {
	payload := sample.BulkUpload(n)
	h := &notifier.Handler{TopicARN: "arn:aws:sns:us-east-1:123456789012:s3NotificationTopic", Publisher: &SlowAWS{}, Log: quiet}
	b.ReportAllocs()
	b.SetBytes(int64(len(payload)))
	for b.Loop() {
		if _, err := h.Handle(context.Background(), payload); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/record")
}

// Enrich enriches n uploads by one IAM user into one folder with every AWS
// call taking delay, and reports ms/batch. Sequentially that would take
// about 2 × n × delay.
func Enrich(b *testing.B, n int, delay time.Duration) {
	aws := &SlowAWS{Delay: delay}
	e := &enrich.Enricher{Names: &who.Namer{Users: aws}, Versions: aws, Objects: aws, Heads: aws, Log: quiet}
	base := make([]change.Change, n)
	for i := range base {
		base[i] = change.Change{
			EventName: "ObjectCreated:Put", Kind: change.Uploaded, Bucket: "acme-product-images",
			Key: fmt.Sprintf("catalogue/2026/item-%05d.jpg", i), Size: 1000, SizeKnown: true, VersionID: "v",
			Principal: "AWS:AIDAEXAMPLEMEDIACO", Actor: "AWS:AIDAEXAMPLEMEDIACO",
		}
	}
	cs := make([]change.Change, n)
	for b.Loop() {
		copy(cs, base)
		// A new Namer per batch: the first batch of a container pays the
		// IAM walk, and so does every measured batch here.
		e.Names = &who.Namer{Users: aws}
		e.Enrich(context.Background(), cs)
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/batch")
}

// SlowAWS stands in for SNS, IAM and S3, answering every call after Delay
// and counting the calls. S3 answers are those of new objects.
type SlowAWS struct {
	Delay                             time.Duration
	Publishes, Lists, Gets, UserLists atomic.Int64
}

func (s *SlowAWS) wait(ctx context.Context) error {
	if s.Delay == 0 {
		return nil
	}
	t := time.NewTimer(s.Delay)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Publish answers an SNS publish.
func (s *SlowAWS) Publish(ctx context.Context, _ *sns.PublishInput, _ ...func(*sns.Options)) (*sns.PublishOutput, error) {
	s.Publishes.Add(1)
	return &sns.PublishOutput{}, s.wait(ctx)
}

// ListUsers answers with no users.
func (s *SlowAWS) ListUsers(ctx context.Context, _ *iam.ListUsersInput, _ ...func(*iam.Options)) (*iam.ListUsersOutput, error) {
	s.UserLists.Add(1)
	return &iam.ListUsersOutput{}, s.wait(ctx)
}

// ListObjectVersions answers with no versions: every object is new.
func (s *SlowAWS) ListObjectVersions(ctx context.Context, _ *s3.ListObjectVersionsInput, _ ...func(*s3.Options)) (*s3.ListObjectVersionsOutput, error) {
	s.Lists.Add(1)
	return &s3.ListObjectVersionsOutput{}, s.wait(ctx)
}

// GetObject answers with the head of a JPEG.
func (s *SlowAWS) GetObject(ctx context.Context, _ *s3.GetObjectInput, _ ...func(*s3.Options)) (*s3.GetObjectOutput, error) {
	s.Gets.Add(1)
	if err := s.wait(ctx); err != nil {
		return nil, err
	}
	head := []byte("\xff\xd8\xff\xc0\x00\x11\x08\x02\x58\x03\x20\x03\x01\x22\x00\x02\x11\x01\x03\x11\x01")
	return &s3.GetObjectOutput{Body: io.NopCloser(bytes.NewReader(head)), ContentType: aws.String("image/jpeg"),
		ContentRange: aws.String(fmt.Sprintf("bytes 0-%d/1000", len(head)-1))}, nil
}

// HeadObject answers with a small JPEG.
func (s *SlowAWS) HeadObject(ctx context.Context, _ *s3.HeadObjectInput, _ ...func(*s3.Options)) (*s3.HeadObjectOutput, error) {
	return &s3.HeadObjectOutput{ContentType: aws.String("image/jpeg"), ContentLength: aws.Int64(1000)}, s.wait(ctx)
}

// countCalls enriches n uploads into one folder once, so that aws counts
// the calls enrichment makes for them.
func countCalls(ctx context.Context, aws *SlowAWS, n int) {
	e := &enrich.Enricher{Names: &who.Namer{Users: aws}, Versions: aws, Objects: aws, Heads: aws, Log: quiet}
	cs := make([]change.Change, n)
	for i := range cs {
		cs[i] = change.Change{EventName: "ObjectCreated:Put", Kind: change.Uploaded, Bucket: "acme-product-images",
			Key: fmt.Sprintf("catalogue/2026/item-%05d.jpg", i), Size: 1000, SizeKnown: true, VersionID: "v",
			Principal: "AWS:AIDAEXAMPLEMEDIACO"}
	}
	e.Enrich(ctx, cs)
}
