// Package digest composes the message for one invocation's changes: a
// plain-text e-mail for people and a JSON document for machines, published
// together with SNS MessageStructure=json.
//
// What a reader must not miss comes first (see Notable): every notable
// change is named by key before any routine one, in the e-mail and in the
// document, and gets SNS's size budget first. Routine bulk is rolled up by
// folder. Every change is named or counted exactly, the whole message
// always fits SNS's size limit, and the e-mail for k notable changes (and
// unreadable inputs) has at most 100 + 3k lines, whatever the number of
// routine ones.
package digest

import (
	"bytes"
	"cmp"
	"encoding/json"
	"slices"
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

// maxNotableInFull bounds the notable changes shown with every detail, so
// that an e-mail with thousands of them stays readable; the rest are named
// by key alone while they fit, then counted per kind.
const maxNotableInFull = 200

// MaxLines bounds the e-mail's lines: at most MaxLines + 3k for k notable
// changes and unreadable inputs, whatever the number of routine changes.
// See draft.text for why it holds.
const MaxLines = 100

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
	// Listed counts the changes in the document's "changes", Total the
	// changes in all, Notable the notable ones (see Notable).
	Listed, Total, Notable int
	// ListedProblems counts the problems named in full: the first ones, in
	// the order given to Compose.
	ListedProblems int
}

// Empty reports whether there is nothing to tell anyone.
func Empty(changes []change.Change, problems []change.Problem) bool {
	return len(changes) == 0 && len(problems) == 0
}

// Compose builds the digest of changes and problems. changes must already
// be free of duplicate deliveries (change.Dedupe); Compose leaves the slice
// as it is.
//
// The budget goes, in this order, to: the headline, the counts and up to
// 50 problems (fewer only if they cannot fit); the first 200 notable
// changes in full; the other notable changes by key alone; the routine
// changes' roll-up and the few listed one by one; and last the routine
// changes in the document. Each takes as much as fits after the ones
// before it.
func Compose(changes []change.Change, problems []change.Problem, opt Options) Message {
	budget := opt.MaxBytes
	if budget <= 0 {
		budget = MaxMessageBytes - 2048 // room for SNS's own accounting
	}
	d := newDraft(changes, problems, opt.Records)
	return d.compose(budget)
}

// shape says how much of the digest a candidate message shows.
type shape struct {
	// problems are named in full, the first ones.
	problems int
	// full notable changes are shown in full, the next brief by key
	// alone; the rest are counted.
	full, brief int
	// level is how much of the routine changes the e-mail shows, from
	// levelAll (each, or folders and a few) to levelCounts (counts only).
	level int
	// routine changes are in the document, the first ones by key.
	routine int
}

// The levels of detail of the routine section, most first.
const (
	levelAll     = iota // each routine change, or folders and a sample
	levelFolders        // folders with their first and last keys
	levelBare           // folders without keys
	levelCounts         // counts per kind only
	levels
)

func (d *draft) compose(budget int) Message {
	k, r := d.notable, len(d.changes)-d.notable
	s := shape{problems: min(len(d.problems), maxProblemsListed), level: levelCounts}
	base, ok := d.fit(s, budget)
	for !ok && s.problems > 0 {
		s.problems /= 2
		base, ok = d.fit(s, budget)
	}
	if !ok {
		// Thousands of actors or kinds: count per kind only.
		d.minimal = true
		base, _ = d.fit(s, budget)
	}
	size := len(base.Envelope)

	// Most digests fit whole: predict that before composing it.
	whole := s
	whole.full, whole.brief = min(k, maxNotableInFull), k-min(k, maxNotableInFull)
	whole.level, whole.routine = levelAll, r
	if d.predict(s, whole, size, budget) {
		if m, ok := d.fit(whole, budget); ok {
			return m
		}
	}

	// Each part takes as much as fits after the parts before it.
	m := base
	m, size = d.grow(&s, &s.full, min(k, maxNotableInFull), d.fullCost, m, size, budget)
	full := s.full
	m, size = d.grow(&s, &s.brief, k-full, func(v int) int { return d.briefCost(full + v) }, m, size, budget)
	for lv := levelAll; lv < levelCounts && r > 0; lv++ {
		t := s
		t.level = lv
		if mm, ok := d.fit(t, budget); ok {
			s, m, size = t, mm, len(mm.Envelope)
			break
		}
	}
	m, _ = d.grow(&s, &s.routine, r, func(v int) int { return d.entryCost(k + v) }, m, size, budget)
	return m
}

