//go:build e2e

package local

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/bucketbell/bucketbell/lambda/history"
)

// adminKey is changed by MinIO's administrator, not the agency, at the end
// of the run: ACTOR= must tell the two apart, and KEY= must find a key with
// a quote, double quotes, a space and accents, passed through make as
// typed.
const adminKey = `notes/l'été 2027 "final".txt`

// historyLine is a change as make history FORMAT=jsonl prints it; only
// the fields the test reads.
type historyLine struct {
	Bucket    string `json:"bucket"`
	Key       string `json:"key"`
	Kind      string `json:"kind"`
	EventName string `json:"eventName"`
	Actor     string `json:"actor"`
	Time      string `json:"time"`
	VersionID string `json:"versionId"`
	Size      *int64 `json:"size"`
	DigestID  string `json:"digestId"`
	Record    string `json:"record"`
}

// id names a change in failure messages.
func (l historyLine) id() string { return l.Key + " " + l.Kind + " " + l.VersionID }

// testHistory runs make history against the history bucket in MinIO, as
// an administrator would, and checks that it returns exactly the changes
// the run made, each once: the agency's commands, the 500 bulk uploads and
// the uploads of the SNS outage, whose failed attempt wrote its record
// before the publish failed and whose failedItems messages came back in
// another batch. Then KEY= and ACTOR= on the same records.
func testHistory(t *testing.T, ctx context.Context, stack *Stack, failedItems int) {
	waitDrained(t, ctx, stack)
	since := time.Now()
	if err := stack.minio.put(ctx, stack.Bucket, adminKey, []byte("a note by the administrator\n")); err != nil {
		t.Fatal(err)
	}
	waitForChanges(t, ctx, stack, since, 1, time.Minute)
	waitDrained(t, ctx, stack)

	// What the run did, key by key, in order.
	want := map[string][]string{
		"new-image.jpg":     {"uploaded", "replaced"},
		"old-image.jpg":     {"deleted, recoverable"},
		"lookbook-2027.bin": {"uploaded"},
		adminKey:            {"uploaded"},
		lateKey:             {"uploaded"},
	}
	for _, k := range append(bulkKeys(), outageKeys()...) {
		want[k] = []string{"uploaded"}
	}
	total := 0
	for _, kinds := range want {
		total += len(kinds)
	}
	// And what the image bucket holds: every version and delete marker is
	// one change, but for the seed's version, put before notifications.
	versions := imageVersions(t, ctx, stack)
	seed := versions["old-image.jpg"]
	if len(seed) != 2 || !seed[0].deleteMarker {
		t.Fatalf("old-image.jpg has versions %+v, want its seed version and then a delete marker", seed)
	}
	versions["old-image.jpg"] = seed[:1]

	start := time.Now()
	all, sum := makeHistory(t, ctx, stack, "FORMAT=jsonl")
	t.Logf("make history FORMAT=jsonl: %d lines in %v; %s", len(all), time.Since(start).Round(time.Millisecond), sum.line)

	// Each change once, with its kind, in order, by the right actor.
	got := map[string][]string{}
	byVersion := map[string]historyLine{}
	var adminLine historyLine
	for _, l := range all {
		got[l.Key] = append(got[l.Key], l.Kind)
		if prev, dup := byVersion[l.VersionID]; dup || l.VersionID == "" {
			t.Errorf("version %q is shown twice or has no id: %s and %s", l.VersionID, prev.id(), l.id())
		}
		byVersion[l.VersionID] = l
		if l.Bucket != stack.Bucket {
			t.Errorf("%s: bucket %q, want %s", l.id(), l.Bucket, stack.Bucket)
		}
		switch {
		case l.Key == adminKey:
			adminLine = l
		case l.Actor != "mediacouser":
			t.Errorf("%s: actor %q, want mediacouser", l.id(), l.Actor)
		}
	}
	if len(all) != total || !reflect.DeepEqual(got, want) {
		var missing, extra []string
		for k, kinds := range want {
			if !reflect.DeepEqual(got[k], kinds) {
				missing = append(missing, k+": "+strings.Join(kinds, ", ")+" (history: "+strings.Join(got[k], ", ")+")")
			}
		}
		for k := range got {
			if _, ok := want[k]; !ok {
				extra = append(extra, k)
			}
		}
		sort.Strings(missing)
		sort.Strings(extra)
		t.Errorf("make history shows %d changes, want %d; differ: %.20q; not made by the run: %.20q", len(all), total, missing, extra)
	}
	for key, vs := range versions {
		for _, v := range vs {
			l, ok := byVersion[v.id]
			switch {
			case !ok:
				t.Errorf("%s version %s (delete marker %v) is not in the history", key, v.id, v.deleteMarker)
			case l.Key != key || (l.Kind == "deleted, recoverable") != v.deleteMarker:
				t.Errorf("version %s of %s (delete marker %v) is shown as %s", v.id, key, v.deleteMarker, l.id())
			}
			delete(byVersion, v.id)
		}
	}
	for _, l := range byVersion {
		t.Errorf("%s is in the history but not in the bucket", l.id())
	}

	// The counts on stderr: every record object read, no problem, each
	// change shown once; the lines that the outage's regrouped retry
	// repeated, dropped: at least one, at most one per failed delivery.
	records := historyObjects(t, ctx, stack)
	if sum.records != len(records) || sum.problems != 0 || sum.shown != total || sum.shown != len(all) ||
		sum.changes != sum.shown+sum.duplicates {
		t.Errorf("summary %q: want %d records, %d changes shown, no problems, and changes read = shown + duplicates", sum.line, len(records), total)
	}
	if sum.duplicates < 1 || sum.duplicates > failedItems {
		t.Errorf("summary %q: %d duplicates dropped, want between 1 and the %d failed deliveries of the outage", sum.line, sum.duplicates, failedItems)
	}
	// A retried batch writes the same key, conditionally: no record has a
	// second version.
	seen := map[string]bool{}
	for _, r := range records {
		if seen[r.key] || r.deleteMarker {
			t.Errorf("record %s has more than one version, or a delete marker: a retry added a version", r.key)
		}
		seen[r.key] = true
	}

	// The notifier may create records, and do nothing else there.
	notifier := s3Client(stack.S3Endpoint, notifierUser, notifierSecret)
	h := aws.String(stack.HistoryBucket)
	_, err := notifier.GetObject(ctx, &s3.GetObjectInput{Bucket: h, Key: aws.String(records[0].key)})
	notifierDenied(t, "read a record", err)
	_, err = notifier.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: h})
	notifierDenied(t, "list the records", err)
	_, err = notifier.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: h, Key: aws.String(records[0].key)})
	notifierDenied(t, "delete a record", err)
	_, err = notifier.PutObject(ctx, &s3.PutObjectInput{Bucket: h, Key: aws.String("elsewhere/x.jsonl.gz"), Body: strings.NewReader("x"), IfNoneMatch: aws.String("*")})
	notifierDenied(t, "write outside "+history.Prefix, err)
	if after := historyObjects(t, ctx, stack); !reflect.DeepEqual(after, records) {
		t.Errorf("the history bucket changed under the notifier's denied requests")
	}

	// ACTOR=: the agency's changes, then the administrator's.
	if adminLine.Actor == "" || adminLine.Actor == "mediacouser" {
		t.Fatalf("the administrator's change is shown with actor %q", adminLine.Actor)
	}
	agency, sumAgency := makeHistory(t, ctx, stack, "FORMAT=jsonl", "ACTOR=mediacouser")
	if wantAgency := without(all, adminKey); !reflect.DeepEqual(agency, wantAgency) || sumAgency.shown != len(wantAgency) {
		t.Errorf("ACTOR=mediacouser shows %d changes (%s), want the %d of the agency", len(agency), sumAgency.line, len(wantAgency))
	}
	admin, _ := makeHistory(t, ctx, stack, "FORMAT=jsonl", "ACTOR="+adminLine.Actor)
	if !reflect.DeepEqual(admin, []historyLine{adminLine}) {
		t.Errorf("ACTOR=%s shows %+v, want only the change of %s", adminLine.Actor, admin, adminKey)
	}

	// KEY=: one key's whole timeline, in order.
	timeline, _ := makeHistory(t, ctx, stack, "FORMAT=jsonl", "KEY=new-image.jpg")
	if wantTimeline := only(all, "new-image.jpg"); len(timeline) != 2 || !reflect.DeepEqual(timeline, wantTimeline) {
		t.Errorf("KEY=new-image.jpg shows %+v, want %+v", timeline, wantTimeline)
	} else if latest := versions["new-image.jpg"][0]; timeline[1].Kind != "replaced" || timeline[1].VersionID != latest.id {
		t.Errorf("KEY=new-image.jpg ends with %s, want the replacement %s", timeline[1].id(), latest.id)
	}
	odd, _ := makeHistory(t, ctx, stack, "FORMAT=jsonl", "KEY="+adminKey)
	if !reflect.DeepEqual(odd, []historyLine{adminLine}) {
		t.Errorf("KEY=%s shows %+v, want %+v", adminKey, odd, adminLine)
	}

	// The table, with the command that undoes the delete.
	text, _ := makeHistoryText(t, ctx, stack, "KEY=old-image.jpg")
	marker := only(all, "old-image.jpg")[0].VersionID
	undo := "undo: aws s3api delete-object --bucket " + stack.Bucket + " --key old-image.jpg --version-id " + marker
	if !strings.Contains(text, "deleted, recoverable") || !strings.Contains(text, undo) || strings.Count(text, "old-image.jpg") != 2 {
		t.Errorf("make history KEY=old-image.jpg prints\n%s\nwant the delete and %q", text, undo)
	}
	t.Logf("make history KEY=old-image.jpg:\n%s", text)
}

