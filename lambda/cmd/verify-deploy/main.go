// Command verify-deploy checks a deployed bucketbell stack with the
// administrator's credentials (the usual AWS chain and Region): the
// subscriptions, an upload's digest and an alarm's e-mail. It exits 1 when
// a check fails and 2 when it cannot start. See lambda/verify.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/bucketbell/bucketbell/lambda/verify"
)

func main() { os.Exit(run()) }

func run() int {
	stack := flag.String("stack", "bucketbell", "the stack's name")
	margin := flag.Duration("margin", verify.DefaultMargin, "how long to wait for the digest beyond the digest window")
	flag.Parse()
	// Ctrl-C ends the wait; the test object and the alarm are still cleaned up.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err == nil {
		err = verify.Preflight(ctx, cfg.Region, cfg.Credentials)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "verify-deploy:", err)
		return 2
	}
	v := &verify.Verifier{Stacks: cloudformation.NewFromConfig(cfg), SNS: sns.NewFromConfig(cfg), S3: s3.NewFromConfig(cfg),
		Logs: cloudwatchlogs.NewFromConfig(cfg), CloudWatch: cloudwatch.NewFromConfig(cfg),
		StackName: *stack, Region: cfg.Region, Margin: *margin, Out: os.Stdout}
	if v.Run(ctx).Failed() > 0 {
		return 1
	}
	return 0
}
