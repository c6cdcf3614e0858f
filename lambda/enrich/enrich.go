// Package enrich adds to changes what S3 events do not carry: the person
// behind a principal id, whether an upload is new or replaced an earlier
// version, how to undo a delete, and what an uploaded file really is.
//
// Enrichment never fails a change. A lookup that is denied, throttled, times
// out or finds the object gone leaves the change as the event told it, with
// a note saying what could not be found out. Calls run concurrently, with a
// bound on calls in flight and a timeout on each. A change costs at most one
// ListObjectVersions (a folder's worth of changes usually shares a few) and
// one ranged GET or HeadObject.
package enrich

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/bucketbell/bucketbell/lambda/change"
	"github.com/bucketbell/bucketbell/lambda/image"
)

// Namer names principals; *who.Namer satisfies it.
type Namer interface {
	Name(ctx context.Context, principal string) (string, error)
}

// VersionLister lists object versions; *s3.Client satisfies it.
type VersionLister interface {
	ListObjectVersions(ctx context.Context, in *s3.ListObjectVersionsInput, optFns ...func(*s3.Options)) (*s3.ListObjectVersionsOutput, error)
}

// Getter reads objects; *s3.Client satisfies it.
type Getter interface {
	GetObject(ctx context.Context, in *s3.GetObjectInput, optFns ...func(*s3.Options)) (*s3.GetObjectOutput, error)
}

// Header reads object metadata; *s3.Client satisfies it.
type Header interface {
	HeadObject(ctx context.Context, in *s3.HeadObjectInput, optFns ...func(*s3.Options)) (*s3.HeadObjectOutput, error)
}

var (
	_ VersionLister = (*s3.Client)(nil)
	_ Getter        = (*s3.Client)(nil)
	_ Header        = (*s3.Client)(nil)
)

const (
	// HeadBytes is how much of an upload is read to tell what it is.
	HeadBytes = 64 << 10
	// DefaultInFlight bounds concurrent AWS calls when InFlight is 0.
	DefaultInFlight = 32
	// DefaultTimeout bounds each AWS call when Timeout is 0.
	DefaultTimeout = 3 * time.Second
)

// Enricher fills in changes. Every client is optional: a nil one skips what
// it would find out. Build it once per container.
type Enricher struct {
	Names    Namer
	Versions VersionLister
	Objects  Getter
	Heads    Header
	// InFlight bounds concurrent AWS calls; DefaultInFlight when 0.
	InFlight int
	// Timeout bounds each AWS call; DefaultTimeout when 0.
	Timeout time.Duration
	Log     *slog.Logger
}

// Enrich fills in changes in place. It returns when every lookup has
// answered, failed or timed out.
func (e *Enricher) Enrich(ctx context.Context, changes []change.Change) {
	r := &run{e: e, sem: make(chan struct{}, e.inFlight())}
	var wg sync.WaitGroup
	if e.Versions != nil {
		r.folders = folders(changes)
		for _, f := range r.folders {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r.fetch(ctx, f)
			}()
		}
	}
	names := map[string]*nameResult{}
	for i := range changes {
		c := &changes[i]
		if e.Names != nil {
			nr, ok := names[c.Principal]
			if !ok {
				nr = &nameResult{done: make(chan struct{})}
				names[c.Principal] = nr
				wg.Add(1)
				go func(p string) {
					defer wg.Done()
					defer close(nr.done)
					nr.name, nr.err = e.Names.Name(ctx, p)
				}(c.Principal)
			}
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.object(ctx, c)
		}()
	}
	wg.Wait()
	for i := range changes {
		c := &changes[i]
		if nr := names[c.Principal]; nr != nil {
			if nr.err != nil {
				e.logger().Warn("cannot name principal; showing its id", "principal", c.Principal, "error", nr.err)
			}
			if nr.name != "" {
				c.Actor = nr.name
			}
		}
	}
}

type nameResult struct {
	done chan struct{}
	name string
	err  error
}

// run is one Enrich call: its bound on calls in flight, and the version
// lists of the folders its changes touch.
type run struct {
	e       *Enricher
	sem     chan struct{}
	folders map[[2]string]*folder
}

