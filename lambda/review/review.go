// Package review builds the scheduled access review of the agency's IAM user:
// what the user can do, how that differs from the policy the stack intends,
// the state of its access keys and console password, and each finding with
// the fix to apply. Building a review is pure; gathering the IAM state and
// publishing the review sit behind small interfaces.
package review

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Limits for access keys, in whole days.
const (
	MaxKeyAgeDays    = 90 // older: rotate
	MaxKeyUnusedDays = 30 // unused longer: deactivate
)

// Kind names a kind of finding.
type Kind string

// The kinds of finding, in the order a review lists them. A key the stack
// did not make comes before the stack's own key, because rotating the
// stack's key needs the slot it takes.
const (
	KindMissingGuardrail Kind = "missing-guardrail"
	KindDrift            Kind = "drift"
	KindUnreadablePolicy Kind = "unreadable-policy"
	KindConsoleNoMFA     Kind = "console-without-mfa"
	KindUnintendedKey    Kind = "unintended-key"
	KindMissingStackKey  Kind = "missing-stack-key"
	KindOldKey           Kind = "old-key"
	KindUnusedKey        Kind = "unused-key"
)

// Finding is one thing to fix: a one-line title that says what and what to
// do, then lines of detail and the commands that fix it.
type Finding struct {
	Kind  Kind
	Title string
	Lines []string
}

// Review is the access review of one user at one moment.
type Review struct {
	User User
	Now  time.Time
	// Checked is true when an intended policy was given and drift checked.
	Checked  bool
	Findings []Finding
	// Ungranted lists intended Allow statements the user lacks. They make
	// the user able to do less than intended, so they are not findings.
	Ungranted []string
}

// Build reviews u at now against the intended policy; a nil intended
// policy skips the drift check and says so. keySecret names the Secrets
// Manager secret that holds the stack's access key, for the command that
// hands a new key over; "" names the stack's AccessKeySecretArn output
// instead.
//
// Keys are judged by one procedure: the stack's key (u.StackKeyID) is
// rotated and removed only through the stack, and any other key is not
// intended, so it is deactivated and deleted.
func Build(u User, intended *Document, now time.Time, keySecret string) Review {
	u = sanitizeUser(u)
	now = now.UTC()
	r := Review{User: u, Now: now}
	srcs := sources(u)

	if intended != nil {
		r.Checked = true
		in := sanitizeDocument(*intended)
		drifts, missing, ungranted := compare(srcs, in)
		for _, m := range missing {
			r.Findings = append(r.Findings, guardrailFinding(m))
		}
		for _, d := range drifts {
			r.Findings = append(r.Findings, driftFinding(u.UserName, d, in))
		}
		for _, g := range ungranted {
			r.Ungranted = append(r.Ungranted, ungrantedLines(g)...)
		}
	}
	for _, s := range srcs {
		if s.policy.Err != nil {
			r.Findings = append(r.Findings, unreadableFinding(u.UserName, s))
		}
	}
	if u.LoginProfile != nil && len(u.MFADevices) == 0 {
		r.Findings = append(r.Findings, noMFAFinding(u.UserName))
	}
	secret := secretPlaceholder
	if keySecret != "" {
		secret = sh(safe(keySecret))
	}
	held := false
	for _, k := range u.AccessKeys {
		if u.StackKey(k) {
			held = true
			continue
		}
		r.Findings = append(r.Findings, unintendedKeyFinding(u, k, now, secret))
	}
	if u.StackKeyID != "" && !held {
		r.Findings = append(r.Findings, missingStackKeyFinding(u.StackKeyID, secret))
	}
	for _, k := range u.AccessKeys {
		if !u.StackKey(k) {
			continue
		}
		if f, ok := oldKeyFinding(u, k, now, secret); ok {
			r.Findings = append(r.Findings, f)
		}
		if f, ok := unusedKeyFinding(u.UserName, k, now); ok {
			r.Findings = append(r.Findings, f)
		}
	}
	return r
}

// days is the number of whole days from t to now, never negative.
func days(t, now time.Time) int {
	d := int(now.Sub(t).Hours() / 24)
	return max(d, 0)
}

// secretPlaceholder stands for the secret in the hand-over command when
// the reviewer was not told its name.
const secretPlaceholder = "<AccessKeySecretArn output>"

// handOver is the command that shows the stack's access key, to hand over.
func handOver(secret string) string {
	return "aws secretsmanager get-secret-value --secret-id " + secret + " --query SecretString --output text"
}

