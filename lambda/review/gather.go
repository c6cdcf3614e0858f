package review

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"
)

// One interface per IAM call, each satisfied by *iam.Client. All of them
// read; the review never changes IAM.
type (
	userGetter interface {
		GetUser(context.Context, *iam.GetUserInput, ...func(*iam.Options)) (*iam.GetUserOutput, error)
	}
	accessKeyLister interface {
		ListAccessKeys(context.Context, *iam.ListAccessKeysInput, ...func(*iam.Options)) (*iam.ListAccessKeysOutput, error)
	}
	keyLastUsedGetter interface {
		GetAccessKeyLastUsed(context.Context, *iam.GetAccessKeyLastUsedInput, ...func(*iam.Options)) (*iam.GetAccessKeyLastUsedOutput, error)
	}
	mfaLister interface {
		ListMFADevices(context.Context, *iam.ListMFADevicesInput, ...func(*iam.Options)) (*iam.ListMFADevicesOutput, error)
	}
	loginProfileGetter interface {
		GetLoginProfile(context.Context, *iam.GetLoginProfileInput, ...func(*iam.Options)) (*iam.GetLoginProfileOutput, error)
	}
	userPolicyLister interface {
		ListUserPolicies(context.Context, *iam.ListUserPoliciesInput, ...func(*iam.Options)) (*iam.ListUserPoliciesOutput, error)
	}
	userPolicyGetter interface {
		GetUserPolicy(context.Context, *iam.GetUserPolicyInput, ...func(*iam.Options)) (*iam.GetUserPolicyOutput, error)
	}
	attachedUserPolicyLister interface {
		ListAttachedUserPolicies(context.Context, *iam.ListAttachedUserPoliciesInput, ...func(*iam.Options)) (*iam.ListAttachedUserPoliciesOutput, error)
	}
	policyGetter interface {
		GetPolicy(context.Context, *iam.GetPolicyInput, ...func(*iam.Options)) (*iam.GetPolicyOutput, error)
	}
	policyVersionGetter interface {
		GetPolicyVersion(context.Context, *iam.GetPolicyVersionInput, ...func(*iam.Options)) (*iam.GetPolicyVersionOutput, error)
	}
	groupLister interface {
		ListGroupsForUser(context.Context, *iam.ListGroupsForUserInput, ...func(*iam.Options)) (*iam.ListGroupsForUserOutput, error)
	}
	groupPolicyLister interface {
		ListGroupPolicies(context.Context, *iam.ListGroupPoliciesInput, ...func(*iam.Options)) (*iam.ListGroupPoliciesOutput, error)
	}
	groupPolicyGetter interface {
		GetGroupPolicy(context.Context, *iam.GetGroupPolicyInput, ...func(*iam.Options)) (*iam.GetGroupPolicyOutput, error)
	}
	attachedGroupPolicyLister interface {
		ListAttachedGroupPolicies(context.Context, *iam.ListAttachedGroupPoliciesInput, ...func(*iam.Options)) (*iam.ListAttachedGroupPoliciesOutput, error)
	}
)

// IAM is every read the review makes, each a one-method interface above.
// *iam.Client satisfies it, and so does the replay stand-in.
type IAM interface {
	userGetter
	accessKeyLister
	keyLastUsedGetter
	mfaLister
	loginProfileGetter
	userPolicyLister
	userPolicyGetter
	attachedUserPolicyLister
	policyGetter
	policyVersionGetter
	groupLister
	groupPolicyLister
	groupPolicyGetter
	attachedGroupPolicyLister
}

var _ IAM = (*iam.Client)(nil)

// DefaultCallTimeout bounds each IAM call when a Gatherer sets none.
const DefaultCallTimeout = 10 * time.Second

// Gatherer reads one user's IAM state. Each call, each page included, gets
// its own timeout.
type Gatherer struct {
	IAM     IAM
	Timeout time.Duration
}

func (g *Gatherer) call(ctx context.Context) (context.Context, context.CancelFunc) {
	t := g.Timeout
	if t <= 0 {
		t = DefaultCallTimeout
	}
	return context.WithTimeout(ctx, t)
}

