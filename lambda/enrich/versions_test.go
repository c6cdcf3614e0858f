package enrich

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/bucketbell/bucketbell/lambda/change"
)

// pagedBucket lists versions the way S3 does: sorted by key, each key's
// newest first, pages of pageSize, key and version-id markers, and "/" as a
// delimiter that hides deeper folders.
type pagedBucket struct {
	entries  []entry // sorted by key, newest first within a key
	pageSize int
	calls    atomic.Int32
}

type entry struct{ key, version string }

func newPagedBucket(pageSize int, versions map[string][]string) *pagedBucket {
	b := &pagedBucket{pageSize: pageSize}
	keys := make([]string, 0, len(versions))
	for k := range versions {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, v := range versions[k] {
			b.entries = append(b.entries, entry{k, v})
		}
	}
	return b
}

func (b *pagedBucket) ListObjectVersions(_ context.Context, in *s3.ListObjectVersionsInput, _ ...func(*s3.Options)) (*s3.ListObjectVersionsOutput, error) {
	b.calls.Add(1)
	prefix, marker, vmarker := aws.ToString(in.Prefix), aws.ToString(in.KeyMarker), aws.ToString(in.VersionIdMarker)
	out := &s3.ListObjectVersionsOutput{}
	n := 0
	afterVersion := vmarker == ""
	for _, e := range b.entries {
		if !strings.HasPrefix(e.key, prefix) {
			continue
		}
		if in.Delimiter != nil && strings.Contains(e.key[len(prefix):], "/") {
			continue
		}
		if vmarker != "" && e.key == marker {
			if !afterVersion {
				afterVersion = e.version == vmarker
				continue
			}
		} else if e.key <= marker {
			continue
		}
		if n == b.pageSize {
			out.IsTruncated = aws.Bool(true)
			last := out.Versions[len(out.Versions)-1]
			out.NextKeyMarker, out.NextVersionIdMarker = last.Key, last.VersionId
			return out, nil
		}
		out.Versions = append(out.Versions, s3types.ObjectVersion{Key: aws.String(e.key), VersionId: aws.String(e.version)})
		n++
	}
	return out, nil
}

func TestFolderListing(t *testing.T) {
	many := map[string][]string{}
	for i := 0; i < 200; i++ {
		many[fmt.Sprintf("img/%03d.png", i)] = []string{"b", "a"}
	}
	many["img/sub/deep.png"] = []string{"x"}
	many["img/050.png.bak"] = []string{"z"}
	many["img/long.png"] = []string{"v9", "v8", "v7", "v6", "v5", "v4", "v3", "v2", "v1"}

	cases := []struct {
		name     string
		keys     []string
		maxCalls int32
	}{
		{name: "one key", keys: []string{"img/050.png"}, maxCalls: 1},
		{name: "neighbours share pages", keys: []string{"img/010.png", "img/011.png", "img/012.png", "img/013.png"}, maxCalls: 3},
		{name: "scattered keys cost at most one call each", keys: []string{"img/000.png", "img/100.png", "img/199.png"}, maxCalls: 3},
		{name: "a key with more versions than a page", keys: []string{"img/long.png", "img/000.png"}, maxCalls: 4},
		{name: "new keys", keys: []string{"img/new-1.png", "img/new-2.png"}, maxCalls: 2},
		{name: "keys spread over more pages than a folder reads in a row", keys: spread(20), maxCalls: 20},
		{name: "unicode keys", keys: []string{"img/café-1.png", "img/café-2.png"}, maxCalls: 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := newPagedBucket(3, many)
			var cs []change.Change
			for _, k := range tc.keys {
				cs = append(cs, ev("ObjectCreated:Put", k, "new", user, 1))
			}
			(&Enricher{Versions: b, Log: quiet()}).Enrich(context.Background(), cs)
			if got := b.calls.Load(); got > tc.maxCalls {
				t.Errorf("%d ListObjectVersions calls for %d keys, want at most %d", got, len(tc.keys), tc.maxCalls)
			}
			// The event's version "new" is not listed, so the newest listed
			// version stands for the event's own and the one after it is
			// the replaced version.
			for _, c := range cs {
				want := many[c.Key]
				if len(want) >= 2 {
					if c.Kind != change.Replaced || c.PreviousVersionID != want[1] {
						t.Errorf("%s: kind %q previous %q, want replaced %q", c.Key, c.Kind, c.PreviousVersionID, want[1])
					}
				} else if c.Kind != change.Uploaded {
					t.Errorf("%s: kind %q, want uploaded", c.Key, c.Kind)
				}
			}
		})
	}
}

// spread returns n keys of the test folder, far apart.
func spread(n int) []string {
	var keys []string
	for i := 0; i < n; i++ {
		keys = append(keys, fmt.Sprintf("img/%03d.png", i*10))
	}
	return keys
}
