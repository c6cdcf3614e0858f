package main

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsathena"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/aws-cdk-go/awscdk/v2/interfaces/interfacesawsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/interfaces/interfacesawss3"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/bucketbell/bucketbell/lambda/history"
)

// StackName is the CloudFormation stack bucketbell deploys.
const StackName = "bucketbell"

// TopicName is the SNS topic the digests and alarms go to. Other tools
// subscribe to it by this name, so it is fixed.
const TopicName = "s3NotificationTopic"

// NotifierAssetDir and ReviewerAssetDir are where `make build` leaves the
// functions' linux/arm64 bootstraps, relative to the repository root that
// cdk runs in.
const (
	NotifierAssetDir = ".build/notifier"
	ReviewerAssetDir = ".build/reviewer"
)

// Settings of the event pipeline that follow from AWS's limits rather than
// from taste; the README's cost notes depend on them.
const (
	// notifierTimeoutSeconds fits a full batch: the notifier reads up to
	// notifierBatchSize events and makes a few S3 and IAM calls per change
	// before one publish.
	notifierTimeoutSeconds = 120
	// notifierBatchSize lets a bulk upload of thousands of files become a
	// handful of e-mails. Lambda also cuts a batch at its 6 MB payload
	// limit (about 3,000 S3 events), whichever comes first.
	notifierBatchSize = 1000
	// notifierMaxConcurrency is the event source mapping's minimum: at most
	// two digests are composed at once, so e-mails stay far below SNS's
	// limit of 10 per second per address.
	notifierMaxConcurrency = 2
	// maxReceiveCount is how many failed attempts an event gets before it
	// moves to the dead-letter queue.
	maxReceiveCount = 5
	// oldestEventAlarmSeconds flags a queue that is falling behind: beyond
	// the longest digest window (300 s) plus one full retry cycle.
	oldestEventAlarmSeconds = 30 * 60
	// multipartAbortDays cleans up uploads the agency never finished; their
	// parts are billed as storage until then.
	multipartAbortDays = 7
	// accessLogDays is how long S3 server access logs are kept.
	accessLogDays = 365
	// logRetention is how long the functions' own logs are kept.
	logRetention = awslogs.RetentionDays_THREE_MONTHS
)

// BucketbellStackProps configures NewBucketbellStack.
type BucketbellStackProps struct {
	awscdk.StackProps
	// Config holds the validated settings (see ConfigFromContext).
	Config Config
	// NotifierAssetDir is the directory whose `bootstrap` becomes the
	// notifier's code; normally NotifierAssetDir.
	NotifierAssetDir string
	// ReviewerAssetDir is the same for the access reviewer; normally
	// ReviewerAssetDir.
	ReviewerAssetDir string
}

// CheckAsset reports, as an error rather than a jsii panic, a missing
// bootstrap of the named function in dir.
func CheckAsset(function, dir string) error {
	p := filepath.Join(dir, "bootstrap")
	if _, err := os.Stat(p); err != nil {
		return fmt.Errorf("%s code %s not found (run `make build` first): %w", function, p, err)
	}
	return nil
}

// stack holds the constructs that later parts of NewBucketbellStack wire
// together.
type stack struct {
	st  awscdk.Stack
	cfg Config

	topicKey           awskms.Key
	logBucket, bucket  awss3.Bucket
	historyBucket      awss3.Bucket
	queryResults       awss3.Bucket
	workGroup          awsathena.CfnWorkGroup
	queue, deadLetters awssqs.Queue
	topic              awssns.Topic
	notifier           awslambda.Function
	notifierLogGroup   awslogs.LogGroup
	alarmNames         []string
	notifierPolicy     awsiam.ManagedPolicy
	agencyDocument     awsiam.PolicyDocument
	agencyPolicy       awsiam.ManagedPolicy
	user               awsiam.User
	passwordSecret     awssecretsmanager.Secret // nil without console access
	accessKey          awsiam.AccessKey         // nil without an access key
	accessKeySecret    awssecretsmanager.Secret // nil without an access key
	reviewer           awslambda.Function
	reviewerLogGroup   awslogs.LogGroup
	reviewerPolicy     awsiam.ManagedPolicy
	reviewDeadLetters  awssqs.Queue
}

