// Command reviewer is the scheduled access review: it reviews the agency's
// IAM user against the policy the stack intends and publishes the review to
// the SNS topic. Environment: TOPIC_ARN, MEDIA_USER_NAME, INTENDED_POLICY,
// STACK_ACCESS_KEY_ID (the id of the key the stack made, empty when it made
// none), and optionally ACCESS_KEY_SECRET_ID, the secret holding that key.
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
	r, err := setup(context.Background(), os.LookupEnv, log)
	if err != nil {
		log.Error("reviewer cannot start", "error", err)
		os.Exit(1)
	}
	lambda.Start(r.Run)
}

// setup reads the environment and builds the SDK clients, once per container.
func setup(ctx context.Context, lookup func(string) (string, bool), log *slog.Logger) (*review.Reviewer, error) {
	env := func(k string) string { v, _ := lookup(k); return v }
	if env("TOPIC_ARN") == "" || env("MEDIA_USER_NAME") == "" {
		return nil, errors.New("TOPIC_ARN and MEDIA_USER_NAME must be set")
	}
	// Unset is not "no key": read as such, the stack's own key would be
	// reported as one to delete.
	stackKey, ok := lookup("STACK_ACCESS_KEY_ID")
	if !ok {
		return nil, errors.New("STACK_ACCESS_KEY_ID must be set: the stack's access key id, empty when it makes none")
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
		UserName: env("MEDIA_USER_NAME"), Intended: &intended, StackKeyID: stackKey, KeySecret: env("ACCESS_KEY_SECRET_ID"),
		Now: time.Now, Timeout: review.DefaultCallTimeout, Log: log}, nil
}
