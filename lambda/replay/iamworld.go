package replay

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// DefaultUserName is the user a world file reviews when it names none.
const DefaultUserName = "mediacouser"

// exampleAccount stands in for the account id when the world gives no ARN.
const exampleAccount = "123456789012"

// IAMWorld is a stand-in IAM client for make replay-review. It serves, read
// only, the one user a WORLD file describes, the way IAM would: documents
// URL-encoded, lists in pages with a Marker, NoSuchEntity for what is
// absent.
//
// The WORLD file is
//
//	{"now": "<RFC 3339>", "intended": <policy document>,
//	 "stackAccessKeyId": "<id of the key the stack made>",
//	 "user": {"UserName", "UserId", "Arn", "CreateDate", "PasswordLastUsed",
//	          "LoginProfile", "MFADevices": [...],
//	          "AccessKeys": [{"AccessKeyId", "Status", "CreateDate", "LastUsedDate", "LastUsedService"}],
//	          "InlinePolicies": [{"PolicyName", "Document"}],
//	          "AttachedPolicies": [{"PolicyName", "PolicyArn", "Document"}],
//	          "Groups": [{"GroupName", "InlinePolicies": [...], "AttachedPolicies": [...]}]}}
//
// Missing fields mean absent: without "stackAccessKeyId" the stack made no
// access key (cliAccessKey false), so every key of the user is one nobody
// intended. A Document is a JSON object or a string of JSON, URL-encoded or
// not; a policy without one is unreadable, except the broad AWS managed
// policies in knownAWSPolicies, named by ARN or name.
// MFADevices entries are serial strings or {"SerialNumber", "EnableDate"}
// objects. Times are RFC 3339; a date alone or a time without zone is read
// as UTC.
//
// Console access: "LoginProfile" may be an object {"CreateDate",
// "PasswordResetRequired"}, true, or false/null. When it is left out, the
// user has a console password exactly when "PasswordLastUsed" is set.
type IAMWorld struct {
	// Now is the world's "now"; zero when the file has none.
	Now time.Time
	// Intended is the "intended" document as JSON text; "" when absent.
	Intended string
	// StackAccessKeyID is the id of the access key the stack made, as the
	// reviewer reads it from STACK_ACCESS_KEY_ID; "" when the stack made
	// none.
	StackAccessKeyID string
	// PageSize is how many items a list returns per page; 0 means 100.
	PageSize int

	user     worldUser
	account  string
	policies map[string]string // managed policy ARN -> URL-encoded document
}

type worldUser struct {
	name, id, arn    string
	created, pwdUsed time.Time
	login            *types.LoginProfile
	mfa              []types.MFADevice
	keys             []worldKey
	inline           []worldPolicy
	attached         []worldPolicy
	groups           []worldGroup
}

type worldKey struct {
	meta     types.AccessKeyMetadata
	lastUsed time.Time
	service  string
}

type worldPolicy struct {
	name, arn, doc string
}

type worldGroup struct {
	name, arn string
	inline    []worldPolicy
	attached  []worldPolicy
}

// worldTime reads a time leniently: RFC 3339, or without zone (UTC), or a
// date alone; null and "" mean absent.
type worldTime struct{ time.Time }

func (t *worldTime) UnmarshalJSON(b []byte) error {
	var s *string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("time %s: want an RFC 3339 string", b)
	}
	if s == nil || strings.TrimSpace(*s) == "" {
		return nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02"} {
		if v, err := time.Parse(layout, strings.TrimSpace(*s)); err == nil {
			t.Time = v.UTC()
			return nil
		}
	}
	return fmt.Errorf("time %q: want RFC 3339", *s)
}