// NewBucketbellStack defines the secure media upload workflow: the image
// bucket, the agency's IAM user, the event pipeline that e-mails the
// administrators a digest of every change, and the scheduled review of the
// agency's access.
//
// Construct ids are part of the deployed state: renaming one replaces the
// resource (for the bucket, CDK's notification handler would then wipe the
// bucket's notifications). Keep them.
func NewBucketbellStack(scope constructs.Construct, id string, props *BucketbellStackProps) awscdk.Stack {
	sprops := props.StackProps
	if sprops.Description == nil {
		sprops.Description = jsii.String("bucketbell: private image bucket for an agency, with change digests by e-mail")
	}
	s := &stack{st: awscdk.NewStack(scope, &id, &sprops), cfg: props.Config}

	s.addKeys()
	s.addBuckets()
	s.addQueues()
	s.addTopic()
	s.addHistory()
	s.addNotifier(props.NotifierAssetDir)
	s.addBucketNotifications()
	s.addAgency()
	s.addReviewer(props.ReviewerAssetDir)
	s.addAlarms()
	s.addOutputs()
	s.suppressFindings()
	return s.st
}

func (s *stack) addKeys() {
	s.topicKey = awskms.NewKey(s.st, jsii.String("TopicKey"), &awskms.KeyProps{
		Description:       jsii.String("bucketbell: encrypts the digests and reviews on " + TopicName + " and the functions' logs, which repeat them"),
		EnableKeyRotation: jsii.Bool(true),
		RemovalPolicy:     awscdk.RemovalPolicy_DESTROY,
	})
	// CloudWatch alarms publish to the encrypted topic as the CloudWatch
	// service, which IAM policies cannot grant: only the key policy can.
	// The conditions are the confused-deputy protection AWS documents for
	// it: only this account's alarms of this stack (SNS developer guide,
	// "Enable compatibility between event sources from AWS services and
	// encrypted topics"; CloudWatch user guide, "Confused deputy
	// prevention"). The topic policy holds the same conditions.
	s.topicKey.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("AllowCloudWatchAlarmsToPublish"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("cloudwatch.amazonaws.com"), nil)},
		Actions:    jsii.Strings("kms:Decrypt", "kms:GenerateDataKey*"),
		Resources:  jsii.Strings("*"),
		Conditions: s.fromStackAlarms(),
	}), jsii.Bool(false))
}

// fromStackAlarms are the conditions under which the CloudWatch service
// acts for this stack's alarms only.
func (s *stack) fromStackAlarms() *map[string]interface{} {
	return &map[string]interface{}{
		"ArnLike": map[string]interface{}{
			"aws:SourceArn": awscdk.Fn_Join(jsii.String(""), &[]*string{
				jsii.String("arn:"), awscdk.Aws_PARTITION(), jsii.String(":cloudwatch:"), awscdk.Aws_REGION(),
				jsii.String(":"), awscdk.Aws_ACCOUNT_ID(), jsii.String(":alarm:"), s.alarmName("*"),
			}),
		},
		"StringEquals": map[string]interface{}{"aws:SourceAccount": awscdk.Aws_ACCOUNT_ID()},
	}
}

func (s *stack) addBuckets() {
	s.logBucket = s.privateBucket("AccessLogBucket", awss3.BucketProps{
		// Versioning keeps the audit trail even if someone overwrites or
		// deletes a log object.
		LifecycleRules: &[]*awss3.LifecycleRule{{
			Id:                                  jsii.String("ExpireAccessLogs"),
			Expiration:                          awscdk.Duration_Days(jsii.Number(accessLogDays)),
			NoncurrentVersionExpiration:         awscdk.Duration_Days(jsii.Number(30)),
			AbortIncompleteMultipartUploadAfter: awscdk.Duration_Days(jsii.Number(multipartAbortDays)),
		}},
	})

	var name *string
	if s.cfg.BucketName != "" {
		name = jsii.String(s.cfg.BucketName)
	}
	// Product images must survive `cdk destroy`; there is deliberately no
	// autoDeleteObjects.
	s.bucket = s.privateBucket("ImageBucket", awss3.BucketProps{
		BucketName: name,
		// An upload with a customer-provided key (SSE-C) would be readable
		// by nobody but the uploader: not the notifier, not the shop.
		BlockedEncryptionTypes: &[]awss3.BlockedEncryptionType{awss3.BlockedEncryptionType_SSE_C()},
		ServerAccessLogsBucket: s.logBucket,
		ServerAccessLogsPrefix: jsii.String("image-bucket/"),
		LifecycleRules: &[]*awss3.LifecycleRule{{
			Id:                                  jsii.String("ExpireNoncurrentVersions"),
			NoncurrentVersionExpiration:         awscdk.Duration_Days(jsii.Number(s.cfg.NoncurrentVersionDays)),
			AbortIncompleteMultipartUploadAfter: awscdk.Duration_Days(jsii.Number(multipartAbortDays)),
			// A delete marker left alone once its old versions expired
			// protects nothing; removing it keeps listings short.
			ExpiredObjectDeleteMarker: jsii.Bool(true),
		}},
	})
}

