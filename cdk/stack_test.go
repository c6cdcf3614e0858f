package main

import (
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
)

// allPublicAccessBlocked is BlockPublicAccess.BLOCK_ALL in the template.
var allPublicAccessBlocked = map[string]any{
	"BlockPublicAcls": true, "BlockPublicPolicy": true, "IgnorePublicAcls": true, "RestrictPublicBuckets": true,
}

// TestResourceProperties checks each promised property with CDK's own
// matchers, one row per property.
func TestResourceProperties(t *testing.T) {
	f := variant(t, "default")
	objectLike := func(m map[string]any) *map[string]any { return &m }
	tests := []struct {
		name  string
		typ   string
		props *map[string]any
	}{
		{"image bucket blocks all public access", "AWS::S3::Bucket", objectLike(map[string]any{
			"PublicAccessBlockConfiguration": allPublicAccessBlocked,
			"LoggingConfiguration":           assertions.Match_ObjectLike(&map[string]any{"LogFilePrefix": "image-bucket/"}),
		})},
		{"image bucket is versioned, encrypted and ACL-free", "AWS::S3::Bucket", objectLike(map[string]any{
			"VersioningConfiguration": map[string]any{"Status": "Enabled"},
			"BucketEncryption": map[string]any{"ServerSideEncryptionConfiguration": assertions.Match_ArrayWith(&[]any{
				assertions.Match_ObjectLike(&map[string]any{"ServerSideEncryptionByDefault": map[string]any{"SSEAlgorithm": "AES256"}}),
			})},
			"OwnershipControls":    map[string]any{"Rules": []any{map[string]any{"ObjectOwnership": "BucketOwnerEnforced"}}},
			"LoggingConfiguration": assertions.Match_ObjectLike(&map[string]any{"LogFilePrefix": "image-bucket/"}),
		})},
		{"image bucket expires noncurrent versions and aborts multipart uploads", "AWS::S3::Bucket", objectLike(map[string]any{
			"LifecycleConfiguration": map[string]any{"Rules": []any{map[string]any{
				"Id":                             "ExpireNoncurrentVersions",
				"Status":                         "Enabled",
				"NoncurrentVersionExpiration":    map[string]any{"NoncurrentDays": 30},
				"AbortIncompleteMultipartUpload": map[string]any{"DaysAfterInitiation": 7},
				"ExpiredObjectDeleteMarker":      true,
			}}},
		})},
		{"log bucket is private, encrypted, versioned", "AWS::S3::Bucket", objectLike(map[string]any{
			"PublicAccessBlockConfiguration": allPublicAccessBlocked,
			"BucketEncryption": map[string]any{"ServerSideEncryptionConfiguration": []any{
				map[string]any{"ServerSideEncryptionByDefault": map[string]any{"SSEAlgorithm": "AES256"}},
			}},
			"VersioningConfiguration": map[string]any{"Status": "Enabled"},
			"LoggingConfiguration":    assertions.Match_Absent(),
		})},
		{"queues are encrypted (SSE-SQS) and keep events 14 days", "AWS::SQS::Queue", objectLike(map[string]any{
			"SqsManagedSseEnabled":   true,
			"MessageRetentionPeriod": 1209600,
		})},
		{"event queue redrives to the dead-letter queue after 5 receives", "AWS::SQS::Queue", objectLike(map[string]any{
			"RedrivePolicy": map[string]any{"maxReceiveCount": 5, "deadLetterTargetArn": assertions.Match_AnyValue()},
			// 6 x 120 s function timeout + 60 s digest window.
			"VisibilityTimeout": 780,
		})},
		{"event source mapping batches into digests", "AWS::Lambda::EventSourceMapping", objectLike(map[string]any{
			"BatchSize":                      1000,
			"MaximumBatchingWindowInSeconds": 60,
			"FunctionResponseTypes":          []any{"ReportBatchItemFailures"},
			"ScalingConfig":                  map[string]any{"MaximumConcurrency": 2},
		})},
		{"notifier runtime", "AWS::Lambda::Function", objectLike(map[string]any{
			"Runtime":       "provided.al2023",
			"Architectures": []any{"arm64"},
			"Handler":       "bootstrap",
			"MemorySize":    128,
			"Timeout":       120,
			"LoggingConfig": assertions.Match_ObjectLike(&map[string]any{"LogFormat": "JSON"}),
			"Environment":   map[string]any{"Variables": map[string]any{"TOPIC_ARN": map[string]any{"Ref": assertions.Match_StringLikeRegexp(jsii.String("^NotificationTopic"))}}},
		})},
		{"notifier log group keeps 90 days, encrypted", "AWS::Logs::LogGroup", objectLike(map[string]any{
			"LogGroupName":    "/aws/lambda/bucketbell-notifier",
			"RetentionInDays": 90,
			"KmsKeyId":        assertions.Match_AnyValue(),
		})},
		{"topic name and key", "AWS::SNS::Topic", objectLike(map[string]any{
			"TopicName":        TopicName,
			"KmsMasterKeyId":   assertions.Match_AnyValue(),
			"SignatureVersion": "2",
		})},
		{"admin e-mail subscription", "AWS::SNS::Subscription", objectLike(map[string]any{
			"Protocol": "email",
			"Endpoint": "admin@example.com",
		})},
		{"keys rotate", "AWS::KMS::Key", objectLike(map[string]any{"EnableKeyRotation": true})},
		{"user gets rights through the group only", "AWS::IAM::User", objectLike(map[string]any{
			"UserName":          "mediacouser",
			"Groups":            []any{map[string]any{"Ref": assertions.Match_StringLikeRegexp(jsii.String("^AgencyGroup"))}},
			"Policies":          assertions.Match_Absent(),
			"ManagedPolicyArns": assertions.Match_Absent(),
			"LoginProfile": map[string]any{
				"PasswordResetRequired": true,
				"Password":              map[string]any{"Fn::Join": assertions.Match_ArrayWith(&[]any{assertions.Match_ArrayWith(&[]any{"{{resolve:secretsmanager:"})})},
			},
		})},
		{"console password generated into Secrets Manager", "AWS::SecretsManager::Secret", objectLike(map[string]any{
			"GenerateSecretString": assertions.Match_ObjectLike(&map[string]any{"PasswordLength": 32, "RequireEachIncludedType": true}),
		})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			check(t, tt.name, func() {
				f.tpl.HasResourceProperties(jsii.String(tt.typ), tt.props)
			})
		})
	}
}

