// Command bench prints the figures of make bench, one "name value unit"
// line each, after the progress it logs to stderr.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/bucketbell/bucketbell/lambda/bench"
)

func main() {
	c := bench.Config{Log: os.Stderr}
	flag.StringVar(&c.RIE, "rie", ".build/bin/aws-lambda-rie", "the Runtime Interface Emulator")
	flag.StringVar(&c.Notifier, "notifier", ".build/host/notifier/bootstrap", "notifier bootstrap for this machine")
	flag.StringVar(&c.Hello, "hello", ".build/host/hello/bootstrap", "hello-world bootstrap for this machine")
	flag.StringVar(&c.NotifierARM64, "notifier-arm64", ".build/notifier/bootstrap", "notifier bootstrap as deployed")
	flag.StringVar(&c.HelloARM64, "hello-arm64", ".build/hello/bootstrap", "hello-world bootstrap built the same way")
	flag.IntVar(&c.Starts, "starts", 20, "cold starts of each bootstrap")
	flag.IntVar(&c.Batching.BatchSize, "batch-size", 1000, "the event source mapping's batch size, as deployed")
	flag.DurationVar(&c.Batching.Window, "window", 60*time.Second, "the batching window (digest window), as deployed")
	flag.DurationVar(&c.Spread, "spread", 60*time.Second, "how long a 2,000-file bulk upload takes to arrive")
	flag.DurationVar(&c.AWSDelay, "aws-delay", 20*time.Millisecond, "latency of each fake AWS call")
	flag.IntVar(&c.History.Days, "history-days", 30, "days of the made-up month make history reads")
	flag.IntVar(&c.History.Changes, "history-changes", 1_000_000, "changes in that month")
	flag.IntVar(&c.History.PerDigest, "history-per-digest", 1000, "changes per digest (per record) in that month")
	flag.IntVar(&c.HistoryDays, "retention-days", 400, "how long records are kept (historyDays)")
	flag.Parse()
	c.Batching.MaxPayload = 6 << 20

	ms, err := bench.Run(context.Background(), c)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for _, m := range ms {
		fmt.Println(m)
	}
}