// privateBucket makes a bucket the way every bucket of this stack is made:
// all public access blocked; SSE-S3 (see the S3DefaultEncryptionKMS
// suppressions for why not a customer managed key; S3 log delivery also
// writes with it without key grants); TLS 1.2 or later only; no ACLs at
// all (BucketOwnerEnforced), so nothing can be made public object by
// object; versioned; and kept, with its TLS-only policy, when the stack is
// deleted. p adds what is the bucket's own: its name, access logging and
// lifecycle.
func (s *stack) privateBucket(id string, p awss3.BucketProps) awss3.Bucket {
	p.BlockPublicAccess = awss3.BlockPublicAccess_BLOCK_ALL()
	p.Encryption = awss3.BucketEncryption_S3_MANAGED
	p.EnforceSSL = jsii.Bool(true)
	p.MinimumTLSVersion = jsii.Number(1.2)
	p.ObjectOwnership = awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED
	p.Versioned = jsii.Bool(true)
	p.RemovalPolicy = awscdk.RemovalPolicy_RETAIN
	b := awss3.NewBucket(s.st, jsii.String(id), &p)
	if policy := b.Policy(); policy != nil {
		policy.ApplyRemovalPolicy(awscdk.RemovalPolicy_RETAIN)
	}
	return b
}

func (s *stack) addQueues() {
	window := float64(s.cfg.DigestWindowSeconds)
	// SSE-SQS, with keys SQS manages: S3 can send to such a queue with no
	// key permission at all, which is the configuration the S3 user guide
	// documents ("Walkthrough: Configuring a bucket for notifications",
	// and "Amazon SQS queue destination": a queue with SSE-KMS needs a
	// customer managed key whose policy lets S3 in). A customer managed key
	// would add a key policy for S3 whose conditions AWS does not document
	// for this pair, and if S3 could not use it the deploy would fail with
	// "Unable to validate the following destination configurations", or
	// worse, events would be lost. The events hold keys, sizes and
	// requester ids, all of which the e-mails repeat.
	s.deadLetters = awssqs.NewQueue(s.st, jsii.String("EventDeadLetterQueue"), &awssqs.QueueProps{
		Encryption:      awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:      jsii.Bool(true),
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(14)),
	})
	s.queue = awssqs.NewQueue(s.st, jsii.String("EventQueue"), &awssqs.QueueProps{
		Encryption: awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL: jsii.Bool(true),
		// Room for a long outage of the notifier: events wait up to 14
		// days, or move to the dead-letter queue after maxReceiveCount.
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(14)),
		// AWS's guidance: at least six times the function timeout, plus the
		// batching window, or events reappear while still being processed
		// and are reported twice.
		VisibilityTimeout: awscdk.Duration_Seconds(jsii.Number(6*notifierTimeoutSeconds + window)),
		DeadLetterQueue: &awssqs.DeadLetterQueue{
			Queue:           s.deadLetters,
			MaxReceiveCount: jsii.Number(maxReceiveCount),
		},
	})
}

