package verify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// TestKeyPrefix is the folder the test object goes in.
const TestKeyPrefix = "bucketbell-verify/"

// clockSkew widens every "since the upload" search, for a clock here that
// runs ahead of AWS's.
const clockSkew = time.Minute

// digestFilter finds the notifier's "digest published" lines; the
// notifier logs JSON (lambda/notifier).
const digestFilter = `{ $.msg = "digest published" }`

// troubleFilter finds what the notifier logged as going wrong.
const troubleFilter = `{ $.level = "ERROR" || $.level = "WARN" }`

// digestLine is the part of the notifier's "digest published" line the
// check reads. A notifier older than the keys field logs no Keys.
type digestLine struct {
	Msg         string   `json:"msg"`
	Keys        []string `json:"keys"`
	KeysOmitted int      `json:"keysOmitted"`
}

// testImage is a 1x1 PNG: a real image, so the notifier's checks pass it.
func testImage() []byte {
	img := image.NewGray(image.Rect(0, 0, 1, 1))
	img.Set(0, 0, color.Gray{Y: 0x80})
	var b bytes.Buffer
	_ = png.Encode(&b, img) // writing to memory cannot fail
	return b.Bytes()
}

// evidence is what a look found: a digest that names the key, or one
// that may be its digest.
type evidence struct {
	at     time.Time
	named  bool
	detail string
}

// digest uploads a test object, waits for the digest that names it, and
// deletes every trace of it: the object's version by its id, so no
// version or delete marker stays behind.
func (r *run) digest(ctx context.Context) Result {
	res := Result{Check: CheckDigest}
	bucket, logGroup, topic := r.outputs[OutputBucketName], r.outputs[OutputNotifierLogGroup], r.outputs[OutputTopicArn]
	switch {
	case bucket == "":
		return missing(CheckDigest, OutputBucketName)
	case logGroup == "" && topic == "":
		return missing(CheckDigest, OutputNotifierLogGroup, OutputTopicArn)
	}
	window, windowNote := r.settings.window, ""
	if window == 0 {
		window, windowNote = DefaultDigestWindow, " (the default digest window: no Settings output)"
	}
	start := r.now()
	key := TestKeyPrefix + start.UTC().Format("20060102T150405Z") + ".png"
	where := "s3://" + bucket + "/" + key

	cctx, cancel := r.call(ctx)
	put, err := r.S3.PutObject(cctx, &s3.PutObjectInput{
		Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(testImage()), ContentType: aws.String("image/png"),
	})
	cancel()
	if err != nil {
		res.Status, res.Detail = Fail, "cannot upload the test object "+where+": "+r.explain(err)
		res.Fix = []string{"Run it with an administrator's credentials: they need s3:PutObject and s3:DeleteObjectVersion on the bucket."}
		return res
	}
	defer r.deleteTestObject(ctx, bucket, key, aws.ToString(put.VersionId))

	deadline := start.Add(window + or(r.Margin, DefaultMargin))
	r.progress("uploaded %s; its digest should be published within %s%s", where, deadline.Sub(start).Round(time.Second), windowNote)
	var found *evidence
	noGroup := false
	look := func(ctx context.Context) (bool, error) {
		var err error
		if logGroup == "" {
			found, err = r.publishedSince(ctx, topic, start)
		} else {
			found, err = r.digestLogged(ctx, logGroup, key, start)
		}
		var notFound *logtypes.ResourceNotFoundException
		if errors.As(err, &notFound) {
			// The notifier never ran, so its log group does not exist yet.
			noGroup = true
			return false, nil
		}
		return found != nil, err
	}
	ok, err := r.waitFor(ctx, "waiting for the digest", start, deadline, look)
	if ok {
		res.Status = Pass
		res.Detail = found.detail + fmt.Sprintf(", %s after the upload", found.at.Sub(start).Round(time.Second))
		if !found.named {
			res.Fix = []string{"Not certainly this upload's digest: check that the e-mail names " + key + "."}
		}
		return res
	}
	res.Status = Fail
	res.Detail = fmt.Sprintf("no digest named %s within %s", key, deadline.Sub(start).Round(time.Second))
	switch {
	case err != nil:
		res.Detail += ": " + r.explain(err)
	case noGroup:
		res.Detail += ": the notifier's log group does not exist, so the notifier never ran"
	}
	res.Fix = r.digestFix(ctx, logGroup, start)
	return res
}

