package review

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// MaxMessageBytes is SNS's limit on a message.
const MaxMessageBytes = 262144

// Subject is the e-mail subject: printable ASCII, at most 99 characters, no
// line breaks, e.g. "Access review for mediacouser: 2 findings".
func (r Review) Subject() string {
	verdict := "clean"
	if n := len(r.Findings); n > 0 {
		verdict = strconv.Itoa(n) + " finding" + plural(n)
	}
	user := asciiOnly(r.User.UserName)
	const maxLen = 99
	prefix, suffix := "Access review for ", ": "+verdict
	if room := maxLen - len(prefix) - len(suffix); len(user) > room {
		user = user[:room-3] + "..."
	}
	return prefix + user + suffix
}

// asciiOnly replaces anything but printable ASCII with '?'.
func asciiOnly(s string) string {
	b := []byte(s)
	out := make([]byte, 0, len(b))
	for _, r := range s {
		if r < 0x20 || r > 0x7e {
			r = '?'
		}
		out = append(out, byte(r))
	}
	return string(out)
}

// Text is the e-mail body: the findings with their fixes first, then what
// the user can do, the comparison with the intended policy, the access keys
// and the console. It takes at most half of MaxMessageBytes, leaving room
// for the JSON copy that travels with it.
func (r Review) Text() string { return capText(r.fullText(), MaxMessageBytes/2) }

func (r Review) fullText() string {
	var b strings.Builder
	u := r.User
	line := func(format string, a ...any) { fmt.Fprintf(&b, format+"\n", a...) }
	heading := func(h string) { line("\n%s\n%s", h, strings.Repeat("-", len(h))) }

	line("Access review for %s", u.UserName)
	var ids []string
	if u.UserID != "" {
		ids = append(ids, "user id "+u.UserID)
	}
	if u.Arn != "" {
		ids = append(ids, u.Arn)
	}
	if !u.CreateDate.IsZero() {
		ids = append(ids, "created "+date(u.CreateDate))
	}
	if len(ids) > 0 {
		line("%s", strings.Join(ids, ", "))
	}
	line("Reviewed %s.", stamp(r.Now))
	line("")

	if len(r.Findings) == 0 {
		line("Clean: no findings, nothing to fix.")
	} else {
		line("%d finding%s, each with its fix:", len(r.Findings), plural(len(r.Findings)))
		for i, f := range r.Findings {
			line("")
			line("%d. %s", i+1, f.Title)
			for _, l := range f.Lines {
				line("   %s", l)
			}
		}
	}

	heading("What " + u.UserName + " can do")
	r.writeGrants(line)

	heading("Compared with the intended policy")
	r.writeComparison(line)

	heading("Access keys")
	r.writeKeys(line)

	heading("Console")
	r.writeConsole(line)

	return b.String()
}

func (r Review) writeGrants(line func(string, ...any)) {
	srcs := sources(r.User)
	if len(srcs) == 0 {
		line("Nothing: no policy reaches %s.", r.User.UserName)
		return
	}
	shown := false
	for _, s := range srcs {
		d := s.describe(r.User.UserName)
		line("%s%s:", strings.ToUpper(d[:1]), d[1:])
		switch {
		case s.policy.Err != nil:
			line("  (could not be read: see the findings)")
			continue
		case len(s.policy.Document.Statements) == 0:
			line("  (no statements)")
			continue
		}
		for i, st := range s.policy.Document.Statements {
			shown = true
			verb := "allows"
			if !st.Allow() {
				verb = "denies"
			}
			name := "Statement " + statementName(st.Sid, i+1)
			switch {
			case len(st.Actions) == 0 && !st.NotAction:
				line("  %s %s nothing: it names no action.", name, verb)
				continue
			case st.NotAction:
				line("  %s %s every action except:", name, verb)
			default:
				line("  %s %s:", name, verb)
			}
			for _, a := range st.Actions {
				line("    - %s", actionText(a))
			}
			if st.NotResource {
				line("    on any resource except:")
				for _, res := range st.Resources {
					line("    - %s", resourceText(res))
				}
			} else {
				for _, res := range st.Resources {
					line("    on %s", resourceText(res))
				}
			}
			for _, c := range conditionText(st.Condition) {
				line("    only when %s", c)
			}
		}
	}
	if shown {
		line("An explicit Deny wins over any Allow; anything not allowed is denied.")
	}
}