// predict reports whether shape to probably fits, judging from the size of
// shape from and what to adds.
func (d *draft) predict(from, to shape, size, budget int) bool {
	size += 64 // headings and counts that change with the shape
	add := func(n int) bool {
		size += n
		return size <= budget
	}
	for i := from.full; i < to.full; i++ {
		if !add(d.fullCost(i)) {
			return false
		}
	}
	for i := to.full; i < to.full+to.brief; i++ {
		if !add(d.briefCost(i)) {
			return false
		}
	}
	if !add(escapedLen([]byte(d.routineText(to.level))) - escapedLen([]byte(d.routineText(from.level))) +
		escapedLen(d.foldersJSON(to.level)) - escapedLen(d.foldersJSON(from.level))) {
		return false
	}
	for i := from.routine; i < to.routine; i++ {
		if !add(d.entryCost(d.notable + i)) {
			return false
		}
	}
	return true
}

// grow raises *x from its value, where m of size bytes fits, to at most
// *x+n, as far as the digest still fits. cost(v) predicts what raising *x
// from v to v+1 adds; the prediction is checked by composing, and
// corrected by bisection when it was off.
func (d *draft) grow(s *shape, x *int, n int, cost func(i int) int, m Message, size, budget int) (Message, int) {
	if n <= 0 {
		return m, size
	}
	start := *x
	room := budget - size - 64
	k := 0
	for k < n {
		c := cost(start + k)
		if c > room {
			break
		}
		room -= c
		k++
	}
	if k == 0 {
		return m, size
	}
	*x = start + k
	if mm, ok := d.fit(*s, budget); ok {
		return mm, len(mm.Envelope)
	}
	lo, hi := 0, k // lo fits, hi does not
	for hi-lo > 1 {
		mid := (lo + hi) / 2
		*x = start + mid
		if mm, ok := d.fit(*s, budget); ok {
			lo, m = mid, mm
		} else {
			hi = mid
		}
	}
	*x = start + lo
	if lo == 0 {
		return m, size
	}
	return m, len(m.Envelope)
}

// count is the number of changes of one kind by one actor.
type count struct {
	Actor string      `json:"actor"`
	Kind  change.Kind `json:"kind"`
	Count int         `json:"count"`
}

// actorTotal is the number of changes one actor made.
type actorTotal struct {
	actor, principal string
	n                int
}

// draft holds what every candidate size of the digest shares. Pieces are
// rendered once, when first needed: a bulk digest never renders most of
// its routine changes.
type draft struct {
	// changes are the notable changes in the order the e-mail names them
	// (changes[:notable]), then the routine ones by key.
	changes  []change.Change
	notable  int
	problems []change.Problem
	records  []Record

	buckets     []string
	multiBucket bool
	manyActors  bool
	actors      []actorTotal // most changes first
	first, last time.Time
	bytes       int64
	sized       bool
	warnings    int
	counts      []count // per actor and kind: actor by name, then kind order
	subject     string
	headline    string
	// groupEnd[i] is where the group of notable change i ends: changes of
	// one kind, with or without a warning, share a heading.
	groupEnd []int
	// notableCol is the key column of the notable changes in full.
	notableCol int
	// minimal drops the per-actor counts from the document: the last
	// resort when even they do not fit.
	minimal bool

	keys    []string // display keys, escaped
	full    [][]byte // notable changes in full
	byKey   [][]byte // notable changes by key alone
	entries [][]byte // JSON of each change
	// entryCosts are the entries' escaped lengths, 0 until known.
	entryCosts []int
	briefs     [][]byte // brief JSON of notable changes
	routine    [levels]*string
	folders    []folder
	fdoc       [levels][]Folder
	fjson      [levels][]byte
}