// rotation is the one way to replace the stack's key: through the stack,
// which creates the new key before it deletes the old one. oldID is ""
// when the old key is gone already.
func rotation(oldID, secret string) []string {
	made := "2. CloudFormation creates a new key and stores it in the AccessKeySecret."
	if oldID != "" {
		made = "2. CloudFormation creates a new key, stores it in the AccessKeySecret and deletes " + oldID + " at once: the agency's CLI stops working until they have the new key."
	}
	return []string{
		"1. Raise accessKeySerial by one in the context of cdk.json, then run make deploy.",
		made,
		"3. Hand the new key over straight away:",
		"   " + handOver(secret),
	}
}

// unintendedKeyFinding: only the stack's key is intended. Another takes
// the user's second (and last) key slot, so rotating through the stack
// would fail with LimitExceeded, and no secret keeps track of it.
func unintendedKeyFinding(u User, k AccessKey, now time.Time, secret string) Finding {
	user, id := sh(u.UserName), sh(k.AccessKeyID)
	title := fmt.Sprintf("Access key %s was not made by the stack: deactivate it, then delete it.", k.AccessKeyID)
	if !k.Active() {
		title = fmt.Sprintf("Access key %s was not made by the stack and is inactive: delete it.", k.AccessKeyID)
	}
	var lines []string
	if u.StackKeyID == "" {
		lines = append(lines,
			"The stack made no access key (cliAccessKey is false), so none is intended: nothing rotates this one and no stack keeps track of its secret.",
			"If the agency needs a CLI key, have the stack make one first: set cliAccessKey to true in the context of cdk.json, run make deploy, and hand over the key the stack stores in its AccessKeySecret.")
	} else {
		lines = append(lines, "Only the stack's access key is intended. Another key takes the second of the two keys IAM allows a user, so rotating the stack's key would fail with LimitExceeded, and no stack keeps track of its secret.")
	}
	if u.StackKeyID != "" && k.Active() && !k.LastUsedDate.IsZero() && days(k.LastUsedDate, now) <= MaxKeyUnusedDays {
		lines = append(lines,
			fmt.Sprintf("It was used %s: whoever uses it should switch to the stack's key %s first. Hand it over:", ago(days(k.LastUsedDate, now)), u.StackKeyID),
			handOver(secret))
	}
	if k.Active() {
		lines = append(lines,
			"aws iam update-access-key --user-name "+user+" --access-key-id "+id+" --status Inactive",
			"Once nothing breaks (--status Active turns it back on), delete it:")
	}
	lines = append(lines, "aws iam delete-access-key --user-name "+user+" --access-key-id "+id)
	return Finding{Kind: KindUnintendedKey, Title: title, Lines: lines}
}

func missingStackKeyFinding(stackKeyID, secret string) Finding {
	lines := []string{"It was deleted outside the stack, so the stack's AccessKeySecret holds a key that no longer works. Have the stack make a new one:"}
	lines = append(lines, rotation("", secret)...)
	lines = append(lines, "If the agency needs no CLI key, set cliAccessKey to false in the context of cdk.json instead, and run make deploy.")
	return Finding{
		Kind:  KindMissingStackKey,
		Title: fmt.Sprintf("The stack's access key %s is gone: rotate it through the stack.", stackKeyID),
		Lines: lines,
	}
}

// oldKeyFinding judges the stack's key by its age.
func oldKeyFinding(u User, k AccessKey, now time.Time, secret string) (Finding, bool) {
	if k.CreateDate.IsZero() || days(k.CreateDate, now) <= MaxKeyAgeDays {
		return Finding{}, false
	}
	age := days(k.CreateDate, now)
	title := fmt.Sprintf("Access key %s, the stack's, is %d days old (limit %d): rotate it through the stack.", k.AccessKeyID, age, MaxKeyAgeDays)
	if !k.Active() {
		title = fmt.Sprintf("Access key %s, the stack's, is %d days old (limit %d) and inactive: rotate it through the stack.", k.AccessKeyID, age, MaxKeyAgeDays)
	}
	var lines, others []string
	for _, o := range u.AccessKeys {
		if o.AccessKeyID != k.AccessKeyID {
			others = append(others, o.AccessKeyID)
		}
	}
	if len(others) > 0 {
		lines = append(lines, fmt.Sprintf("First delete %s, which the stack did not make (see above): %s holds two keys, the most IAM allows, so the deploy would fail with LimitExceeded.", joinAnd(others), u.UserName))
	}
	if _, unused := unusedKeyFinding(u.UserName, k, now); unused {
		lines = append(lines, "It is also unused (see below): if the agency does not need it, setting cliAccessKey to false in the context of cdk.json and running make deploy is enough.")
	}
	lines = append(lines, rotation(k.AccessKeyID, secret)...)
	return Finding{Kind: KindOldKey, Title: title, Lines: lines}, true
}

