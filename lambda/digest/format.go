package digest

import (
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Text renders a string from an event (a key, an actor, a note) so that it
// is safe on one line of a plain-text e-mail: a string with control, format
// or other non-printing characters (CR, LF, tab, bidi overrides, invalid
// UTF-8) is shown Go-quoted with those characters escaped. Printable
// unicode stays as it is. A string with leading or trailing spaces is
// quoted too, so the spaces can be seen.
func Text(s string) string {
	if s == "" {
		return `""`
	}
	if needsQuote(s) {
		return strconv.Quote(s)
	}
	return s
}

func needsQuote(s string) bool {
	if s[0] == ' ' || s[len(s)-1] == ' ' || s[0] == '"' {
		return true
	}
	for _, r := range s {
		if r == utf8.RuneError || (r != ' ' && !unicode.IsPrint(r)) {
			return true
		}
	}
	return false
}

// ASCII reduces s to printable ASCII, for the SNS subject: every other
// character, control characters included, becomes '?'.
func ASCII(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if r >= ' ' && r <= '~' {
			b.WriteRune(r)
		} else {
			b.WriteByte('?')
		}
	}
	return b.String()
}

// Size renders a byte count in binary units: "512 B", "1.2 KiB", "3.0 MiB".
func Size(n int64) string {
	const unit = 1024
	if n < unit {
		return strconv.FormatInt(n, 10) + " B"
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 5; m /= unit {
		div *= unit
		exp++
	}
	v := float64(n) / float64(div)
	return strconv.FormatFloat(v, 'f', 1, 64) + " " + string("KMGTPE"[exp]) + "iB"
}

// Count renders n with thousands separators: 2000 -> "2,000".
func Count(n int) string {
	s := strconv.Itoa(n)
	if n < 0 || len(s) <= 3 {
		return s
	}
	var b strings.Builder
	pre := len(s) % 3
	if pre > 0 {
		b.WriteString(s[:pre])
	}
	for i := pre; i < len(s); i += 3 {
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(s[i : i+3])
	}
	return b.String()
}

// When renders an event time in UTC, to the second.
func When(t time.Time) string {
	if t.IsZero() {
		return "time unknown"
	}
	return t.UTC().Format("2006-01-02 15:04:05") + " UTC"
}

// width is the number of characters s takes on screen, close enough for
// aligning columns of keys.
func width(s string) int {
	w := 0
	for _, r := range s {
		w++
		if wide(r) {
			w++
		}
	}
	return w
}

// wide reports East Asian characters that terminals and mail readers
// draw two columns wide.
func wide(r rune) bool {
	return r >= 0x1100 && (unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul) ||
		(r >= 0xFF00 && r <= 0xFF60) || (r >= 0xFFE0 && r <= 0xFFE6))
}

// span renders the time span from first to last: "at T", or "from T1 to
// T2", naming the date once when both fall on the same day; "" when there
// is no time.
func span(first, last time.Time) string {
	switch {
	case first.IsZero():
		return ""
	case first.Equal(last):
		return "at " + When(first)
	}
	f, l := first.UTC(), last.UTC()
	if f.Format(time.DateOnly) == l.Format(time.DateOnly) {
		return "from " + f.Format("2006-01-02 15:04:05") + " to " + l.Format("15:04:05") + " UTC"
	}
	return "from " + When(f) + " to " + When(l)
}
