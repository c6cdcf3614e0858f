package verify

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/smithy-go"
)

// Hand-written fakes, one per AWS client, each call a function field so a
// test replaces only what it needs.

type fakeStacks struct {
	DescribeStacksFn func(context.Context, *cloudformation.DescribeStacksInput) (*cloudformation.DescribeStacksOutput, error)
}

func (f *fakeStacks) DescribeStacks(ctx context.Context, in *cloudformation.DescribeStacksInput, _ ...func(*cloudformation.Options)) (*cloudformation.DescribeStacksOutput, error) {
	return f.DescribeStacksFn(ctx, in)
}

type fakeSNS struct {
	ListSubscriptionsByTopicFn func(context.Context, *sns.ListSubscriptionsByTopicInput) (*sns.ListSubscriptionsByTopicOutput, error)
}

func (f *fakeSNS) ListSubscriptionsByTopic(ctx context.Context, in *sns.ListSubscriptionsByTopicInput, _ ...func(*sns.Options)) (*sns.ListSubscriptionsByTopicOutput, error) {
	return f.ListSubscriptionsByTopicFn(ctx, in)
}

type fakeS3 struct {
	PutObjectFn    func(context.Context, *s3.PutObjectInput) (*s3.PutObjectOutput, error)
	DeleteObjectFn func(context.Context, *s3.DeleteObjectInput) (*s3.DeleteObjectOutput, error)
}

func (f *fakeS3) PutObject(ctx context.Context, in *s3.PutObjectInput, _ ...func(*s3.Options)) (*s3.PutObjectOutput, error) {
	return f.PutObjectFn(ctx, in)
}

func (f *fakeS3) DeleteObject(ctx context.Context, in *s3.DeleteObjectInput, _ ...func(*s3.Options)) (*s3.DeleteObjectOutput, error) {
	return f.DeleteObjectFn(ctx, in)
}

type fakeLogs struct {
	FilterLogEventsFn func(context.Context, *cloudwatchlogs.FilterLogEventsInput) (*cloudwatchlogs.FilterLogEventsOutput, error)
}

func (f *fakeLogs) FilterLogEvents(ctx context.Context, in *cloudwatchlogs.FilterLogEventsInput, _ ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.FilterLogEventsOutput, error) {
	return f.FilterLogEventsFn(ctx, in)
}

type fakeCloudWatch struct {
	GetMetricStatisticsFn  func(context.Context, *cloudwatch.GetMetricStatisticsInput) (*cloudwatch.GetMetricStatisticsOutput, error)
	DescribeAlarmsFn       func(context.Context, *cloudwatch.DescribeAlarmsInput) (*cloudwatch.DescribeAlarmsOutput, error)
	SetAlarmStateFn        func(context.Context, *cloudwatch.SetAlarmStateInput) (*cloudwatch.SetAlarmStateOutput, error)
	DescribeAlarmHistoryFn func(context.Context, *cloudwatch.DescribeAlarmHistoryInput) (*cloudwatch.DescribeAlarmHistoryOutput, error)
}

func (f *fakeCloudWatch) GetMetricStatistics(ctx context.Context, in *cloudwatch.GetMetricStatisticsInput, _ ...func(*cloudwatch.Options)) (*cloudwatch.GetMetricStatisticsOutput, error) {
	return f.GetMetricStatisticsFn(ctx, in)
}

func (f *fakeCloudWatch) DescribeAlarms(ctx context.Context, in *cloudwatch.DescribeAlarmsInput, _ ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error) {
	return f.DescribeAlarmsFn(ctx, in)
}

func (f *fakeCloudWatch) SetAlarmState(ctx context.Context, in *cloudwatch.SetAlarmStateInput, _ ...func(*cloudwatch.Options)) (*cloudwatch.SetAlarmStateOutput, error) {
	return f.SetAlarmStateFn(ctx, in)
}

func (f *fakeCloudWatch) DescribeAlarmHistory(ctx context.Context, in *cloudwatch.DescribeAlarmHistoryInput, _ ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmHistoryOutput, error) {
	return f.DescribeAlarmHistoryFn(ctx, in)
}

var (
	_ StackDescriber     = (*fakeStacks)(nil)
	_ SubscriptionLister = (*fakeSNS)(nil)
	_ S3                 = (*fakeS3)(nil)
	_ LogFilterer        = (*fakeLogs)(nil)
	_ CloudWatch         = (*fakeCloudWatch)(nil)
)

// fakeClock is the run's time: Sleep moves it on at once, so a wait of
// minutes takes no time.
type fakeClock struct{ t time.Time }