// call runs f with a slot among the calls in flight and a timeout.
func (r *run) call(ctx context.Context, f func(ctx context.Context) error) error {
	select {
	case r.sem <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-r.sem }()
	ctx, cancel := context.WithTimeout(ctx, r.e.timeout())
	defer cancel()
	return f(ctx)
}

// object finds out what the event does not say about c's object.
func (r *run) object(ctx context.Context, c *change.Change) {
	switch c.Kind {
	case change.Uploaded, change.Copied:
		r.upload(ctx, c)
	case change.DeletedRecoverable, change.ExpiredRecoverable:
		r.deleteMarker(ctx, c)
	case change.DeletedPermanently, change.ExpiredPermanently, change.Lost:
		// Gone: there is nothing left to read, and the digest names the
		// removed version already.
	default:
		if r.e.Heads != nil && (!c.SizeKnown || c.ContentType == "") {
			r.head(ctx, c)()
		}
	}
}

// upload tells a new object from a replacement, and reads the head of the
// new object to tell what it really is. The two calls run side by side;
// their findings are applied in a fixed order once both are in.
func (r *run) upload(ctx context.Context, c *change.Change) {
	var vs []version
	var vErr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		if r.e.Versions != nil {
			vs, vErr = r.versions(ctx, c)
		}
	}()
	var read func() // applies what the read found
	if r.e.Objects != nil {
		read = r.sniff(ctx, c)
	} else if r.e.Heads != nil && (!c.SizeKnown || c.ContentType == "") {
		read = r.head(ctx, c)
	}
	<-done

	switch prev := previous(vs, c.VersionID); {
	case r.e.Versions == nil:
	case vErr != nil:
		c.Notes = append(c.Notes, "could not tell new from replaced: "+reason(vErr))
		r.e.logger().Warn("list object versions failed", "bucket", c.Bucket, "key", c.Key, "error", vErr)
	case prev != nil && !prev.deleteMarker:
		c.Kind = change.Replaced
		c.PreviousVersionID = prev.id
	case prev != nil:
		c.Notes = append(c.Notes, "the key had been deleted before; earlier versions are kept")
	}
	if read != nil {
		read()
	}
	// Last, so that the command ends the e-mail's line of notes.
	if c.Kind == change.Replaced {
		c.Notes = append(c.Notes, "restore: "+RestoreCommand(c.Bucket, c.Key, c.PreviousVersionID))
	}
}

// sniff reads the first HeadBytes of the uploaded version. It returns a
// function that applies the findings to c.
func (r *run) sniff(ctx context.Context, c *change.Change) func() {
	var head []byte
	var contentType string
	var total int64 = -1
	err := r.call(ctx, func(ctx context.Context) error {
		out, err := r.e.Objects.GetObject(ctx, &s3.GetObjectInput{
			Bucket:    aws.String(c.Bucket),
			Key:       aws.String(c.Key),
			VersionId: versionOf(c),
			Range:     aws.String("bytes=0-" + strconv.Itoa(HeadBytes-1)),
		})
		if err != nil {
			return err
		}
		defer out.Body.Close()
		contentType = aws.ToString(out.ContentType)
		total = totalSize(out)
		head, err = io.ReadAll(io.LimitReader(out.Body, HeadBytes))
		return err
	})
	return func() {
		if err != nil {
			c.Notes = append(c.Notes, "could not read the object: "+reason(err))
			r.e.logger().Warn("ranged GET failed", "bucket", c.Bucket, "key", c.Key, "error", err)
			return
		}
		if c.ContentType == "" {
			c.ContentType = contentType
		}
		if !c.SizeKnown && total >= 0 {
			c.Size, c.SizeKnown = total, true
		}
		if c.SizeKnown && c.Size == 0 && len(head) == 0 {
			c.Warning = "the file is empty (0 bytes)"
			return
		}
		info := image.Sniff(head)
		c.Width, c.Height = info.Width, info.Height
		c.Warning = image.Check(c.Key, c.ContentType, info)
	}
}

