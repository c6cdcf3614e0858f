package verify

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
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

	"github.com/bucketbell/bucketbell/lambda/image"
)

// statuses is a report in short: check -> status, "cleanup" included.
func statuses(r Report) map[string]Status {
	out := map[string]Status{}
	for _, res := range r.Results {
		out[res.Check] = res.Status
	}
	return out
}

func TestRun(t *testing.T) {
	healthy := map[string]Status{CheckStack: Pass, CheckSubscriptions: Pass, CheckDigest: Pass, CheckAlarm: Pass, CheckAgencyAddress: Skip}
	with := func(changes map[string]Status) map[string]Status {
		out := map[string]Status{}
		for k, v := range healthy {
			out[k] = v
		}
		for k, v := range changes {
			out[k] = v
		}
		return out
	}
	tests := []struct {
		name       string
		change     func(w *world, v *Verifier)
		want       map[string]Status
		wantText   []string
		wantAbsent []string
		check      func(t *testing.T, w *world, out string)
	}{
		{
			name: "all pass", want: healthy,
			wantText: []string{
				"PASS    stack: UPDATE_COMPLETE with 8 outputs",
				"PASS    subscriptions: 2 e-mail subscriptions, all confirmed: admin@example.com, ops@example.com",
				"PASS    upload to digest: the notifier published the digest that names bucketbell-verify/20261201T101500Z.png at 10:16:10 UTC, 1m10s after the upload",
				"... uploaded s3://acme-product-images/bucketbell-verify/20261201T101500Z.png; its digest should be published within 3m0s",
				"... waiting for the digest: 30s of at most 3m0s",
				"PASS    alarm to topic: alarm bucketbell-events-in-dead-letter-queue went to ALARM and CloudWatch published to the topic at 10:16:15 UTC",
				"SKIP    agency address limit: agencySourceCidrs is not set",
				"verify-deploy: 4 passed, 0 failed, 1 skipped, 0 to check by hand",
			},
			wantAbsent: []string{"fix:", "(the default digest window"},
			check: func(t *testing.T, w *world, _ string) {
				up := w.uploaded
				if aws.ToString(up.Bucket) != testBucket || aws.ToString(up.ContentType) != "image/png" || up.ServerSideEncryption != "" || up.StorageClass != "" {
					t.Errorf("uploaded %+v: want a plain PNG upload, no encryption or storage class header", up)
				}
				if len(w.deleted) != 1 || aws.ToString(w.deleted[0].Key) != aws.ToString(up.Key) || aws.ToString(w.deleted[0].VersionId) != testVersion {
					t.Errorf("deleted %+v, want the uploaded version by its id", w.deleted)
				}
				if !slices.Equal(w.states, []cwtypes.StateValue{cwtypes.StateValueAlarm, cwtypes.StateValueOk}) {
					t.Errorf("alarm states set: %v, want ALARM then OK", w.states)
				}
				if len(w.described) == 0 || !slices.Equal(w.described[0].AlarmNames, []string{"bucketbell-events-in-dead-letter-queue", "bucketbell-notifier-errors"}) {
					t.Errorf("alarms described by %+v, want the AlarmNames output", w.described)
				}
			},
		},

		// The stack.
		{
			name: "no stack",
			change: func(w *world, v *Verifier) {
				v.Stacks = &fakeStacks{DescribeStacksFn: func(context.Context, *cloudformation.DescribeStacksInput) (*cloudformation.DescribeStacksOutput, error) {
					return nil, apiError("ValidationError", "Stack with id bucketbell does not exist")
				}}
			},
			want:     map[string]Status{CheckStack: Fail},
			wantText: []string{"FAIL    stack: stack bucketbell does not exist in eu-west-1", "AWS_REGION=<region> make verify-deploy", "0 passed, 1 failed"},
			check: func(t *testing.T, w *world, _ string) {
				if w.uploaded != nil || len(w.states) > 0 {
					t.Error("checks ran without a stack")
				}
			},
		},
		{
			name: "stack read times out",
			change: func(w *world, v *Verifier) {
				v.Stacks = &fakeStacks{DescribeStacksFn: func(ctx context.Context, _ *cloudformation.DescribeStacksInput) (*cloudformation.DescribeStacksOutput, error) {
					return nil, blocked(ctx)
				}}
			},
			want:     map[string]Status{CheckStack: Fail},
			wantText: []string{"FAIL    stack: cannot read the stack: no answer within 50ms"},
		},
		{
			name:     "deploy still running",
			change:   func(w *world, _ *Verifier) { w.status = cftypes.StackStatusUpdateInProgress },
			want:     map[string]Status{CheckStack: Fail},
			wantText: []string{"still running (UPDATE_IN_PROGRESS)", "aws cloudformation describe-stack-events --stack-name bucketbell"},
		},
		{
			name:     "never created",
			change:   func(w *world, _ *Verifier) { w.status = cftypes.StackStatusRollbackComplete },
			want:     map[string]Status{CheckStack: Fail},
			wantText: []string{"the stack is ROLLBACK_COMPLETE", "make destroy"},
		},
		{
			name:     "last deploy rolled back: the previous version is still checked",
			change:   func(w *world, _ *Verifier) { w.status = cftypes.StackStatusUpdateRollbackComplete },
			want:     with(map[string]Status{CheckStack: Fail}),
			wantText: []string{"the last deploy failed and was rolled back"},
		},
		{
			name:   "no outputs",
			change: func(w *world, _ *Verifier) { w.outputs = map[string]string{} },
			want:   with(map[string]Status{CheckSubscriptions: Fail, CheckDigest: Fail, CheckAlarm: Fail, CheckAgencyAddress: Skip}),
			wantText: []string{
				"FAIL    subscriptions: the stack has no output TopicArn",
				"FAIL    upload to digest: the stack has no output BucketName",
				"FAIL    alarm to topic: the stack has no output TopicArn",
				"SKIP    agency address limit: the stack has no Settings output",
				"run make deploy, then make verify-deploy again",
			},
		},

		// Subscriptions.
		{
			name: "pending subscription",
			change: func(w *world, _ *Verifier) {
				w.subs[1].SubscriptionArn = aws.String("PendingConfirmation")
			},
			want: with(map[string]Status{CheckSubscriptions: Fail}),
			wantText: []string{
				"FAIL    subscriptions: 1 of 2 e-mail subscriptions not confirmed: ops@example.com",
				"fix:  Each address got \"AWS Notification - Subscription Confirmation\": click Confirm subscription",
				"aws sns subscribe --topic-arn " + testTopic + " --protocol email --notification-endpoint ops@example.com",
			},
		},
		{
			name: "no e-mail subscription",
			change: func(w *world, _ *Verifier) {
				w.subs = []snstypes.Subscription{{Protocol: aws.String("sqs"), Endpoint: aws.String("arn:aws:sqs:eu-west-1:123456789012:q"), SubscriptionArn: aws.String(testTopic + ":9")}}
			},
			want:     with(map[string]Status{CheckSubscriptions: Fail}),
			wantText: []string{"the topic has no e-mail subscription", "make deploy ADMIN_EMAIL=you@example.com"},
		},
		{
			name: "subscriptions cannot be read",
			change: func(_ *world, v *Verifier) {
				v.SNS = &fakeSNS{ListSubscriptionsByTopicFn: func(ctx context.Context, _ *sns.ListSubscriptionsByTopicInput) (*sns.ListSubscriptionsByTopicOutput, error) {
					return nil, blocked(ctx)
				}}
			},
			want:     with(map[string]Status{CheckSubscriptions: Fail}),
			wantText: []string{"cannot list the topic's subscriptions: no answer within 50ms"},
		},

		// Upload to digest.
		{
			name: "no digest within the wait",
			change: func(w *world, _ *Verifier) {
				w.digestLine = nil
				w.trouble = []string{`{"level":"ERROR","msg":"publish failed; the changes will be delivered again","error":"KMS AccessDenied"}`}
			},
			want: with(map[string]Status{CheckDigest: Fail}),
			wantText: []string{
				"FAIL    upload to digest: no digest named bucketbell-verify/20261201T101500Z.png within 3m0s",
				"... waiting for the digest: 2m30s of at most 3m0s",
				"fix:  Events not reaching the queue: see the event queue's NumberOfMessagesSent metric",
				"the alarm bucketbell-notifier-errors and the dead-letter queue " + testDLQ,
				`The notifier logged: {"level":"ERROR","msg":"publish failed; the changes will be delivered again","error":"KMS AccessDenied"}`,
			},
			check: func(t *testing.T, w *world, _ string) {
				if waited := w.clock.Now().Sub(w.uploadedAt); waited < 3*time.Minute || waited > 3*time.Minute+time.Minute {
					t.Errorf("waited %s, want the digest window plus the margin, 3m", waited)
				}
				if len(w.deleted) != 1 {
					t.Errorf("test object deleted %d times, want once", len(w.deleted))
				}
			},
		},
		{
			name: "the notifier never ran",
			change: func(_ *world, v *Verifier) {
				v.Logs = &fakeLogs{FilterLogEventsFn: func(context.Context, *cloudwatchlogs.FilterLogEventsInput) (*cloudwatchlogs.FilterLogEventsOutput, error) {
					return nil, &logtypes.ResourceNotFoundException{Message: aws.String("The specified log group does not exist.")}
				}}
			},
			want:     with(map[string]Status{CheckDigest: Fail}),
			wantText: []string{"within 3m0s: the notifier's log group does not exist, so the notifier never ran"},
		},
		{
			name: "log reads time out",
			change: func(_ *world, v *Verifier) {
				v.Logs = &fakeLogs{FilterLogEventsFn: func(ctx context.Context, _ *cloudwatchlogs.FilterLogEventsInput) (*cloudwatchlogs.FilterLogEventsOutput, error) {
					return nil, blocked(ctx)
				}}
			},
			want:     with(map[string]Status{CheckDigest: Fail}),
			wantText: []string{"within 3m0s: no answer within 50ms", "... waiting for the digest: 2m30s of at most 3m0s"},
		},
		{
			name: "log read refused: no waiting",
			change: func(_ *world, v *Verifier) {
				v.Logs = &fakeLogs{FilterLogEventsFn: func(context.Context, *cloudwatchlogs.FilterLogEventsInput) (*cloudwatchlogs.FilterLogEventsOutput, error) {
					return nil, apiError("AccessDeniedException", "not authorized to perform: logs:FilterLogEvents")
				}}
			},
			want:       with(map[string]Status{CheckDigest: Fail}),
			wantText:   []string{"within 3m0s: api error AccessDeniedException: not authorized to perform: logs:FilterLogEvents"},
			wantAbsent: []string{"waiting for the digest"},
		},
		{
			name: "older notifier: a digest after the upload, keys not logged",
			change: func(w *world, _ *Verifier) {
				w.digestLine = func(string) string { return `{"level":"INFO","msg":"digest published","changes":1}` }
			},
			want: healthy,
			wantText: []string{"PASS    upload to digest: the notifier published a digest at 10:16:10 UTC, after the upload; its log line does not name every key",
				"note: Not certainly this upload's digest: check that the e-mail names bucketbell-verify/20261201T101500Z.png."},
		},
		{
			name: "a digest of other changes does not count",
			change: func(w *world, _ *Verifier) {
				w.digestLine = func(string) string {
					return `{"level":"INFO","msg":"digest published","changes":1,"keys":["agency/photo.jpg"],"keysOmitted":0}`
				}
			},
			want: with(map[string]Status{CheckDigest: Fail}),
		},
		{
			name: "no log group output: the topic's metric",
			change: func(w *world, v *Verifier) {
				delete(w.outputs, OutputNotifierLogGroup)
				v.CloudWatch.(*fakeCloudWatch).GetMetricStatisticsFn = func(_ context.Context, in *cloudwatch.GetMetricStatisticsInput) (*cloudwatch.GetMetricStatisticsOutput, error) {
					if aws.ToString(in.Namespace) != "AWS/SNS" || aws.ToString(in.MetricName) != "NumberOfMessagesPublished" ||
						len(in.Dimensions) != 1 || aws.ToString(in.Dimensions[0].Value) != "s3NotificationTopic" {
						t.Errorf("metric asked: %+v", in)
					}
					if w.clock.Now().Sub(w.uploadedAt) < time.Minute {
						return &cloudwatch.GetMetricStatisticsOutput{}, nil
					}
					return &cloudwatch.GetMetricStatisticsOutput{Datapoints: []cwtypes.Datapoint{{Timestamp: aws.Time(w.uploadedAt.Truncate(time.Minute).Add(time.Minute)), Sum: aws.Float64(1)}}}, nil
				}
			},
			want:     healthy,
			wantText: []string{"the topic published 1 message since the upload (no NotifierLogGroupName output to tell which)"},
		},
		{
			name: "upload refused",
			change: func(_ *world, v *Verifier) {
				v.S3.(*fakeS3).PutObjectFn = func(context.Context, *s3.PutObjectInput) (*s3.PutObjectOutput, error) {
					return nil, apiError("AccessDenied", "Access Denied")
				}
			},
			want:     with(map[string]Status{CheckDigest: Fail}),
			wantText: []string{"cannot upload the test object s3://acme-product-images/bucketbell-verify/20261201T101500Z.png: api error AccessDenied"},
			check: func(t *testing.T, w *world, _ string) {
				if len(w.deleted) != 0 {
					t.Error("deleted an object that was never uploaded")
				}
			},
		},
		{
			name: "test object cannot be deleted",
			change: func(_ *world, v *Verifier) {
				v.S3.(*fakeS3).DeleteObjectFn = func(ctx context.Context, _ *s3.DeleteObjectInput) (*s3.DeleteObjectOutput, error) {
					return nil, blocked(ctx)
				}
			},
			want: with(map[string]Status{CheckCleanup: Fail}),
			wantText: []string{"FAIL    cleanup: cannot delete the test object s3://acme-product-images/bucketbell-verify/20261201T101500Z.png: no answer within 50ms",
				"aws s3api delete-object --bucket acme-product-images --key bucketbell-verify/20261201T101500Z.png --version-id " + testVersion,
				"4 passed, 1 failed"},
		},
		{
			name: "the digest window from the Settings output",
			change: func(w *world, _ *Verifier) {
				w.outputs[OutputSettings] = `{"digestWindowSeconds":"300"}`
				w.digestLine = nil
			},
			want:     with(map[string]Status{CheckDigest: Fail}),
			wantText: []string{"its digest should be published within 7m0s", "within 7m0s"},
		},
		{
			name: "the default digest window without Settings",
			change: func(w *world, _ *Verifier) {
				delete(w.outputs, OutputSettings)
			},
			want:     healthy,
			wantText: []string{"within 3m0s (the default digest window: no Settings output)"},
		},

		// Alarm to topic.
		{
			name:   "alarm not delivered",
			change: func(w *world, _ *Verifier) { w.actionSummary = "" },
			want:   with(map[string]Status{CheckAlarm: Fail}),
			wantText: []string{"FAIL    alarm to topic: no action of alarm bucketbell-events-in-dead-letter-queue recorded within 2m0s",
				"aws cloudwatch describe-alarm-history --alarm-name bucketbell-events-in-dead-letter-queue --history-item-type Action"},
			check: func(t *testing.T, w *world, _ string) {
				if !slices.Equal(w.states, []cwtypes.StateValue{cwtypes.StateValueAlarm, cwtypes.StateValueOk}) {
					t.Errorf("alarm states set: %v, want ALARM then OK", w.states)
				}
			},
		},
		{
			name: "alarm publish refused by the key",
			change: func(w *world, _ *Verifier) {
				w.actionSummary = "Failed to execute action " + testTopic + `. Received error: "CloudWatch Alarms does not have authorization to access the SNS topic encryption key."`
			},
			want: with(map[string]Status{CheckAlarm: Fail}),
			wantText: []string{"CloudWatch could not publish alarm bucketbell-events-in-dead-letter-queue to the topic: Failed to execute action",
				"does not have authorization to access the SNS topic encryption key",
				"The topic's key policy must let cloudwatch.amazonaws.com use the key"},
		},
		{
			name: "every alarm firing",
			change: func(w *world, _ *Verifier) {
				for i := range w.alarms {
					w.alarms[i].StateValue = cwtypes.StateValueAlarm
				}
			},
			want:     with(map[string]Status{CheckAlarm: Skip}),
			wantText: []string{"every alarm that e-mails the topic is in ALARM already: bucketbell-events-in-dead-letter-queue, bucketbell-notifier-errors"},
			check: func(t *testing.T, w *world, _ string) {
				if len(w.states) != 0 {
					t.Errorf("alarm states set: %v, want none", w.states)
				}
			},
		},
		{
			name: "an alarm with insufficient data is forced when none is OK",
			change: func(w *world, _ *Verifier) {
				w.alarms[0].StateValue = cwtypes.StateValueAlarm
				w.alarms[1].StateValue = cwtypes.StateValueInsufficientData
			},
			want:     healthy,
			wantText: []string{"alarm bucketbell-notifier-errors went to ALARM"},
		},
		{
			name: "no alarm sends to the topic",
			change: func(w *world, _ *Verifier) {
				for i := range w.alarms {
					w.alarms[i].AlarmActions = nil
				}
			},
			want:     with(map[string]Status{CheckAlarm: Fail}),
			wantText: []string{"none of the stack's 2 alarms sends to the topic", "aws cloudwatch describe-alarms --alarm-name-prefix bucketbell-"},
		},
		{
			name:   "no AlarmNames output: alarms by the stack's prefix",
			change: func(w *world, _ *Verifier) { delete(w.outputs, OutputAlarmNames) },
			want:   healthy,
			check: func(t *testing.T, w *world, _ string) {
				if len(w.described) == 0 || aws.ToString(w.described[0].AlarmNamePrefix) != "bucketbell-" || w.described[0].AlarmNames != nil {
					t.Errorf("alarms described by %+v, want the prefix bucketbell-", w.described)
				}
			},
		},
		{
			name: "alarm cannot be set back to OK",
			change: func(w *world, v *Verifier) {
				set := v.CloudWatch.(*fakeCloudWatch).SetAlarmStateFn
				v.CloudWatch.(*fakeCloudWatch).SetAlarmStateFn = func(ctx context.Context, in *cloudwatch.SetAlarmStateInput) (*cloudwatch.SetAlarmStateOutput, error) {
					if in.StateValue == cwtypes.StateValueOk {
						return nil, apiError("Throttling", "Rate exceeded")
					}
					return set(ctx, in)
				}
			},
			want:     with(map[string]Status{CheckCleanup: Fail}),
			wantText: []string{"FAIL    cleanup: cannot set alarm bucketbell-events-in-dead-letter-queue back to OK", "aws cloudwatch set-alarm-state --alarm-name bucketbell-events-in-dead-letter-queue --state-value OK"},
		},
		{
			name: "alarm cannot be forced",
			change: func(_ *world, v *Verifier) {
				v.CloudWatch.(*fakeCloudWatch).SetAlarmStateFn = func(ctx context.Context, _ *cloudwatch.SetAlarmStateInput) (*cloudwatch.SetAlarmStateOutput, error) {
					return nil, blocked(ctx)
				}
			},
			want:       with(map[string]Status{CheckAlarm: Fail}),
			wantText:   []string{"cannot set alarm bucketbell-events-in-dead-letter-queue to ALARM: no answer within 50ms"},
			wantAbsent: []string{"cleanup"},
		},

		// Agency address limit.
		{
			name: "agencySourceCidrs set",
			change: func(w *world, _ *Verifier) {
				w.outputs[OutputSettings] = `{"digestWindowSeconds":60,"agencySourceCidrs":"203.0.113.0/24, 2001:db8::/32","keyPrefix":"agency/"}`
			},
			want: with(map[string]Status{CheckAgencyAddress: Manual}),
			wantText: []string{"MANUAL  agency address limit: agencySourceCidrs is 203.0.113.0/24, 2001:db8::/32",
				"how:  From outside those addresses",
				"aws s3 ls s3://acme-product-images/agency/ --profile bucketbell-agency",
				"It must fail with AccessDenied",
				"4 passed, 0 failed, 0 skipped, 1 to check by hand"},
		},
		{
			name:     "Settings that do not parse",
			change:   func(w *world, _ *Verifier) { w.outputs[OutputSettings] = "{not json" },
			want:     healthy,
			wantText: []string{"SKIP    agency address limit: the Settings output does not parse", "(the default digest window"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld()
			v := w.verifier()
			var out bytes.Buffer
			v.Out = &out
			if tt.change != nil {
				tt.change(w, v)
			}
			rep := v.Run(context.Background())
			text := out.String()
			if got := statuses(rep); !mapsEqual(got, tt.want) {
				t.Errorf("statuses = %v, want %v\n%s", got, tt.want, text)
			}
			wantFailed := 0
			for _, s := range tt.want {
				if s == Fail {
					wantFailed++
				}
			}
			if rep.Failed() != wantFailed {
				t.Errorf("Failed() = %d, want %d", rep.Failed(), wantFailed)
			}
			for _, s := range tt.wantText {
				if !strings.Contains(text, s) {
					t.Errorf("report lacks %q:\n%s", s, text)
				}
			}
			for _, s := range tt.wantAbsent {
				if strings.Contains(text, s) {
					t.Errorf("report holds %q:\n%s", s, text)
				}
			}
			if w.uploaded != nil && len(w.deleted) == 0 && tt.want[CheckCleanup] != Fail {
				t.Error("the test object was left behind")
			}
			if slices.Contains(w.states, cwtypes.StateValueAlarm) && w.states[len(w.states)-1] != cwtypes.StateValueOk && tt.want[CheckCleanup] != Fail {
				t.Errorf("the alarm was left in ALARM: %v", w.states)
			}
			if tt.check != nil {
				tt.check(t, w, text)
			}
		})
	}
}