func (r Review) writeComparison(line func(string, ...any)) {
	if !r.Checked {
		line("Not checked: no intended policy was given.")
		return
	}
	var drift []string
	unreadable := false
	for i, f := range r.Findings {
		switch f.Kind {
		case KindDrift, KindMissingGuardrail:
			drift = append(drift, strconv.Itoa(i+1))
		case KindUnreadablePolicy:
			unreadable = true
		}
	}
	switch {
	case len(drift) > 0:
		line("Differs: see finding%s %s.", plural(len(drift)), joinAnd(drift))
	case unreadable:
		line("Matches as far as the readable policies show; the unreadable ones need a look by hand.")
	default:
		line("Matches: every statement that reaches %s is within the intended policy, and every intended Deny is in place.", r.User.UserName)
	}
	if len(r.Ungranted) > 0 {
		line("Intended but not granted (%s can do less than intended; no risk, but work may fail):", r.User.UserName)
		for _, g := range r.Ungranted {
			line("  - %s", g)
		}
	}
}

func (r Review) writeKeys(line func(string, ...any)) {
	if len(r.User.AccessKeys) == 0 {
		line("No access keys.")
		return
	}
	for _, k := range r.User.AccessKeys {
		created := "created: unknown"
		if !k.CreateDate.IsZero() {
			created = fmt.Sprintf("created %s, %s old", date(k.CreateDate), dayCount(days(k.CreateDate, r.Now)))
		}
		used := "never used"
		if !k.LastUsedDate.IsZero() {
			used = fmt.Sprintf("last used %s (%s)", stamp(k.LastUsedDate), ago(days(k.LastUsedDate, r.Now)))
			if k.LastUsedService != "" {
				used += " with " + k.LastUsedService
			}
		}
		made := "not made by the stack"
		if r.User.StackKey(k) {
			made = "made by the stack"
		}
		line("%-20s  %-8s  %s; %s; %s", k.AccessKeyID, orDefault(k.Status, "Active"), created, used, made)
	}
}

func (r Review) writeConsole(line func(string, ...any)) {
	u := r.User
	switch {
	case u.LoginProfile == nil && u.PasswordLastUsed.IsZero():
		line("Password: none, so no console access.")
	case u.LoginProfile == nil:
		line("Password: none now, so no console access (a password was last used %s).", stamp(u.PasswordLastUsed))
	default:
		var notes []string
		if !u.LoginProfile.CreateDate.IsZero() {
			notes = append(notes, "created "+date(u.LoginProfile.CreateDate))
		}
		if u.LoginProfile.PasswordResetRequired {
			notes = append(notes, "must be changed at next sign-in")
		}
		has := "yes"
		if len(notes) > 0 {
			has += " (" + strings.Join(notes, ", ") + ")"
		}
		used := "never used"
		if !u.PasswordLastUsed.IsZero() {
			used = fmt.Sprintf("last used %s (%s)", stamp(u.PasswordLastUsed), ago(days(u.PasswordLastUsed, r.Now)))
		}
		line("Password: %s, %s.", has, used)
	}
	if len(u.MFADevices) == 0 {
		line("MFA: no device registered.")
		return
	}
	line("MFA: %d device%s registered:", len(u.MFADevices), plural(len(u.MFADevices)))
	for _, m := range u.MFADevices {
		if m.EnableDate.IsZero() {
			line("  - %s", m.SerialNumber)
		} else {
			line("  - %s (enabled %s)", m.SerialNumber, date(m.EnableDate))
		}
	}
}

func date(t time.Time) string  { return t.UTC().Format("2006-01-02") }
func stamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

func ago(n int) string {
	if n == 0 {
		return "less than a day ago"
	}
	return dayCount(n) + " ago"
}

func dayCount(n int) string {
	if n == 1 {
		return "1 day"
	}
	return strconv.Itoa(n) + " days"
}

// capText keeps text within limit bytes, cutting at a line and saying so.
// A review of one user is far smaller unless a policy is huge.
func capText(s string, limit int) string {
	if len(s) <= limit {
		return s
	}
	const note = "\n[The review was cut here to fit SNS's message size limit.]\n"
	cut := strings.LastIndexByte(s[:limit-len(note)], '\n')
	if cut < 0 {
		cut = limit - len(note)
	}
	return strings.ToValidUTF8(s[:cut], "") + note
}
