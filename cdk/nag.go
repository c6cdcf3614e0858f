package main

import (
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
)

// The cdk-nag packs (AwsSolutions, Serverless, NIST 800-53 R5) run in the
// tests. Each finding they report is either fixed in the stack or
// suppressed here, on the one resource it concerns, with the reason a
// reviewer needs. A new finding fails the tests.

// objectsOfImageBucket matches an IAM5 finding on an object ARN pattern in
// the image bucket ("<ImageBucketXXXXXXXX.Arn>/*", or with the key prefix).
var objectsOfImageBucket = &cdknag.RegexAppliesTo{Regex: jsii.String(`/^Resource::<ImageBucket[0-9A-F]{8}\.Arn>\/[^*]*\*$/`)}

func suppress(c constructs.IConstruct, id, reason string, appliesTo ...interface{}) {
	s := &cdknag.NagPackSuppression{Id: jsii.String(id), Reason: jsii.String(reason)}
	if len(appliesTo) > 0 {
		s.AppliesTo = &appliesTo
	}
	cdknag.NagSuppressions_AddResourceSuppressions(c, &[]*cdknag.NagPackSuppression{s}, jsii.Bool(false))
}

func (s *stack) suppressFindings() {
	s.suppressBuckets()
	s.suppressNotifier()
	s.suppressReviewer()
	s.suppressAgency()
	s.suppressCDKNotificationsHandler()

	suppress(s.deadLetters, "Serverless-SQSRedrivePolicy",
		"This queue is the dead-letter queue of EventQueue: a dead-letter queue of its own would only move the same failed events again. It keeps them 14 days and the DeadLetterQueueAlarm e-mails the administrators when it holds any.")
	for _, c := range *s.topic.Node().Children() {
		if _, ok := c.(awssns.Subscription); ok {
			suppress(c, "Serverless-SNSRedrivePolicy",
				"E-mail subscription of an administrator: SNS retries e-mail delivery itself, and a queue of undelivered rendered e-mails would have no reader. The S3 events stay in EventQueue (with its own dead-letter queue and alarms) until a digest is published, so nothing upstream is lost.")
		}
	}
}

func (s *stack) suppressBuckets() {
	suppress(s.bucket, "NIST.800.53.R5-S3DefaultEncryptionKMS",
		"Default encryption is SSE-S3 (AES-256); access is decided by IAM and the TLS-only bucket policy. A customer-managed KMS key would add a KMS call to every upload and download by the agency, the notifier and the shop, and a key that, once scheduled for deletion, would make every retained product image unreadable. Product images are published content, not confidential records.")
	suppress(s.bucket, "NIST.800.53.R5-S3BucketReplicationEnabled",
		"Single Region by design: versioning with noncurrent-version retention, and the agency's explicit Deny on version deletes, undo any replace or delete; cross-Region replication would double the storage cost.")
	suppress(s.logBucket, "NIST.800.53.R5-S3DefaultEncryptionKMS",
		"S3 server access logs hold request metadata, not images. SSE-S3 is the encryption S3 log delivery writes with without key grants to logging.s3.amazonaws.com, and the retained logs stay readable without a retained key.")
	suppress(s.logBucket, "NIST.800.53.R5-S3BucketReplicationEnabled",
		"Access logs are an audit aid kept 365 days in the bucket's Region; versioning protects them against overwrites and deletes.")
	suppress(s.historyBucket, "NIST.800.53.R5-S3DefaultEncryptionKMS",
		"The change history holds what the digests say (keys, sizes, who acted), not images. SSE-S3 needs no key grants for the notifier, Athena or an administrator, and the retained records stay readable after the stack, and any key of it, is gone.")
	suppress(s.historyBucket, "NIST.800.53.R5-S3BucketReplicationEnabled",
		"Single Region by design, like the images it describes. Versioning, a bucket policy that denies every overwrite, and a notifier that can only create records protect them; replication would double the cost of an audit trail that the e-mails already duplicate.")
	suppress(s.queryResults, "NIST.800.53.R5-S3DefaultEncryptionKMS",
		"Athena query results over the change history, encrypted with SSE-S3 as the workgroup enforces, and deleted after 7 days: they repeat records that can be queried again.")
	suppress(s.queryResults, "NIST.800.53.R5-S3BucketReplicationEnabled",
		"Athena query results expire after 7 days and can be produced again from the change history at any time: there is nothing to replicate.")
}