func mapsEqual(a, b map[string]Status) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestInterrupted: Ctrl-C during the wait ends it, and what the run
// created is still removed.
func TestInterrupted(t *testing.T) {
	w := newWorld()
	w.digestLine = nil
	v := w.verifier()
	ctx, cancel := context.WithCancel(context.Background())
	sleeps := 0
	v.Sleep = func(ctx context.Context, d time.Duration) error {
		if sleeps++; sleeps == 3 {
			cancel()
		}
		return w.clock.Sleep(ctx, d)
	}
	rep := v.Run(ctx)
	if got := statuses(rep)[CheckDigest]; got != Fail {
		t.Errorf("digest = %s, want FAIL", got)
	}
	if len(w.deleted) != 1 {
		t.Errorf("test object deleted %d times after Ctrl-C, want once", len(w.deleted))
	}
	if w.clock.Now().Sub(w.uploadedAt) > time.Minute {
		t.Errorf("waited %s after Ctrl-C", w.clock.Now().Sub(w.uploadedAt))
	}
}

func TestParseSettings(t *testing.T) {
	tests := []struct {
		name      string
		text      string
		found     bool
		wantErr   bool
		window    time.Duration
		cidrs     []string
		keyPrefix string
	}{
		{name: "absent"},
		{name: "numbers and a comma list", text: `{"digestWindowSeconds":120,"agencySourceCidrs":"203.0.113.0/24,,198.51.100.7/32 ","keyPrefix":"agency/"}`, found: true,
			window: 2 * time.Minute, cidrs: []string{"203.0.113.0/24", "198.51.100.7/32"}, keyPrefix: "agency/"},
		{name: "strings and a JSON list", text: `{"digestWindowSeconds":" 30 ","agencySourceCidrs":["2001:db8::/32"]}`, found: true,
			window: 30 * time.Second, cidrs: []string{"2001:db8::/32"}},
		{name: "unset values", text: `{"digestWindowSeconds":"","agencySourceCidrs":"","keyPrefix":null}`, found: true},
		{name: "nonsense values", text: `{"digestWindowSeconds":-5,"agencySourceCidrs":7,"keyPrefix":3}`, found: true},
		{name: "not JSON", text: `digestWindowSeconds=60`, found: true, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := parseSettings(tt.text, tt.found)
			if s.found != tt.found || (s.err != nil) != tt.wantErr || s.window != tt.window || !slices.Equal(s.cidrs, tt.cidrs) || s.keyPrefix != tt.keyPrefix {
				t.Errorf("parseSettings = %+v", s)
			}
		})
	}
}

