package main

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
)

func TestSetup(t *testing.T) {
	const policy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`
	tests := []struct {
		name    string
		env     map[string]string
		wantKey string
		wantErr string
	}{
		{name: "complete", env: map[string]string{"TOPIC_ARN": "arn:aws:sns:eu-west-1:1:t", "MEDIA_USER_NAME": "mediacouser", "INTENDED_POLICY": policy,
			"STACK_ACCESS_KEY_ID": "AKIAEXAMPLEKEY000001", "ACCESS_KEY_SECRET_ID": "s"}, wantKey: "AKIAEXAMPLEKEY000001"},
		{name: "the stack makes no key", env: map[string]string{"TOPIC_ARN": "t", "MEDIA_USER_NAME": "mediacouser", "INTENDED_POLICY": policy,
			"ACCESS_KEY_SECRET_ID": "s"}},
		{name: "no topic", env: map[string]string{"MEDIA_USER_NAME": "mediacouser", "INTENDED_POLICY": policy}, wantErr: "TOPIC_ARN and MEDIA_USER_NAME must be set"},
		{name: "no user", env: map[string]string{"TOPIC_ARN": "t", "INTENDED_POLICY": policy}, wantErr: "TOPIC_ARN and MEDIA_USER_NAME must be set"},
		{name: "no intended policy", env: map[string]string{"TOPIC_ARN": "t", "MEDIA_USER_NAME": "u"}, wantErr: "INTENDED_POLICY: "},
		{name: "bad intended policy", env: map[string]string{"TOPIC_ARN": "t", "MEDIA_USER_NAME": "u", "INTENDED_POLICY": "{"}, wantErr: "INTENDED_POLICY: "},
	}
	t.Setenv("AWS_REGION", "eu-west-1")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := setup(context.Background(), func(k string) string { return tt.env[k] }, slog.New(slog.NewTextHandler(io.Discard, nil)))
			if tt.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want prefix %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if r.UserName != "mediacouser" || r.StackKeyID != tt.wantKey || r.KeySecret != "s" || r.Intended == nil || len(r.Intended.Statements) != 1 || r.Timeout == 0 {
				t.Errorf("reviewer = %+v", r)
			}
		})
	}
}
