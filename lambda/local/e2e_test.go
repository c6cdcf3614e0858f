//go:build e2e

package local

// The end-to-end test: `make e2e` installs the stand-ins, builds the
// notifier for this machine, synthesizes the template and runs this with
// BUCKETBELL_STANDINS, BUCKETBELL_BOOTSTRAP and BUCKETBELL_TEMPLATE set.

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/bucketbell/bucketbell/lambda/history"
)

// awsCLI is Debian's AWS CLI v2. A pyenv aws 1.x may come first on PATH.
const awsCLI = "/usr/bin/aws"

const (
	bulkObjects = 500
	// bulkMaxDigests is the bound the README states for 500 concurrent
	// uploads with the e2e settings (batch size 1000, window 3 s): see
	// the bulk phase.
	bulkMaxDigests = 5
	faultObjects   = 20
)

// digestDoc is the digest's JSON document as the README specifies it
// (schemaVersion 1); only the fields the test reads.
type digestDoc struct {
	SchemaVersion int    `json:"schemaVersion"`
	Subject       string `json:"subject"`
	TotalChanges  int    `json:"totalChanges"`
	ListedChanges int    `json:"listedChanges"`
	Counts        []struct {
		Actor string `json:"actor"`
		Kind  string `json:"kind"`
		Count int    `json:"count"`
	} `json:"counts"`
	Changes []digestChange `json:"changes"`
}

type digestChange struct {
	Bucket            string `json:"bucket"`
	Key               string `json:"key"`
	EventName         string `json:"eventName"`
	Kind              string `json:"kind"`
	Size              *int64 `json:"size"`
	VersionID         string `json:"versionId"`
	Actor             string `json:"actor"`
	PrincipalID       string `json:"principalId"`
	PreviousVersionID string `json:"previousVersionId"`
	Width             int    `json:"width"`
	Height            int    `json:"height"`
}

