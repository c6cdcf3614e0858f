package enrich

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/bucketbell/bucketbell/lambda/change"
	"github.com/bucketbell/bucketbell/lambda/digest"
	"github.com/bucketbell/bucketbell/lambda/replay"
	"github.com/bucketbell/bucketbell/lambda/who"
)

var update = flag.Bool("update", false, "rewrite the golden e-mails in testdata/golden")

const bucket = "acme-product-images"

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func pngBytes(w, h int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	img.Set(0, 0, color.RGBA{R: 255, A: 255})
	var b bytes.Buffer
	_ = png.Encode(&b, img)
	return b.Bytes()
}

func size(n int64) *int64 { return &n }

// world is the S3 and IAM state the golden cases see.
func world() *replay.S3World {
	return &replay.S3World{
		IAMUsers: []replay.S3WorldUser{{UserName: "mediacouser", UserID: "AIDAEXAMPLEMEDIACO1", Path: "/"}},
		Objects: map[string]replay.S3WorldObject{
			bucket + "/new/banner.png": {ContentType: "image/png", Body: pngBytes(1200, 628),
				Versions: []replay.S3WorldVersion{{VersionID: "v-new", IsLatest: true, Size: size(40960)}}},
			// A key that merely starts with another must not count as its
			// earlier version.
			bucket + "/new/banner.png.bak": {ContentType: "image/png", Body: pngBytes(1, 1),
				Versions: []replay.S3WorldVersion{{VersionID: "v-bak", IsLatest: true, Size: size(70)}}},
			bucket + "/shoes/red.png": {ContentType: "image/png", Body: pngBytes(800, 600),
				Versions: []replay.S3WorldVersion{{VersionID: "v3", IsLatest: true, Size: size(5000)}, {VersionID: "v2", Size: size(4000)}, {VersionID: "v1", Size: size(3000)}}},
			bucket + "/old/boot.jpg": {ContentType: "image/jpeg",
				Versions: []replay.S3WorldVersion{{VersionID: "dm-1", IsLatest: true, DeleteMarker: true}, {VersionID: "v9", Size: size(123456)}}},
			bucket + "/docs/catalogue.jpg": {ContentType: "image/jpeg", Body: []byte("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"),
				Versions: []replay.S3WorldVersion{{VersionID: "p1", IsLatest: true, Size: size(88000)}}},
			bucket + "/back/again.png": {ContentType: "image/png", Body: pngBytes(16, 16),
				Versions: []replay.S3WorldVersion{{VersionID: "a3", IsLatest: true, Size: size(300)}, {VersionID: "dm-a", DeleteMarker: true}, {VersionID: "a1", Size: size(290)}}},
			// A replaced object whose key needs quoting and escaping.
			bucket + "/summer sale/it's a+b café\x01.png": {ContentType: "image/png", Body: pngBytes(3, 2),
				Versions: []replay.S3WorldVersion{{VersionID: "q2", IsLatest: true, Size: size(70)}, {VersionID: "q1", Size: size(60)}}},
			bucket + "/tags/t.png": {ContentType: "image/png", Body: pngBytes(2, 2),
				Versions: []replay.S3WorldVersion{{VersionID: "t1", IsLatest: true, Size: size(99)}}},
		},
	}
}

func ev(name, key, version, principal string, sz int64) change.Change {
	c := change.Change{
		EventName: name, Kind: change.KindOf(name), Bucket: bucket, Key: key, VersionID: version,
		Time: time.Date(2026, 11, 27, 10, 0, 1, 0, time.UTC), Principal: principal, Actor: principal, SourceIP: "203.0.113.10",
	}
	if sz >= 0 {
		c.Size, c.SizeKnown = sz, true
	}
	return c
}

const user = "AWS:AIDAEXAMPLEMEDIACO1"

