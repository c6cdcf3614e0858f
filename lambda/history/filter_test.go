package history

import (
	"strings"
	"testing"
	"time"

	"github.com/bucketbell/bucketbell/lambda/change"
	"github.com/bucketbell/bucketbell/lambda/digest"
)

func TestParseTime(t *testing.T) {
	now := at("2026-12-10T12:00:00Z")
	cases := []struct {
		in, want string
	}{
		{"2026-12-01T10:00:00Z", "2026-12-01T10:00:00Z"},
		{"2026-12-01T10:00:00.250+02:00", "2026-12-01T08:00:00.25Z"},
		{"2026-12-01", "2026-12-01T00:00:00Z"},
		{"7d", "2026-12-03T12:00:00Z"},
		{"12h", "2026-12-10T00:00:00Z"},
		{"1d12h30m", "2026-12-08T23:30:00Z"},
		{"2w", "2026-11-26T12:00:00Z"},
		{"90s", "2026-12-10T11:58:30Z"},
		{"0d", "2026-12-10T12:00:00Z"},
	}
	for _, tc := range cases {
		got, err := ParseTime(tc.in, now)
		if err != nil || got.Format(time.RFC3339Nano) != tc.want {
			t.Errorf("ParseTime(%q) = %v, %v; want %s", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "yesterday", "7", "d", "7x", "-7d", "7d ", "2026-13-01", "2026-12-01 10:00", "1.5d", "9999999d"} {
		if _, err := ParseTime(bad, now); err == nil || strings.Contains(err.Error(), "\n") {
			t.Errorf("ParseTime(%q): %v, want a one-line error", bad, err)
		}
	}
}

func TestParseKind(t *testing.T) {
	cases := []struct{ in, want string }{
		{"uploaded", "uploaded"},
		{"deleted, recoverable", "deleted, recoverable"},
		{"deleted", "deleted, recoverable"},
		{"Deleted Permanently", "deleted permanently"},
		{"copied", "copied in"},
		{"replaced", "replaced"},
		{"tagged", "tags changed"},
		{"problem", KindProblem},
		{"unrecognised", Unrecognised},
		{"unrecognised event ObjectCreated:Teleport", "unrecognised event ObjectCreated:Teleport"},
	}
	for _, tc := range cases {
		if got, err := ParseKind(tc.in); err != nil || got != tc.want {
			t.Errorf("ParseKind(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	_, err := ParseKind("delete")
	if err == nil || !strings.HasPrefix(err.Error(), `unknown KIND "delete" (want one of: deleted permanently; expired by lifecycle, permanently deleted; lost from Reduced Redundancy storage;`) ||
		!strings.HasSuffix(err.Error(), "; unrecognised; problem)") {
		t.Errorf("error %v", err)
	}
	// Every kind the e-mail knows can be asked for.
	for _, name := range change.EventNames() {
		k := change.KindOf(name)
		if got, err := ParseKind(string(k)); err != nil || got != string(k) {
			t.Errorf("kind %q: %q, %v", k, got, err)
		}
	}
}

func TestFilterMatch(t *testing.T) {
	item := func(key, actor string, kind change.Kind, when string) *Item {
		c := upload(key, at(when), "m")
		c.Actor, c.Kind = actor, kind
		return &Item{Line: Line{Entry: digest.NewEntry(&c)}, At: at(when), Timed: true}
	}
	red := item("shoes/red.png", "role Editors (session alice@example.com)", change.DeletedRecoverable, "2026-12-02T10:00:00Z")
	unknown := item("x", "mediacouser", change.KindOf("ObjectCreated:Teleport"), "2026-12-02T10:00:00Z")
	problem := &Item{Line: Line{Problem: &Problem{Reason: "r"}}, At: at("2026-12-02T10:00:00Z"), Timed: true}
	cases := []struct {
		name string
		f    Filter
		it   *Item
		want bool
	}{
		{"nothing", Filter{}, red, true},
		{"since, inclusive", Filter{Since: at("2026-12-02T10:00:00Z")}, red, true},
		{"until, exclusive", Filter{Until: at("2026-12-02T10:00:00Z")}, red, false},
		{"until after", Filter{Until: at("2026-12-02T10:00:00.001Z")}, red, true},
		{"actor name", Filter{Actor: "role Editors (session alice@example.com)"}, red, true},
		{"actor principal", Filter{Actor: "AWS:AIDAEXAMPLEMEDIACO1"}, red, true},
		{"actor part", Filter{Actor: "alice@example.com"}, red, false},
		{"key exact", Filter{Key: "shoes/red.png"}, red, true},
		{"key is not a prefix", Filter{Key: "shoes/red"}, red, false},
		{"prefix", Filter{Prefix: "shoes/"}, red, true},
		{"other prefix", Filter{Prefix: "hats/"}, red, false},
		{"kind", Filter{Kind: "deleted, recoverable"}, red, true},
		{"other kind", Filter{Kind: "uploaded"}, red, false},
		{"unrecognised", Filter{Kind: Unrecognised}, unknown, true},
		{"unrecognised, known kind", Filter{Kind: Unrecognised}, red, false},
		{"problem kind, change", Filter{Kind: KindProblem}, red, false},
		{"problem, no filter", Filter{}, problem, true},
		{"problem, kind problem", Filter{Kind: KindProblem}, problem, true},
		{"problem, key filter", Filter{Key: "shoes/red.png"}, problem, false},
		{"problem, actor filter", Filter{Actor: "x"}, problem, false},
		{"problem, out of time", Filter{Since: at("2026-12-03T00:00:00Z"), Kind: KindProblem}, problem, false},
	}
	for _, tc := range cases {
		if got := tc.f.Match(tc.it); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}
