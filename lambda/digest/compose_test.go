package digest

import (
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bucketbell/bucketbell/lambda/change"
)

var update = flag.Bool("update", false, "rewrite the golden e-mails in testdata/golden")

// check asserts what every digest promises, and returns its document:
//   - the envelope fits the budget and holds the text and the document;
//   - the subject is printable ASCII of at most 99 characters;
//   - the first line says how many changes there are;
//   - every change is counted exactly, per actor and kind, and every
//     routine one in the folders;
//   - notable changes (Notable) come first in the document, each also
//     named by key in the text, and those not named are counted;
//   - named problems are in the text and the document;
//   - the text has at most MaxLines + 3k lines for k notable changes and
//     problems, and no raw control character.
func check(t *testing.T, m Message, cs []change.Change, ps []change.Problem, budget int) Document {
	t.Helper()
	if budget <= 0 {
		budget = MaxMessageBytes - 2048
	}
	if len(m.Envelope) > budget {
		t.Fatalf("envelope of %d bytes, over the budget %d", len(m.Envelope), budget)
	}
	var env map[string]string
	if err := json.Unmarshal([]byte(m.Envelope), &env); err != nil {
		t.Fatalf("envelope: %v", err)
	}
	text := m.Text
	if env["email"] != strings.ToValidUTF8(text, "\uFFFD") || env["default"] != strings.ToValidUTF8(string(m.Document), "\uFFFD") {
		t.Fatal("the envelope does not hold the text and the document")
	}
	if s := m.Subject; s == "" || len(s) > maxSubject || strings.IndexFunc(s, func(r rune) bool { return r < ' ' || r > '~' }) >= 0 {
		t.Errorf("subject %q", s)
	}
	for i, l := range strings.Split(text, "\n") {
		if strings.IndexFunc(l, func(r rune) bool { return r < ' ' || r == 0x7f }) >= 0 {
			t.Fatalf("line %d has a raw control character: %q", i+1, l)
		}
	}
	var doc Document
	if err := json.Unmarshal(m.Document, &doc); err != nil {
		t.Fatalf("document: %v", err)
	}
	notable := Notable(cs)
	k := 0
	notableKeys := map[string]bool{}
	for i, n := range notable {
		if n {
			k++
			notableKeys[cs[i].Bucket+"/"+cs[i].Key] = true
		}
	}
	if doc.TotalChanges != len(cs) || doc.NotableChanges != k || m.Total != len(cs) || m.Notable != k {
		t.Errorf("document counts %d changes, %d notable; message %d, %d; want %d, %d", doc.TotalChanges, doc.NotableChanges, m.Total, m.Notable, len(cs), k)
	}
	first, _, _ := strings.Cut(text, "\n")
	if len(cs) > 0 && !strings.HasPrefix(first, Count(len(cs))+" change") {
		t.Errorf("first line %q does not start with the total", first)
	}
	if sum := sumCounts(doc.Counts); sum != len(cs) {
		t.Errorf("counts add up to %d, want %d", sum, len(cs))
	}
	routine := 0
	for _, f := range doc.Folders {
		n := 0
		for _, c := range f.Counts {
			n += c.Count
		}
		if n != f.Changes {
			t.Errorf("folder %q counts %d of its %d changes", f.Folder, n, f.Changes)
		}
		routine += f.Changes
	}
	if routine != len(cs)-k {
		t.Errorf("folders add up to %d routine changes, want %d", routine, len(cs)-k)
	}
	if doc.ListedChanges != len(doc.Changes) || m.Listed != len(doc.Changes) {
		t.Errorf("listedChanges %d, Listed %d, %d entries", doc.ListedChanges, m.Listed, len(doc.Changes))
	}
	named, seenRoutine := 0, false
	for _, e := range doc.Changes {
		isNotable := notableKeys[e.Bucket+"/"+e.Key]
		if e.Notable && !isNotable {
			t.Errorf("entry %q says notable %v", e.Key, e.Notable)
		}
		if !e.Notable {
			seenRoutine = true
			continue
		}
		named++
		if seenRoutine {
			t.Errorf("notable %q comes after a routine change", e.Key)
		}
		if !strings.Contains(text, Text(e.Key)) {
			t.Errorf("notable key %q is named in the document, not in the text", e.Key)
		}
	}
	if named < k {
		_, counted, ok := strings.Cut(text, "counted only: ")
		if !ok {
			t.Fatalf("%d of %d notable changes named and none counted", named, k)
		}
		counted, _, _ = strings.Cut(counted, "\n")
		if n := phraseSum(counted); n != k-named {
			t.Errorf("%d notable changes counted, want %d: %q", n, k-named, counted)
		}
	}
	if doc.TotalProblems != len(ps) || doc.ListedProblems != len(doc.Problems) || m.ListedProblems != len(doc.Problems) {
		t.Errorf("problems: total %d, listed %d, %d in the document, message %d", doc.TotalProblems, doc.ListedProblems, len(doc.Problems), m.ListedProblems)
	}
	for _, p := range doc.Problems {
		if !strings.Contains(text, problemText(change.Problem(p))) {
			t.Errorf("problem %+v is in the document, not in the text", p)
		}
	}
	if lines, bound := strings.Count(text, "\n"), MaxLines+3*(k+len(ps)); lines > bound {
		t.Errorf("%d lines, over the bound %d", lines, bound)
	}
	return doc
}