func newDraft(changes []change.Change, problems []change.Problem, records []Record) *draft {
	d := &draft{problems: problems, records: records[:min(len(records), maxRecordsNamed)]}
	notable := Notable(changes)
	order := make([]int, len(changes))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		ca, cb := &changes[a], &changes[b]
		if notable[a] != notable[b] {
			if notable[a] {
				return -1
			}
			return 1
		}
		if notable[a] {
			if wa, wb := ca.Warning != "", cb.Warning != ""; wa != wb {
				if wa {
					return -1
				}
				return 1
			}
			if ca.Kind != cb.Kind {
				if ca.Kind.Before(cb.Kind) {
					return -1
				}
				return 1
			}
		}
		return byKey(ca, cb)
	})
	d.changes = make([]change.Change, len(changes))
	for i, j := range order {
		d.changes[i] = changes[j]
		if notable[j] {
			d.notable++
		}
	}

	seenBucket := map[string]bool{}
	perActor := map[string]int{}
	perCount := map[count]int{}
	for i := range d.changes {
		c := &d.changes[i]
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
		if c.SizeKnown {
			d.bytes += c.Size
			d.sized = true
		}
		if c.Warning != "" {
			d.warnings++
		}
		if at, ok := perActor[c.Actor]; ok {
			d.actors[at].n++
		} else {
			perActor[c.Actor] = len(d.actors)
			d.actors = append(d.actors, actorTotal{actor: c.Actor, principal: c.Principal, n: 1})
		}
		perCount[count{Actor: c.Actor, Kind: c.Kind}]++
	}
	d.multiBucket = len(d.buckets) > 1
	d.manyActors = len(d.actors) > 1
	for _, p := range problems {
		if p.Bucket != "" && !seenBucket[p.Bucket] {
			seenBucket[p.Bucket] = true
			d.buckets = append(d.buckets, p.Bucket)
		}
	}
	sort.Strings(d.buckets)
	sort.SliceStable(d.actors, func(i, j int) bool {
		if d.actors[i].n != d.actors[j].n {
			return d.actors[i].n > d.actors[j].n
		}
		return d.actors[i].actor < d.actors[j].actor
	})
	d.counts = make([]count, 0, len(perCount))
	for c, n := range perCount {
		c.Count = n
		d.counts = append(d.counts, c)
	}
	sort.Slice(d.counts, func(i, j int) bool {
		a, b := d.counts[i], d.counts[j]
		if a.Actor != b.Actor {
			return a.Actor < b.Actor
		}
		return a.Kind.Before(b.Kind)
	})

	d.groupEnd = make([]int, d.notable)
	for i := d.notable - 1; i >= 0; i-- {
		if i+1 < d.notable && sameGroup(&d.changes[i], &d.changes[i+1]) {
			d.groupEnd[i] = d.groupEnd[i+1]
		} else {
			d.groupEnd[i] = i + 1
		}
	}
	n := len(d.changes)
	d.keys = make([]string, n)
	d.entries = make([][]byte, n)
	d.entryCosts = make([]int, n)
	d.full = make([][]byte, d.notable)
	d.byKey = make([][]byte, d.notable)
	d.briefs = make([][]byte, d.notable)
	for i := range min(d.notable, maxNotableInFull) {
		if w := width(d.key(i)); w <= keyColumn && w > d.notableCol {
			d.notableCol = w
		}
	}
	d.folders = rollUp(d)
	d.subject = subject(d)
	d.headline = headline(d)
	return d
}

// byKey orders changes by bucket, key, time and sequencer.
func byKey(a, b *change.Change) int {
	if c := strings.Compare(a.Bucket, b.Bucket); c != 0 {
		return c
	}
	if c := strings.Compare(a.Key, b.Key); c != 0 {
		return c
	}
	if c := a.Time.Compare(b.Time); c != 0 {
		return c
	}
	return cmp.Compare(a.Sequencer, b.Sequencer)
}

// sameGroup reports whether two notable changes share a heading.
func sameGroup(a, b *change.Change) bool {
	return a.Kind == b.Kind && (a.Warning != "") == (b.Warning != "")
}

