package replay

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/bucketbell/bucketbell/lambda/review"
)

var _ review.IAM = (*IAMWorld)(nil)

func TestLoadIAMWorld(t *testing.T) {
	tests := []struct {
		name        string
		world       string
		wantErr     string
		wantConsole bool
		wantMFA     int
		wantPolicy  string // an action the inline policy "p" must allow, read back through IAM's encoding
		wantNow     time.Time
		wantKey     string // the stack's access key
	}{
		{name: "empty world", world: `{}`},
		{name: "password used, no LoginProfile: console", world: `{"user":{"PasswordLastUsed":"2026-08-01T00:00:00Z"}}`, wantConsole: true},
		{name: "LoginProfile false overrides", world: `{"user":{"PasswordLastUsed":"2026-08-01T00:00:00Z","LoginProfile":false}}`},
		{name: "LoginProfile null overrides", world: `{"user":{"PasswordLastUsed":"2026-08-01T00:00:00Z","LoginProfile":null}}`},
		{name: "LoginProfile true", world: `{"user":{"LoginProfile":true}}`, wantConsole: true},
		{name: "LoginProfile object", world: `{"user":{"LoginProfile":{"CreateDate":"2026-01-01"}}}`, wantConsole: true},
		{name: "PasswordLastUsed null", world: `{"user":{"PasswordLastUsed":null,"MFADevices":null}}`},
		{name: "MFA strings and objects", world: `{"user":{"MFADevices":["arn:aws:iam::1:mfa/a",{"SerialNumber":"arn:aws:iam::1:mfa/b","EnableDate":"2026-01-01T00:00:00+02:00"},null]}}`, wantMFA: 2},
		{name: "document object", world: `{"user":{"InlinePolicies":[{"PolicyName":"p","Document":{"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}}]}}`, wantPolicy: "s3:GetObject"},
		{name: "document JSON string", world: `{"user":{"InlinePolicies":[{"PolicyName":"p","Document":"{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":[\"s3:PutObject\"],\"Resource\":\"arn:aws:s3:::b/a+b c\"}]}"}]}}`, wantPolicy: "s3:PutObject"},
		{name: "document URL-encoded string", world: `{"user":{"InlinePolicies":[{"PolicyName":"p","Document":"%7B%22Statement%22%3A%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22s3%3AListBucket%22%2C%22Resource%22%3A%22*%22%7D%7D"}]}}`, wantPolicy: "s3:ListBucket"},
		{name: "now with zone", world: `{"now":"2026-09-01T11:00:00+02:00"}`, wantNow: time.Date(2026, 9, 1, 9, 0, 0, 0, time.UTC)},
		{name: "now as a date", world: `{"now":"2026-09-01"}`, wantNow: time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)},
		{name: "stack access key", world: `{"stackAccessKeyId":"AKIAEXAMPLEKEY000001"}`, wantKey: "AKIAEXAMPLEKEY000001"},
		{name: "stack access key of the wrong type", world: `{"stackAccessKeyId":1}`, wantErr: "replay: world: "},
		{name: "bad time", world: `{"now":"yesterday"}`, wantErr: `replay: world: time "yesterday": want RFC 3339`},
		{name: "user of the wrong type", world: `{"user":5}`, wantErr: "replay: world: "},
		{name: "not an object", world: `[1,2]`, wantErr: "replay: world: "},
		{name: "bad MFA entry", world: `{"user":{"MFADevices":[5]}}`, wantErr: "replay: world: MFADevices[0]: "},
	}
	ctx := context.Background()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, err := LoadIAMWorld([]byte(tt.world))
			if tt.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want prefix %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if w.UserName() != DefaultUserName {
				t.Errorf("user = %q", w.UserName())
			}
			if w.StackAccessKeyID != tt.wantKey {
				t.Errorf("stack access key = %q, want %q", w.StackAccessKeyID, tt.wantKey)
			}
			if !w.Now.Equal(tt.wantNow) {
				t.Errorf("now = %v, want %v", w.Now, tt.wantNow)
			}
			_, err = w.GetLoginProfile(ctx, &iam.GetLoginProfileInput{UserName: aws.String(DefaultUserName)})
			var none *types.NoSuchEntityException
			if console := err == nil; console != tt.wantConsole || (err != nil && !errors.As(err, &none)) {
				t.Errorf("GetLoginProfile err = %v, want console %v", err, tt.wantConsole)
			}
			mfa, err := w.ListMFADevices(ctx, &iam.ListMFADevicesInput{UserName: aws.String(DefaultUserName)})
			if err != nil || len(mfa.MFADevices) != tt.wantMFA {
				t.Errorf("MFA = %+v, %v; want %d", mfa, err, tt.wantMFA)
			}
			if tt.wantPolicy == "" {
				return
			}
			got, err := w.GetUserPolicy(ctx, &iam.GetUserPolicyInput{UserName: aws.String(DefaultUserName), PolicyName: aws.String("p")})
			if err != nil {
				t.Fatal(err)
			}
			if strings.HasPrefix(*got.PolicyDocument, "{") {
				t.Errorf("document %q is not URL-encoded as IAM returns it", *got.PolicyDocument)
			}
			doc, err := review.ParseDocument(*got.PolicyDocument)
			if err != nil {
				t.Fatal(err)
			}
			if a := doc.Statements[0].Actions; len(a) != 1 || a[0] != tt.wantPolicy {
				t.Errorf("actions = %v, want %s", a, tt.wantPolicy)
			}
		})
	}
}

func TestIAMWorldPages(t *testing.T) {
	w, err := LoadIAMWorld([]byte(`{"user":{"UserName":"u","AccessKeys":[{"AccessKeyId":"A"},{"AccessKeyId":"B"},{"AccessKeyId":"C"}]}}`))
	if err != nil {
		t.Fatal(err)
	}
	w.PageSize = 2
	ctx := context.Background()
	first, err := w.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("u")})
	if err != nil || len(first.AccessKeyMetadata) != 2 || !first.IsTruncated || first.Marker == nil {
		t.Fatalf("first page = %+v, %v", first, err)
	}
	second, err := w.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("u"), Marker: first.Marker})
	if err != nil || len(second.AccessKeyMetadata) != 1 || second.IsTruncated || second.Marker != nil {
		t.Fatalf("second page = %+v, %v", second, err)
	}
	if *second.AccessKeyMetadata[0].AccessKeyId != "C" || second.AccessKeyMetadata[0].Status != types.StatusTypeActive {
		t.Errorf("key = %+v", second.AccessKeyMetadata[0])
	}
	if _, err := w.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("u"), Marker: aws.String("x")}); err == nil {
		t.Error("a bad marker is accepted")
	}
	last, err := w.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String("A")})
	if err != nil || *last.AccessKeyLastUsed.ServiceName != "N/A" || last.AccessKeyLastUsed.LastUsedDate != nil {
		t.Errorf("never-used key = %+v, %v", last, err)
	}
}
