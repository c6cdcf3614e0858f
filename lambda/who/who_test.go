package who

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"
)

// Unique ids in IAM's format: a prefix and 17 more upper-case letters or
// digits.
const (
	aliceID   = "AIDAALICEEXAMPLE00001"
	bobID     = "AIDABOBEXAMPLE0000002"
	ghostID   = "AIDAGHOSTEXAMPLE00003" // no such user
	editorsID = "AROAEDITORSEXAMPLE001"
)

// fakeUsers answers ListUsers with ListUsersFn and counts the calls.
type fakeUsers struct {
	ListUsersFn func(ctx context.Context, in *iam.ListUsersInput) (*iam.ListUsersOutput, error)
	calls       atomic.Int32
}

var _ UserLister = (*fakeUsers)(nil)

func (f *fakeUsers) ListUsers(ctx context.Context, in *iam.ListUsersInput, _ ...func(*iam.Options)) (*iam.ListUsersOutput, error) {
	f.calls.Add(1)
	return f.ListUsersFn(ctx, in)
}

// fakeRoles answers ListRoles with ListRolesFn and counts the calls.
type fakeRoles struct {
	ListRolesFn func(ctx context.Context, in *iam.ListRolesInput) (*iam.ListRolesOutput, error)
	calls       atomic.Int32
}

var _ RoleLister = (*fakeRoles)(nil)

func (f *fakeRoles) ListRoles(ctx context.Context, in *iam.ListRolesInput, _ ...func(*iam.Options)) (*iam.ListRolesOutput, error) {
	f.calls.Add(1)
	return f.ListRolesFn(ctx, in)
}

// users returns a fake with one page of users, given as id, name pairs.
func users(idNames ...string) *fakeUsers {
	out := &iam.ListUsersOutput{}
	for i := 0; i+1 < len(idNames); i += 2 {
		out.Users = append(out.Users, types.User{UserId: aws.String(idNames[i]), UserName: aws.String(idNames[i+1])})
	}
	return &fakeUsers{ListUsersFn: func(context.Context, *iam.ListUsersInput) (*iam.ListUsersOutput, error) {
		return out, nil
	}}
}

// failing returns a fake whose every call fails with err.
func failing(err error) *fakeUsers {
	return &fakeUsers{ListUsersFn: func(context.Context, *iam.ListUsersInput) (*iam.ListUsersOutput, error) {
		return nil, err
	}}
}

// clock is a settable time for Namer.now.
type clock struct{ t time.Time }

func newClock() *clock { return &clock{t: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)} }

func (c *clock) now() time.Time { return c.t }

func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }

func (n *Namer) withClock(c *clock) *Namer {
	n.now = c.now
	return n
}

// name calls n.Name and fails the test on an error.
func name(t *testing.T, n *Namer, p string) string {
	t.Helper()
	got, err := n.Name(context.Background(), p)
	if err != nil {
		t.Fatalf("Name(%q): %v", p, err)
	}
	return got
}

func TestNameWithoutLookups(t *testing.T) {
	tests := []struct {
		name      string
		principal string
		want      string
	}{
		{name: "iam user", principal: "AWS:" + aliceID, want: "AWS:" + aliceID},
		{name: "iam user without prefix", principal: aliceID, want: aliceID},
		{name: "role session", principal: "AWS:" + editorsID + ":alice@example.com", want: "session alice@example.com (role " + editorsID + ")"},
		{name: "role session without prefix", principal: editorsID + ":alice", want: "session alice (role " + editorsID + ")"},
		{name: "role without session", principal: "AWS:" + editorsID, want: "AWS:" + editorsID},
		{name: "role with empty session", principal: "AWS:" + editorsID + ":", want: "AWS:" + editorsID + ":"},
		{name: "s3 itself", principal: "s3.amazonaws.com", want: "S3 lifecycle"},
		{name: "empty", principal: "", want: "unknown principal"},
		{name: "blank", principal: "  ", want: "unknown principal"},
		{name: "minio access key", principal: "minioadmin", want: "minioadmin"},
		{name: "minio key that starts like a user", principal: "AIDAminio", want: "AIDAminio"},
		{name: "temporary access key", principal: "AWS:ASIAEXAMPLE000000001", want: "AWS:ASIAEXAMPLE000000001"},
		{name: "lower case id", principal: "AWS:AIDAalice000000000", want: "AWS:AIDAalice000000000"},
		{name: "account root", principal: "AWS:123456789012", want: "AWS:123456789012"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := name(t, &Namer{}, tt.principal); got != tt.want {
				t.Errorf("Name(%q) = %q, want %q", tt.principal, got, tt.want)
			}
		})
	}
}

