package local

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"github.com/minio/madmin-go/v3"
)

// Local credentials. They open stand-ins on 127.0.0.1 only and are
// deliberately unlike real AWS keys, so nobody mistakes them for one.
const (
	rootUser     = "bucketbell-admin"
	rootPassword = "local-admin-secret-not-for-aws"
	// AgencySecret is mediacouser's secret key in MinIO.
	AgencySecret = "local-demo-secret-not-for-aws"
	// notifierUser stands for the notifier's IAM role: MinIO has no roles.
	notifierUser   = "bucketbell-notifier"
	notifierSecret = "local-notifier-secret-not-for-aws"
	// webhookTarget is MinIO's name for the webhook that feeds the queue;
	// the bucket's notification configuration names it in an ARN.
	webhookTarget = "BUCKETBELL"
	// Region is the region every stand-in claims to be in.
	Region = "us-east-1"
)

// minioServer is MinIO serving S3 on 127.0.0.1, with an administrator's
// S3 and admin clients.
type minioServer struct {
	proc     *process
	Endpoint string // http://127.0.0.1:PORT
	S3       *s3.Client
	admin    *madmin.AdminClient
}

// startMinIO starts MinIO with its data in dir/minio-data and a webhook
// target that posts every event to webhook.
func startMinIO(ctx context.Context, dir, bin, webhook string) (*minioServer, error) {
	return retryPorts(func() (*minioServer, error) { return startMinIOOnce(ctx, dir, bin, webhook) })
}

func startMinIOOnce(ctx context.Context, dir, bin, webhook string) (*minioServer, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	console, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	p, err := start(dir, "minio", bin,
		[]string{"server", dir + "/minio-data", "--address", addr, "--console-address", "127.0.0.1:" + strconv.Itoa(console), "--quiet"},
		[]string{
			"MINIO_ROOT_USER=" + rootUser,
			"MINIO_ROOT_PASSWORD=" + rootPassword,
			"MINIO_UPDATE=off",
			"MINIO_BROWSER=off",
			"MINIO_SITE_REGION=" + Region,
			"MINIO_NOTIFY_WEBHOOK_ENABLE_" + webhookTarget + "=on",
			"MINIO_NOTIFY_WEBHOOK_ENDPOINT_" + webhookTarget + "=" + webhook,
		})
	if err != nil {
		return nil, err
	}
	m := &minioServer{proc: p, Endpoint: "http://" + addr}
	if err := waitHTTP(ctx, p, m.Endpoint+"/minio/health/ready", readyTimeout); err != nil {
		p.stop(3 * time.Second)
		return nil, err
	}
	m.S3 = s3Client(m.Endpoint, rootUser, rootPassword)
	if err := m.waitInitialized(ctx, readyTimeout); err != nil {
		p.stop(3 * time.Second)
		return nil, err
	}
	m.admin, err = madmin.New(addr, rootUser, rootPassword, false)
	if err != nil {
		p.stop(3 * time.Second)
		return nil, fmt.Errorf("minio: admin client: %w", err)
	}
	return m, nil
}

// waitInitialized waits until MinIO answers S3 calls. /minio/health/ready
// can answer while MinIO still sets up its data directory, when S3 calls
// get 503 XMinioServerNotInitialized: seen on a cold first run, where it
// failed the first CreateBucket.
func (m *minioServer) waitInitialized(ctx context.Context, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		_, err := m.S3.ListBuckets(ctx, &s3.ListBucketsInput{})
		var status interface{ HTTPStatusCode() int }
		switch {
		case err == nil:
			return nil
		case ctx.Err() != nil:
			// The time ran out during a call, which the SDK may have been
			// retrying on its own.
			return fmt.Errorf("minio: not initialized within %v: %w", timeout, err)
		case !errors.As(err, &status) || status.HTTPStatusCode() != http.StatusServiceUnavailable:
			return fmt.Errorf("minio: first S3 call: %w", err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("minio: not initialized within %v: %w", timeout, err)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// s3Client returns an S3 client for MinIO at endpoint. MinIO needs
// path-style addressing: bucket names are not host names on 127.0.0.1.
func s3Client(endpoint, key, secret string) *s3.Client {
	return s3.New(s3.Options{
		Region:       Region,
		BaseEndpoint: aws.String(endpoint),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(key, secret, ""),
	})
}

// createBucket creates a bucket, versioned if asked.
func (m *minioServer) createBucket(ctx context.Context, name string, versioned bool) error {
	if _, err := m.S3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		return fmt.Errorf("minio: create bucket %s: %w", name, err)
	}
	if versioned {
		_, err := m.S3.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{
			Bucket:                  aws.String(name),
			VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled},
		})
		if err != nil {
			return fmt.Errorf("minio: enable versioning on %s: %w", name, err)
		}
	}
	return nil
}