// key returns change i's key as the e-mail shows it.
func (d *draft) key(i int) string {
	if d.keys[i] == "" {
		c := &d.changes[i]
		k := Text(c.Key)
		if d.multiBucket {
			k = "s3://" + Text(c.Bucket) + "/" + k
		}
		d.keys[i] = k
	}
	return d.keys[i]
}

// fullText is notable change i in full: one line for the key, one for the
// details.
func (d *draft) fullText(i int) []byte {
	if d.full[i] == nil {
		d.full[i] = d.line(i, d.notableCol, true)
	}
	return d.full[i]
}

// keyText is notable change i by key alone, with its kind.
func (d *draft) keyText(i int) []byte {
	if d.byKey[i] == nil {
		d.byKey[i] = []byte("    " + d.key(i) + "  (" + groupLabel(&d.changes[i]) + ")\n")
	}
	return d.byKey[i]
}

// entry is change i's JSON entry in full.
func (d *draft) entry(i int) []byte {
	if d.entries[i] == nil {
		d.entries[i] = marshal(Listed{Entry: NewEntry(&d.changes[i]), Notable: i < d.notable})
	}
	return d.entries[i]
}

// brief is notable change i's JSON entry by key alone.
func (d *draft) brief(i int) []byte {
	if d.briefs[i] == nil {
		e := briefEntry(&d.changes[i])
		d.briefs[i] = marshal(e)
	}
	return d.briefs[i]
}

// fullCost predicts what naming notable change i in full adds to the
// envelope: its text, its group's heading, its entry.
func (d *draft) fullCost(i int) int {
	n := escapedLen(d.fullText(i)) + escapedLen(d.entry(i)) + 1
	if i == 0 || !sameGroup(&d.changes[i-1], &d.changes[i]) {
		n += escapedLen([]byte(groupLabel(&d.changes[i]))) + 32 // "  (1,234 of 5,678)\n"
	}
	return n
}

// briefCost predicts what naming notable change i by key adds.
func (d *draft) briefCost(i int) int {
	return escapedLen(d.keyText(i)) + escapedLen(d.brief(i)) + 1
}

// entryCost predicts what change i's entry in full adds to the document.
// Predicting the whole digest and then growing the routine changes both
// ask, so it is kept.
func (d *draft) entryCost(i int) int {
	if d.entryCosts[i] == 0 {
		d.entryCosts[i] = escapedLen(d.entry(i)) + 1
	}
	return d.entryCosts[i]
}

// fit assembles the digest of shape s and reports whether its envelope
// fits the budget.
func (d *draft) fit(s shape, budget int) (Message, bool) {
	text := d.text(s)
	doc := d.document(s)
	env := envelope(doc, text)
	m := Message{
		Subject:  d.subject,
		Text:     text,
		Document: doc,
		Envelope: string(env),
		Listed:   s.full + s.brief + s.routine,
		Total:    len(d.changes),
		Notable:  d.notable,

		ListedProblems: s.problems,
	}
	return m, len(env) <= budget
}

// kindsPhrase lists counts as "1 deleted, recoverable; 3 uploaded", naming
// at most maxPhraseKinds kinds and adding up the rest. Semicolons part the
// items because some kinds' words hold a comma.
func kindsPhrase(counts []count) string {
	var b strings.Builder
	for i, c := range counts {
		if i == maxPhraseKinds {
			b.WriteString("; and " + Count(sum(counts[i:])) + " more of " + Count(len(counts)-i) + " other kinds")
			break
		}
		if i > 0 {
			b.WriteString("; ")
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

// kindCounts counts changes per kind, in display order.
func kindCounts(cs []change.Change) []count {
	var all []count
	for i := range cs {
		if n := len(all); n > 0 && all[n-1].Kind == cs[i].Kind {
			all[n-1].Count++
		} else {
			all = append(all, count{Kind: cs[i].Kind, Count: 1})
		}
	}
	return byKind(all)
}

func sum(cs []count) int {
	t := 0
	for _, c := range cs {
		t += c.Count
	}
	return t
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
