package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
)

// isolate gives the SDK's chain nothing from this machine: no variables,
// shared files in an empty home, and no instance metadata service (which
// would be a network call). It returns the home directory. The SDK reads
// HOME once, at start, so the shared files are named outright.
func isolate(t *testing.T) string {
	t.Helper()
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	for _, v := range []string{
		"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
		"AWS_PROFILE", "AWS_DEFAULT_PROFILE",
		"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
		"AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN",
	} {
		t.Setenv(v, "")
	}
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(home, ".aws", "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(home, ".aws", "credentials"))
	return home
}

func write(t *testing.T, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

// The secret used below; no output may contain it.
const secret = "test-secret-not-a-real-key"

func TestCredentialSource(t *testing.T) {
	tests := []struct {
		name string
		// setup prepares the environment in home.
		setup   func(t *testing.T, home string)
		source  string // want, when ok
		wantErr []string
	}{{
		name: "environment",
		setup: func(t *testing.T, home string) {
			t.Setenv("AWS_ACCESS_KEY_ID", "test-key-id")
			t.Setenv("AWS_SECRET_ACCESS_KEY", secret)
		},
		source: "EnvConfigCredentials",
	}, {
		name: "default profile in the shared credentials file",
		setup: func(t *testing.T, home string) {
			write(t, filepath.Join(home, ".aws", "credentials"), "[default]\naws_access_key_id = test-key-id\naws_secret_access_key = "+secret+"\n")
		},
		source: "SharedConfigCredentials: ",
	}, {
		name: "AWS_PROFILE names a profile in AWS_CONFIG_FILE",
		setup: func(t *testing.T, home string) {
			f := filepath.Join(home, "elsewhere", "config")
			write(t, f, "[profile deployer]\naws_access_key_id = test-key-id\naws_secret_access_key = "+secret+"\n")
			t.Setenv("AWS_CONFIG_FILE", f)
			t.Setenv("AWS_PROFILE", "deployer")
		},
		source: "SharedConfigCredentials: ",
	}, {
		name:    "nothing configured",
		setup:   func(t *testing.T, home string) {},
		wantErr: []string{"no AWS credentials found", "aws configure"},
	}, {
		name: "AWS_PROFILE names a missing profile",
		setup: func(t *testing.T, home string) {
			t.Setenv("AWS_PROFILE", "nope")
		},
		wantErr: []string{"AWS profile nope is in neither", "aws configure --profile nope"},
	}, {
		name: "an SSO profile without a login",
		setup: func(t *testing.T, home string) {
			write(t, filepath.Join(home, ".aws", "config"), "[profile sso]\nsso_start_url = https://example.invalid/start\nsso_region = us-east-1\nsso_account_id = 111122223333\nsso_role_name = deployer\n")
			t.Setenv("AWS_PROFILE", "sso")
		},
		wantErr: []string{"cannot be used", "SSO", "aws sso login"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			home := isolate(t)
			tt.setup(t, home)
			source, err := credentialSource(context.Background(), config.LoadDefaultConfig)
			if strings.Contains(source, secret) || (err != nil && strings.Contains(err.Error(), secret)) {
				t.Fatalf("the output holds the secret: %q, %v", source, err)
			}
			if tt.wantErr != nil {
				if err == nil {
					t.Fatalf("source %q, want an error with %q", source, tt.wantErr)
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not say %q", err, w)
					}
				}
				if strings.Contains(err.Error(), "\n") {
					t.Errorf("error is more than one line: %q", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("error %v, want source %q", err, tt.source)
			}
			if !strings.HasPrefix(source, tt.source) {
				t.Errorf("source %q, want %q...", source, tt.source)
			}
		})
	}
}

func TestCredentialSourceConfigError(t *testing.T) {
	load := func(context.Context, ...func(*config.LoadOptions) error) (aws.Config, error) {
		return aws.Config{}, errors.New("bad shared config file")
	}
	_, err := credentialSource(context.Background(), load)
	if err == nil || !strings.Contains(err.Error(), "reading the AWS configuration: bad shared config file") {
		t.Errorf("error %v, want it to say the configuration could not be read", err)
	}
}