type worldFile struct {
	Now              worldTime
	Intended         json.RawMessage
	StackAccessKeyID string `json:"stackAccessKeyId"`
	User             struct {
		UserName         string
		UserId           string
		Arn              string
		CreateDate       worldTime
		PasswordLastUsed worldTime
		LoginProfile     json.RawMessage
		MFADevices       []json.RawMessage
		AccessKeys       []struct {
			AccessKeyId     string
			Status          string
			CreateDate      worldTime
			LastUsedDate    worldTime
			LastUsedService string
		}
		InlinePolicies   []worldPolicyJSON
		AttachedPolicies []worldPolicyJSON
		Groups           []struct {
			GroupName        string
			InlinePolicies   []worldPolicyJSON
			AttachedPolicies []worldPolicyJSON
		}
	}
}

type worldPolicyJSON struct {
	PolicyName string
	PolicyArn  string
	Document   json.RawMessage
}

// LoadIAMWorld reads a WORLD file. It fails only on JSON that does not have
// the world's shape (a field of the wrong type, a time it cannot read).
func LoadIAMWorld(data []byte) (*IAMWorld, error) {
	var f worldFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("replay: world: %w", err)
	}
	w := &IAMWorld{Now: f.Now.Time, StackAccessKeyID: f.StackAccessKeyID, account: exampleAccount, policies: map[string]string{}}
	if text, err := documentText(f.Intended); err != nil {
		return nil, fmt.Errorf("replay: world: intended: %w", err)
	} else if text != "" {
		w.Intended = text
	}

	fu := f.User
	u := worldUser{
		name: fu.UserName, id: fu.UserId, arn: fu.Arn,
		created: fu.CreateDate.Time, pwdUsed: fu.PasswordLastUsed.Time,
	}
	if u.name == "" {
		u.name = DefaultUserName
	}
	if parts := strings.Split(u.arn, ":"); len(parts) >= 5 && parts[4] != "" {
		w.account = parts[4]
	}
	if u.arn == "" {
		u.arn = "arn:aws:iam::" + w.account + ":user/" + u.name
	}
	if u.id == "" {
		u.id = "AIDAEXAMPLEUSERID0001"
	}

	login, err := loginProfile(fu.LoginProfile, u)
	if err != nil {
		return nil, fmt.Errorf("replay: world: LoginProfile: %w", err)
	}
	u.login = login

	for i, raw := range fu.MFADevices {
		if t := bytes.TrimSpace(raw); len(t) == 0 || bytes.Equal(t, []byte("null")) {
			continue
		}
		d, err := mfaDevice(raw, u.name)
		if err != nil {
			return nil, fmt.Errorf("replay: world: MFADevices[%d]: %w", i, err)
		}
		u.mfa = append(u.mfa, d)
	}
	for _, k := range fu.AccessKeys {
		status := types.StatusTypeActive
		if strings.EqualFold(k.Status, "Inactive") {
			status = types.StatusTypeInactive
		}
		u.keys = append(u.keys, worldKey{
			meta: types.AccessKeyMetadata{
				AccessKeyId: aws.String(k.AccessKeyId),
				Status:      status,
				CreateDate:  timePtr(k.CreateDate.Time),
				UserName:    aws.String(u.name),
			},
			lastUsed: k.LastUsedDate.Time,
			service:  k.LastUsedService,
		})
	}
	if u.inline, err = w.policyList(fu.InlinePolicies, false); err != nil {
		return nil, fmt.Errorf("replay: world: InlinePolicies: %w", err)
	}
	if u.attached, err = w.policyList(fu.AttachedPolicies, true); err != nil {
		return nil, fmt.Errorf("replay: world: AttachedPolicies: %w", err)
	}
	for _, g := range fu.Groups {
		wg := worldGroup{name: g.GroupName, arn: "arn:aws:iam::" + w.account + ":group/" + g.GroupName}
		if wg.inline, err = w.policyList(g.InlinePolicies, false); err != nil {
			return nil, fmt.Errorf("replay: world: group %s: InlinePolicies: %w", g.GroupName, err)
		}
		if wg.attached, err = w.policyList(g.AttachedPolicies, true); err != nil {
			return nil, fmt.Errorf("replay: world: group %s: AttachedPolicies: %w", g.GroupName, err)
		}
		u.groups = append(u.groups, wg)
	}
	w.user = u
	return w, nil
}

