package review_test

import (
	"context"
	"encoding/json"
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
				UserName: w.UserName(), Intended: intended, StackKeyID: w.StackAccessKeyID,
				Now: func() time.Time { return w.Now },
				Log: discard(),
			}
			out, err := r.Run(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if len(rec.All) != 1 {
				t.Fatalf("published %d messages, want 1", len(rec.All))
			}
			p := rec.All[0]
			checkSubject(t, *p.Subject)
			email := checkMessage(t, p, out)
			got := "Subject: " + *p.Subject + "\n\n" + email
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

// checkMessage holds a published review to the topic's shape, the one the
// notifier uses: MessageStructure=json, "email" the text, "default" the
// JSON copy. It returns the e-mail text.
func checkMessage(t *testing.T, p replay.Published, out *review.Outcome) string {
	t.Helper()
	if p.MessageStructure == nil || *p.MessageStructure != "json" {
		t.Fatalf("MessageStructure = %v, want json", p.MessageStructure)
	}
	if len(*p.Message) > review.MaxMessageBytes {
		t.Errorf("message is %d bytes", len(*p.Message))
	}
	var msg map[string]string
	if err := json.Unmarshal([]byte(*p.Message), &msg); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		SchemaVersion int    `json:"schemaVersion"`
		Type          string `json:"type"`
		Subject       string `json:"subject"`
		Clean         bool   `json:"clean"`
		Findings      []struct {
			Kind  review.Kind `json:"kind"`
			Title string      `json:"title"`
		} `json:"findings"`
	}
	if err := json.Unmarshal([]byte(msg["default"]), &doc); err != nil {
		t.Fatalf("default: %v", err)
	}
	if doc.SchemaVersion != 1 || doc.Type != "accessReview" || doc.Subject != *p.Subject || doc.Clean != (len(out.Findings) == 0) {
		t.Errorf("default = %+v", doc)
	}
	if len(doc.Findings) != len(out.Findings) {
		t.Fatalf("default has %d findings, the outcome %d", len(doc.Findings), len(out.Findings))
	}
	for i, f := range doc.Findings {
		if f.Kind != out.Findings[i] || !strings.Contains(msg["email"], f.Title) {
			t.Errorf("finding %d = %+v, not in the e-mail as %s", i, f, out.Findings[i])
		}
	}
	return msg["email"]
}