// without returns the lines whose key is not key.
func without(lines []historyLine, key string) []historyLine {
	var out []historyLine
	for _, l := range lines {
		if l.Key != key {
			out = append(out, l)
		}
	}
	return out
}

// only returns the lines whose key is key.
func only(lines []historyLine, key string) []historyLine {
	var out []historyLine
	for _, l := range lines {
		if l.Key == key {
			out = append(out, l)
		}
	}
	return out
}

// historySummary is the last line make history writes to stderr.
type historySummary struct {
	line                                          string
	records, changes, problems, shown, duplicates int
}

var summaryRE = regexp.MustCompile(`^history: read ([\d,]+) records? from \S+: ([\d,]+) changes?, ([\d,]+) problems?; showing ([\d,]+) changes? and [\d,]+ problems?(?: \(([\d,]+) duplicates? dropped\))?$`)

// makeHistory runs make history SOURCE=<the history bucket> with args, as
// make's command line, and returns the JSON lines it prints and the
// summary on stderr.
func makeHistory(t *testing.T, ctx context.Context, stack *Stack, args ...string) ([]historyLine, historySummary) {
	t.Helper()
	stdout, sum := runMakeHistory(t, ctx, stack, args...)
	var lines []historyLine
	sc := bufio.NewScanner(strings.NewReader(stdout))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var l historyLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("make history %s printed a line that is not JSON: %v\n%s", strings.Join(args, " "), err, sc.Text())
		}
		lines = append(lines, l)
	}
	return lines, sum
}

