package review

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

var now = time.Date(2026, 9, 1, 9, 0, 0, 0, time.UTC)

func daysAgo(n int) time.Time { return now.Add(-time.Duration(n) * 24 * time.Hour) }

func mustDoc(t *testing.T, s string) Document {
	t.Helper()
	d, err := ParseDocument(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func kinds(r Review) []Kind {
	var out []Kind
	for _, f := range r.Findings {
		out = append(out, f.Kind)
	}
	return out
}

const intendedJSON = `{"Statement":[
 {"Sid":"List","Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b"},
 {"Sid":"RW","Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::b/*"},
 {"Sid":"TLS","Effect":"Allow","Action":"s3:DeleteObject","Resource":"arn:aws:s3:::b/*","Condition":{"Bool":{"aws:SecureTransport":"true"}}},
 {"Sid":"Guard","Effect":"Deny","Action":"s3:DeleteObjectVersion","Resource":"arn:aws:s3:::b/*"}]}`

func TestDrift(t *testing.T) {
	tests := []struct {
		name          string
		policies      []string // inline policies on the user
		want          []Kind
		wantText      []string // each must appear in the e-mail
		wantUngranted int
	}{
		{name: "identical", policies: []string{intendedJSON}},
		{name: "split and merged differently", policies: []string{
			`{"Statement":[{"Effect":"Allow","Action":["s3:getobject"],"Resource":"arn:aws:s3:::b/*"},
			  {"Effect":"Allow","Action":["S3:PutObject"],"Resource":["arn:aws:s3:::b/*"]},
			  {"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b"},
			  {"Effect":"Allow","Action":"s3:DeleteObject","Resource":"arn:aws:s3:::b/*","Condition":{"Bool":{"aws:securetransport":["true"]}}}]}`,
			`{"Statement":{"Effect":"Deny","Action":"s3:DeleteObjectVersion","Resource":"arn:aws:s3:::b/*"}}`,
		}},
		{name: "narrower than intended", policies: []string{
			`{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/public/*"},
			  {"Effect":"Deny","Action":"s3:DeleteObjectVersion","Resource":"arn:aws:s3:::b/*"}]}`,
		}, wantUngranted: 3},
		{name: "wider deny", policies: []string{intendedJSON,
			`{"Statement":{"Effect":"Deny","Action":"s3:DeleteObjectVersion","Resource":"*"}}`},
			want: []Kind{KindDrift}, wantText: []string{"denies s3:DeleteObjectVersion on *: a wider resource than intended", "An extra Deny narrows access"}},
		{name: "added action in the intended statement", policies: []string{
			strings.Replace(intendedJSON, `["s3:GetObject","s3:PutObject"]`, `["s3:GetObject","s3:PutObject","s3:PutObjectAcl"]`, 1)},
			want: []Kind{KindDrift},
			wantText: []string{`goes beyond the intended policy: remove what statement "RW" (#2) adds.`,
				`Statement "RW" (#2) allows s3:PutObjectAcl on arn:aws:s3:::b/*, which the intended policy does not allow.`,
				`Edit policy.json: in statement "RW" (#2), remove s3:PutObjectAcl. Then:`,
				"aws iam put-user-policy --user-name mediacouser --policy-name p0 --policy-document file://policy.json"}},
		{name: "added statement beside the intended ones", policies: []string{
			strings.Replace(intendedJSON, `"Statement":[`, `"Statement":[{"Sid":"Extra","Effect":"Allow","Action":"s3:ListAllMyBuckets","Resource":"*"},`, 1)},
			want:     []Kind{KindDrift},
			wantText: []string{`remove statement "Extra" (#1).`, `Edit policy.json: delete statement "Extra" (#1). Then:`}},
		{name: "policy added by hand with an intended action", policies: []string{intendedJSON,
			`{"Statement":[{"Sid":"X","Effect":"Allow","Action":["s3:GetObject","s3:PutObjectAcl"],"Resource":"arn:aws:s3:::b/*"}]}`},
			want: []Kind{KindDrift},
			wantText: []string{`the inline policy "p1" on user mediacouser is not in the intended policy: remove it.`,
				`Statement "X" (#1) allows s3:PutObjectAcl on arn:aws:s3:::b/*, which the intended policy does not allow.`,
				"aws iam delete-user-policy --user-name mediacouser --policy-name p1"}},
		{name: "added wildcard action", policies: []string{intendedJSON,
			`{"Statement":[{"Effect":"Allow","Action":"s3:Get*","Resource":"arn:aws:s3:::b/*"}]}`},
			want: []Kind{KindDrift}, wantText: []string{"Statement #1 allows s3:Get* on arn:aws:s3:::b/*"}},
		{name: "wider resource", policies: []string{
			strings.Replace(intendedJSON, `"Resource":"arn:aws:s3:::b/*"}`, `"Resource":"arn:aws:s3:::*"}`, 1)},
			want: []Kind{KindDrift},
			wantText: []string{"a wider resource than intended (intended only on arn:aws:s3:::b/*)",
				`limit s3:GetObject, s3:PutObject to arn:aws:s3:::b/* (not arn:aws:s3:::*)`}},
		{name: "dropped condition", policies: []string{intendedJSON,
			`{"Statement":{"Effect":"Allow","Action":"s3:DeleteObject","Resource":"arn:aws:s3:::b/*"}}`},
			want: []Kind{KindDrift}, wantText: []string{"without the condition the intended policy sets"}},
		{name: "extra deny", policies: []string{intendedJSON,
			`{"Statement":{"Effect":"Deny","Action":"s3:PutObject","Resource":"*"}}`},
			want: []Kind{KindDrift}, wantText: []string{"An extra Deny narrows access"}},
		{name: "removed guardrail", policies: []string{strings.Replace(intendedJSON, `"Effect":"Deny"`, `"Effect":"Allow"`, 1)},
			want:     []Kind{KindMissingGuardrail, KindDrift},
			wantText: []string{`Drift: the intended Deny statement "Guard" (#4), a guardrail, is missing: restore it.`, "No longer denied: s3:DeleteObjectVersion on arn:aws:s3:::b/*"}},
		{name: "guardrail weakened by a condition", policies: []string{strings.Replace(intendedJSON,
			`"Resource":"arn:aws:s3:::b/*"}]}`, `"Resource":"arn:aws:s3:::b/*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"false"}}}]}`, 1)},
			want: []Kind{KindMissingGuardrail}},
		{name: "broad policy attached by hand", policies: []string{intendedJSON,
			`{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`},
			want:     []Kind{KindDrift},
			wantText: []string{"is not in the intended policy: remove it", "aws iam delete-user-policy --user-name mediacouser --policy-name p1"}},
		{name: "NotAction statement", policies: []string{intendedJSON,
			`{"Statement":[{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}]}`},
			want: []Kind{KindDrift}, wantText: []string{"with NotAction, and no intended statement is the same: everything except iam:*"}},
	}
	intended := mustDoc(t, intendedJSON)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := User{UserName: "mediacouser"}
			for i, p := range tt.policies {
				u.InlinePolicies = append(u.InlinePolicies, Policy{Name: "p" + string(rune('0'+i)), Document: mustDoc(t, p)})
			}
			r := Build(u, &intended, now, "")
			if got := kinds(r); !slices.Equal(got, tt.want) {
				t.Errorf("findings = %v, want %v\n%s", got, tt.want, r.Text())
			}
			text := r.Text()
			for _, w := range tt.wantText {
				if !strings.Contains(text, w) {
					t.Errorf("text lacks %q:\n%s", w, text)
				}
			}
			if len(r.Ungranted) != tt.wantUngranted {
				t.Errorf("ungranted = %q, want %d lines", r.Ungranted, tt.wantUngranted)
			}
		})
	}
}

