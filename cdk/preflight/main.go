// Command preflight checks, before `make deploy` or `make destroy` starts
// the CDK CLI, that the AWS SDK's default credential chain finds
// credentials, so that a missing login is one line at once rather than an
// error from the CLI after the app has been built and synthesized. It
// prints where the credentials come from, never a key. .ci/prereqs runs it.
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
)

// timeout bounds the search: the last place the chain looks, the instance
// metadata service, may not answer at all off EC2.
const timeout = 10 * time.Second

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	source, err := credentialSource(ctx, config.LoadDefaultConfig)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println("AWS credentials from " + source)
}
