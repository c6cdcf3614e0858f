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
	// Changes are the matching changes, each once, in time order.
	Changes []Item
	// Problems are the matching problems, in time order.
	Problems []Item
	// Records counts the objects read; Skipped the ones that were not,
	// corrupt or foreign, in name order.
	Records int
	Skipped []Skip
	// ChangeLines and ProblemLines count every line read, before filters
	// and duplicates.
	ChangeLines, ProblemLines int
	// Duplicates counts matching lines dropped as repeated deliveries.
	Duplicates int
}

// DefaultWorkers is how many listings and objects Read handles at a time.
const DefaultWorkers = 8

// Read reads the records under root (for example "changes/") that can hold
// changes in f's time range: it lists the year=, month= and day= levels and
// goes down only into partitions that overlap the range, several at a
// time, then reads their objects, workers at a time. It returns the lines
// f selects, without duplicate deliveries (same bucket, key, version,
// sequencer and event name, as the digest decides).
//
// An object that is not gzip JSON lines of this schema is named in
// Skipped and not read; a listing or a read that fails stops Read with an
// error, since its answer would be incomplete.
func Read(ctx context.Context, src Source, root string, f Filter, workers int) (*Result, error) {
	if workers <= 0 {
		workers = DefaultWorkers
	}
	if root != "" && !strings.HasSuffix(root, "/") {
		root += "/"
	}
	r := &reading{src: src, f: f, workers: workers, res: &Result{}}
	days, err := r.partitions(ctx, root)
	if err != nil {
		return nil, err
	}
	type object struct {
		key string
		day time.Time
	}
	var objects []object
	var mu sync.Mutex
	err = each(ctx, workers, len(days), func(i int) error {
		dirs, keys, err := src.List(ctx, days[i].prefix)
		if err != nil {
			return err
		}
		for _, d := range dirs {
			r.skip(d, "not a record: a folder inside a day partition")
		}
		mu.Lock()
		defer mu.Unlock()
		for _, k := range keys {
			if !strings.HasSuffix(k, Suffix) {
				r.skip(k, "not a record: its name does not end in "+Suffix)
				continue
			}
			objects = append(objects, object{k, days[i].start})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = each(ctx, workers, len(objects), func(i int) error {
		data, err := src.Get(ctx, objects[i].key)
		if err != nil {
			return err
		}
		r.object(objects[i].key, objects[i].day, data)
		return nil
	})
	if err != nil {
		return nil, err
	}
	r.finish()
	return r.res, nil
}

// reading is one Read in progress.
type reading struct {
	src     Source
	f       Filter
	workers int

	mu  sync.Mutex
	res *Result
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

// object reads one record object, keeping the lines the filter selects.
func (r *reading) object(key string, day time.Time, data []byte) {
	items, changes, problems, err := r.parse(key, day, data)
	if err != nil {
		r.skip(key, err.Error())
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.res.Records++
	r.res.ChangeLines += changes
	r.res.ProblemLines += problems
	for _, it := range items {
		if it.Problem != nil {
			r.res.Problems = append(r.res.Problems, it)
		} else {
			r.res.Changes = append(r.res.Changes, it)
		}
	}
}

func (r *reading) parse(key string, day time.Time, data []byte) (items []Item, changes, problems int, err error) {
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
		it := Item{Record: name, line: n}
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
		if r.f.Match(&it) {
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

// finish orders what was read, drops duplicates and sorts the skips.
func (r *reading) finish() {
	res := r.res
	sortItems(res.Changes)
	sortItems(res.Problems)
	seen := make(map[change.ID]struct{}, len(res.Changes))
	kept := res.Changes[:0]
	for _, it := range res.Changes {
		id := it.ID()
		if _, dup := seen[id]; dup {
			res.Duplicates++
			continue
		}
		seen[id] = struct{}{}
		kept = append(kept, it)
	}
	res.Changes = kept
	// A problem that came back in another batch (SQS returns unreadable
	// messages the e-mail could only count) is the same message again.
	seenProblem := map[Problem]struct{}{}
	keptProblems := res.Problems[:0]
	for _, it := range res.Problems {
		p := *it.Problem
		p.SentTime = ""
		if p.MessageID != "" {
			if _, dup := seenProblem[p]; dup {
				res.Duplicates++
				continue
			}
			seenProblem[p] = struct{}{}
		}
		keptProblems = append(keptProblems, it)
	}
	res.Problems = keptProblems
	sort.Slice(res.Skipped, func(i, j int) bool { return res.Skipped[i].Name < res.Skipped[j].Name })
}

// sortItems orders lines by time, then object identity, then where they
// were read, so that the copy a duplicate keeps does not depend on the
// order the objects arrived in.
func sortItems(items []Item) {
	sort.Slice(items, func(i, j int) bool {
		a, b := &items[i], &items[j]
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
