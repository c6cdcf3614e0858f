package history

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/bucketbell/bucketbell/lambda/digest"
)

// Putter writes an object; *s3.Client and Dir satisfy it.
type Putter interface {
	PutObject(ctx context.Context, in *s3.PutObjectInput, optFns ...func(*s3.Options)) (*s3.PutObjectOutput, error)
}

// DefaultTimeout bounds one call to S3, the SDK's retries included.
const DefaultTimeout = 10 * time.Second

// Writer writes records to the history bucket. Build it once per container.
type Writer struct {
	// Bucket is the history bucket.
	Bucket string
	// Region is the bucket's region, for the console links.
	Region string
	Client Putter
	// Timeout bounds each PutObject; DefaultTimeout when zero.
	Timeout time.Duration
}

// Write keeps b's record, one object per event date, and names the objects
// for the digest. Each write is conditional (If-None-Match: *): an object
// that is already there was written by an earlier delivery of the same
// batch, which counts as success, and a retry never adds a version. Any
// other error fails the write; objects written before it stay, and the
// retry finds them.
func (w *Writer) Write(ctx context.Context, b Batch) ([]digest.Record, error) {
	objects, err := Encode(b)
	if err != nil {
		return nil, err
	}
	records := make([]digest.Record, 0, len(objects))
	for _, o := range objects {
		if err := w.put(ctx, o); err != nil {
			return nil, err
		}
		records = append(records, digest.Record{URI: URI(w.Bucket, o.Key), ConsoleURL: ConsoleURL(w.Bucket, w.Region, o.Key)})
	}
	return records, nil
}

func (w *Writer) put(ctx context.Context, o Object) error {
	timeout := w.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	_, err := w.Client.PutObject(ctx, &s3.PutObjectInput{
		Bucket:      aws.String(w.Bucket),
		Key:         aws.String(o.Key),
		Body:        bytes.NewReader(o.Body),
		ContentType: aws.String("application/gzip"),
		IfNoneMatch: aws.String("*"),
	})
	if err != nil && !AlreadyThere(err) {
		return fmt.Errorf("history: put %s: %w", URI(w.Bucket, o.Key), err)
	}
	return nil
}

// AlreadyThere reports whether err is S3's answer to a conditional write
// whose object exists: 412 Precondition Failed.
func AlreadyThere(err error) bool {
	var api smithy.APIError
	if errors.As(err, &api) && api.ErrorCode() == "PreconditionFailed" {
		return true
	}
	var re *awshttp.ResponseError
	return errors.As(err, &re) && re.HTTPStatusCode() == 412
}

// URI is an object's s3:// address.
func URI(bucket, key string) string {
	return "s3://" + bucket + "/" + key
}

// ConsoleURL opens an object in the S3 console.
func ConsoleURL(bucket, region, key string) string {
	u := "https://s3.console.aws.amazon.com/s3/object/" + url.PathEscape(bucket) + "?"
	if region != "" {
		u += "region=" + url.QueryEscape(region) + "&"
	}
	return u + "prefix=" + url.QueryEscape(key)
}