// deleteMarker says how to undo a delete, and what the delete hid.
func (r *run) deleteMarker(ctx context.Context, c *change.Change) {
	if c.HasVersion() {
		c.Notes = append(c.Notes, "undo: "+UndoCommand(c.Bucket, c.Key, c.VersionID))
	}
	if r.e.Versions == nil {
		return
	}
	vs, err := r.versions(ctx, c)
	if err != nil {
		r.e.logger().Warn("list object versions failed", "bucket", c.Bucket, "key", c.Key, "error", err)
		return
	}
	if prev := previous(vs, c.VersionID); prev != nil && !prev.deleteMarker {
		c.PreviousVersionID = prev.id
		if !c.SizeKnown && prev.sizeKnown {
			c.Size, c.SizeKnown = prev.size, true
		}
	}
}

// head reads size and content type with HeadObject. It returns a function
// that applies them to c.
func (r *run) head(ctx context.Context, c *change.Change) func() {
	var out *s3.HeadObjectOutput
	err := r.call(ctx, func(ctx context.Context) error {
		var err error
		out, err = r.e.Heads.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(c.Bucket), Key: aws.String(c.Key), VersionId: versionOf(c)})
		return err
	})
	return func() {
		if err != nil {
			c.Notes = append(c.Notes, "could not read the object: "+reason(err))
			r.e.logger().Warn("HeadObject failed", "bucket", c.Bucket, "key", c.Key, "error", err)
			return
		}
		if c.ContentType == "" {
			c.ContentType = aws.ToString(out.ContentType)
		}
		if !c.SizeKnown && out.ContentLength != nil {
			c.Size, c.SizeKnown = *out.ContentLength, true
		}
	}
}

// version is one entry of an object's version list, newest first.
type version struct {
	id           string
	deleteMarker bool
	size         int64
	sizeKnown    bool
}

// exactVersions merges versions and delete markers of key (and no other key
// that merely starts with it), newest first. S3 lists both newest first;
// IsLatest and LastModified interleave them.
func exactVersions(out *s3.ListObjectVersionsOutput, key string) []version {
	if out == nil {
		return nil
	}
	type dated struct {
		v      version
		latest bool
		at     time.Time
		order  int
	}
	var all []dated
	for i, v := range out.Versions {
		if aws.ToString(v.Key) != key {
			continue
		}
		d := dated{v: version{id: aws.ToString(v.VersionId)}, latest: aws.ToBool(v.IsLatest), at: aws.ToTime(v.LastModified), order: i}
		if v.Size != nil {
			d.v.size, d.v.sizeKnown = *v.Size, true
		}
		all = append(all, d)
	}
	for i, m := range out.DeleteMarkers {
		if aws.ToString(m.Key) != key {
			continue
		}
		all = append(all, dated{v: version{id: aws.ToString(m.VersionId), deleteMarker: true}, latest: aws.ToBool(m.IsLatest), at: aws.ToTime(m.LastModified), order: len(out.Versions) + i})
	}
	// Newest first: the latest, then by time, then in listed order.
	for i := 1; i < len(all); i++ {
		for j := i; j > 0 && newer(all[j].latest, all[j].at, all[j].order, all[j-1].latest, all[j-1].at, all[j-1].order); j-- {
			all[j], all[j-1] = all[j-1], all[j]
		}
	}
	vs := make([]version, len(all))
	for i := range all {
		vs[i] = all[i].v
	}
	return vs
}

func newer(aLatest bool, aAt time.Time, aOrder int, bLatest bool, bAt time.Time, bOrder int) bool {
	if aLatest != bLatest {
		return aLatest
	}
	if !aAt.Equal(bAt) && !aAt.IsZero() && !bAt.IsZero() {
		return aAt.After(bAt)
	}
	return aOrder < bOrder
}

// previous returns the version just older than id, or nil. When id is not
// listed (the event had no version, or the version is gone), the newest
// version stands for the event's.
func previous(vs []version, id string) *version {
	at := 0
	for i := range vs {
		if vs[i].id == id {
			at = i
			break
		}
	}
	if at+1 < len(vs) {
		return &vs[at+1]
	}
	return nil
}

// UndoCommand is the AWS CLI command that removes a delete marker, which
// brings the deleted object back.
func UndoCommand(bucket, key, marker string) string {
	return "aws s3api delete-object --bucket " + shellQuote(bucket) + " --key " + shellQuote(key) + " --version-id " + shellQuote(marker)
}