func (s *stack) addTopic() {
	s.topic = awssns.NewTopic(s.st, jsii.String("NotificationTopic"), &awssns.TopicProps{
		TopicName:        jsii.String(TopicName),
		DisplayName:      jsii.String("bucketbell"),
		MasterKey:        s.topicKey,
		EnforceSSL:       jsii.Bool(true),
		SignatureVersion: jsii.String("2"),
	})
	for _, addr := range s.cfg.AdminEmails {
		s.topic.AddSubscription(awssnssubscriptions.NewEmailSubscription(jsii.String(addr), nil))
	}
	// A topic policy replaces SNS's default one, which is what lets
	// same-account CloudWatch alarms publish: say so explicitly, for this
	// stack's alarms only.
	s.topic.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("AllowStackAlarmsToPublish"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("cloudwatch.amazonaws.com"), nil)},
		Actions:    jsii.Strings("sns:Publish"),
		Resources:  &[]*string{s.topic.TopicArn()},
		Conditions: s.fromStackAlarms(),
	}))
}

// alarmName prefixes an alarm's name with the stack's, so the topic policy
// can name this stack's alarms and the e-mail says where it came from.
func (s *stack) alarmName(suffix string) *string {
	return jsii.String(*s.st.StackName() + "-" + suffix)
}