// unusedKeyFinding judges the stack's key by its last use. It is removed
// through the stack, like any change to it.
func unusedKeyFinding(userName string, k AccessKey, now time.Time) (Finding, bool) {
	if !k.Active() {
		return Finding{}, false
	}
	const todo = "if the agency does not need it, remove it through the stack."
	var title string
	switch {
	case !k.LastUsedDate.IsZero() && days(k.LastUsedDate, now) > MaxKeyUnusedDays:
		title = fmt.Sprintf("Access key %s, the stack's, has not been used for %d days (limit %d): %s", k.AccessKeyID, days(k.LastUsedDate, now), MaxKeyUnusedDays, todo)
	case k.LastUsedDate.IsZero() && !k.CreateDate.IsZero() && days(k.CreateDate, now) > MaxKeyUnusedDays:
		title = fmt.Sprintf("Access key %s, the stack's, was never used in its %d days (limit %d): %s", k.AccessKeyID, days(k.CreateDate, now), MaxKeyUnusedDays, todo)
	default:
		return Finding{}, false
	}
	return Finding{
		Kind:  KindUnusedKey,
		Title: title,
		Lines: []string{
			"Set cliAccessKey to false in the context of cdk.json and run make deploy: the stack deletes the key and its secret.",
			"To stop the key at once, before that deploy:",
			"aws iam update-access-key --user-name " + sh(userName) + " --access-key-id " + sh(k.AccessKeyID) + " --status Inactive",
		},
	}, true
}

func noMFAFinding(userName string) Finding {
	return Finding{
		Kind:  KindConsoleNoMFA,
		Title: fmt.Sprintf("Console access without MFA: %s has a console password and no MFA device.", userName),
		Lines: []string{
			fmt.Sprintf("Have the agency register one: IAM console > Users > %s > Security credentials > Assign MFA device.", userName),
			"If the agency does not need the console, remove the password instead:",
			"aws iam delete-login-profile --user-name " + sh(userName),
		},
	}
}

func unreadableFinding(userName string, s source) Finding {
	var show string
	switch s.place {
	case userInline:
		show = "aws iam get-user-policy --user-name " + sh(userName) + " --policy-name " + sh(s.policy.Name)
	case groupInline:
		show = "aws iam get-group-policy --group-name " + sh(s.group) + " --policy-name " + sh(s.policy.Name)
	default:
		show = "aws iam get-policy-version --policy-arn " + sh(s.policy.Arn) + " --version-id " + sh(orDefault(s.policy.VersionID, "<default version>"))
	}
	return Finding{
		Kind:  KindUnreadablePolicy,
		Title: fmt.Sprintf("The %s could not be read: check it by hand.", s.describe(userName)),
		Lines: []string{"Error: " + safe(s.policy.Err.Error()), show},
	}
}

func guardrailFinding(m unheld) Finding {
	var lines []string
	if m.whole {
		lines = append(lines, "No policy carries this statement (it uses NotAction or NotResource, compared only as a whole).")
	}
	for _, g := range groupGaps(m.pairs, nil) {
		lines = append(lines, "No longer denied: "+strings.Join(g.actions, ", ")+" on "+strings.Join(g.resources, ", "))
	}
	lines = append(lines,
		"An explicit Deny is the guardrail that holds even if someone attaches a broad policy by hand.",
		"Restore it: redeploy the stack (make deploy), which puts back the policy it intends.")
	return Finding{
		Kind:  KindMissingGuardrail,
		Title: fmt.Sprintf("Drift: the intended Deny statement %s, a guardrail, is missing: restore it.", statementName(m.st.Sid, m.index)),
		Lines: lines,
	}
}

func ungrantedLines(u unheld) []string {
	name := statementName(u.st.Sid, u.index)
	if u.whole {
		return []string{"intended statement " + name + " (NotAction/NotResource) is not granted as a whole"}
	}
	var out []string
	for _, g := range groupGaps(u.pairs, nil) {
		out = append(out, fmt.Sprintf("%s on %s (intended statement %s)", strings.Join(g.actions, ", "), strings.Join(g.resources, ", "), name))
	}
	return out
}

