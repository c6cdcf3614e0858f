package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
)

// featureFlags are the CDK feature flags this stack relies on. They live in
// code rather than cdk.json so that the tests build exactly what
// `cdk synth` builds.
var featureFlags = map[string]interface{}{
	// Grant S3 log delivery through the log bucket's policy: ACLs are
	// disabled (BucketOwnerEnforced), so the old ACL grant cannot work.
	"@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy": true,
	"@aws-cdk/aws-s3:createDefaultLoggingPolicy":      true,
	"@aws-cdk/aws-s3:publicAccessBlockedByDefault":    true,
	// Fail synth when a SecretValue would be written into the template.
	"@aws-cdk/core:checkSecretUsage":        true,
	"@aws-cdk/core:enablePartitionLiterals": true,
}

// NewApp returns the CDK app with bucketbell's feature flags set. Context
// from the CLI (-c, cdk.json) is added on top.
func NewApp() awscdk.App {
	ctx := make(map[string]interface{}, len(featureFlags))
	for k, v := range featureFlags {
		ctx[k] = v
	}
	return awscdk.NewApp(&awscdk.AppProps{Context: &ctx})
}
