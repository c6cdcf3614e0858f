// Command notifier is the Lambda function that turns S3 change events into
// digest e-mails on the SNS topic named by TOPIC_ARN, after keeping every
// change in the history bucket HISTORY_BUCKET (in AWS_REGION). Without
// HISTORY_BUCKET it keeps no record, and says so in its log at start; the
// stack always sets it. IAM_USER_PATH scopes the IAM user lookups that name
// principals (default: every user); NAME_ROLES=true names the roles of
// assumed-role sessions too (the role then needs iam:ListRoles);
// S3_USE_PATH_STYLE=true addresses S3 path-style (local stand-ins).
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/bucketbell/bucketbell/lambda/enrich"
	"github.com/bucketbell/bucketbell/lambda/history"
	"github.com/bucketbell/bucketbell/lambda/notifier"
	"github.com/bucketbell/bucketbell/lambda/who"
)

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	if err := run(log); err != nil {
		log.Error("notifier cannot start", "error", err)
		os.Exit(1)
	}
}

// run builds the SDK clients once per container and starts the runtime loop.
func run(log *slog.Logger) error {
	topic := os.Getenv("TOPIC_ARN")
	if topic == "" {
		return fmt.Errorf("TOPIC_ARN is not set")
	}
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		return fmt.Errorf("load AWS config: %w", err)
	}
	// S3_USE_PATH_STYLE=true is for S3-compatible stores addressed by IP,
	// such as MinIO in `make e2e`: bucket names cannot be host names there.
	s3c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = os.Getenv("S3_USE_PATH_STYLE") == "true" })
	iamc := iam.NewFromConfig(cfg)
	names := &who.Namer{Users: iamc, PathPrefix: os.Getenv("IAM_USER_PATH")}
	if os.Getenv("NAME_ROLES") == "true" {
		// Opt-in: iam:ListRoles reads every role's trust policy too.
		names.Roles = iamc
	}
	h := &notifier.Handler{
		TopicARN:  topic,
		Publisher: sns.NewFromConfig(cfg),
		Enricher:  &enrich.Enricher{Names: names, Versions: s3c, Objects: s3c, Heads: s3c, Log: log},
		Log:       log,
	}
	if bucket := os.Getenv("HISTORY_BUCKET"); bucket != "" {
		h.History = &history.Writer{Bucket: bucket, Region: os.Getenv("AWS_REGION"), Client: s3c}
	} else {
		log.Warn("HISTORY_BUCKET is not set: changes are e-mailed but no record is kept")
	}
	lambda.Start(h.Handle)
	return nil
}