func (c *fakeClock) Now() time.Time { return c.t }

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.t = c.t.Add(d)
	return nil
}

// blocked answers like a call that never returns: only its timeout ends it.
func blocked(ctx context.Context) error {
	<-ctx.Done()
	return ctx.Err()
}

func apiError(code, msg string) error { return &smithy.GenericAPIError{Code: code, Message: msg} }

const (
	testTopic    = "arn:aws:sns:eu-west-1:123456789012:s3NotificationTopic"
	testBucket   = "acme-product-images"
	testLogGroup = "/aws/lambda/bucketbell-notifier"
	testDLQ      = "https://sqs.eu-west-1.amazonaws.com/123456789012/bucketbell-dead-letters"
	testVersion  = "3HL4kqtJlcpXroDTDmJ-rmSpXd3dIbrHY"
)

// world is a healthy deployed stack as the fakes serve it, and what the
// run did to it. A test changes one part to make one check fail.
type world struct {
	clock   *fakeClock
	status  cftypes.StackStatus
	outputs map[string]string
	subs    []snstypes.Subscription
	// digestAfter is how long after the upload the notifier logs the
	// digest; digestLine is that line ("" logs nothing).
	digestAfter time.Duration
	digestLine  func(key string) string
	trouble     []string // ERROR/WARN lines the notifier logged
	alarms      []cwtypes.MetricAlarm
	// actionAfter is how long after SetAlarmState(ALARM) the history shows
	// actionSummary ("" shows nothing).
	actionAfter   time.Duration
	actionSummary string

	// What the run did.
	uploaded   *s3.PutObjectInput
	uploadedAt time.Time
	deleted    []*s3.DeleteObjectInput
	states     []cwtypes.StateValue // SetAlarmState calls, in order
	alarmedAt  time.Time
	described  []*cloudwatch.DescribeAlarmsInput
	logFilters []string
}

func newWorld() *world {
	w := &world{
		clock:  &fakeClock{t: time.Date(2026, 12, 1, 10, 15, 0, 0, time.UTC)},
		status: cftypes.StackStatusUpdateComplete,
		outputs: map[string]string{
			OutputBucketName:       testBucket,
			OutputTopicArn:         testTopic,
			OutputNotifierLogGroup: testLogGroup,
			OutputDeadLetterQueue:  testDLQ,
			OutputBucketConsoleURL: "https://s3.console.aws.amazon.com/s3/buckets/" + testBucket,
			"MediaUserName":        "mediacouser",
			OutputAlarmNames:       "bucketbell-events-in-dead-letter-queue,bucketbell-notifier-errors",
			OutputSettings:         `{"adminEmail":"admin@example.com","digestWindowSeconds":60,"agencySourceCidrs":"","keyPrefix":""}`,
		},
		subs: []snstypes.Subscription{
			{Protocol: aws.String("email"), Endpoint: aws.String("admin@example.com"), SubscriptionArn: aws.String(testTopic + ":1f2e")},
			{Protocol: aws.String("email"), Endpoint: aws.String("ops@example.com"), SubscriptionArn: aws.String(testTopic + ":3d4c")},
		},
		digestAfter: 70 * time.Second,
		digestLine: func(key string) string {
			return `{"time":"2026-12-01T10:16:10Z","level":"INFO","msg":"digest published","subject":"bucketbell: 1 upload","changes":1,"keys":["` + key + `"],"keysOmitted":0}`
		},
		alarms: []cwtypes.MetricAlarm{
			{AlarmName: aws.String("bucketbell-events-in-dead-letter-queue"), StateValue: cwtypes.StateValueOk, AlarmActions: []string{testTopic}, OKActions: []string{testTopic}},
			{AlarmName: aws.String("bucketbell-notifier-errors"), StateValue: cwtypes.StateValueOk, AlarmActions: []string{testTopic}, OKActions: []string{testTopic}},
		},
		actionAfter:   5 * time.Second,
		actionSummary: "Successfully executed action " + testTopic,
	}
	return w
}

