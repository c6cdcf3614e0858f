// Command notifier is the Lambda function that turns S3 change events into
// digest e-mails on the SNS topic named by TOPIC_ARN.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/bucketbell/bucketbell/lambda/notifier"
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
	h := &notifier.Handler{TopicARN: topic, Publisher: sns.NewFromConfig(cfg), Log: log}
	lambda.Start(h.Handle)
	return nil
}