func TestNameUsers(t *testing.T) {
	fake := users(aliceID, "mediacouser", bobID, "bob", "AIDAEXAMPLE", "short-id-user")
	n := &Namer{Users: fake}
	tests := []struct {
		name      string
		principal string
		want      string
	}{
		{name: "user", principal: "AWS:" + aliceID, want: "mediacouser"},
		{name: "user without prefix", principal: bobID, want: "bob"},
		{name: "user iam does not know", principal: "AWS:" + ghostID, want: "AWS:" + ghostID},
		{name: "short example id", principal: "AWS:AIDAEXAMPLE", want: "short-id-user"},
		{name: "bare prefix", principal: "AWS:AIDA", want: "AWS:AIDA"},
		{name: "not a user id", principal: "minioadmin", want: "minioadmin"},
		{name: "role session, no role lister", principal: "AWS:" + editorsID + ":alice", want: "session alice (role " + editorsID + ")"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := name(t, n, tt.principal); got != tt.want {
				t.Errorf("Name(%q) = %q, want %q", tt.principal, got, tt.want)
			}
		})
	}
	if got := fake.calls.Load(); got != 1 {
		t.Errorf("ListUsers calls = %d, want 1: one walk names every user", got)
	}
}

func TestNamePages(t *testing.T) {
	var mu sync.Mutex
	var inputs []iam.ListUsersInput
	pages := map[string]*iam.ListUsersOutput{
		"": {IsTruncated: true, Marker: aws.String("m1"),
			Users: []types.User{{UserId: aws.String(bobID), UserName: aws.String("bob")}}},
		"m1": {IsTruncated: true, Marker: aws.String("m2")},
		"m2": {Users: []types.User{
			{UserId: aws.String(aliceID), UserName: aws.String("mediacouser")},
			{UserId: aws.String("AIDANONAME00000000001")}, // incomplete: skipped
		}},
	}
	fake := &fakeUsers{ListUsersFn: func(ctx context.Context, in *iam.ListUsersInput) (*iam.ListUsersOutput, error) {
		if d, ok := ctx.Deadline(); !ok || time.Until(d) > 500*time.Millisecond {
			t.Errorf("ListUsers context deadline %v, %v: want at most the Namer's Timeout", d, ok)
		}
		mu.Lock()
		inputs = append(inputs, *in)
		mu.Unlock()
		return pages[aws.ToString(in.Marker)], nil
	}}
	n := &Namer{Users: fake, PathPrefix: "/bucketbell/", Timeout: 500 * time.Millisecond}

	if got := name(t, n, "AWS:"+aliceID); got != "mediacouser" {
		t.Errorf("Name() = %q, want mediacouser from the last page", got)
	}
	if got := name(t, n, "AWS:"+bobID); got != "bob" {
		t.Errorf("Name() = %q, want bob from the first page", got)
	}
	if got := name(t, n, "AWS:AIDANONAME00000000001"); got != "AWS:AIDANONAME00000000001" {
		t.Errorf("Name() = %q, want the raw id of a user without a name", got)
	}
	if len(inputs) != 3 {
		t.Fatalf("ListUsers calls = %d, want 3 (one per page)", len(inputs))
	}
	for i, want := range []string{"", "m1", "m2"} {
		in := inputs[i]
		if aws.ToString(in.Marker) != want || aws.ToString(in.PathPrefix) != "/bucketbell/" || aws.ToInt32(in.MaxItems) != maxItems {
			t.Errorf("call %d: Marker %q, PathPrefix %q, MaxItems %d; want %q, /bucketbell/, %d",
				i+1, aws.ToString(in.Marker), aws.ToString(in.PathPrefix), aws.ToInt32(in.MaxItems), want, maxItems)
		}
	}
}

func TestNameCachesForTheContainer(t *testing.T) {
	fake := users(aliceID, "mediacouser")
	c := newClock()
	n := (&Namer{Users: fake}).withClock(c)
	for range 100 {
		if got := name(t, n, "AWS:"+aliceID); got != "mediacouser" {
			t.Fatalf("Name() = %q, want mediacouser", got)
		}
		c.advance(time.Hour)
	}
	if got := fake.calls.Load(); got != 1 {
		t.Errorf("ListUsers calls = %d for 100 lookups of one user over 100 hours, want 1", got)
	}
}