func (w *world) verifier() *Verifier {
	return &Verifier{
		Stacks: &fakeStacks{DescribeStacksFn: func(_ context.Context, in *cloudformation.DescribeStacksInput) (*cloudformation.DescribeStacksOutput, error) {
			st := cftypes.Stack{StackName: in.StackName, StackStatus: w.status}
			for k, v := range w.outputs {
				st.Outputs = append(st.Outputs, cftypes.Output{OutputKey: aws.String(k), OutputValue: aws.String(v)})
			}
			return &cloudformation.DescribeStacksOutput{Stacks: []cftypes.Stack{st}}, nil
		}},
		SNS: &fakeSNS{ListSubscriptionsByTopicFn: func(_ context.Context, in *sns.ListSubscriptionsByTopicInput) (*sns.ListSubscriptionsByTopicOutput, error) {
			// One subscription per page, as a long list would come.
			i := 0
			if in.NextToken != nil {
				i = int((*in.NextToken)[0] - '0')
			}
			out := &sns.ListSubscriptionsByTopicOutput{}
			if i < len(w.subs) {
				out.Subscriptions = w.subs[i : i+1]
			}
			if i+1 < len(w.subs) {
				out.NextToken = aws.String(string(rune('0' + i + 1)))
			}
			return out, nil
		}},
		S3: &fakeS3{
			PutObjectFn: func(_ context.Context, in *s3.PutObjectInput) (*s3.PutObjectOutput, error) {
				w.uploaded, w.uploadedAt = in, w.clock.Now()
				return &s3.PutObjectOutput{VersionId: aws.String(testVersion)}, nil
			},
			DeleteObjectFn: func(_ context.Context, in *s3.DeleteObjectInput) (*s3.DeleteObjectOutput, error) {
				w.deleted = append(w.deleted, in)
				return &s3.DeleteObjectOutput{}, nil
			},
		},
		Logs: &fakeLogs{FilterLogEventsFn: func(_ context.Context, in *cloudwatchlogs.FilterLogEventsInput) (*cloudwatchlogs.FilterLogEventsOutput, error) {
			w.logFilters = append(w.logFilters, aws.ToString(in.FilterPattern))
			out := &cloudwatchlogs.FilterLogEventsOutput{}
			if w.uploaded == nil {
				return out, nil
			}
			switch aws.ToString(in.FilterPattern) {
			case digestFilter:
				at := w.uploadedAt.Add(w.digestAfter)
				if w.digestLine != nil && !w.clock.Now().Before(at) {
					out.Events = append(out.Events, logtypes.FilteredLogEvent{Timestamp: aws.Int64(at.UnixMilli()), Message: aws.String(w.digestLine(aws.ToString(w.uploaded.Key)))})
				}
			case troubleFilter:
				for _, m := range w.trouble {
					out.Events = append(out.Events, logtypes.FilteredLogEvent{Timestamp: aws.Int64(w.uploadedAt.UnixMilli()), Message: aws.String(m)})
				}
			}
			return out, nil
		}},
		CloudWatch: &fakeCloudWatch{
			GetMetricStatisticsFn: func(context.Context, *cloudwatch.GetMetricStatisticsInput) (*cloudwatch.GetMetricStatisticsOutput, error) {
				return &cloudwatch.GetMetricStatisticsOutput{}, nil
			},
			DescribeAlarmsFn: func(_ context.Context, in *cloudwatch.DescribeAlarmsInput) (*cloudwatch.DescribeAlarmsOutput, error) {
				w.described = append(w.described, in)
				return &cloudwatch.DescribeAlarmsOutput{MetricAlarms: w.alarms}, nil
			},
			SetAlarmStateFn: func(_ context.Context, in *cloudwatch.SetAlarmStateInput) (*cloudwatch.SetAlarmStateOutput, error) {
				w.states = append(w.states, in.StateValue)
				if in.StateValue == cwtypes.StateValueAlarm {
					w.alarmedAt = w.clock.Now()
				}
				return &cloudwatch.SetAlarmStateOutput{}, nil
			},
			DescribeAlarmHistoryFn: func(_ context.Context, in *cloudwatch.DescribeAlarmHistoryInput) (*cloudwatch.DescribeAlarmHistoryOutput, error) {
				out := &cloudwatch.DescribeAlarmHistoryOutput{}
				at := w.alarmedAt.Add(w.actionAfter)
				if w.actionSummary != "" && !w.alarmedAt.IsZero() && !w.clock.Now().Before(at) {
					out.AlarmHistoryItems = []cwtypes.AlarmHistoryItem{{AlarmName: in.AlarmName, HistoryItemType: cwtypes.HistoryItemTypeAction,
						Timestamp: aws.Time(at), HistorySummary: aws.String(w.actionSummary)}}
				}
				return out, nil
			},
		},
		StackName:   "bucketbell",
		Region:      "eu-west-1",
		CallTimeout: 50 * time.Millisecond,
		Now:         w.clock.Now,
		Sleep:       w.clock.Sleep,
	}
}
