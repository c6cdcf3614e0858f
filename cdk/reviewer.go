package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/jsii-runtime-go"
)

// Settings of the access reviewer that follow from what it does rather than
// from taste.
const (
	// reviewerTimeoutSeconds fits a review's 15 or more IAM calls in
	// sequence, each with its own 10 s timeout, plus one publish. A review
	// usually takes a few seconds; only the time used is billed.
	reviewerTimeoutSeconds = 120
	// reviewRetryAttempts and reviewMaxEventAgeHours are how long
	// EventBridge keeps trying to start a review that Lambda refuses
	// (throttling, a missing permission). A review hours late is still
	// useful; one that never starts moves to ReviewDeadLetterQueue.
	reviewRetryAttempts    = 10
	reviewMaxEventAgeHours = 6
)

// ReviewerIAMReadActions are what the review reads about the agency's user:
// the user, its keys, MFA devices and password, its own policies and its
// groups. Every one of them reads.
var ReviewerIAMReadActions = []string{
	"iam:GetUser",
	"iam:ListAccessKeys",
	"iam:GetAccessKeyLastUsed",
	"iam:ListMFADevices",
	"iam:GetLoginProfile",
	"iam:ListUserPolicies",
	"iam:GetUserPolicy",
	"iam:ListAttachedUserPolicies",
	"iam:ListGroupsForUser",
}

// ReviewerGroupReadActions read the policies of the user's groups.
var ReviewerGroupReadActions = []string{"iam:ListGroupPolicies", "iam:GetGroupPolicy", "iam:ListAttachedGroupPolicies"}

// ReviewerPolicyReadActions read the documents of managed policies.
var ReviewerPolicyReadActions = []string{"iam:GetPolicy", "iam:GetPolicyVersion"}

// addReviewer adds the scheduled access review: a function that compares
// the agency user's actual rights with the agency's policy document and
// publishes the review to the topic, on the reviewSchedule setting.
func (s *stack) addReviewer(assetDir string) {
	logGroup := s.functionLogGroup("ReviewerLogGroup", "reviewer")
	s.reviewerLogGroup = logGroup

	// Scheduled events that could not be reviewed: those EventBridge could
	// not deliver, and those the function failed on after Lambda's two
	// retries. They hold the scheduled event only, nothing of the review,
	// so SQS-managed encryption serves; it also needs no key grants for
	// EventBridge or Lambda that could silently lose them.
	s.reviewDeadLetters = awssqs.NewQueue(s.st, jsii.String("ReviewDeadLetterQueue"), &awssqs.QueueProps{
		Encryption:      awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:      jsii.Bool(true),
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(14)),
	})

	var role awsiam.Role
	role, s.reviewerPolicy = s.functionRole("Reviewer",
		"bucketbell reviewer: reads the agency user's IAM state, publishes access reviews",
		"bucketbell reviewer: least privilege, IAM read-only", s.reviewerStatements(logGroup.LogGroupArn()))

	env := map[string]*string{
		"TOPIC_ARN":       s.topic.TopicArn(),
		"MEDIA_USER_NAME": s.user.UserName(),
		// The very document the agency's policy is made of, tokens
		// resolved at deploy time.
		"INTENDED_POLICY": s.st.ToJsonString(s.agencyDocument, nil),
	}
	if s.accessKey != nil {
		// The id (not the secret) of the key the stack made: the review
		// tells it from keys made by hand, which are not intended, and
		// rotates it through the stack (accessKeySerial).
		env["STACK_ACCESS_KEY_ID"] = s.accessKey.AccessKeyId()
	}
	s.reviewer = awslambda.NewFunction(s.st, jsii.String("Reviewer"), &awslambda.FunctionProps{
		Description:  jsii.String("bucketbell: reviews the access of IAM user " + s.cfg.MediaUserName + " and publishes the review on " + TopicName),
		Runtime:      awslambda.Runtime_PROVIDED_AL2023(),
		Architecture: awslambda.Architecture_ARM_64(),
		Handler:      jsii.String("bootstrap"),
		Code:         awslambda.Code_FromAsset(jsii.String(assetDir), nil),
		MemorySize:   jsii.Number(128),
		Timeout:      awscdk.Duration_Seconds(jsii.Number(reviewerTimeoutSeconds)),
		// Every right is in ReviewerPolicy: CDK's grants for the
		// dead-letter queue would otherwise add an inline policy.
		Role:            role.WithoutPolicyUpdates(nil),
		LogGroup:        logGroup,
		LoggingFormat:   awslambda.LoggingFormat_JSON,
		Environment:     &env,
		DeadLetterQueue: s.reviewDeadLetters,
	})
	// Lambda checks the rights on the dead-letter queue when the function
	// is created.
	s.reviewer.Node().AddDependency(s.reviewerPolicy)

	awsevents.NewRule(s.st, jsii.String("ReviewSchedule"), &awsevents.RuleProps{
		Description: jsii.String("bucketbell: starts the access review of IAM user " + s.cfg.MediaUserName + " (" + SettingReviewSchedule + ", UTC)"),
		Schedule:    awsevents.Schedule_Expression(jsii.String(s.cfg.ReviewSchedule)),
		Targets: &[]awsevents.IRuleTarget{awseventstargets.NewLambdaFunction(s.reviewer, &awseventstargets.LambdaFunctionProps{
			RetryAttempts:   jsii.Number(reviewRetryAttempts),
			MaxEventAge:     awscdk.Duration_Hours(jsii.Number(reviewMaxEventAgeHours)),
			DeadLetterQueue: s.reviewDeadLetters,
		})},
	})
}

// reviewerStatements are the reviewer's rights: read-only IAM on the
// agency's user, on groups and on managed policies; publishing to the
// topic; and its own logs and dead-letter queue.
func (s *stack) reviewerStatements(logGroupArn *string) *[]awsiam.PolicyStatement {
	return &[]awsiam.PolicyStatement{
		statement("WriteOwnLogs", awsiam.Effect_ALLOW, []string{"logs:CreateLogStream", "logs:PutLogEvents"}, logGroupArn),
		// The user's ARN as IAM reports it, path included.
		statement("ReadAgencyUser", awsiam.Effect_ALLOW, ReviewerIAMReadActions, s.user.UserArn()),
		// Any group and any managed policy: the review exists to find the
		// groups and policies someone added by hand, which cannot be named
		// in advance. Reading them changes nothing.
		statement("ReadGroupPolicies", awsiam.Effect_ALLOW, ReviewerGroupReadActions, iamArn("group/*")),
		statement("ReadManagedPolicies", awsiam.Effect_ALLOW, ReviewerPolicyReadActions, iamArn("policy/*"), awsManagedPolicies()),
		s.publishStatement("PublishReviews"),
		s.topicKeyStatement("EncryptReviews"),
		// Lambda sends a failed asynchronous invocation to the dead-letter
		// queue with the function's own role.
		statement("SendFailedReviews", awsiam.Effect_ALLOW, []string{"sqs:SendMessage"}, s.reviewDeadLetters.QueueArn()),
	}
}

// awsManagedPolicies matches every AWS managed policy, such as
// arn:aws:iam::aws:policy/AdministratorAccess.
func awsManagedPolicies() *string {
	return awscdk.Fn_Join(jsii.String(""), &[]*string{jsii.String("arn:"), awscdk.Aws_PARTITION(), jsii.String(":iam::aws:policy/*")})
}
