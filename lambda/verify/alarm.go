package verify

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
)

// Reasons the forced alarm carries into its e-mails.
const (
	alarmReason   = "bucketbell verify-deploy: checking that this alarm's e-mail reaches the topic; set back to OK in a moment"
	restoreReason = "bucketbell verify-deploy: check over"
)

// alarm forces one of the stack's alarms to ALARM, waits until its
// history shows whether CloudWatch could publish to the topic, and sets
// it back to OK. The history is the evidence, not the topic's metric:
// it names this alarm and carries the error when the publish fails (a
// key or topic policy that refuses CloudWatch).
func (r *run) alarm(ctx context.Context) Result {
	res := Result{Check: CheckAlarm}
	topic := r.outputs[OutputTopicArn]
	if topic == "" {
		return missing(CheckAlarm, OutputTopicArn)
	}
	alarms, err := r.stackAlarms(ctx)
	if err != nil {
		res.Status, res.Detail = Fail, "cannot list the stack's alarms: "+r.explain(err)
		res.Fix = []string{"Run it with an administrator's credentials (cloudwatch:DescribeAlarms)."}
		return res
	}
	var name string
	var firing []string
	for _, state := range []types.StateValue{types.StateValueOk, types.StateValueInsufficientData} {
		for _, a := range alarms {
			if name == "" && a.StateValue == state && slices.Contains(a.AlarmActions, topic) {
				name = aws.ToString(a.AlarmName)
			}
		}
	}
	for _, a := range alarms {
		if a.StateValue == types.StateValueAlarm {
			firing = append(firing, aws.ToString(a.AlarmName))
		}
	}
	list := "aws cloudwatch describe-alarms --alarm-name-prefix " + r.StackName + "-"
	switch {
	case name != "":
	case len(firing) > 0:
		res.Status, res.Detail = Skip, "every alarm that e-mails the topic is in ALARM already: "+strings.Join(firing, ", ")
		res.Fix = []string{"Their e-mails say what is wrong: fix that, then run make verify-deploy again."}
		return res
	default:
		res.Status = Fail
		res.Detail = fmt.Sprintf("none of the stack's %d alarm%s sends to the topic", len(alarms), plural(len(alarms)))
		res.Fix = []string{"The alarms were changed or removed by hand: make deploy restores them. See: " + list}
		return res
	}

	start := r.now()
	cctx, cancel := r.call(ctx)
	_, err = r.CloudWatch.SetAlarmState(cctx, &cloudwatch.SetAlarmStateInput{
		AlarmName: aws.String(name), StateValue: types.StateValueAlarm, StateReason: aws.String(alarmReason),
	})
	cancel()
	if err != nil {
		res.Status, res.Detail = Fail, "cannot set alarm "+name+" to ALARM: "+r.explain(err)
		res.Fix = []string{"Run it with an administrator's credentials (cloudwatch:SetAlarmState)."}
		return res
	}
	defer r.restoreAlarm(ctx, name)

	deadline := start.Add(or(r.AlarmWait, DefaultAlarmWait))
	r.progress("set alarm %s to ALARM; CloudWatch should publish to the topic within %s", name, deadline.Sub(start).Round(time.Second))
	var item *types.AlarmHistoryItem
	look := func(ctx context.Context) (bool, error) {
		var err error
		item, err = r.alarmAction(ctx, name, topic, start)
		return item != nil, err
	}
	ok, err := r.waitFor(ctx, "waiting for the alarm's action", start, deadline, look)
	summary := ""
	if item != nil {
		summary = aws.ToString(item.HistorySummary)
	}
	switch {
	case ok && strings.HasPrefix(summary, "Successfully"):
		res.Status = Pass
		res.Detail = fmt.Sprintf("alarm %s went to ALARM and CloudWatch published to the topic at %s; it is set back to OK (two e-mails: ALARM, then OK)",
			name, clock(aws.ToTime(item.Timestamp)))
	case ok:
		res.Status = Fail
		res.Detail = "CloudWatch could not publish alarm " + name + " to the topic: " + cut(summary, 500)
		res.Fix = []string{
			"The topic's key policy must let cloudwatch.amazonaws.com use the key (kms:GenerateDataKey*, kms:Decrypt) for this account's alarms, and the topic policy must let it publish (sns:Publish).",
			"make deploy restores both; the error above says which refused.",
		}
	default:
		res.Status = Fail
		res.Detail = fmt.Sprintf("no action of alarm %s recorded within %s", name, deadline.Sub(start).Round(time.Second))
		if err != nil {
			res.Detail += ": " + r.explain(err)
		}
		res.Fix = []string{
			"See the alarm's history: aws cloudwatch describe-alarm-history --alarm-name " + name + " --history-item-type Action",
			"and that its actions name the topic: aws cloudwatch describe-alarms --alarm-names " + name + " --query 'MetricAlarms[0].AlarmActions'",
		}
	}
	return res
}

