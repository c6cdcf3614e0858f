package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func write(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const event = `{"Records":[{"eventVersion":"2.1","eventSource":"aws:s3","eventTime":"2026-11-27T10:00:01Z",
"eventName":"ObjectRemoved:DeleteMarkerCreated","userIdentity":{"principalId":"AWS:AIDAEXAMPLEMEDIACO1"},
"requestParameters":{"sourceIPAddress":"203.0.113.10"},
"s3":{"bucket":{"name":"b"},"object":{"key":"old/boot.jpg","versionId":"dm-1","sequencer":"01"}}}]}`

const world = `{"iamUsers":[{"UserName":"mediacouser","UserId":"AIDAEXAMPLEMEDIACO1","Path":"/"}],
"objects":{"b/old/boot.jpg":{"versions":[{"VersionId":"dm-1","IsLatest":true,"DeleteMarker":true},{"VersionId":"v9","Size":2048}]}}}`

func TestContract(t *testing.T) {
	ev := write(t, "event.json", event)
	cases := []struct {
		name      string
		args      []string
		code      int
		publishes int
		last      string // the final line
		stdout    string // in the published message
		stderr    string
	}{
		{name: "plain", args: []string{"-event", ev}, publishes: 1, last: `{"response":null,"error":null}`, stdout: `AWS:AIDAEXAMPLEMEDIACO1`},
		{name: "world names and undoes", args: []string{"-event", ev, "-world", write(t, "w.json", world)}, publishes: 1,
			last: `{"response":null,"error":null}`, stdout: `undo: aws s3api delete-object --bucket b --key old/boot.jpg --version-id dm-1`},
		{name: "failing publish", args: []string{"-event", ev, "-fail", "publish"}, last: `"error":"notifier: publish digest`},
		{name: "missing file", args: []string{"-event", filepath.Join(t.TempDir(), "nope.json")}, code: 1, stderr: "no such file"},
		{name: "not JSON", args: []string{"-event", write(t, "bad.json", "{nope")}, code: 1, stderr: "is not JSON"},
		{name: "JSON but no event", args: []string{"-event", write(t, "other.json", `{"a":1}`)}, last: `"error":"s3event: not an S3 or SQS event`},
		{name: "world not JSON", args: []string{"-event", ev, "-world", write(t, "bw.json", "[")}, code: 1, stderr: "world"},
		{name: "world of the wrong shape", args: []string{"-event", ev, "-world", write(t, "ws.json", `{"iamUsers":"nope"}`)}, last: `"error":"replay: world file: `},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(tc.args, &stdout, &stderr)
			if code != tc.code {
				t.Fatalf("exit %d, want %d; stderr %s", code, tc.code, stderr.String())
			}
			if tc.code != 0 {
				if lines := strings.Count(strings.TrimSpace(stderr.String()), "\n"); lines != 0 || !strings.Contains(stderr.String(), tc.stderr) {
					t.Fatalf("stderr %q, want one line with %q", stderr.String(), tc.stderr)
				}
				return
			}
			lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
			for _, l := range lines {
				if !json.Valid([]byte(l)) {
					t.Fatalf("not a JSON line: %s", l)
				}
			}
			if len(lines)-1 != tc.publishes {
				t.Fatalf("%d publish lines, want %d", len(lines)-1, tc.publishes)
			}
			if last := lines[len(lines)-1]; !strings.Contains(last, tc.last) {
				t.Fatalf("last line %s, want %s", last, tc.last)
			}
			if tc.publishes > 0 {
				var p struct{ Subject, Message, MessageStructure string }
				_ = json.Unmarshal([]byte(lines[0]), &p)
				var env map[string]string
				if err := json.Unmarshal([]byte(p.Message), &env); err != nil || p.MessageStructure != "json" {
					t.Fatalf("publish line %s", lines[0])
				}
				if !strings.Contains(env["email"], tc.stdout) {
					t.Fatalf("e-mail lacks %q:\n%s", tc.stdout, env["email"])
				}
			}
		})
	}
}

// TestArchive: -archive keeps the records the notifier would keep, the
// e-mail names them, stdout keeps its contract, and a replay of the same
// event (a retry) adds nothing.
func TestArchive(t *testing.T) {
	ev := write(t, "event.json", event)
	archive := filepath.Join(t.TempDir(), "archive")
	wantKey := "changes/year=2026/month=11/day=27/20261127T100001.000Z-"
	files := func() []string {
		var out []string
		filepath.WalkDir(archive, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				rel, _ := filepath.Rel(archive, p)
				out = append(out, filepath.ToSlash(rel))
			}
			return nil
		})
		return out
	}
	for attempt := 1; attempt <= 2; attempt++ {
		var stdout, stderr bytes.Buffer
		if code := run([]string{"-event", ev, "-archive", archive}, &stdout, &stderr); code != 0 {
			t.Fatalf("attempt %d: exit %d: %s", attempt, code, stderr.String())
		}
		lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
		if len(lines) != 2 || lines[1] != `{"response":null,"error":null}` {
			t.Fatalf("attempt %d: stdout %s", attempt, stdout.String())
		}
		got := files()
		if len(got) != 1 || !strings.HasPrefix(got[0], wantKey) || !strings.HasSuffix(got[0], ".jsonl.gz") {
			t.Fatalf("attempt %d: files %v, want one %s...", attempt, got, wantKey)
		}
		var p struct{ Message string }
		json.Unmarshal([]byte(lines[0]), &p)
		var env map[string]string
		json.Unmarshal([]byte(p.Message), &env)
		if !strings.Contains(env["email"], "Every change is kept in s3://bucketbell-history/"+got[0]) {
			t.Errorf("attempt %d: the e-mail does not name %s:\n%s", attempt, got[0], env["email"])
		}
	}

	// A record that cannot be written: no publish, the error on the last
	// line, exit 0 as the contract says.
	blocked := filepath.Join(t.TempDir(), "file")
	os.WriteFile(blocked, nil, 0o644)
	var stdout, stderr bytes.Buffer
	if code := run([]string{"-event", ev, "-archive", blocked}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d", code)
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	if len(lines) != 1 || !strings.Contains(lines[0], `"error":"history: put s3://bucketbell-history/changes/`) {
		t.Errorf("stdout %s", stdout.String())
	}
}