// RestoreCommand is the AWS CLI command that brings back version of key:
// it copies that version over the key, which makes it the latest again
// (the replacing version is kept as an earlier one).
func RestoreCommand(bucket, key, version string) string {
	source := copySourceEscape(bucket) + "/" + copySourceEscape(key) + "?versionId=" + copySourceEscape(version)
	return "aws s3api copy-object --bucket " + shellQuote(bucket) + " --key " + shellQuote(key) + " --copy-source " + shellQuote(source)
}

// copySourceEscape percent-encodes s for --copy-source, which S3 reads
// URL-encoded: every byte but letters, digits, "-", "_", ".", "~" and "/"
// is escaped, so "+" and "?" in a key keep their meaning and a space
// cannot be mistaken for a "+".
func copySourceEscape(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_', c == '.', c == '~', c == '/':
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		}
	}
	return b.String()
}

// shellQuote quotes s for a POSIX shell when it needs it. A string with
// control or non-printing characters gets ANSI-C quoting ($'...'), so the
// command stays on one line and can be pasted as it is.
func shellQuote(s string) string {
	plain := func(r rune) bool {
		return r == '/' || r == '.' || r == '-' || r == '_' || r == ':' || r == '=' || r == '+' || r == '@' || r == ',' ||
			(r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z')
	}
	if s != "" && strings.IndexFunc(s, func(r rune) bool { return !plain(r) }) < 0 {
		return s
	}
	printable := utf8.ValidString(s) && strings.IndexFunc(s, func(r rune) bool { return !unicode.IsPrint(r) }) < 0
	if printable {
		return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
	}
	var b strings.Builder
	b.WriteString("$'")
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '\\' || r == '\'':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == utf8.RuneError && size == 1, r < utf8.RuneSelf && !unicode.IsPrint(r), !unicode.IsPrint(r):
			for _, c := range []byte(s[i : i+size]) {
				fmt.Fprintf(&b, `\x%02x`, c)
			}
		default:
			b.WriteRune(r)
		}
		i += size
	}
	b.WriteByte('\'')
	return b.String()
}

func versionOf(c *change.Change) *string {
	if c.HasVersion() {
		return aws.String(c.VersionID)
	}
	return nil
}

// totalSize reads the object's size from Content-Range ("bytes 0-9/1234"),
// or from Content-Length when the whole object came back.
func totalSize(out *s3.GetObjectOutput) int64 {
	if cr := aws.ToString(out.ContentRange); cr != "" {
		if i := strings.LastIndexByte(cr, '/'); i >= 0 {
			if n, err := strconv.ParseInt(cr[i+1:], 10, 64); err == nil {
				return n
			}
		}
	}
	if out.ContentLength != nil && out.ContentRange == nil {
		return *out.ContentLength
	}
	return -1
}

// reason says in a few words why a call failed, for a note in the e-mail.
func reason(err error) string {
	var nsk *s3types.NoSuchKey
	var nf *s3types.NotFound
	var api smithy.APIError
	var status interface{ HTTPStatusCode() int }
	switch {
	case errors.As(err, &nsk), errors.As(err, &nf):
		return "it no longer exists (404)"
	case errors.As(err, &status) && status.HTTPStatusCode() == http.StatusNotFound:
		return "it no longer exists (404)"
	case errors.As(err, &status) && status.HTTPStatusCode() == http.StatusForbidden:
		return "access denied (403)"
	case errors.Is(err, context.DeadlineExceeded):
		return "timed out"
	case errors.As(err, &api):
		return api.ErrorCode()
	default:
		return "the request failed"
	}
}

func (e *Enricher) inFlight() int {
	if e.InFlight > 0 {
		return e.InFlight
	}
	return DefaultInFlight
}

func (e *Enricher) timeout() time.Duration {
	if e.Timeout > 0 {
		return e.Timeout
	}
	return DefaultTimeout
}

func (e *Enricher) logger() *slog.Logger {
	if e.Log != nil {
		return e.Log
	}
	return slog.Default()
}
