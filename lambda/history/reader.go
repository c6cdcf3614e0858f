package history

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	json "github.com/goccy/go-json"

	"github.com/bucketbell/bucketbell/lambda/change"
)

// Item is a line as read, with what the reader learnt of it.
type Item struct {
	Line
	// At orders and filters the line: its event time; for a problem, its
	// sentTime; when the line has neither, the start of its record's day.
	At time.Time
	// Timed is false when At is only the record's day.
	Timed bool
	// Record names the object the line was read from.
	Record string
	line   int
}

// Skip is an object that was not read, and why.
type Skip struct {
	Name, Reason string
}

// Result is what Read found.
type Result struct {
	// Changes and Problems are the matching lines, in time order, when
	// Read collects them (no emit function).
	Changes, Problems []*Item
	// Records counts the objects read; Skipped names the ones that were
	// not, corrupt or foreign, in name order.
	Records int
	Skipped []Skip
	// ChangeLines and ProblemLines count every line read, before filters
	// and duplicates.
	ChangeLines, ProblemLines int
	// ChangesShown and ProblemsShown count the matching lines, each once.
	ChangesShown, ProblemsShown int
	// Duplicates counts matching lines dropped as repeated deliveries.
	Duplicates int
}

// DefaultWorkers is how many listings and objects Read handles at a time.
const DefaultWorkers = 8

// Emit receives the matching lines of one day, in time order, each once;
// Read calls it day after day, for the days with matching lines.
type Emit func(changes, problems []*Item) error