// UserName is the user the world describes.
func (w *IAMWorld) UserName() string { return w.user.name }

func (w *IAMWorld) policyList(in []worldPolicyJSON, managed bool) ([]worldPolicy, error) {
	var out []worldPolicy
	for _, p := range in {
		doc, err := documentText(p.Document)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p.PolicyName, err)
		}
		wp := worldPolicy{name: p.PolicyName, arn: p.PolicyArn}
		if managed && doc == "" {
			// IAM knows the documents of its own policies; so does the
			// stand-in, for the broad ones someone might attach by hand.
			if wp.arn == "" && knownAWSPolicies[wp.name] != "" {
				wp.arn = "arn:aws:iam::aws:policy/" + wp.name
			}
			if name, ok := strings.CutPrefix(wp.arn, "arn:aws:iam::aws:policy/"); ok {
				doc = knownAWSPolicies[name]
			}
		}
		// IAM returns documents URL-encoded; so does the stand-in, unless
		// the world already gives them so. A policy without a document is
		// served as an empty one, which the review reports as unreadable.
		if t := strings.TrimSpace(doc); strings.HasPrefix(t, "{") || strings.HasPrefix(t, "[") {
			doc = url.QueryEscape(doc)
		}
		wp.doc = doc
		if managed {
			if wp.arn == "" {
				wp.arn = "arn:aws:iam::" + w.account + ":policy/" + wp.name
			}
			if wp.name == "" {
				wp.name = wp.arn[strings.LastIndex(wp.arn, "/")+1:]
			}
			if _, seen := w.policies[wp.arn]; !seen {
				w.policies[wp.arn] = doc
			}
		}
		out = append(out, wp)
	}
	return out, nil
}

// knownAWSPolicies are the documents of broad AWS managed policies, as AWS
// publishes them, for worlds that attach one by name or ARN alone.
var knownAWSPolicies = map[string]string{
	"AdministratorAccess":    `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`,
	"PowerUserAccess":        `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":["iam:*","organizations:*","account:*"],"Resource":"*"},{"Effect":"Allow","Action":["account:GetAccountInformation","account:GetGovCloudAccountInformation","account:GetPrimaryEmail","account:ListRegions","iam:CreateServiceLinkedRole","iam:DeleteServiceLinkedRole","iam:ListRoles","organizations:DescribeEffectivePolicy","organizations:DescribeOrganization"],"Resource":"*"}]}`,
	"AmazonS3FullAccess":     `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*","s3-object-lambda:*"],"Resource":"*"}]}`,
	"AmazonS3ReadOnlyAccess": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:Get*","s3:List*","s3:Describe*","s3-object-lambda:Get*","s3-object-lambda:List*"],"Resource":"*"}]}`,
}

// documentText turns a world document (object, or string of JSON, or
// absent) into text: JSON, or URL-encoded JSON as the world gave it.
func documentText(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return "", nil
	}
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", err
		}
		return s, nil
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return "", err
	}
	return buf.String(), nil
}

func loginProfile(raw json.RawMessage, u worldUser) (*types.LoginProfile, error) {
	raw = bytes.TrimSpace(raw)
	switch {
	case len(raw) == 0:
		if u.pwdUsed.IsZero() {
			return nil, nil
		}
		return &types.LoginProfile{UserName: aws.String(u.name)}, nil
	case bytes.Equal(raw, []byte("null")), bytes.Equal(raw, []byte("false")):
		return nil, nil
	case bytes.Equal(raw, []byte("true")):
		return &types.LoginProfile{UserName: aws.String(u.name)}, nil
	}
	var lp struct {
		CreateDate            worldTime
		PasswordResetRequired bool
	}
	if err := json.Unmarshal(raw, &lp); err != nil {
		return nil, err
	}
	return &types.LoginProfile{
		UserName:              aws.String(u.name),
		CreateDate:            timePtr(lp.CreateDate.Time),
		PasswordResetRequired: lp.PasswordResetRequired,
	}, nil
}

