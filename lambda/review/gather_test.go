package review_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/smithy-go"

	"github.com/bucketbell/bucketbell/lambda/replay"
	"github.com/bucketbell/bucketbell/lambda/review"
)

const gatherWorld = `{
 "user": {"UserName": "mediacouser", "UserId": "AIDA1", "CreateDate": "2026-01-01T00:00:00Z",
  "PasswordLastUsed": "2026-08-01T00:00:00Z", "LoginProfile": {"CreateDate": "2026-01-02T00:00:00Z"},
  "MFADevices": ["arn:aws:iam::123456789012:mfa/a", {"SerialNumber": "arn:aws:iam::123456789012:mfa/b"}],
  "AccessKeys": [
   {"AccessKeyId": "AKIA1", "Status": "Active", "CreateDate": "2026-01-01T00:00:00Z", "LastUsedDate": "2026-08-30T00:00:00Z", "LastUsedService": "s3"},
   {"AccessKeyId": "AKIA2", "Status": "Inactive", "CreateDate": "2026-02-01T00:00:00Z"}],
  "InlinePolicies": [
   {"PolicyName": "one", "Document": {"Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}}},
   {"PolicyName": "two", "Document": {"Statement": {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"}}}],
  "AttachedPolicies": [{"PolicyName": "shared", "Document": {"Statement": {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}}}],
  "Groups": [
   {"GroupName": "g1", "InlinePolicies": [{"PolicyName": "gi", "Document": {"Statement": {"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"}}}],
    "AttachedPolicies": [{"PolicyName": "shared", "Document": {"Statement": {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}}}]},
   {"GroupName": "g2"}]}}`