func (s *stack) suppressNotifier() {
	suppress(s.notifier, "Serverless-LambdaTracing",
		"The notifier is one hop between SQS and SNS; its JSON logs and the Errors, dead-letter and queue-age alarms show its health. X-Ray would add cost and a Resource * permission to its role.")
	noDLQ := "The notifier is only invoked synchronously, by the SQS event source mapping; a function dead-letter queue applies to asynchronous invokes only. Failed events move to EventDeadLetterQueue after " +
		"maxReceiveCount attempts, and an alarm reports them."
	suppress(s.notifier, "Serverless-LambdaDLQ", noDLQ)
	suppress(s.notifier, "NIST.800.53.R5-LambdaDLQ", noDLQ)
	suppress(s.notifier, "NIST.800.53.R5-LambdaInsideVPC",
		"The notifier calls only public AWS APIs (SQS, SNS, S3, IAM) over TLS and listens on no network. A VPC would need a NAT gateway or four interface endpoints, tens of dollars a month, for no added protection.")
	suppress(s.notifier, "NIST.800.53.R5-LambdaConcurrency",
		"Concurrency is capped where the function is triggered: the event source mapping's MaximumConcurrency is 2. Reserved concurrency would make the deploy fail in new accounts whose Lambda concurrency quota is 10, since unreserved concurrency may not drop below 10.")
	if mapping := s.st.Node().TryFindChild(jsii.String("NotifierEventSource")); mapping != nil {
		suppress(mapping, "Serverless-LambdaEventSourceMappingDestination",
			"SQS event source mappings support no on-failure destination (only stream and Kafka sources do). The queue's redrive policy moves failed events to EventDeadLetterQueue, which has an alarm.")
	}
	suppress(s.notifierPolicy, "AwsSolutions-IAM5",
		"s3:GetObject and s3:GetObjectVersion (HeadObject and ranged GET of the version an event names) need an object ARN: the wildcard covers the objects of this stack's image bucket only.",
		objectsOfImageBucket)
	suppress(s.notifierPolicy, "AwsSolutions-IAM5",
		"s3:PutObject on the history bucket's changes/ prefix: each record is a new object whose key (date partition and digest id) is only known when the batch arrives. The notifier can only create records there, never read, delete or overwrite them: its statement requires a conditional create (s3:if-none-match) and the bucket policy denies every other write.",
		&cdknag.RegexAppliesTo{Regex: jsii.String(`/^Resource::<HistoryBucket[0-9A-F]{8}\.Arn>\/changes\/\*$/`)})
	suppress(s.notifierPolicy, "AwsSolutions-IAM5",
		"iam:ListUsers (and iam:ListRoles, only with the nameRoles setting) support no resource-level permissions (the Service Authorization Reference lists no resource type for them), so their Resource must be *. They are read-only and turn the user (and role) ids in S3 events into names.",
		"Resource::*")
}

func (s *stack) suppressReviewer() {
	suppress(s.reviewer, "Serverless-LambdaTracing",
		"The reviewer runs once a month and makes a few read-only IAM calls and one publish; its JSON logs, the ReviewerErrorsAlarm and the ReviewDeadLetterQueueAlarm show its health. X-Ray would add cost and a Resource * permission to its role.")
	suppress(s.reviewer, "NIST.800.53.R5-LambdaInsideVPC",
		"The reviewer calls only public AWS APIs (IAM, SNS) over TLS and listens on no network. A VPC would need a NAT gateway or interface endpoints, tens of dollars a month, for no added protection.")
	suppress(s.reviewer, "NIST.800.53.R5-LambdaConcurrency",
		"Concurrency is bounded where the function is triggered: one EventBridge schedule, monthly by default, plus Lambda's two retries of a failed review. Reserved concurrency would make the deploy fail in new accounts whose Lambda concurrency quota is 10, since unreserved concurrency may not drop below 10.")
	suppress(s.reviewDeadLetters, "Serverless-SQSRedrivePolicy",
		"This queue is the dead-letter queue of the ReviewSchedule target and of the reviewer's asynchronous invocations: a dead-letter queue of its own would only move the same scheduled events again. It keeps them 14 days and the ReviewDeadLetterQueueAlarm e-mails the administrators when it holds any.")
	suppress(s.reviewerPolicy, "AwsSolutions-IAM5",
		"iam:ListGroupPolicies, iam:GetGroupPolicy and iam:ListAttachedGroupPolicies on any group of this account: the review exists to find groups the agency's user was added to by hand, which cannot be named in advance. The actions only read.",
		"Resource::arn:<AWS::Partition>:iam::<AWS::AccountId>:group/*")
	suppress(s.reviewerPolicy, "AwsSolutions-IAM5",
		"iam:GetPolicy and iam:GetPolicyVersion on any customer managed policy of this account: the review must read the documents of policies attached to the user or its groups by hand, which cannot be named in advance. The actions only read.",
		"Resource::arn:<AWS::Partition>:iam::<AWS::AccountId>:policy/*")
	suppress(s.reviewerPolicy, "AwsSolutions-IAM5",
		"iam:GetPolicy and iam:GetPolicyVersion on AWS managed policies (account aws): a hand-attached AdministratorAccess or AmazonS3FullAccess is exactly the drift the review reports, and it must read the document to say what it grants. The actions only read, and AWS managed policies are public documents.",
		"Resource::arn:<AWS::Partition>:iam::aws:policy/*")
}