func driftFinding(userName string, d driftedPolicy, intended Document) Finding {
	var whole, partial []string
	for _, s := range d.statements {
		if s.whole {
			whole = append(whole, statementName(s.st.Sid, s.index))
		} else {
			partial = append(partial, statementName(s.st.Sid, s.index))
		}
	}
	what := d.src.describe(userName)
	var title string
	if d.whole {
		title = fmt.Sprintf("Drift: the %s is not in the intended policy: remove it.", what)
	} else {
		var todo []string
		if len(whole) > 0 {
			todo = append(todo, fmt.Sprintf("remove statement%s %s", plural(len(whole)), joinAnd(whole)))
		}
		if len(partial) > 0 {
			todo = append(todo, fmt.Sprintf("remove what statement%s %s add%s", plural(len(partial)), joinAnd(partial), plural(len(partial)+1)))
		}
		title = fmt.Sprintf("Drift: the %s goes beyond the intended policy: %s.", what, strings.Join(todo, "; "))
	}
	var lines []string
	if d.whole {
		lines = append(lines, "Nothing in it is needed for the intended policy, so someone most likely added it by hand.")
	}
	var edits []string
	for _, s := range d.statements {
		desc, edit := statementGaps(s, intended)
		lines = append(lines, desc...)
		edits = append(edits, edit)
	}
	lines = append(lines, driftFix(userName, d, strings.Join(edits, "; "))...)
	return Finding{Kind: KindDrift, Title: title, Lines: lines}
}

// statementGaps says what one drifted statement adds, one line per kind of
// gap and set of resources, and how to edit it back to the intended policy.
func statementGaps(s drifted, intended Document) (desc []string, edit string) {
	name := statementName(s.st.Sid, s.index)
	verb, base := "allows", "allow"
	if !s.st.Allow() {
		verb, base = "denies", "deny"
	}
	if len(s.gaps) == 1 && s.gaps[0].kind == gapNotForm {
		form := "NotAction"
		if !s.st.NotAction {
			form = "NotResource"
		}
		desc = append(desc, fmt.Sprintf("Statement %s %s with %s, and no intended statement is the same: %s %s on %s.",
			name, verb, form, notList(s.st.NotAction, s.st.Actions), verb, notList(s.st.NotResource, s.st.Resources)))
	}
	var fixes []string
	for _, g := range groupGaps(s.gaps, func(a string) []string { return intendedResources(intended.Statements, s.st.Effect, a) }) {
		acts, on := strings.Join(g.actions, ", "), strings.Join(g.resources, ", ")
		switch g.kind {
		case gapAction:
			desc = append(desc, fmt.Sprintf("Statement %s %s %s on %s, which the intended policy does not %s.", name, verb, acts, on, base))
			fixes = append(fixes, "remove "+acts)
		case gapResource:
			want := strings.Join(g.intended, ", ")
			desc = append(desc, fmt.Sprintf("Statement %s %s %s on %s: a wider resource than intended (intended only on %s).", name, verb, acts, on, want))
			fixes = append(fixes, fmt.Sprintf("limit %s to %s (not %s)", acts, want, on))
		case gapCondition:
			desc = append(desc, fmt.Sprintf("Statement %s %s %s on %s without the condition the intended policy sets.", name, verb, acts, on))
			fixes = append(fixes, "put back the intended condition for "+acts)
		}
	}
	if !s.st.Allow() {
		desc = append(desc, "(An extra Deny narrows access rather than widening it; remove it if nobody meant it.)")
	}
	if s.whole {
		return desc, "delete statement " + name
	}
	return desc, "in statement " + name + ", " + strings.Join(fixes, "; ")
}

func notList(not bool, list []string) string {
	if not {
		return "everything except " + strings.Join(list, ", ")
	}
	return strings.Join(list, ", ")
}