// functionLogGroup is the log group of one function (named in lower case),
// kept logRetention and encrypted with the topic key: the logs repeat what
// the e-mails say.
func (s *stack) functionLogGroup(id, function string) awslogs.LogGroup {
	logGroupName := "/aws/lambda/" + *s.st.StackName() + "-" + function
	// CloudWatch Logs encrypts with the key as its own service principal;
	// the encryption context names the one log group allowed.
	s.topicKey.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid: jsii.String("AllowCloudWatchLogsFor" + id),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(
			awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String("logs."), awscdk.Aws_REGION(), jsii.String(".amazonaws.com")}), nil)},
		Actions:   jsii.Strings("kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"),
		Resources: jsii.Strings("*"),
		Conditions: &map[string]interface{}{
			"ArnEquals": map[string]interface{}{
				"kms:EncryptionContext:aws:logs:arn": s.st.FormatArn(&awscdk.ArnComponents{
					Service:      jsii.String("logs"),
					Resource:     jsii.String("log-group"),
					ResourceName: jsii.String(logGroupName),
					ArnFormat:    awscdk.ArnFormat_COLON_RESOURCE_NAME,
				}),
			},
		},
	}), jsii.Bool(false))
	return awslogs.NewLogGroup(s.st, jsii.String(id), &awslogs.LogGroupProps{
		LogGroupName:  jsii.String(logGroupName),
		Retention:     logRetention,
		EncryptionKey: s.topicKey,
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
}

// functionRole makes the role <name>Role for a function, with one
// customer-managed policy <name>Policy holding every right it has, each
// statement scoped to this stack's resources, instead of CDK's inline
// grant policy and AWS's managed Lambda policy.
func (s *stack) functionRole(name, roleDescription, policyDescription string, statements *[]awsiam.PolicyStatement) (awsiam.Role, awsiam.ManagedPolicy) {
	role := awsiam.NewRole(s.st, jsii.String(name+"Role"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		Description: jsii.String(roleDescription),
	})
	policy := awsiam.NewManagedPolicy(s.st, jsii.String(name+"Policy"), &awsiam.ManagedPolicyProps{
		Description: jsii.String(policyDescription),
		Roles:       &[]awsiam.IRole{role},
		Statements:  statements,
	})
	return role, policy
}

func (s *stack) addNotifier(assetDir string) {
	s.notifierLogGroup = s.functionLogGroup("NotifierLogGroup", "notifier")

	var role awsiam.Role
	role, s.notifierPolicy = s.functionRole("Notifier",
		"bucketbell notifier: reads S3 events from the queue, publishes digests",
		"bucketbell notifier: least privilege", s.notifierStatements())

	s.notifier = awslambda.NewFunction(s.st, jsii.String("Notifier"), &awslambda.FunctionProps{
		Description:   jsii.String("bucketbell: turns S3 change events from the queue into digest e-mails on " + TopicName),
		Runtime:       awslambda.Runtime_PROVIDED_AL2023(),
		Architecture:  awslambda.Architecture_ARM_64(),
		Handler:       jsii.String("bootstrap"),
		Code:          awslambda.Code_FromAsset(jsii.String(assetDir), nil),
		MemorySize:    jsii.Number(128),
		Timeout:       awscdk.Duration_Seconds(jsii.Number(notifierTimeoutSeconds)),
		Role:          role,
		LogGroup:      s.notifierLogGroup,
		LoggingFormat: awslambda.LoggingFormat_JSON,
		Environment:   s.notifierEnvironment(),
	})

	mapping := awslambda.NewEventSourceMapping(s.st, jsii.String("NotifierEventSource"), &awslambda.EventSourceMappingProps{
		Target:            s.notifier,
		EventSourceArn:    s.queue.QueueArn(),
		BatchSize:         jsii.Number(notifierBatchSize),
		MaxBatchingWindow: awscdk.Duration_Seconds(jsii.Number(float64(s.cfg.DigestWindowSeconds))),
		// Only the failed messages of a batch are retried.
		ReportBatchItemFailures: jsii.Bool(true),
		MaxConcurrency:          jsii.Number(notifierMaxConcurrency),
	})
	// Lambda checks the role's SQS rights when the mapping is created.
	mapping.Node().AddDependency(s.notifierPolicy)
}

// notifierEnvironment is what the notifier reads at start (see
// lambda/cmd/notifier).
func (s *stack) notifierEnvironment() *map[string]*string {
	env := map[string]*string{
		"TOPIC_ARN": s.topic.TopicArn(),
		// Every change is kept there before its digest is published.
		"HISTORY_BUCKET": s.historyBucket.BucketName(),
	}
	if s.cfg.NameRoles {
		env["NAME_ROLES"] = jsii.String("true")
	}
	return &env
}

// notifierStatements are the notifier's rights. S3 read rights on the
// bucket serve the enrichment that names people and tells new files from
// replaced ones; iam:ListUsers (and with nameRoles iam:ListRoles) turn the
// AIDA... (and AROA...) ids in events into names.
func (s *stack) notifierStatements() *[]awsiam.PolicyStatement {
	sts := []awsiam.PolicyStatement{
		statement("WriteOwnLogs", awsiam.Effect_ALLOW, []string{"logs:CreateLogStream", "logs:PutLogEvents"}, s.notifierLogGroup.LogGroupArn()),
		statement("ConsumeEvents", awsiam.Effect_ALLOW, []string{"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes"}, s.queue.QueueArn()),
		s.publishStatement("PublishDigests"),
		s.topicKeyStatement("EncryptDigests"),
		// Create records, and nothing else: no read, no delete, and no
		// overwrite (a conditional create only; the bucket policy denies
		// every other write to everyone).
		withConditions(statement("KeepRecords", awsiam.Effect_ALLOW, []string{"s3:PutObject"}, s.historyBucket.ArnForObjects(jsii.String(history.Prefix+"*"))),
			&map[string]interface{}{"Null": map[string]interface{}{"s3:if-none-match": "false"}}),
		// HeadObject and ranged GETs of the version an event names; reading
		// a version by id needs s3:GetObjectVersion.
		statement("ReadObjects", awsiam.Effect_ALLOW, []string{"s3:GetObject", "s3:GetObjectVersion"}, s.bucket.ArnForObjects(jsii.String("*"))),
		// ListObjectVersions: a new file has one version, a replaced one
		// more. s3:ListBucket adds no knowledge to that (the version list
		// names every key too), but without it S3 answers 403 instead of
		// 404 for an object that is gone (S3 API reference, GetObject and
		// HeadObject, "Permissions"), and the e-mail would call a deleted
		// file unreadable.
		statement("ListObjectVersions", awsiam.Effect_ALLOW, []string{"s3:ListBucket", "s3:ListBucketVersions"}, s.bucket.BucketArn()),
		// iam:ListUsers supports no resource-level permissions (Service
		// Authorization Reference: no resource type), so "*" it must be.
		statement("ListUserNames", awsiam.Effect_ALLOW, []string{"iam:ListUsers"}, jsii.String("*")),
	}
	if s.cfg.NameRoles {
		// ListRoles returns every role's trust policy too: opt-in only.
		// Without it a role session is shown by its session name and
		// role id.
		sts = append(sts, statement("ListRoleNames", awsiam.Effect_ALLOW, []string{"iam:ListRoles"}, jsii.String("*")))
	}
	return &sts
}

// publishStatement lets a function publish to the topic.
func (s *stack) publishStatement(sid string) awsiam.PolicyStatement {
	return statement(sid, awsiam.Effect_ALLOW, []string{"sns:Publish"}, s.topic.TopicArn())
}

// topicKeyStatement lets a function use the topic key, through SNS only,
// for what it publishes. The key policy's account statement lets IAM
// policies grant this.
func (s *stack) topicKeyStatement(sid string) awsiam.PolicyStatement {
	return withConditions(statement(sid, awsiam.Effect_ALLOW, []string{"kms:GenerateDataKey", "kms:Decrypt"}, s.topicKey.KeyArn()), viaService("sns"))
}

// viaService limits a KMS grant to requests that service makes for the
// caller in this Region.
func viaService(service string) *map[string]interface{} {
	return &map[string]interface{}{"StringEquals": map[string]interface{}{
		"kms:ViaService": awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String(service + "."), awscdk.Aws_REGION(), jsii.String(".amazonaws.com")}),
	}}
}

