// Package digest composes the message for one invocation's changes: a
// plain-text e-mail for people and a JSON document for machines, published
// together with SNS MessageStructure=json.
//
// Every change is either listed in full or counted exactly in the summary,
// and the whole message always fits SNS's size limit.
package digest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/bucketbell/bucketbell/lambda/change"
)

// SchemaVersion is the version of the JSON document (see Document). It
// changes only when a field changes meaning or disappears.
const SchemaVersion = 1

// MaxMessageBytes is SNS's limit for a message, which with
// MessageStructure=json covers the whole JSON envelope.
const MaxMessageBytes = 262144

// maxSubject is one below SNS's limit of 100 characters.
const maxSubject = 99

// maxProblemsListed bounds the unreadable items shown in full; the rest are
// counted.
const maxProblemsListed = 50

// Options tune Compose; the zero value is what the notifier uses.
type Options struct {
	// MaxBytes is the size budget of the envelope, MaxMessageBytes minus a
	// margin when zero.
	MaxBytes int
	// Records name where the complete record of the digest's changes was
	// kept (the change history), so that a reader can find the changes a
	// bulk digest only counts. The e-mail's footer and the document's
	// "records" name them.
	Records []Record
}

// Record names one object of the change history.
type Record struct {
	// URI is the object's s3:// address.
	URI string `json:"uri"`
	// ConsoleURL opens the object in the S3 console.
	ConsoleURL string `json:"consoleUrl,omitempty"`
}

// maxRecordsNamed bounds the records a digest names; a batch spans a few
// dates at most, one record each.
const maxRecordsNamed = 10

// Message is a composed digest, ready to publish.
type Message struct {
	Subject string
	// Text is the e-mail body.
	Text string
	// Document is the JSON copy for machines.
	Document []byte
	// Envelope is the SNS Message for MessageStructure=json: {"default":
	// Document, "email": Text}. Every protocol other than e-mail gets the
	// document.
	Envelope string
	// Listed and Total count the changes listed in full and in all.
	Listed, Total int
	// ListedProblems counts the problems named in full: the first ones, in
	// the order given to Compose.
	ListedProblems int
}

// Empty reports whether there is nothing to tell anyone.
func Empty(changes []change.Change, problems []change.Problem) bool {
	return len(changes) == 0 && len(problems) == 0
}

// Compose builds the digest of changes and problems. changes must already
// be free of duplicate deliveries (change.Dedupe); Compose reorders them.
func Compose(changes []change.Change, problems []change.Problem, opt Options) Message {
	budget := opt.MaxBytes
	if budget <= 0 {
		budget = MaxMessageBytes - 2048 // room for SNS's own accounting
	}
	sortChanges(changes)
	d := newDraft(changes, problems)
	d.records = opt.Records[:min(len(opt.Records), maxRecordsNamed)]

	nProblems := min(len(problems), maxProblemsListed)
	if d.prefix[len(changes)] <= budget { // else it cannot fit whole
		if m, ok := d.fit(len(changes), nProblems, budget); ok {
			return m // most digests fit whole
		}
	}
	// A bulk digest lists as many changes as fit. Each listed change adds
	// its own escaped bytes to the envelope, and the first of a group its
	// headings: that predicts n without rendering every candidate.
	base, ok := d.fit(0, nProblems, budget)
	for !ok && nProblems > 0 {
		nProblems /= 2
		base, ok = d.fit(0, nProblems, budget)
	}
	if !ok {
		// Thousands of actors or kinds: count per kind only.
		d.minimal = true
		base, _ = d.fit(0, 0, budget)
	}
	bound := len(base.Envelope) + 64
	n := sort.Search(len(changes)+1, func(n int) bool { return bound+d.prefix[n] > budget }) - 1
	if n <= 0 {
		return base
	}
	if m, ok := d.fit(n, nProblems, budget); ok {
		return m
	}
	// The prediction was off (it should not be): bisect on exact sizes.
	lo, hi := 0, n // lo fits, hi does not
	for hi-lo > 1 {
		mid := (lo + hi) / 2
		if _, ok := d.fit(mid, nProblems, budget); ok {
			lo = mid
		} else {
			hi = mid
		}
	}
	m, _ := d.fit(lo, nProblems, budget)
	return m
}

// sortChanges orders changes by actor, kind, time and key: the order of the
// e-mail, so that listing "the first n" keeps groups together.
func sortChanges(cs []change.Change) {
	sort.SliceStable(cs, func(i, j int) bool {
		a, b := &cs[i], &cs[j]
		if a.Actor != b.Actor {
			return a.Actor < b.Actor
		}
		if a.Kind != b.Kind {
			return a.Kind.Before(b.Kind)
		}
		if !a.Time.Equal(b.Time) {
			return a.Time.Before(b.Time)
		}
		if a.Bucket != b.Bucket {
			return a.Bucket < b.Bucket
		}
		return a.Key < b.Key
	})
}

// count is the number of changes of one kind by one actor.
type count struct {
	Actor string      `json:"actor"`
	Kind  change.Kind `json:"kind"`
	Count int         `json:"count"`
}