// makeHistoryText runs make history in its default format.
func makeHistoryText(t *testing.T, ctx context.Context, stack *Stack, args ...string) (string, historySummary) {
	t.Helper()
	return runMakeHistory(t, ctx, stack, args...)
}

func runMakeHistory(t *testing.T, ctx context.Context, stack *Stack, args ...string) (string, historySummary) {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "Makefile")); err != nil {
		t.Fatalf("the repository's Makefile: %v", err)
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "make", append([]string{"--no-print-directory", "-s", "history", "SOURCE=" + stack.HistorySource()}, args...)...)
	cmd.Dir = root
	cmd.Env = append(administratorEnv(), stack.HistoryEnv()...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("make history %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	last := strings.TrimSpace(stderr.String())
	if i := strings.LastIndexByte(last, '\n'); i >= 0 {
		last = last[i+1:]
	}
	m := summaryRE.FindStringSubmatch(last)
	if m == nil {
		t.Fatalf("make history %s: no summary on stderr:\n%s", strings.Join(args, " "), stderr.String())
	}
	n := func(s string) int {
		v, _ := strconv.Atoi(strings.ReplaceAll(s, ",", ""))
		return v
	}
	return stdout.String(), historySummary{line: last, records: n(m[1]), changes: n(m[2]), problems: n(m[3]), shown: n(m[4]), duplicates: n(m[5])}
}

// administratorEnv is this process's environment without AWS settings and
// without make's (the test may run under make e2e): a terminal of the
// administrator's, to which HistoryEnv adds the local stack's.
func administratorEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "AWS_") || name == "MAKEFLAGS" || name == "MFLAGS" || name == "MAKELEVEL" {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_EC2_METADATA_DISABLED=true")
}

