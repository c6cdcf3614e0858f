package review_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bucketbell/bucketbell/lambda/replay"
	"github.com/bucketbell/bucketbell/lambda/review"
)

func TestReviewerRun(t *testing.T) {
	const world = `{"now":"2026-09-01T09:00:00Z","user":{"UserName":"mediacouser","PasswordLastUsed":"2026-08-01T00:00:00Z",
		"AccessKeys":[{"AccessKeyId":"AKIAOLD","CreateDate":"2026-01-01T00:00:00Z","LastUsedDate":"2026-08-31T00:00:00Z"}]}}`
	tests := []struct {
		name         string
		world        string
		user         string
		stackKey     string
		fail         bool
		wantErr      string
		wantOutcome  bool
		wantFindings []review.Kind
		wantPublish  int
	}{
		{name: "publishes one plain-text review", world: world, user: "mediacouser", stackKey: "AKIAOLD",
			wantOutcome: true, wantFindings: []review.Kind{review.KindConsoleNoMFA, review.KindOldKey}, wantPublish: 1},
		{name: "the stack made no key", world: world, user: "mediacouser",
			wantOutcome: true, wantFindings: []review.Kind{review.KindConsoleNoMFA, review.KindUnintendedKey}, wantPublish: 1},
		{name: "publish fails: error so Lambda retries", world: world, user: "mediacouser", stackKey: "AKIAOLD", fail: true,
			wantErr:     "review: publish review of mediacouser to arn:aws:sns:us-east-1:123456789012:topic: " + replay.ErrPublishFailed.Error(),
			wantOutcome: true, wantFindings: []review.Kind{review.KindConsoleNoMFA, review.KindOldKey}},
		{name: "IAM fails: error, nothing published", world: world, user: "nobody", wantErr: "review: get user nobody: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := loadWorld(t, tt.world)
			rec := &replay.Recorder{Fail: tt.fail}
			r := &review.Reviewer{
				IAM: w, SNS: rec, TopicARN: "arn:aws:sns:us-east-1:123456789012:topic", UserName: tt.user,
				StackKeyID: tt.stackKey, Now: func() time.Time { return w.Now }, Log: discard(),
			}
			out, err := r.Run(context.Background())
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("err = %v", err)
			case tt.wantErr != "" && (err == nil || !strings.HasPrefix(err.Error(), tt.wantErr)):
				t.Fatalf("err = %v, want prefix %q", err, tt.wantErr)
			}
			if tt.fail && !errors.Is(err, replay.ErrPublishFailed) {
				t.Errorf("err = %v does not wrap the publish error", err)
			}
			if (out != nil) != tt.wantOutcome {
				t.Fatalf("outcome = %+v, want one: %v", out, tt.wantOutcome)
			}
			if out != nil {
				if !slices.Equal(out.Findings, tt.wantFindings) {
					t.Errorf("findings = %v, want %v", out.Findings, tt.wantFindings)
				}
				if out.Subject != "Access review for mediacouser: 2 findings" {
					t.Errorf("subject = %q", out.Subject)
				}
				if (out.MessageID != "") != (tt.wantPublish > 0) {
					t.Errorf("message id = %q", out.MessageID)
				}
			}
			if len(rec.All) != tt.wantPublish {
				t.Fatalf("published %d, want %d", len(rec.All), tt.wantPublish)
			}
			if tt.wantPublish > 0 {
				p := rec.All[0]
				if *p.MessageStructure != "json" || *p.Subject != out.Subject || !strings.Contains(*p.Message, "AKIAOLD") {
					t.Errorf("published %+v", p)
				}
			}
		})
	}
}
