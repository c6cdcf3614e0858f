package history

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
)

// Source is where records are read from: the history bucket (S3) or a
// directory with the same layout (Dir).
type Source interface {
	// List returns what is directly under prefix ("" or ending in "/"):
	// the prefixes one level down (ending in "/") and the objects.
	List(ctx context.Context, prefix string) (dirs, objects []string, err error)
	// Get returns an object's bytes.
	Get(ctx context.Context, key string) ([]byte, error)
	// Name names an object for people: its s3:// URI or its path.
	Name(key string) string
}

// ObjectLister lists a bucket; *s3.Client satisfies it.
type ObjectLister interface {
	ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, optFns ...func(*s3.Options)) (*s3.ListObjectsV2Output, error)
}

// ObjectGetter reads an object; *s3.Client satisfies it.
type ObjectGetter interface {
	GetObject(ctx context.Context, in *s3.GetObjectInput, optFns ...func(*s3.Options)) (*s3.GetObjectOutput, error)
}

// S3 reads records from a bucket.
type S3 struct {
	Bucket string
	Lister ObjectLister
	Getter ObjectGetter
	// Timeout bounds each call (a GET includes reading the body);
	// DefaultTimeout when zero.
	Timeout time.Duration
}

func (s *S3) timeout() time.Duration {
	if s.Timeout > 0 {
		return s.Timeout
	}
	return DefaultTimeout
}

// List lists one level under prefix, every page.
func (s *S3) List(ctx context.Context, prefix string) (dirs, objects []string, err error) {
	in := &s3.ListObjectsV2Input{Bucket: aws.String(s.Bucket), Prefix: aws.String(prefix), Delimiter: aws.String("/")}
	for {
		out, err := s.list(ctx, in)
		if err != nil {
			return nil, nil, fmt.Errorf("history: list %s: %w", URI(s.Bucket, prefix), err)
		}
		for _, p := range out.CommonPrefixes {
			dirs = append(dirs, aws.ToString(p.Prefix))
		}
		for _, o := range out.Contents {
			objects = append(objects, aws.ToString(o.Key))
		}
		if !aws.ToBool(out.IsTruncated) || aws.ToString(out.NextContinuationToken) == "" {
			return dirs, objects, nil
		}
		in.ContinuationToken = out.NextContinuationToken
	}
}

func (s *S3) list(ctx context.Context, in *s3.ListObjectsV2Input) (*s3.ListObjectsV2Output, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout())
	defer cancel()
	return s.Lister.ListObjectsV2(ctx, in)
}

// Get reads an object whole.
func (s *S3) Get(ctx context.Context, key string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout())
	defer cancel()
	out, err := s.Getter.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.Bucket), Key: aws.String(key)})
	if err != nil {
		return nil, fmt.Errorf("history: get %s: %w", URI(s.Bucket, key), err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		return nil, fmt.Errorf("history: read %s: %w", URI(s.Bucket, key), err)
	}
	return b, nil
}

// Name is the object's s3:// URI.
func (s *S3) Name(key string) string { return URI(s.Bucket, key) }

// Dir is a directory that holds records in the history bucket's layout,
// <dir>/changes/year=.../<object>: make replay ARCHIVE=<dir> writes it as
// the notifier writes the bucket, and make history SOURCE=<dir> reads it.
type Dir string

// PutObject writes the object at <dir>/<key>. With If-None-Match: * it
// refuses, as S3 does with 412 Precondition Failed, when the file exists.
// The file appears whole or not at all.
func (d Dir) PutObject(_ context.Context, in *s3.PutObjectInput, _ ...func(*s3.Options)) (*s3.PutObjectOutput, error) {
	key := aws.ToString(in.Key)
	path, err := d.path(key)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".put-*")
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp.Name())
	if in.Body != nil {
		if _, err := io.Copy(tmp, in.Body); err != nil {
			tmp.Close()
			return nil, err
		}
	}
	if err := tmp.Close(); err != nil {
		return nil, err
	}
	if aws.ToString(in.IfNoneMatch) != "*" {
		return &s3.PutObjectOutput{}, os.Rename(tmp.Name(), path)
	}
	// A hard link is created only if the name is free, and with the whole
	// content: the If-None-Match of a file system.
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil, &smithy.GenericAPIError{Code: "PreconditionFailed", Message: path + " already exists"}
		}
		return nil, err
	}
	return &s3.PutObjectOutput{}, nil
}

// path maps a key to a file, refusing keys that would leave the directory.
func (d Dir) path(key string) (string, error) {
	p := filepath.FromSlash(key)
	if key == "" || !filepath.IsLocal(p) {
		return "", fmt.Errorf("history: key %q is not a path inside %s", key, string(d))
	}
	return filepath.Join(string(d), p), nil
}

// List lists one level of the directory under prefix.
func (d Dir) List(_ context.Context, prefix string) (dirs, objects []string, err error) {
	entries, err := os.ReadDir(filepath.Join(string(d), filepath.FromSlash(prefix)))
	if err != nil {
		return nil, nil, fmt.Errorf("history: list %s: %w", d.Name(prefix), err)
	}
	for _, e := range entries {
		if e.IsDir() {
			dirs = append(dirs, prefix+e.Name()+"/")
		} else {
			objects = append(objects, prefix+e.Name())
		}
	}
	return dirs, objects, nil
}

// Get reads a file.
func (d Dir) Get(_ context.Context, key string) ([]byte, error) {
	b, err := os.ReadFile(d.Name(key))
	if err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	return b, nil
}

// Name is the file's path.
func (d Dir) Name(key string) string {
	return filepath.Join(string(d), filepath.FromSlash(strings.TrimSuffix(key, "/")))
}