func TestDriftThroughGroups(t *testing.T) {
	intended := mustDoc(t, intendedJSON)
	u := User{
		UserName: "mediacouser",
		Groups: []Group{{
			Name:           "agency",
			InlinePolicies: []Policy{{Name: "stack", Document: intended}},
			AttachedPolicies: []Policy{{Name: "AmazonS3ReadOnlyAccess", Arn: "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",
				Document: mustDoc(t, `{"Statement":{"Effect":"Allow","Action":["s3:Get*","s3:List*"],"Resource":"*"}}`)}},
		}},
	}
	r := Build(u, &intended, now, "")
	if got := kinds(r); !slices.Equal(got, []Kind{KindDrift}) {
		t.Fatalf("findings = %v", got)
	}
	text := r.Text()
	for _, w := range []string{
		`AWS managed policy "AmazonS3ReadOnlyAccess" attached to group agency is not in the intended policy`,
		"aws iam detach-group-policy --group-name agency --policy-arn arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",
		"This changes every member of group agency.",
	} {
		if !strings.Contains(text, w) {
			t.Errorf("text lacks %q:\n%s", w, text)
		}
	}
}

func TestUnreadablePolicy(t *testing.T) {
	intended := mustDoc(t, intendedJSON)
	u := User{UserName: "mediacouser",
		InlinePolicies:   []Policy{{Name: "stack", Document: intended}},
		AttachedPolicies: []Policy{{Name: "secret", Arn: "arn:aws:iam::1:policy/secret", Err: errors.New("AccessDenied")}},
	}
	r := Build(u, &intended, now, "")
	if got := kinds(r); !slices.Equal(got, []Kind{KindUnreadablePolicy}) {
		t.Fatalf("findings = %v", got)
	}
	if !strings.Contains(r.Text(), "Matches as far as the readable policies show") {
		t.Errorf("comparison does not admit the unreadable policy:\n%s", r.Text())
	}
}

