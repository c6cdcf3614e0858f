// Package verify checks a deployed bucketbell stack for what no offline
// test can prove: that the e-mail subscriptions are confirmed, that an
// upload reaches the notifier and its digest is published, and that an
// alarm reaches the topic. It is the logic of make verify-deploy, run with
// the administrator's credentials after a deploy. Each check reports PASS,
// FAIL with the fix, SKIP with why, or MANUAL with what a person must try.
//
// Every AWS call sits behind a one-method interface declared here and
// satisfied by the SDK client, and has its own timeout; waiting uses an
// injected clock, so the logic is tested offline with hand-written fakes.
package verify

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/smithy-go"
)

// One interface per AWS call.
type (
	// StackDescriber reads the stack's status and outputs.
	StackDescriber interface {
		DescribeStacks(context.Context, *cloudformation.DescribeStacksInput, ...func(*cloudformation.Options)) (*cloudformation.DescribeStacksOutput, error)
	}
	// SubscriptionLister lists the topic's subscriptions.
	SubscriptionLister interface {
		ListSubscriptionsByTopic(context.Context, *sns.ListSubscriptionsByTopicInput, ...func(*sns.Options)) (*sns.ListSubscriptionsByTopicOutput, error)
	}
	// ObjectPutter uploads the test object.
	ObjectPutter interface {
		PutObject(context.Context, *s3.PutObjectInput, ...func(*s3.Options)) (*s3.PutObjectOutput, error)
	}
	// ObjectDeleter deletes the test object's version.
	ObjectDeleter interface {
		DeleteObject(context.Context, *s3.DeleteObjectInput, ...func(*s3.Options)) (*s3.DeleteObjectOutput, error)
	}
	// LogFilterer searches the notifier's log group.
	LogFilterer interface {
		FilterLogEvents(context.Context, *cloudwatchlogs.FilterLogEventsInput, ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.FilterLogEventsOutput, error)
	}
	// MetricReader reads the topic's NumberOfMessagesPublished.
	MetricReader interface {
		GetMetricStatistics(context.Context, *cloudwatch.GetMetricStatisticsInput, ...func(*cloudwatch.Options)) (*cloudwatch.GetMetricStatisticsOutput, error)
	}
	// AlarmDescriber finds the stack's alarms.
	AlarmDescriber interface {
		DescribeAlarms(context.Context, *cloudwatch.DescribeAlarmsInput, ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error)
	}
	// AlarmStateSetter forces an alarm to ALARM and back to OK.
	AlarmStateSetter interface {
		SetAlarmState(context.Context, *cloudwatch.SetAlarmStateInput, ...func(*cloudwatch.Options)) (*cloudwatch.SetAlarmStateOutput, error)
	}
	// AlarmHistoryReader reads whether an alarm's action succeeded.
	AlarmHistoryReader interface {
		DescribeAlarmHistory(context.Context, *cloudwatch.DescribeAlarmHistoryInput, ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmHistoryOutput, error)
	}
)

// S3 is the calls on the image bucket; *s3.Client satisfies it.
type S3 interface {
	ObjectPutter
	ObjectDeleter
}

// CloudWatch is the calls on metrics and alarms; *cloudwatch.Client
// satisfies it.
type CloudWatch interface {
	MetricReader
	AlarmDescriber
	AlarmStateSetter
	AlarmHistoryReader
}

var (
	_ StackDescriber     = (*cloudformation.Client)(nil)
	_ SubscriptionLister = (*sns.Client)(nil)
	_ S3                 = (*s3.Client)(nil)
	_ LogFilterer        = (*cloudwatchlogs.Client)(nil)
	_ CloudWatch         = (*cloudwatch.Client)(nil)
)

// Defaults for the zero values of Verifier's durations.
const (
	DefaultCallTimeout = 15 * time.Second
	// DefaultMargin is added to the digest window: S3's delivery (usually
	// seconds, sometimes a minute), the notifier's run and the log's
	// ingestion.
	DefaultMargin = 2 * time.Minute
	// DefaultDigestWindow is the stack's default digestWindowSeconds, used
	// when the stack has no Settings output.
	DefaultDigestWindow = 60 * time.Second
	// DefaultAlarmWait bounds the wait for an alarm's action; CloudWatch
	// usually acts within seconds.
	DefaultAlarmWait = 2 * time.Minute
	DefaultPoll      = 10 * time.Second
)

// Verifier checks one deployed stack. The zero values of the durations,
// Now, Sleep and Out mean the defaults, the real clock and io.Discard.
type Verifier struct {
	Stacks     StackDescriber
	SNS        SubscriptionLister
	S3         S3
	Logs       LogFilterer
	CloudWatch CloudWatch

	StackName string
	// Region is only named in messages.
	Region string

	CallTimeout time.Duration
	Margin      time.Duration
	AlarmWait   time.Duration
	Poll        time.Duration

	Now   func() time.Time
	Sleep func(context.Context, time.Duration) error
	// Out receives the report as it is made, progress included.
	Out io.Writer
}

// Status is the verdict of one check.
type Status string

// The verdicts. Only Fail makes make verify-deploy exit non-zero.
const (
	Pass   Status = "PASS"
	Fail   Status = "FAIL"
	Skip   Status = "SKIP"
	Manual Status = "MANUAL" // a person must try it: what to do is in Fix
)