func mfaDevice(raw json.RawMessage, user string) (types.MFADevice, error) {
	d := types.MFADevice{UserName: aws.String(user)}
	if t := bytes.TrimSpace(raw); len(t) > 0 && t[0] == '"' {
		var s string
		if err := json.Unmarshal(t, &s); err != nil {
			return d, err
		}
		d.SerialNumber = aws.String(s)
		return d, nil
	}
	var m struct {
		SerialNumber string
		EnableDate   worldTime
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		return d, err
	}
	d.SerialNumber = aws.String(m.SerialNumber)
	d.EnableDate = timePtr(m.EnableDate.Time)
	return d, nil
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// page cuts items at marker into one page, as IAM's Marker and MaxItems do.
func page[T any](w *IAMWorld, items []T, marker *string, maxItems *int32) ([]T, *string, error) {
	start := 0
	if m := aws.ToString(marker); m != "" {
		n, err := strconv.Atoi(m)
		if err != nil || n < 0 || n > len(items) {
			return nil, nil, fmt.Errorf("replay: iam: bad marker %q", m)
		}
		start = n
	}
	size := 100
	if w.PageSize > 0 {
		size = w.PageSize
	}
	if maxItems != nil && *maxItems > 0 {
		size = int(*maxItems)
	}
	end := min(start+size, len(items))
	var next *string
	if end < len(items) {
		next = aws.String(strconv.Itoa(end))
	}
	return items[start:end], next, nil
}

func noSuchEntity(format string, a ...any) error {
	return &types.NoSuchEntityException{Message: aws.String(fmt.Sprintf(format, a...))}
}

func (w *IAMWorld) checkUser(name *string) error {
	if aws.ToString(name) != w.user.name {
		return noSuchEntity("The user with name %s cannot be found.", aws.ToString(name))
	}
	return nil
}

func (w *IAMWorld) group(name *string) (*worldGroup, error) {
	for i := range w.user.groups {
		if w.user.groups[i].name == aws.ToString(name) {
			return &w.user.groups[i], nil
		}
	}
	return nil, noSuchEntity("The group with name %s cannot be found.", aws.ToString(name))
}

// GetUser serves the world's user.
func (w *IAMWorld) GetUser(_ context.Context, in *iam.GetUserInput, _ ...func(*iam.Options)) (*iam.GetUserOutput, error) {
	if err := w.checkUser(in.UserName); err != nil {
		return nil, err
	}
	u := w.user
	return &iam.GetUserOutput{User: &types.User{
		UserName: aws.String(u.name), UserId: aws.String(u.id), Arn: aws.String(u.arn), Path: aws.String("/"),
		CreateDate: timePtr(u.created), PasswordLastUsed: timePtr(u.pwdUsed),
	}}, nil
}

// ListAccessKeys serves the user's access keys.
func (w *IAMWorld) ListAccessKeys(_ context.Context, in *iam.ListAccessKeysInput, _ ...func(*iam.Options)) (*iam.ListAccessKeysOutput, error) {
	if err := w.checkUser(in.UserName); err != nil {
		return nil, err
	}
	var all []types.AccessKeyMetadata
	for _, k := range w.user.keys {
		all = append(all, k.meta)
	}
	items, next, err := page(w, all, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	return &iam.ListAccessKeysOutput{AccessKeyMetadata: items, IsTruncated: next != nil, Marker: next}, nil
}

// GetAccessKeyLastUsed serves a key's last use; "N/A" when never used.
func (w *IAMWorld) GetAccessKeyLastUsed(_ context.Context, in *iam.GetAccessKeyLastUsedInput, _ ...func(*iam.Options)) (*iam.GetAccessKeyLastUsedOutput, error) {
	for _, k := range w.user.keys {
		if aws.ToString(k.meta.AccessKeyId) != aws.ToString(in.AccessKeyId) {
			continue
		}
		lu := &types.AccessKeyLastUsed{ServiceName: aws.String("N/A"), Region: aws.String("N/A"), LastUsedDate: timePtr(k.lastUsed)}
		if k.service != "" {
			lu.ServiceName = aws.String(k.service)
		}
		return &iam.GetAccessKeyLastUsedOutput{UserName: aws.String(w.user.name), AccessKeyLastUsed: lu}, nil
	}
	return nil, noSuchEntity("The Access Key with id %s cannot be found.", aws.ToString(in.AccessKeyId))
}

// ListMFADevices serves the user's MFA devices.
func (w *IAMWorld) ListMFADevices(_ context.Context, in *iam.ListMFADevicesInput, _ ...func(*iam.Options)) (*iam.ListMFADevicesOutput, error) {
	if err := w.checkUser(in.UserName); err != nil {
		return nil, err
	}
	items, next, err := page(w, w.user.mfa, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	return &iam.ListMFADevicesOutput{MFADevices: items, IsTruncated: next != nil, Marker: next}, nil
}

// GetLoginProfile serves the console password, or NoSuchEntity.
func (w *IAMWorld) GetLoginProfile(_ context.Context, in *iam.GetLoginProfileInput, _ ...func(*iam.Options)) (*iam.GetLoginProfileOutput, error) {
	if err := w.checkUser(in.UserName); err != nil {
		return nil, err
	}
	if w.user.login == nil {
		return nil, noSuchEntity("Login Profile for User %s cannot be found.", w.user.name)
	}
	lp := *w.user.login
	return &iam.GetLoginProfileOutput{LoginProfile: &lp}, nil
}

func names(ps []worldPolicy) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.name)
	}
	return out
}

