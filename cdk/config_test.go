package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// lookupOf serves context values from a map, as the CDK app would.
func lookupOf(ctx map[string]any) func(string) any {
	return func(name string) any { return ctx[name] }
}

func TestConfigDefaults(t *testing.T) {
	cfg, err := ConfigFromContext(lookupOf(map[string]any{SettingAdminEmail: "admin@example.com"}))
	if err != nil {
		t.Fatal(err)
	}
	want := Config{
		AdminEmails:           []string{"admin@example.com"},
		MediaUserName:         "mediacouser",
		ConsoleAccess:         true,
		CLIAccessKey:          true,
		DigestWindowSeconds:   60,
		NoncurrentVersionDays: 30,
		ReviewSchedule:        "cron(0 8 1 * ? *)",
		AccessKeySerial:       1,
		HistoryDays:           400,
	}
	if !reflect.DeepEqual(cfg, want) {
		t.Errorf("defaults:\n got %+v\nwant %+v", cfg, want)
	}
}

func TestConfigValues(t *testing.T) {
	tests := []struct {
		name  string
		ctx   map[string]any
		check func(Config) bool
	}{
		{"several admins, spaces and duplicates", map[string]any{SettingAdminEmail: " a@x.com, b@y.org ,A@X.com"},
			func(c Config) bool { return reflect.DeepEqual(c.AdminEmails, []string{"a@x.com", "b@y.org"}) }},
		{"bucket name", map[string]any{SettingBucketName: "acme-product-images"},
			func(c Config) bool { return c.BucketName == "acme-product-images" }},
		{"user name", map[string]any{SettingMediaUserName: "agency.bob@acme"},
			func(c Config) bool { return c.MediaUserName == "agency.bob@acme" }},
		{"prefix gets one trailing slash", map[string]any{SettingKeyPrefix: "agency"},
			func(c Config) bool { return c.KeyPrefix == "agency/" }},
		{"prefix loses leading slashes", map[string]any{SettingKeyPrefix: "/agency/2026/"},
			func(c Config) bool { return c.KeyPrefix == "agency/2026/" }},
		{"a lone slash is the whole bucket", map[string]any{SettingKeyPrefix: "/"},
			func(c Config) bool { return c.KeyPrefix == "" }},
		{"booleans from -c strings", map[string]any{SettingConsoleAccess: "false", SettingCLIAccessKey: "FALSE", SettingLifecycleEvents: "true", SettingRestoreEvents: "1"},
			func(c Config) bool {
				return !c.ConsoleAccess && !c.CLIAccessKey && c.LifecycleEvents && c.RestoreEvents
			}},
		{"booleans from cdk.json", map[string]any{SettingConsoleAccess: false, SettingLifecycleEvents: true},
			func(c Config) bool { return !c.ConsoleAccess && c.LifecycleEvents }},
		{"numbers from -c strings", map[string]any{SettingDigestWindowSeconds: "300", SettingNoncurrentVersionDays: "7"},
			func(c Config) bool { return c.DigestWindowSeconds == 300 && c.NoncurrentVersionDays == 7 }},
		{"numbers from cdk.json", map[string]any{SettingDigestWindowSeconds: float64(1), SettingNoncurrentVersionDays: float64(365)},
			func(c Config) bool { return c.DigestWindowSeconds == 1 && c.NoncurrentVersionDays == 365 }},
		{"schedule: a rate", map[string]any{SettingReviewSchedule: "rate(7 days)"},
			func(c Config) bool { return c.ReviewSchedule == "rate(7 days)" }},
		{"schedule: a rate of one", map[string]any{SettingReviewSchedule: "rate(1 day)"},
			func(c Config) bool { return c.ReviewSchedule == "rate(1 day)" }},
		{"schedule: weekly cron, spaces normalised", map[string]any{SettingReviewSchedule: "  cron(30 7 ?  * MON-FRI *) "},
			func(c Config) bool { return c.ReviewSchedule == "cron(30 7 ? * MON-FRI *)" }},
		{"schedule: last day, quarterly", map[string]any{SettingReviewSchedule: "cron(0 8 L 1/3 ? 2026-2030)"},
			func(c Config) bool { return c.ReviewSchedule == "cron(0 8 L 1/3 ? 2026-2030)" }},
		{"schedule: first Monday", map[string]any{SettingReviewSchedule: "cron(0 8 ? * 2#1 *)"},
			func(c Config) bool { return c.ReviewSchedule == "cron(0 8 ? * 2#1 *)" }},
		{"source ranges: IPv4 and IPv6, canonical, deduplicated, a lone address", map[string]any{SettingAgencySourceCidrs: " 203.0.113.7/24 ,2001:DB8::/32, 203.0.113.0/24,198.51.100.9"},
			func(c Config) bool {
				return reflect.DeepEqual(c.AgencySourceCidrs, []string{"203.0.113.0/24", "2001:db8::/32", "198.51.100.9/32"})
			}},
		{"source ranges: a wide range that is partly private", map[string]any{SettingAgencySourceCidrs: "0.0.0.0/1"},
			func(c Config) bool { return reflect.DeepEqual(c.AgencySourceCidrs, []string{"0.0.0.0/1"}) }},
		{"source ranges: the most allowed", map[string]any{SettingAgencySourceCidrs: strings.Repeat("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff/128,", 9) + "203.0.113.0/24"},
			func(c Config) bool { return len(c.AgencySourceCidrs) == 2 }},
		{"access key serial, name roles, history days", map[string]any{SettingAccessKeySerial: float64(3), SettingNameRoles: true, SettingHistoryDays: "30"},
			func(c Config) bool { return c.AccessKeySerial == 3 && c.NameRoles && c.HistoryDays == 30 }},
		{"longest key prefix", map[string]any{SettingKeyPrefix: strings.Repeat("a", 255)},
			func(c Config) bool { return len(c.KeyPrefix) == 256 }},
		{"empty optional values mean defaults", map[string]any{SettingBucketName: "", SettingMediaUserName: " ", SettingDigestWindowSeconds: ""},
			func(c Config) bool {
				return c.BucketName == "" && c.MediaUserName == "mediacouser" && c.DigestWindowSeconds == 60
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := map[string]any{SettingAdminEmail: "admin@example.com"}
			for k, v := range tt.ctx {
				ctx[k] = v
			}
			cfg, err := ConfigFromContext(lookupOf(ctx))
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(cfg) {
				t.Errorf("unexpected config %+v", cfg)
			}
		})
	}
}

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		ctx  map[string]any
		want []string // each must appear in the error
	}{
		{"missing admin e-mail", map[string]any{},
			[]string{"adminEmail: is required", "ADMIN_EMAIL="}},
		{"blank admin e-mail", map[string]any{SettingAdminEmail: "  "},
			[]string{"adminEmail: is required"}},
		{"malformed admin e-mail", map[string]any{SettingAdminEmail: "admin-at-example.com"},
			[]string{`adminEmail: "admin-at-example.com" is not a valid e-mail address`}},
		{"display name", map[string]any{SettingAdminEmail: "Admin <admin@example.com>"},
			[]string{`adminEmail: "Admin <admin@example.com>" is not a valid e-mail address`}},
		{"no dot in the domain", map[string]any{SettingAdminEmail: "admin@localhost"},
			[]string{"adminEmail:", "needs a dot"}},
		{"one bad address among good ones", map[string]any{SettingAdminEmail: "a@x.com,,b@y.org"},
			[]string{`adminEmail: "" is not a valid e-mail address`}},
		{"bucket name with capitals", map[string]any{SettingBucketName: "Acme_Images"},
			[]string{`bucketName: "Acme_Images" is not a valid S3 bucket name`}},
		{"bucket name like an IP", map[string]any{SettingBucketName: "192.168.1.1"},
			[]string{"bucketName:", "IP address"}},
		{"bucket name with double dots", map[string]any{SettingBucketName: "a..b"},
			[]string{"bucketName:", "doubled"}},
		{"reserved bucket suffix", map[string]any{SettingBucketName: "images-s3alias"},
			[]string{"bucketName:", "reserves"}},
		{"user name with a space", map[string]any{SettingMediaUserName: "media user"},
			[]string{`mediaUserName: "media user" is not a valid IAM user name`}},
		{"prefix with a wildcard", map[string]any{SettingKeyPrefix: "agency/*"},
			[]string{"keyPrefix:", "may not contain *"}},
		{"prefix with a policy variable", map[string]any{SettingKeyPrefix: "${aws:username}"},
			[]string{"keyPrefix:", "$"}},
		{"prefix with an empty folder", map[string]any{SettingKeyPrefix: "a//b"},
			[]string{"keyPrefix:", "//"}},
		{"not a boolean", map[string]any{SettingConsoleAccess: "yes please"},
			[]string{`consoleAccess: "yes please" is not true or false`}},
		{"window too long", map[string]any{SettingDigestWindowSeconds: "301"},
			[]string{"digestWindowSeconds: 301 is out of range: use 1 to 300"}},
		{"window zero", map[string]any{SettingDigestWindowSeconds: "0"},
			[]string{"digestWindowSeconds: 0 is out of range"}},
		{"fractional days", map[string]any{SettingNoncurrentVersionDays: "1.5"},
			[]string{`noncurrentVersionDays: "1.5" is not a whole number`}},
		{"key prefix too long", map[string]any{SettingKeyPrefix: strings.Repeat("a", 256)},
			[]string{"keyPrefix: is 257 bytes long", "keep it to 256"}},
		{"schedule: Unix cron with 5 fields", map[string]any{SettingReviewSchedule: "0 8 1 * *"},
			[]string{`reviewSchedule: "0 8 1 * *" is not an EventBridge schedule expression`, "rate(...) or cron(...)"}},
		{"schedule: cron with 5 fields", map[string]any{SettingReviewSchedule: "cron(0 8 1 * *)"},
			[]string{"reviewSchedule:", "6 fields", "this has 5"}},
		{"schedule: both day fields", map[string]any{SettingReviewSchedule: "cron(0 8 1 * MON *)"},
			[]string{"reviewSchedule:", "? in exactly one of day-of-month and day-of-week"}},
		{"schedule: both day fields ?", map[string]any{SettingReviewSchedule: "cron(0 8 ? * ? *)"},
			[]string{"reviewSchedule:", "? in exactly one"}},
		{"schedule: a letter in the hours", map[string]any{SettingReviewSchedule: "cron(0 8h 1 * ? *)"},
			[]string{"reviewSchedule:", `hours field "8h" may not contain 'h'`}},
		{"schedule: plural rate of one", map[string]any{SettingReviewSchedule: "rate(1 days)"},
			[]string{"reviewSchedule:", "write rate(1 day)"}},
		{"schedule: singular rate", map[string]any{SettingReviewSchedule: "rate(30 day)"},
			[]string{"reviewSchedule:", "write rate(30 days)"}},
		{"schedule: rate in weeks", map[string]any{SettingReviewSchedule: "rate(1 week)"},
			[]string{"reviewSchedule:", `unit "week"`}},
		{"schedule: rate of zero", map[string]any{SettingReviewSchedule: "rate(0 days)"},
			[]string{"reviewSchedule:", `"0" is not a positive whole number`}},
		{"schedule: rate without a unit", map[string]any{SettingReviewSchedule: "rate(30)"},
			[]string{"reviewSchedule:", "a number and a unit"}},
		{"schedule: at(...)", map[string]any{SettingReviewSchedule: "at(2026-09-01T08:00:00)"},
			[]string{"reviewSchedule:", "not at(...)"}},
		{"schedule: no closing parenthesis", map[string]any{SettingReviewSchedule: "cron(0 8 1 * ? *"},
			[]string{"reviewSchedule:", "want rate(...) or cron(...)"}},
		{"source range: every address", map[string]any{SettingAgencySourceCidrs: "0.0.0.0/0"},
			[]string{`agencySourceCidrs: "0.0.0.0/0" matches every address and restricts nothing`}},
		{"source range: every IPv6 address", map[string]any{SettingAgencySourceCidrs: "203.0.113.0/24,::/0"},
			[]string{`agencySourceCidrs: "::/0" matches every address`}},
		{"source range: private", map[string]any{SettingAgencySourceCidrs: "10.1.0.0/16"},
			[]string{`agencySourceCidrs: "10.1.0.0/16" is a private range (RFC 1918)`, "public address"}},
		{"source range: private IPv6", map[string]any{SettingAgencySourceCidrs: "fd12:3456::/48"},
			[]string{`agencySourceCidrs: "fd12:3456::/48" is a private range (unique local`}},
		{"source range: loopback, link-local, CGNAT", map[string]any{SettingAgencySourceCidrs: "127.0.0.1,169.254.1.0/24,100.64.0.0/16"},
			[]string{`"127.0.0.1" is loopback`, `"169.254.1.0/24" is link-local`, `"100.64.0.0/16" is the carrier-grade NAT range`}},
		{"source range: malformed", map[string]any{SettingAgencySourceCidrs: "203.0.113.0/33"},
			[]string{`agencySourceCidrs: "203.0.113.0/33" is not an IPv4 or IPv6 range`}},
		{"source range: a host name", map[string]any{SettingAgencySourceCidrs: "office.example.com"},
			[]string{`agencySourceCidrs: "office.example.com" is not an IPv4 or IPv6 range`}},
		{"source range: IPv4-mapped IPv6", map[string]any{SettingAgencySourceCidrs: "::ffff:203.0.113.0/120"},
			[]string{"agencySourceCidrs:", "dotted form"}},
		{"source ranges: only commas", map[string]any{SettingAgencySourceCidrs: ", ,"},
			[]string{"agencySourceCidrs:", "holds no address range"}},
		{"source ranges: too many", map[string]any{SettingAgencySourceCidrs: "1.0.0.0/24,2.0.0.0/24,3.0.0.0/24,4.0.0.0/24,5.0.0.0/24,6.0.0.0/24"},
			[]string{"agencySourceCidrs: has 6 ranges; at most 5"}},
		{"access key serial zero", map[string]any{SettingAccessKeySerial: "0"},
			[]string{"accessKeySerial: 0 is out of range"}},
		{"history days too many", map[string]any{SettingHistoryDays: float64(4000)},
			[]string{"historyDays: 4000 is out of range: use 1 to 3650"}},
		{"every error at once", map[string]any{SettingBucketName: "X", SettingDigestWindowSeconds: "x"},
			[]string{"adminEmail: is required", "bucketName:", "digestWindowSeconds:"}},
		{"a JSON object", map[string]any{SettingAdminEmail: map[string]any{"a": 1}},
			[]string{"adminEmail: must be a string"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := map[string]any{}
			if _, ok := tt.ctx[SettingAdminEmail]; !ok && tt.name != "missing admin e-mail" && tt.name != "every error at once" {
				ctx[SettingAdminEmail] = "admin@example.com"
			}
			for k, v := range tt.ctx {
				ctx[k] = v
			}
			_, err := ConfigFromContext(lookupOf(ctx))
			if err == nil {
				t.Fatal("want an error, got none")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestCheckAsset(t *testing.T) {
	dir := t.TempDir()
	err := CheckAsset("reviewer", dir)
	if err == nil || !strings.Contains(err.Error(), "make build") || !strings.HasPrefix(err.Error(), "reviewer code ") {
		t.Errorf("missing bootstrap: got %v, want an error that names the function and says to run make build", err)
	}
	if err := CheckAsset("notifier", assetDir); err != nil {
		t.Errorf("bootstrap present: %v", err)
	}
}

// TestCdkJSONHoldsEverySetting: the settings that must persist live in
// cdk.json's context, so that a deploy without -c flags keeps them. As
// shipped, they are the defaults.
func TestCdkJSONHoldsEverySetting(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "cdk.json"))
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		App     string         `json:"app"`
		Context map[string]any `json:"context"`
	}
	if err := json.Unmarshal(data, &file); err != nil {
		t.Fatal(err)
	}
	for _, name := range settingNames() {
		if _, ok := file.Context[name]; !ok && name != SettingAdminEmail {
			t.Errorf("cdk.json's context lacks %s", name)
		}
	}
	if _, ok := file.Context[SettingAdminEmail]; ok {
		t.Errorf("cdk.json sets %s: make deploy ADMIN_EMAIL=... names it", SettingAdminEmail)
	}
	ctx := map[string]any{SettingAdminEmail: "admin@example.com"}
	for k, v := range file.Context {
		ctx[k] = v
	}
	got, err := ConfigFromContext(lookupOf(ctx))
	if err != nil {
		t.Fatalf("cdk.json's settings: %v", err)
	}
	want, _ := ConfigFromContext(lookupOf(map[string]any{SettingAdminEmail: "admin@example.com"}))
	if !reflect.DeepEqual(got, want) {
		t.Errorf("cdk.json's settings\n got %+v\nwant the defaults %+v", got, want)
	}
	if len(settingNames()) != len(Config{}.Settings()) {
		t.Errorf("settingNames lists %d settings, Config has %d", len(settingNames()), len(Config{}.Settings()))
	}
}