// stackAlarms is the alarms the AlarmNames output names, or without it
// every alarm whose name starts with the stack's name, as the stack
// names them.
func (r *run) stackAlarms(ctx context.Context) ([]types.MetricAlarm, error) {
	in := &cloudwatch.DescribeAlarmsInput{AlarmNamePrefix: aws.String(r.StackName + "-")}
	if names := splitList(r.outputs[OutputAlarmNames]); len(names) > 0 {
		in = &cloudwatch.DescribeAlarmsInput{AlarmNames: names}
	}
	var all []types.MetricAlarm
	for range maxPages {
		cctx, cancel := r.call(ctx)
		out, err := r.CloudWatch.DescribeAlarms(cctx, in)
		cancel()
		if err != nil {
			return nil, err
		}
		all = append(all, out.MetricAlarms...)
		if aws.ToString(out.NextToken) == "" {
			break
		}
		next := *in
		next.NextToken = out.NextToken
		in = &next
	}
	return all, nil
}

// alarmAction finds the action CloudWatch took on the topic since start:
// "Successfully executed action <topic>" or "Failed to execute action
// <topic>. Received error: ...".
func (r *run) alarmAction(ctx context.Context, name, topic string, start time.Time) (*types.AlarmHistoryItem, error) {
	var token *string
	for range maxPages {
		cctx, cancel := r.call(ctx)
		out, err := r.CloudWatch.DescribeAlarmHistory(cctx, &cloudwatch.DescribeAlarmHistoryInput{
			AlarmName:       aws.String(name),
			HistoryItemType: types.HistoryItemTypeAction,
			StartDate:       aws.Time(start.Add(-clockSkew)),
			ScanBy:          types.ScanByTimestampDescending,
			NextToken:       token,
		})
		cancel()
		if err != nil {
			return nil, err
		}
		for i, it := range out.AlarmHistoryItems {
			if s := aws.ToString(it.HistorySummary); strings.Contains(s, topic) &&
				(strings.HasPrefix(s, "Successfully") || strings.HasPrefix(s, "Failed")) {
				return &out.AlarmHistoryItems[i], nil
			}
		}
		if token = out.NextToken; aws.ToString(token) == "" {
			break
		}
	}
	return nil, nil
}

// restoreAlarm sets the alarm back to OK; CloudWatch then evaluates it
// again as usual. A failure is reported as a cleanup failure.
func (r *run) restoreAlarm(ctx context.Context, name string) {
	cctx, cancel := r.cleanupContext(ctx)
	defer cancel()
	_, err := r.CloudWatch.SetAlarmState(cctx, &cloudwatch.SetAlarmStateInput{
		AlarmName: aws.String(name), StateValue: types.StateValueOk, StateReason: aws.String(restoreReason),
	})
	if err != nil {
		r.cleanups = append(r.cleanups, Result{Check: CheckCleanup, Status: Fail,
			Detail: "cannot set alarm " + name + " back to OK: " + r.explain(err),
			Fix:    []string{"It goes back by itself at its next evaluation, or: aws cloudwatch set-alarm-state --alarm-name " + name + " --state-value OK --state-reason '" + restoreReason + "'"}})
	}
}

// splitList splits a comma-separated output, dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