// objectVersion is one version or delete marker of a key.
type objectVersion struct {
	key, id      string
	deleteMarker bool
}

// listVersions lists every version and delete marker under prefix, as the
// administrator, newest first for each key.
func listVersions(t *testing.T, ctx context.Context, stack *Stack, bucket, prefix string) []objectVersion {
	t.Helper()
	type entry struct {
		objectVersion
		at     time.Time
		latest bool
	}
	var entries []entry
	p := s3.NewListObjectVersionsPaginator(stack.Admin, &s3.ListObjectVersionsInput{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("list the versions in %s: %v", bucket, err)
		}
		for _, v := range page.Versions {
			entries = append(entries, entry{objectVersion{aws.ToString(v.Key), aws.ToString(v.VersionId), false}, aws.ToTime(v.LastModified), aws.ToBool(v.IsLatest)})
		}
		for _, d := range page.DeleteMarkers {
			entries = append(entries, entry{objectVersion{aws.ToString(d.Key), aws.ToString(d.VersionId), true}, aws.ToTime(d.LastModified), aws.ToBool(d.IsLatest)})
		}
	}
	// S3 lists a key's versions and its delete markers apart: put them
	// back in one order, the latest first.
	sort.SliceStable(entries, func(i, j int) bool {
		a, b := entries[i], entries[j]
		if a.key != b.key {
			return a.key < b.key
		}
		if a.latest != b.latest {
			return a.latest
		}
		return a.at.After(b.at)
	})
	out := make([]objectVersion, len(entries))
	for i, e := range entries {
		out[i] = e.objectVersion
	}
	return out
}

// imageVersions returns the image bucket's versions and delete markers by
// key, the latest first.
func imageVersions(t *testing.T, ctx context.Context, stack *Stack) map[string][]objectVersion {
	t.Helper()
	out := map[string][]objectVersion{}
	for _, v := range listVersions(t, ctx, stack, stack.Bucket, "") {
		out[v.key] = append(out[v.key], v)
	}
	return out
}

// historyObjects returns every version of every object in the history
// bucket, as the administrator sees them.
func historyObjects(t *testing.T, ctx context.Context, stack *Stack) []objectVersion {
	t.Helper()
	return listVersions(t, ctx, stack, stack.HistoryBucket, "")
}

// notifierDenied checks that the notifier's local user is refused a call:
// its rights in the history bucket are to create records, nothing more.
func notifierDenied(t *testing.T, what string, err error) {
	t.Helper()
	var api smithy.APIError
	switch {
	case err == nil:
		t.Errorf("the notifier may %s; want AccessDenied", what)
	case !errors.As(err, &api) || api.ErrorCode() != "AccessDenied":
		t.Errorf("the notifier's %s failed without AccessDenied: %v", what, err)
	default:
		t.Logf("denied: the notifier's %s", what)
	}
}
