package history

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/bucketbell/bucketbell/lambda/change"
)

func putInput(key string, body []byte) *s3.PutObjectInput {
	return &s3.PutObjectInput{Key: aws.String(key), Body: bytes.NewReader(body), IfNoneMatch: aws.String("*")}
}

func twoDates() Batch {
	return Batch{DigestID: "feed", Changes: []change.Change{
		upload("a b+c.jpg", at("2026-12-01T23:59:00Z"), "m1"),
		upload("d.jpg", at("2026-12-02T00:01:00Z"), "m2"),
	}}
}

func TestWriterPutsEachDateConditionally(t *testing.T) {
	s3c := newFakeS3()
	w := &Writer{Bucket: "hist", Region: "eu-west-1", Client: s3c}
	records, err := w.Write(context.Background(), twoDates())
	if err != nil {
		t.Fatal(err)
	}
	keys := s3c.keys()
	if len(keys) != 2 || len(records) != 2 {
		t.Fatalf("keys %v, records %v", keys, records)
	}
	for i, p := range s3c.puts {
		if aws.ToString(p.IfNoneMatch) != "*" || aws.ToString(p.Bucket) != "hist" || !s3c.deadlines[i] {
			t.Errorf("put %d: If-None-Match %q, bucket %q, deadline %v", i, aws.ToString(p.IfNoneMatch), aws.ToString(p.Bucket), s3c.deadlines[i])
		}
	}
	want0 := "changes/year=2026/month=12/day=01/20261201T235900.000Z-feed.jsonl.gz"
	if keys[0] != want0 {
		t.Errorf("key %s, want %s", keys[0], want0)
	}
	if records[0].URI != "s3://hist/"+want0 {
		t.Errorf("URI %s", records[0].URI)
	}
	wantURL := "https://s3.console.aws.amazon.com/s3/object/hist?region=eu-west-1&prefix=changes%2Fyear%3D2026%2Fmonth%3D12%2Fday%3D01%2F20261201T235900.000Z-feed.jsonl.gz"
	if records[0].ConsoleURL != wantURL {
		t.Errorf("console URL\n %s\nwant\n %s", records[0].ConsoleURL, wantURL)
	}

	// The same batch again (a retry): the same keys, found there, success,
	// and nothing new.
	again, err := w.Write(context.Background(), twoDates())
	if err != nil {
		t.Fatalf("retry: %v", err)
	}
	if len(again) != 2 || again[0] != records[0] || len(s3c.keys()) != 2 {
		t.Errorf("retry wrote %v, records %v", s3c.keys(), again)
	}
}

func TestWriterErrors(t *testing.T) {
	status := func(code int) error {
		return &awshttp.ResponseError{ResponseError: &smithyhttp.ResponseError{
			Response: &smithyhttp.Response{Response: &http.Response{StatusCode: code}}, Err: errors.New("api error")}}
	}
	cases := []struct {
		name string
		err  error
		ok   bool
	}{
		{name: "412 by code", err: &smithy.GenericAPIError{Code: "PreconditionFailed"}, ok: true},
		{name: "412 by status", err: status(412), ok: true},
		{name: "access denied", err: &smithy.GenericAPIError{Code: "AccessDenied"}},
		{name: "409 conflicting conditional write", err: &smithy.GenericAPIError{Code: "ConditionalRequestConflict"}},
		{name: "500", err: status(500)},
		{name: "timeout", err: context.DeadlineExceeded},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s3c := newFakeS3()
			s3c.putErr = tc.err
			w := &Writer{Bucket: "hist", Client: s3c, Timeout: time.Second}
			records, err := w.Write(context.Background(), twoDates())
			if tc.ok {
				if err != nil || len(records) != 2 {
					t.Fatalf("records %v, error %v; want success", records, err)
				}
				return
			}
			if err == nil || records != nil {
				t.Fatalf("records %v, error %v; want a failure", records, err)
			}
			if !errors.Is(err, tc.err) || !strings.HasPrefix(err.Error(), "history: put s3://hist/changes/year=2026/") {
				t.Errorf("error %q does not say where or wrap the cause", err)
			}
			if len(s3c.puts) != 1 {
				t.Errorf("%d puts after the first failed, want 1", len(s3c.puts))
			}
		})
	}
}

func TestConsoleURLWithoutRegion(t *testing.T) {
	if got := ConsoleURL("b", "", "changes/x y"); got != "https://s3.console.aws.amazon.com/s3/object/b?prefix=changes%2Fx+y" {
		t.Errorf("got %s", got)
	}
}

func TestDirPutObject(t *testing.T) {
	dir := t.TempDir()
	w := &Writer{Bucket: "hist", Client: Dir(dir)}
	if _, err := w.Write(context.Background(), twoDates()); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "changes", "year=2026", "month=12", "day=01", "20261201T235900.000Z-feed.jsonl.gz")
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// A retry succeeds and leaves the file as it was.
	if _, err := w.Write(context.Background(), twoDates()); err != nil {
		t.Fatalf("retry: %v", err)
	}
	_, err = Dir(dir).PutObject(context.Background(), putInput("changes/year=2026/month=12/day=01/20261201T235900.000Z-feed.jsonl.gz", []byte("other")))
	if !AlreadyThere(err) {
		t.Errorf("conditional put over a file: %v, want PreconditionFailed", err)
	}
	after, _ := os.ReadFile(path)
	if !bytes.Equal(before, after) {
		t.Error("a conditional put changed an existing file")
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".put-") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}
	for _, bad := range []string{"../escape", "/abs", "", "a/../../b"} {
		if _, err := Dir(dir).PutObject(context.Background(), putInput(bad, nil)); err == nil || AlreadyThere(err) {
			t.Errorf("key %q: %v, want a refusal", bad, err)
		}
	}
}