func TestResourceCounts(t *testing.T) {
	tests := []struct {
		variant string
		typ     string
		count   int
	}{
		// Images, access logs, the change history, Athena's results.
		{"default", "AWS::S3::Bucket", 4},
		{"default", "AWS::Glue::Table", 1},
		{"default", "AWS::Athena::WorkGroup", 1},
		{"default", "AWS::Athena::NamedQuery", 3},
		{"default", "AWS::SQS::Queue", 3},
		{"default", "AWS::SNS::Topic", 1},
		{"default", "AWS::SNS::Subscription", 1},
		{"custom", "AWS::SNS::Subscription", 2}, // three addresses, one repeated
		{"default", "AWS::Lambda::EventSourceMapping", 1},
		{"default", "AWS::CloudWatch::Alarm", 5},
		{"default", "AWS::Events::Rule", 1},
		// The notifier, the reviewer and CDK's notification handler.
		{"default", "AWS::Lambda::Function", 3},
		{"default", "AWS::IAM::ManagedPolicy", 3},
		// The topic key only: the event queues use SSE-SQS.
		{"default", "AWS::KMS::Key", 1},
		{"default", "AWS::IAM::User", 1},
		{"default", "AWS::IAM::Group", 1},
		{"default", "AWS::IAM::AccessKey", 1},
		{"default", "AWS::SecretsManager::Secret", 2},
		// The only inline policy is that of CDK's notification handler.
		{"default", "AWS::IAM::Policy", 1},
		{"default", "Custom::S3AutoDeleteObjects", 0},
		{"noconsole", "AWS::SecretsManager::Secret", 1},
		{"nokey", "AWS::IAM::AccessKey", 0},
		{"nokey", "AWS::SecretsManager::Secret", 1},
	}
	for _, tt := range tests {
		t.Run(tt.variant+"/"+tt.typ, func(t *testing.T) {
			f := variant(t, tt.variant)
			check(t, tt.typ, func() { f.tpl.ResourceCountIs(jsii.String(tt.typ), jsii.Number(tt.count)) })
		})
	}
}

