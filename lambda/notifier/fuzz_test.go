package notifier

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/bucketbell/bucketbell/lambda/digest"
	"github.com/bucketbell/bucketbell/lambda/history"
	"github.com/bucketbell/bucketbell/lambda/replay"
)

// countingBucket accepts every record object and counts them.
type countingBucket struct{ puts int }

func (c *countingBucket) PutObject(context.Context, *s3.PutObjectInput, ...func(*s3.Options)) (*s3.PutObjectOutput, error) {
	c.puts++
	return &s3.PutObjectOutput{}, nil
}

// FuzzHandle feeds arbitrary payloads to the whole handler: it must never
// panic, whatever it publishes must be a valid digest, and nothing is
// published without a record.
func FuzzHandle(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "events", "*.json"))
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		rec := &replay.Recorder{}
		records := &countingBucket{}
		h := &Handler{TopicARN: "arn:aws:sns:us-east-1:123456789012:s3NotificationTopic", Publisher: rec, Log: quiet(),
			History: &history.Writer{Bucket: "hist", Client: records}}
		_, _ = h.Handle(context.Background(), payload)
		if len(rec.All) > 0 && records.puts == 0 {
			t.Fatal("published without a record")
		}
		for _, p := range rec.All {
			s := *p.Subject
			if len(s) == 0 || len(s) > 99 {
				t.Fatalf("subject of %d characters: %q", len(s), s)
			}
			for _, r := range s {
				if r < ' ' || r > '~' {
					t.Fatalf("subject has %q", r)
				}
			}
			if len(*p.Message) > digest.MaxMessageBytes {
				t.Fatalf("message of %d bytes", len(*p.Message))
			}
		}
	})
}
