package review

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
)

// Publisher is the one SNS call the reviewer makes; *sns.Client satisfies it.
type Publisher interface {
	Publish(context.Context, *sns.PublishInput, ...func(*sns.Options)) (*sns.PublishOutput, error)
}

// Reviewer is the reviewer function: it gathers the user's IAM state,
// builds the review and publishes it as one message: text for e-mail, a
// JSON copy for every other protocol. The same value runs in Lambda and in
// make replay-review, with stand-ins there.
type Reviewer struct {
	IAM      IAM
	SNS      Publisher
	TopicARN string
	UserName string
	// Intended is the policy the stack intends; nil skips the drift check.
	Intended *Document
	// StackKeyID is the id of the access key the stack made for the user;
	// "" when the stack made none. Every other key is one nobody intended.
	StackKeyID string
	// KeySecret is the Secrets Manager secret (name or ARN) that holds the
	// stack's access key, for the command that hands a new key over; ""
	// names the stack's output instead.
	KeySecret string
	Now       func() time.Time
	// Timeout bounds each AWS call; zero means DefaultCallTimeout.
	Timeout time.Duration
	Log     *slog.Logger
}

// Outcome is what Run returns: enough to see what was sent.
type Outcome struct {
	UserName  string `json:"userName"`
	Findings  []Kind `json:"findings"`
	Subject   string `json:"subject"`
	MessageID string `json:"messageId,omitempty"`
}

// Run reviews the user and publishes the review. It returns an error when
// IAM cannot be read or the publish fails, so that Lambda retries the
// scheduled invocation rather than dropping the review.
func (r *Reviewer) Run(ctx context.Context) (*Outcome, error) {
	log := r.Log
	if log == nil {
		log = slog.Default()
	}
	g := Gatherer{IAM: r.IAM, Timeout: r.Timeout}
	u, err := g.Gather(ctx, r.UserName)
	if err != nil {
		return nil, err
	}
	u.StackKeyID = r.StackKeyID
	now := time.Now
	if r.Now != nil {
		now = r.Now
	}
	rev := Build(u, r.Intended, now(), r.KeySecret)
	out := &Outcome{UserName: rev.User.UserName, Findings: []Kind{}, Subject: rev.Subject()}
	for _, f := range rev.Findings {
		out.Findings = append(out.Findings, f.Kind)
	}

	msg, err := rev.Message()
	if err != nil {
		return out, fmt.Errorf("review: compose message: %w", err)
	}
	cctx, cancel := g.call(ctx)
	defer cancel()
	res, err := r.SNS.Publish(cctx, &sns.PublishInput{
		TopicArn:         aws.String(r.TopicARN),
		Subject:          aws.String(out.Subject),
		Message:          aws.String(msg),
		MessageStructure: aws.String("json"),
	})
	if err != nil {
		return out, fmt.Errorf("review: publish review of %s to %s: %w", r.UserName, r.TopicARN, err)
	}
	out.MessageID = aws.ToString(res.MessageId)
	log.Info("review published", "user", out.UserName, "findings", len(out.Findings), "messageId", out.MessageID)
	return out, nil
}