// TestRetention: cdk destroy keeps the images, their access logs and the
// TLS-only policies; everything that only served the pipeline goes.
func TestRetention(t *testing.T) {
	f := variant(t, "default")
	tests := []struct {
		prefix string
		policy string
	}{
		{"ImageBucket", "Retain"},
		{"ImageBucketPolicy", "Retain"},
		{"AccessLogBucket", "Retain"},
		{"AccessLogBucketPolicy", "Retain"},
		{"HistoryBucket", "Retain"},
		{"HistoryBucketPolicy", "Retain"},
		{"QueryResultsBucket", "Retain"},
		{"QueryResultsBucketPolicy", "Retain"},
		{"EventQueue", "Delete"},
		{"EventDeadLetterQueue", "Delete"},
		{"TopicKey", "Delete"},
		{"NotifierLogGroup", "Delete"},
		{"ReviewerLogGroup", "Delete"},
		{"ReviewDeadLetterQueue", "Delete"},
		{"ConsolePasswordSecret", "Delete"},
		{"AccessKeySecret", "Delete"},
	}
	for _, tt := range tests {
		t.Run(tt.prefix, func(t *testing.T) {
			r := f.resource(t, tt.prefix)
			if r["DeletionPolicy"] != tt.policy || r["UpdateReplacePolicy"] != tt.policy {
				t.Errorf("DeletionPolicy %v, UpdateReplacePolicy %v; want %s", r["DeletionPolicy"], r["UpdateReplacePolicy"], tt.policy)
			}
		})
	}
}

// TestTLSOnly: every resource policy denies requests without TLS.
func TestTLSOnly(t *testing.T) {
	f := variant(t, "default")
	tests := []struct {
		typ     string
		docKey  string
		minimum int
	}{
		{"AWS::S3::BucketPolicy", "PolicyDocument", 4},
		{"AWS::SQS::QueuePolicy", "PolicyDocument", 2},
		{"AWS::SNS::TopicPolicy", "PolicyDocument", 1},
	}
	for _, tt := range tests {
		t.Run(tt.typ, func(t *testing.T) {
			rs := f.resources(tt.typ)
			if len(rs) < tt.minimum {
				t.Fatalf("%d %s, want at least %d", len(rs), tt.typ, tt.minimum)
			}
			for id, r := range rs {
				denies := false
				for _, s := range props(r)[tt.docKey].(map[string]any)["Statement"].([]any) {
					st := s.(map[string]any)
					if st["Effect"] == "Deny" && jsonOf(st["Condition"]) == `{"Bool":{"aws:SecureTransport":"false"}}` {
						denies = true
					}
				}
				if !denies {
					t.Errorf("%s does not deny aws:SecureTransport false", id)
				}
			}
		})
	}
	check(t, "buckets refuse TLS below 1.2", func() {
		f.tpl.HasResourceProperties(jsii.String("AWS::S3::BucketPolicy"), &map[string]any{
			"PolicyDocument": map[string]any{"Statement": assertions.Match_ArrayWith(&[]any{assertions.Match_ObjectLike(&map[string]any{
				"Effect": "Deny", "Condition": map[string]any{"NumericLessThan": map[string]any{"s3:TlsVersion": 1.2}},
			})})},
		})
	})
}

func TestBucketDetails(t *testing.T) {
	f := variant(t, "default")
	bucket := props(f.resource(t, "ImageBucket"))
	logID := f.logicalID(t, "AccessLogBucket")
	t.Run("access logs go to the log bucket", func(t *testing.T) {
		if got := jsonOf(bucket["LoggingConfiguration"]); got != jsonOf(map[string]any{"DestinationBucketName": ref(logID), "LogFilePrefix": "image-bucket/"}) {
			t.Errorf("LoggingConfiguration %s", got)
		}
	})
	t.Run("SSE-C uploads are blocked", func(t *testing.T) {
		if !strings.Contains(jsonOf(bucket["BucketEncryption"]), `"BlockedEncryptionTypes":{"EncryptionType":["SSE-C"]}`) {
			t.Errorf("BucketEncryption %s", jsonOf(bucket["BucketEncryption"]))
		}
	})
	t.Run("generated name by default", func(t *testing.T) {
		if _, ok := bucket["BucketName"]; ok {
			t.Errorf("BucketName set: %v", bucket["BucketName"])
		}
	})
	t.Run("log delivery may write only the image bucket's logs", func(t *testing.T) {
		policy := props(f.resource(t, "AccessLogBucketPolicy"))
		want := `"Principal":{"Service":"logging.s3.amazonaws.com"}`
		if !strings.Contains(jsonOf(policy), want) || !strings.Contains(jsonOf(policy), `/image-bucket/*`) {
			t.Errorf("log bucket policy %s", jsonOf(policy))
		}
	})
	t.Run("custom name and retention", func(t *testing.T) {
		c := props(variant(t, "custom").resource(t, "ImageBucket"))
		if c["BucketName"] != "acme-product-images" {
			t.Errorf("BucketName %v", c["BucketName"])
		}
		if !strings.Contains(jsonOf(c["LifecycleConfiguration"]), `"NoncurrentDays":90`) {
			t.Errorf("LifecycleConfiguration %s", jsonOf(c["LifecycleConfiguration"]))
		}
	})
}