func (s *stack) addBucketNotifications() {
	// S3 may send to the queue only on behalf of this bucket in this
	// account: the queue policy of the S3 user guide's walkthrough
	// ("Configuring a bucket for notifications", "Step 1: Create an
	// Amazon SQS queue"). CDK's own SqsDestination would also add
	// GetQueueAttributes and GetQueueUrl, which S3 does not need.
	s.queue.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("AllowImageBucketEvents"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("s3.amazonaws.com"), nil)},
		Actions:    jsii.Strings("sqs:SendMessage"),
		Resources:  &[]*string{s.queue.QueueArn()},
		Conditions: &map[string]interface{}{
			"ArnLike":      map[string]interface{}{"aws:SourceArn": s.bucket.BucketArn()},
			"StringEquals": map[string]interface{}{"aws:SourceAccount": awscdk.Aws_ACCOUNT_ID()},
		},
	}))

	events := []awss3.EventType{awss3.EventType_OBJECT_CREATED, awss3.EventType_OBJECT_REMOVED}
	if s.cfg.LifecycleEvents {
		events = append(events, awss3.EventType_LIFECYCLE_EXPIRATION)
	}
	if s.cfg.RestoreEvents {
		events = append(events, awss3.EventType_OBJECT_RESTORE)
	}
	dest := &queueDestination{queue: s.queue}
	for _, e := range events {
		s.bucket.AddEventNotification(e, dest)
	}
}

// queueDestination sends a bucket's notifications to a queue whose policies
// already admit them (see addBucketNotifications).
type queueDestination struct {
	queue awssqs.IQueue
}

// Bind implements awss3.IBucketNotificationDestination. Depending on the
// queue includes its queue policy: S3 sends a test event to check the
// destination when the notification configuration is saved.
func (d *queueDestination) Bind(_ constructs.Construct, _ interfacesawss3.IBucketRef) *awss3.BucketNotificationDestinationConfig {
	return &awss3.BucketNotificationDestinationConfig{
		Arn:          d.queue.QueueArn(),
		Type:         awss3.BucketNotificationDestinationType_QUEUE,
		Dependencies: &[]constructs.IDependable{d.queue},
	}
}

