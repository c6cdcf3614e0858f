package main

import (
	"errors"
	"fmt"
	"math"
	"net/mail"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
)

// Names of the CDK context values that configure a deployment. They are
// passed as `cdk deploy -c name=value` (the Makefile does this for
// ADMIN_EMAIL) and documented in the README's settings table.
const (
	SettingAdminEmail            = "adminEmail"
	SettingBucketName            = "bucketName"
	SettingMediaUserName         = "mediaUserName"
	SettingKeyPrefix             = "keyPrefix"
	SettingConsoleAccess         = "consoleAccess"
	SettingCLIAccessKey          = "cliAccessKey"
	SettingDigestWindowSeconds   = "digestWindowSeconds"
	SettingNoncurrentVersionDays = "noncurrentVersionDays"
	SettingLifecycleEvents       = "lifecycleEvents"
	SettingRestoreEvents         = "restoreEvents"
	SettingReviewSchedule        = "reviewSchedule"
	SettingAccessKeySerial       = "accessKeySerial"
	SettingAgencySourceCidrs     = "agencySourceCidrs"
	SettingNameRoles             = "nameRoles"
	SettingHistoryDays           = "historyDays"
)

// Defaults of the optional settings.
const (
	DefaultMediaUserName         = "mediacouser"
	DefaultDigestWindowSeconds   = 60
	DefaultNoncurrentVersionDays = 30
	// DefaultReviewSchedule runs the access review at 08:00 UTC on the
	// first day of each month.
	DefaultReviewSchedule  = "cron(0 8 1 * ? *)"
	DefaultAccessKeySerial = 1
	// DefaultHistoryDays keeps the change history a little over a year, so
	// that "what changed this time last year" has an answer.
	DefaultHistoryDays = 400
)

// Limits of the numeric settings. The digest window is the event source
// mapping's batching window, which Lambda caps at 300 s; a batch size above
// 10 needs a window of at least 1 s.
const (
	MinDigestWindowSeconds   = 1
	MaxDigestWindowSeconds   = 300
	MinNoncurrentVersionDays = 1
	MaxNoncurrentVersionDays = 3650
	// MaxKeyPrefixBytes keeps the agency's policy small: the prefix appears
	// in it twice, and the reviewer gets the whole policy in its
	// environment, which Lambda limits to 4 KB.
	MaxKeyPrefixBytes = 256
	MinHistoryDays    = 1
	MaxHistoryDays    = 3650
	// MaxAccessKeySerial is far more rotations than anyone needs; the
	// bound only keeps typos such as 1e9 out.
	MaxAccessKeySerial = 1000000
	// MaxAgencySourceCidrs bounds the address ranges: each appears in the
	// agency's policy, which the reviewer receives whole in its
	// environment (Lambda allows 4 KB in all).
	MaxAgencySourceCidrs = 5
)

// Config is one deployment's settings, validated and normalised.
type Config struct {
	// AdminEmails receive the digests and alarms, one e-mail subscription
	// each. At least one.
	AdminEmails []string
	// BucketName is the image bucket's name, or empty to let CloudFormation
	// generate a unique one.
	BucketName string
	// MediaUserName is the IAM user the agency signs in as.
	MediaUserName string
	// KeyPrefix limits the agency to keys under it. Empty means the whole
	// bucket; otherwise it has no leading slash and ends with exactly one.
	KeyPrefix string
	// ConsoleAccess gives the user a console password.
	ConsoleAccess bool
	// CLIAccessKey gives the user an access key for the AWS CLI.
	CLIAccessKey bool
	// DigestWindowSeconds is how long changes are collected into one e-mail.
	DigestWindowSeconds int
	// NoncurrentVersionDays is how long replaced and deleted versions are
	// kept before S3 expires them.
	NoncurrentVersionDays int
	// LifecycleEvents also reports S3 lifecycle expirations.
	LifecycleEvents bool
	// RestoreEvents also reports restores from archive storage classes.
	RestoreEvents bool
	// ReviewSchedule is the EventBridge schedule expression, rate(...) or
	// cron(...), on which the access review runs.
	ReviewSchedule string
	// AccessKeySerial rotates the agency's access key when raised: the
	// next deploy creates a new key, stores it in the secret and deletes
	// the old one.
	AccessKeySerial int
	// AgencySourceCidrs, when not empty, are the only public address
	// ranges the agency's user may call AWS from, in canonical form.
	AgencySourceCidrs []string
	// NameRoles lets the notifier list IAM roles to name the role behind
	// an assumed-role session.
	NameRoles bool
	// HistoryDays is how long the change history keeps its records.
	HistoryDays int
}

