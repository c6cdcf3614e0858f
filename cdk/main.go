// Command cdk defines bucketbell's AWS infrastructure. The CDK CLI runs it
// (cdk.json: "go run ./cdk"); `make synth` and `make deploy` are the usual
// ways in. Settings arrive as CDK context values (see config.go).
package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/aws/jsii-runtime-go"
)

func main() {
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
