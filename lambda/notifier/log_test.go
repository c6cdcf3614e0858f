package notifier

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"slices"
	"testing"

	"github.com/bucketbell/bucketbell/lambda/replay"
	"github.com/bucketbell/bucketbell/lambda/sample"
)

// TestDigestPublishedNamesKeys: make verify-deploy finds its test object
// by the keys the "digest published" line names, so the line must name
// them, decoded, within a bound, and say how many it left out.
func TestDigestPublishedNamesKeys(t *testing.T) {
	single, err := os.ReadFile("testdata/events/aws-s3-event.json")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name        string
		payload     []byte
		wantKeys    int
		wantFirst   string
		wantOmitted int
	}{
		{name: "one change", payload: single, wantKeys: 1, wantFirst: "Happy Face.jpg"},
		{name: "more changes than the line names", payload: sample.BulkUpload(maxLoggedKeys + 5),
			wantKeys: maxLoggedKeys, wantOmitted: 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			h := &Handler{TopicARN: "arn:aws:sns:us-east-1:123456789012:s3NotificationTopic", Publisher: &replay.Recorder{},
				Log: slog.New(slog.NewJSONHandler(&logs, nil))}
			if _, err := h.Handle(context.Background(), tt.payload); err != nil {
				t.Fatal(err)
			}
			var line *struct {
				Keys        []string `json:"keys"`
				KeysOmitted *int     `json:"keysOmitted"`
				Changes     int      `json:"changes"`
			}
			sc := bufio.NewScanner(&logs)
			for sc.Scan() {
				var probe struct{ Msg string }
				if json.Unmarshal(sc.Bytes(), &probe) != nil || probe.Msg != "digest published" {
					continue
				}
				if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
					t.Fatal(err)
				}
			}
			if line == nil {
				t.Fatalf("no digest published line in:\n%s", logs.String())
			}
			if len(line.Keys) != tt.wantKeys || line.KeysOmitted == nil || *line.KeysOmitted != tt.wantOmitted ||
				len(line.Keys)+*line.KeysOmitted != line.Changes {
				t.Errorf("keys %d %q, omitted %v, changes %d; want %d keys, %d omitted", len(line.Keys), line.Keys, line.KeysOmitted, line.Changes, tt.wantKeys, tt.wantOmitted)
			}
			if tt.wantFirst != "" && !slices.Contains(line.Keys, tt.wantFirst) {
				t.Errorf("keys %q lack %q", line.Keys, tt.wantFirst)
			}
		})
	}
}