// ConfigFromContext reads and validates the settings. lookup returns a CDK
// context value, or nil when it is not set: a string when given with -c,
// or a JSON value when set in cdk.json or cdk.context.json. Every invalid
// setting is reported, each message starting with the setting's name.
func ConfigFromContext(lookup func(name string) any) (Config, error) {
	r := reader{lookup: lookup}
	cfg := Config{
		AdminEmails:           r.emails(SettingAdminEmail),
		BucketName:            r.bucketName(SettingBucketName),
		MediaUserName:         r.userName(SettingMediaUserName, DefaultMediaUserName),
		KeyPrefix:             r.keyPrefix(SettingKeyPrefix),
		ConsoleAccess:         r.boolean(SettingConsoleAccess, true),
		CLIAccessKey:          r.boolean(SettingCLIAccessKey, true),
		DigestWindowSeconds:   r.integer(SettingDigestWindowSeconds, DefaultDigestWindowSeconds, MinDigestWindowSeconds, MaxDigestWindowSeconds),
		NoncurrentVersionDays: r.integer(SettingNoncurrentVersionDays, DefaultNoncurrentVersionDays, MinNoncurrentVersionDays, MaxNoncurrentVersionDays),
		LifecycleEvents:       r.boolean(SettingLifecycleEvents, false),
		RestoreEvents:         r.boolean(SettingRestoreEvents, false),
		ReviewSchedule:        r.schedule(SettingReviewSchedule, DefaultReviewSchedule),
		AccessKeySerial:       r.integer(SettingAccessKeySerial, DefaultAccessKeySerial, 1, MaxAccessKeySerial),
		AgencySourceCidrs:     r.cidrs(SettingAgencySourceCidrs),
		NameRoles:             r.boolean(SettingNameRoles, false),
		HistoryDays:           r.integer(SettingHistoryDays, DefaultHistoryDays, MinHistoryDays, MaxHistoryDays),
	}
	if err := errors.Join(r.errs...); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

// reader collects every settings error instead of stopping at the first, so
// one synth shows everything that needs fixing.
type reader struct {
	lookup func(string) any
	errs   []error
}

func (r *reader) fail(name, format string, args ...any) {
	r.errs = append(r.errs, fmt.Errorf("%s: "+format, append([]any{name}, args...)...))
}

// text returns a setting as a trimmed string; ok is false when it is unset
// or empty.
func (r *reader) text(name string) (s string, ok bool) {
	switch v := r.lookup(name).(type) {
	case nil:
		return "", false
	case string:
		s = strings.TrimSpace(v)
	case bool:
		s = strconv.FormatBool(v)
	case float64:
		s = strconv.FormatFloat(v, 'f', -1, 64)
	default:
		r.fail(name, "must be a string, got %T", v)
		return "", false
	}
	return s, s != ""
}

func (r *reader) emails(name string) []string {
	s, ok := r.text(name)
	if !ok {
		r.fail(name, "is required: the e-mail address that receives the digests and alarms (make deploy ADMIN_EMAIL=you@example.com, or -c %s=you@example.com; separate several with commas)", name)
		return nil
	}
	var out []string
	seen := map[string]bool{}
	for _, part := range strings.Split(s, ",") {
		addr := strings.TrimSpace(part)
		if err := checkEmail(addr); err != nil {
			r.fail(name, "%q is not a valid e-mail address: %v", addr, err)
			continue
		}
		key := strings.ToLower(addr)
		if seen[key] {
			continue // one subscription per address is enough
		}
		seen[key] = true
		out = append(out, addr)
	}
	return out
}

// checkEmail accepts a bare address (no display name) whose domain has a
// dot, the shape SNS e-mail subscriptions can deliver to.
func checkEmail(addr string) error {
	if addr == "" {
		return errors.New("empty")
	}
	parsed, err := mail.ParseAddress(addr)
	if err != nil || parsed.Address != addr || parsed.Name != "" {
		return errors.New("want the form name@example.com")
	}
	domain := addr[strings.LastIndexByte(addr, '@')+1:]
	if !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") {
		return errors.New("the domain needs a dot, as in example.com")
	}
	return nil
}