func TestBucketNotifications(t *testing.T) {
	tests := []struct {
		variant string
		events  []string
	}{
		{"default", []string{"s3:ObjectCreated:*", "s3:ObjectRemoved:*"}},
		{"custom", []string{"s3:LifecycleExpiration:*", "s3:ObjectCreated:*", "s3:ObjectRemoved:*", "s3:ObjectRestore:*"}},
	}
	for _, tt := range tests {
		t.Run(tt.variant, func(t *testing.T) {
			f := variant(t, tt.variant)
			queueID := f.logicalID(t, "EventQueue")
			n := props(f.resource(t, "ImageBucketNotifications"))
			var got []string
			for _, c := range n["NotificationConfiguration"].(map[string]any)["QueueConfigurations"].([]any) {
				qc := c.(map[string]any)
				if jsonOf(qc["QueueArn"]) != jsonOf(getAtt(queueID, "Arn")) {
					t.Errorf("destination %v, want the event queue", qc["QueueArn"])
				}
				got = append(got, strs(qc["Events"])...)
			}
			if !reflect.DeepEqual(sorted(got...), tt.events) {
				t.Errorf("events %v, want %v", got, tt.events)
			}
		})
	}
}

// TestS3MaySendEvents: without the queue policy S3's events are refused;
// with a KMS key on the queue whose policy S3 could not use, they would be
// lost. The event queues use SSE-SQS, which needs no key grant at all.
func TestS3MaySendEvents(t *testing.T) {
	f := variant(t, "default")
	bucketArn := getAtt(f.logicalID(t, "ImageBucket"), "Arn")
	queuePolicy := statementsBySidLenient(props(f.resource(t, "EventQueuePolicy"))["PolicyDocument"])
	st := queuePolicy["AllowImageBucketEvents"]
	if jsonOf(st["Principal"]) != `{"Service":"s3.amazonaws.com"}` || jsonOf(strs(st["Action"])) != `["sqs:SendMessage"]` ||
		jsonOf(st["Condition"].(map[string]any)["ArnLike"]) != jsonOf(map[string]any{"aws:SourceArn": bucketArn}) ||
		jsonOf(st["Condition"].(map[string]any)["StringEquals"]) != jsonOf(map[string]any{"aws:SourceAccount": ref("AWS::AccountId")}) {
		t.Errorf("queue policy statement %s", jsonOf(st))
	}
	for _, q := range []string{"EventQueue", "EventDeadLetterQueue"} {
		p := props(f.resource(t, q))
		if p["SqsManagedSseEnabled"] != true || p["KmsMasterKeyId"] != nil {
			t.Errorf("%s: SqsManagedSseEnabled %v, KmsMasterKeyId %s; want SSE-SQS", q, p["SqsManagedSseEnabled"], jsonOf(p["KmsMasterKeyId"]))
		}
	}
}

// statementsBySidLenient is statementsBySid for documents whose CDK-made
// statements (the key's account statement) have no Sid.
func statementsBySidLenient(doc any) map[string]map[string]any {
	out := map[string]map[string]any{}
	for _, s := range doc.(map[string]any)["Statement"].([]any) {
		st := s.(map[string]any)
		if sid, ok := st["Sid"].(string); ok {
			out[sid] = st
		}
	}
	return out
}

