// Command demo runs bucketbell's whole workflow on this machine for a
// person to try, until Ctrl-C: see `make demo`, which installs the
// stand-ins, builds the notifier and synthesizes the template it reads
// from BUCKETBELL_STANDINS, BUCKETBELL_BOOTSTRAP and BUCKETBELL_TEMPLATE.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/bucketbell/bucketbell/lambda/local"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	err := local.Demo(ctx, local.Options{
		Bin:       os.Getenv("BUCKETBELL_STANDINS"),
		Bootstrap: os.Getenv("BUCKETBELL_BOOTSTRAP"),
		Template:  os.Getenv("BUCKETBELL_TEMPLATE"),
	}, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}