func TestKeysAndConsole(t *testing.T) {
	key := func(id, status string, created, used int) AccessKey {
		k := AccessKey{AccessKeyID: id, Status: status, CreateDate: daysAgo(created)}
		if used >= 0 {
			k.LastUsedDate, k.LastUsedService = daysAgo(used), "s3"
		}
		return k
	}
	const stack = "AKIA1"
	tests := []struct {
		name       string
		user       User
		want       []Kind
		wantText   []string
		wantAbsent []string
	}{
		{name: "fresh stack key in use", user: User{StackKeyID: stack, AccessKeys: []AccessKey{key("AKIA1", "Active", 90, 30)}},
			wantText: []string{"last used 2026-08-02 09:00 UTC (30 days ago) with s3; made by the stack"}},
		{name: "stack key 91 days old", user: User{StackKeyID: stack, AccessKeys: []AccessKey{key("AKIA1", "Active", 91, 0)}}, want: []Kind{KindOldKey},
			wantText: []string{"Access key AKIA1, the stack's, is 91 days old (limit 90): rotate it through the stack.",
				"1. Raise accessKeySerial by one in the context of cdk.json, then run make deploy.",
				"stores it in the AccessKeySecret and deletes AKIA1 at once",
				"aws secretsmanager get-secret-value --secret-id <AccessKeySecretArn output> --query SecretString --output text"},
			wantAbsent: []string{"create-access-key", "put-secret-value", "delete-access-key", "update-access-key", "First delete"}},
		{name: "stack key unused 31 days", user: User{StackKeyID: stack, AccessKeys: []AccessKey{key("AKIA1", "Active", 40, 31)}}, want: []Kind{KindUnusedKey},
			wantText: []string{"Access key AKIA1, the stack's, has not been used for 31 days (limit 30): if the agency does not need it, remove it through the stack.",
				"Set cliAccessKey to false in the context of cdk.json and run make deploy",
				"aws iam update-access-key --user-name mediacouser --access-key-id AKIA1 --status Inactive"},
			wantAbsent: []string{"delete-access-key"}},
		{name: "stack key never used, 31 days old", user: User{StackKeyID: stack, AccessKeys: []AccessKey{key("AKIA1", "Active", 31, -1)}}, want: []Kind{KindUnusedKey},
			wantText: []string{"was never used in its 31 days", "never used; made by the stack"}},
		{name: "stack key never used, 30 days old", user: User{StackKeyID: stack, AccessKeys: []AccessKey{key("AKIA1", "Active", 30, -1)}}},
		{name: "stack key old and unused", user: User{StackKeyID: stack, AccessKeys: []AccessKey{key("AKIA1", "Active", 200, 100)}}, want: []Kind{KindOldKey, KindUnusedKey},
			wantText: []string{"It is also unused"}},
		{name: "stack key old and inactive", user: User{StackKeyID: stack, AccessKeys: []AccessKey{key("AKIA1", "Inactive", 200, 150)}}, want: []Kind{KindOldKey},
			wantText: []string{"is 200 days old (limit 90) and inactive: rotate it through the stack.", "Raise accessKeySerial"}},
		{name: "two keys, the stack's old", user: User{StackKeyID: stack, AccessKeys: []AccessKey{key("AKIA1", "Active", 100, 1), key("AKIA2", "Active", 10, 1)}},
			want: []Kind{KindUnintendedKey, KindOldKey},
			wantText: []string{"1. Access key AKIA2 was not made by the stack: deactivate it, then delete it.",
				"It was used 1 day ago: whoever uses it should switch to the stack's key AKIA1 first. Hand it over:",
				"aws iam update-access-key --user-name mediacouser --access-key-id AKIA2 --status Inactive",
				"aws iam delete-access-key --user-name mediacouser --access-key-id AKIA2",
				"2. Access key AKIA1, the stack's, is 100 days old",
				"First delete AKIA2, which the stack did not make (see above): mediacouser holds two keys, the most IAM allows, so the deploy would fail with LimitExceeded.",
				"; not made by the stack"},
			wantAbsent: []string{"--access-key-id AKIA1"}},
		{name: "old key made by hand", user: User{StackKeyID: stack, AccessKeys: []AccessKey{key("AKIA1", "Active", 10, 1), key("AKIA2", "Active", 200, 150)}},
			want:       []Kind{KindUnintendedKey},
			wantText:   []string{"Access key AKIA2 was not made by the stack: deactivate it, then delete it.", "LimitExceeded"},
			wantAbsent: []string{"It was used", "rotate", "cliAccessKey"}},
		{name: "inactive key made by hand", user: User{StackKeyID: stack, AccessKeys: []AccessKey{key("AKIA1", "Active", 10, 1), key("AKIA9", "Inactive", 300, 250)}},
			want:       []Kind{KindUnintendedKey},
			wantText:   []string{"Access key AKIA9 was not made by the stack and is inactive: delete it.", "aws iam delete-access-key --user-name mediacouser --access-key-id AKIA9"},
			wantAbsent: []string{"update-access-key"}},
		{name: "no stack key, one key", user: User{AccessKeys: []AccessKey{key("AKIA1", "Active", 10, 1)}}, want: []Kind{KindUnintendedKey},
			wantText:   []string{"Access key AKIA1 was not made by the stack", "The stack made no access key (cliAccessKey is false), so none is intended", "set cliAccessKey to true in the context of cdk.json, run make deploy"},
			wantAbsent: []string{"switch to the stack's key", "; made by the stack", "LimitExceeded"}},
		{name: "no stack key, no keys", user: User{}},
		{name: "stack key gone", user: User{StackKeyID: stack}, want: []Kind{KindMissingStackKey},
			wantText: []string{"The stack's access key AKIA1 is gone: rotate it through the stack.",
				"2. CloudFormation creates a new key and stores it in the AccessKeySecret.",
				"set cliAccessKey to false in the context of cdk.json instead"}},
		{name: "stack key gone, another key left", user: User{StackKeyID: stack, AccessKeys: []AccessKey{key("AKIA2", "Active", 10, 40)}},
			want: []Kind{KindUnintendedKey, KindMissingStackKey}},
		{name: "unknown creation date", user: User{StackKeyID: stack, AccessKeys: []AccessKey{{AccessKeyID: "AKIA1", Status: "Active"}}},
			wantText: []string{"created: unknown; never used; made by the stack"}},
		{name: "password without MFA", user: User{LoginProfile: &LoginProfile{}, PasswordLastUsed: daysAgo(2)}, want: []Kind{KindConsoleNoMFA},
			wantText: []string{"Console access without MFA", "aws iam delete-login-profile --user-name mediacouser", "MFA: no device registered."}},
		{name: "password with MFA", user: User{LoginProfile: &LoginProfile{}, MFADevices: []MFADevice{{SerialNumber: "arn:aws:iam::1:mfa/x"}}},
			wantText: []string{"Password: yes, never used.", "arn:aws:iam::1:mfa/x"}},
		{name: "password removed", user: User{PasswordLastUsed: daysAgo(200)},
			wantText: []string{"Password: none now, so no console access"}},
		{name: "no password", user: User{}, wantText: []string{"Password: none, so no console access.", "No access keys.", "Nothing: no policy reaches mediacouser."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.user.UserName = "mediacouser"
			r := Build(tt.user, nil, now, "")
			if got := kinds(r); !slices.Equal(got, tt.want) {
				t.Errorf("findings = %v, want %v", got, tt.want)
			}
			text := r.Text()
			for _, w := range tt.wantText {
				if !strings.Contains(text, w) {
					t.Errorf("text lacks %q:\n%s", w, text)
				}
			}
			for _, w := range tt.wantAbsent {
				if strings.Contains(text, w) {
					t.Errorf("text holds %q:\n%s", w, text)
				}
			}
			clean := strings.Contains(text, "Clean: no findings, nothing to fix.")
			if clean != (len(tt.want) == 0) {
				t.Errorf("clean line shown = %v with %d findings", clean, len(tt.want))
			}
		})
	}
}

