// Command reviewer is the scheduled access review: it reviews the agency's
// IAM user against the policy the stack intends and publishes the review to
// the SNS topic. Environment: TOPIC_ARN, MEDIA_USER_NAME, INTENDED_POLICY,
// STACK_ACCESS_KEY_ID (the id of the key the stack made; unset or empty when
// it made none), and optionally ACCESS_KEY_SECRET_ID, the secret holding
// that key.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/bucketbell/bucketbell/lambda/review"
)

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	r, err := setup(context.Background(), os.Getenv, log)
	if err != nil {
		log.Error("reviewer cannot start", "error", err)
		os.Exit(1)
	}
	lambda.Start(r.Run)
}

// setup reads the environment and builds the SDK clients, once per container.
func setup(ctx context.Context, env func(string) string, log *slog.Logger) (*review.Reviewer, error) {
	if env("TOPIC_ARN") == "" || env("MEDIA_USER_NAME") == "" {
		return nil, errors.New("TOPIC_ARN and MEDIA_USER_NAME must be set")
	}
	intended, err := review.ParseDocument(env("INTENDED_POLICY"))
	if err != nil {
		return nil, fmt.Errorf("INTENDED_POLICY: %w", err)
	}
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("load AWS config: %w", err)
	}
	return &review.Reviewer{IAM: iam.NewFromConfig(cfg), SNS: sns.NewFromConfig(cfg), TopicARN: env("TOPIC_ARN"),
		UserName: env("MEDIA_USER_NAME"), Intended: &intended, StackKeyID: env("STACK_ACCESS_KEY_ID"), KeySecret: env("ACCESS_KEY_SECRET_ID"),
		Now: time.Now, Timeout: review.DefaultCallTimeout, Log: log}, nil
}