func sumCounts(cs []count) int {
	n := 0
	for _, c := range cs {
		n += c.Count
	}
	return n
}

// phraseItem finds the count of each item of a kinds phrase:
// "3 uploaded; 2 deleted, recoverable; and 7 more of 4 other kinds".
var phraseItem = regexp.MustCompile(`(?:^|; )(?:and )?([0-9][0-9,]*) `)

func phraseSum(s string) int {
	total := 0
	for _, m := range phraseItem.FindAllStringSubmatch(s, -1) {
		n, _ := strconv.Atoi(strings.ReplaceAll(m[1], ",", ""))
		total += n
	}
	return total
}

// TestProperties composes random batches, from a fixed seed, and checks
// every promise of check on each; batches whose notable changes must all
// fit must have them all named.
func TestProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 2026))
	runs := 100
	if testing.Short() {
		runs = 30
	}
	for run := range runs {
		b := randomBatch(r)
		m := Compose(b.changes, b.problems, Options{MaxBytes: b.budget, Records: b.records})
		t.Run(fmt.Sprint(run), func(t *testing.T) {
			doc := check(t, m, b.changes, b.problems, b.budget)
			if b.allFit && doc.ListedChanges < doc.NotableChanges {
				t.Errorf("%d of %d notable changes named, want all (%d routine, %d problems)", doc.ListedChanges, doc.NotableChanges, len(b.changes)-m.Notable, len(b.problems))
			}
			if b.allFit && m.ListedProblems != min(len(b.problems), maxProblemsListed) {
				t.Errorf("%d of %d problems named", m.ListedProblems, len(b.problems))
			}
		})
	}
}

type batch struct {
	changes  []change.Change
	problems []change.Problem
	records  []Record
	budget   int
	// allFit says every notable change and the first 50 problems surely
	// fit: short keys and notes, at most 200 of them, the default budget.
	allFit bool
}

