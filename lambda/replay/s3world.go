package replay

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// S3World is a stand-in for IAM's ListUsers and S3's object reads, for
// make replay WORLD=<file>: the notifier's enrichment asks it instead of
// AWS. The WORLD file is
//
//	{"iamUsers": [{"UserName", "UserId", "Path"}],
//	 "objects": {"<bucket>/<key>": {
//	     "versions": [{"VersionId", "IsLatest", "Size", "DeleteMarker"}],
//	     "ContentType": "...",
//	     "Body": "<base64 of the object's first bytes>"}}}
//
// Versions are listed newest first, as S3 lists them. A key missing from
// "objects" answers 404 to HeadObject and GetObject, and has no versions. A
// principal missing from "iamUsers" is unknown to IAM.
type S3World struct {
	IAMUsers []S3WorldUser            `json:"iamUsers"`
	Objects  map[string]S3WorldObject `json:"objects"`
}

// S3WorldUser is an IAM user of the world.
type S3WorldUser struct {
	UserName string `json:"UserName"`
	UserID   string `json:"UserId"`
	Path     string `json:"Path"`
}

// S3WorldObject is an object of the world, with its versions.
type S3WorldObject struct {
	Versions    []S3WorldVersion `json:"versions"`
	ContentType string           `json:"ContentType"`
	Body        []byte           `json:"Body"` // base64 in JSON, as encoding/json reads []byte
}

// S3WorldVersion is one version or delete marker.
type S3WorldVersion struct {
	VersionID    string `json:"VersionId"`
	IsLatest     bool   `json:"IsLatest"`
	Size         *int64 `json:"Size"`
	DeleteMarker bool   `json:"DeleteMarker"`
}

// worldEpoch dates the newest version of every object in a world.
var worldEpoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// LoadS3World reads a WORLD file for make replay.
func LoadS3World(data []byte) (*S3World, error) {
	var w S3World
	if err := json.Unmarshal(data, &w); err != nil {
		return nil, fmt.Errorf("replay: world file: %w", err)
	}
	return &w, nil
}

// ListUsers answers with every user under the path prefix, in one page.
func (w *S3World) ListUsers(_ context.Context, in *iam.ListUsersInput, _ ...func(*iam.Options)) (*iam.ListUsersOutput, error) {
	out := &iam.ListUsersOutput{}
	for _, u := range w.IAMUsers {
		path := u.Path
		if path == "" {
			path = "/"
		}
		if !strings.HasPrefix(path, aws.ToString(in.PathPrefix)) {
			continue
		}
		out.Users = append(out.Users, iamtypes.User{
			UserName: aws.String(u.UserName), UserId: aws.String(u.UserID), Path: aws.String(path),
			Arn: aws.String("arn:aws:iam::" + exampleAccount + ":user" + path + u.UserName),
		})
	}
	return out, nil
}

// ListObjectVersions lists the versions of every key under the prefix,
// sorted by key, each key's newest first.
func (w *S3World) ListObjectVersions(_ context.Context, in *s3.ListObjectVersionsInput, _ ...func(*s3.Options)) (*s3.ListObjectVersionsOutput, error) {
	bucket := aws.ToString(in.Bucket) + "/"
	want := bucket + aws.ToString(in.Prefix)
	var keys []string
	for k := range w.Objects {
		if strings.HasPrefix(k, want) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	out := &s3.ListObjectVersionsOutput{Name: in.Bucket, Prefix: in.Prefix}
	for _, k := range keys {
		key := strings.TrimPrefix(k, bucket)
		for i, v := range w.Objects[k].Versions {
			// The file lists newest first; S3 says so with LastModified,
			// which is how versions and delete markers interleave.
			at := aws.Time(worldEpoch.Add(-time.Duration(i) * time.Second))
			if v.DeleteMarker {
				out.DeleteMarkers = append(out.DeleteMarkers, s3types.DeleteMarkerEntry{
					Key: aws.String(key), VersionId: aws.String(v.VersionID), IsLatest: aws.Bool(v.IsLatest), LastModified: at})
				continue
			}
			out.Versions = append(out.Versions, s3types.ObjectVersion{
				Key: aws.String(key), VersionId: aws.String(v.VersionID), IsLatest: aws.Bool(v.IsLatest), Size: v.Size, LastModified: at})
		}
	}
	return out, nil
}

// HeadObject answers with the object's type and the version's size, or 404.
func (w *S3World) HeadObject(_ context.Context, in *s3.HeadObjectInput, _ ...func(*s3.Options)) (*s3.HeadObjectOutput, error) {
	o, size, err := w.find(in.Bucket, in.Key, in.VersionId)
	if err != nil {
		return nil, err
	}
	return &s3.HeadObjectOutput{ContentType: aws.String(o.ContentType), ContentLength: aws.Int64(size), VersionId: in.VersionId}, nil
}

// GetObject answers with the requested range of the object's first bytes.
func (w *S3World) GetObject(_ context.Context, in *s3.GetObjectInput, _ ...func(*s3.Options)) (*s3.GetObjectOutput, error) {
	o, size, err := w.find(in.Bucket, in.Key, in.VersionId)
	if err != nil {
		return nil, err
	}
	body := o.Body
	if r := aws.ToString(in.Range); strings.HasPrefix(r, "bytes=0-") {
		if end, err := strconv.Atoi(strings.TrimPrefix(r, "bytes=0-")); err == nil && end+1 < len(body) {
			body = body[:end+1]
		}
	}
	return &s3.GetObjectOutput{
		Body:          io.NopCloser(bytes.NewReader(body)),
		ContentType:   aws.String(o.ContentType),
		ContentLength: aws.Int64(int64(len(body))),
		ContentRange:  aws.String(fmt.Sprintf("bytes 0-%d/%d", max(len(body)-1, 0), size)),
		VersionId:     in.VersionId,
	}, nil
}

// find returns the object and the size of the asked version. Like S3 it
// answers 404 when the key is unknown, the version is not listed, or the
// latest version is a delete marker and no version was asked for.
func (w *S3World) find(bucket, key, versionID *string) (S3WorldObject, int64, error) {
	name := aws.ToString(bucket) + "/" + aws.ToString(key)
	o, ok := w.Objects[name]
	if !ok {
		return o, 0, notFound(name)
	}
	size := int64(len(o.Body))
	if len(o.Versions) == 0 {
		return o, size, nil
	}
	v := o.Versions[0]
	for _, cand := range o.Versions {
		if cand.IsLatest {
			v = cand
			break
		}
	}
	if id := aws.ToString(versionID); id != "" {
		found := false
		for _, cand := range o.Versions {
			if cand.VersionID == id {
				v, found = cand, true
				break
			}
		}
		if !found {
			return o, 0, notFound(name + "?versionId=" + id)
		}
	}
	if v.DeleteMarker {
		return o, 0, notFound(name)
	}
	if v.Size != nil {
		size = *v.Size
	}
	return o, size, nil
}

// notFound is the error the S3 client returns for a 404: an HTTP response
// error carrying the status, around the modelled NotFound.
func notFound(what string) error {
	return &awshttp.ResponseError{
		ResponseError: &smithyhttp.ResponseError{
			Response: &smithyhttp.Response{Response: &http.Response{StatusCode: http.StatusNotFound}},
			Err:      &s3types.NotFound{Message: aws.String("world: no object " + what)},
		},
	}
}
