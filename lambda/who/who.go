// Package who names the principal behind an S3 event for people: an IAM user
// by name, an assumed role by its session, S3 itself as "S3 lifecycle", and
// anything else as it came.
//
// An S3 event carries only the principal's unique id (AIDA... for a user,
// AROA...:session for a role session), and IAM has no call that takes such
// an id: ListUsers and ListRoles are the only ways from id to name. One walk
// of every page names every user at once, so a Namer walks once, keeps the
// result for the life of the container, and walks again only for an id the
// last walk did not know, never more often than once per Interval.
package who

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// UserLister lists IAM users, one page a call. *iam.Client satisfies it.
type UserLister interface {
	ListUsers(ctx context.Context, in *iam.ListUsersInput, optFns ...func(*iam.Options)) (*iam.ListUsersOutput, error)
}

// RoleLister lists IAM roles, one page a call. *iam.Client satisfies it.
type RoleLister interface {
	ListRoles(ctx context.Context, in *iam.ListRolesInput, optFns ...func(*iam.Options)) (*iam.ListRolesOutput, error)
}

var (
	_ UserLister = (*iam.Client)(nil)
	_ RoleLister = (*iam.Client)(nil)
)

const (
	// DefaultTimeout bounds each IAM call when Namer.Timeout is 0.
	DefaultTimeout = 3 * time.Second
	// DefaultInterval is the least time between two walks of one kind when
	// Namer.Interval is 0.
	DefaultInterval = time.Minute
	// Lifecycle is the name of S3 acting on its own, as lifecycle rules do.
	Lifecycle = "S3 lifecycle"
	// Unknown is the name of an empty principal.
	Unknown = "unknown principal"
)

// Namer turns principal ids into names. Its zero value makes no lookups; a
// Namer must not be copied after first use. It is safe for concurrent use,
// and concurrent callers asking for the same unknown id share one walk.
type Namer struct {
	// Users names IAM users (AIDA...). Nil leaves them as raw ids, as an
	// offline replay without a world does.
	Users UserLister
	// PathPrefix scopes ListUsers to the users' IAM path, such as
	// "/bucketbell/", so that the role needs no account-wide listing right.
	// Empty lists every user.
	PathPrefix string

	// Roles names assumed roles (AROA...:session). It is optional: the
	// session name, often a person's e-mail, already says who acted, while
	// the role name costs iam:ListRoles on the whole account (roles have
	// their own paths, unrelated to the users'). Nil shows the session with
	// the role's id.
	Roles RoleLister
	// RolePathPrefix scopes ListRoles. Empty lists every role.
	RolePathPrefix string

	// Timeout bounds each IAM call (one page); DefaultTimeout when 0.
	Timeout time.Duration
	// Interval is the least time between two walks of one kind, whether
	// the last found nothing new or failed; DefaultInterval when 0. It
	// makes the cost of unknown ids and of an IAM outage one walk per
	// Interval per container, and longer than a batch takes, so that one
	// batch looks each principal up at most once.
	Interval time.Duration

	users, roles directory
	now          func() time.Time // time.Now; replaced in tests
}

// Name returns a name for principal, the userIdentity.principalId of an S3
// event:
//
//	AWS:AIDA... or AIDA...       the IAM user's name, such as "mediacouser"
//	AWS:AROA...:alice@example.com "role Editors (session alice@example.com)",
//	                             or "session alice@example.com (role AROA...)"
//	                             when the role's name is not known
//	s3.amazonaws.com             "S3 lifecycle"
//	""                           "unknown principal"
//	anything else                itself, as MinIO's access keys are
//
// A user IAM does not know is shown as the principal itself, with a nil
// error. When a lookup fails or ctx ends first, Name still returns a name to
// show (the principal itself, or the session) together with the error, for
// the caller to log: the change is to be reported all the same.
func (n *Namer) Name(ctx context.Context, principal string) (string, error) {
	p := strings.TrimSpace(principal)
	switch p {
	case "":
		return Unknown, nil
	case "s3.amazonaws.com":
		return Lifecycle, nil
	}
	// The S3 guide's own example omits the "AWS:" prefix that real events
	// carry.
	id := strings.TrimPrefix(p, "AWS:")
	if isUniqueID(id, "AIDA") {
		if n.Users == nil {
			return p, nil
		}
		name, err := n.users.lookup(ctx, id, n.clock(), n.interval(), n.listUsers)
		if err != nil {
			return p, fmt.Errorf("who: name %s: %w", p, err)
		}
		if name == "" {
			return p, nil
		}
		return name, nil
	}
	if role, session, ok := strings.Cut(id, ":"); ok && session != "" && isUniqueID(role, "AROA") {
		fallback := fmt.Sprintf("session %s (role %s)", session, role)
		if n.Roles == nil {
			return fallback, nil
		}
		name, err := n.roles.lookup(ctx, role, n.clock(), n.interval(), n.listRoles)
		if err != nil {
			return fallback, fmt.Errorf("who: name %s: %w", p, err)
		}
		if name == "" {
			return fallback, nil
		}
		return fmt.Sprintf("role %s (session %s)", name, session), nil
	}
	return p, nil
}