// TestTestImage: the test object is a real 1x1 PNG, so the notifier's
// image check has nothing to say about it.
func TestTestImage(t *testing.T) {
	info := image.Sniff(testImage())
	if info.Type != "image/png" || info.Width != 1 || info.Height != 1 {
		t.Errorf("test image sniffs as %+v", info)
	}
	if warn := image.Check(TestKeyPrefix+"x.png", "image/png", info); warn != "" {
		t.Errorf("image check warns: %s", warn)
	}
}

type fakeCredentials struct {
	creds aws.Credentials
	err   error
	// sawDeadline records whether Retrieve was bounded.
	sawDeadline bool
}

func (f *fakeCredentials) Retrieve(ctx context.Context) (aws.Credentials, error) {
	_, f.sawDeadline = ctx.Deadline()
	return f.creds, f.err
}

func TestPreflight(t *testing.T) {
	keys := aws.Credentials{AccessKeyID: "AKIAEXAMPLEADMIN0001", SecretAccessKey: "example-secret-not-real"}
	tests := []struct {
		name    string
		region  string
		creds   *fakeCredentials
		wantErr error
	}{
		{name: "ready", region: "eu-west-1", creds: &fakeCredentials{creds: keys}},
		{name: "no region", creds: &fakeCredentials{creds: keys}, wantErr: ErrNoRegion},
		{name: "no provider", region: "eu-west-1", wantErr: ErrNoCredentials},
		{name: "provider fails", region: "eu-west-1", creds: &fakeCredentials{err: errors.New("no EC2 IMDS role found")}, wantErr: ErrNoCredentials},
		{name: "empty credentials", region: "eu-west-1", creds: &fakeCredentials{}, wantErr: ErrNoCredentials},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var p aws.CredentialsProvider
			if tt.creds != nil {
				p = tt.creds
			}
			err := Preflight(context.Background(), tt.region, p)
			if !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), "\n") {
				t.Errorf("error is more than one line: %q", err)
			}
			if tt.creds != nil && tt.region != "" && !tt.creds.sawDeadline {
				t.Error("credentials were looked up without a timeout")
			}
		})
	}
}

