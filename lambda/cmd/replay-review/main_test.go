package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRunContract holds replay-review to the contract make replay-review
// documents: one JSON line per Publish, then {"response":...,"error":...};
// exit 0 unless the file cannot be read or is not JSON.
func TestRunContract(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name         string
		args         []string
		wantCode     int
		wantPublish  int
		wantError    bool     // the final line carries an error
		wantFindings []string // in the final line's response
		wantStderr   string
	}{
		{name: "review published", args: []string{"-world", "testdata/no-mfa-old-key.json"},
			wantPublish: 1, wantFindings: []string{"drift", "console-without-mfa", "old-key"}},
		{name: "publish fails", args: []string{"-world", "testdata/no-mfa-old-key.json", "-fail", "publish"},
			wantError: true, wantFindings: []string{"drift", "console-without-mfa", "old-key"}},
		{name: "empty world is a clean review", args: []string{"-world", write("empty.json", "{}")}, wantPublish: 1, wantFindings: []string{}},
		{name: "broad AWS policies attached by name or ARN alone", args: []string{"-world", write("byname.json",
			`{"intended":{"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}},
			  "user":{"InlinePolicies":[{"PolicyName":"stack","Document":{"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}}],
			          "AttachedPolicies":[{"PolicyName":"AdministratorAccess"},{"PolicyArn":"arn:aws:iam::aws:policy/AmazonS3FullAccess"},{"PolicyName":"mystery"}]}}`)},
			wantPublish: 1, wantFindings: []string{"drift", "drift", "unreadable-policy"}},
		{name: "a key the stack did not make", args: []string{"-world", write("handmade.json",
			`{"stackAccessKeyId":"AKIAEXAMPLEKEY000001","user":{"AccessKeys":[{"AccessKeyId":"AKIAEXAMPLEKEY000001"},{"AccessKeyId":"AKIAEXAMPLEKEY000002"}]}}`)},
			wantPublish: 1, wantFindings: []string{"unintended-key"}},
		{name: "JSON of the wrong shape", args: []string{"-world", write("shape.json", `{"user":"mediacouser"}`)}, wantError: true},
		{name: "bad intended policy", args: []string{"-world", write("intended.json", `{"intended":"not a policy"}`)}, wantError: true},
		{name: "missing file", args: []string{"-world", filepath.Join(dir, "nope.json")}, wantCode: 1, wantStderr: "replay-review: "},
		{name: "not JSON", args: []string{"-world", write("bad.json", "{not json")}, wantCode: 1, wantStderr: "not JSON"},
		{name: "no world", args: nil, wantCode: 2, wantStderr: "usage"},
		{name: "unknown failure", args: []string{"-world", "x", "-fail", "iam"}, wantCode: 2, wantStderr: "usage"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(tt.args, &stdout, &stderr)
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d; stderr: %s", code, tt.wantCode, stderr.String())
			}
			if code != 0 {
				if stdout.Len() != 0 {
					t.Errorf("stdout on failure: %q", stdout.String())
				}
				if lines := strings.Split(strings.TrimSpace(stderr.String()), "\n"); !strings.Contains(stderr.String(), tt.wantStderr) || (code == 1 && len(lines) != 1) {
					t.Errorf("stderr = %q, want one line with %q", stderr.String(), tt.wantStderr)
				}
				return
			}
			lines := strings.Split(strings.TrimSuffix(stdout.String(), "\n"), "\n")
			if len(lines) != tt.wantPublish+1 {
				t.Fatalf("%d lines, want %d:\n%s", len(lines), tt.wantPublish+1, stdout.String())
			}
			for _, l := range lines[:tt.wantPublish] {
				var p map[string]*string
				if err := json.Unmarshal([]byte(l), &p); err != nil {
					t.Fatalf("publish line %q: %v", l, err)
				}
				for _, k := range []string{"subject", "message", "messageStructure"} {
					if _, ok := p[k]; !ok {
						t.Errorf("publish line lacks %q: %s", k, l)
					}
				}
				if p["subject"] == nil || !strings.HasPrefix(*p["subject"], "Access review for mediacouser: ") || len(*p["subject"]) > 99 {
					t.Errorf("subject = %v", p["subject"])
				}
			}
			var last struct {
				Response *struct {
					Findings []string `json:"findings"`
				} `json:"response"`
				Error *string `json:"error"`
			}
			if err := json.Unmarshal([]byte(lines[len(lines)-1]), &last); err != nil {
				t.Fatalf("final line %q: %v", lines[len(lines)-1], err)
			}
			if (last.Error != nil) != tt.wantError {
				t.Errorf("final line error = %v, want one: %v", last.Error, tt.wantError)
			}
			if tt.wantFindings != nil {
				if last.Response == nil || strings.Join(last.Response.Findings, ",") != strings.Join(tt.wantFindings, ",") {
					t.Errorf("response = %s, want findings %v", lines[len(lines)-1], tt.wantFindings)
				}
			}
		})
	}
}
