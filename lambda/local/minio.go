package local

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
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
	if err := waitHTTP(ctx, p, m.Endpoint+"/minio/health/ready", 60*time.Second); err != nil {
		p.stop(3 * time.Second)
		return nil, err
	}
	m.S3 = s3Client(m.Endpoint, rootUser, rootPassword)
	m.admin, err = madmin.New(addr, rootUser, rootPassword, false)
	if err != nil {
		p.stop(3 * time.Second)
		return nil, fmt.Errorf("minio: admin client: %w", err)
	}
	return m, nil
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
// with MinIO's reason; the rest are installed as they are.
func (m *minioServer) addUser(ctx context.Context, user, secret, group string, policy *Policy) error {
	if err := m.admin.AddUser(ctx, user, secret); err != nil {
		return fmt.Errorf("minio: add user %s: %w", user, err)
	}
	name := user + "-policy"
	if err := m.acceptable(ctx, name, policy); err != nil {
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
func (m *minioServer) acceptable(ctx context.Context, name string, policy *Policy) error {
	probe := name + "-probe"
	var kept []Statement
	for _, s := range policy.Statements {
		doc, err := Policy{Statements: []Statement{s}}.Document()
		if err != nil {
			return fmt.Errorf("minio: statement %s: %w", s.Sid(), err)
		}
		if err := m.admin.AddCannedPolicy(ctx, probe, doc); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			policy.Dropped = append(policy.Dropped, Dropped{Sid: s.Sid(), Reason: "MinIO refuses it: " + firstLine(err.Error())})
			continue
		}
		kept = append(kept, s)
	}
	if err := m.admin.RemoveCannedPolicy(ctx, probe); err != nil && len(kept) > 0 {
		return fmt.Errorf("minio: remove scratch policy: %w", err)
	}
	if len(kept) == 0 {
		return errors.New("minio: none of the policy's statements can be installed")
	}
	policy.Statements = kept
	return nil
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
