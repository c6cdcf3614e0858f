package verify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/smithy-go"
)

// The stack's outputs the checks read. AlarmNames, Settings and
// HistoryBucketName are newer than the others: without them the checks
// fall back (alarms by name prefix, the default digest window) or skip.
const (
	OutputBucketName       = "BucketName"
	OutputTopicArn         = "TopicArn"
	OutputNotifierLogGroup = "NotifierLogGroupName"
	OutputDeadLetterQueue  = "DeadLetterQueueUrl"
	OutputBucketConsoleURL = "BucketConsoleUrl"
	OutputAlarmNames       = "AlarmNames" // comma-separated
	OutputSettings         = "Settings"   // JSON of the effective settings
)

// stack reads the stack's status and outputs. ok is false when nothing
// else can be checked: no stack, or a deploy still running or failed
// before the stack existed.
func (r *run) stack(ctx context.Context) (Result, bool) {
	res := Result{Check: CheckStack}
	cctx, cancel := r.call(ctx)
	out, err := r.Stacks.DescribeStacks(cctx, &cloudformation.DescribeStacksInput{StackName: aws.String(r.StackName)})
	cancel()
	var ae smithy.APIError
	switch {
	case err == nil && len(out.Stacks) > 0:
	case err == nil, errors.As(err, &ae) && ae.ErrorCode() == "ValidationError" && strings.Contains(ae.ErrorMessage(), "does not exist"):
		res.Status, res.Detail = Fail, fmt.Sprintf("stack %s does not exist in %s", r.StackName, orDefault(r.Region, "this Region"))
		res.Fix = []string{
			"Deploy it first (make deploy ADMIN_EMAIL=...), or point to its Region: AWS_REGION=<region> make verify-deploy.",
		}
		return res, false
	default:
		res.Status, res.Detail = Fail, "cannot read the stack: "+r.explain(err)
		res.Fix = []string{"Run it with the credentials of an administrator of the stack's account (cloudformation:DescribeStacks)."}
		return res, false
	}
	st := out.Stacks[0]
	r.outputs = map[string]string{}
	for _, o := range st.Outputs {
		r.outputs[aws.ToString(o.OutputKey)] = aws.ToString(o.OutputValue)
	}
	r.settings = parseSettings(r.outputs[OutputSettings], r.outputs[OutputSettings] != "")

	status := string(st.StackStatus)
	events := "aws cloudformation describe-stack-events --stack-name " + r.StackName + " --max-items 30"
	switch {
	case status == "CREATE_COMPLETE" || status == "UPDATE_COMPLETE" || status == "IMPORT_COMPLETE":
		res.Status, res.Detail = Pass, fmt.Sprintf("%s with %d outputs", status, len(st.Outputs))
		return res, true
	case strings.HasSuffix(status, "_IN_PROGRESS"):
		res.Status, res.Detail = Fail, "a change of the stack is still running ("+status+")"
		res.Fix = []string{"Wait until it ends (" + events + "), then run make verify-deploy again."}
		return res, false
	case status == "UPDATE_ROLLBACK_COMPLETE":
		// The previous version runs: still worth checking.
		res.Status, res.Detail = Fail, "the last deploy failed and was rolled back (UPDATE_ROLLBACK_COMPLETE): the previous version runs"
		res.Fix = []string{"See which resource failed and why: " + events + ". Fix it and run make deploy again."}
		return res, true
	default:
		res.Status, res.Detail = Fail, "the stack is "+status
		res.Fix = []string{"See which resource failed and why: " + events + ". Fix it and run make deploy again (a stack in ROLLBACK_COMPLETE must be deleted first: make destroy)."}
		return res, false
	}
}

// settings is what the checks read from the Settings output.
type settings struct {
	found bool  // the stack has the output
	err   error // it is there but does not parse
	// window is digestWindowSeconds; zero when unknown.
	window    time.Duration
	cidrs     []string
	keyPrefix string
}

// parseSettings reads the Settings output. It accepts numbers and lists as
// JSON values or as the strings a -c flag gives.
func parseSettings(text string, found bool) settings {
	s := settings{found: found}
	if !found {
		return s
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(text), &m); err != nil {
		s.err = fmt.Errorf("settings: %w", err)
		return s
	}
	if raw, ok := m["digestWindowSeconds"]; ok {
		var n json.Number
		var str string
		switch {
		case json.Unmarshal(raw, &n) == nil:
		case json.Unmarshal(raw, &str) == nil:
			n = json.Number(strings.TrimSpace(str))
		}
		if secs, err := strconv.Atoi(n.String()); err == nil && secs > 0 {
			s.window = time.Duration(secs) * time.Second
		}
	}
	if raw, ok := m["agencySourceCidrs"]; ok {
		var list []string
		var str string
		switch {
		case json.Unmarshal(raw, &list) == nil:
		case json.Unmarshal(raw, &str) == nil:
			list = strings.Split(str, ",")
		}
		for _, c := range list {
			if c = strings.TrimSpace(c); c != "" {
				s.cidrs = append(s.cidrs, c)
			}
		}
	}
	if raw, ok := m["keyPrefix"]; ok {
		_ = json.Unmarshal(raw, &s.keyPrefix) // not a string: no prefix
	}
	return s
}