// isUniqueID reports whether id looks like an IAM unique id of the kind
// that prefix marks: the prefix, then upper-case letters and digits, at most
// 128 in all. Real ids have 21 characters; shorter ones, as in hand-written
// examples and test events, are looked up all the same. Anything else (a
// MinIO access key, say) is never sent to IAM, which also keeps junk out of
// the cache.
func isUniqueID(id, prefix string) bool {
	if len(id) <= len(prefix) || len(id) > 128 || !strings.HasPrefix(id, prefix) {
		return false
	}
	for _, c := range id {
		if (c < 'A' || c > 'Z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

func (n *Namer) clock() time.Time {
	if n.now != nil {
		return n.now()
	}
	return time.Now()
}

func (n *Namer) interval() time.Duration {
	if n.Interval > 0 {
		return n.Interval
	}
	return DefaultInterval
}

func (n *Namer) timeout() time.Duration {
	if n.Timeout > 0 {
		return n.Timeout
	}
	return DefaultTimeout
}

// maxItems asks IAM for its largest page, so that even an account at the
// 5,000-user quota takes five calls.
const maxItems = 1000

// listUsers walks every page of ListUsers under PathPrefix.
func (n *Namer) listUsers(ctx context.Context) (map[string]string, error) {
	return walkPages(ctx, n.timeout(), "list iam users", func(ctx context.Context, marker *string, names map[string]string) (bool, *string, error) {
		in := &iam.ListUsersInput{Marker: marker, MaxItems: aws.Int32(maxItems)}
		if n.PathPrefix != "" {
			in.PathPrefix = aws.String(n.PathPrefix)
		}
		out, err := n.Users.ListUsers(ctx, in)
		if err != nil {
			return false, nil, err
		}
		for _, u := range out.Users {
			if u.UserId != nil && u.UserName != nil {
				names[*u.UserId] = *u.UserName
			}
		}
		return out.IsTruncated, out.Marker, nil
	})
}

// listRoles walks every page of ListRoles under RolePathPrefix.
func (n *Namer) listRoles(ctx context.Context) (map[string]string, error) {
	return walkPages(ctx, n.timeout(), "list iam roles", func(ctx context.Context, marker *string, names map[string]string) (bool, *string, error) {
		in := &iam.ListRolesInput{Marker: marker, MaxItems: aws.Int32(maxItems)}
		if n.RolePathPrefix != "" {
			in.PathPrefix = aws.String(n.RolePathPrefix)
		}
		out, err := n.Roles.ListRoles(ctx, in)
		if err != nil {
			return false, nil, err
		}
		for _, r := range out.Roles {
			if r.RoleId != nil && r.RoleName != nil {
				names[*r.RoleId] = *r.RoleName
			}
		}
		return out.IsTruncated, out.Marker, nil
	})
}

// maxPages stops a walk that a misbehaving endpoint would keep going: IAM
// allows 5,000 users and 5,000 roles per account by default, five pages.
const maxPages = 100

// pageFunc fetches the page after marker (nil for the first), adds its ids
// and names to names, and tells whether more pages follow and from where.
type pageFunc func(ctx context.Context, marker *string, names map[string]string) (truncated bool, next *string, err error)

// walkPages calls page until the listing ends, each call under its own
// timeout, and returns every id and name seen.
func walkPages(ctx context.Context, timeout time.Duration, what string, page pageFunc) (map[string]string, error) {
	names := map[string]string{}
	var marker *string
	seen := map[string]bool{}
	for n := 1; ; n++ {
		pctx, cancel := context.WithTimeout(ctx, timeout)
		truncated, next, err := page(pctx, marker, names)
		cancel()
		if err != nil {
			return nil, fmt.Errorf("%s (page %d): %w", what, n, err)
		}
		if !truncated {
			return names, nil
		}
		m := aws.ToString(next)
		switch {
		case m == "":
			return nil, fmt.Errorf("%s (page %d): truncated without a marker", what, n)
		case seen[m]:
			return nil, fmt.Errorf("%s (page %d): marker repeated", what, n)
		case n >= maxPages:
			return nil, fmt.Errorf("%s: more than %d pages", what, maxPages)
		}
		seen[m] = true
		marker = aws.String(m)
	}
}
