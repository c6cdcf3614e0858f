package review_test

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bucketbell/bucketbell/lambda/replay"
	"github.com/bucketbell/bucketbell/lambda/review"
)

var update = flag.Bool("update", false, "rewrite the golden e-mails in testdata/")

// TestGoldenReviews runs the reviewer on each testdata/*.world.json, through
// the same IAM stand-in as make replay-review, and compares the published
// e-mail with testdata/*.golden.
func TestGoldenReviews(t *testing.T) {
	worlds, err := filepath.Glob("testdata/*.world.json")
	if err != nil || len(worlds) == 0 {
		t.Fatalf("no worlds in testdata: %v", err)
	}
	for _, path := range worlds {
		name := strings.TrimSuffix(filepath.Base(path), ".world.json")
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			w, err := replay.LoadIAMWorld(data)
			if err != nil {
				t.Fatal(err)
			}
			w.PageSize = 1 // every list takes several pages
			var intended *review.Document
			if w.Intended != "" {
				doc, err := review.ParseDocument(w.Intended)
				if err != nil {
					t.Fatal(err)
				}
				intended = &doc
			}
			rec := &replay.Recorder{}
			r := &review.Reviewer{
				IAM: w, SNS: rec, TopicARN: "arn:aws:sns:us-east-1:123456789012:s3NotificationTopic",
				UserName: w.UserName(), Intended: intended,
				Now: func() time.Time { return w.Now },
				Log: discard(),
			}
			if _, err := r.Run(context.Background()); err != nil {
				t.Fatal(err)
			}
			if len(rec.All) != 1 {
				t.Fatalf("published %d messages, want 1", len(rec.All))
			}
			p := rec.All[0]
			if p.MessageStructure != nil {
				t.Errorf("MessageStructure = %q, want plain text", *p.MessageStructure)
			}
			checkSubject(t, *p.Subject)
			got := "Subject: " + *p.Subject + "\n\n" + *p.Message
			golden := filepath.Join("testdata", name+".golden")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if got != string(want) {
				t.Errorf("review differs from %s (run go test -update to accept):\n%s", golden, got)
			}
		})
	}
}

// checkSubject holds a subject to SNS's rules: printable ASCII, under 100
// characters, no line breaks.
func checkSubject(t *testing.T, s string) {
	t.Helper()
	if len(s) == 0 || len(s) > 99 {
		t.Errorf("subject %q: length %d, want 1..99", s, len(s))
	}
	for _, c := range []byte(s) {
		if c < 0x20 || c > 0x7e {
			t.Errorf("subject %q: byte %#x is not printable ASCII", s, c)
		}
	}
}