func loadWorld(t *testing.T, data string) *replay.IAMWorld {
	t.Helper()
	w, err := replay.LoadIAMWorld([]byte(data))
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func TestGatherReadsEverythingAcrossPages(t *testing.T) {
	for _, size := range []int{1, 2, 100} {
		w := loadWorld(t, gatherWorld)
		w.PageSize = size
		counting := &countingIAM{IAM: w}
		g := review.Gatherer{IAM: counting}
		u, err := g.Gather(context.Background(), "mediacouser")
		if err != nil {
			t.Fatalf("page size %d: %v", size, err)
		}
		if u.UserID != "AIDA1" || u.Arn != "arn:aws:iam::123456789012:user/mediacouser" {
			t.Errorf("user = %q %q", u.UserID, u.Arn)
		}
		if u.LoginProfile == nil || u.LoginProfile.CreateDate.IsZero() || u.PasswordLastUsed.IsZero() {
			t.Errorf("console = %+v, last used %v", u.LoginProfile, u.PasswordLastUsed)
		}
		if len(u.MFADevices) != 2 {
			t.Errorf("MFA devices = %+v", u.MFADevices)
		}
		if len(u.AccessKeys) != 2 {
			t.Fatalf("keys = %+v", u.AccessKeys)
		}
		if k := u.AccessKeys[0]; k.LastUsedService != "s3" || k.LastUsedDate.IsZero() || !k.Active() {
			t.Errorf("key 1 = %+v", k)
		}
		if k := u.AccessKeys[1]; k.LastUsedService != "" || !k.LastUsedDate.IsZero() || k.Active() {
			t.Errorf("key 2 (never used, N/A service) = %+v", k)
		}
		var names []string
		for _, p := range u.InlinePolicies {
			names = append(names, p.Name)
		}
		if !slices.Equal(names, []string{"one", "two"}) {
			t.Errorf("inline policies = %v", names)
		}
		if len(u.AttachedPolicies) != 1 || u.AttachedPolicies[0].VersionID != "v1" || len(u.AttachedPolicies[0].Document.Statements) != 1 {
			t.Errorf("attached = %+v", u.AttachedPolicies)
		}
		if len(u.Groups) != 2 || len(u.Groups[0].InlinePolicies) != 1 || len(u.Groups[0].AttachedPolicies) != 1 {
			t.Errorf("groups = %+v", u.Groups)
		}
		if counting.getPolicy != 1 {
			t.Errorf("GetPolicy called %d times for one policy attached twice, want 1", counting.getPolicy)
		}
	}
}

// countingIAM counts GetPolicy calls: a policy attached twice is read once.
type countingIAM struct {
	review.IAM
	mu        sync.Mutex
	getPolicy int
}

func (c *countingIAM) GetPolicy(ctx context.Context, in *iam.GetPolicyInput, opts ...func(*iam.Options)) (*iam.GetPolicyOutput, error) {
	c.mu.Lock()
	c.getPolicy++
	c.mu.Unlock()
	return c.IAM.GetPolicy(ctx, in, opts...)
}

func TestGatherNoConsole(t *testing.T) {
	w := loadWorld(t, `{"user":{"UserName":"mediacouser","PasswordLastUsed":"2025-01-01T00:00:00Z","LoginProfile":false}}`)
	u, err := (&review.Gatherer{IAM: w}).Gather(context.Background(), "mediacouser")
	if err != nil {
		t.Fatal(err)
	}
	if u.LoginProfile != nil {
		t.Errorf("NoSuchEntity from GetLoginProfile must mean no console, got %+v", u.LoginProfile)
	}
}

var errBoom = errors.New("boom")

type brokenKeys struct{ review.IAM }

func (brokenKeys) ListAccessKeys(context.Context, *iam.ListAccessKeysInput, ...func(*iam.Options)) (*iam.ListAccessKeysOutput, error) {
	return nil, errBoom
}

type brokenLogin struct{ review.IAM }

func (brokenLogin) GetLoginProfile(context.Context, *iam.GetLoginProfileInput, ...func(*iam.Options)) (*iam.GetLoginProfileOutput, error) {
	return nil, errBoom
}

type deniedPolicies struct{ review.IAM }

func (deniedPolicies) GetUserPolicy(context.Context, *iam.GetUserPolicyInput, ...func(*iam.Options)) (*iam.GetUserPolicyOutput, error) {
	return nil, &smithy.GenericAPIError{Code: "AccessDenied", Message: "not authorized"}
}

func (deniedPolicies) GetPolicy(context.Context, *iam.GetPolicyInput, ...func(*iam.Options)) (*iam.GetPolicyOutput, error) {
	return nil, &smithy.GenericAPIError{Code: "AccessDenied", Message: "not authorized"}
}

type throttledGroupPolicy struct{ review.IAM }

func (throttledGroupPolicy) GetGroupPolicy(context.Context, *iam.GetGroupPolicyInput, ...func(*iam.Options)) (*iam.GetGroupPolicyOutput, error) {
	return nil, &smithy.GenericAPIError{Code: "Throttling"}
}

// hangingUser never answers GetUser until its context ends.
type hangingUser struct{ review.IAM }

func (hangingUser) GetUser(ctx context.Context, _ *iam.GetUserInput, _ ...func(*iam.Options)) (*iam.GetUserOutput, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

func TestGatherErrors(t *testing.T) {
	tests := []struct {
		name    string
		wrap    func(review.IAM) review.IAM
		user    string
		timeout time.Duration
		wantErr string
		wantIs  error
	}{
		{name: "unknown user", wrap: func(i review.IAM) review.IAM { return i }, user: "someoneelse", wantErr: "review: get user someoneelse: "},
		{name: "list keys fails", wrap: func(i review.IAM) review.IAM { return brokenKeys{i} }, wantErr: "review: list access keys for mediacouser: boom", wantIs: errBoom},
		{name: "login profile fails", wrap: func(i review.IAM) review.IAM { return brokenLogin{i} }, wantErr: "review: get login profile of mediacouser: boom", wantIs: errBoom},
		{name: "throttled group policy", wrap: func(i review.IAM) review.IAM { return throttledGroupPolicy{i} }, wantErr: "review: get inline policy gi of group g1: "},
		{name: "call times out", wrap: func(i review.IAM) review.IAM { return hangingUser{i} }, timeout: 20 * time.Millisecond,
			wantErr: "review: get user mediacouser: context deadline exceeded", wantIs: context.DeadlineExceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			user := tt.user
			if user == "" {
				user = "mediacouser"
			}
			g := review.Gatherer{IAM: tt.wrap(loadWorld(t, gatherWorld)), Timeout: tt.timeout}
			_, err := g.Gather(context.Background(), user)
			if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want prefix %q", err, tt.wantErr)
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("err = %v, does not wrap %v", err, tt.wantIs)
			}
		})
	}
}

// A policy IAM will not show is kept with its error, for the review to
// report, and the rest is still read.
func TestGatherAccessDeniedPolicy(t *testing.T) {
	g := review.Gatherer{IAM: deniedPolicies{loadWorld(t, gatherWorld)}}
	u, err := g.Gather(context.Background(), "mediacouser")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range append(append([]review.Policy{}, u.InlinePolicies...), u.AttachedPolicies...) {
		if p.Err == nil {
			t.Errorf("policy %s: no error kept", p.Name)
		}
	}
	if len(u.Groups) != 2 || len(u.Groups[0].InlinePolicies) != 1 || u.Groups[0].InlinePolicies[0].Err != nil {
		t.Errorf("group policies = %+v", u.Groups)
	}
	r := review.Build(u, &review.Document{}, time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC), "")
	n := 0
	for _, f := range r.Findings {
		if f.Kind == review.KindUnreadablePolicy {
			n++
		}
	}
	// two inline policies, and the managed one where it is attached: on the user and on g1
	if n != 4 {
		t.Errorf("%d unreadable-policy findings, want 4:\n%s", n, r.Text())
	}
}