// Result is one check's verdict: what was found in one line, and for a
// failure the fix (for a manual check, the steps).
type Result struct {
	Check  string
	Status Status
	Detail string
	Fix    []string
}

// Report is every result of a run, in order.
type Report struct {
	Results []Result
}

// Failed counts the failed checks.
func (r Report) Failed() int {
	n := 0
	for _, res := range r.Results {
		if res.Status == Fail {
			n++
		}
	}
	return n
}

// Names of the checks, as the report shows them.
const (
	CheckStack         = "stack"
	CheckSubscriptions = "subscriptions"
	CheckDigest        = "upload to digest"
	CheckAlarm         = "alarm to topic"
	CheckAgencyAddress = "agency address limit"
	CheckCleanup       = "cleanup"
)

// run is the state of one Run: the verifier, what the stack said and the
// results so far.
type run struct {
	*Verifier
	out      io.Writer
	outputs  map[string]string
	settings settings
	report   Report
	// cleanups are the failures to undo what the checks created, reported
	// after the checks.
	cleanups []Result
}

// Run makes every check in turn, writes each result to Out as it comes,
// and returns them all. It reads the stack first; without it, nothing
// else can be checked.
func (v *Verifier) Run(ctx context.Context) Report {
	r := &run{Verifier: v, out: v.Out}
	if r.out == nil {
		r.out = io.Discard
	}
	fmt.Fprintf(r.out, "bucketbell verify-deploy: stack %s in %s\n\n", v.StackName, orDefault(v.Region, "the default Region"))
	res, ok := r.stack(ctx)
	r.add(res)
	if ok {
		r.add(r.subscriptions(ctx))
		r.add(r.digest(ctx))
		r.add(r.alarm(ctx))
		r.add(r.agencyAddress())
	}
	for _, c := range r.cleanups {
		r.add(c)
	}
	counts := map[Status]int{}
	for _, res := range r.report.Results {
		counts[res.Status]++
	}
	fmt.Fprintf(r.out, "\nverify-deploy: %d passed, %d failed, %d skipped, %d to check by hand\n",
		counts[Pass], counts[Fail], counts[Skip], counts[Manual])
	return r.report
}

func (r *run) add(res Result) {
	r.report.Results = append(r.report.Results, res)
	fmt.Fprintf(r.out, "%-6s  %s: %s\n", res.Status, res.Check, res.Detail)
	label := "fix:"
	switch res.Status {
	case Manual:
		label = "how:"
	case Pass, Skip:
		label = "note:"
	}
	for i, l := range res.Fix {
		if i > 0 {
			label = ""
		}
		fmt.Fprintf(r.out, "        %-5s %s\n", label, l)
	}
}

func (r *run) progress(format string, a ...any) {
	fmt.Fprintf(r.out, "        ... "+format+"\n", a...)
}

func (r *run) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

func (r *run) sleep(ctx context.Context, d time.Duration) error {
	if r.Sleep != nil {
		return r.Sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func or(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// call bounds one AWS call.
func (r *run) call(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, or(r.CallTimeout, DefaultCallTimeout))
}

// cleanupContext outlives a cancelled run (Ctrl-C), so that what the
// checks created is still removed.
func (r *run) cleanupContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), or(r.CallTimeout, DefaultCallTimeout))
}

// explain says what went wrong with a call, in words for the report.
func (r *run) explain(err error) string {
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Sprintf("no answer within %s (%v)", or(r.CallTimeout, DefaultCallTimeout), err)
	}
	return err.Error()
}

// transient errors are worth another look while waiting: a call that
// timed out, or throttling.
func transient(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequestsException",
			"ServiceUnavailable", "ServiceUnavailableException", "InternalFailure":
			return true
		}
	}
	return false
}

// progressEvery spaces the progress lines of a wait.
const progressEvery = 30 * time.Second

// waitFor looks until look reports done or deadline passes, showing
// progress now and then. A transient error is kept and looked past; any
// other error ends the wait. It returns the last error when the deadline
// passes without success.
func (r *run) waitFor(ctx context.Context, what string, start, deadline time.Time, look func(context.Context) (bool, error)) (bool, error) {
	var last error
	shown := start
	for {
		done, err := look(ctx)
		switch {
		case err != nil && !transient(err):
			return false, err
		case err != nil:
			last = err
		case done:
			return true, nil
		}
		now := r.now()
		if !now.Before(deadline) {
			return false, last
		}
		if now.Sub(shown) >= progressEvery {
			r.progress("%s: %s of at most %s", what, now.Sub(start).Round(time.Second), deadline.Sub(start).Round(time.Second))
			shown = now
		}
		if err := r.sleep(ctx, min(or(r.Poll, DefaultPoll), deadline.Sub(now))); err != nil {
			return false, err
		}
	}
}

// missing is the result of a check that needs outputs the stack lacks.
func missing(check string, names ...string) Result {
	return Result{
		Check:  check,
		Status: Fail,
		Detail: fmt.Sprintf("the stack has no output %s", strings.Join(names, " or ")),
		Fix: []string{
			"The stack is older than this check, or not bucketbell's: run make deploy, then make verify-deploy again.",
		},
	}
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