func TestE2E(t *testing.T) {
	bin, bootstrap, tmpl := os.Getenv("BUCKETBELL_STANDINS"), os.Getenv("BUCKETBELL_BOOTSTRAP"), os.Getenv("BUCKETBELL_TEMPLATE")
	if bin == "" || bootstrap == "" || tmpl == "" {
		t.Fatal("BUCKETBELL_STANDINS, BUCKETBELL_BOOTSTRAP and BUCKETBELL_TEMPLATE are not set: run `make e2e`")
	}
	if _, err := os.Stat(awsCLI); err != nil {
		t.Fatalf("%s: %v (make e2e installs Debian's awscli as root; otherwise: sudo apt-get install -y awscli)", awsCLI, err)
	}

	// The stand-ins' data and logs. Kept, and their logs printed, when
	// the test fails.
	dir, err := os.MkdirTemp("", "bucketbell-e2e-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("stand-ins' files kept in %s", dir)
			return
		}
		os.RemoveAll(dir)
	})
	// A Ctrl-C or a kill of `make e2e` stops the stand-ins, and removes
	// their files, before exit.
	t.Cleanup(StopAllOnSignal(func() { os.RemoveAll(dir) }))

	ctx, cancel := context.WithTimeout(context.Background(), 12*time.Minute)
	defer cancel()

	oldImage := sampleJPEG(320, 240)
	logFile, err := os.Create(filepath.Join(dir, "harness.log"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { logFile.Close() })
	stack, err := Start(ctx, Options{
		Dir:       dir,
		Bin:       bin,
		Bootstrap: bootstrap,
		Template:  tmpl,
		Seed:      map[string][]byte{"old-image.jpg": oldImage},
		Log:       slog.New(slog.NewTextHandler(logFile, nil)),
	})
	if err != nil {
		t.Fatalf("start the stack: %v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("stand-in logs:\n%s", stack.Logs(40))
		}
		stack.Close()
	})
	p := stack.Plan
	t.Logf("from the template: agency user %s, topic %s, batch size %d, window %v, maximum concurrency %d (here 1), maxReceiveCount %d, function timeout %v",
		p.AgencyUser, p.TopicName, p.BatchSize, p.Window, p.MaxConcurrency, p.MaxReceiveCount, p.FunctionTimeout)
	t.Logf("agency statements installed in MinIO: %v", p.AgencyPolicy.Sids())
	for _, d := range p.AgencyPolicy.Dropped {
		t.Logf("agency statement left out: %s: %s", d.Sid, d.Reason)
	}
	t.Logf("notifier statements installed in MinIO: %v", p.NotifierPolicy.Sids())
	for _, d := range p.NotifierPolicy.Relaxed {
		t.Logf("notifier statement relaxed: %s: %s", d.Sid, d.Reason)
	}
	for _, d := range p.NotifierPolicy.Dropped {
		t.Logf("notifier statement left out: %s: %s", d.Sid, d.Reason)
	}
	t.Logf("history bucket %s (template %s, versioned %v); its bucket policy installed in MinIO: %v",
		stack.HistoryBucket, p.HistoryBucketID, p.HistoryVersioned, p.HistoryPolicy.Sids())
	for _, d := range p.HistoryPolicy.Dropped {
		t.Logf("history bucket policy statement left out: %s: %s", d.Sid, d.Reason)
	}
	if stack.HistoryBucket == "" || !p.HistoryVersioned {
		t.Fatalf("the template's notifier keeps no change history in a versioned bucket (HISTORY_BUCKET %q, versioned %v)", stack.HistoryBucket, p.HistoryVersioned)
	}
	if !contains(p.NotifierPolicy.Sids(), "KeepRecords") {
		t.Fatalf("the notifier's KeepRecords was not installed in MinIO; installed: %v, left out: %v", p.NotifierPolicy.Sids(), p.NotifierPolicy.Dropped)
	}
	if p.AgencyUser != "mediacouser" || p.TopicName != "s3NotificationTopic" {
		t.Fatalf("template names user %q and topic %q, want mediacouser and s3NotificationTopic", p.AgencyUser, p.TopicName)
	}
	if !p.Versioned {
		t.Fatal("the template's image bucket is not versioned")
	}
	for _, sid := range []string{"ListBucket", "ReadWriteObjects", "DenyVersionDeletion"} {
		if !contains(p.AgencyPolicy.Sids(), sid) {
			t.Fatalf("agency statement %s was not installed in MinIO; installed: %v, left out: %v", sid, p.AgencyPolicy.Sids(), p.AgencyPolicy.Dropped)
		}
	}

	work := t.TempDir()
	cli := &agencyCLI{t: t, ctx: ctx, dir: work, env: stack.AgencyEnv(), endpoint: stack.S3Endpoint}
	if !t.Run("agency rights", func(t *testing.T) { cli.t = t; testRights(t, ctx, stack, cli, work) }) {
		return
	}
	if !t.Run("bulk upload", func(t *testing.T) { testBulk(t, ctx, stack) }) {
		return
	}
	var failedItems int
	if !t.Run("SNS outage", func(t *testing.T) { failedItems = testOutage(t, ctx, stack) }) {
		return
	}
	t.Run("change history", func(t *testing.T) { testHistory(t, ctx, stack, failedItems) })
}

