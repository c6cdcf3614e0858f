package notifier

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/bucketbell/bucketbell/lambda/digest"
	"github.com/bucketbell/bucketbell/lambda/replay"
)

// FuzzHandle feeds arbitrary payloads to the whole handler: it must never
// panic, and whatever it publishes must be a valid digest.
func FuzzHandle(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "events", "*.json"))
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		rec := &replay.Recorder{}
		h := &Handler{TopicARN: "arn:aws:sns:us-east-1:123456789012:s3NotificationTopic", Publisher: rec, Log: quiet()}
		_, _ = h.Handle(context.Background(), payload)
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