// bucketNameRE is S3's general purpose bucket naming rule: 3 to 63
// lower-case letters, digits, dots and hyphens, starting and ending with a
// letter or digit.
var bucketNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
var ipAddressRE = regexp.MustCompile(`^\d+\.\d+\.\d+\.\d+$`)

func (r *reader) bucketName(name string) string {
	s, ok := r.text(name)
	if !ok {
		return ""
	}
	switch {
	case !bucketNameRE.MatchString(s):
		r.fail(name, "%q is not a valid S3 bucket name: use 3 to 63 lower-case letters, digits, dots and hyphens, starting and ending with a letter or digit", s)
	case strings.Contains(s, ".."), strings.Contains(s, ".-"), strings.Contains(s, "-."):
		r.fail(name, "%q is not a valid S3 bucket name: dots may not be doubled or next to a hyphen", s)
	case ipAddressRE.MatchString(s):
		r.fail(name, "%q is not a valid S3 bucket name: it may not look like an IP address", s)
	case hasAnyPrefix(s, "xn--", "sthree-", "amzn-s3-demo-") || hasAnySuffix(s, "-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"):
		r.fail(name, "%q is not a valid S3 bucket name: it uses a prefix or suffix S3 reserves", s)
	}
	return s
}

// userNameRE is IAM's user name rule.
var userNameRE = regexp.MustCompile(`^[A-Za-z0-9+=,.@_-]{1,64}$`)

func (r *reader) userName(name, def string) string {
	s, ok := r.text(name)
	if !ok {
		return def
	}
	if !userNameRE.MatchString(s) {
		r.fail(name, "%q is not a valid IAM user name: use 1 to 64 letters, digits and +=,.@_-", s)
	}
	return s
}

// keyPrefix normalises "agency", "/agency" and "agency/" to "agency/": the
// agency's rights then cover exactly the keys in that folder.
func (r *reader) keyPrefix(name string) string {
	s, ok := r.text(name)
	if !ok {
		return ""
	}
	p := strings.Trim(s, "/")
	switch {
	case p == "":
		return "" // "/" alone means the whole bucket
	case strings.ContainsAny(p, "*?$"):
		// IAM would read these as wildcards or policy variables and widen
		// the agency's rights beyond the prefix.
		r.fail(name, "%q may not contain *, ? or $", s)
	case strings.Contains(p, "//"):
		r.fail(name, "%q may not contain an empty folder (//)", s)
	case strings.IndexFunc(p, func(c rune) bool { return c < 0x20 || c == 0x7f }) >= 0:
		r.fail(name, "%q may not contain control characters", s)
	case len(p)+1 > MaxKeyPrefixBytes:
		r.fail(name, "is %d bytes long with its final slash; keep it to %d", len(p)+1, MaxKeyPrefixBytes)
	}
	return p + "/"
}

func (r *reader) boolean(name string, def bool) bool {
	if b, ok := r.lookup(name).(bool); ok {
		return b
	}
	s, ok := r.text(name)
	if !ok {
		return def
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		r.fail(name, "%q is not true or false", s)
		return def
	}
	return b
}

