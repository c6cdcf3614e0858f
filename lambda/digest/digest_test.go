package digest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/bucketbell/bucketbell/lambda/change"
)

func TestText(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{name: "plain", in: "a/b c.jpg", want: "a/b c.jpg"},
		{name: "unicode stays", in: "café 日本.jpg", want: "café 日本.jpg"},
		{name: "CR LF tab escaped", in: "a\r\nb\tc", want: `"a\r\nb\tc"`},
		{name: "bidi override escaped", in: "x\u202egpj.exe", want: `"x\u202egpj.exe"`},
		{name: "line separator escaped", in: "a\u2028b", want: `"a\u2028b"`},
		{name: "invalid UTF-8 escaped", in: "\xff.jpg", want: `"\xff.jpg"`},
		{name: "leading space visible", in: " a", want: `" a"`},
		{name: "empty visible", in: "", want: `""`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := Text(tc.in); got != tc.want {
				t.Fatalf("Text(%q) = %s, want %s", tc.in, got, tc.want)
			}
		})
	}
}

func TestSizeAndCount(t *testing.T) {
	sizes := map[int64]string{0: "0 B", 1023: "1023 B", 1024: "1.0 KiB", 183204: "178.9 KiB", 3 << 20: "3.0 MiB", 5 << 40: "5.0 TiB"}
	for n, want := range sizes {
		if got := Size(n); got != want {
			t.Errorf("Size(%d) = %q, want %q", n, got, want)
		}
	}
	counts := map[int]string{0: "0", 999: "999", 1000: "1,000", 1476: "1,476", 1234567: "1,234,567"}
	for n, want := range counts {
		if got := Count(n); got != want {
			t.Errorf("Count(%d) = %q, want %q", n, got, want)
		}
	}
}

func upload(actor, key string, i int) change.Change {
	return change.Change{
		EventName: "ObjectCreated:Put", Kind: change.Uploaded, Bucket: "acme-product-images", Key: key,
		Size: int64(1000 + i), SizeKnown: true, VersionID: fmt.Sprint("v", i), Sequencer: fmt.Sprintf("%08X", i),
		Time: time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Second), Principal: actor, Actor: actor, SourceIP: "203.0.113.10",
	}
}

// deleted is a deletion of kind k, which names its event.
func deleted(actor, key string, i int, k change.Kind) change.Change {
	c := upload(actor, key, i)
	c.Kind, c.Size, c.SizeKnown = k, 0, false
	c.EventName = map[change.Kind]string{
		change.DeletedPermanently: "ObjectRemoved:Delete", change.DeletedRecoverable: "ObjectRemoved:DeleteMarkerCreated",
		change.ExpiredPermanently: "LifecycleExpiration:Delete", change.ExpiredRecoverable: "LifecycleExpiration:DeleteMarkerCreated",
	}[k]
	if k == change.DeletedRecoverable {
		c.Notes = []string{"undo: aws s3api delete-object --bucket " + c.Bucket + " --key '" + key + "' --version-id " + c.VersionID}
	}
	return c
}

// warned gives c a warning, as enrichment does for a file that is not
// what it claims.
func warned(c change.Change) change.Change {
	c.ContentType = "image/jpeg"
	c.Warning = "the file is empty (0 bytes)"
	return c
}

func TestSubject(t *testing.T) {
	long := strings.Repeat("x", 200)
	cases := []struct {
		name    string
		changes []change.Change
		want    string
	}{
		{name: "one actor", changes: []change.Change{upload("mediacouser", "a", 1), upload("mediacouser", "b", 2)},
			want: "mediacouser: 2 uploaded in acme-product-images"},
		{name: "two actors are named", changes: []change.Change{upload("mediacouser", "a", 1), upload("alice", "b", 2)},
			want: "2 uploaded in acme-product-images by alice and mediacouser"},
		{name: "three actors are counted", changes: []change.Change{upload("mediacouser", "a", 1), upload("alice", "b", 2), upload("bob", "c", 3)},
			want: "3 uploaded in acme-product-images by 3 actors"},
		{name: "notable kinds first", changes: []change.Change{upload("mediacouser", "a", 1), upload("mediacouser", "b", 2),
			deleted("mediacouser", "c", 3, change.DeletedPermanently)},
			want: "mediacouser: 1 deleted permanently, 2 uploaded in acme-product-images"},
		{name: "warnings first", changes: []change.Change{upload("mediacouser", "a", 1), warned(upload("mediacouser", "b", 2))},
			want: "mediacouser: 1 warning, 2 uploaded in acme-product-images"},
		{name: "control characters in actor", changes: []change.Change{upload("evil\r\nBcc: x", "a", 1)},
			want: "evil??Bcc: x: 1 uploaded in acme-product-images"},
		{name: "long actor clipped", changes: []change.Change{upload(long, "a", 1)},
			want: strings.Repeat("x", 37) + "...: 1 uploaded in acme-product-images"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := Compose(tc.changes, nil, Options{})
			if m.Subject != tc.want {
				t.Fatalf("subject %q, want %q", m.Subject, tc.want)
			}
		})
	}
}

func TestSubjectWithManyKindsFits(t *testing.T) {
	var cs []change.Change
	for i, name := range change.EventNames() {
		c := upload("mediacouser", fmt.Sprint("k", i), i)
		c.EventName, c.Kind = name, change.KindOf(name)
		cs = append(cs, c)
	}
	m := Compose(cs, []change.Problem{{Reason: "x"}}, Options{})
	if len(m.Subject) > 99 || !strings.Contains(m.Subject, "more") || !strings.HasPrefix(m.Subject, "mediacouser: 1 deleted permanently") {
		t.Fatalf("subject %d chars: %q", len(m.Subject), m.Subject)
	}
}

