package verify

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
)

// maxPages bounds every paginated read: far more than a bucketbell stack
// ever needs, and no endless loop on a bad token.
const maxPages = 20

// subscriptions checks that the topic has e-mail subscriptions and that
// every one is confirmed: until then SNS sends it nothing, digests and
// alarms alike.
func (r *run) subscriptions(ctx context.Context) Result {
	res := Result{Check: CheckSubscriptions}
	topic := r.outputs[OutputTopicArn]
	if topic == "" {
		return missing(CheckSubscriptions, OutputTopicArn)
	}
	var confirmed, pending []string
	var token *string
	for range maxPages {
		cctx, cancel := r.call(ctx)
		out, err := r.SNS.ListSubscriptionsByTopic(cctx, &sns.ListSubscriptionsByTopicInput{TopicArn: aws.String(topic), NextToken: token})
		cancel()
		if err != nil {
			res.Status, res.Detail = Fail, "cannot list the topic's subscriptions: "+r.explain(err)
			res.Fix = []string{"Run it with an administrator's credentials (sns:ListSubscriptionsByTopic on " + topic + ")."}
			return res
		}
		for _, s := range out.Subscriptions {
			if !strings.EqualFold(aws.ToString(s.Protocol), "email") {
				continue
			}
			// A confirmed subscription has an ARN; an unconfirmed one
			// "PendingConfirmation" (or "Deleted" on its way out).
			if strings.HasPrefix(aws.ToString(s.SubscriptionArn), "arn:") {
				confirmed = append(confirmed, aws.ToString(s.Endpoint))
			} else {
				pending = append(pending, aws.ToString(s.Endpoint))
			}
		}
		if token = out.NextToken; aws.ToString(token) == "" {
			break
		}
	}
	subscribe := func(addr string) string {
		return "aws sns subscribe --topic-arn " + topic + " --protocol email --notification-endpoint " + addr
	}
	switch {
	case len(pending) > 0:
		res.Status = Fail
		res.Detail = fmt.Sprintf("%d of %d e-mail subscriptions not confirmed: %s", len(pending), len(pending)+len(confirmed), strings.Join(pending, ", "))
		res.Fix = []string{`Each address got "AWS Notification - Subscription Confirmation": click Confirm subscription (the link works for 3 days).`,
			"Lost or expired? Send it again: " + subscribe(pending[0])}
	case len(confirmed) == 0:
		res.Status, res.Detail = Fail, "the topic has no e-mail subscription: nobody gets digests or alarms"
		res.Fix = []string{"Deploy with your address (make deploy ADMIN_EMAIL=you@example.com), or: " + subscribe("you@example.com")}
	default:
		res.Status = Pass
		res.Detail = fmt.Sprintf("%d e-mail subscription%s, all confirmed: %s", len(confirmed), plural(len(confirmed)), strings.Join(confirmed, ", "))
	}
	return res
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
