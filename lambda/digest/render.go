package digest

import (
	"bytes"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/bucketbell/bucketbell/lambda/change"
)

const (
	// keyColumn is the widest key that stays aligned with the other
	// columns; a longer key gets its details on the next line.
	keyColumn = 60
	// maxSummaryActors bounds the per-actor summary of unlisted changes;
	// further actors are added up in one line.
	maxSummaryActors = 20
	// maxWarnings bounds the warnings repeated at the top of the e-mail.
	maxWarnings = 20
	// maxPhraseKinds bounds the kinds one summary line names; the rest are
	// added up, so that no input (thousands of unknown event names, say)
	// makes a line grow without bound.
	maxPhraseKinds = 10
	// maxBucketsNamed bounds the buckets the first line names.
	maxBucketsNamed = 10
	// maxLabel bounds, in characters, an actor or bucket name in the
	// header and the summary; listed changes show them whole.
	maxLabel = 200
)

// subject says how many of what, where, and by whom when that is one actor:
// "mediacouser: 3 uploaded, 1 deleted in acme-product-images". It is
// printable ASCII of at most 99 characters.
func subject(d *draft) string {
	var prefix, suffix string
	if as := actors(d.counts); len(as) == 1 {
		prefix = clip(ASCII(as[0]), 40) + ": "
	} else if len(as) > 1 {
		suffix = " by " + Count(len(as)) + " actors"
	}
	switch len(d.buckets) {
	case 0:
	case 1:
		suffix = " in " + clip(ASCII(d.buckets[0]), 63) + suffix
	default:
		suffix = " in " + Count(len(d.buckets)) + " buckets" + suffix
	}
	// Count by the subject's word: several kinds share one ("other").
	type part struct {
		word string
		n    int
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
	// Drop trailing parts into "+N more" until the subject fits.
	total := len(d.changes) + len(d.problems)
	for k := len(parts); k >= 1; k-- {
		var b strings.Builder
		shown := 0
		for i, p := range parts[:k] {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(Count(p.n) + " " + p.word)
			shown += p.n
		}
		if k < len(parts) {
			b.WriteString(", +" + Count(total-shown) + " more")
		}
		if s := prefix + b.String() + suffix; len(s) <= maxSubject {
			return s
		}
	}
	word := " changes"
	if total == 1 {
		word = " change"
	}
	return clip(prefix+Count(total)+word+suffix, maxSubject)
}

// clip shortens an ASCII string to n characters, marking the cut.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-3] + "..."
}

// renderLines renders each change's lines once. Keys share one column
// across the digest, so sizes, times and addresses line up.
func renderLines(cs []change.Change) [][]byte {
	multiBucket := false
	for i := range cs {
		if cs[i].Bucket != cs[0].Bucket {
			multiBucket = true
			break
		}
	}
	keys := make([]string, len(cs))
	col := 0
	for i := range cs {
		k := Text(cs[i].Key)
		if multiBucket {
			k = "s3://" + Text(cs[i].Bucket) + "/" + k
		}
		keys[i] = k
		if w := width(k); w <= keyColumn && w > col {
			col = w
		}
	}
	lines := make([][]byte, len(cs))
	for i := range cs {
		lines[i] = line(&cs[i], keys[i], col)
	}
	return lines
}