// TestSubjectKeepsTheBulk: when kinds must be dropped, the notable ones
// come first and the bulk stays.
func TestSubjectKeepsTheBulk(t *testing.T) {
	var cs []change.Change
	for i := range 3000 {
		cs = append(cs, upload("mediacouser", fmt.Sprint("k", i), i))
	}
	for i, k := range []change.Kind{change.DeletedPermanently, change.DeletedRecoverable, change.ACLChanged, change.TagsChanged, change.Restored} {
		c := upload("mediacouser", fmt.Sprint("n", i), i)
		c.Kind = k
		cs = append(cs, c)
	}
	cs = append(cs, upload("AWS:AROAEXAMPLEROLEID:alice@example.com", "a", 1))
	m := Compose(cs, []change.Problem{{Reason: "x"}}, Options{})
	want := "1 deleted permanently, 1 deleted, 3,001 uploaded, +4 more in acme-product-images by 2 actors"
	if m.Subject != want {
		t.Errorf("subject %q, want %q", m.Subject, want)
	}
}

// TestBudget names every notable change and rolls up or counts the rest
// exactly, within SNS's limit, however badly the keys escape and however
// many actors, kinds and buckets there are.
func TestBudget(t *testing.T) {
	cases := []struct {
		name   string
		n      int
		change func(i int) change.Change
	}{
		{name: "plain keys", n: 3000, change: func(i int) change.Change {
			return upload("mediacouser", fmt.Sprintf("img/%05d.jpg", i), i)
		}},
		{name: "1 KB keys of control characters", n: 500, change: func(i int) change.Change {
			return upload(fmt.Sprintf("actor-%d", i%3), fmt.Sprint(i)+strings.Repeat("\x01<", 512), i)
		}},
		{name: "5,000 actors", n: 5000, change: func(i int) change.Change {
			return upload(fmt.Sprintf("AWS:AROAEXAMPLEROLE01:person%04d@agency-example.com", i), fmt.Sprint(i), i)
		}},
		{name: "5,000 unknown event names", n: 5000, change: func(i int) change.Change {
			c := upload("mediacouser", fmt.Sprint(i), i)
			c.EventName = fmt.Sprintf("ObjectTeleported:Beam%04d", i)
			c.Kind = change.KindOf(c.EventName)
			return c
		}},
		{name: "1,000 buckets", n: 1000, change: func(i int) change.Change {
			c := upload("mediacouser", "k", i)
			c.Bucket = fmt.Sprintf("bucket-%04d-%s", i, strings.Repeat("b", 50))
			return c
		}},
		{name: "2,000 actors with 1 KB names of control characters", n: 2000, change: func(i int) change.Change {
			return upload(fmt.Sprint(i)+strings.Repeat("\x02", 1024), fmt.Sprint(i), i)
		}},
		{name: "3,000 folders of 1 KB names", n: 3000, change: func(i int) change.Change {
			return upload("mediacouser", fmt.Sprintf("%04d%s/x.jpg", i, strings.Repeat("\x03", 1000)), i)
		}},
		{name: "3,000 permanent deletions", n: 3000, change: func(i int) change.Change {
			return deleted("mediacouser", fmt.Sprintf("gone/%05d.jpg", i), i, change.DeletedPermanently)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cs := make([]change.Change, tc.n)
			for i := range cs {
				cs[i] = tc.change(i)
			}
			m := Compose(cs, nil, Options{})
			t.Logf("%d bytes, %d of %d listed, %d notable, %d lines, subject %q", len(m.Envelope), m.Listed, m.Total, m.Notable, strings.Count(m.Text, "\n"), m.Subject)
			check(t, m, cs, nil, 0)
			if m.Listed >= m.Total {
				t.Fatalf("listed %d of %d", m.Listed, m.Total)
			}
		})
	}
}

func TestProblemsOnly(t *testing.T) {
	var ps []change.Problem
	for i := 0; i < 120; i++ {
		ps = append(ps, change.Problem{MessageID: fmt.Sprint("m", i), Raw: strings.Repeat("r", 2000), Reason: "message body is not JSON"})
	}
	m := Compose(nil, ps, Options{})
	if !strings.Contains(m.Text, "Could not be read (120)") || !strings.Contains(m.Text, "and 70 more") {
		t.Fatalf("text:\n%s", m.Text[:300])
	}
	if m.Subject != "120 unreadable" {
		t.Errorf("subject %q", m.Subject)
	}
}

func BenchmarkCompose1000(b *testing.B)  { benchmarkCompose(b, 1000) }
func BenchmarkCompose10000(b *testing.B) { benchmarkCompose(b, 10000) }

// benchmarkCompose composes a bulk of n uploads with a notable change in
// every hundred.
func benchmarkCompose(b *testing.B, n int) {
	cs := make([]change.Change, n)
	for i := range cs {
		cs[i] = upload("mediacouser", fmt.Sprintf("catalogue/2026/item-%05d.jpg", i), i)
		if i%100 == 50 {
			cs[i] = deleted("mediacouser", fmt.Sprintf("old/%05d.jpg", i), i, change.DeletedRecoverable)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		Compose(cs, nil, Options{})
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/change")
}

func TestEscapedLenMatchesMarshal(t *testing.T) {
	for _, s := range []string{"", "plain", "a\"b\\c", "\n\r\t\b\f\x01\x1f", "<>&", "café 日本", "\u2028\u2029", "\xff\xfe", `{"a":"b\"c"}`} {
		want := len(marshal(s)) - 2
		if got := escapedLen([]byte(s)); got != want {
			t.Errorf("escapedLen(%q) = %d, marshal gives %d", s, got, want)
		}
	}
}
