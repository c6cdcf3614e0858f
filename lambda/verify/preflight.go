package verify

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// CredentialTimeout bounds finding the credentials, which may ask an
// instance metadata service or an SSO cache.
const CredentialTimeout = 10 * time.Second

// ErrNoRegion and ErrNoCredentials say, in one line, what stops
// verify-deploy before it calls anything.
var (
	ErrNoRegion      = errors.New("no AWS Region: set AWS_REGION (or the profile's region) to the stack's Region")
	ErrNoCredentials = errors.New("no AWS credentials found: sign in as an administrator of the stack's account first (aws configure, aws sso login or AWS_PROFILE=...)")
)

// Preflight checks that there is a Region and credentials before any AWS
// call is made.
func Preflight(ctx context.Context, region string, creds aws.CredentialsProvider) error {
	if region == "" {
		return ErrNoRegion
	}
	if creds == nil {
		return ErrNoCredentials
	}
	ctx, cancel := context.WithTimeout(ctx, CredentialTimeout)
	defer cancel()
	c, err := creds.Retrieve(ctx)
	switch {
	case err != nil:
		return fmt.Errorf("%w (%v)", ErrNoCredentials, err)
	case !c.HasKeys():
		return ErrNoCredentials
	}
	return nil
}