// randomBatch is a batch of changes as bulk uploads make them, with
// notable changes of every kind hidden at random places, odd keys, other
// actors, other buckets, problems and records.
func randomBatch(r *rand.Rand) batch {
	var b batch
	pick := func(xs ...int) int { return xs[r.IntN(len(xs))] }
	routine := pick(0, r.IntN(41), 35+r.IntN(10), r.IntN(600), r.IntN(4000))
	notable := pick(0, 1, 1+r.IntN(5), r.IntN(60), 150+r.IntN(200))
	problems := pick(0, 0, 0, 1+r.IntN(5), r.IntN(120))
	longKeys := r.IntN(6) == 0
	b.allFit = notable <= 200 && !longKeys
	folders := []string{"catalogue/2026/", "catalogue/2025/", "", "a/b/c/d/", "summer sale/", "café/日本/"}
	key := func(i int) string {
		k := folders[r.IntN(len(folders))] + fmt.Sprintf("item-%05d", i)
		switch r.IntN(12) {
		case 0:
			k += "\r\n\t\u202e.jpg"
		case 1:
			k += " +(1) 'quoted'.jpg"
		}
		if longKeys && r.IntN(3) == 0 {
			k += strings.Repeat("\x01é", 340)
		}
		return k
	}
	buckets := []string{"acme-product-images"}
	if r.IntN(5) == 0 {
		buckets = append(buckets, "acme-archive")
	}
	at := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	newChange := func(i int, name, actor string) change.Change {
		c := change.Change{
			EventName: name, Kind: change.KindOf(name), Bucket: buckets[r.IntN(len(buckets))], Key: key(i),
			VersionID: fmt.Sprint("v", i), Sequencer: fmt.Sprintf("%08X", i), Time: at.Add(time.Duration(r.IntN(3600)) * time.Second),
			Principal: actor, Actor: actor, SourceIP: "203.0.113.10",
		}
		if r.IntN(4) > 0 {
			c.Size, c.SizeKnown = int64(r.IntN(1<<22)), true
		}
		return c
	}
	for i := range routine {
		name := "ObjectCreated:Put"
		if r.IntN(10) == 0 {
			name = "ObjectCreated:Copy"
		}
		b.changes = append(b.changes, newChange(i, name, "mediacouser"))
	}
	names := append(change.EventNames(), "ObjectTeleported:Beam")
	for i := routine; i < routine+notable; i++ {
		c := newChange(i, names[r.IntN(len(names))], pick2(r, "mediacouser", "s3.amazonaws.com"))
		switch r.IntN(6) {
		case 0: // a warning on an upload
			c.EventName, c.Kind, c.Warning = "ObjectCreated:Put", change.Uploaded, "the file is empty (0 bytes)"
		case 1: // a replacement with the command that restores
			c.EventName, c.Kind, c.PreviousVersionID = "ObjectCreated:Put", change.Replaced, "p1"
			c.Notes = []string{"restore: aws s3api copy-object --bucket " + c.Bucket + " --key '" + c.Key + "' --copy-source x"}
		case 2: // a rare actor's upload, notable when the bulk is large
			if routine >= 20 {
				c.EventName, c.Kind, c.Actor, c.Principal = "ObjectCreated:Put", change.Uploaded, "alice", "alice"
			}
		}
		if c.Kind == change.Uploaded && c.Warning == "" && c.Actor != "alice" {
			c.Kind, c.EventName = change.DeletedPermanently, "ObjectRemoved:Delete"
		}
		b.changes = append(b.changes, c)
	}
	r.Shuffle(len(b.changes), func(i, j int) { b.changes[i], b.changes[j] = b.changes[j], b.changes[i] })
	for i := range problems {
		b.problems = append(b.problems, change.Problem{MessageID: fmt.Sprintf("msg-%04d", i), Raw: strings.Repeat("r", r.IntN(300)), Reason: "message body is not JSON"})
	}
	for i := range pick(0, 0, 1, 2, 12) {
		uri := fmt.Sprintf("s3://acme-history/changes/2026/11/%02d.jsonl", i)
		b.records = append(b.records, Record{URI: uri, ConsoleURL: "https://console.aws.amazon.com/s3/object/acme-history?prefix=" + uri[5:]})
	}
	if r.IntN(5) == 0 {
		b.budget = 60000 + r.IntN(190000)
		b.allFit = false
	}
	return b
}

func pick2(r *rand.Rand, a, b string) string {
	if r.IntN(4) == 0 {
		return b
	}
	return a
}

// TestNotable checks the rule that splits notable from routine.
func TestNotable(t *testing.T) {
	bulk := func(n int, actor string) []change.Change {
		cs := make([]change.Change, n)
		for i := range cs {
			cs[i] = upload(actor, fmt.Sprint("k", i), i)
		}
		return cs
	}
	copied := upload("mediacouser", "copy", 0)
	copied.Kind = change.Copied
	cases := []struct {
		name    string
		changes []change.Change
		want    []bool // of the last changes; the rest are routine
	}{
		{name: "upload", changes: bulk(1, "mediacouser"), want: []bool{false}},
		{name: "copy in", changes: []change.Change{copied}, want: []bool{false}},
		{name: "warning", changes: []change.Change{warned(upload("m", "k", 1))}, want: []bool{true}},
		{name: "replaced", changes: []change.Change{func() change.Change { c := upload("m", "k", 1); c.Kind = change.Replaced; return c }()}, want: []bool{true}},
		{name: "deleted recoverable", changes: []change.Change{deleted("m", "k", 1, change.DeletedRecoverable)}, want: []bool{true}},
		{name: "lifecycle", changes: []change.Change{deleted("s3", "k", 1, change.ExpiredPermanently)}, want: []bool{true}},
		{name: "ACL", changes: []change.Change{func() change.Change { c := upload("m", "k", 1); c.Kind = change.ACLChanged; return c }()}, want: []bool{true}},
		{name: "unrecognised", changes: []change.Change{func() change.Change { c := upload("m", "k", 1); c.Kind = change.KindOf("X:Y"); return c }()}, want: []bool{true}},
		// 1 of 11 is under a tenth while 10 of 11 is over half.
		{name: "rare actor", changes: append(bulk(10, "mediacouser"), upload("alice", "a", 1)), want: []bool{true}},
		// 1 of 10 is not under a tenth.
		{name: "a tenth is not rare", changes: append(bulk(9, "mediacouser"), upload("alice", "a", 1)), want: []bool{false}},
		// Nobody made over half: 5 of 10 is not.
		{name: "no one dominates", changes: append(append(bulk(5, "mediacouser"), bulk(4, "bob")...), upload("alice", "a", 1)), want: []bool{false}},
		{name: "rare actor's deletion", changes: append(bulk(20, "mediacouser"), deleted("alice", "a", 1, change.DeletedRecoverable)), want: []bool{true}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := Notable(tc.changes)
			n := len(tc.changes) - len(tc.want)
			for i, g := range got {
				want := i >= n && tc.want[i-n]
				if g != want {
					t.Errorf("change %d (%s by %s): notable %v, want %v", i, tc.changes[i].Kind, tc.changes[i].Actor, g, want)
				}
			}
		})
	}
}