// Read reads the records under root (for example "changes/") that can hold
// changes in f's time range: it lists the year=, month= and day= levels and
// goes down only into partitions that overlap the range, several at a
// time, then reads their objects, workers at a time. It hands emit the
// lines f selects, day after day in time order, without duplicate
// deliveries (same bucket, key, version, sequencer and event name, as the
// digest decides); with a nil emit it collects them in the Result.
//
// A duplicate is always in the same day as the line it repeats: S3 repeats
// the event time, SQS the SentTimestamp. So only a few days are held in
// memory at once, whatever the range.
//
// An object that is not gzip JSON lines of this schema is named in
// Skipped and not read; a listing or a read that fails stops Read with an
// error, since its answer would be incomplete.
func Read(ctx context.Context, src Source, root string, f Filter, workers int, emit Emit) (*Result, error) {
	if workers <= 0 {
		workers = DefaultWorkers
	}
	if root != "" && !strings.HasSuffix(root, "/") {
		root += "/"
	}
	r := &reading{src: src, f: f, workers: workers, res: &Result{}, untimed: map[change.ID]struct{}{}}
	if emit == nil {
		emit = func(changes, problems []*Item) error {
			r.res.Changes = append(r.res.Changes, changes...)
			r.res.Problems = append(r.res.Problems, problems...)
			return nil
		}
	}
	days, err := r.partitions(ctx, root)
	if err != nil {
		return nil, err
	}
	objects := make([][]string, len(days))
	err = each(ctx, workers, len(days), func(i int) error {
		dirs, keys, err := src.List(ctx, days[i].prefix)
		if err != nil {
			return err
		}
		for _, d := range dirs {
			r.skip(d, "not a record: a folder inside a day partition")
		}
		for _, k := range keys {
			if !strings.HasSuffix(k, Suffix) {
				r.skip(k, "not a record: its name does not end in "+Suffix)
				continue
			}
			objects[i] = append(objects[i], k)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// Days are read a few at a time, enough objects to keep the workers
	// busy, while the days before them are sorted and handed on.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	chunks := make(chan chunk, 1)
	go func() {
		defer close(chunks)
		for first := 0; first < len(days); {
			last, n := first, 0
			for last < len(days) && (last == first || n < 4*workers) {
				n += len(objects[last])
				last++
			}
			c := r.read(ctx, days[first:last], objects[first:last])
			select {
			case chunks <- c:
			case <-ctx.Done():
				return
			}
			if c.err != nil {
				return
			}
			first = last
		}
	}()
	var failed error
	for c := range chunks {
		if failed == nil {
			failed = c.err
		}
		if failed == nil {
			failed = r.emit(c.days, emit)
		}
		if failed != nil {
			cancel() // the reader stops, and closes chunks
		}
	}
	if failed != nil {
		return nil, failed
	}
	sort.Slice(r.res.Skipped, func(i, j int) bool { return r.res.Skipped[i].Name < r.res.Skipped[j].Name })
	return r.res, nil
}

// chunk is the lines of a few consecutive days, each day's together.
type chunk struct {
	days [][]*Item
	err  error
}

// read reads the objects of consecutive days.
func (r *reading) read(ctx context.Context, days []partition, objects [][]string) chunk {
	type job struct{ day, obj int }
	var jobs []job
	found := make([][][]*Item, len(days))
	for d := range days {
		found[d] = make([][]*Item, len(objects[d]))
		for o := range objects[d] {
			jobs = append(jobs, job{d, o})
		}
	}
	err := each(ctx, r.workers, len(jobs), func(i int) error {
		j := jobs[i]
		key := objects[j.day][j.obj]
		data, err := r.src.Get(ctx, key)
		if err != nil {
			return err
		}
		found[j.day][j.obj] = r.object(key, days[j.day].start, data)
		return nil
	})
	if err != nil {
		return chunk{err: err}
	}
	c := chunk{days: make([][]*Item, len(days))}
	for d := range found {
		for _, items := range found[d] {
			c.days[d] = append(c.days[d], items...)
		}
	}
	return c
}

// emit orders each day's lines, drops duplicates and hands them on.
func (r *reading) emit(days [][]*Item, emit Emit) error {
	for _, items := range days {
		var changes, problems []*Item
		for _, it := range items {
			if it.Problem != nil {
				problems = append(problems, it)
			} else {
				changes = append(changes, it)
			}
		}
		changes, problems = r.dedupe(changes), r.dedupeProblems(problems)
		r.res.ChangesShown += len(changes)
		r.res.ProblemsShown += len(problems)
		if len(changes)+len(problems) == 0 {
			continue
		}
		if err := emit(changes, problems); err != nil {
			return err
		}
	}
	return nil
}

// reading is one Read in progress.
type reading struct {
	src     Source
	f       Filter
	workers int

	mu  sync.Mutex
	res *Result
	// untimed remembers the changes without an event time across days.
	untimed map[change.ID]struct{}
}

func (r *reading) skip(key, reason string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.res.Skipped = append(r.res.Skipped, Skip{Name: r.src.Name(key), Reason: reason})
}

// partition is one level of the layout: a year, a month or a day, and the
// time it covers.
type partition struct {
	prefix     string
	start, end time.Time
}

// partitions walks year=, month= and day= down to the days in range.
func (r *reading) partitions(ctx context.Context, root string) ([]partition, error) {
	level := []partition{{prefix: root}}
	for _, name := range []string{"year", "month", "day"} {
		var next []partition
		var mu sync.Mutex
		err := each(ctx, r.workers, len(level), func(i int) error {
			parent := level[i]
			dirs, objects, err := r.src.List(ctx, parent.prefix)
			if err != nil {
				return err
			}
			for _, o := range objects {
				r.skip(o, "not a record: outside the year=/month=/day= partitions")
			}
			mu.Lock()
			defer mu.Unlock()
			for _, d := range dirs {
				p, ok := child(parent, name, d)
				if !ok {
					r.skip(d, fmt.Sprintf("not a %s=%s partition", name, map[string]string{"year": "YYYY", "month": "MM", "day": "DD"}[name]))
					continue
				}
				if r.f.overlaps(p.start, p.end) {
					next = append(next, p)
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		sort.Slice(next, func(i, j int) bool { return next[i].prefix < next[j].prefix })
		level = next
	}
	return level, nil
}

// child reads the partition dir one level below parent, named like
// "year=2026/".
func child(parent partition, name, dir string) (partition, bool) {
	base := strings.TrimSuffix(strings.TrimPrefix(dir, parent.prefix), "/")
	v, ok := strings.CutPrefix(base, name+"=")
	digits := map[string]int{"year": 4, "month": 2, "day": 2}[name]
	if !ok || len(v) != digits {
		return partition{}, false
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return partition{}, false
	}
	p := partition{prefix: dir}
	switch name {
	case "year":
		p.start = time.Date(n, 1, 1, 0, 0, 0, 0, time.UTC)
		p.end = p.start.AddDate(1, 0, 0)
	case "month":
		if n < 1 || n > 12 {
			return partition{}, false
		}
		p.start = parent.start.AddDate(0, n-1, 0)
		p.end = p.start.AddDate(0, 1, 0)
	case "day":
		p.start = parent.start.AddDate(0, 0, n-1)
		p.end = p.start.AddDate(0, 0, 1)
		if n < 1 || !p.start.Before(parent.end) {
			return partition{}, false
		}
	}
	return p, true
}

// maxLine bounds one line: far above any change (a key is at most 1 KiB).
const maxLine = 1 << 20

// object reads one record object and returns the lines the filter
// selects.
func (r *reading) object(key string, day time.Time, data []byte) []*Item {
	items, changes, problems, err := r.parse(key, day, data)
	if err != nil {
		r.skip(key, err.Error())
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.res.Records++
	r.res.ChangeLines += changes
	r.res.ProblemLines += problems
	return items
}

func (r *reading) parse(key string, day time.Time, data []byte) (items []*Item, changes, problems int, err error) {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, 0, 0, fmt.Errorf("not gzip: %v", err)
	}
	sc := bufio.NewScanner(zr)
	sc.Buffer(make([]byte, 0, 64<<10), maxLine)
	name := r.src.Name(key)
	n := 0
	for sc.Scan() {
		n++
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		it := &Item{Record: name, line: n}
		if err := json.Unmarshal(sc.Bytes(), &it.Line); err != nil {
			return nil, 0, 0, fmt.Errorf("line %d is not a JSON object of the record's form: %v", n, err)
		}
		switch {
		case it.SchemaVersion < 1 || it.DigestID == "":
			return nil, 0, 0, fmt.Errorf("line %d has no schemaVersion or digestId: not a change history record", n)
		case it.SchemaVersion > SchemaVersion:
			return nil, 0, 0, fmt.Errorf("line %d has schemaVersion %d; this command reads %d: update bucketbell", n, it.SchemaVersion, SchemaVersion)
		case it.Problem == nil && (it.EventName == "" || it.Bucket == ""):
			return nil, 0, 0, fmt.Errorf("line %d is neither a change (bucket, eventName) nor a problem", n)
		}
		stamp := it.Time
		if it.Problem != nil {
			stamp = it.Problem.SentTime
			problems++
		} else {
			changes++
		}
		if stamp != "" {
			t, err := time.Parse(time.RFC3339Nano, stamp)
			if err != nil {
				return nil, 0, 0, fmt.Errorf("line %d has a time that is not RFC 3339: %q", n, stamp)
			}
			it.At, it.Timed = t.UTC(), true
		} else {
			it.At = day
		}
		if r.f.Match(it) {
			items = append(items, it)
		}
	}
	if err := sc.Err(); err != nil {
		if err == bufio.ErrTooLong {
			err = fmt.Errorf("line %d is longer than %d bytes", n+1, maxLine)
		}
		return nil, 0, 0, fmt.Errorf("cannot be read whole: %v", err)
	}
	if _, err := io.Copy(io.Discard, zr); err != nil {
		return nil, 0, 0, fmt.Errorf("cannot be read whole: %v", err)
	}
	return items, changes, problems, nil
}

// dedupe orders one day's changes and drops repeated deliveries. A change
// without an event time may be dated differently by another delivery, so
// those are remembered across days.
func (r *reading) dedupe(items []*Item) []*Item {
	sortItems(items)
	seen := make(map[change.ID]struct{}, len(items))
	kept := items[:0]
	for _, it := range items {
		id := it.ID()
		seenIn := seen
		if !it.Timed {
			seenIn = r.untimed
		}
		if _, dup := seenIn[id]; dup {
			r.res.Duplicates++
			continue
		}
		seenIn[id] = struct{}{}
		kept = append(kept, it)
	}
	return kept
}

// dedupeProblems orders one day's problems and drops a problem that came
// back in another batch (SQS returns the unreadable messages an e-mail
// could only count): the same message, read the same way.
func (r *reading) dedupeProblems(items []*Item) []*Item {
	sortItems(items)
	seen := map[Problem]struct{}{}
	kept := items[:0]
	for _, it := range items {
		if p := *it.Problem; p.MessageID != "" {
			if _, dup := seen[p]; dup {
				r.res.Duplicates++
				continue
			}
			seen[p] = struct{}{}
		}
		kept = append(kept, it)
	}
	return kept
}

// sortItems orders lines by time, then object identity, then where they
// were read, so that the copy a duplicate keeps does not depend on the
// order the objects arrived in.
func sortItems(items []*Item) {
	sort.Slice(items, func(i, j int) bool {
		a, b := items[i], items[j]
		if !a.At.Equal(b.At) {
			return a.At.Before(b.At)
		}
		if a.Bucket != b.Bucket {
			return a.Bucket < b.Bucket
		}
		if a.Key != b.Key {
			return a.Key < b.Key
		}
		if a.Sequencer != b.Sequencer {
			return change.Later(b.Sequencer, a.Sequencer)
		}
		if a.EventName != b.EventName {
			return a.EventName < b.EventName
		}
		if a.VersionID != b.VersionID {
			return a.VersionID < b.VersionID
		}
		if a.Record != b.Record {
			return a.Record < b.Record
		}
		return a.line < b.line
	})
}

// each runs fn(0..n-1), at most workers at a time, and returns the first
// error; after an error it starts no more.
func each(ctx context.Context, workers, n int, fn func(i int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg    sync.WaitGroup
		once  sync.Once
		first error
	)
	sem := make(chan struct{}, workers)
	for i := 0; i < n; i++ {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			if err := fn(i); err != nil {
				once.Do(func() { first = err; cancel() })
			}
		}(i)
	}
	wg.Wait()
	if first == nil && ctx.Err() != nil {
		// The caller's context ended.
		first = context.Cause(ctx)
	}
	return first
}
