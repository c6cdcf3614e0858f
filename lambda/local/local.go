// Package local runs the whole bucketbell workflow on one machine with
// stand-ins that speak the AWS protocols: MinIO for S3 (versioning, the
// agency's policy, event webhooks), the Lambda Runtime Interface Emulator
// running the real notifier bootstrap, goaws for SNS, and in-process
// stand-ins for the SQS queue with its event source mapping and for the
// e-mail subscriber. Everything listens on 127.0.0.1 (except goaws, which
// binds every interface whatever it is told) and everything started is
// stopped by Close, by StopAll, or by the kernel if the harness dies.
//
// What the stack deploys comes from its synthesized template (see Plan):
// the agency's and the notifier's S3 rights, the bucket's versioning and
// events, the change history's bucket with its versioning and policy, the
// topic, the function's timeout and environment, and the mapping's batch
// size, window and maxReceiveCount.
package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/bucketbell/bucketbell/lambda/history"
)

// Options configure Start.
type Options struct {
	// Dir holds the stand-ins' data, configuration and logs. Required.
	Dir string
	// Bin holds the stand-ins' binaries: minio, goaws, aws-lambda-rie
	// (see .ci/install-standins).
	Bin string
	// Bootstrap is the notifier built for this machine.
	Bootstrap string
	// Template is the synthesized CloudFormation template.
	Template string
	// Bucket is the local name of the image bucket; OtherBucket a bucket
	// the agency has no rights in; HistoryBucket the local name of the
	// change history's bucket.
	Bucket, OtherBucket, HistoryBucket string
	// Seed objects are put into the image bucket by the administrator
	// before notifications are turned on, so they cause no e-mail.
	Seed map[string][]byte
	// VisibilityTimeout is how long a failed event stays hidden before
	// the queue delivers it again. The stack's is six times the function
	// timeout (minutes); locally a few seconds keep runs short.
	VisibilityTimeout time.Duration
	// Log receives the harness's and the queue's log lines.
	Log *slog.Logger
}

// Stack is the running workflow.
type Stack struct {
	Plan *Plan
	// Bucket, OtherBucket and HistoryBucket are the local bucket names;
	// HistoryBucket is "" when the template keeps no history.
	Bucket, OtherBucket, HistoryBucket string
	// S3Endpoint is MinIO's URL.
	S3Endpoint string
	// Admin is an S3 client with MinIO's administrator credentials.
	Admin *s3.Client
	// Queue is the SQS and event source mapping stand-in.
	Queue *Queue
	// SNS records every Publish on its way to goaws.
	SNS *Capture
	// Inbox is the topic's HTTP subscriber.
	Inbox *Inbox
	// Dir holds every log.
	Dir string

	log     *slog.Logger
	minio   *minioServer
	goaws   *goawsServer
	rie     *emulator
	servers []*http.Server
	cancel  context.CancelFunc
	queued  sync.WaitGroup
	once    sync.Once
}