// TestRollUp checks the folder depth rule.
func TestRollUp(t *testing.T) {
	cases := []struct {
		name string
		keys []string
		want []string
	}{
		{name: "one folder", keys: []string{"catalogue/2026/a.jpg", "catalogue/2026/b.jpg"}, want: []string{"catalogue/2026/"}},
		{name: "split below a shared folder", keys: []string{"catalogue/2025/a.jpg", "catalogue/2026/b.jpg", "catalogue/2026/x/c.jpg"},
			want: []string{"catalogue/2025/", "catalogue/2026/"}},
		{name: "each group named by the folder its keys share", keys: []string{"catalogue/2025/a.jpg", "catalogue/2026/shoes/b.jpg", "catalogue/2026/shoes/red/c.jpg"},
			want: []string{"catalogue/2025/", "catalogue/2026/shoes/"}},
		{name: "a file beside the folders counts for the parent", keys: []string{"catalogue/a.jpg", "catalogue/2026/b.jpg"},
			want: []string{"catalogue/", "catalogue/2026/"}},
		{name: "top level", keys: []string{"a.jpg", "b/c/d.jpg", "b/c/e.jpg"}, want: []string{"", "b/c/"}},
		{name: "buckets", keys: []string{"s3://b1/x/a.jpg", "s3://b2/y/b.jpg"}, want: []string{"s3://b1/x/", "s3://b2/y/"}},
		{name: "a shared name prefix is no folder", keys: []string{"cat/a.jpg", "catalogue/b.jpg"}, want: []string{"cat/", "catalogue/"}},
		{name: "one key", keys: []string{"deep/down/x.jpg"}, want: []string{"deep/down/"}},
		{name: "many folders: the largest stay", keys: []string{"f1/a", "f1/b", "f2/a", "f3/a", "f4/a", "f5/a", "f6/a", "f7/a", "f8/a", "f9/a", "f9/b"},
			want: []string{"f1/", "f2/", "f3/", "f4/", "f5/", "f6/", "f9/", "(others)"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var cs []change.Change
			for i, k := range tc.keys {
				c := upload("mediacouser", k, i)
				if b, rest, ok := strings.Cut(strings.TrimPrefix(k, "s3://"), "/"); ok && strings.HasPrefix(k, "s3://") {
					c.Bucket, c.Key = b, rest
				}
				cs = append(cs, c)
			}
			d := newDraft(cs, nil, nil)
			var got []string
			for _, f := range d.docFolders(levelAll) {
				got = append(got, f.Folder)
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("folders %q, want %q", got, tc.want)
			}
		})
	}
}

