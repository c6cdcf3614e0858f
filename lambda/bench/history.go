package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bucketbell/bucketbell/lambda/change"
	"github.com/bucketbell/bucketbell/lambda/enrich"
	"github.com/bucketbell/bucketbell/lambda/history"
)

// Month is a made-up month of the change history, written to a directory
// as the notifier writes the bucket.
type Month struct {
	// Days, Changes and PerDigest shape it: Changes in all, spread evenly
	// over Days, PerDigest to a digest (one record object each, two when
	// a digest crosses midnight).
	Days, Changes, PerDigest int
	// Objects and Bytes are what was written.
	Objects int
	Bytes   int64
}

// monthStart is the first day of every made-up month.
var monthStart = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// WriteMonth writes m's records into dir through the notifier's writer. The
// changes look like an agency's: bulk uploads by one IAM user, a role
// session's edits and deletes, lifecycle expirations, enriched as the
// notifier enriches them (names, sizes, dimensions, undo commands), with
// version ids, ETags and sequencers as random as AWS's, which is what
// gzip cannot shrink.
func WriteMonth(ctx context.Context, dir string, m *Month) error {
	digests := (m.Changes + m.PerDigest - 1) / m.PerDigest
	spacing := time.Duration(m.Days) * 24 * time.Hour / time.Duration(digests)
	w := &history.Writer{Bucket: "bench-history", Region: "us-east-1", Client: history.Dir(dir)}
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				d := int(next.Add(1) - 1)
				if d >= digests {
					return
				}
				n := min(m.PerDigest, m.Changes-d*m.PerDigest)
				b := madeUpDigest(d, n, monthStart.Add(time.Duration(d)*spacing))
				if _, err := w.Write(ctx, b); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	return filepath.WalkDir(dir, func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		info, err := e.Info()
		if err != nil {
			return err
		}
		m.Objects++
		m.Bytes += info.Size()
		return nil
	})
}

// madeUpDigest is digest d: n changes by one actor, 50 ms apart from start.
func madeUpDigest(d, n int, start time.Time) history.Batch {
	rng := rand.New(rand.NewPCG(uint64(d), 1))
	const b62 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	random := func(alphabet string, n int) string {
		var s strings.Builder
		for range n {
			s.WriteByte(alphabet[rng.IntN(len(alphabet))])
		}
		return s.String()
	}
	principal, actor := "AWS:AIDAEXAMPLEMEDIACO1", "mediacouser"
	switch r := rng.IntN(20); {
	case r < 3:
		principal, actor = "AWS:AROAEXAMPLEEDITORS:alice@example.com", "role Editors (session alice@example.com)"
	case r < 4:
		principal, actor = "s3.amazonaws.com", "S3 lifecycle"
	}
	folder := fmt.Sprintf("catalogue/2026/%s/", []string{"shoes", "hats", "bags", "coats", "scarves"}[rng.IntN(5)])
	b := history.Batch{DigestID: fmt.Sprintf("%032x", rng.Uint64()), Changes: make([]change.Change, n)}
	for i := range b.Changes {
		c := change.Change{
			EventName: "ObjectCreated:Put", Kind: change.Uploaded, Bucket: "acme-product-images",
			Key:       fmt.Sprintf("%sitem-%06d.jpg", folder, d*n+i),
			VersionID: random(b62+"._", 32), Sequencer: fmt.Sprintf("%018X", rng.Uint64()),
			Time:      start.Add(time.Duration(i) * 50 * time.Millisecond),
			Principal: principal, Actor: actor, SourceIP: fmt.Sprintf("203.0.113.%d", 1+rng.IntN(254)), Region: "us-east-1",
			MessageID: fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", rng.Uint32(), rng.Uint32()&0xffff, rng.Uint32()&0xffff, rng.Uint32()&0xffff, rng.Uint64()&0xffffffffffff),
		}
		switch r := rng.IntN(100); {
		case actor == "S3 lifecycle":
			c.EventName, c.Kind = "LifecycleExpiration:DeleteMarkerCreated", change.ExpiredRecoverable
			c.SourceIP = "s3.amazonaws.com"
		case r < 8:
			c.EventName, c.Kind = "ObjectRemoved:DeleteMarkerCreated", change.DeletedRecoverable
			c.PreviousVersionID = random(b62+"._", 32)
			c.Size, c.SizeKnown = int64(50_000+rng.IntN(5_000_000)), true
			c.Notes = []string{"undo: " + enrich.UndoCommand(c.Bucket, c.Key, c.VersionID)}
		default:
			if r < 18 {
				c.Kind, c.PreviousVersionID = change.Replaced, random(b62+"._", 32)
			}
			c.ETag = random("0123456789abcdef", 32)
			c.Size, c.SizeKnown = int64(50_000+rng.IntN(5_000_000)), true
			c.ContentType, c.Width, c.Height = "image/jpeg", 800+rng.IntN(3200), 600+rng.IntN(2400)
		}
		b.Changes[i] = c
	}
	return b
}

// ReadMonth runs make history on dir as FORMAT=jsonl (to nowhere), and
// returns how long it took and the changes it printed.
func ReadMonth(ctx context.Context, dir string) (time.Duration, int, error) {
	var out countingWriter
	var errOut bytes.Buffer
	cmd := &history.Command{Stdout: &out, Stderr: &errOut, Now: time.Now(),
		OpenS3: func(context.Context) (history.S3Client, error) { return nil, fmt.Errorf("no S3 in the bench") }}
	start := time.Now()
	if code := cmd.Run(ctx, []string{"-source", dir, "-format", "jsonl"}); code != history.ExitOK {
		return 0, 0, fmt.Errorf("bench: history: %s", strings.TrimSpace(errOut.String()))
	}
	return time.Since(start), out.lines, nil
}

// countingWriter counts lines and keeps nothing.
type countingWriter struct{ lines int }

func (c *countingWriter) Write(p []byte) (int, error) {
	c.lines += bytes.Count(p, []byte{'\n'})
	return len(p), nil
}

var _ io.Writer = (*countingWriter)(nil)

// Encode encodes one made-up digest of n changes into its record and
// reports ms/digest: what keeping the record adds to an invocation, before
// its PUT.
func Encode(b *testing.B, n int) {
	batch := madeUpDigest(7, n, monthStart)
	for b.Loop() {
		if _, err := history.Encode(batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/digest")
}