func (s *stack) addAlarms() {
	period := awscdk.Duration_Minutes(jsii.Number(5))
	add := func(id, name, description string, metric awscloudwatch.IMetric, threshold float64) {
		s.alarmNames = append(s.alarmNames, *s.alarmName(name))
		alarm := awscloudwatch.NewAlarm(s.st, jsii.String(id), &awscloudwatch.AlarmProps{
			AlarmName:          s.alarmName(name),
			AlarmDescription:   jsii.String(description),
			Metric:             metric,
			Threshold:          jsii.Number(threshold),
			ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD,
			EvaluationPeriods:  jsii.Number(1),
			TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
		})
		action := awscloudwatchactions.NewSnsAction(s.topic)
		alarm.AddAlarmAction(action)
		// The all-clear, so nobody has to check whether it is still broken.
		alarm.AddOkAction(action)
	}
	add("DeadLetterQueueAlarm", "events-in-dead-letter-queue",
		fmt.Sprintf("S3 change events failed %d times and wait in the dead-letter queue: no e-mail was sent for them. Check the notifier's logs, then redrive the queue.", maxReceiveCount),
		s.deadLetters.MetricApproximateNumberOfMessagesVisible(&awscloudwatch.MetricOptions{Period: period, Statistic: jsii.String("Maximum")}), 0)
	add("NotifierErrorsAlarm", "notifier-errors",
		"The notifier failed (error, timeout or crash); its events will be retried. Check its logs.",
		s.notifier.MetricErrors(&awscloudwatch.MetricOptions{Period: period, Statistic: jsii.String("Sum")}), 0)
	add("OldestEventAlarm", "events-delayed",
		fmt.Sprintf("An S3 change event has waited more than %d minutes in the queue: digests are delayed.", oldestEventAlarmSeconds/60),
		s.queue.MetricApproximateAgeOfOldestMessage(&awscloudwatch.MetricOptions{Period: period, Statistic: jsii.String("Maximum")}), oldestEventAlarmSeconds)
	add("ReviewerErrorsAlarm", "reviewer-errors",
		"The access review failed (error, timeout or crash); Lambda retries it twice. Check the reviewer's logs.",
		s.reviewer.MetricErrors(&awscloudwatch.MetricOptions{Period: period, Statistic: jsii.String("Sum")}), 0)
	add("ReviewDeadLetterQueueAlarm", "review-in-dead-letter-queue",
		"A scheduled access review failed after every retry, or could not be started: no review was sent. Check the reviewer's logs, run it again by hand (see README, Access reviews), then purge ReviewDeadLetterQueue.",
		s.reviewDeadLetters.MetricApproximateNumberOfMessagesVisible(&awscloudwatch.MetricOptions{Period: period, Statistic: jsii.String("Maximum")}), 0)
}

func (s *stack) addAgency() {
	group := awsiam.NewGroup(s.st, jsii.String("AgencyGroup"), nil)
	// One document serves both the policy and the reviewer, which compares
	// the user's actual rights with it.
	s.agencyDocument = awsiam.NewPolicyDocument(&awsiam.PolicyDocumentProps{Statements: agencyStatements(s.bucket, s.cfg)})
	// A managed policy on a group: the user holds no policy of its own, and
	// the S3 statements can be read straight out of the template.
	s.agencyPolicy = awsiam.NewManagedPolicy(s.st, jsii.String("AgencyPolicy"), &awsiam.ManagedPolicyProps{
		Description: jsii.String("bucketbell: what the agency may do in the image bucket"),
		Groups:      &[]interfacesawsiam.IGroupRef{group},
		Document:    s.agencyDocument,
	})

	props := &awsiam.UserProps{
		UserName: jsii.String(s.cfg.MediaUserName),
		Groups:   &[]awsiam.IGroup{group},
	}
	if s.cfg.ConsoleAccess {
		s.passwordSecret = awssecretsmanager.NewSecret(s.st, jsii.String("ConsolePasswordSecret"), &awssecretsmanager.SecretProps{
			Description: jsii.String("bucketbell: first console password of IAM user " + s.cfg.MediaUserName + "; it must be changed at first sign-in"),
			GenerateSecretString: &awssecretsmanager.SecretStringGenerator{
				PasswordLength: jsii.Number(32),
				// Lower and upper case, digits and symbols, at least one of
				// each: the most an account password policy can require.
				RequireEachIncludedType: jsii.Bool(true),
				ExcludeCharacters:       jsii.String(passwordExcludedCharacters),
			},
			RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
		})
		props.Password = s.passwordSecret.SecretValue()
		props.PasswordResetRequired = jsii.Bool(true)
	}
	s.user = awsiam.NewUser(s.st, jsii.String("AgencyUser"), props)

	if s.cfg.CLIAccessKey {
		// Raising the serial (setting accessKeySerial) replaces the key:
		// CloudFormation creates the new one first, so the user must hold
		// at most one other key then (IAM allows two).
		key := awsiam.NewAccessKey(s.st, jsii.String("AgencyAccessKey"), &awsiam.AccessKeyProps{User: s.user, Serial: jsii.Number(float64(s.cfg.AccessKeySerial))})
		s.accessKey = key
		// The secret access key goes only here: never into an output.
		s.accessKeySecret = awssecretsmanager.NewSecret(s.st, jsii.String("AccessKeySecret"), &awssecretsmanager.SecretProps{
			Description: jsii.String("bucketbell: AWS CLI access key of IAM user " + s.cfg.MediaUserName),
			SecretObjectValue: &map[string]awscdk.SecretValue{
				"accessKeyId":     awscdk.SecretValue_UnsafePlainText(key.AccessKeyId()),
				"secretAccessKey": key.SecretAccessKey(),
			},
			RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
		})
	}
}

