package who

import (
	"context"
	"fmt"
	"maps"
	"sync"
	"time"
)

// directory caches the names of one kind of IAM identity (users or roles) by
// unique id, for the life of the container.
//
// What it remembers, and for how long:
//   - a name found by a walk: for good (unique ids are never reused, and a
//     rename is rare enough to show the old name until the next cold start);
//   - an id that a successful walk was asked for and did not find: unknown
//     for good, so it never costs another walk;
//   - an id that a recent walk, started for another id, did not find: unknown
//     until Interval has passed, then it gets one walk of its own, as a user
//     created since the last walk would need;
//   - a failed walk: its error, returned to every caller until Interval has
//     passed, then retried; a throttled or denied IAM must not be asked once
//     per record, and must not be given up on for the rest of the container.
type directory struct {
	mu      sync.Mutex
	names   map[string]string // id -> name, from every walk that succeeded
	absent  map[string]bool   // ids asked of a walk that succeeded and did not find them
	last    time.Time         // when the last walk started; zero before the first
	lastErr error             // the last walk's error, nil if it succeeded
	walking *walk             // the walk under way, nil if none
}

// walk is one listing under way, shared by every caller that waits for it.
type walk struct {
	done  chan struct{}   // closed when the walk has ended
	asked map[string]bool // ids whose callers wait for this walk; under directory.mu
	err   error           // set before done is closed
}

// listFunc lists every identity of the directory's kind, id -> name.
type listFunc func(ctx context.Context) (map[string]string, error)

// lookup returns the name of id, or "" when IAM does not know it. It starts
// a walk with list when the rules above allow one, or waits for the walk
// under way. The walk runs in its own goroutine, detached from ctx, so that
// a caller who gives up (ctx ended) does not fail the others sharing it; its
// own calls are bounded by the Namer's per-call timeout.
func (d *directory) lookup(ctx context.Context, id string, now time.Time, interval time.Duration, list listFunc) (string, error) {
	d.mu.Lock()
	if name, ok := d.names[id]; ok {
		d.mu.Unlock()
		return name, nil
	}
	if d.absent[id] {
		d.mu.Unlock()
		return "", nil
	}
	w := d.walking
	if w == nil {
		if !d.last.IsZero() && now.Sub(d.last) < interval {
			err, next := d.lastErr, d.last.Add(interval)
			d.mu.Unlock()
			if err != nil {
				return "", fmt.Errorf("not retried before %s: %w", next.UTC().Format(time.TimeOnly), err)
			}
			return "", nil
		}
		w = &walk{done: make(chan struct{}), asked: map[string]bool{}}
		d.walking, d.last = w, now
		go d.run(context.WithoutCancel(ctx), w, list)
	}
	w.asked[id] = true
	d.mu.Unlock()

	select {
	case <-w.done:
	case <-ctx.Done():
		return "", fmt.Errorf("wait for iam: %w", context.Cause(ctx))
	}
	if w.err != nil {
		return "", w.err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.names[id], nil
}

// run carries out walk w and records what it found.
func (d *directory) run(ctx context.Context, w *walk, list listFunc) {
	names, err := list(ctx)
	d.mu.Lock()
	defer d.mu.Unlock()
	w.err, d.lastErr, d.walking = err, err, nil
	if err == nil {
		if d.names == nil {
			d.names, d.absent = map[string]string{}, map[string]bool{}
		}
		maps.Copy(d.names, names)
		for id := range w.asked {
			if _, ok := names[id]; !ok {
				d.absent[id] = true
			}
		}
	}
	close(w.done)
}