func attachedList(ps []worldPolicy) []types.AttachedPolicy {
	var out []types.AttachedPolicy
	for _, p := range ps {
		out = append(out, types.AttachedPolicy{PolicyName: aws.String(p.name), PolicyArn: aws.String(p.arn)})
	}
	return out
}

func findPolicy(ps []worldPolicy, name *string) (worldPolicy, bool) {
	for _, p := range ps {
		if p.name == aws.ToString(name) {
			return p, true
		}
	}
	return worldPolicy{}, false
}

// ListUserPolicies serves the names of the user's inline policies.
func (w *IAMWorld) ListUserPolicies(_ context.Context, in *iam.ListUserPoliciesInput, _ ...func(*iam.Options)) (*iam.ListUserPoliciesOutput, error) {
	if err := w.checkUser(in.UserName); err != nil {
		return nil, err
	}
	items, next, err := page(w, names(w.user.inline), in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	return &iam.ListUserPoliciesOutput{PolicyNames: items, IsTruncated: next != nil, Marker: next}, nil
}

// GetUserPolicy serves one inline policy, its document URL-encoded.
func (w *IAMWorld) GetUserPolicy(_ context.Context, in *iam.GetUserPolicyInput, _ ...func(*iam.Options)) (*iam.GetUserPolicyOutput, error) {
	if err := w.checkUser(in.UserName); err != nil {
		return nil, err
	}
	p, ok := findPolicy(w.user.inline, in.PolicyName)
	if !ok {
		return nil, noSuchEntity("The user policy with name %s cannot be found.", aws.ToString(in.PolicyName))
	}
	return &iam.GetUserPolicyOutput{UserName: aws.String(w.user.name), PolicyName: aws.String(p.name), PolicyDocument: aws.String(p.doc)}, nil
}

// ListAttachedUserPolicies serves the user's managed policies.
func (w *IAMWorld) ListAttachedUserPolicies(_ context.Context, in *iam.ListAttachedUserPoliciesInput, _ ...func(*iam.Options)) (*iam.ListAttachedUserPoliciesOutput, error) {
	if err := w.checkUser(in.UserName); err != nil {
		return nil, err
	}
	items, next, err := page(w, attachedList(w.user.attached), in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	return &iam.ListAttachedUserPoliciesOutput{AttachedPolicies: items, IsTruncated: next != nil, Marker: next}, nil
}

// GetPolicy serves a managed policy; its default version is always v1.
func (w *IAMWorld) GetPolicy(_ context.Context, in *iam.GetPolicyInput, _ ...func(*iam.Options)) (*iam.GetPolicyOutput, error) {
	arn := aws.ToString(in.PolicyArn)
	if _, ok := w.policies[arn]; !ok {
		return nil, noSuchEntity("Policy %s does not exist or is not attachable.", arn)
	}
	name := arn[strings.LastIndex(arn, "/")+1:]
	return &iam.GetPolicyOutput{Policy: &types.Policy{Arn: aws.String(arn), PolicyName: aws.String(name), DefaultVersionId: aws.String("v1"), IsAttachable: true}}, nil
}

// GetPolicyVersion serves version v1 of a managed policy, URL-encoded.
func (w *IAMWorld) GetPolicyVersion(_ context.Context, in *iam.GetPolicyVersionInput, _ ...func(*iam.Options)) (*iam.GetPolicyVersionOutput, error) {
	arn := aws.ToString(in.PolicyArn)
	doc, ok := w.policies[arn]
	if !ok || aws.ToString(in.VersionId) != "v1" {
		return nil, noSuchEntity("Policy %s version %s does not exist.", arn, aws.ToString(in.VersionId))
	}
	return &iam.GetPolicyVersionOutput{PolicyVersion: &types.PolicyVersion{Document: aws.String(doc), VersionId: aws.String("v1"), IsDefaultVersion: true}}, nil
}

// ListGroupsForUser serves the user's groups.
func (w *IAMWorld) ListGroupsForUser(_ context.Context, in *iam.ListGroupsForUserInput, _ ...func(*iam.Options)) (*iam.ListGroupsForUserOutput, error) {
	if err := w.checkUser(in.UserName); err != nil {
		return nil, err
	}
	var all []types.Group
	for _, g := range w.user.groups {
		all = append(all, types.Group{GroupName: aws.String(g.name), Arn: aws.String(g.arn), Path: aws.String("/")})
	}
	items, next, err := page(w, all, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	return &iam.ListGroupsForUserOutput{Groups: items, IsTruncated: next != nil, Marker: next}, nil
}

// ListGroupPolicies serves the names of a group's inline policies.
func (w *IAMWorld) ListGroupPolicies(_ context.Context, in *iam.ListGroupPoliciesInput, _ ...func(*iam.Options)) (*iam.ListGroupPoliciesOutput, error) {
	g, err := w.group(in.GroupName)
	if err != nil {
		return nil, err
	}
	items, next, err := page(w, names(g.inline), in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	return &iam.ListGroupPoliciesOutput{PolicyNames: items, IsTruncated: next != nil, Marker: next}, nil
}

// GetGroupPolicy serves one inline policy of a group, URL-encoded.
func (w *IAMWorld) GetGroupPolicy(_ context.Context, in *iam.GetGroupPolicyInput, _ ...func(*iam.Options)) (*iam.GetGroupPolicyOutput, error) {
	g, err := w.group(in.GroupName)
	if err != nil {
		return nil, err
	}
	p, ok := findPolicy(g.inline, in.PolicyName)
	if !ok {
		return nil, noSuchEntity("The group policy with name %s cannot be found.", aws.ToString(in.PolicyName))
	}
	return &iam.GetGroupPolicyOutput{GroupName: aws.String(g.name), PolicyName: aws.String(p.name), PolicyDocument: aws.String(p.doc)}, nil
}

// ListAttachedGroupPolicies serves a group's managed policies.
func (w *IAMWorld) ListAttachedGroupPolicies(_ context.Context, in *iam.ListAttachedGroupPoliciesInput, _ ...func(*iam.Options)) (*iam.ListAttachedGroupPoliciesOutput, error) {
	g, err := w.group(in.GroupName)
	if err != nil {
		return nil, err
	}
	items, next, err := page(w, attachedList(g.attached), in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	return &iam.ListAttachedGroupPoliciesOutput{AttachedPolicies: items, IsTruncated: next != nil, Marker: next}, nil
}