// Gather reads everything the review needs about userName. A policy
// document IAM refuses to show (AccessDenied) or that does not parse is kept
// with its error, for the review to report; any other error stops Gather.
func (g *Gatherer) Gather(ctx context.Context, userName string) (User, error) {
	var u User
	cctx, cancel := g.call(ctx)
	out, err := g.IAM.GetUser(cctx, &iam.GetUserInput{UserName: aws.String(userName)})
	cancel()
	if err != nil {
		return User{}, fmt.Errorf("review: get user %s: %w", userName, err)
	}
	if out.User != nil {
		u.UserName = aws.ToString(out.User.UserName)
		u.UserID = aws.ToString(out.User.UserId)
		u.Arn = aws.ToString(out.User.Arn)
		u.CreateDate = aws.ToTime(out.User.CreateDate)
		u.PasswordLastUsed = aws.ToTime(out.User.PasswordLastUsed)
	}
	if u.UserName == "" {
		u.UserName = userName
	}
	managed := map[string]Policy{} // by ARN: a policy on the user and a group is read once
	steps := []func() error{
		func() (err error) { u.AccessKeys, err = g.accessKeys(ctx, userName); return err },
		func() (err error) { u.MFADevices, err = g.mfaDevices(ctx, userName); return err },
		func() (err error) { u.LoginProfile, err = g.loginProfile(ctx, userName); return err },
		func() (err error) { u.InlinePolicies, err = g.userInline(ctx, userName); return err },
		func() (err error) { u.AttachedPolicies, err = g.userAttached(ctx, userName, managed); return err },
		func() (err error) { u.Groups, err = g.groups(ctx, userName, managed); return err },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return User{}, err
		}
	}
	return u, nil
}

func (g *Gatherer) accessKeys(ctx context.Context, user string) ([]AccessKey, error) {
	var keys []AccessKey
	p := iam.NewListAccessKeysPaginator(g.IAM, &iam.ListAccessKeysInput{UserName: aws.String(user)})
	for p.HasMorePages() {
		cctx, cancel := g.call(ctx)
		page, err := p.NextPage(cctx)
		cancel()
		if err != nil {
			return nil, fmt.Errorf("review: list access keys for %s: %w", user, err)
		}
		for _, m := range page.AccessKeyMetadata {
			keys = append(keys, AccessKey{
				AccessKeyID: aws.ToString(m.AccessKeyId),
				Status:      string(m.Status),
				CreateDate:  aws.ToTime(m.CreateDate),
			})
		}
	}
	for i := range keys {
		cctx, cancel := g.call(ctx)
		out, err := g.IAM.GetAccessKeyLastUsed(cctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String(keys[i].AccessKeyID)})
		cancel()
		if err != nil {
			return nil, fmt.Errorf("review: get last use of access key %s: %w", keys[i].AccessKeyID, err)
		}
		if lu := out.AccessKeyLastUsed; lu != nil {
			keys[i].LastUsedDate = aws.ToTime(lu.LastUsedDate)
			// IAM says "N/A" when the key was never used.
			if s := aws.ToString(lu.ServiceName); s != "N/A" {
				keys[i].LastUsedService = s
			}
		}
	}
	return keys, nil
}

func (g *Gatherer) mfaDevices(ctx context.Context, user string) ([]MFADevice, error) {
	var out []MFADevice
	p := iam.NewListMFADevicesPaginator(g.IAM, &iam.ListMFADevicesInput{UserName: aws.String(user)})
	for p.HasMorePages() {
		cctx, cancel := g.call(ctx)
		page, err := p.NextPage(cctx)
		cancel()
		if err != nil {
			return nil, fmt.Errorf("review: list MFA devices for %s: %w", user, err)
		}
		for _, d := range page.MFADevices {
			out = append(out, MFADevice{SerialNumber: aws.ToString(d.SerialNumber), EnableDate: aws.ToTime(d.EnableDate)})
		}
	}
	return out, nil
}

