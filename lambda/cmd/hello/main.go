// Command hello is the floor that make bench measures the notifier against:
// the smallest aws-lambda-go function, built the same way.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	lambda.Start(func(context.Context) (string, error) { return "hello", nil })
}
