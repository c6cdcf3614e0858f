package main

import (
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
	err := CheckAsset(dir)
	if err == nil || !strings.Contains(err.Error(), "make build") {
		t.Errorf("missing bootstrap: got %v, want an error that says to run make build", err)
	}
	if err := CheckAsset(assetDir); err != nil {
		t.Errorf("bootstrap present: %v", err)
	}
}
