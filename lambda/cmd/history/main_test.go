package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bucketbell/bucketbell/lambda/change"
	"github.com/bucketbell/bucketbell/lambda/history"
)

// Values no shell or make may touch: quotes of both kinds, spaces, '$'
// references to make and shell variables, command substitutions, glob and
// comment characters, a backslash, unicode.
const (
	nastyKey   = `it's "a" $HOME $(SOURCE) ${PATH} $$ ` + "`id`" + ` ; # * \ ü%.png`
	nastyActor = `O'Brien "the" $(shell echo pwned) & co`
)

// records writes a directory of records: one change with the nasty key by
// the nasty actor, and one plain change.
func records(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	w := &history.Writer{Bucket: "hist", Client: history.Dir(dir)}
	at := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	b := history.Batch{DigestID: "d1", Changes: []change.Change{
		{EventName: "ObjectCreated:Put", Kind: change.Uploaded, Bucket: "b", Key: nastyKey, VersionID: "v1", Time: at, Actor: nastyActor, Principal: "AWS:AIDAX"},
		{EventName: "ObjectCreated:Put", Kind: change.Uploaded, Bucket: "b", Key: "plain.png", VersionID: "v2", Time: at.Add(time.Hour), Actor: "mediacouser", Principal: "AWS:AIDAY"},
	}}
	if _, err := w.Write(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	return dir
}

// cleanEnv is this process's environment without what an enclosing make
// (make test) passes to the makes it starts: its variables would count as
// given on the command line.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if name != "MAKEFLAGS" && name != "MFLAGS" && name != "MAKELEVEL" && name != "MAKEOVERRIDES" {
			env = append(env, kv)
		}
	}
	return env
}

// TestMakeHistoryPassesValuesAsTyped runs make history itself, without a
// shell, with values that a careless recipe would re-quote, split or
// expand.
func TestMakeHistoryPassesValuesAsTyped(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("make is not installed")
	}
	if testing.Short() {
		t.Skip("builds the command through make")
	}
	dir := records(t)
	root, err := filepath.Abs(filepath.Join("..", "..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		vars []string
		keys []string // the keys printed, in order
	}{
		{"key", []string{"KEY=" + nastyKey}, []string{nastyKey}},
		{"actor", []string{"ACTOR=" + nastyActor}, []string{nastyKey}},
		{"prefix", []string{"PREFIX=it's \"a\" $HOME"}, []string{nastyKey}},
		{"no filter", nil, []string{nastyKey, "plain.png"}},
		{"since", []string{"SINCE=2026-12-02T10:30:00Z", "UNTIL=2026-12-03"}, []string{"plain.png"}},
		{"kind", []string{"KIND=deleted, recoverable"}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"-s", "-C", root, "history", "SOURCE=" + dir, "FORMAT=jsonl"}, tc.vars...)
			cmd := exec.Command("make", args...)
			// Environment variables of the same names must not count.
			cmd.Env = append(cleanEnv(), "PREFIX=/usr/local", "KEY=nope", "FORMAT=csv")
			var out, errOut bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &errOut
			if err := cmd.Run(); err != nil {
				t.Fatalf("make %q: %v\n%s", args, err, errOut.String())
			}
			var keys []string
			for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
				if line == "" {
					continue
				}
				var c struct{ Key string }
				if err := json.Unmarshal([]byte(line), &c); err != nil {
					t.Fatalf("line %q: %v", line, err)
				}
				keys = append(keys, c.Key)
			}
			if strings.Join(keys, "\n") != strings.Join(tc.keys, "\n") {
				t.Errorf("keys %q, want %q", keys, tc.keys)
			}
			if !strings.Contains(errOut.String(), "history: read 1 record from ") {
				t.Errorf("stderr %q", errOut.String())
			}
		})
	}
}

func TestMakeHistoryErrors(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("make is not installed")
	}
	if testing.Short() {
		t.Skip("builds the command through make")
	}
	dir := records(t)
	root, _ := filepath.Abs(filepath.Join("..", "..", ".."))
	cases := []struct {
		vars []string
		want string
	}{
		{nil, "history: no SOURCE: "},
		{[]string{"SOURCE=" + dir, "FORMAT=csv"}, `history: unknown FORMAT "csv"`},
		{[]string{"SOURCE=" + dir, "KIND=it's"}, `history: unknown KIND "it's"`},
		{[]string{"SOURCE=" + dir, "SINCE=last $HOME"}, `history: SINCE "last $HOME" is not`},
	}
	for _, tc := range cases {
		cmd := exec.Command("make", append([]string{"-s", "-C", root, "history"}, tc.vars...)...)
		cmd.Env = cleanEnv()
		var errOut bytes.Buffer
		cmd.Stderr = &errOut
		err := cmd.Run()
		if err == nil {
			t.Errorf("%q: exit 0", tc.vars)
		}
		if first, _, _ := strings.Cut(errOut.String(), "\n"); !strings.HasPrefix(first, tc.want) {
			t.Errorf("%q: stderr %q, want a first line starting %q", tc.vars, errOut.String(), tc.want)
		}
	}
}