// TestEveryCallHasATimeout: a call that never answers ends in its
// timeout, whichever call it is, and the run still ends.
func TestEveryCallHasATimeout(t *testing.T) {
	blocks := map[string]func(v *Verifier){
		"DescribeStacks": func(v *Verifier) {
			v.Stacks.(*fakeStacks).DescribeStacksFn = func(ctx context.Context, _ *cloudformation.DescribeStacksInput) (*cloudformation.DescribeStacksOutput, error) {
				return nil, blocked(ctx)
			}
		},
		"ListSubscriptionsByTopic": func(v *Verifier) {
			v.SNS.(*fakeSNS).ListSubscriptionsByTopicFn = func(ctx context.Context, _ *sns.ListSubscriptionsByTopicInput) (*sns.ListSubscriptionsByTopicOutput, error) {
				return nil, blocked(ctx)
			}
		},
		"PutObject": func(v *Verifier) {
			v.S3.(*fakeS3).PutObjectFn = func(ctx context.Context, _ *s3.PutObjectInput) (*s3.PutObjectOutput, error) { return nil, blocked(ctx) }
		},
		"DeleteObject": func(v *Verifier) {
			v.S3.(*fakeS3).DeleteObjectFn = func(ctx context.Context, _ *s3.DeleteObjectInput) (*s3.DeleteObjectOutput, error) {
				return nil, blocked(ctx)
			}
		},
		"FilterLogEvents": func(v *Verifier) {
			v.Logs.(*fakeLogs).FilterLogEventsFn = func(ctx context.Context, _ *cloudwatchlogs.FilterLogEventsInput) (*cloudwatchlogs.FilterLogEventsOutput, error) {
				return nil, blocked(ctx)
			}
		},
		"DescribeAlarms": func(v *Verifier) {
			v.CloudWatch.(*fakeCloudWatch).DescribeAlarmsFn = func(ctx context.Context, _ *cloudwatch.DescribeAlarmsInput) (*cloudwatch.DescribeAlarmsOutput, error) {
				return nil, blocked(ctx)
			}
		},
		"SetAlarmState": func(v *Verifier) {
			v.CloudWatch.(*fakeCloudWatch).SetAlarmStateFn = func(ctx context.Context, _ *cloudwatch.SetAlarmStateInput) (*cloudwatch.SetAlarmStateOutput, error) {
				return nil, blocked(ctx)
			}
		},
		"DescribeAlarmHistory": func(v *Verifier) {
			v.CloudWatch.(*fakeCloudWatch).DescribeAlarmHistoryFn = func(ctx context.Context, _ *cloudwatch.DescribeAlarmHistoryInput) (*cloudwatch.DescribeAlarmHistoryOutput, error) {
				return nil, blocked(ctx)
			}
		},
	}
	for name, block := range blocks {
		t.Run(name, func(t *testing.T) {
			w := newWorld()
			v := w.verifier()
			v.CallTimeout = 5 * time.Millisecond
			block(v)
			done := make(chan Report, 1)
			go func() { done <- v.Run(context.Background()) }()
			select {
			case rep := <-done:
				if rep.Failed() == 0 {
					t.Errorf("a call that never answers failed nothing: %v", statuses(rep))
				}
			case <-time.After(20 * time.Second):
				t.Fatal("the run did not end")
			}
		})
	}
	t.Run("GetMetricStatistics", func(t *testing.T) {
		w := newWorld()
		delete(w.outputs, OutputNotifierLogGroup)
		v := w.verifier()
		v.CallTimeout = 5 * time.Millisecond
		v.CloudWatch.(*fakeCloudWatch).GetMetricStatisticsFn = func(ctx context.Context, _ *cloudwatch.GetMetricStatisticsInput) (*cloudwatch.GetMetricStatisticsOutput, error) {
			return nil, blocked(ctx)
		}
		var out bytes.Buffer
		v.Out = &out
		if got := statuses(v.Run(context.Background()))[CheckDigest]; got != Fail || !strings.Contains(out.String(), "no answer within 5ms") {
			t.Errorf("digest = %s:\n%s", got, out.String())
		}
	})
}