func (s *stack) addOutputs() {
	out := func(id, description string, value *string) {
		awscdk.NewCfnOutput(s.st, jsii.String(id), &awscdk.CfnOutputProps{Description: jsii.String(description), Value: value})
	}
	out("BucketName", "The image bucket", s.bucket.BucketName())
	out("BucketConsoleUrl", "The agency's direct console address of the bucket (no bucket list needed)",
		awscdk.Fn_Join(jsii.String(""), &[]*string{
			jsii.String("https://s3.console.aws.amazon.com/s3/buckets/"), s.bucket.BucketName(),
			jsii.String("?region="), awscdk.Aws_REGION(), jsii.String("&prefix="), jsii.String(queryEscapeKeepSlash(s.cfg.KeyPrefix)),
		}))
	out("MediaUserName", "The agency's IAM user", s.user.UserName())
	out("TopicArn", "Digests and alarms are published here", s.topic.TopicArn())
	out("DeadLetterQueueUrl", "Events the notifier failed on; redrive them once it is fixed", s.deadLetters.QueueUrl())
	out("NotifierLogGroupName", "The notifier's logs", s.notifierLogGroup.LogGroupName())
	out("ReviewerFunctionName", "The access reviewer; invoke it to review the agency's access now", s.reviewer.FunctionName())
	out("ReviewerLogGroupName", "The access reviewer's logs", s.reviewerLogGroup.LogGroupName())
	out("HistoryBucketName", "The change history: every change, as gzip JSON lines under "+history.Prefix, s.historyBucket.BucketName())
	out("AthenaWorkGroup", "The Athena workgroup for querying the change history (database "+HistoryDatabase+", table "+HistoryTable+")", s.workGroup.Name())
	out("AlarmNames", "The stack's alarms, comma-separated", jsii.String(strings.Join(s.alarmNames, ",")))
	// The settings this stack was deployed with: make deploy compares the
	// next deploy's settings with them and warns before a security
	// setting changes; make verify-deploy reads the digest window.
	out("Settings", "The settings of this deployment (JSON)", jsii.String(s.cfg.JSON()))
	if s.passwordSecret != nil {
		out("ConsoleSignInUrl", "Where the agency signs in to the console",
			awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String("https://"), awscdk.Aws_ACCOUNT_ID(), jsii.String(".signin.aws.amazon.com/console")}))
		out("ConsolePasswordSecretArn", "Secrets Manager secret holding the agency's first console password (the value is not in any output)", s.passwordSecret.SecretArn())
	}
	if s.accessKeySecret != nil {
		out("AccessKeySecretArn", "Secrets Manager secret holding the agency's CLI access key (the value is not in any output)", s.accessKeySecret.SecretArn())
	}
}

// statement builds a policy statement with a Sid, so that each statement
// can be found, reviewed and tested by name.
func statement(sid string, effect awsiam.Effect, actions []string, resources ...*string) awsiam.PolicyStatement {
	return awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String(sid),
		Effect:    effect,
		Actions:   jsii.Strings(actions...),
		Resources: &resources,
	})
}

func withConditions(st awsiam.PolicyStatement, conditions *map[string]interface{}) awsiam.PolicyStatement {
	st.AddConditions(conditions)
	return st
}

// queryEscapeKeepSlash escapes a key prefix for a URL query, leaving its
// slashes readable: "agency & co/" becomes "agency+%26+co/".
func queryEscapeKeepSlash(p string) string {
	return strings.ReplaceAll(url.QueryEscape(p), "%2F", "/")
}
