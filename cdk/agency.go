package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/jsii-runtime-go"
)

// Sids of the agency's policy statements. The S3 statements hold only s3:
// actions, so tests (and the MinIO end-to-end test) can pick them out of
// the synthesized template by Sid; the IAM self-service statements are
// separate.
const (
	SidListBucket            = "ListBucket"
	SidReadWriteObjects      = "ReadWriteObjects"
	SidDenyVersionDeletion   = "DenyVersionDeletion"
	SidDenyAclChanges        = "DenyAclChanges"
	SidDenyBucketConfig      = "DenyBucketConfigurationChanges"
	SidReadAccountSecurity   = "ReadAccountPasswordPolicyAndMfaDevices"
	SidCreateOwnMfaDevice    = "CreateOwnMfaDevice"
	SidManageOwnPasswordMfa  = "ManageOwnPasswordAndMfa"
	SidDenyConsoleWithoutMfa = "DenyConsoleWithoutMfa"
)

// AgencyObjectActions are the agency's rights on objects: everything
// `aws s3 cp` (including multipart copies), `aws s3 rm` and downloads need.
// s3:PutObject covers CreateMultipartUpload, UploadPart and
// CompleteMultipartUpload.
var AgencyObjectActions = []string{
	"s3:GetObject",
	"s3:PutObject",
	"s3:DeleteObject",
	"s3:AbortMultipartUpload",
	"s3:ListMultipartUploadParts",
}

// AgencyDeniedObjectActions can destroy history: a version delete is the
// one delete versioning cannot undo.
var AgencyDeniedObjectActions = []string{"s3:DeleteObjectVersion"}

// AgencyDeniedAclActions could make an object or the bucket public if ACLs
// were ever re-enabled. MinIO knows none of them; its end-to-end test must
// leave this statement out.
var AgencyDeniedAclActions = []string{"s3:PutBucketAcl", "s3:PutObjectAcl", "s3:PutObjectVersionAcl"}

// AgencyDeniedBucketActions are every bucket-level change: policy, public
// access block, ownership, versioning, lifecycle, notifications, logging,
// encryption, replication, CORS, website, tags and deleting the bucket.
// The wildcards also cover configuration actions S3 adds later; each one
// matches actions MinIO knows, so MinIO accepts the statement.
var AgencyDeniedBucketActions = []string{"s3:PutBucket*", "s3:DeleteBucket*", "s3:Put*Configuration"}

// agencySelfServiceActions are what a console user must be able to do
// before MFA is set up: change the initial password and register an MFA
// device. Everything else needs an MFA session.
var agencySelfServiceActions = []string{
	"iam:ChangePassword",
	"iam:GetAccountPasswordPolicy",
	"iam:CreateVirtualMFADevice",
	"iam:EnableMFADevice",
	"iam:GetMFADevice",
	"iam:GetUser",
	"iam:ListMFADevices",
	"iam:ListVirtualMFADevices",
	"iam:ResyncMFADevice",
}

// agencyStatements is the agency's whole policy. The explicit Denies are
// guardrails: an explicit Deny wins over any Allow, so they still hold if
// someone later attaches a broader policy to the user by hand.
func agencyStatements(bucket awss3.IBucket, cfg Config) *[]awsiam.PolicyStatement {
	list := statement(SidListBucket, awsiam.Effect_ALLOW, []string{"s3:ListBucket"}, bucket.BucketArn())
	if cfg.KeyPrefix != "" {
		// Listing is a bucket-level action: only the s3:prefix condition
		// keeps the agency from listing other folders.
		list.AddCondition(jsii.String("StringLike"), map[string]interface{}{"s3:prefix": []string{cfg.KeyPrefix + "*"}})
	}
	sts := []awsiam.PolicyStatement{
		list,
		statement(SidReadWriteObjects, awsiam.Effect_ALLOW, AgencyObjectActions, bucket.ArnForObjects(jsii.String(cfg.KeyPrefix+"*"))),
		statement(SidDenyVersionDeletion, awsiam.Effect_DENY, AgencyDeniedObjectActions, bucket.ArnForObjects(jsii.String("*"))),
		statement(SidDenyAclChanges, awsiam.Effect_DENY, AgencyDeniedAclActions, bucket.BucketArn(), bucket.ArnForObjects(jsii.String("*"))),
		statement(SidDenyBucketConfig, awsiam.Effect_DENY, AgencyDeniedBucketActions, bucket.BucketArn()),
	}
	if cfg.ConsoleAccess {
		ownUser := iamArn("user/${aws:username}")
		sts = append(sts,
			// Neither action supports resource-level permissions.
			statement(SidReadAccountSecurity, awsiam.Effect_ALLOW, []string{"iam:GetAccountPasswordPolicy", "iam:ListVirtualMFADevices"}, jsii.String("*")),
			// The console lets the user name the new device, so the ARN is
			// not known in advance.
			statement(SidCreateOwnMfaDevice, awsiam.Effect_ALLOW, []string{"iam:CreateVirtualMFADevice"}, iamArn("mfa/*")),
			statement(SidManageOwnPasswordMfa, awsiam.Effect_ALLOW, []string{
				"iam:ChangePassword", "iam:GetUser", "iam:EnableMFADevice", "iam:GetMFADevice", "iam:ListMFADevices", "iam:ResyncMFADevice",
			}, ownUser),
		)
	}
	// aws:MultiFactorAuthPresent is false in a console session signed in
	// without MFA and absent for long-term access keys. Bool (not
	// BoolIfExists) therefore denies the former and leaves CLI keys working.
	// It stays without console access too, in case a password is added by
	// hand later.
	denyNoMfa := awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String(SidDenyConsoleWithoutMfa),
		Effect:     awsiam.Effect_DENY,
		NotActions: jsii.Strings(agencySelfServiceActions...),
		Resources:  jsii.Strings("*"),
		Conditions: &map[string]interface{}{"Bool": map[string]interface{}{"aws:MultiFactorAuthPresent": "false"}},
	})
	sts = append(sts, denyNoMfa)
	return &sts
}

// iamArn is an IAM ARN in this stack's account.
func iamArn(resource string) *string {
	return awscdk.Fn_Join(jsii.String(""), &[]*string{
		jsii.String("arn:"), awscdk.Aws_PARTITION(), jsii.String(":iam::"), awscdk.Aws_ACCOUNT_ID(), jsii.String(":" + resource),
	})
}