// TestManyNotables: the first 200 notable changes are shown in full, the
// rest named by key alone, all before the routine bulk.
func TestManyNotables(t *testing.T) {
	var cs []change.Change
	for i := range 3000 {
		cs = append(cs, upload("mediacouser", fmt.Sprintf("catalogue/2026/item-%05d.jpg", i), i))
	}
	for i := range 260 {
		cs = append(cs, deleted("mediacouser", fmt.Sprintf("old/%04d.jpg", i), i, change.DeletedRecoverable))
	}
	m := Compose(cs, nil, Options{})
	doc := check(t, m, cs, nil, 0)
	full, brief := 0, 0
	for _, e := range doc.Changes[:260] {
		if !e.Notable {
			t.Fatalf("entry %q is not notable", e.Key)
		}
		if e.Brief {
			brief++
		} else {
			full++
		}
	}
	if full != 200 || brief != 60 || strings.Count(m.Text, "undo: ") != 200 || !strings.Contains(m.Text, "and 60 more, named by key alone:") {
		t.Errorf("%d in full, %d by key; want 200 and 60", full, brief)
	}
}

// TestLongKeys: with 1 KB keys the notable changes still get the budget
// first, in full while they fit, then by key, then counted; each named
// one is named whole.
func TestLongKeys(t *testing.T) {
	for _, withUndo := range []bool{false, true} {
		t.Run(fmt.Sprint("undo ", withUndo), func(t *testing.T) {
			var cs []change.Change
			for i := range 3000 {
				cs = append(cs, upload("mediacouser", fmt.Sprintf("catalogue/2026/item-%05d.jpg", i), i))
			}
			for i := range 250 {
				k := fmt.Sprintf("gone/%04d-", i)
				k += strings.Repeat("long key ", (1024-len(k))/9)
				c := deleted("mediacouser", k, i, change.DeletedPermanently)
				if withUndo {
					c = deleted("mediacouser", k, i, change.DeletedRecoverable)
				}
				cs = append(cs, c)
			}
			m := Compose(cs, nil, Options{})
			doc := check(t, m, cs, nil, 0)
			named := 0
			for _, e := range doc.Changes {
				if e.Notable {
					named++
				}
			}
			t.Logf("%d of 250 notable changes with 1 KB keys named, %d lines", named, strings.Count(m.Text, "\n"))
			// A 1 KB key is in the text and the document at least once
			// each: 2 KB at least, four times that with an undo command.
			if floor := map[bool]int{false: 100, true: 50}[withUndo]; named < floor {
				t.Errorf("%d named, want at least %d", named, floor)
			}
		})
	}
}

// TestRecords: the footer and the document name the change history's
// records, at most ten, within the budget.
func TestRecords(t *testing.T) {
	var cs []change.Change
	for i := range 3000 {
		cs = append(cs, upload("mediacouser", fmt.Sprintf("catalogue/2026/item-%05d.jpg", i), i))
	}
	var recs []Record
	for i := range 12 {
		uri := fmt.Sprintf("s3://acme-history/changes/2026/11/%02d/%s.jsonl", i, strings.Repeat("r", 900))
		recs = append(recs, Record{URI: uri, ConsoleURL: "https://console.aws.amazon.com/s3/object/acme-history?prefix=" + uri})
	}
	m := Compose(cs, nil, Options{Records: recs})
	doc := check(t, m, cs, nil, 0)
	if len(doc.Records) != maxRecordsNamed || doc.Records[9] != recs[9] {
		t.Errorf("document names %d records", len(doc.Records))
	}
	for i, r := range recs {
		if named := strings.Contains(m.Text, "Every change is kept in "+r.URI+"\n  "+r.ConsoleURL+"\n"); named != (i < maxRecordsNamed) {
			t.Errorf("record %d named %v", i, named)
		}
	}
}

