package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/smithy-go"
)

// loadConfig is config.LoadDefaultConfig: the chain the CDK CLI's own
// search resembles (environment, shared files and profiles, SSO,
// credential_process, web identity, container and instance roles).
type loadConfig func(ctx context.Context, optFns ...func(*config.LoadOptions) error) (aws.Config, error)

// credentialSource returns where the default chain finds credentials, as
// the SDK names the source (EnvConfigCredentials, SharedConfigCredentials:
// FILE, SSOProvider, ...), or an error that says what to do. The
// credentials themselves are not returned, so cannot be printed.
func credentialSource(ctx context.Context, load loadConfig) (string, error) {
	cfg, err := load(ctx)
	if err != nil {
		var missing config.SharedConfigProfileNotExistError
		if errors.As(err, &missing) {
			return "", fmt.Errorf("AWS profile %s is in neither ~/.aws/config nor ~/.aws/credentials: run aws configure --profile %s, or set AWS_PROFILE to a profile you have", missing.Profile, missing.Profile)
		}
		return "", fmt.Errorf("reading the AWS configuration: %w", err)
	}
	if cfg.Credentials == nil {
		return "", errors.New(noCredentials)
	}
	creds, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		// The instance metadata service is the chain's last resort: an
		// error from it means nothing before it was configured. Any other
		// error comes from a source that is (an expired SSO login, a
		// failing credential_process) and says what is wrong with it.
		var op *smithy.OperationError
		if errors.As(err, &op) && op.ServiceID == "ec2imds" {
			return "", errors.New(noCredentials)
		}
		return "", fmt.Errorf("the configured AWS credentials cannot be used: %w (for an SSO profile: aws sso login)", err)
	}
	if creds.Source == "" {
		return "an unnamed source", nil
	}
	return creds.Source, nil
}

const noCredentials = "no AWS credentials found (environment, ~/.aws/credentials, ~/.aws/config, SSO, container or instance role): run aws configure, or aws sso login with AWS_PROFILE set, then try again"