// testRights runs the agency's documented commands, proves the denials,
// and checks the digest the commands cause.
func testRights(t *testing.T, ctx context.Context, stack *Stack, cli *agencyCLI, work string) {
	b := stack.Bucket
	since := time.Now()
	v1, v2 := sampleJPEG(640, 480), sampleJPEG(800, 600)
	big := make([]byte, 20<<20) // above the CLI's 8 MiB multipart threshold
	rand.Read(big)
	write := func(name string, data []byte) string {
		path := filepath.Join(work, name)
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}

	write("new-image.jpg", v1)
	cli.ok("s3", "cp", "./new-image.jpg", "s3://"+b+"/")
	firstVersion := latestVersion(t, ctx, stack, "new-image.jpg")
	write("new-image.jpg", v2)
	cli.ok("s3", "cp", "./new-image.jpg", "s3://"+b+"/")
	if out := cli.ok("s3", "ls", "s3://"+b+"/"); !strings.Contains(out, "new-image.jpg") || !strings.Contains(out, "old-image.jpg") {
		t.Errorf("aws s3 ls does not list both images:\n%s", out)
	}
	oldVersion := latestVersion(t, ctx, stack, "old-image.jpg")
	cli.ok("s3", "rm", "s3://"+b+"/old-image.jpg")
	write("lookbook-2027.bin", big)
	cli.ok("s3", "cp", "./lookbook-2027.bin", "s3://"+b+"/")
	head, err := stack.Admin.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("lookbook-2027.bin")})
	if err != nil {
		t.Fatalf("head lookbook-2027.bin: %v", err)
	}
	if !strings.Contains(aws.ToString(head.ETag), "-") {
		t.Errorf("lookbook-2027.bin has ETag %s: not a multipart upload", aws.ToString(head.ETag))
	}

	// Each denial must be AccessDenied, not just any failure.
	cli.denied("s3", "cp", "./new-image.jpg", "s3://"+stack.OtherBucket+"/")
	cli.denied("s3", "ls", "s3://"+stack.OtherBucket+"/")
	cli.denied("s3api", "put-bucket-policy", "--bucket", b, "--policy",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::`+b+`/*"}]}`)
	cli.denied("s3api", "put-bucket-versioning", "--bucket", b, "--versioning-configuration", "Status=Suspended")
	cli.denied("s3api", "delete-object", "--bucket", b, "--key", "new-image.jpg", "--version-id", firstVersion)
	// The history bucket is tried below, once it holds records.
	// And nothing changed.
	vs, err := stack.Admin.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: aws.String(b)})
	if err != nil || vs.Status != "Enabled" {
		t.Errorf("versioning after the denied change: %v, %v", vs.Status, err)
	}
	if _, err := stack.Admin.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(b), Key: aws.String("new-image.jpg"), VersionId: aws.String(firstVersion)}); err != nil {
		t.Errorf("version %s of new-image.jpg is gone after the denied delete: %v", firstVersion, err)
	}

	// The digest: who, each key, what happened, sizes.
	want := map[string]func(c digestChange) string{
		"new-image.jpg uploaded": func(c digestChange) string {
			return expect(c, "new-image.jpg", "uploaded", int64(len(v1)), "ObjectCreated:Put", "", 640, 480)
		},
		"new-image.jpg replaced": func(c digestChange) string {
			return expect(c, "new-image.jpg", "replaced", int64(len(v2)), "ObjectCreated:Put", firstVersion, 800, 600)
		},
		"old-image.jpg deleted, recoverable": func(c digestChange) string {
			return expect(c, "old-image.jpg", "deleted, recoverable", -1, "ObjectRemoved:DeleteMarkerCreated", oldVersion, 0, 0)
		},
		"lookbook-2027.bin uploaded": func(c digestChange) string {
			return expect(c, "lookbook-2027.bin", "uploaded", int64(len(big)), "ObjectCreated:CompleteMultipartUpload", "", 0, 0)
		},
	}
	changes := waitForChanges(t, ctx, stack, since, len(want), 2*time.Minute)
	if len(changes) != len(want) {
		t.Errorf("digests list %d changes, want %d (denied commands must cause none): %+v", len(changes), len(want), changes)
	}
	for name, check := range want {
		var problems []string
		found := false
		for _, c := range changes {
			if c.Key+" "+c.Kind != name {
				continue
			}
			if p := check(c); p != "" {
				problems = append(problems, p)
				continue
			}
			found = true
		}
		if !found {
			t.Errorf("no digest change %q: %v", name, problems)
		}
	}

	// The e-mail text, as SNS would send it to the administrator.
	var text strings.Builder
	for _, pub := range publishedSince(stack, since) {
		fmt.Fprintf(&text, "Subject: %s\n\n%s\n", pub.Subject, pub.Email())
	}
	mail := text.String()
	t.Logf("e-mails:\n%s", mail)
	for _, s := range []string{
		"mediacouser", "new-image.jpg", "old-image.jpg", "lookbook-2027.bin",
		"uploaded", "replaced", "deleted, recoverable", "800x600", "20.0 MiB",
		"aws s3api delete-object --bucket " + b + " --key old-image.jpg --version-id ",
	} {
		if !strings.Contains(mail, s) {
			t.Errorf("the e-mails do not mention %q", s)
		}
	}

	// The change history is the administrator's: the agency can neither
	// list, read, write nor delete it. The notifier wrote the records
	// before it published the digests above.
	h := stack.HistoryBucket
	records := historyObjects(t, ctx, stack)
	if len(records) == 0 {
		t.Fatalf("no record in s3://%s/ after the digests", h)
	}
	cli.denied("s3", "ls", "s3://"+h+"/")
	cli.denied("s3api", "get-object", "--bucket", h, "--key", records[0].key, "./record.jsonl.gz")
	cli.denied("s3", "cp", "./new-image.jpg", "s3://"+h+"/"+history.Prefix+"forged.jsonl.gz")
	cli.denied("s3api", "delete-object", "--bucket", h, "--key", records[0].key)
	if after := historyObjects(t, ctx, stack); !reflect.DeepEqual(after, records) {
		t.Errorf("the history bucket changed under the agency's denied requests: %v, then %v", records, after)
	}
}

// testBulk uploads 500 objects concurrently and checks they arrive in a
// few digests that list or count every key.
//
// The bound: the mapping invokes a batch when BatchSize events wait or
// Window after the batch's first event; the next batch starts no sooner
// than the end of the previous one. Events that arrive over D seconds
// therefore make at most floor(D/Window) + 1 batches (plus one more per
// BatchSize events, none here: 500 < 1000), and each batch one publish.
// With Window 3 s and the uploads arriving within 12 s, that is at most
// 5.
func testBulk(t *testing.T, ctx context.Context, stack *Stack) {
	if stack.Plan.BatchSize < bulkObjects {
		t.Fatalf("batch size %d < %d: the bound below assumes one batch can hold the bulk", stack.Plan.BatchSize, bulkObjects)
	}
	waitDrained(t, ctx, stack)
	since := time.Now()
	keys := bulkKeys()
	body := sampleJPEG(64, 64)
	uploadAll(t, ctx, stack, keys, body)
	uploaded := time.Since(since)

	waitFor(t, ctx, stack, 2*time.Minute, "the bulk's digests", func() bool {
		n, _, _ := stack.Queue.ArrivedSince(since)
		return n >= bulkObjects && stack.Queue.Stats().Waiting == 0
	})
	n, first, last := stack.Queue.ArrivedSince(since)
	spread := last.Sub(first)
	pubs := publishedSince(stack, since)
	bound := int(spread/stack.Plan.Window) + 1 + bulkObjects/stack.Plan.BatchSize
	t.Logf("%d uploads in %v; %d events arrived over %v; %d publishes (bound floor(%v/%v)+1 = %d, stated %d)",
		bulkObjects, uploaded.Round(time.Millisecond), n, spread.Round(time.Millisecond), len(pubs), spread.Round(time.Millisecond), stack.Plan.Window, bound, bulkMaxDigests)
	if len(pubs) > bound {
		t.Errorf("%d publishes for the bulk, more than floor(D/W)+1 = %d", len(pubs), bound)
	}
	if len(pubs) > bulkMaxDigests {
		t.Errorf("%d publishes for the bulk, more than the README's %d (events spread over %v)", len(pubs), bulkMaxDigests, spread)
	}

	listed := map[string]int{}
	total, counted := 0, 0
	for _, pub := range pubs {
		if !pub.OK() {
			t.Errorf("a bulk publish failed: %d %s", pub.Status, pub.Err)
			continue
		}
		d := documentOf(t, pub)
		total += d.TotalChanges
		for _, c := range d.Counts {
			if c.Actor != "mediacouser" || c.Kind != "uploaded" {
				t.Errorf("bulk digest counts %d %q by %q, want only uploads by mediacouser", c.Count, c.Kind, c.Actor)
			}
			counted += c.Count
		}
		for _, c := range d.Changes {
			listed[c.Key]++
		}
	}
	for _, k := range keys {
		if listed[k] > 1 {
			t.Errorf("%s listed %d times", k, listed[k])
		}
	}
	missing := 0
	for _, k := range keys {
		if listed[k] == 0 {
			missing++
		}
	}
	// Keys not listed must be counted: the counts cover every change.
	if total != bulkObjects || counted != bulkObjects || len(listed) > bulkObjects {
		t.Errorf("bulk digests: totalChanges %d, counts %d, listed %d distinct keys; want %d", total, counted, len(listed), bulkObjects)
	}
	t.Logf("bulk: %d keys listed, %d counted only", len(listed), missing)
}

// bulkKeys are the keys of the bulk phase.
func bulkKeys() []string {
	keys := make([]string, bulkObjects)
	for i := range keys {
		keys[i] = fmt.Sprintf("bulk/shoe-%03d.jpg", i+1)
	}
	return keys
}

// outageKeys are the keys of the SNS outage phase's batch.
func outageKeys() []string {
	keys := make([]string, faultObjects)
	for i := range keys {
		keys[i] = fmt.Sprintf("outage/bag-%02d.jpg", i+1)
	}
	return keys
}

// lateKey is uploaded while the outage's failed messages wait to be
// delivered again, so that they come back in another batch, as SQS may
// regroup them: the change history then holds their changes twice, in the
// failed attempt's record and in the new batch's.
const lateKey = "outage/late-arrival.jpg"

// testOutage stops SNS while the notifier is publishing a batch, and checks
// that every change of that batch was kept before the publish failed and
// arrives once SNS is back. It returns how many messages failed.
func testOutage(t *testing.T, ctx context.Context, stack *Stack) (failedItems int) {
	waitDrained(t, ctx, stack)
	before := stack.Queue.Stats()
	since := time.Now()

	// Stop goaws when the notifier's first Publish of this phase
	// arrives: the batch is already being processed, and the publish then
	// meets a dead SNS.
	var once sync.Once
	stopped := make(chan struct{})
	stack.SNS.BeforePublish(func() {
		once.Do(func() {
			stack.StopSNS()
			close(stopped)
		})
	})
	defer stack.SNS.BeforePublish(nil)

	keys := outageKeys()
	uploadAll(t, ctx, stack, keys, sampleJPEG(32, 32))

	select {
	case <-stopped:
	case <-ctx.Done():
		t.Fatal("no publish came to stop SNS")
	case <-time.After(time.Minute):
		t.Fatal("no publish within a minute of the uploads")
	}
	waitFor(t, ctx, stack, time.Minute, "the queue to take back the failed batch", func() bool {
		return stack.Queue.Stats().ItemFailures+stack.Queue.Stats().FailedInvocations > before.ItemFailures+before.FailedInvocations
	})
	failing := stack.Queue.Stats()
	t.Logf("SNS stopped mid-batch; queue after the failure: %+v", failing)
	// Nothing lost: the changes whose e-mail failed are in the history
	// already, written before the publish.
	kept, err := history.Read(ctx, &history.S3{Bucket: stack.HistoryBucket, Lister: stack.Admin, Getter: stack.Admin},
		history.Prefix, history.Filter{Prefix: "outage/"}, 0, nil)
	if err != nil {
		t.Fatalf("read the history during the outage: %v", err)
	}
	if n := failing.ItemFailures - before.ItemFailures; kept.ChangesShown < n {
		t.Errorf("during the outage the history holds %d of the outage's changes; %d failed to publish and must be kept", kept.ChangesShown, n)
	}
	t.Logf("during the outage the history holds %d of the outage's changes", kept.ChangesShown)
	// A batch delivered again as it was writes the same record key, and
	// the conditional write adds nothing: let the batch fail once more.
	// (When a slow machine split the uploads, the redelivery may regroup
	// them, and a new record is right.)
	if n := failing.ItemFailures - before.ItemFailures; n == faultObjects {
		records := historyObjects(t, ctx, stack)
		waitFor(t, ctx, stack, time.Minute, "the failed batch to fail once more", func() bool {
			return stack.Queue.Stats().ItemFailures-before.ItemFailures >= 2*n
		})
		if again := historyObjects(t, ctx, stack); !reflect.DeepEqual(again, records) {
			t.Errorf("the batch's second attempt changed the history bucket: %d record versions, then %d", len(records), len(again))
		}
		t.Logf("the same batch failed again and added nothing: %d record objects, one version each", len(records))
	} else {
		t.Logf("the outage's uploads came in more than one batch (%d failed first): the same-batch retry is not tried", n)
	}
	uploadAll(t, ctx, stack, []string{lateKey}, sampleJPEG(32, 32))
	if err := stack.StartSNS(ctx); err != nil {
		t.Fatalf("restart SNS: %v", err)
	}

	changes := waitForChanges(t, ctx, stack, since, faultObjects+1, 2*time.Minute)
	got := map[string]bool{}
	for _, c := range changes {
		got[c.Key] = true
	}
	for _, k := range append(keys, lateKey) {
		if !got[k] {
			t.Errorf("%s never arrived in a digest after the outage", k)
		}
	}
	waitDrained(t, ctx, stack)
	after := stack.Queue.Stats()
	failed := 0
	for _, p := range stack.SNS.Publishes() {
		if !p.OK() && !p.Time.Before(since) {
			failed++
		}
	}
	t.Logf("outage: %d failed publishes, queue %+v", failed, after)
	if failed == 0 {
		t.Error("no publish failed: SNS was not down during the batch")
	}
	// Every message of a failed batch came back. (The uploads normally
	// make one batch, so all 20 fail once; a slow machine may split them.)
	failedItems = after.ItemFailures - before.ItemFailures
	if failedItems == 0 || after.Redelivered-before.Redelivered < failedItems {
		t.Errorf("%d batch item failures, %d redeliveries: want every failed item delivered again", failedItems, after.Redelivered-before.Redelivered)
	}
	if dead := stack.Queue.Dead(); len(dead) > 0 {
		t.Errorf("%d messages in the dead-letter list", len(dead))
	}
	return failedItems
}

// expect checks one digest change; it returns "" when c matches.
// size < 0 means the event carries no size.
func expect(c digestChange, key, kind string, size int64, event, previous string, w, h int) string {
	var bad []string
	if c.Actor != "mediacouser" || c.PrincipalID != "mediacouser" {
		bad = append(bad, fmt.Sprintf("actor %q (principal %q)", c.Actor, c.PrincipalID))
	}
	if c.EventName != event {
		bad = append(bad, "event "+c.EventName)
	}
	if size >= 0 && (c.Size == nil || *c.Size != size) {
		bad = append(bad, fmt.Sprintf("size %v, want %d", deref(c.Size), size))
	}
	if c.PreviousVersionID != previous {
		bad = append(bad, fmt.Sprintf("previous version %q, want %q", c.PreviousVersionID, previous))
	}
	if c.Width != w || c.Height != h {
		bad = append(bad, fmt.Sprintf("%dx%d, want %dx%d", c.Width, c.Height, w, h))
	}
	if len(bad) == 0 {
		return ""
	}
	return key + " " + kind + ": " + strings.Join(bad, ", ")
}

func deref(p *int64) any {
	if p == nil {
		return "none"
	}
	return *p
}

// waitForChanges waits until the digests published since then, as goaws
// delivered them to the subscription, list at least n changes, and
// returns them. It also checks that goaws delivered each published digest.
func waitForChanges(t *testing.T, ctx context.Context, stack *Stack, since time.Time, n int, timeout time.Duration) []digestChange {
	t.Helper()
	var changes []digestChange
	waitFor(t, ctx, stack, timeout, fmt.Sprintf("%d changes in digests", n), func() bool {
		changes = changes[:0]
		deliveries := 0
		for _, d := range stack.Inbox.Deliveries() {
			if d.Time.Before(since) {
				continue
			}
			var doc digestDoc
			if err := json.Unmarshal(d.Document, &doc); err != nil {
				t.Fatalf("goaws delivered a message that is not a digest document: %v\n%s", err, d.Message)
			}
			changes = append(changes, doc.Changes...)
			deliveries++
		}
		// goaws delivers to the subscriber before it answers the publish,
		// and the capture records a publish when the answer passes back:
		// wait for both sides before comparing them below.
		return len(changes) >= n && len(publishedSince(stack, since)) >= deliveries
	})
	// Each successful publish reached the subscriber unchanged.
	var delivered []string
	envelope := false
	for _, d := range stack.Inbox.Deliveries() {
		if !d.Time.Before(since) {
			delivered = append(delivered, d.Message)
			envelope = envelope || d.Envelope
		}
	}
	var published []string
	for _, p := range publishedSince(stack, since) {
		published = append(published, p.Message)
	}
	sort.Strings(delivered)
	sort.Strings(published)
	if strings.Join(delivered, "\x00") != strings.Join(published, "\x00") {
		t.Errorf("goaws delivered %d messages, the notifier published %d successfully, and they differ", len(delivered), len(published))
	}
	if envelope {
		t.Log("goaws delivered the whole MessageStructure=json object to the http subscriber (SNS would send its \"default\" member)")
	}
	return changes
}

// publishedSince returns the successful publishes since then.
func publishedSince(stack *Stack, since time.Time) []Publish {
	var out []Publish
	for _, p := range stack.SNS.Publishes() {
		if p.OK() && !p.Time.Before(since) {
			out = append(out, p)
		}
	}
	return out
}

func documentOf(t *testing.T, p Publish) digestDoc {
	t.Helper()
	var env map[string]string
	if err := json.Unmarshal([]byte(p.Message), &env); err != nil {
		t.Fatalf("published message is not a MessageStructure=json object: %v", err)
	}
	var d digestDoc
	if err := json.Unmarshal([]byte(env["default"]), &d); err != nil {
		t.Fatalf("the default member is not a digest document: %v", err)
	}
	if d.SchemaVersion != 1 {
		t.Errorf("schemaVersion %d, want 1", d.SchemaVersion)
	}
	return d
}

// waitDrained waits until the queue holds nothing, so phases do not mix.
func waitDrained(t *testing.T, ctx context.Context, stack *Stack) {
	t.Helper()
	waitFor(t, ctx, stack, 2*time.Minute, "the queue to drain", func() bool { return stack.Queue.Stats().Waiting == 0 })
}

// waitFor polls cond until it holds, failing the test after timeout with
// what the queue and SNS did meanwhile.
func waitFor(t *testing.T, ctx context.Context, stack *Stack, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) || ctx.Err() != nil {
			ok, failed := 0, 0
			for _, p := range stack.SNS.Publishes() {
				if p.OK() {
					ok++
				} else {
					failed++
				}
			}
			t.Fatalf("timed out after %v waiting for %s; queue %+v; publishes: %d accepted, %d failed; deliveries: %d",
				timeout, what, stack.Queue.Stats(), ok, failed, len(stack.Inbox.Deliveries()))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// uploadAll uploads body under every key as the agency, 32 at a time.
func uploadAll(t *testing.T, ctx context.Context, stack *Stack, keys []string, body []byte) {
	t.Helper()
	client := stack.AgencyS3()
	sem := make(chan struct{}, 32)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	for _, k := range keys {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			uctx, cancel := context.WithTimeout(ctx, time.Minute)
			defer cancel()
			_, err := client.PutObject(uctx, &s3.PutObjectInput{
				Bucket: aws.String(stack.Bucket), Key: aws.String(k), Body: bytes.NewReader(body), ContentType: aws.String("image/jpeg"),
			})
			if err != nil {
				mu.Lock()
				errs = append(errs, fmt.Errorf("%s: %w", k, err))
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("%d of %d uploads failed; first: %v", len(errs), len(keys), errs[0])
	}
}

func latestVersion(t *testing.T, ctx context.Context, stack *Stack, key string) string {
	t.Helper()
	h, err := stack.Admin.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(stack.Bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("head %s: %v", key, err)
	}
	if aws.ToString(h.VersionId) == "" {
		t.Fatalf("%s has no version id: is versioning on?", key)
	}
	return aws.ToString(h.VersionId)
}

// agencyCLI runs Debian's AWS CLI as mediacouser against MinIO.
type agencyCLI struct {
	t        *testing.T
	ctx      context.Context
	dir      string
	env      []string
	endpoint string
}

func (c *agencyCLI) run(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(c.ctx, 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, awsCLI, append([]string{"--endpoint-url", c.endpoint}, args...)...)
	cmd.Dir = c.dir
	cmd.Env = append([]string{"PATH=/usr/bin:/bin", "HOME=" + c.dir}, c.env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// ok runs a command that must succeed and returns its output.
func (c *agencyCLI) ok(args ...string) string {
	c.t.Helper()
	out, err := c.run(args...)
	if err != nil {
		c.t.Errorf("aws %s: %v, want success\n%s", strings.Join(args, " "), err, out)
	} else {
		c.t.Logf("ok:     aws %s", strings.Join(args, " "))
	}
	return out
}

// denied runs a command that must fail with AccessDenied.
func (c *agencyCLI) denied(args ...string) {
	c.t.Helper()
	out, err := c.run(args...)
	switch {
	case err == nil:
		c.t.Errorf("aws %s succeeded, want AccessDenied\n%s", strings.Join(args, " "), out)
	case !strings.Contains(out, "AccessDenied"):
		c.t.Errorf("aws %s failed without AccessDenied: %v\n%s", strings.Join(args, " "), err, out)
	default:
		c.t.Logf("denied: aws %s", strings.Join(args, " "))
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestDemo runs make demo's program as a person would: it pastes the
// printed lines into a shell, waits for the e-mail, presses Ctrl-C (cancels)
// and checks that everything stopped and the demo's files are gone.
func TestDemo(t *testing.T) {
	bin, bootstrap, tmpl := os.Getenv("BUCKETBELL_STANDINS"), os.Getenv("BUCKETBELL_BOOTSTRAP"), os.Getenv("BUCKETBELL_TEMPLATE")
	if bin == "" || bootstrap == "" || tmpl == "" {
		t.Fatal("BUCKETBELL_STANDINS, BUCKETBELL_BOOTSTRAP and BUCKETBELL_TEMPLATE are not set: run `make e2e`")
	}
	t.Cleanup(StopAllOnSignal(nil))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- Demo(ctx, Options{Bin: bin, Bootstrap: bootstrap, Template: tmpl}, out)
	}()
	waitText := func(s string, timeout time.Duration) {
		t.Helper()
		deadline := time.Now().Add(timeout)
		for !strings.Contains(out.String(), s) {
			select {
			case err := <-done:
				t.Fatalf("demo ended before printing %q: %v\n%s", s, err, out.String())
			default:
			}
			if time.Now().After(deadline) {
				cancel()
				t.Fatalf("demo did not print %q within %v:\n%s", s, timeout, out.String())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	// Starting the stand-ins may take up to their readiness waits.
	waitText("Ctrl-C stops everything", 3*readyTimeout)

	// The lines to paste: from "Act as the agency" to the next heading.
	text := out.String()
	start := strings.Index(text, "Act as the agency")
	end := strings.Index(text, "What the agency may not do")
	if start < 0 || end < start {
		t.Fatalf("no paste block in the demo's output:\n%s", text)
	}
	lines := strings.SplitN(text[start:end], "\n", 2)[1]
	var dir string
	for _, l := range strings.Split(lines, "\n") {
		if d, ok := strings.CutPrefix(strings.TrimSpace(l), "cd "); ok {
			dir = d
		}
	}
	sh := exec.Command("/bin/bash", "-euc", lines)
	sh.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + t.TempDir()}
	if res, err := sh.CombinedOutput(); err != nil {
		t.Fatalf("the pasted lines failed: %v\n%s\n--- lines:\n%s", err, res, lines)
	}
	waitText("E-mail to the administrator", 2*time.Minute)
	for _, s := range []string{"mediacouser", "uploaded", "replaced", "deleted, recoverable", "catalogue/another-image.jpg", "catalogue/new-image.jpg", "undo: aws s3api delete-object"} {
		waitText(s, 10*time.Second)
	}

	// The administrator's lines: make history, as printed, from a shell.
	// Every change has its record before its e-mail goes out.
	text = out.String()
	start = strings.Index(text, "Read the change history")
	end = strings.Index(text, "The secrets are local demo values")
	if start < 0 || end < start {
		t.Fatalf("no make history lines in the demo's output:\n%s", text)
	}
	var adminLines []string
	for _, l := range strings.Split(text[start:end], "\n") {
		if strings.HasPrefix(l, "  ") {
			adminLines = append(adminLines, strings.TrimSpace(l))
		}
	}
	script := strings.Join(adminLines, "\n")
	hsh := exec.Command("/bin/bash", "-euc", script)
	hsh.Env = administratorEnv()
	res, err := hsh.CombinedOutput()
	if err != nil {
		t.Fatalf("the printed make history lines failed: %v\n%s\n--- lines:\n%s", err, res, script)
	}
	t.Logf("make history, as the demo prints it:\n%s\n%s", script, res)
	for _, s := range []string{
		"showing 5 changes and 0 problems", // make history: the demo's five changes
		"showing 2 changes and 0 problems", // KEY=new-image.jpg: uploaded, then replaced
		"mediacouser", "catalogue/another-image.jpg", "catalogue/new-image.jpg", "old-image.jpg",
		"uploaded", "replaced", "deleted, recoverable",
		"undo: aws s3api delete-object --bucket product-images --key old-image.jpg --version-id ",
		`"key":"new-image.jpg","eventName":"ObjectCreated:Put","kind":"replaced"`,
	} {
		if !strings.Contains(string(res), s) {
			t.Errorf("make history, as the demo prints it, does not show %q", s)
		}
	}

	cancel() // Ctrl-C
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("demo: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("demo did not stop within 30 s of Ctrl-C")
	}
	if !strings.Contains(out.String(), "Stopped.") {
		t.Errorf("demo did not say it stopped:\n%s", out.String())
	}
	if _, err := os.Stat(filepath.Dir(dir)); !os.IsNotExist(err) {
		t.Errorf("demo left its files in %s (%v)", filepath.Dir(dir), err)
	}
	live.Lock()
	left := len(live.procs)
	live.Unlock()
	if left > 0 {
		t.Errorf("%d stand-in processes still running after the demo", left)
	}
	t.Logf("demo output:\n%s", out.String())
}

// syncBuffer is a bytes.Buffer safe for one writer and one reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