func TestKeySecret(t *testing.T) {
	u := User{UserName: "mediacouser", StackKeyID: "AKIA1", AccessKeys: []AccessKey{{AccessKeyID: "AKIA1", Status: "Active", CreateDate: daysAgo(100), LastUsedDate: daysAgo(1)}}}
	for secret, want := range map[string]string{
		"": "--secret-id <AccessKeySecretArn output> ",
		"arn:aws:secretsmanager:eu-west-1:123456789012:secret:AccessKeySecret-AbC": "--secret-id arn:aws:secretsmanager:eu-west-1:123456789012:secret:AccessKeySecret-AbC ",
		"agency key": "--secret-id 'agency key' ",
	} {
		if text := Build(u, nil, now, secret).Text(); !strings.Contains(text, want) {
			t.Errorf("secret %q: text lacks %q:\n%s", secret, want, text)
		}
	}
}

func TestSubject(t *testing.T) {
	tests := []struct {
		name     string
		user     string
		findings int
		want     string
	}{
		{name: "clean", user: "mediacouser", want: "Access review for mediacouser: clean"},
		{name: "one", user: "mediacouser", findings: 1, want: "Access review for mediacouser: 1 finding"},
		{name: "two", user: "mediacouser", findings: 2, want: "Access review for mediacouser: 2 findings"},
		{name: "control characters", user: "media\r\nBcc: x\tü", want: "Access review for media\\r\\nBcc: x\\t?: clean"},
		{name: "long", user: strings.Repeat("u", 150), findings: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Build(User{UserName: tt.user}, nil, now, "")
			r.Findings = make([]Finding, tt.findings)
			got := r.Subject()
			if tt.want != "" && got != tt.want {
				t.Errorf("Subject() = %q, want %q", got, tt.want)
			}
			if len(got) > 99 {
				t.Errorf("Subject() is %d long", len(got))
			}
			for _, c := range []byte(got) {
				if c < 0x20 || c > 0x7e {
					t.Errorf("Subject() = %q holds %#x", got, c)
				}
			}
		})
	}
}