func TestNameConcurrentCallersShareOneWalk(t *testing.T) {
	release := make(chan struct{})
	inner := users(aliceID, "mediacouser", bobID, "bob")
	fake := &fakeUsers{ListUsersFn: func(ctx context.Context, in *iam.ListUsersInput) (*iam.ListUsersOutput, error) {
		<-release // hold the walk until every caller is under way
		return inner.ListUsersFn(ctx, in)
	}}
	n := &Namer{Users: fake}

	const callers = 100
	principals := []string{"AWS:" + aliceID, aliceID, "AWS:" + bobID, "AWS:" + ghostID}
	want := []string{"mediacouser", "mediacouser", "bob", "AWS:" + ghostID}
	var started, done sync.WaitGroup
	errs := make(chan error, callers)
	for i := range callers {
		started.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			started.Done()
			p := principals[i%len(principals)]
			got, err := n.Name(context.Background(), p)
			if err != nil || got != want[i%len(want)] {
				errs <- fmt.Errorf("Name(%q) = %q, %v; want %q", p, got, err, want[i%len(want)])
			}
		}()
	}
	started.Wait()
	time.Sleep(10 * time.Millisecond) // let the callers reach the walk
	close(release)
	done.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := fake.calls.Load(); got != 1 {
		t.Errorf("ListUsers calls = %d for %d concurrent callers, want 1", got, callers)
	}
}

func TestNameUnknownUsers(t *testing.T) {
	const (
		newID   = "AIDANEWUSEREXAMPLE004" // created just after the second walk
		otherID = "AIDAOTHERUNKNOWN00005"
	)
	known := []string{aliceID, "mediacouser"}
	fake := &fakeUsers{}
	fake.ListUsersFn = func(ctx context.Context, in *iam.ListUsersInput) (*iam.ListUsersOutput, error) {
		return users(known...).ListUsersFn(ctx, in)
	}
	c := newClock()
	n := (&Namer{Users: fake, Interval: time.Minute}).withClock(c)

	steps := []struct {
		name      string
		advance   time.Duration
		before    func()
		principal string
		want      string
		calls     int32
	}{
		{name: "ghost walks once", principal: "AWS:" + ghostID, want: "AWS:" + ghostID, calls: 1},
		{name: "ghost is unknown for good", advance: time.Hour, principal: "AWS:" + ghostID, want: "AWS:" + ghostID, calls: 1},
		{name: "another unknown id walks", principal: "AWS:" + otherID, want: "AWS:" + otherID, calls: 2},
		{name: "new user within the interval: no walk", advance: 59 * time.Second,
			before:    func() { known = append(known, newID, "newcomer") },
			principal: "AWS:" + newID, want: "AWS:" + newID, calls: 2},
		{name: "new user after the interval: its own walk", advance: time.Second, principal: "AWS:" + newID, want: "newcomer", calls: 3},
		{name: "new user cached", advance: time.Hour, principal: "AWS:" + newID, want: "newcomer", calls: 3},
		{name: "known user cached", principal: "AWS:" + aliceID, want: "mediacouser", calls: 3},
		{name: "other id, absent from its own walk, stays unknown", principal: "AWS:" + otherID, want: "AWS:" + otherID, calls: 3},
	}
	for _, s := range steps {
		c.advance(s.advance)
		if s.before != nil {
			s.before()
		}
		if got := name(t, n, s.principal); got != s.want {
			t.Errorf("%s: Name() = %q, want %q", s.name, got, s.want)
		}
		if got := fake.calls.Load(); got != s.calls {
			t.Errorf("%s: ListUsers calls = %d, want %d", s.name, got, s.calls)
		}
	}
}