// loginProfile returns the console password, or nil when IAM has none
// (NoSuchEntity): then the user has no console access.
func (g *Gatherer) loginProfile(ctx context.Context, user string) (*LoginProfile, error) {
	cctx, cancel := g.call(ctx)
	out, err := g.IAM.GetLoginProfile(cctx, &iam.GetLoginProfileInput{UserName: aws.String(user)})
	cancel()
	var none *types.NoSuchEntityException
	switch {
	case errors.As(err, &none):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("review: get login profile of %s: %w", user, err)
	case out.LoginProfile == nil:
		return nil, nil
	}
	return &LoginProfile{
		CreateDate:            aws.ToTime(out.LoginProfile.CreateDate),
		PasswordResetRequired: out.LoginProfile.PasswordResetRequired,
	}, nil
}

func (g *Gatherer) userInline(ctx context.Context, user string) ([]Policy, error) {
	var names []string
	p := iam.NewListUserPoliciesPaginator(g.IAM, &iam.ListUserPoliciesInput{UserName: aws.String(user)})
	for p.HasMorePages() {
		cctx, cancel := g.call(ctx)
		page, err := p.NextPage(cctx)
		cancel()
		if err != nil {
			return nil, fmt.Errorf("review: list inline policies of user %s: %w", user, err)
		}
		names = append(names, page.PolicyNames...)
	}
	var out []Policy
	for _, name := range names {
		cctx, cancel := g.call(ctx)
		got, err := g.IAM.GetUserPolicy(cctx, &iam.GetUserPolicyInput{UserName: aws.String(user), PolicyName: aws.String(name)})
		cancel()
		pol, err := readable(Policy{Name: name}, func() string { return aws.ToString(got.PolicyDocument) }, err)
		if err != nil {
			return nil, fmt.Errorf("review: get inline policy %s of user %s: %w", name, user, err)
		}
		out = append(out, pol)
	}
	return out, nil
}

func (g *Gatherer) userAttached(ctx context.Context, user string, cache map[string]Policy) ([]Policy, error) {
	var attached []types.AttachedPolicy
	p := iam.NewListAttachedUserPoliciesPaginator(g.IAM, &iam.ListAttachedUserPoliciesInput{UserName: aws.String(user)})
	for p.HasMorePages() {
		cctx, cancel := g.call(ctx)
		page, err := p.NextPage(cctx)
		cancel()
		if err != nil {
			return nil, fmt.Errorf("review: list managed policies of user %s: %w", user, err)
		}
		attached = append(attached, page.AttachedPolicies...)
	}
	return g.managedPolicies(ctx, attached, cache)
}

func (g *Gatherer) groups(ctx context.Context, user string, cache map[string]Policy) ([]Group, error) {
	var groups []Group
	p := iam.NewListGroupsForUserPaginator(g.IAM, &iam.ListGroupsForUserInput{UserName: aws.String(user)})
	for p.HasMorePages() {
		cctx, cancel := g.call(ctx)
		page, err := p.NextPage(cctx)
		cancel()
		if err != nil {
			return nil, fmt.Errorf("review: list groups of user %s: %w", user, err)
		}
		for _, gr := range page.Groups {
			groups = append(groups, Group{Name: aws.ToString(gr.GroupName), Arn: aws.ToString(gr.Arn)})
		}
	}
	for i := range groups {
		var err error
		if groups[i].InlinePolicies, err = g.groupInline(ctx, groups[i].Name); err != nil {
			return nil, err
		}
		if groups[i].AttachedPolicies, err = g.groupAttached(ctx, groups[i].Name, cache); err != nil {
			return nil, err
		}
	}
	return groups, nil
}

