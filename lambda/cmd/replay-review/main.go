// Command replay-review runs the real reviewer on a WORLD file, offline: IAM
// is the world's stand-in and SNS a recorder. It prints one JSON line per
// Publish, then {"response":...,"error":...}; logs go to stderr.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/bucketbell/bucketbell/lambda/replay"
	"github.com/bucketbell/bucketbell/lambda/review"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// run exits 0 whatever the reviewer does; 1 when the file cannot be read or
// is not JSON, 2 on bad flags.
func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("replay-review", flag.ContinueOnError)
	fs.SetOutput(stderr)
	worldPath := fs.String("world", "", "WORLD file: the IAM state and the current time")
	fail := fs.String("fail", "", `"publish" makes every SNS publish fail`)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *worldPath == "" || (*fail != "" && *fail != "publish") {
		fmt.Fprintln(stderr, "usage: replay-review -world <file> [-fail publish]")
		return 2
	}
	data, err := replay.ReadJSON(*worldPath)
	if err != nil {
		fmt.Fprintf(stderr, "replay-review: %v\n", err)
		return 1
	}
	resp, err := reviewWorld(data, &replay.Recorder{W: stdout, Fail: *fail == "publish"}, stderr)
	if err := replay.WriteResult(stdout, resp, err); err != nil {
		fmt.Fprintf(stderr, "replay-review: %v\n", err)
		return 1
	}
	return 0
}

// reviewWorld runs the reviewer against the world, as Lambda would run it.
func reviewWorld(data []byte, sns review.Publisher, stderr io.Writer) (*review.Outcome, error) {
	w, err := replay.LoadIAMWorld(data)
	if err != nil {
		return nil, err
	}
	var intended *review.Document
	if w.Intended != "" {
		doc, err := review.ParseDocument(w.Intended)
		if err != nil {
			return nil, fmt.Errorf("replay: world: intended: %w", err)
		}
		intended = &doc
	}
	now := w.Now
	if now.IsZero() {
		now = time.Now()
	}
	r := &review.Reviewer{
		IAM:        w,
		SNS:        sns,
		TopicARN:   "arn:aws:sns:us-east-1:123456789012:s3NotificationTopic",
		UserName:   w.UserName(),
		Intended:   intended,
		StackKeyID: w.StackAccessKeyID,
		Now:        func() time.Time { return now },
		Log:        slog.New(slog.NewJSONHandler(stderr, nil)),
	}
	return r.Run(context.Background())
}