func TestGolden(t *testing.T) {
	w := world()
	denied := &fakeS3{err: httpErr(http.StatusForbidden)}
	slow := &fakeS3{block: true}
	cases := []struct {
		name    string
		changes []change.Change
		e       *Enricher
	}{
		{name: "named-user-new-upload-with-dimensions", changes: []change.Change{ev("ObjectCreated:Put", "new/banner.png", "v-new", user, 40960)}},
		{name: "replacement-names-previous-version", changes: []change.Change{ev("ObjectCreated:Put", "shoes/red.png", "v3", user, 5000)}},
		{name: "replacement-of-older-version", changes: []change.Change{ev("ObjectCreated:CompleteMultipartUpload", "shoes/red.png", "v2", user, 4000)}},
		{name: "upload-after-delete-is-new", changes: []change.Change{ev("ObjectCreated:Put", "back/again.png", "a3", user, 300)}},
		{name: "recoverable-delete-with-undo", changes: []change.Change{ev("ObjectRemoved:DeleteMarkerCreated", "old/boot.jpg", "dm-1", user, -1)}},
		{name: "permanent-delete-names-version", changes: []change.Change{ev("ObjectRemoved:Delete", "old/boot.jpg", "v8", user, -1)}},
		{name: "pdf-named-jpg", changes: []change.Change{ev("ObjectCreated:Put", "docs/catalogue.jpg", "p1", user, 88000)}},
		{name: "unknown-principal", changes: []change.Change{ev("ObjectCreated:Put", "new/banner.png", "v-new", "AWS:AIDAUNKNOWNUSER99", 40960)}},
		{name: "role-session-and-lifecycle", changes: []change.Change{
			ev("ObjectCreated:Put", "new/banner.png", "v-new", "AWS:AROAEXAMPLEROLE01:alice@example.com", 40960),
			ev("LifecycleExpiration:Delete", "old/boot.jpg", "v1", "s3.amazonaws.com", -1),
		}},
		{name: "object-already-gone", changes: []change.Change{ev("ObjectCreated:Put", "vanished.jpg", "x1", user, 10)}},
		{name: "tags-changed-size-from-head", changes: []change.Change{ev("ObjectTagging:Put", "tags/t.png", "t1", user, -1)}},
		{name: "access-denied", changes: []change.Change{ev("ObjectCreated:Put", "new/banner.png", "v-new", user, 40960)},
			e: &Enricher{Names: &who.Namer{Users: failingIAM{}}, Versions: denied, Objects: denied, Heads: denied, Log: quiet()}},
		{name: "timeouts", changes: []change.Change{ev("ObjectCreated:Put", "new/banner.png", "v-new", user, 40960)},
			e: &Enricher{Names: &who.Namer{Users: w}, Versions: slow, Objects: slow, Heads: slow, Timeout: 20 * time.Millisecond, Log: quiet()}},
		{name: "readme-example", changes: []change.Change{
			ev("ObjectCreated:Put", "new/banner.png", "v-new", user, 40960),
			ev("ObjectCreated:Put", "shoes/red.png", "v3", user, 5000),
			ev("ObjectCreated:Put", "docs/catalogue.jpg", "p1", user, 88000),
			ev("ObjectRemoved:DeleteMarkerCreated", "old/boot.jpg", "dm-1", user, -1),
		}},
		{name: "odd-key-restore-command", changes: []change.Change{ev("ObjectCreated:Put", "summer sale/it's a+b café\x01.png", "q2", user, 70)}},
		{name: "odd-key-undo-command", changes: []change.Change{ev("ObjectRemoved:DeleteMarkerCreated", "it's a\nkey.jpg", "dm-odd", user, -1)}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := tc.e
			if e == nil {
				e = &Enricher{Names: &who.Namer{Users: w}, Versions: w, Objects: w, Heads: w, Log: quiet()}
			}
			e.Enrich(context.Background(), tc.changes)
			m := digest.Compose(tc.changes, nil, digest.Options{})
			got := "Subject: " + m.Subject + "\n\n" + m.Text
			golden := filepath.Join("testdata", "golden", tc.name+".txt")
			if *update {
				_ = os.MkdirAll(filepath.Dir(golden), 0o755)
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (go test -update creates it)", err)
			}
			if got != string(want) {
				t.Errorf("e-mail differs from %s (go test -update rewrites it):\n--- got\n%s\n--- want\n%s", golden, got, want)
			}
		})
	}
}