// TestTextSafety: no value from IAM can start a line of its own.
func TestTextSafety(t *testing.T) {
	u := User{
		UserName:       "media\nINJECTED",
		AccessKeys:     []AccessKey{{AccessKeyID: "AKIA\r\nINJECTED", Status: "Active", CreateDate: daysAgo(100)}},
		InlinePolicies: []Policy{{Name: "p\nINJECTED", Document: mustDoc(t, `{"Statement":{"Sid":"s\nINJECTED","Effect":"Allow","Action":"s3:\nINJECTED","Resource":"\u0085INJECTED"}}`)}},
	}
	intended := mustDoc(t, intendedJSON)
	text := Build(u, &intended, now, "").Text()
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "INJECTED") {
			t.Errorf("a value started a line: %q", line)
		}
	}
	if strings.ContainsRune(text, '\r') || strings.ContainsRune(text, '\u0085') {
		t.Error("text holds a raw control character")
	}
}

func TestTextCap(t *testing.T) {
	var actions []string
	for i := range 5000 {
		actions = append(actions, `"s3:Action`+strconv.Itoa(i)+strings.Repeat("x", 20)+`"`)
	}
	doc := mustDoc(t, `{"Statement":[`+strings.Repeat(`{"Effect":"Allow","Action":[`+strings.Join(actions, ",")+`],"Resource":"*"},`, 3)+`{"Effect":"Allow","Action":"s3:x","Resource":"*"}]}`)
	// Against an empty intended policy every statement drifts, so the
	// findings' lines are as huge as the policy.
	r := Build(User{UserName: "u", InlinePolicies: []Policy{{Name: "huge", Document: doc}}}, &Document{}, now, "")
	text := r.Text()
	if len(text) > MaxMessageBytes/2 {
		t.Errorf("text is %d bytes, over %d", len(text), MaxMessageBytes/2)
	}
	if !strings.Contains(text, "cut here") {
		t.Error("a cut text does not say so")
	}
	msg, err := r.Message()
	if err != nil {
		t.Fatal(err)
	}
	if len(msg) > MaxMessageBytes {
		t.Errorf("message is %d bytes, over %d", len(msg), MaxMessageBytes)
	}
	if !strings.Contains(msg, `\"truncated\":true`) {
		t.Error("the JSON copy of a cut review does not say so")
	}
}
