// Command replay runs the real notifier handler on an event file, offline:
// a stand-in SNS prints each Publish as one JSON line, then the handler's
// response and error. With -archive it also keeps the change history's
// records in a directory, as the notifier keeps them in the history bucket.
// See "make replay" in lambda/README.md.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/bucketbell/bucketbell/lambda/enrich"
	"github.com/bucketbell/bucketbell/lambda/history"
	"github.com/bucketbell/bucketbell/lambda/notifier"
	"github.com/bucketbell/bucketbell/lambda/replay"
	"github.com/bucketbell/bucketbell/lambda/who"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("replay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	eventPath := fs.String("event", "", "JSON event file: an S3 event or an SQS event")
	worldPath := fs.String("world", "", "optional WORLD file: the IAM users and S3 objects enrichment sees")
	fail := fs.String("fail", "", `"publish" makes every publish fail`)
	archive := fs.String("archive", "", "optional directory that receives the records, laid out as the history bucket")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *fail != "" && *fail != "publish" {
		fmt.Fprintf(stderr, "replay: unknown -fail %q (want \"publish\")\n", *fail)
		return 2
	}
	payload, err := replay.ReadJSON(*eventPath)
	if err != nil {
		fmt.Fprintf(stderr, "replay: %v\n", err)
		return 1
	}
	log := slog.New(slog.NewJSONHandler(stderr, nil))
	h := &notifier.Handler{
		TopicARN:  "arn:aws:sns:us-east-1:123456789012:s3NotificationTopic",
		Publisher: &replay.Recorder{W: stdout, Fail: *fail == "publish"},
		Log:       log,
	}
	if *archive != "" {
		// The e-mail names the records in a stand-in bucket; the files are
		// <archive>/<key>.
		h.History = &history.Writer{Bucket: "bucketbell-history", Region: "us-east-1", Client: history.Dir(*archive)}
	}
	if *worldPath != "" {
		data, err := replay.ReadJSON(*worldPath)
		if err != nil {
			fmt.Fprintf(stderr, "replay: world: %v\n", err)
			return 1
		}
		world, err := replay.LoadS3World(data)
		if err != nil {
			// JSON of the wrong shape: the contract's last line says so.
			if err := replay.WriteResult(stdout, nil, err); err != nil {
				return 1
			}
			return 0
		}
		h.Enricher = &enrich.Enricher{Names: &who.Namer{Users: world}, Versions: world, Objects: world, Heads: world, Log: log}
	}
	resp, err := h.Handle(context.Background(), payload)
	var out any
	if resp != nil {
		out = resp
	}
	if err := replay.WriteResult(stdout, out, err); err != nil {
		fmt.Fprintf(stderr, "replay: %v\n", err)
		return 1
	}
	return 0
}