func (s *stack) suppressAgency() {
	suppress(s.agencyPolicy, "AwsSolutions-IAM5",
		"Object actions need an object ARN: the wildcard covers the keys of this stack's image bucket, under the keyPrefix setting when one is set, and nothing else.",
		objectsOfImageBucket)
	if s.accessKeySecret != nil {
		suppressSecretFindings(s.accessKeySecret, "An IAM access key is rotated together with the agency, who keep it in their CLI configuration: raise the accessKeySerial setting in cdk.json, redeploy and hand over the new secret (see cdk/README.md). Automatic rotation would break their uploads without warning.")
	}
	if s.passwordSecret == nil {
		return
	}
	suppressSecretFindings(s.passwordSecret, "It holds a one-time initial password: IAM forces a change at first sign-in (PasswordResetRequired), after which the secret matches no credential. Rotating it would change the agency's password behind their back.")
	suppress(s.agencyPolicy, "AwsSolutions-IAM5",
		"The console lets the user name a new virtual MFA device, so its ARN is not known in advance (AWS's self-manage-MFA example uses mfa/* too). A device grants nothing until EnableMFADevice, which is limited to the user's own entry.",
		"Resource::arn:<AWS::Partition>:iam::<AWS::AccountId>:mfa/*")
	suppress(s.agencyPolicy, "AwsSolutions-IAM5",
		"iam:GetAccountPasswordPolicy and iam:ListVirtualMFADevices support no resource-level permissions. Both are read-only and needed for the first password change and for setting up MFA in the console.",
		"Resource::*")
}

// suppressSecretFindings covers the findings both credential secrets share.
func suppressSecretFindings(secret constructs.IConstruct, rotationReason string) {
	suppress(secret, "AwsSolutions-SMG4", rotationReason)
	suppress(secret, "NIST.800.53.R5-SecretsManagerRotationEnabled", rotationReason)
	suppress(secret, "NIST.800.53.R5-SecretsManagerUsingKMSKey",
		"Encrypted with the AWS managed key aws/secretsmanager, which only Secrets Manager in this account can use. An administrator reads the secret once to hand it over; a customer-managed key would cost $1 a month and separate nothing, since administrators hold kms:* through any key's account statement.")
}

// suppressCDKNotificationsHandler covers the singleton custom resource that
// bucket.AddEventNotification brings: aws-cdk-lib defines its code and role.
func (s *stack) suppressCDKNotificationsHandler() {
	if p := s.bucket.Node().TryFindChild(jsii.String("Notifications")); p != nil {
		if policy := p.Node().TryFindChild(jsii.String("HandlerPolicy")); policy != nil {
			suppress(policy, "NIST.800.53.R5-IAMNoInlinePolicy",
				"Inline policy of CDK's own BucketNotificationsHandler (the aws-cdk-lib custom resource that writes the bucket's notification configuration at deploy time). It allows only s3:PutBucketNotification on this stack's image bucket.")
		}
	}
	for _, c := range *s.st.Node().Children() {
		if !strings.HasPrefix(*c.Node().Id(), "BucketNotificationsHandler") {
			continue
		}
		if role := c.Node().TryFindChild(jsii.String("Role")); role != nil {
			suppress(role, "AwsSolutions-IAM4",
				"AWSLambdaBasicExecutionRole on the role of CDK's own BucketNotificationsHandler, which aws-cdk-lib defines: it lets that deploy-time custom resource write its logs.",
				"Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")
		}
	}
}