// driftFix gives the commands that remove the drift: detach or delete the
// policy when all of it drifted, else edit out the statements.
func driftFix(userName string, d driftedPolicy, edits string) []string {
	p := d.src.policy
	user, group, name, arn := sh(userName), sh(d.src.group), sh(p.Name), sh(p.Arn)
	var out []string
	groupNote := func() {
		out = append(out, fmt.Sprintf("This changes every member of group %s.", d.src.group))
	}
	managed := d.src.place == userManaged || d.src.place == groupManaged
	if d.whole || (managed && d.src.awsManaged()) {
		if !d.whole {
			out = append(out, "AWS managed policies cannot be edited: detach it, then check that the stack's own policy grants what is intended (make deploy restores it).")
		}
		switch d.src.place {
		case userInline:
			out = append(out, "aws iam delete-user-policy --user-name "+user+" --policy-name "+name)
		case userManaged:
			out = append(out, "aws iam detach-user-policy --user-name "+user+" --policy-arn "+arn)
		case groupInline:
			out = append(out, "aws iam delete-group-policy --group-name "+group+" --policy-name "+name)
			groupNote()
		case groupManaged:
			out = append(out, "aws iam detach-group-policy --group-name "+group+" --policy-arn "+arn)
			groupNote()
		}
		return out
	}
	edit := "Edit policy.json: " + edits + ". Then:"
	switch d.src.place {
	case userInline:
		out = append(out,
			"aws iam get-user-policy --user-name "+user+" --policy-name "+name+" --query PolicyDocument --output json > policy.json",
			edit,
			"aws iam put-user-policy --user-name "+user+" --policy-name "+name+" --policy-document file://policy.json")
	case groupInline:
		out = append(out,
			"aws iam get-group-policy --group-name "+group+" --policy-name "+name+" --query PolicyDocument --output json > policy.json",
			edit,
			"aws iam put-group-policy --group-name "+group+" --policy-name "+name+" --policy-document file://policy.json")
	default:
		out = append(out,
			"aws iam get-policy-version --policy-arn "+arn+" --version-id "+sh(orDefault(p.VersionID, "<default version>"))+" --query PolicyVersion.Document --output json > policy.json",
			edit,
			"aws iam create-policy-version --policy-arn "+arn+" --policy-document file://policy.json --set-as-default",
			"(IAM keeps at most five versions of a policy: if it has five, delete the oldest first with aws iam delete-policy-version.)")
	}
	out = append(out, "If the stack owns this policy, redeploying the stack (make deploy) restores it as intended.")
	return out
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// joinAnd joins names as `a`, `a and b`, `a, b and c`.
func joinAnd(names []string) string {
	if len(names) <= 1 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

var shellSafe = regexp.MustCompile(`^[A-Za-z0-9_+=,.@:/-]+$`)

// sh quotes s for a POSIX shell when it needs quoting. IAM names never do,
// but names in a replayed world file might.
func sh(s string) string {
	if shellSafe.MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// safe escapes control characters and invalid UTF-8, so no value can break
// a line of the e-mail or start one of its own.
func safe(s string) string {
	clean := true
	for _, r := range s {
		if r == utf8.RuneError || unicode.IsControl(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n <= 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case unicode.IsControl(r):
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

func safeAll(list []string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = safe(s)
	}
	return out
}

func sanitizeDocument(d Document) Document {
	out := Document{Version: safe(d.Version)}
	for _, st := range d.Statements {
		st.Sid = safe(st.Sid)
		st.Actions = safeAll(st.Actions)
		st.Resources = safeAll(st.Resources)
		st.Condition = safe(st.Condition)
		out.Statements = append(out.Statements, st)
	}
	return out
}

func sanitizePolicies(ps []Policy) []Policy {
	var out []Policy
	for _, p := range ps {
		p.Name, p.Arn, p.VersionID = safe(p.Name), safe(p.Arn), safe(p.VersionID)
		p.Document = sanitizeDocument(p.Document)
		out = append(out, p)
	}
	return out
}

// sanitizeUser makes every string of u safe to print, once, so the text
// can use them as they are.
func sanitizeUser(u User) User {
	u.UserName, u.UserID, u.Arn, u.StackKeyID = safe(u.UserName), safe(u.UserID), safe(u.Arn), safe(u.StackKeyID)
	var mfa []MFADevice
	for _, m := range u.MFADevices {
		m.SerialNumber = safe(m.SerialNumber)
		mfa = append(mfa, m)
	}
	u.MFADevices = mfa
	var keys []AccessKey
	for _, k := range u.AccessKeys {
		k.AccessKeyID, k.Status, k.LastUsedService = safe(k.AccessKeyID), safe(k.Status), safe(k.LastUsedService)
		keys = append(keys, k)
	}
	u.AccessKeys = keys
	u.InlinePolicies = sanitizePolicies(u.InlinePolicies)
	u.AttachedPolicies = sanitizePolicies(u.AttachedPolicies)
	var groups []Group
	for _, g := range u.Groups {
		g.Name, g.Arn = safe(g.Name), safe(g.Arn)
		g.InlinePolicies = sanitizePolicies(g.InlinePolicies)
		g.AttachedPolicies = sanitizePolicies(g.AttachedPolicies)
		groups = append(groups, g)
	}
	u.Groups = groups
	return u
}
