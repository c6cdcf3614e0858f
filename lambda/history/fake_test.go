package history

import (
	"bytes"
	"context"
	"errors"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// fakeS3 is an in-memory bucket: conditional puts, paged delimiter
// listings, gets. It records the prefixes listed and the puts made.
type fakeS3 struct {
	mu      sync.Mutex
	objects map[string][]byte
	// pageSize is the most entries per list page (2 when zero, to page).
	pageSize int
	// putErr, when set, answers every put.
	putErr error
	listed []string
	puts   []*s3.PutObjectInput
	// deadline says whether each put had a deadline.
	deadlines []bool
}

var (
	_ Putter       = (*fakeS3)(nil)
	_ ObjectLister = (*fakeS3)(nil)
	_ ObjectGetter = (*fakeS3)(nil)
)

func newFakeS3() *fakeS3 { return &fakeS3{objects: map[string][]byte{}} }

func (f *fakeS3) PutObject(ctx context.Context, in *s3.PutObjectInput, _ ...func(*s3.Options)) (*s3.PutObjectOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.puts = append(f.puts, in)
	_, ok := ctx.Deadline()
	f.deadlines = append(f.deadlines, ok)
	if f.putErr != nil {
		return nil, f.putErr
	}
	key := aws.ToString(in.Key)
	if _, exists := f.objects[key]; exists && aws.ToString(in.IfNoneMatch) == "*" {
		return nil, &smithy.GenericAPIError{Code: "PreconditionFailed", Message: "At least one of the pre-conditions you specified did not hold"}
	}
	body, err := io.ReadAll(in.Body)
	if err != nil {
		return nil, err
	}
	f.objects[key] = body
	return &s3.PutObjectOutput{}, nil
}

func (f *fakeS3) ListObjectsV2(_ context.Context, in *s3.ListObjectsV2Input, _ ...func(*s3.Options)) (*s3.ListObjectsV2Output, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	prefix := aws.ToString(in.Prefix)
	if in.ContinuationToken == nil {
		f.listed = append(f.listed, prefix)
	}
	if aws.ToString(in.Delimiter) != "/" {
		return nil, errors.New("fake: want delimiter /")
	}
	// Entries in S3's order: objects and common prefixes by name.
	seen := map[string]bool{}
	var entries []string
	for k := range f.objects {
		rest, ok := strings.CutPrefix(k, prefix)
		if !ok {
			continue
		}
		if i := strings.Index(rest, "/"); i >= 0 {
			p := prefix + rest[:i+1]
			if !seen[p] {
				seen[p] = true
				entries = append(entries, p)
			}
			continue
		}
		entries = append(entries, k)
	}
	sort.Strings(entries)
	start := 0
	if in.ContinuationToken != nil {
		start = sort.SearchStrings(entries, *in.ContinuationToken)
	}
	size := f.pageSize
	if size == 0 {
		size = 2
	}
	out := &s3.ListObjectsV2Output{IsTruncated: aws.Bool(false)}
	for i := start; i < len(entries); i++ {
		if i-start == size {
			out.IsTruncated = aws.Bool(true)
			out.NextContinuationToken = aws.String(entries[i])
			break
		}
		if strings.HasSuffix(entries[i], "/") {
			out.CommonPrefixes = append(out.CommonPrefixes, types.CommonPrefix{Prefix: aws.String(entries[i])})
		} else {
			out.Contents = append(out.Contents, types.Object{Key: aws.String(entries[i])})
		}
	}
	return out, nil
}

func (f *fakeS3) GetObject(_ context.Context, in *s3.GetObjectInput, _ ...func(*s3.Options)) (*s3.GetObjectOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, ok := f.objects[aws.ToString(in.Key)]
	if !ok {
		return nil, &smithy.GenericAPIError{Code: "NoSuchKey", Message: "no such key"}
	}
	return &s3.GetObjectOutput{Body: io.NopCloser(bytes.NewReader(b))}, nil
}

func (f *fakeS3) keys() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var ks []string
	for k := range f.objects {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func (f *fakeS3) listedPrefixes() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := append([]string(nil), f.listed...)
	sort.Strings(out)
	return out
}

// at is a UTC time of the tests.
func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}