// fakeS3 answers every call with err, or blocks until the call's context
// ends; it counts calls.
type fakeS3 struct {
	err          error
	block        bool
	list, get, h atomic.Int32
	delay        time.Duration
	inFlight     atomic.Int32
	maxInFlight  atomic.Int32
}

func (f *fakeS3) wait(ctx context.Context) error {
	n := f.inFlight.Add(1)
	defer f.inFlight.Add(-1)
	for {
		m := f.maxInFlight.Load()
		if n <= m || f.maxInFlight.CompareAndSwap(m, n) {
			break
		}
	}
	if f.block {
		<-ctx.Done()
		return ctx.Err()
	}
	if f.delay > 0 {
		select {
		case <-time.After(f.delay):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return f.err
}

func (f *fakeS3) ListObjectVersions(ctx context.Context, _ *s3.ListObjectVersionsInput, _ ...func(*s3.Options)) (*s3.ListObjectVersionsOutput, error) {
	f.list.Add(1)
	if err := f.wait(ctx); err != nil {
		return nil, err
	}
	return &s3.ListObjectVersionsOutput{}, nil
}

func (f *fakeS3) GetObject(ctx context.Context, _ *s3.GetObjectInput, _ ...func(*s3.Options)) (*s3.GetObjectOutput, error) {
	f.get.Add(1)
	if err := f.wait(ctx); err != nil {
		return nil, err
	}
	body := pngBytes(4, 3)
	return &s3.GetObjectOutput{Body: io.NopCloser(bytes.NewReader(body)), ContentType: aws.String("image/png"),
		ContentRange: aws.String(fmt.Sprintf("bytes 0-%d/%d", len(body)-1, len(body)))}, nil
}

func (f *fakeS3) HeadObject(ctx context.Context, _ *s3.HeadObjectInput, _ ...func(*s3.Options)) (*s3.HeadObjectOutput, error) {
	f.h.Add(1)
	if err := f.wait(ctx); err != nil {
		return nil, err
	}
	return &s3.HeadObjectOutput{ContentType: aws.String("image/png"), ContentLength: aws.Int64(10)}, nil
}

type failingIAM struct{}

func (failingIAM) ListUsers(context.Context, *iam.ListUsersInput, ...func(*iam.Options)) (*iam.ListUsersOutput, error) {
	return nil, httpErr(http.StatusForbidden)
}

func httpErr(status int) error {
	return &awshttp.ResponseError{ResponseError: &smithyhttp.ResponseError{
		Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status}},
		Err:      errors.New(http.StatusText(status)),
	}}
}

func TestAtMostOneListAndOneGetPerChange(t *testing.T) {
	f := &fakeS3{}
	var cs []change.Change
	for i := 0; i < 50; i++ {
		cs = append(cs, ev("ObjectCreated:Put", fmt.Sprintf("k%02d.png", i), "v", user, 10))
	}
	for i := 0; i < 50; i++ {
		cs = append(cs, ev("ObjectRemoved:DeleteMarkerCreated", fmt.Sprintf("d%02d.png", i), "dm", user, -1))
	}
	(&Enricher{Versions: f, Objects: f, Heads: f, Log: quiet()}).Enrich(context.Background(), cs)
	// One folder: one LIST page for all 100 keys.
	if l, g, h := f.list.Load(), f.get.Load(), f.h.Load(); l != 1 || g != 50 || h != 0 {
		t.Fatalf("calls: %d ListObjectVersions, %d GetObject, %d HeadObject; want 1, 50, 0", l, g, h)
	}
}

