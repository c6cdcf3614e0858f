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
	SidDenyOtherStorage      = "DenyOtherStorageClasses"
	SidDenyOtherEncryption   = "DenyOtherEncryption"
	SidDenyIamWithAccessKey  = "DenyIamWithAccessKey"
	SidDenyOutsideNetworks   = "DenyOutsideAgencyNetworks"
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

// AgencyStorageClass is the one storage class the agency may choose, and
// AgencyEncryption the one server-side encryption: the bucket's defaults.
// An archive class would hide an image from the shop until someone
// restores it, and bill a 90- or 180-day minimum; an upload under a KMS
// key (the AWS managed aws/s3 key, or another account's) could no longer
// be served by a CDN or read by this account alone.
const (
	AgencyStorageClass = "STANDARD"
	AgencyEncryption   = "AES256"
)

// IAMPasswordSymbols are the only characters IAM's password policy counts
// as symbols ("Set an account password policy for IAM users"). A password
// whose only punctuation lies outside them fails a policy that requires a
// symbol, and with it the deploy.
const IAMPasswordSymbols = "!@#$%^&*()_+-=[]{}|'"

// passwordExcludedCharacters keeps the generated first password to
// letters, digits and IAM's symbols: Secrets Manager draws punctuation
// from all of ASCII's (!"#$%&'()*+,-./:;<=>?@[\]^_`{|}~), so everything
// outside IAMPasswordSymbols goes, as do the characters that get lost or
// mangled when read aloud, pasted into e-mail or typed on other keyboards
// (' @ | and l I 1 O 0) and the space.
const passwordExcludedCharacters = "\"`\\/,.:;<>?~'@| lI1O0"

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
	// The Denies cover every bucket and object (arn:aws:s3:::* matches
	// both, as * spans slashes): should someone later give the agency
	// another bucket, they hold there too. Naming the image bucket once per
	// statement would also cost the reviewer's 4 KB environment, which
	// carries this whole document.
	everywhere := allOfS3()
	sts := []awsiam.PolicyStatement{
		list,
		statement(SidReadWriteObjects, awsiam.Effect_ALLOW, AgencyObjectActions, bucket.ArnForObjects(jsii.String(cfg.KeyPrefix+"*"))),
		statement(SidDenyVersionDeletion, awsiam.Effect_DENY, AgencyDeniedObjectActions, everywhere),
		statement(SidDenyAclChanges, awsiam.Effect_DENY, AgencyDeniedAclActions, everywhere),
		statement(SidDenyBucketConfig, awsiam.Effect_DENY, AgencyDeniedBucketActions, everywhere),
		// A negated operator is true when the key is missing, and a plain
		// `aws s3 cp` sends neither header: Null false makes each Deny
		// apply only to a request that names a storage class or an
		// encryption, and then only to one other than the default.
		// (IAM User Guide, "Condition operators": "...IfExists" and "Null
		// condition operator".) Uploads in parts carry the headers on
		// CreateMultipartUpload, which is s3:PutObject too.
		withConditions(statement(SidDenyOtherStorage, awsiam.Effect_DENY, []string{"s3:PutObject"}, everywhere), &map[string]interface{}{
			"Null":            map[string]interface{}{"s3:x-amz-storage-class": "false"},
			"StringNotEquals": map[string]interface{}{"s3:x-amz-storage-class": AgencyStorageClass},
		}),
		withConditions(statement(SidDenyOtherEncryption, awsiam.Effect_DENY, []string{"s3:PutObject"}, everywhere), &map[string]interface{}{
			"Null":            map[string]interface{}{"s3:x-amz-server-side-encryption": "false"},
			"StringNotEquals": map[string]interface{}{"s3:x-amz-server-side-encryption": AgencyEncryption},
		}),
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
	// A long-term access key carries no aws:MultiFactorAuthPresent at all
	// (Null true), so this Deny reaches the CLI key and nothing else: a
	// leaked key cannot register its holder's MFA device on the user, or
	// read the account's MFA devices. Console sessions always carry the
	// key and keep the self-service above.
	denyIamWithKey := withConditions(statement(SidDenyIamWithAccessKey, awsiam.Effect_DENY, []string{"iam:*"}, jsii.String("*")),
		&map[string]interface{}{"Null": map[string]interface{}{"aws:MultiFactorAuthPresent": "true"}})
	sts = append(sts, denyNoMfa, denyIamWithKey)
	if len(cfg.AgencySourceCidrs) > 0 {
		// AWS's documented pattern, "AWS: Denies access to AWS based on
		// the source IP" (IAM User Guide, reference_policies_examples_aws_
		// deny-ip): aws:ViaAWSService false spares requests a service
		// makes on the user's behalf, whose source address is the
		// service's. The S3 console calls S3 from the browser, so the
		// office's address is what counts there too.
		sts = append(sts, awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String(SidDenyOutsideNetworks),
			Effect:    awsiam.Effect_DENY,
			Actions:   jsii.Strings("*"),
			Resources: jsii.Strings("*"),
			Conditions: &map[string]interface{}{
				"NotIpAddress": map[string]interface{}{"aws:SourceIp": cfg.AgencySourceCidrs},
				"Bool":         map[string]interface{}{"aws:ViaAWSService": "false"},
			},
		}))
	}
	return &sts
}

// allOfS3 matches every bucket and every object in this partition.
func allOfS3() *string {
	return awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String("arn:"), awscdk.Aws_PARTITION(), jsii.String(":s3:::*")})
}

// iamArn is an IAM ARN in this stack's account.
func iamArn(resource string) *string {
	return awscdk.Fn_Join(jsii.String(""), &[]*string{
		jsii.String("arn:"), awscdk.Aws_PARTITION(), jsii.String(":iam::"), awscdk.Aws_ACCOUNT_ID(), jsii.String(":" + resource),
	})
}