// TestGoldenEmails compares whole e-mails with testdata/golden; go test
// -update rewrites them (read them before committing).
func TestGoldenEmails(t *testing.T) {
	bulk := func(n int) []change.Change {
		cs := make([]change.Change, n)
		for i := range cs {
			cs[i] = upload("mediacouser", fmt.Sprintf("catalogue/2026/item-%05d.jpg", i), i)
		}
		return cs
	}
	insert := func(cs []change.Change, at int, c change.Change) []change.Change {
		return append(cs[:at], append([]change.Change{c}, cs[at:]...)...)
	}
	hero := deleted("mediacouser", "homepage/hero banner.jpg", 4000, change.DeletedPermanently)
	replaced := upload("mediacouser", "shoes/red.png", 4001)
	replaced.Kind, replaced.PreviousVersionID, replaced.ContentType, replaced.Width, replaced.Height = change.Replaced, "v2", "image/png", 800, 600
	replaced.Notes = []string{"restore: aws s3api copy-object --bucket acme-product-images --key shoes/red.png --copy-source 'acme-product-images/shoes/red.png?versionId=v2'"}
	alice := upload("alice@example.com", "campaign/teaser.png", 4002)
	alice.Principal = "AWS:AROAEXAMPLEROLEID:alice@example.com"
	// Twelve brands, brand b with 2b+1 uploads (the upload of brand 3
	// into a subfolder of its own), and one file beside them.
	folders := func() []change.Change {
		var cs []change.Change
		for i := range 144 {
			b := 0
			for (b+1)*(b+1) <= i {
				b++
			}
			k := fmt.Sprintf("products/brand-%02d/item-%03d.jpg", b, i)
			if b == 3 {
				k = fmt.Sprintf("products/brand-%02d/2026/item-%03d.jpg", b, i)
			}
			c := upload("mediacouser", k, i)
			if i%2 == 0 {
				c.Kind, c.EventName = change.Copied, "ObjectCreated:Copy"
			}
			cs = append(cs, c)
		}
		return append(cs, upload("mediacouser", "products/index.html", 200))
	}
	cases := []struct {
		name     string
		changes  []change.Change
		problems []change.Problem
		records  []Record
	}{
		{name: "notable-at-the-start", changes: insert(bulk(3000), 0, hero)},
		{name: "notable-in-the-middle", changes: insert(insert(bulk(3000), 1500, hero), 2000, warned(upload("mediacouser", "catalogue/2026/empty.jpg", 5)))},
		{name: "notable-at-the-end", changes: append(append(bulk(3000), replaced), alice)},
		{name: "problems-among-uploads", changes: bulk(600), problems: []change.Problem{
			{MessageID: "msg-1", Raw: "not JSON <html>", Reason: "message body is not JSON"}}},
		{name: "forty-routine-listed", changes: insert(bulk(40), 20, hero)},
		{name: "forty-one-routine-rolled-up", changes: insert(bulk(41), 20, hero)},
		{name: "folders", changes: folders()},
		{name: "records", changes: []change.Change{hero, upload("mediacouser", "a.jpg", 1)}, records: []Record{
			{URI: "s3://acme-history/changes/2026/11/27.jsonl", ConsoleURL: "https://console.aws.amazon.com/s3/object/acme-history?prefix=changes/2026/11/27.jsonl"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := Compose(tc.changes, tc.problems, Options{Records: tc.records})
			check(t, m, tc.changes, tc.problems, 0)
			got := "Subject: " + m.Subject + "\n\n" + m.Text
			golden := filepath.Join("testdata", "golden", tc.name+".txt")
			if *update {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (go test -update creates it)", err)
			}
			if got != string(want) {
				t.Errorf("e-mail differs from %s (go test -update rewrites it):\n--- got\n%s\n--- want\n%s", golden, got, want)
			}
		})
	}
}

// TestLineBoundWorstCase builds the longest e-mail the line bound allows
// for: every notable change of a kind of its own with details (3 lines
// each), 40 routine changes of both routine kinds, ten records with
// console addresses. It has exactly the lines draft.text counts, within
// MaxLines + 3k.
func TestLineBoundWorstCase(t *testing.T) {
	const k = 30
	var cs []change.Change
	for i := range 40 {
		c := upload("mediacouser", fmt.Sprintf("r/%02d.jpg", i), i)
		if i%2 == 1 {
			c.Kind = change.Copied
		}
		cs = append(cs, c)
	}
	for i := range k {
		c := upload("mediacouser", fmt.Sprintf("n/%02d.jpg", i), 100+i)
		c.EventName = fmt.Sprintf("ObjectTeleported:Beam%02d", i)
		c.Kind = change.KindOf(c.EventName)
		c.Notes = []string{"one\nnote", "another\r\nnote"}
		cs = append(cs, c)
	}
	var recs []Record
	for i := range 12 {
		recs = append(recs, Record{URI: fmt.Sprintf("s3://h/%d.jsonl", i), ConsoleURL: "https://console.example/\n" + fmt.Sprint(i)})
	}
	m := Compose(cs, nil, Options{Records: recs})
	check(t, m, cs, nil, 0)
	// headline 2; notable 2 + 3k; routine 2 + 2 + 40; footer 3 + 2*10.
	if got, want := strings.Count(m.Text, "\n"), 2+(2+3*k)+44+23; got != want {
		t.Errorf("%d lines, want %d:\n%s", got, want, m.Text)
	}
}
