// Command history answers "what happened?" from the change history: it
// reads the records the notifier keeps, from the history bucket
// (-source s3://<bucket>/changes/, with the usual AWS credentials) or a
// directory of them, and prints the changes a filter selects. See
// "make history" in lambda/README.md.
//
// AWS_ENDPOINT_URL_S3 points it at another S3 endpoint (MinIO), and
// S3_USE_PATH_STYLE=true addresses buckets path-style there.
package main

import (
	"context"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/bucketbell/bucketbell/lambda/history"
)

func main() {
	cmd := &history.Command{Stdout: os.Stdout, Stderr: os.Stderr, Now: time.Now(), OpenS3: openS3}
	os.Exit(cmd.Run(context.Background(), os.Args[1:]))
}

// openS3 builds the S3 client from the environment, only for an s3:// SOURCE.
func openS3(ctx context.Context) (history.S3Client, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, err
	}
	return s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = os.Getenv("S3_USE_PATH_STYLE") == "true" }), nil
}