func TestTopic(t *testing.T) {
	f := variant(t, "default")
	topicID := f.logicalID(t, "NotificationTopic")
	t.Run("encrypted with the topic key", func(t *testing.T) {
		if got := jsonOf(props(f.resource(t, "NotificationTopic"))["KmsMasterKeyId"]); got != jsonOf(getAtt(f.logicalID(t, "TopicKey"), "Arn")) {
			t.Errorf("KmsMasterKeyId %s", got)
		}
	})
	t.Run("CloudWatch alarms may use the key and publish", func(t *testing.T) {
		key := statementsBySidLenient(props(f.resource(t, "TopicKey"))["KeyPolicy"])
		st := key["AllowCloudWatchAlarmsToPublish"]
		// Only this account's alarms of this stack, in the key policy as in
		// the topic policy.
		fromStackAlarms := jsonOf(map[string]any{
			"ArnLike": map[string]any{"aws:SourceArn": map[string]any{"Fn::Join": []any{"", []any{
				"arn:", ref("AWS::Partition"), ":cloudwatch:", ref("AWS::Region"), ":", ref("AWS::AccountId"), ":alarm:bucketbell-*",
			}}}},
			"StringEquals": map[string]any{"aws:SourceAccount": ref("AWS::AccountId")},
		})
		if jsonOf(st["Principal"]) != `{"Service":"cloudwatch.amazonaws.com"}` || jsonOf(strs(st["Action"])) != `["kms:Decrypt","kms:GenerateDataKey*"]` ||
			jsonOf(st["Condition"]) != fromStackAlarms {
			t.Errorf("topic key statement %s", jsonOf(st))
		}
		policy := statementsBySid(t, props(f.resource(t, "NotificationTopicPolicy"))["PolicyDocument"])
		st = policy["AllowStackAlarmsToPublish"]
		if jsonOf(st["Principal"]) != `{"Service":"cloudwatch.amazonaws.com"}` || jsonOf(st["Resource"]) != jsonOf(ref(topicID)) ||
			jsonOf(st["Condition"]) != fromStackAlarms {
			t.Errorf("topic policy statement %s", jsonOf(st))
		}
	})
	t.Run("CloudWatch Logs may use the key for the notifier's log group only", func(t *testing.T) {
		st := statementsBySidLenient(props(f.resource(t, "TopicKey"))["KeyPolicy"])["AllowCloudWatchLogsForNotifierLogGroup"]
		if !strings.Contains(jsonOf(st["Condition"]), `:log-group:/aws/lambda/bucketbell-notifier"`) {
			t.Errorf("logs statement %s", jsonOf(st))
		}
	})
	t.Run("one e-mail subscription per address", func(t *testing.T) {
		var got []string
		for _, r := range variant(t, "custom").resources("AWS::SNS::Subscription") {
			p := props(r)
			if p["Protocol"] != "email" {
				t.Errorf("protocol %v", p["Protocol"])
			}
			got = append(got, p["Endpoint"].(string))
		}
		if want := []string{"cto@acme.example", "ops@acme.example"}; !reflect.DeepEqual(sorted(got...), want) {
			t.Errorf("endpoints %v, want %v", got, want)
		}
	})
}

func TestAlarms(t *testing.T) {
	f := variant(t, "default")
	topic := jsonOf([]any{ref(f.logicalID(t, "NotificationTopic"))})
	tests := []struct {
		prefix, metric, namespace, dimensionOf string
		threshold                              float64
	}{
		{"DeadLetterQueueAlarm", "ApproximateNumberOfMessagesVisible", "AWS/SQS", "EventDeadLetterQueue", 0},
		{"NotifierErrorsAlarm", "Errors", "AWS/Lambda", "Notifier", 0},
		{"OldestEventAlarm", "ApproximateAgeOfOldestMessage", "AWS/SQS", "EventQueue", 1800},
		{"ReviewerErrorsAlarm", "Errors", "AWS/Lambda", "Reviewer", 0},
		{"ReviewDeadLetterQueueAlarm", "ApproximateNumberOfMessagesVisible", "AWS/SQS", "ReviewDeadLetterQueue", 0},
	}
	for _, tt := range tests {
		t.Run(tt.prefix, func(t *testing.T) {
			p := props(f.resource(t, tt.prefix))
			if p["MetricName"] != tt.metric || p["Namespace"] != tt.namespace || p["Threshold"] != tt.threshold ||
				p["ComparisonOperator"] != "GreaterThanThreshold" {
				t.Errorf("alarm %s", jsonOf(p))
			}
			if !strings.Contains(jsonOf(p["Dimensions"]), `"`+f.logicalID(t, tt.dimensionOf)+`"`) {
				t.Errorf("dimensions %s, want %s", jsonOf(p["Dimensions"]), tt.dimensionOf)
			}
			if jsonOf(p["AlarmActions"]) != topic || jsonOf(p["OKActions"]) != topic {
				t.Errorf("actions %s / %s, want the topic", jsonOf(p["AlarmActions"]), jsonOf(p["OKActions"]))
			}
			if !strings.HasPrefix(p["AlarmName"].(string), "bucketbell-") {
				t.Errorf("AlarmName %v", p["AlarmName"])
			}
		})
	}
}