func (r *reader) integer(name string, def, min, max int) int {
	s, ok := r.text(name)
	if !ok {
		return def
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != math.Trunc(f) {
		r.fail(name, "%q is not a whole number", s)
		return def
	}
	if f < float64(min) || f > float64(max) {
		r.fail(name, "%s is out of range: use %d to %d", s, min, max)
		return def
	}
	return int(f)
}

// schedule accepts an EventBridge schedule expression and normalises the
// spaces in it. A typo here would otherwise only surface as a failed
// deploy, or worse as a review that never runs.
func (r *reader) schedule(name, def string) string {
	s, ok := r.text(name)
	if !ok {
		return def
	}
	norm, err := checkSchedule(s)
	if err != nil {
		r.fail(name, "%q is not an EventBridge schedule expression: %v", s, err)
		return def
	}
	return norm
}

// checkSchedule validates a rate(value unit) or six-field cron(...)
// expression as EventBridge scheduled rules read them, and returns it with
// single spaces.
func checkSchedule(s string) (string, error) {
	open := strings.IndexByte(s, '(')
	if open < 0 || !strings.HasSuffix(s, ")") {
		return "", errors.New(`want rate(...) or cron(...), e.g. "rate(7 days)" or "` + DefaultReviewSchedule + `"`)
	}
	fields := strings.Fields(s[open+1 : len(s)-1])
	switch kind := strings.TrimSpace(s[:open]); kind {
	case "rate":
		if err := checkRate(fields); err != nil {
			return "", err
		}
	case "cron":
		if err := checkCron(fields); err != nil {
			return "", err
		}
	default:
		return "", fmt.Errorf(`want rate(...) or cron(...), not %s(...)`, kind)
	}
	return s[:open] + "(" + strings.Join(fields, " ") + ")", nil
}

// checkRate: a positive whole number and a unit, singular for 1 and plural
// otherwise, as in rate(1 day) and rate(7 days).
func checkRate(fields []string) error {
	if len(fields) != 2 {
		return errors.New(`a rate takes a number and a unit, e.g. rate(7 days)`)
	}
	n, err := strconv.ParseUint(fields[0], 10, 32)
	if err != nil || n == 0 {
		return fmt.Errorf("%q is not a positive whole number", fields[0])
	}
	unit := strings.TrimSuffix(fields[1], "s")
	if unit != "minute" && unit != "hour" && unit != "day" {
		return fmt.Errorf("unit %q: use minute(s), hour(s) or day(s)", fields[1])
	}
	want := unit
	if n != 1 {
		want += "s"
	}
	if fields[1] != want {
		return fmt.Errorf("write rate(%d %s): the unit is singular for 1 and plural otherwise", n, want)
	}
	return nil
}

// cronFields are EventBridge's six cron fields, with the characters each
// accepts: digits, the wildcards its documentation lists, and for month
// and day-of-week the three-letter names (JAN, MON).
var cronFields = []struct {
	name  string
	chars string
	names bool
}{
	{"minutes", ",-*/", false},
	{"hours", ",-*/", false},
	{"day-of-month", ",-*?/LW", false},
	{"month", ",-*/", true},
	{"day-of-week", ",-*?/L#", true},
	{"year", ",-*/", false},
}

func checkCron(fields []string) error {
	if len(fields) != len(cronFields) {
		return fmt.Errorf("EventBridge cron takes 6 fields (minutes hours day-of-month month day-of-week year), this has %d; e.g. %s",
			len(fields), DefaultReviewSchedule)
	}
	for i, f := range cronFields {
		for _, c := range fields[i] {
			ok := c >= '0' && c <= '9' || strings.ContainsRune(f.chars, c) ||
				f.names && (c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z')
			if !ok {
				return fmt.Errorf("%s field %q may not contain %q", f.name, fields[i], c)
			}
		}
	}
	// EventBridge takes a value for one of the two day fields and ? in the
	// other.
	if (fields[2] == "?") == (fields[4] == "?") {
		return errors.New("use ? in exactly one of day-of-month and day-of-week, e.g. cron(0 8 1 * ? *) or cron(0 8 ? * MON *)")
	}
	return nil
}

// cidrs reads comma-separated IPv4 and IPv6 ranges. aws:SourceIp is the
// caller's public address, so a range that can never be one (private,
// loopback, link-local, shared, documentation-only ranges aside) would
// lock the agency out, and /0 would restrict nothing.
func (r *reader) cidrs(name string) []string {
	s, ok := r.text(name)
	if !ok {
		return nil
	}
	var out []string
	seen := map[string]bool{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		prefix, err := netip.ParsePrefix(part)
		if err != nil {
			if addr, aErr := netip.ParseAddr(part); aErr == nil {
				prefix = netip.PrefixFrom(addr, addr.BitLen()) // a lone address
			} else {
				r.fail(name, "%q is not an IPv4 or IPv6 range: write it as 203.0.113.0/24 or 2001:db8::/32", part)
				continue
			}
		}
		if prefix.Addr().Is4In6() {
			r.fail(name, "%q: write IPv4 ranges in dotted form, as 203.0.113.0/24", part)
			continue
		}
		if prefix.Bits() == 0 {
			r.fail(name, "%q matches every address and restricts nothing: leave %s empty for no restriction", part, name)
			continue
		}
		if why := notPublic(prefix); why != "" {
			r.fail(name, "%q is %s: aws:SourceIp is the caller's public address, so it never matches (ask your network team for the office's public ranges)", part, why)
			continue
		}
		canon := prefix.Masked().String()
		if !seen[canon] {
			seen[canon] = true
			out = append(out, canon)
		}
	}
	if len(out) == 0 {
		r.fail(name, "%q holds no address range: leave it empty for no restriction", s)
	}
	if len(out) > MaxAgencySourceCidrs {
		r.fail(name, "has %d ranges; at most %d fit the reviewer's environment: combine them into wider ones", len(out), MaxAgencySourceCidrs)
	}
	return out
}

// nonPublic are the ranges no request to AWS's public endpoints comes
// from (IANA special-purpose registries, RFC 6890). Documentation ranges
// (RFC 5737, RFC 3849) are allowed so that examples can use them.
var nonPublic = []struct {
	prefix netip.Prefix
	what   string
}{
	{netip.MustParsePrefix("0.0.0.0/8"), `"this network"`},
	{netip.MustParsePrefix("10.0.0.0/8"), "a private range (RFC 1918)"},
	{netip.MustParsePrefix("100.64.0.0/10"), "the carrier-grade NAT range (RFC 6598)"},
	{netip.MustParsePrefix("127.0.0.0/8"), "loopback"},
	{netip.MustParsePrefix("169.254.0.0/16"), "link-local"},
	{netip.MustParsePrefix("172.16.0.0/12"), "a private range (RFC 1918)"},
	{netip.MustParsePrefix("192.168.0.0/16"), "a private range (RFC 1918)"},
	{netip.MustParsePrefix("224.0.0.0/3"), "multicast or reserved"},
	{netip.MustParsePrefix("::/127"), "unspecified or loopback"},
	{netip.MustParsePrefix("fc00::/7"), "a private range (unique local, RFC 4193)"},
	{netip.MustParsePrefix("fe80::/10"), "link-local"},
	{netip.MustParsePrefix("ff00::/8"), "multicast"},
}

// notPublic says why p holds no public address, or "" when it may. A range
// that merely contains a private one (such as 0.0.0.0/1) is allowed: part
// of it is public.
func notPublic(p netip.Prefix) string {
	for _, np := range nonPublic {
		if np.prefix.Addr().Is4() != p.Addr().Is4() {
			continue
		}
		if np.prefix.Bits() <= p.Bits() && np.prefix.Contains(p.Addr()) {
			return np.what
		}
	}
	return ""
}

func hasAnyPrefix(s string, prefixes ...string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

func hasAnySuffix(s string, suffixes ...string) bool {
	for _, p := range suffixes {
		if strings.HasSuffix(s, p) {
			return true
		}
	}
	return false
}