// draft holds what every candidate size of the digest shares, rendered
// once.
type draft struct {
	changes  []change.Change
	problems []change.Problem
	buckets  []string
	first    time.Time
	last     time.Time
	counts   []count // per actor and kind, in display order
	warnings int
	subject  string
	lines    [][]byte // the text of each change
	entries  [][]byte // the JSON of each change
	// prefix[n] is about what listing the first n changes adds to the
	// envelope, their group headings included.
	prefix []int
	// minimal drops the per-actor counts from the summary and the
	// document: the last resort when even they do not fit.
	minimal bool
	// records are the change history's objects to name.
	records []Record
}

func newDraft(changes []change.Change, problems []change.Problem) *draft {
	d := &draft{changes: changes, problems: problems}
	seenBucket := map[string]bool{}
	for i := range changes {
		c := &changes[i]
		if !seenBucket[c.Bucket] {
			seenBucket[c.Bucket] = true
			d.buckets = append(d.buckets, c.Bucket)
		}
		if !c.Time.IsZero() {
			if d.first.IsZero() || c.Time.Before(d.first) {
				d.first = c.Time
			}
			if c.Time.After(d.last) {
				d.last = c.Time
			}
		}
		if n := len(d.counts); n > 0 && d.counts[n-1].Actor == c.Actor && d.counts[n-1].Kind == c.Kind {
			d.counts[n-1].Count++
		} else {
			d.counts = append(d.counts, count{Actor: c.Actor, Kind: c.Kind, Count: 1})
		}
		if c.Warning != "" {
			d.warnings++
		}
	}
	for _, p := range problems {
		if p.Bucket != "" && !seenBucket[p.Bucket] {
			seenBucket[p.Bucket] = true
			d.buckets = append(d.buckets, p.Bucket)
		}
	}
	sort.Strings(d.buckets)
	d.subject = subject(d)
	d.lines = renderLines(changes)
	d.entries = make([][]byte, len(changes))
	d.prefix = make([]int, len(changes)+1)
	for i := range changes {
		c := &changes[i]
		d.entries[i] = entryJSON(c)
		cost := escapedLen(d.lines[i]) + escapedLen(d.entries[i]) + 1
		// The first change of a group brings the group's heading, and the
		// first of an actor the actor's line.
		if i == 0 || changes[i-1].Actor != c.Actor {
			cost += escapedLen([]byte(actorLine(c.Actor, c.Principal)))
		}
		if i == 0 || changes[i-1].Actor != c.Actor || changes[i-1].Kind != c.Kind {
			cost += escapedLen([]byte(Text(string(c.Kind)))) + 32 // "  (1,234; 1,000 listed)\n"
		}
		d.prefix[i+1] = d.prefix[i] + cost
	}
	return d
}

// fit assembles the digest listing the first n changes and p problems, and
// reports whether its envelope fits the budget.
func (d *draft) fit(n, p, budget int) (Message, bool) {
	text := d.text(n, p)
	doc := d.document(n, p)
	env := envelope(doc, text)
	m := Message{
		Subject:  d.subject,
		Text:     text,
		Document: doc,
		Envelope: string(env),
		Listed:   n,
		Total:    len(d.changes),

		ListedProblems: p,
	}
	return m, len(env) <= budget
}

// kindsPhrase lists counts as "3 uploaded, 1 deleted, recoverable", naming
// at most maxPhraseKinds kinds and adding up the rest.
func kindsPhrase(counts []count) string {
	var b strings.Builder
	for i, c := range counts {
		if i == maxPhraseKinds {
			fmt.Fprintf(&b, "; and %s more of %s other kinds", Count(sum(counts[i:])), Count(len(counts)-i))
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(Count(c.Count) + " " + label(string(c.Kind)))
	}
	return b.String()
}

// byKind merges counts of all actors per kind, in display order.
func byKind(counts []count) []count {
	idx := map[change.Kind]int{}
	var out []count
	for _, c := range counts {
		if i, ok := idx[c.Kind]; ok {
			out[i].Count += c.Count
			continue
		}
		idx[c.Kind] = len(out)
		out = append(out, count{Kind: c.Kind, Count: c.Count})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Kind.Before(out[j].Kind) })
	return out
}

// actors returns the distinct actors of counts, in order.
func actors(counts []count) []string {
	var out []string
	for _, c := range counts {
		if len(out) == 0 || out[len(out)-1] != c.Actor {
			out = append(out, c.Actor)
		}
	}
	return out
}

// envelope builds the MessageStructure=json message. Marshalling a string
// cannot fail: invalid UTF-8 becomes U+FFFD.
func envelope(doc []byte, text string) []byte {
	d := marshal(string(doc))
	t := marshal(text)
	b := make([]byte, 0, len(d)+len(t)+24)
	b = append(b, `{"default":`...)
	b = append(b, d...)
	b = append(b, `,"email":`...)
	b = append(b, t...)
	return append(b, '}')
}

// marshal encodes v, which holds only strings, numbers and slices of them,
// so it cannot fail.
func marshal(v any) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

// escapedLen is the length of b once encoded as the inside of a JSON
// string, the way marshal encodes it (no HTML escaping).
func escapedLen(b []byte) int {
	n := 0
	for i := 0; i < len(b); {
		c := b[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\' || c == '\n' || c == '\r' || c == '\t' || c == '\b' || c == '\f':
				n += 2
			case c < 0x20:
				n += 6
			default:
				n++
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 || r == '\u2028' || r == '\u2029' {
			n += 6
		} else {
			n += size
		}
		i += size
	}
	return n
}