// put stores an object as the administrator.
func (m *minioServer) put(ctx context.Context, bucket, key string, body []byte) error {
	_, err := m.S3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body)})
	if err != nil {
		return fmt.Errorf("minio: put %s/%s: %w", bucket, key, err)
	}
	return nil
}

// notify sends the bucket's events to the webhook target, as the stack's
// notification configuration sends them to the queue.
func (m *minioServer) notify(ctx context.Context, bucket string, events []string) error {
	var evs []s3types.Event
	for _, e := range events {
		evs = append(evs, s3types.Event(e))
	}
	_, err := m.S3.PutBucketNotificationConfiguration(ctx, &s3.PutBucketNotificationConfigurationInput{
		Bucket: aws.String(bucket),
		NotificationConfiguration: &s3types.NotificationConfiguration{
			QueueConfigurations: []s3types.QueueConfiguration{{
				QueueArn: aws.String("arn:minio:sqs::" + webhookTarget + ":webhook"),
				Events:   evs,
			}},
		},
	})
	if err != nil {
		return fmt.Errorf("minio: notification configuration of %s: %w", bucket, err)
	}
	return nil
}

// addUser creates a user whose rights are policy, given, as in the stack,
// through group when group is not empty. Statements MinIO refuses (it
// knows no ACL actions, for one) are moved to the policy's Dropped list
// with MinIO's reason, or with relax, when MinIO refuses only an Allow's
// Condition, installed without it (see fit); the rest are installed as
// they are.
func (m *minioServer) addUser(ctx context.Context, user, secret, group string, policy *Policy, relax bool) error {
	if err := m.admin.AddUser(ctx, user, secret); err != nil {
		return fmt.Errorf("minio: add user %s: %w", user, err)
	}
	name := user + "-policy"
	if err := m.acceptable(ctx, name, policy, relax); err != nil {
		return err
	}
	doc, err := policy.Document()
	if err != nil {
		return fmt.Errorf("minio: policy for %s: %w", user, err)
	}
	if err := m.admin.AddCannedPolicy(ctx, name, doc); err != nil {
		return fmt.Errorf("minio: add policy %s: %w; policy: %s", name, err, doc)
	}
	req := madmin.PolicyAssociationReq{Policies: []string{name}, User: user}
	if group != "" {
		err := m.admin.UpdateGroupMembers(ctx, madmin.GroupAddRemove{Group: group, Members: []string{user}})
		if err != nil {
			return fmt.Errorf("minio: add %s to group %s: %w", user, group, err)
		}
		req = madmin.PolicyAssociationReq{Policies: []string{name}, Group: group}
	}
	if _, err := m.admin.AttachPolicy(ctx, req); err != nil {
		return fmt.Errorf("minio: attach policy %s: %w", name, err)
	}
	return nil
}

// acceptable tries each statement alone under a scratch name and drops the
// ones MinIO refuses, so that one statement MinIO cannot represent does
// not cost the whole policy. MinIO is the judge, not a list kept here.
func (m *minioServer) acceptable(ctx context.Context, name string, policy *Policy, relax bool) error {
	probe := name + "-probe"
	err := fit(ctx, policy, relax, func(ctx context.Context, doc []byte) error {
		return m.admin.AddCannedPolicy(ctx, probe, doc)
	})
	if err != nil {
		return fmt.Errorf("minio: policy %s: %w", name, err)
	}
	if err := m.admin.RemoveCannedPolicy(ctx, probe); err != nil {
		return fmt.Errorf("minio: remove scratch policy: %w", err)
	}
	return nil
}