func TestBoundedInFlight(t *testing.T) {
	f := &fakeS3{delay: 5 * time.Millisecond}
	var cs []change.Change
	for i := 0; i < 100; i++ {
		cs = append(cs, ev("ObjectCreated:Put", fmt.Sprint(i), "v", user, 10))
	}
	(&Enricher{Versions: f, Objects: f, InFlight: 7, Log: quiet()}).Enrich(context.Background(), cs)
	if m := f.maxInFlight.Load(); m > 7 || m < 2 {
		t.Fatalf("max calls in flight %d, want between 2 and 7", m)
	}
}

func TestShellQuote(t *testing.T) {
	cases := map[string]string{
		"a/b.jpg":         "a/b.jpg",
		"a b.jpg":         "'a b.jpg'",
		"it's.jpg":        `'it'\''s.jpg'`,
		"a\nb":            `$'a\nb'`,
		"x\u202ey":        `$'x\xe2\x80\xaey'`,
		"café.jpg":        "'café.jpg'",
		"\xff'\\":         `$'\xff\'\\'`,
		"$(rm -rf /).jpg": "'$(rm -rf /).jpg'",
	}
	for in, want := range cases {
		if got := shellQuote(in); got != want {
			t.Errorf("shellQuote(%q) = %s, want %s", in, got, want)
		}
	}
}

// TestRestoreCommand: the command that brings a replaced version back
// names the key once for the shell and once URL-encoded for S3, whatever
// the key holds.
func TestRestoreCommand(t *testing.T) {
	cases := []struct{ name, key, version, want string }{
		{name: "plain", key: "shoes/red.png", version: "v2",
			want: `aws s3api copy-object --bucket b --key shoes/red.png --copy-source 'b/shoes/red.png?versionId=v2'`},
		{name: "space and plus", key: "summer sale/a+b.jpg", version: "v2",
			want: `aws s3api copy-object --bucket b --key 'summer sale/a+b.jpg' --copy-source 'b/summer%20sale/a%2Bb.jpg?versionId=v2'`},
		{name: "unicode", key: "café/日本.jpg", version: "v2",
			want: `aws s3api copy-object --bucket b --key 'café/日本.jpg' --copy-source 'b/caf%C3%A9/%E6%97%A5%E6%9C%AC.jpg?versionId=v2'`},
		{name: "quotes", key: `it's "x".jpg`, version: "v2",
			want: `aws s3api copy-object --bucket b --key 'it'\''s "x".jpg' --copy-source 'b/it%27s%20%22x%22.jpg?versionId=v2'`},
		{name: "control characters", key: "a\nb\x01.jpg", version: "v2",
			want: `aws s3api copy-object --bucket b --key $'a\nb\x01.jpg' --copy-source 'b/a%0Ab%01.jpg?versionId=v2'`},
		{name: "question mark and percent", key: "100%?.jpg", version: "3/L4kq.e_x",
			want: `aws s3api copy-object --bucket b --key '100%?.jpg' --copy-source 'b/100%25%3F.jpg?versionId=3/L4kq.e_x'`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := RestoreCommand("b", tc.key, tc.version); got != tc.want {
				t.Errorf("RestoreCommand(%q)\n got %s\nwant %s", tc.key, got, tc.want)
			}
		})
	}
}

// TestReadmeShowsTheExample: the top README shows readme-example.txt as
// it is, so the example e-mail cannot drift from what the code writes.
func TestReadmeShowsTheExample(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	golden, err := os.ReadFile(filepath.Join("testdata", "golden", "readme-example.txt"))
	if err != nil {
		t.Fatal(err)
	}
	_, block, ok := strings.Cut(string(readme), "Taken from `lambda/enrich/testdata/golden/readme-example.txt`:\n\n```\n")
	block, _, closed := strings.Cut(block, "```\n")
	if !ok || !closed {
		t.Fatal("README.md has no example block after its \"Taken from\" line")
	}
	if block != string(golden) {
		t.Errorf("README.md's example e-mail differs from testdata/golden/readme-example.txt: copy the file into the block")
	}
}