func (g *Gatherer) groupInline(ctx context.Context, group string) ([]Policy, error) {
	var names []string
	p := iam.NewListGroupPoliciesPaginator(g.IAM, &iam.ListGroupPoliciesInput{GroupName: aws.String(group)})
	for p.HasMorePages() {
		cctx, cancel := g.call(ctx)
		page, err := p.NextPage(cctx)
		cancel()
		if err != nil {
			return nil, fmt.Errorf("review: list inline policies of group %s: %w", group, err)
		}
		names = append(names, page.PolicyNames...)
	}
	var out []Policy
	for _, name := range names {
		cctx, cancel := g.call(ctx)
		got, err := g.IAM.GetGroupPolicy(cctx, &iam.GetGroupPolicyInput{GroupName: aws.String(group), PolicyName: aws.String(name)})
		cancel()
		pol, err := readable(Policy{Name: name}, func() string { return aws.ToString(got.PolicyDocument) }, err)
		if err != nil {
			return nil, fmt.Errorf("review: get inline policy %s of group %s: %w", name, group, err)
		}
		out = append(out, pol)
	}
	return out, nil
}

func (g *Gatherer) groupAttached(ctx context.Context, group string, cache map[string]Policy) ([]Policy, error) {
	var attached []types.AttachedPolicy
	p := iam.NewListAttachedGroupPoliciesPaginator(g.IAM, &iam.ListAttachedGroupPoliciesInput{GroupName: aws.String(group)})
	for p.HasMorePages() {
		cctx, cancel := g.call(ctx)
		page, err := p.NextPage(cctx)
		cancel()
		if err != nil {
			return nil, fmt.Errorf("review: list managed policies of group %s: %w", group, err)
		}
		attached = append(attached, page.AttachedPolicies...)
	}
	return g.managedPolicies(ctx, attached, cache)
}

// managedPolicies reads the default version of each attached policy.
func (g *Gatherer) managedPolicies(ctx context.Context, attached []types.AttachedPolicy, cache map[string]Policy) ([]Policy, error) {
	var out []Policy
	for _, a := range attached {
		arn := aws.ToString(a.PolicyArn)
		if pol, ok := cache[arn]; ok {
			out = append(out, pol)
			continue
		}
		pol, err := g.managedPolicy(ctx, Policy{Name: aws.ToString(a.PolicyName), Arn: arn})
		if err != nil {
			return nil, err
		}
		cache[arn] = pol
		out = append(out, pol)
	}
	return out, nil
}

func (g *Gatherer) managedPolicy(ctx context.Context, pol Policy) (Policy, error) {
	cctx, cancel := g.call(ctx)
	meta, err := g.IAM.GetPolicy(cctx, &iam.GetPolicyInput{PolicyArn: aws.String(pol.Arn)})
	cancel()
	if err == nil && (meta.Policy == nil || aws.ToString(meta.Policy.DefaultVersionId) == "") {
		err = errors.New("no default version")
	}
	if err != nil {
		if denied(err) {
			pol.Err = err
			return pol, nil
		}
		return Policy{}, fmt.Errorf("review: get policy %s: %w", pol.Arn, err)
	}
	pol.VersionID = aws.ToString(meta.Policy.DefaultVersionId)
	cctx, cancel = g.call(ctx)
	ver, err := g.IAM.GetPolicyVersion(cctx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(pol.Arn), VersionId: aws.String(pol.VersionID)})
	cancel()
	pol, err = readable(pol, func() string {
		if ver.PolicyVersion == nil {
			return ""
		}
		return aws.ToString(ver.PolicyVersion.Document)
	}, err)
	if err != nil {
		return Policy{}, fmt.Errorf("review: get policy %s version %s: %w", pol.Arn, pol.VersionID, err)
	}
	return pol, nil
}

// readable fills pol's document from a Get call's result. AccessDenied and
// a document that does not parse become pol.Err; other errors return.
func readable(pol Policy, doc func() string, err error) (Policy, error) {
	switch {
	case denied(err):
		pol.Err = err
		return pol, nil
	case err != nil:
		return Policy{}, err
	}
	pol.Document, pol.Err = ParseDocument(doc())
	return pol, nil
}

// denied reports whether IAM refused the call for lack of permission.
func denied(err error) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && (ae.ErrorCode() == "AccessDenied" || ae.ErrorCode() == "AccessDeniedException")
}
