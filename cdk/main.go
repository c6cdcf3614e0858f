// Command cdk defines bucketbell's AWS infrastructure. The CDK CLI runs it
// (cdk.json: "go run ./cdk"); `make synth` and `make deploy` are the usual
// ways in. Settings arrive as CDK context values (see config.go).
//
// `go run ./cdk predeploy <template>` is the check make deploy runs between
// synth and deploy (see predeploy.go).
package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/jsii-runtime-go"
)

func main() {
	if len(os.Args) == 3 && os.Args[1] == "predeploy" {
		os.Exit(predeploy(os.Args[2]))
	}
	os.Exit(run())
}

// run returns the exit code, so that jsii.Close runs before the exit.
func run() int {
	defer jsii.Close()
	app := NewApp()
	cfg, err := ConfigFromContext(func(name string) any { return app.Node().TryGetContext(jsii.String(name)) })
	if err == nil {
		err = errors.Join(CheckAsset("notifier", NotifierAssetDir), CheckAsset("reviewer", ReviewerAssetDir))
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "bucketbell: %v\n", err)
		return 2
	}
	NewBucketbellStack(app, StackName, &BucketbellStackProps{Config: cfg, NotifierAssetDir: NotifierAssetDir, ReviewerAssetDir: ReviewerAssetDir})
	app.Synth(nil)
	return 0
}

func predeploy(template string) int {
	ctx := context.Background()
	awsCfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		fmt.Fprintf(os.Stderr, "bucketbell: load AWS config: %v\n", err)
		return 1
	}
	stdin, _ := os.Stdin.Stat()
	p := &Predeploy{
		Stacks:      cloudformation.NewFromConfig(awsCfg),
		In:          os.Stdin,
		Out:         os.Stdout,
		Interactive: stdin != nil && stdin.Mode()&os.ModeCharDevice != 0,
		Confirm:     os.Getenv("CONFIRM"),
	}
	if err := p.Run(ctx, template); err != nil {
		fmt.Fprintf(os.Stderr, "bucketbell: %v\n", err)
		return 1
	}
	return 0
}
