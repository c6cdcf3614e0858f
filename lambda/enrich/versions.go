package enrich

import (
	"context"
	"sort"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/bucketbell/bucketbell/lambda/change"
)

// S3 charges a LIST request 12.5 times a GET, so version lists are read per
// folder, not per key: a bulk upload of 2,000 images into one folder costs a
// few LIST pages instead of 2,000. Each page starts at the next changed key
// still missing (key marker), so every page completes at least one key and
// a folder never costs more LIST calls than it has changed keys. Only a key
// with more than a page (1,000) of versions can need one call more.

// maxFolderPages bounds the LIST pages read one after another for a
// folder, so that keys spread over a large folder cannot make a batch wait
// on hundreds of calls in a row.
const maxFolderPages = 10

// folder is the set of keys of one bucket folder whose versions a batch
// needs, and what was found for them.
type folder struct {
	bucket, prefix string
	keys           []string // sorted, distinct
	done           chan struct{}
	found          map[string][]version
	errs           map[string]error
}

// folderOf names c's folder: its bucket and its key up to the last "/".
func folderOf(c *change.Change) [2]string {
	return [2]string{c.Bucket, c.Key[:strings.LastIndexByte(c.Key, '/')+1]}
}

// needsVersions reports whether c's report depends on the key's versions.
func needsVersions(c *change.Change) bool {
	switch c.Kind {
	case change.Uploaded, change.Copied, change.DeletedRecoverable, change.ExpiredRecoverable:
		return true
	}
	return false
}

// folders groups the keys of changes that need versions by bucket folder.
func folders(changes []change.Change) map[[2]string]*folder {
	out := map[[2]string]*folder{}
	for i := range changes {
		c := &changes[i]
		if !needsVersions(c) {
			continue
		}
		id := folderOf(c)
		f := out[id]
		if f == nil {
			f = &folder{bucket: c.Bucket, prefix: id[1], done: make(chan struct{})}
			out[id] = f
		}
		f.keys = append(f.keys, c.Key)
	}
	for _, f := range out {
		sort.Strings(f.keys)
		f.keys = compact(f.keys)
	}
	return out
}

func compact(s []string) []string {
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

// fetch lists the folder's versions, then the keys still missing one by
// one, and closes f.done.
func (r *run) fetch(ctx context.Context, f *folder) {
	defer close(f.done)
	f.found = make(map[string][]version, len(f.keys))
	f.errs = map[string]error{}
	pending := map[string]bool{}
	for _, k := range f.keys {
		pending[k] = true
	}
	partial := map[string]*s3.ListObjectVersionsOutput{}
	budget := len(f.keys)
	var keyMarker, versionMarker *string
	// Page through the folder, each page starting at the next key still
	// missing, so that every page completes at least one key.
	for pages := 0; len(f.keys) > 1 && len(pending) > 0 && budget > 0 && pages < maxFolderPages; pages++ {
		if first := firstPending(f.keys, pending); keyMarker == nil || aws.ToString(keyMarker) < before(first) {
			keyMarker, versionMarker = aws.String(before(first)), nil
		}
		var out *s3.ListObjectVersionsOutput
		err := r.call(ctx, func(ctx context.Context) error {
			var err error
			out, err = r.e.Versions.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{
				Bucket: aws.String(f.bucket), Prefix: aws.String(f.prefix), Delimiter: aws.String("/"),
				KeyMarker: keyMarker, VersionIdMarker: versionMarker,
			})
			return err
		})
		budget--
		if err != nil {
			for k := range pending {
				f.errs[k] = err
			}
			return
		}
		collect(out, pending, partial)
		next := aws.ToString(out.NextKeyMarker)
		truncated := aws.ToBool(out.IsTruncated) && next != ""
		for k := range pending {
			// A key before the next marker is complete; the marker's own key
			// may continue on the next page.
			if !truncated || k < next {
				f.found[k] = exactVersions(partial[k], k)
				delete(pending, k)
			}
		}
		if !truncated {
			break
		}
		keyMarker, versionMarker = out.NextKeyMarker, out.NextVersionIdMarker
	}
	// Left over when keys are spread over more pages than a folder may
	// read in a row, or a key has more than a page of versions: list them
	// one by one, side by side.
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, k := range f.keys {
		if !pending[k] {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			vs, err := r.listKey(ctx, f.bucket, k)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				f.errs[k] = err
				return
			}
			f.found[k] = vs
		}()
	}
	wg.Wait()
}

// firstPending returns the smallest key still missing.
func firstPending(keys []string, pending map[string]bool) string {
	for _, k := range keys {
		if pending[k] {
			return k
		}
	}
	return ""
}

// before returns a key marker just before key: S3 lists the keys after the
// marker, so listing from key minus its last character starts at key, or
// at a neighbour just before it. A whole character: a marker must be valid
// UTF-8.
func before(key string) string {
	_, size := utf8.DecodeLastRuneInString(key)
	return key[:len(key)-size]
}

// collect files the entries of pending keys by key.
func collect(out *s3.ListObjectVersionsOutput, pending map[string]bool, partial map[string]*s3.ListObjectVersionsOutput) {
	acc := func(key string) *s3.ListObjectVersionsOutput {
		p := partial[key]
		if p == nil {
			p = &s3.ListObjectVersionsOutput{}
			partial[key] = p
		}
		return p
	}
	for _, v := range out.Versions {
		if k := aws.ToString(v.Key); pending[k] {
			p := acc(k)
			p.Versions = append(p.Versions, v)
		}
	}
	for _, m := range out.DeleteMarkers {
		if k := aws.ToString(m.Key); pending[k] {
			p := acc(k)
			p.DeleteMarkers = append(p.DeleteMarkers, m)
		}
	}
}

// listKey lists the versions of exactly key, newest first, in one call: the
// key is its own prefix, so its versions come first in the list.
func (r *run) listKey(ctx context.Context, bucket, key string) ([]version, error) {
	var out *s3.ListObjectVersionsOutput
	err := r.call(ctx, func(ctx context.Context) error {
		var err error
		out, err = r.e.Versions.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String(bucket), Prefix: aws.String(key)})
		return err
	})
	if err != nil {
		return nil, err
	}
	return exactVersions(out, key), nil
}

// versions waits for c's folder and returns its key's versions.
func (r *run) versions(ctx context.Context, c *change.Change) ([]version, error) {
	f := r.folders[folderOf(c)]
	if f == nil {
		return nil, nil
	}
	select {
	case <-f.done:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if err := f.errs[c.Key]; err != nil {
		return nil, err
	}
	return f.found[c.Key], nil
}
