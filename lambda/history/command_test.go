package history

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bucketbell/bucketbell/lambda/change"
)

// history is a week of an agency's work, as the notifier records it: its
// days, a delete and its undo, a role session, odd keys, a problem, and a
// batch that SQS delivered again regrouped.
func history() []Batch {
	red := upload("shoes/red.png", at("2026-12-01T09:00:00Z"), "m1")
	blue := upload("shoes/blue.png", at("2026-12-01T09:00:01.5Z"), "m2")
	del := change.Change{
		EventName: "ObjectRemoved:DeleteMarkerCreated", Kind: change.DeletedRecoverable, Bucket: "acme-product-images",
		Key: "shoes/red.png", VersionID: "dm-1", Sequencer: "0055C0", Time: at("2026-12-02T14:30:00Z"),
		Principal: "AWS:AROAEXAMPLEROLE:alice@example.com", Actor: "role Editors (session alice@example.com)", MessageID: "m3",
	}
	odd := upload(`it's "odd" $HOME ü.png`, at("2026-12-02T15:00:00Z"), "m4")
	odd.Principal, odd.Actor = del.Principal, del.Actor
	again := upload("shoes/red.png", at("2026-12-03T08:00:00Z"), "m5")
	again.Kind, again.VersionID, again.Sequencer, again.PreviousVersionID = change.Replaced, "v-red-2", "0055D0", "v-shoes/red.png"
	expired := change.Change{
		EventName: "LifecycleExpiration:Delete", Kind: change.ExpiredPermanently, Bucket: "acme-product-images",
		Key: "tmp/old.jpg", VersionID: "v-old", Time: at("2026-12-03T00:10:00Z"), Principal: "s3.amazonaws.com", Actor: "S3 lifecycle", MessageID: "m6",
	}
	return []Batch{
		{DigestID: "aaaa", Changes: []change.Change{red, blue}},
		{DigestID: "bbbb", Changes: []change.Change{del, odd}},
		// m5 came back with m6 after a failed publish: blue again too.
		{DigestID: "cccc", Changes: []change.Change{again, expired, blue},
			Problems: []change.Problem{{MessageID: "m7", Raw: "not JSON", Reason: "message body is not JSON"}},
			Sent:     map[string]time.Time{"m7": at("2026-12-03T09:00:00Z")}},
	}
}

func historyDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	w := &Writer{Bucket: "hist", Client: Dir(dir)}
	for _, b := range history() {
		if _, err := w.Write(context.Background(), b); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func command(out, errOut *bytes.Buffer, s3c S3Client) *Command {
	return &Command{Stdout: out, Stderr: errOut, Now: at("2026-12-04T00:00:00Z"),
		OpenS3: func(context.Context) (S3Client, error) {
			if s3c == nil {
				return nil, errors.New("no credentials")
			}
			return s3c, nil
		}}
}

func TestCommandGolden(t *testing.T) {
	dir := historyDir(t)
	cases := []struct {
		name string
		args []string
	}{
		{"text", nil},
		{"jsonl", []string{"-format", "jsonl"}},
		{"key-timeline", []string{"-key", "shoes/red.png"}},
		{"actor-since-until", []string{"-actor", "role Editors (session alice@example.com)", "-since", "2026-12-02T15:00:00Z", "-until", "1d"}},
		{"odd-key-jsonl", []string{"-key", `it's "odd" $HOME ü.png`, "-format", "jsonl"}},
		{"prefix-kind", []string{"-prefix", "shoes/", "-kind", "uploaded"}},
		{"problems-jsonl", []string{"-kind", "problem", "-format", "jsonl"}},
		{"nothing", []string{"-since", "2h"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := command(&out, &errOut, nil).Run(context.Background(), append([]string{"-source", dir}, tc.args...))
			if code != ExitOK {
				t.Fatalf("exit %d: %s", code, errOut.String())
			}
			got := strings.ReplaceAll(out.String()+"--- stderr\n"+errOut.String(), dir, "<dir>")
			golden := filepath.Join("testdata", "command", tc.name+".txt")
			if *update {
				os.MkdirAll(filepath.Dir(golden), 0o755)
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (go test -update writes it)", err)
			}
			if got != string(want) {
				t.Errorf("output differs from %s (go test -update rewrites it; read the diff first):\n%s", golden, got)
			}
		})
	}
}

func TestCommandReadsS3(t *testing.T) {
	s3c := bucketOf(t, history()...)
	for _, source := range []string{"s3://hist", "s3://hist/", "s3://hist/changes/", "s3://hist/changes"} {
		var out, errOut bytes.Buffer
		code := command(&out, &errOut, s3c).Run(context.Background(), []string{"-source", source, "-format", "jsonl"})
		if code != ExitOK || strings.Count(out.String(), "\n") != 6 {
			t.Errorf("%s: exit %d, %d lines; stderr %s", source, code, strings.Count(out.String(), "\n"), errOut.String())
		}
		want := "history: read 4 records from s3://hist/changes/: 7 changes, 1 problem; showing 6 changes and 1 problem (1 duplicate dropped)\n"
		if errOut.String() != want {
			t.Errorf("%s: stderr %q, want %q", source, errOut.String(), want)
		}
	}
}

func TestCommandErrors(t *testing.T) {
	dir := historyDir(t)
	file := filepath.Join(dir, "file")
	os.WriteFile(file, nil, 0o644)
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no source", nil, ExitUsage, "history: no SOURCE: give SOURCE=s3://<history bucket>/changes/ or SOURCE=<directory of records>"},
		{"missing directory", []string{"-source", filepath.Join(dir, "nope")}, ExitUsage, "history: SOURCE " + filepath.Join(dir, "nope") + ": no such file or directory"},
		{"a file", []string{"-source", file}, ExitUsage, "history: SOURCE " + file + " is not a directory (or an s3:// URI)"},
		{"no bucket", []string{"-source", "s3:///changes/"}, ExitUsage, `history: SOURCE "s3:///changes/" names no bucket: give s3://<history bucket>/changes/`},
		{"no credentials", []string{"-source", "s3://hist/changes/"}, ExitUsage, "history: S3 client: no credentials"},
		{"format", []string{"-source", dir, "-format", "csv"}, ExitUsage, `history: unknown FORMAT "csv" (want text or jsonl)`},
		{"kind", []string{"-source", dir, "-kind", "delete"}, ExitUsage, `history: unknown KIND "delete" (want one of: deleted permanently; expired by lifecycle, permanently deleted;`},
		{"since", []string{"-source", dir, "-since", "last week"}, ExitUsage, `history: SINCE "last week" is not an RFC 3339 time (2026-12-01T10:00:00Z), a date (2026-12-01) or a duration back from now (7d, 12h)`},
		{"until", []string{"-source", dir, "-until", "2026-12-32"}, ExitUsage, `history: UNTIL "2026-12-32" is not an RFC 3339 time`},
		{"until before since", []string{"-source", dir, "-since", "1d", "-until", "2d"}, ExitUsage, "history: UNTIL (2026-12-02T00:00:00Z) is not after SINCE (2026-12-03T00:00:00Z)"},
		{"stray argument", []string{"-source", dir, "KEY=x"}, ExitUsage, `history: unexpected argument "KEY=x": every value goes in a flag`},
		{"unknown flag", []string{"-source", dir, "-colour"}, ExitUsage, "flag provided but not defined: -colour"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := command(&out, &errOut, nil).Run(context.Background(), tc.args)
			if code != tc.code {
				t.Errorf("exit %d, want %d", code, tc.code)
			}
			if out.Len() != 0 {
				t.Errorf("stdout %q", out.String())
			}
			first, _, _ := strings.Cut(errOut.String(), "\n")
			if !strings.HasPrefix(first, tc.want) {
				t.Errorf("stderr %q, want a line starting %q", errOut.String(), tc.want)
			}
			if tc.name != "unknown flag" && strings.Count(errOut.String(), "\n") != 1 {
				t.Errorf("stderr has %d lines, want 1: %q", strings.Count(errOut.String(), "\n"), errOut.String())
			}
		})
	}
}

func TestCommandNamesSkippedObjects(t *testing.T) {
	dir := historyDir(t)
	bad := filepath.Join(dir, "changes", "year=2026", "month=12", "day=02", "broken.jsonl.gz")
	if err := os.WriteFile(bad, []byte("not gzip"), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	if code := command(&out, &errOut, nil).Run(context.Background(), []string{"-source", dir, "-format", "jsonl"}); code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	lines := strings.Split(strings.TrimSpace(errOut.String()), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "history: skipped "+bad+": not gzip") ||
		!strings.Contains(lines[1], "; skipped 1 object;") {
		t.Errorf("stderr %q", errOut.String())
	}
	if strings.Count(out.String(), "\n") != 6 {
		t.Errorf("stdout %q", out.String())
	}
}

func TestCommandReadsARecordDirectoryOrItsChanges(t *testing.T) {
	dir := historyDir(t)
	for _, source := range []string{dir, filepath.Join(dir, "changes")} {
		var out, errOut bytes.Buffer
		if code := command(&out, &errOut, nil).Run(context.Background(), []string{"-source", source, "-format", "jsonl"}); code != ExitOK || strings.Count(out.String(), "\n") != 6 {
			t.Errorf("%s: exit %d, stdout %q, stderr %q", source, code, out.String(), errOut.String())
		}
	}
}