// bucketPolicy installs policy as the bucket's policy, without the
// statements MinIO refuses, which it moves to Dropped; when none is left,
// the bucket has no policy. MinIO applies a bucket policy to anonymous
// requests only: its users answer to their own policies alone.
func (m *minioServer) bucketPolicy(ctx context.Context, bucket string, policy *Policy) error {
	if len(policy.Statements) == 0 {
		return nil
	}
	err := fit(ctx, policy, false, func(ctx context.Context, doc []byte) error {
		_, err := m.S3.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(bucket), Policy: aws.String(string(doc))})
		return err
	})
	if errors.Is(err, errNothingFits) {
		_, err := m.S3.DeleteBucketPolicy(ctx, &s3.DeleteBucketPolicyInput{Bucket: aws.String(bucket)})
		if err != nil {
			return fmt.Errorf("minio: delete the policy of %s: %w", bucket, err)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("minio: policy of %s: %w", bucket, err)
	}
	doc, err := policy.Document()
	if err != nil {
		return fmt.Errorf("minio: policy of %s: %w", bucket, err)
	}
	if _, err := m.S3.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(bucket), Policy: aws.String(string(doc))}); err != nil {
		return fmt.Errorf("minio: policy of %s: %w; policy: %s", bucket, err, doc)
	}
	return nil
}

// errNothingFits is fit's answer when MinIO refuses every statement.
var errNothingFits = errors.New("MinIO refuses every statement")

// fit keeps the statements of policy that try accepts, each tried alone,
// and moves the others to policy.Dropped with try's reason.
//
// With relax, an Allow whose Condition is refused is tried again without
// it and, when accepted, kept so and listed in policy.Relaxed with the
// reason. That grants more than the stack does, and only where the harness
// cannot do without the right: the notifier must write its records, and
// MinIO knows no s3:if-none-match key. A Deny is never relaxed: without
// its condition it would deny more than the stack does.
func fit(ctx context.Context, policy *Policy, relax bool, try func(ctx context.Context, doc []byte) error) error {
	var kept []Statement
	for _, s := range policy.Statements {
		reason, err := tryOne(ctx, s, try)
		if err != nil {
			return err
		}
		if reason == "" {
			kept = append(kept, s)
			continue
		}
		if _, conditioned := s["Condition"]; relax && conditioned && s["Effect"] == "Allow" {
			loose := Statement{}
			for k, v := range s {
				if k != "Condition" {
					loose[k] = v
				}
			}
			again, err := tryOne(ctx, loose, try)
			if err != nil {
				return err
			}
			if again == "" {
				b, _ := json.Marshal(s["Condition"])
				policy.Relaxed = append(policy.Relaxed, Dropped{Sid: s.Sid(), Reason: "installed without its Condition " + string(b) + ": " + reason})
				kept = append(kept, loose)
				continue
			}
		}
		policy.Dropped = append(policy.Dropped, Dropped{Sid: s.Sid(), Reason: reason})
	}
	policy.Statements = kept
	if len(kept) == 0 {
		return errNothingFits
	}
	return nil
}

// tryOne returns "" when try accepts the statement alone, else MinIO's
// reason. An error is a context that ended, not a refusal.
func tryOne(ctx context.Context, s Statement, try func(ctx context.Context, doc []byte) error) (string, error) {
	doc, err := Policy{Statements: []Statement{s}}.Document()
	if err != nil {
		return "", fmt.Errorf("statement %s: %w", s.Sid(), err)
	}
	if err := try(ctx, doc); err != nil {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		var api smithy.APIError
		if errors.As(err, &api) {
			return "MinIO refuses it: " + api.ErrorCode() + ": " + firstLine(api.ErrorMessage()), nil
		}
		return "MinIO refuses it: " + firstLine(err.Error()), nil
	}
	return "", nil
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
