package history

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/bucketbell/bucketbell/lambda/change"
)

// Filter selects lines. The zero Filter selects every change and problem.
type Filter struct {
	// Since and Until bound the time: Since <= t < Until. A zero bound is
	// open. They also decide which partitions are read.
	Since, Until time.Time
	// Actor is the exact name shown (actor) or raw principal id.
	Actor string
	// Key is the exact object key: its whole timeline.
	Key string
	// Prefix selects keys that start with it.
	Prefix string
	// Kind is a value from ParseKind: a kind, Unrecognised or
	// KindProblem.
	Kind string
}

// KindProblem is the KIND that selects problems (inputs that could not be
// read) instead of changes.
const KindProblem = "problem"

// Unrecognised is the KIND that selects every event name bucketbell has no
// words for.
const Unrecognised = "unrecognised"

// Problems reports whether f lets problems through: problems have no key,
// actor or kind, so any of those filters leaves them out, unless KIND asks
// for them.
func (f *Filter) Problems() bool {
	if f.Kind == KindProblem {
		return true
	}
	return f.Kind == "" && f.Actor == "" && f.Key == "" && f.Prefix == ""
}

// Match reports whether f selects it.
func (f *Filter) Match(it *Item) bool {
	if !f.Since.IsZero() && it.At.Before(f.Since) || !f.Until.IsZero() && !it.At.Before(f.Until) {
		return false
	}
	if it.Problem != nil {
		return f.Problems()
	}
	switch {
	case f.Kind == KindProblem:
		return false
	case f.Actor != "" && it.Actor != f.Actor && it.PrincipalID != f.Actor:
		return false
	case f.Key != "" && it.Key != f.Key:
		return false
	case f.Prefix != "" && !strings.HasPrefix(it.Key, f.Prefix):
		return false
	case f.Kind == Unrecognised:
		return !it.Kind.Known()
	case f.Kind != "":
		return string(it.Kind) == f.Kind
	}
	return true
}

// overlaps reports whether [start, end) meets f's time range.
func (f *Filter) overlaps(start, end time.Time) bool {
	return (f.Until.IsZero() || start.Before(f.Until)) && (f.Since.IsZero() || end.After(f.Since))
}

// ParseTime reads a SINCE or UNTIL value: an RFC 3339 time
// (2026-12-01T10:00:00Z), a date (2026-12-01, midnight UTC), or a duration
// back from now made of numbers with units w, d, h, m, s (7d, 12h, 1d12h).
func ParseTime(s string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	if d, ok := parseAgo(s); ok {
		return now.Add(-d).UTC(), nil
	}
	return time.Time{}, fmt.Errorf("%q is not an RFC 3339 time (2026-12-01T10:00:00Z), a date (2026-12-01) or a duration back from now (7d, 12h)", s)
}

// parseAgo reads "7d", "12h", "1d12h30m", "2w".
func parseAgo(s string) (time.Duration, bool) {
	units := map[byte]time.Duration{'w': 7 * 24 * time.Hour, 'd': 24 * time.Hour, 'h': time.Hour, 'm': time.Minute, 's': time.Second}
	var total time.Duration
	if s == "" {
		return 0, false
	}
	for s != "" {
		i := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == 0 || i == len(s) || i > 6 {
			return 0, false
		}
		unit, ok := units[s[i]]
		if !ok {
			return 0, false
		}
		n, _ := strconv.Atoi(s[:i])
		total += time.Duration(n) * unit
		s = s[i+1:]
	}
	return total, true
}

// kinds lists every kind bucketbell has words for, in display order.
func kinds() []change.Kind {
	seen := map[change.Kind]bool{change.Replaced: true}
	out := []change.Kind{change.Replaced}
	for _, name := range change.EventNames() {
		if k := change.KindOf(name); !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Before(out[j]) })
	return out
}

// ParseKind reads a KIND value: a kind as the e-mail words it ("deleted,
// recoverable"), the word its subject counts it with ("deleted"), any
// case; "unrecognised" for event names bucketbell has no words for (or
// "unrecognised event <name>" for one of them); or "problem".
func ParseKind(s string) (string, error) {
	want := strings.ToLower(strings.TrimSpace(s))
	switch {
	case want == KindProblem, want == Unrecognised:
		return want, nil
	case strings.HasPrefix(s, "unrecognised event ") && !change.Kind(s).Known():
		return s, nil
	}
	var names []string
	for _, k := range kinds() {
		if want == strings.ToLower(string(k)) || want == strings.ToLower(k.Short()) {
			return string(k), nil
		}
		names = append(names, string(k))
	}
	names = append(names, Unrecognised, KindProblem)
	return "", fmt.Errorf("unknown KIND %q (want one of: %s)", s, strings.Join(names, "; "))
}