// Start starts the workflow. On error, whatever it started is stopped.
func Start(ctx context.Context, o Options) (_ *Stack, err error) {
	if o.Dir == "" || o.Bin == "" || o.Bootstrap == "" || o.Template == "" {
		return nil, errors.New("local: Dir, Bin, Bootstrap and Template are required (make e2e and make demo set them)")
	}
	if o.Bucket == "" {
		o.Bucket = "product-images"
	}
	if o.OtherBucket == "" {
		o.OtherBucket = "other-team-assets"
	}
	if o.HistoryBucket == "" {
		o.HistoryBucket = "bucketbell-history"
	}
	if o.VisibilityTimeout == 0 {
		o.VisibilityTimeout = 2 * time.Second
	}
	if o.Log == nil {
		o.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	for _, f := range []string{"minio", "goaws", "aws-lambda-rie"} {
		if _, err := os.Stat(filepath.Join(o.Bin, f)); err != nil {
			return nil, fmt.Errorf("local: stand-in %s missing in %s (run .ci/install-standins): %w", f, o.Bin, err)
		}
	}
	if _, err := os.Stat(o.Bootstrap); err != nil {
		return nil, fmt.Errorf("local: notifier bootstrap: %w", err)
	}
	plan, err := ReadPlan(o.Template, o.Bucket, o.HistoryBucket)
	if err != nil {
		return nil, fmt.Errorf("local: %w", err)
	}
	if !plan.ReportBatchItemFailures {
		return nil, errors.New("local: the event source mapping does not report batch item failures; the notifier relies on it")
	}

	runCtx, cancel := context.WithCancel(context.Background())
	s := &Stack{Plan: plan, Bucket: o.Bucket, OtherBucket: o.OtherBucket, HistoryBucket: plan.HistoryBucket, Dir: o.Dir, log: o.Log, cancel: cancel}
	defer func() {
		if err != nil {
			err = fmt.Errorf("%w\n%s", err, s.Logs(20))
			s.Close()
		}
	}()

	// The queue comes first: MinIO checks at start that its webhook
	// target answers.
	s.Queue = &Queue{
		ARN:               "arn:aws:sqs:" + Region + ":" + accountID + ":bucketbell-events",
		Region:            Region,
		BatchSize:         plan.BatchSize,
		Window:            plan.Window,
		MaxReceiveCount:   plan.MaxReceiveCount,
		VisibilityTimeout: o.VisibilityTimeout,
		InvokeTimeout:     plan.FunctionTimeout + 10*time.Second,
		Log:               o.Log,
	}
	queueURL, err := s.serve(s.Queue)
	if err != nil {
		return nil, err
	}
	s.Inbox = &Inbox{}
	inboxURL, err := s.serve(s.Inbox)
	if err != nil {
		return nil, err
	}
	if s.goaws, err = startGoaws(ctx, o.Dir, filepath.Join(o.Bin, "goaws"), plan.TopicName, inboxURL); err != nil {
		return nil, err
	}
	s.SNS = newCapture(s.goaws.url())
	snsURL, err := s.serve(s.SNS)
	if err != nil {
		return nil, err
	}

	if s.minio, err = startMinIO(ctx, o.Dir, filepath.Join(o.Bin, "minio"), queueURL); err != nil {
		return nil, err
	}
	s.S3Endpoint, s.Admin = s.minio.Endpoint, s.minio.S3
	if err := s.deploy(ctx, o); err != nil {
		return nil, err
	}

	env := []string{
		"TOPIC_ARN=" + TopicARN(plan.TopicName),
		"AWS_REGION=" + Region,
		"AWS_ACCESS_KEY_ID=" + notifierUser,
		"AWS_SECRET_ACCESS_KEY=" + notifierSecret,
		"AWS_ENDPOINT_URL_S3=" + s.S3Endpoint,
		"S3_USE_PATH_STYLE=true",
		"AWS_ENDPOINT_URL_SNS=" + snsURL,
		// No stand-in answers IAM. MinIO's principals are access keys,
		// which the notifier never looks up; a lookup would fail at once
		// and show the raw id.
		"AWS_ENDPOINT_URL_IAM=http://127.0.0.1:9",
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE=/dev/null",
		"AWS_SHARED_CREDENTIALS_FILE=/dev/null",
	}
	for k, v := range plan.FunctionEnv {
		env = append(env, k+"="+v)
	}
	if s.rie, err = startEmulator(ctx, o.Dir, filepath.Join(o.Bin, "aws-lambda-rie"), o.Bootstrap, plan.FunctionTimeout, env); err != nil {
		return nil, err
	}
	s.Queue.Function = s.rie

	s.queued.Add(1)
	go func() {
		defer s.queued.Done()
		s.Queue.Run(runCtx)
	}()
	o.Log.Info("local stack started", "s3", s.S3Endpoint, "bucket", s.Bucket, "history", s.HistoryBucket, "dir", o.Dir,
		"batchSize", plan.BatchSize, "window", plan.Window, "maxReceiveCount", plan.MaxReceiveCount)
	return s, nil
}

// deploy does what the stack does to S3: buckets, versioning, users with
// their rights, the history bucket's policy, notifications.
func (s *Stack) deploy(ctx context.Context, o Options) error {
	m := s.minio
	if err := m.createBucket(ctx, s.Bucket, s.Plan.Versioned); err != nil {
		return err
	}
	if err := m.createBucket(ctx, s.OtherBucket, false); err != nil {
		return err
	}
	if err := m.put(ctx, s.OtherBucket, "not-yours.txt", []byte("another team's file\n")); err != nil {
		return err
	}
	if s.HistoryBucket != "" {
		if err := m.createBucket(ctx, s.HistoryBucket, s.Plan.HistoryVersioned); err != nil {
			return err
		}
		if err := m.bucketPolicy(ctx, s.HistoryBucket, &s.Plan.HistoryPolicy); err != nil {
			return err
		}
	}
	keys := make([]string, 0, len(o.Seed))
	for k := range o.Seed {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if err := m.put(ctx, s.Bucket, k, o.Seed[k]); err != nil {
			return err
		}
	}
	// The agency gets no more than the stack grants: a statement MinIO
	// refuses is left out. The notifier must keep its records, so an Allow
	// whose condition MinIO refuses is installed without it (KeepRecords:
	// MinIO knows no s3:if-none-match key), and the Plan says so.
	if err := m.addUser(ctx, s.Plan.AgencyUser, AgencySecret, "agency", &s.Plan.AgencyPolicy, false); err != nil {
		return err
	}
	if err := m.addUser(ctx, notifierUser, notifierSecret, "", &s.Plan.NotifierPolicy, true); err != nil {
		return err
	}
	return m.notify(ctx, s.Bucket, s.Plan.Events)
}

// serve runs h on a new listener on 127.0.0.1 and returns its URL.
func (s *Stack) serve(h http.Handler) (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("local: listen: %w", err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	s.servers = append(s.servers, srv)
	go srv.Serve(l)
	return "http://" + l.Addr().String() + "/", nil
}

// AgencyEnv is the environment for the Debian AWS CLI acting as the
// agency: its MinIO credentials, nothing from the caller's AWS settings.
// aws-cli 2.9 ignores AWS_ENDPOINT_URL: pass --endpoint-url S3Endpoint.
func (s *Stack) AgencyEnv() []string {
	return []string{
		"AWS_ACCESS_KEY_ID=" + s.Plan.AgencyUser,
		"AWS_SECRET_ACCESS_KEY=" + AgencySecret,
		"AWS_DEFAULT_REGION=" + Region,
		"AWS_CONFIG_FILE=/dev/null",
		"AWS_SHARED_CREDENTIALS_FILE=/dev/null",
		"AWS_PAGER=",
		"AWS_EC2_METADATA_DISABLED=true",
	}
}

// AgencyS3 returns an S3 client acting as the agency.
func (s *Stack) AgencyS3() *s3.Client {
	return s3Client(s.S3Endpoint, s.Plan.AgencyUser, AgencySecret)
}

// HistoryEnv is the environment in which the administrator reads the
// change history with make history: MinIO's endpoint, path-style
// addressing, and MinIO's administrator credentials, local values that
// open nothing but this MinIO.
func (s *Stack) HistoryEnv() []string {
	return []string{
		"AWS_ACCESS_KEY_ID=" + rootUser,
		"AWS_SECRET_ACCESS_KEY=" + rootPassword,
		"AWS_REGION=" + Region,
		"AWS_ENDPOINT_URL_S3=" + s.S3Endpoint,
		"S3_USE_PATH_STYLE=true",
	}
}

// HistorySource is make history's SOURCE for the local history bucket.
func (s *Stack) HistorySource() string { return history.URI(s.HistoryBucket, history.Prefix) }

// StopSNS stops goaws: publishes fail until StartSNS.
func (s *Stack) StopSNS() { s.goaws.stop() }

// StartSNS starts goaws again on the same port, with the same topic and
// subscription.
func (s *Stack) StartSNS(ctx context.Context) error { return s.goaws.start(ctx) }

// Logs returns the last n lines of each stand-in's log.
func (s *Stack) Logs(n int) string {
	var b strings.Builder
	logs, _ := filepath.Glob(filepath.Join(s.Dir, "*.log"))
	for _, f := range logs {
		fmt.Fprintf(&b, "--- %s (last %d lines)\n%s\n", f, n, tailFile(f, n))
	}
	return b.String()
}

// Close stops everything Start started. It is safe to call more than once.
func (s *Stack) Close() {
	s.once.Do(func() {
		s.cancel()
		s.queued.Wait()
		for _, p := range []*process{s.rieProc(), s.minioProc(), s.goawsProc()} {
			if p != nil {
				p.stop(5 * time.Second)
			}
		}
		for _, srv := range s.servers {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			_ = srv.Shutdown(ctx)
			cancel()
		}
	})
}

func (s *Stack) rieProc() *process {
	if s.rie == nil {
		return nil
	}
	return s.rie.proc
}

func (s *Stack) minioProc() *process {
	if s.minio == nil {
		return nil
	}
	return s.minio.proc
}

func (s *Stack) goawsProc() *process {
	if s.goaws == nil {
		return nil
	}
	return s.goaws.proc
}