func TestNameLookupFails(t *testing.T) {
	denied := &smithy.GenericAPIError{Code: "AccessDenied", Message: "not authorized to perform iam:ListUsers"}
	throttled := &smithy.GenericAPIError{Code: "Throttling", Message: "Rate exceeded"}
	tests := []struct {
		name  string
		fake  *fakeUsers
		check func(error) bool
	}{
		{name: "access denied", fake: failing(denied), check: func(err error) bool {
			var ae smithy.APIError
			return errors.As(err, &ae) && ae.ErrorCode() == "AccessDenied"
		}},
		{name: "throttling", fake: failing(throttled), check: func(err error) bool { return errors.Is(err, throttled) }},
		{name: "timeout", fake: &fakeUsers{ListUsersFn: func(ctx context.Context, _ *iam.ListUsersInput) (*iam.ListUsersOutput, error) {
			<-ctx.Done() // a hung endpoint: only the Namer's timeout ends the call
			return nil, ctx.Err()
		}}, check: func(err error) bool { return errors.Is(err, context.DeadlineExceeded) }},
		{name: "truncated without a marker", fake: &fakeUsers{ListUsersFn: func(context.Context, *iam.ListUsersInput) (*iam.ListUsersOutput, error) {
			return &iam.ListUsersOutput{IsTruncated: true}, nil
		}}, check: func(err error) bool { return err != nil }},
		{name: "marker repeated", fake: &fakeUsers{ListUsersFn: func(context.Context, *iam.ListUsersInput) (*iam.ListUsersOutput, error) {
			return &iam.ListUsersOutput{IsTruncated: true, Marker: aws.String("again")}, nil
		}}, check: func(err error) bool { return err != nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClock()
			n := (&Namer{Users: tt.fake, Timeout: 20 * time.Millisecond}).withClock(c)
			p := "AWS:" + aliceID
			calls := tt.fake.calls.Load
			got, err := n.Name(context.Background(), p)
			if got != p || err == nil || !tt.check(err) {
				t.Fatalf("Name() = %q, %v; want the raw id and the cause", got, err)
			}
			t.Logf("error: %v", err)

			// Within the interval the failure is remembered, not retried.
			before := calls()
			c.advance(DefaultInterval - time.Second)
			got, err = n.Name(context.Background(), p)
			if got != p || err == nil || !tt.check(err) {
				t.Errorf("Name() within the interval = %q, %v; want the raw id and the remembered cause", got, err)
			}
			if calls() != before {
				t.Errorf("ListUsers calls within the interval: %d, want none", calls()-before)
			}

			// After it, IAM is asked again and may answer.
			tt.fake.ListUsersFn = users(aliceID, "mediacouser").ListUsersFn
			c.advance(time.Second)
			if got := name(t, n, p); got != "mediacouser" {
				t.Errorf("Name() after the interval = %q, want mediacouser", got)
			}
		})
	}
}

func TestNameCallerGivesUp(t *testing.T) {
	release := make(chan struct{})
	inner := users(aliceID, "mediacouser")
	fake := &fakeUsers{ListUsersFn: func(ctx context.Context, in *iam.ListUsersInput) (*iam.ListUsersOutput, error) {
		<-release
		return inner.ListUsersFn(ctx, in)
	}}
	n := &Namer{Users: fake}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	p := "AWS:" + aliceID
	got, err := n.Name(ctx, p)
	if got != p || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Name() = %q, %v; want the raw id and the deadline", got, err)
	}

	// The walk goes on without the caller who started it, and serves the
	// next one.
	close(release)
	if got := name(t, n, p); got != "mediacouser" {
		t.Errorf("Name() = %q, want mediacouser", got)
	}
	if got := fake.calls.Load(); got != 1 {
		t.Errorf("ListUsers calls = %d, want 1", got)
	}
}

func TestNameRoles(t *testing.T) {
	session := "AWS:" + editorsID + ":alice@example.com"
	fallback := "session alice@example.com (role " + editorsID + ")"
	roles := func(err error, idNames ...string) *fakeRoles {
		return &fakeRoles{ListRolesFn: func(_ context.Context, in *iam.ListRolesInput) (*iam.ListRolesOutput, error) {
			if err != nil {
				return nil, err
			}
			if aws.ToString(in.PathPrefix) != "/agency/" {
				t.Errorf("ListRoles PathPrefix = %q, want /agency/", aws.ToString(in.PathPrefix))
			}
			out := &iam.ListRolesOutput{}
			for i := 0; i+1 < len(idNames); i += 2 {
				out.Roles = append(out.Roles, types.Role{RoleId: aws.String(idNames[i]), RoleName: aws.String(idNames[i+1])})
			}
			return out, nil
		}}
	}
	tests := []struct {
		name    string
		roles   *fakeRoles
		want    string
		wantErr bool
	}{
		{name: "known role", roles: roles(nil, editorsID, "Editors"), want: "role Editors (session alice@example.com)"},
		{name: "unknown role", roles: roles(nil, "AROAOTHEREXAMPLE00001", "Other"), want: fallback},
		{name: "lookup fails", roles: roles(&smithy.GenericAPIError{Code: "AccessDenied"}), want: fallback, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			users := users(aliceID, "mediacouser")
			n := &Namer{Users: users, Roles: tt.roles, RolePathPrefix: "/agency/"}
			for range 3 {
				got, err := n.Name(context.Background(), session)
				if got != tt.want || (err != nil) != tt.wantErr {
					t.Errorf("Name() = %q, %v; want %q, error %v", got, err, tt.want, tt.wantErr)
				}
			}
			if got := tt.roles.calls.Load(); got != 1 {
				t.Errorf("ListRoles calls = %d, want 1", got)
			}
			if got := users.calls.Load(); got != 0 {
				t.Errorf("ListUsers calls = %d for a role session, want 0", got)
			}
		})
	}
}
