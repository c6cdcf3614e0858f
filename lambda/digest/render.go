package digest

import (
	"bytes"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/bucketbell/bucketbell/lambda/change"
)

const (
	// keyColumn is the widest key that stays aligned with the other
	// columns; a longer key pushes its line's columns to the right.
	keyColumn = 60
	// maxHeadActors bounds the actors the headline names; further actors
	// are added up.
	maxHeadActors = 5
	// maxPhraseKinds bounds the kinds one summary line names; the rest are
	// added up, so that no input (thousands of unknown event names, say)
	// makes a line grow without bound.
	maxPhraseKinds = 10
	// maxBucketsNamed bounds the buckets the first line names.
	maxBucketsNamed = 10
	// maxLabel bounds, in characters, an actor, bucket or folder name in
	// the headline and the summaries; listed changes show them whole.
	maxLabel = 200
)

// subject says how many of what, where, and by whom:
// "mediacouser: 1 deleted permanently, 3,000 uploaded in acme-product-images".
// Kinds come in the order people act on (what cannot be undone first), and
// warnings before them, so that what matters survives when the subject is
// cut short. It is printable ASCII of at most 99 characters.
func subject(d *draft) string {
	var prefix string
	var suffixes []string // the preferred first
	if len(d.actors) == 1 {
		prefix = clip(ASCII(d.actors[0].actor), 40) + ": "
	}
	where := ""
	switch len(d.buckets) {
	case 0:
	case 1:
		where = " in " + clip(ASCII(d.buckets[0]), 63)
	default:
		where = " in " + Count(len(d.buckets)) + " buckets"
	}
	switch len(d.actors) {
	case 0, 1:
		suffixes = []string{where}
	case 2:
		// Two actors are named: the second is often the one to notice.
		suffixes = []string{where + " by " + clip(ASCII(d.actors[0].actor), 30) + " and " + clip(ASCII(d.actors[1].actor), 30),
			where + " by 2 actors"}
	default:
		suffixes = []string{where + " by " + Count(len(d.actors)) + " actors"}
	}
	// Count by the subject's word: several kinds share one ("other").
	type part struct {
		word string
		n    int
	}
	var lead []part // said first, counted in the parts too
	if d.warnings > 0 {
		w := " warnings"
		if d.warnings == 1 {
			w = " warning"
		}
		lead = append(lead, part{w, d.warnings})
	}
	var parts []part
	at := map[string]int{}
	for _, c := range byKind(d.counts) {
		w := c.Kind.Short()
		if i, ok := at[w]; ok {
			parts[i].n += c.Count
			continue
		}
		at[w] = len(parts)
		parts = append(parts, part{w, c.Count})
	}
	if n := len(d.problems); n > 0 {
		parts = append(parts, part{"unreadable", n})
	}
	// Drop parts into "+N more" until the subject fits: the last ones
	// first, but the largest (the bulk) last of all, so that "how many
	// of what" survives.
	total := len(d.changes) + len(d.problems)
	largest := 0
	for i, p := range parts {
		if p.n > parts[largest].n {
			largest = i
		}
	}
	for drop := 0; drop < len(parts); drop++ {
		keep := len(parts) - 1 - drop // of the parts other than the largest
		var b strings.Builder
		for _, p := range lead {
			b.WriteString(Count(p.n) + p.word + ", ")
		}
		shown := 0
		for i, p := range parts {
			if i != largest {
				if keep == 0 {
					continue
				}
				keep--
			}
			if shown > 0 {
				b.WriteString(", ")
			}
			b.WriteString(Count(p.n) + " " + p.word)
			shown += p.n
		}
		if drop > 0 {
			b.WriteString(", +" + Count(total-shown) + " more")
		}
		for _, suffix := range suffixes {
			if s := prefix + b.String() + suffix; len(s) <= maxSubject {
				return s
			}
		}
	}
	word := " changes"
	if total == 1 {
		word = " change"
	}
	return clip(prefix+Count(total)+word+suffixes[len(suffixes)-1], maxSubject)
}