// TestNotifierRights lists every right of the notifier's role.
func TestNotifierRights(t *testing.T) {
	f := variant(t, "default")
	bucket, queue, topic := f.logicalID(t, "ImageBucket"), f.logicalID(t, "EventQueue"), f.logicalID(t, "NotificationTopic")
	role := f.resource(t, "NotifierRole")
	if _, ok := props(role)["ManagedPolicyArns"]; ok {
		t.Errorf("notifier role has managed policies attached directly: %v", props(role)["ManagedPolicyArns"])
	}
	policy := props(f.resource(t, "NotifierPolicy"))
	if jsonOf(policy["Roles"]) != jsonOf([]any{ref(f.logicalID(t, "NotifierRole"))}) {
		t.Errorf("NotifierPolicy roles %s", jsonOf(policy["Roles"]))
	}
	got := statementsBySid(t, policy["PolicyDocument"])
	want := map[string]wantStatement{
		"WriteOwnLogs":   {sorted("logs:CreateLogStream", "logs:PutLogEvents"), getAtt(f.logicalID(t, "NotifierLogGroup"), "Arn")},
		"ConsumeEvents":  {sorted("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes"), getAtt(queue, "Arn")},
		"PublishDigests": {[]string{"sns:Publish"}, ref(topic)},
		"EncryptDigests": {sorted("kms:GenerateDataKey", "kms:Decrypt"), getAtt(f.logicalID(t, "TopicKey"), "Arn")},
		"ReadObjects":    {sorted("s3:GetObject", "s3:GetObjectVersion"), objectsOf(bucket, "*")},
		// s3:ListBucket makes S3 answer 404, not 403, for a file that is gone.
		"ListObjectVersions": {sorted("s3:ListBucket", "s3:ListBucketVersions"), getAtt(bucket, "Arn")},
		"ListUserNames":      {[]string{"iam:ListUsers"}, "*"},
		"KeepRecords":        {[]string{"s3:PutObject"}, objectsOf(f.logicalID(t, "HistoryBucket"), "changes/*")},
	}
	checkStatements(t, got, want)
	if !strings.Contains(jsonOf(got["EncryptDigests"]["Condition"]), "kms:ViaService") {
		t.Errorf("EncryptDigests is not limited to use through SNS: %s", jsonOf(got["EncryptDigests"]))
	}
	if env := jsonOf(props(f.resource(t, "Notifier"))["Environment"]); strings.Contains(env, "NAME_ROLES") {
		t.Errorf("notifier environment %s names roles by default", env)
	}

	t.Run("nameRoles adds iam:ListRoles", func(t *testing.T) {
		f := variant(t, "nameroles")
		got := statementsBySid(t, props(f.resource(t, "NotifierPolicy"))["PolicyDocument"])
		if st := got["ListRoleNames"]; st == nil || jsonOf(strs(st["Action"])) != `["iam:ListRoles"]` || st["Resource"] != "*" {
			t.Errorf("ListRoleNames %s", jsonOf(st))
		}
		if env := props(f.resource(t, "Notifier"))["Environment"].(map[string]any)["Variables"].(map[string]any); env["NAME_ROLES"] != "true" {
			t.Errorf("notifier environment %s", jsonOf(env))
		}
	})
	check(t, "the mapping waits for the rights it needs", func() {
		f.tpl.HasResource(jsii.String("AWS::Lambda::EventSourceMapping"), &map[string]any{
			"DependsOn": assertions.Match_ArrayWith(&[]any{f.logicalID(t, "NotifierPolicy")}),
		})
	})
}

func TestDigestWindowSetting(t *testing.T) {
	f := variant(t, "custom")
	check(t, "window of 300 s", func() {
		f.tpl.HasResourceProperties(jsii.String("AWS::Lambda::EventSourceMapping"), &map[string]any{"MaximumBatchingWindowInSeconds": 300})
		f.tpl.HasResourceProperties(jsii.String("AWS::SQS::Queue"), &map[string]any{"VisibilityTimeout": 6*notifierTimeoutSeconds + 300})
	})
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return sorted(out...)
}