// digestLogged looks for the "digest published" line that names key.
func (r *run) digestLogged(ctx context.Context, logGroup, key string, start time.Time) (*evidence, error) {
	var maybe *evidence
	var token *string
	for range maxPages {
		cctx, cancel := r.call(ctx)
		out, err := r.Logs.FilterLogEvents(cctx, &cloudwatchlogs.FilterLogEventsInput{
			LogGroupName:  aws.String(logGroup),
			FilterPattern: aws.String(digestFilter),
			StartTime:     aws.Int64(start.Add(-clockSkew).UnixMilli()),
			NextToken:     token,
		})
		cancel()
		if err != nil {
			return nil, err
		}
		for _, e := range out.Events {
			var line digestLine
			if json.Unmarshal([]byte(aws.ToString(e.Message)), &line) != nil || line.Msg != "digest published" {
				continue
			}
			at := time.UnixMilli(aws.ToInt64(e.Timestamp)).UTC()
			if slices.Contains(line.Keys, key) {
				return &evidence{at: at, named: true, detail: "the notifier published the digest that names " + key + " at " + clock(at)}, nil
			}
			// A line that cannot name every key may still be the digest.
			if maybe == nil && (line.Keys == nil || line.KeysOmitted > 0) && !at.Before(start) {
				maybe = &evidence{at: at, detail: "the notifier published a digest at " + clock(at) + ", after the upload; its log line does not name every key"}
			}
		}
		if token = out.NextToken; aws.ToString(token) == "" {
			break
		}
	}
	return maybe, nil
}

// publishedSince is the fallback without the notifier's log group: the
// topic's NumberOfMessagesPublished since the upload.
func (r *run) publishedSince(ctx context.Context, topic string, start time.Time) (*evidence, error) {
	from := start.Truncate(time.Minute)
	cctx, cancel := r.call(ctx)
	out, err := r.CloudWatch.GetMetricStatistics(cctx, &cloudwatch.GetMetricStatisticsInput{
		Namespace:  aws.String("AWS/SNS"),
		MetricName: aws.String("NumberOfMessagesPublished"),
		Dimensions: []cwtypes.Dimension{{Name: aws.String("TopicName"), Value: aws.String(topic[strings.LastIndex(topic, ":")+1:])}},
		StartTime:  aws.Time(from),
		EndTime:    aws.Time(r.now().Add(time.Minute)),
		Period:     aws.Int32(60),
		Statistics: []cwtypes.Statistic{cwtypes.StatisticSum},
	})
	cancel()
	if err != nil {
		return nil, err
	}
	var sum float64
	var last time.Time
	for _, d := range out.Datapoints {
		if t := aws.ToTime(d.Timestamp); !t.Before(from) {
			sum += aws.ToFloat64(d.Sum)
			if t.After(last) {
				last = t
			}
		}
	}
	if sum == 0 {
		return nil, nil
	}
	return &evidence{at: last, detail: fmt.Sprintf("the topic published %.0f message%s since the upload (no %s output to tell which)",
		sum, plural(int(sum)), OutputNotifierLogGroup)}, nil
}

// digestFix says where to look when no digest came, with what the
// notifier itself logged as going wrong since the upload.
func (r *run) digestFix(ctx context.Context, logGroup string, start time.Time) []string {
	fix := []string{
		"Events not reaching the queue: see the event queue's NumberOfMessagesSent metric; S3 must be allowed to send to it (queue and key policies, make deploy restores them).",
		"Notifier failing: see its log group " + orDefault(logGroup, "(NotifierLogGroupName output)") + ", the alarm " + r.StackName + "-notifier-errors and the dead-letter queue " + orDefault(r.outputs[OutputDeadLetterQueue], "(DeadLetterQueueUrl output)") + ".",
	}
	if logGroup == "" {
		return fix
	}
	cctx, cancel := r.cleanupContext(ctx)
	defer cancel()
	out, err := r.Logs.FilterLogEvents(cctx, &cloudwatchlogs.FilterLogEventsInput{
		LogGroupName:  aws.String(logGroup),
		FilterPattern: aws.String(troubleFilter),
		StartTime:     aws.Int64(start.Add(-clockSkew).UnixMilli()),
		Limit:         aws.Int32(3),
	})
	if err != nil {
		return fix
	}
	for _, e := range out.Events {
		fix = append(fix, "The notifier logged: "+cut(strings.TrimSpace(aws.ToString(e.Message)), 300))
	}
	return fix
}

// deleteTestObject removes the test object's version by its id: nothing
// of it stays in the bucket. The deletion is itself a change, reported in
// a second digest. A failure is reported as a cleanup failure.
func (r *run) deleteTestObject(ctx context.Context, bucket, key, version string) {
	cctx, cancel := r.cleanupContext(ctx)
	defer cancel()
	in := &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}
	cmd := "aws s3api delete-object --bucket " + bucket + " --key " + key
	if version != "" {
		in.VersionId = aws.String(version)
		cmd += " --version-id " + version
	}
	if _, err := r.S3.DeleteObject(cctx, in); err != nil {
		r.cleanups = append(r.cleanups, Result{Check: CheckCleanup, Status: Fail,
			Detail: "cannot delete the test object s3://" + bucket + "/" + key + ": " + r.explain(err),
			Fix:    []string{"Delete it by hand: " + cmd}})
	}
}

func clock(t time.Time) string { return t.UTC().Format("15:04:05 UTC") }

// cut shortens s to at most n bytes, on a rune boundary.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "..."
}