// clip shortens an ASCII string to n characters, marking the cut.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-3] + "..."
}

// headline is the e-mail's first lines: how many changes, how many of
// them notable, of what kinds, where; then who made them, how many bytes,
// and when.
func headline(d *draft) string {
	var b strings.Builder
	total, k, p := len(d.changes), d.notable, len(d.problems)
	where := ""
	switch {
	case len(d.buckets) > maxBucketsNamed:
		where = " in " + Count(len(d.buckets)) + " buckets"
	case len(d.buckets) > 0:
		names := make([]string, len(d.buckets))
		for i, bk := range d.buckets {
			names[i] = label(bk)
		}
		where = " in " + strings.Join(names, ", ")
	}
	if total == 0 {
		b.WriteString(Count(p) + " unreadable " + plural(p, "input", "inputs") + where + ".\n")
		return b.String()
	}
	b.WriteString(Count(total) + " " + plural(total, "change", "changes") + where)
	switch {
	case total == 1 && k == 1:
		b.WriteString(" (notable)")
	case total == 1:
		b.WriteString(" (routine)")
	case k == 0:
		b.WriteString(" (all routine)")
	case k == total:
		b.WriteString(" (all notable)")
	default:
		b.WriteString(" (" + Count(k) + " notable)")
	}
	b.WriteString(": " + kindsPhrase(byKind(d.counts)))
	if p > 0 {
		b.WriteString("; and " + Count(p) + " unreadable " + plural(p, "input", "inputs"))
	}
	b.WriteString(".\n")

	b.WriteString("By ")
	if len(d.actors) == 1 {
		b.WriteString(actorName(d.actors[0].actor, d.actors[0].principal))
	} else {
		for i, a := range d.actors {
			if i == maxHeadActors {
				rest := 0
				for _, o := range d.actors[i:] {
					rest += o.n
				}
				b.WriteString(", and " + Count(len(d.actors)-i) + " others (" + Count(rest) + ")")
				break
			}
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(label(a.actor) + " (" + Count(a.n) + ")")
		}
	}
	if d.sized {
		b.WriteString("; " + Size(d.bytes) + " in all")
	}
	if s := span(d.first, d.last); s != "" {
		b.WriteString("; " + s)
	}
	b.WriteString(".\n")
	return b.String()
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// actorName names an actor, with the raw principal too when enrichment
// gave the actor a name.
func actorName(actor, principal string) string {
	s := label(actor)
	id, _, _ := strings.Cut(strings.TrimPrefix(principal, "AWS:"), ":")
	if principal != actor && !strings.Contains(actor, id) {
		s += " (" + label(principal) + ")"
	}
	return s
}

// groupLabel is the heading of a notable change's group: its kind, and
// whether it carries a warning.
func groupLabel(c *change.Change) string {
	s := label(string(c.Kind))
	if c.Warning != "" {
		s += ", with a warning"
	}
	return s
}

// line renders change i: key, size, time, actor when the digest has
// several, source IP, then its details (content type, dimensions,
// versions, warning, notes). With twoLines the details go on a line of
// their own, else they end the line; either way a change never takes more
// than two lines, which the e-mail's length bound counts on. Every line is
// indented, so nothing from a key starts a line.
func (d *draft) line(i, col int, twoLines bool) []byte {
	c := &d.changes[i]
	key := d.key(i)
	var b bytes.Buffer
	b.WriteString("    ")
	b.WriteString(key)
	if w := width(key); w <= col {
		b.WriteString(strings.Repeat(" ", col-w))
	}
	size := "-"
	if c.SizeKnown {
		size = Size(c.Size)
	}
	b.WriteString("  ")
	b.WriteString(strings.Repeat(" ", max(0, 10-len(size))))
	b.WriteString(size)
	b.WriteString("  ")
	b.WriteString(When(c.Time))
	b.WriteString("  ")
	if d.manyActors {
		b.WriteString("by " + Text(c.Actor) + " ")
	}
	if c.SourceIP != "" {
		b.WriteString("from " + Text(c.SourceIP))
	} else {
		b.WriteString("from -")
	}
	if det := details(c); det != "" {
		if twoLines {
			b.WriteString("\n      ")
		} else {
			b.WriteString("  ")
		}
		b.WriteString(det)
	}
	b.WriteByte('\n')
	return b.Bytes()
}

// details says what enrichment found out about c, on one line: facts,
// then its warning, then its notes (such as the command that undoes a
// delete).
func details(c *change.Change) string {
	var facts []string
	if c.ContentType != "" {
		facts = append(facts, Text(c.ContentType))
	}
	if c.Width > 0 && c.Height > 0 {
		facts = append(facts, strconv.Itoa(c.Width)+"x"+strconv.Itoa(c.Height))
	}
	// Versions matter to people only where something was removed or
	// replaced: they name what to restore or what is gone. The JSON copy
	// has them all.
	if c.HasVersion() {
		switch c.Kind {
		case change.DeletedRecoverable, change.ExpiredRecoverable:
			facts = append(facts, "delete marker "+Text(c.VersionID))
		case change.DeletedPermanently, change.ExpiredPermanently:
			facts = append(facts, "version "+Text(c.VersionID)+" removed")
		}
	}
	if c.PreviousVersionID != "" {
		switch c.Kind {
		case change.DeletedRecoverable, change.ExpiredRecoverable:
			facts = append(facts, "hides version "+Text(c.PreviousVersionID))
		default:
			facts = append(facts, "replaces version "+Text(c.PreviousVersionID))
		}
	}
	parts := make([]string, 0, 2+len(c.Notes))
	if len(facts) > 0 {
		parts = append(parts, strings.Join(facts, ", "))
	}
	if c.Warning != "" {
		parts = append(parts, "warning: "+Text(c.Warning))
	}
	for _, n := range c.Notes {
		parts = append(parts, Text(n))
	}
	return strings.Join(parts, "; ")
}

// text renders the e-mail of shape s.
//
// Its length is bounded: with k notable changes and unreadable inputs, it
// has at most MaxLines + 3k lines, whatever the number of routine changes.
// Every string from an event goes through Text, so nothing adds a line
// break of its own, and the sections count:
//
//   - headline: 2 lines;
//   - notable changes: a blank line and a heading, then per change in
//     full at most 2 lines plus its group's heading (at most one heading
//     per change), per change by key 1 line plus one heading for all of
//     them, and one line for all those counted: at most 2 + 3k;
//   - unreadable inputs: a blank line, a heading, one line per input named
//     and one for the rest: at most 2 + 2p;
//   - routine changes: a blank line and a heading; then either each of at
//     most 40 changes on one line under at most 2 kind headings, or at
//     most 8 folder lines of 2 lines, a heading and 5 changes: at most 44;
//   - footer: 3 lines, and 2 per record, of at most 10: at most 23.
//
// That is 2 + 2 + 2 + 44 + 23 = 73 fixed lines, within MaxLines.
func (d *draft) text(s shape) string {
	var b strings.Builder
	b.WriteString(d.headline)

	if k := d.notable; k > 0 {
		b.WriteString("\nNotable (" + Count(k) + "):\n")
		for i := 0; i < s.full; i++ {
			if i == 0 || !sameGroup(&d.changes[i-1], &d.changes[i]) {
				n := d.groupEnd[i] - i
				b.WriteString("  " + groupLabel(&d.changes[i]) + " (" + Count(n))
				if shown := min(d.groupEnd[i], s.full) - i; shown < n {
					b.WriteString("; " + Count(shown) + " in full")
				}
				b.WriteString(")\n")
			}
			b.Write(d.fullText(i))
		}
		if s.brief > 0 {
			if s.full > 0 {
				b.WriteString("  and " + Count(s.brief) + " more, named by key alone:\n")
			} else {
				b.WriteString("  named by key alone:\n")
			}
			for i := s.full; i < s.full+s.brief; i++ {
				b.Write(d.keyText(i))
			}
		}
		if named := s.full + s.brief; named < k {
			if named > 0 {
				b.WriteString("  and " + Count(k-named) + " more, counted only: ")
			} else {
				b.WriteString("  counted only: ")
			}
			b.WriteString(kindsPhrase(kindCounts(d.changes[named:k])) + "\n")
		}
	}

	if len(d.problems) > 0 {
		b.WriteString("\nCould not be read (" + Count(len(d.problems)) + "):\n")
		for _, pr := range d.problems[:s.problems] {
			b.WriteString("  " + problemText(pr) + "\n")
		}
		if s.problems < len(d.problems) {
			b.WriteString("  and " + Count(len(d.problems)-s.problems) + " more; see the function's log\n")
		}
	}

	b.WriteString(d.routineText(s.level))

	b.WriteString("\n-- \nbucketbell digest. Times are UTC; sizes in binary units (1 KiB = 1,024 bytes).\n")
	for _, r := range d.records {
		b.WriteString("Every change is kept in " + Text(r.URI) + "\n")
		if r.ConsoleURL != "" {
			b.WriteString("  " + Text(r.ConsoleURL) + "\n")
		}
	}
	return b.String()
}

// routineText renders the routine changes at a level of detail: each of
// them when there are at most maxRoutineListed, else the roll-up by
// folder and the first few by key; with less room, the roll-up alone,
// then without keys, then counts per kind.
func (d *draft) routineText(level int) string {
	if p := d.routine[level]; p != nil {
		return *p
	}
	var b strings.Builder
	from, r := d.notable, len(d.changes)-d.notable
	switch {
	case r == 0:
	case level == levelCounts:
		b.WriteString("\nRoutine (" + Count(r) + "): " + routinePhrase(kindCounts(d.changes[from:])) + ".\n")
	case level == levelAll && r <= maxRoutineListed:
		b.WriteString("\nRoutine (" + Count(r) + "):\n")
		col := d.column(from, from+r)
		for _, k := range kindCounts(d.changes[from:]) {
			b.WriteString("  " + label(string(k.Kind)) + " (" + Count(k.Count) + ")\n")
			for i := from; i < len(d.changes); i++ {
				if d.changes[i].Kind == k.Kind {
					b.Write(d.line(i, col, false))
				}
			}
		}
	default:
		b.WriteString("\nRoutine (" + Count(r) + "), by folder:\n")
		for i := range d.folders {
			d.folders[i].write(&b, d, level < levelBare)
		}
		if level == levelAll {
			n := min(r, routineSample)
			b.WriteString("The first " + Count(n) + " of them by key:\n")
			col := d.column(from, from+n)
			for i := from; i < from+n; i++ {
				b.Write(d.line(i, col, false))
			}
		}
	}
	t := b.String()
	d.routine[level] = &t
	return t
}

// column is the key column for changes[from:to]: the widest key up to
// keyColumn.
func (d *draft) column(from, to int) int {
	col := 0
	for i := from; i < to; i++ {
		if w := width(d.key(i)); w <= keyColumn && w > col {
			col = w
		}
	}
	return col
}

func problemText(p change.Problem) string {
	var where []string
	if p.MessageID != "" {
		where = append(where, "message "+Text(p.MessageID))
	}
	if p.Bucket != "" {
		where = append(where, "bucket "+Text(p.Bucket))
	}
	if p.EventName != "" {
		where = append(where, Text(p.EventName))
	}
	s := p.Reason
	if len(where) > 0 {
		s = strings.Join(where, ", ") + ": " + s
	}
	s = Text(s)
	if p.Raw != "" {
		s += "; received " + strconv.Quote(p.Raw)
	}
	return s
}

// label renders a name from an event for the headline or a summary: safe
// on one line, and at most maxLabel characters.
func label(s string) string {
	return clipText(Text(s))
}

// clipText shortens text already made safe by Text to maxLabel
// characters, marking the cut.
func clipText(t string) string {
	if utf8.RuneCountInString(t) <= maxLabel {
		return t
	}
	r := []rune(t)
	return string(r[:maxLabel-3]) + "..."
}