// line renders one change: key, size, time and source IP, then its
// details. Every line is indented, so nothing from a key starts a line.
func line(c *change.Change, key string, col int) []byte {
	var b bytes.Buffer
	b.WriteString("    ")
	b.WriteString(key)
	if w := width(key); w <= col {
		b.WriteString(strings.Repeat(" ", col-w))
	} else {
		b.WriteString("\n    ")
		b.WriteString(strings.Repeat(" ", col))
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
	if c.SourceIP != "" {
		b.WriteString("from " + Text(c.SourceIP))
	} else {
		b.WriteString("from -")
	}
	b.WriteByte('\n')
	var facts []string
	if c.ContentType != "" {
		facts = append(facts, Text(c.ContentType))
	}
	if c.Width > 0 && c.Height > 0 {
		facts = append(facts, strconv.Itoa(c.Width)+"x"+strconv.Itoa(c.Height))
	}
	// Versions matter to people only where something was removed: they
	// name what to restore or what is gone. The JSON copy has them all.
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
	if len(facts) > 0 {
		b.WriteString("      " + strings.Join(facts, ", ") + "\n")
	}
	if c.Warning != "" {
		b.WriteString("      warning: " + Text(c.Warning) + "\n")
	}
	for _, n := range c.Notes {
		b.WriteString("      " + Text(n) + "\n")
	}
	return b.Bytes()
}

// text renders the e-mail listing the first n changes and p problems.
func (d *draft) text(n, p int) string {
	var b strings.Builder
	total := len(d.changes)
	switch {
	case total == 0:
		b.WriteString(Count(len(d.problems)) + " unreadable")
	case total == 1:
		b.WriteString("1 change")
	default:
		b.WriteString(Count(total) + " changes")
	}
	switch {
	case len(d.buckets) > maxBucketsNamed:
		b.WriteString(" in " + Count(len(d.buckets)) + " buckets")
	case len(d.buckets) > 0:
		b.WriteString(" in ")
		for i, bk := range d.buckets {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(label(bk))
		}
	}
	switch {
	case d.first.IsZero():
	case d.first.Equal(d.last):
		b.WriteString(", at " + When(d.first))
	default:
		b.WriteString(", from " + When(d.first) + " to " + When(d.last))
	}
	if len(d.problems) > 0 && total > 0 {
		b.WriteString(", and " + Count(len(d.problems)) + " unreadable")
	}
	b.WriteString(".\n")

	if d.warnings > 0 {
		b.WriteString("\n")
		shown := 0
		for i := range d.changes {
			c := &d.changes[i]
			if c.Warning == "" {
				continue
			}
			if shown == maxWarnings {
				b.WriteString("warning: and " + Count(d.warnings-shown) + " more files with warnings, listed below or counted in the summary\n")
				break
			}
			b.WriteString("warning: " + Text(c.Warning) + "\n")
			shown++
		}
	}

	// The listed changes, grouped by actor, then kind.
	ci := 0 // index into counts of the group of change i
	seen := 0
	for i := 0; i < n; i++ {
		c := &d.changes[i]
		for seen+d.counts[ci].Count <= i {
			seen += d.counts[ci].Count
			ci++
		}
		if i == seen { // first change of a group
			if ci == 0 || d.counts[ci-1].Actor != c.Actor {
				b.WriteString(actorLine(c.Actor, c.Principal))
			}
			g := d.counts[ci]
			b.WriteString("  " + Text(string(g.Kind)) + " (" + Count(g.Count))
			if listed := min(n-seen, g.Count); listed < g.Count {
				b.WriteString("; " + Count(listed) + " listed")
			}
			b.WriteString(")\n")
		}
		b.Write(d.lines[i])
	}

	if n < total {
		b.WriteString("\nNot listed above: " + Count(total-n) + " of " + Count(total) + " changes.\n")
		d.writeSummary(&b, n)
	}

	if len(d.problems) > 0 {
		b.WriteString("\nCould not be read (" + Count(len(d.problems)) + "):\n")
		for _, pr := range d.problems[:p] {
			b.WriteString("  " + problemText(pr) + "\n")
		}
		if p < len(d.problems) {
			b.WriteString("  and " + Count(len(d.problems)-p) + " more; see the function's log\n")
		}
	}
	b.WriteString("\n-- \nbucketbell digest. Times are UTC; sizes in binary units (1 KiB = 1,024 bytes).\n")
	for _, r := range d.records {
		b.WriteString("Every change is kept in " + Text(r.URI) + "\n")
		if r.ConsoleURL != "" {
			b.WriteString("  " + Text(r.ConsoleURL) + "\n")
		}
	}
	return b.String()
}

// writeSummary counts the changes from n on, per actor and kind, or per
// kind only in a minimal digest.
func (d *draft) writeSummary(b *strings.Builder, n int) {
	rest := restCounts(d.counts, n)
	if d.minimal {
		b.WriteString("  by " + Count(len(actors(rest))) + " actors: " + kindsPhrase(byKind(rest)) + "\n")
		return
	}
	var actorsRest [][]count // per actor, in order
	for _, c := range rest {
		if k := len(actorsRest); k > 0 && actorsRest[k-1][0].Actor == c.Actor {
			actorsRest[k-1] = append(actorsRest[k-1], c)
		} else {
			actorsRest = append(actorsRest, []count{c})
		}
	}
	// Show the actors with most unlisted changes; add up the others.
	sort.SliceStable(actorsRest, func(i, j int) bool { return sum(actorsRest[i]) > sum(actorsRest[j]) })
	for i, cs := range actorsRest {
		if i == maxSummaryActors {
			var others []count
			for _, more := range actorsRest[i:] {
				others = append(others, more...)
			}
			b.WriteString("  " + Count(len(actorsRest)-i) + " other actors: " + kindsPhrase(byKind(others)) + "\n")
			break
		}
		b.WriteString("  " + label(cs[0].Actor) + ": " + kindsPhrase(cs) + "\n")
	}
}

// restCounts returns counts per actor and kind of the changes from n on.
func restCounts(counts []count, n int) []count {
	var rest []count
	seen := 0
	for _, c := range counts {
		end := seen + c.Count
		if end > n {
			r := c
			r.Count = min(end-n, c.Count)
			rest = append(rest, r)
		}
		seen = end
	}
	return rest
}

func sum(cs []count) int {
	t := 0
	for _, c := range cs {
		t += c.Count
	}
	return t
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

// actorLine starts an actor's section; it names the raw principal too when
// enrichment gave the actor a name.
func actorLine(actor, principal string) string {
	s := "\n" + Text(actor)
	id, _, _ := strings.Cut(strings.TrimPrefix(principal, "AWS:"), ":")
	if principal != actor && !strings.Contains(actor, id) {
		s += " (" + Text(principal) + ")"
	}
	return s + "\n"
}

// label renders a name from an event for the header or the summary: safe
// on one line, and at most maxLabel characters.
func label(s string) string {
	t := Text(s)
	if utf8.RuneCountInString(t) <= maxLabel {
		return t
	}
	r := []rune(t)
	return string(r[:maxLabel-3]) + "..."
}
