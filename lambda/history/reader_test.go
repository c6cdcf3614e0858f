package history

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/bucketbell/bucketbell/lambda/change"
)

// bucketOf writes batches through the real writer into a fake bucket.
func bucketOf(t *testing.T, batches ...Batch) *fakeS3 {
	t.Helper()
	s3c := newFakeS3()
	w := &Writer{Bucket: "hist", Client: s3c}
	for _, b := range batches {
		if _, err := w.Write(context.Background(), b); err != nil {
			t.Fatal(err)
		}
	}
	return s3c
}

func monthOfUploads() []Batch {
	var bs []Batch
	for day := 1; day <= 31; day++ {
		t0 := time.Date(2026, 12, day, 12, 0, 0, 0, time.UTC)
		bs = append(bs, Batch{DigestID: "d" + t0.Format("0102"), Changes: []change.Change{
			upload(t0.Format("day-02.jpg"), t0, "m"),
		}})
	}
	bs = append(bs, Batch{DigestID: "nov", Changes: []change.Change{upload("nov.jpg", at("2026-11-30T12:00:00Z"), "m")}})
	bs = append(bs, Batch{DigestID: "2025", Changes: []change.Change{upload("old.jpg", at("2025-12-02T12:00:00Z"), "m")}})
	return bs
}

func TestReadOnlyThePartitionsInRange(t *testing.T) {
	s3c := bucketOf(t, monthOfUploads()...)
	src := &S3{Bucket: "hist", Lister: s3c, Getter: s3c}
	f := Filter{Since: at("2026-12-02T00:00:00Z"), Until: at("2026-12-04T06:00:00Z")}
	res, err := Read(context.Background(), src, "changes/", f, 3, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"changes/",
		"changes/year=2026/",
		"changes/year=2026/month=12/",
		"changes/year=2026/month=12/day=02/",
		"changes/year=2026/month=12/day=03/",
		"changes/year=2026/month=12/day=04/",
	}
	if got := s3c.listedPrefixes(); !reflect.DeepEqual(got, want) {
		t.Errorf("listed\n %v\nwant\n %v", got, want)
	}
	var keys []string
	for _, c := range res.Changes {
		keys = append(keys, c.Key)
	}
	// Day 4's upload is at noon, after UNTIL: read, and not shown.
	if !reflect.DeepEqual(keys, []string{"day-02.jpg", "day-03.jpg"}) || res.Records != 3 || res.ChangeLines != 3 {
		t.Errorf("changes %v from %d records, %d lines", keys, res.Records, res.ChangeLines)
	}
}

func TestReadEverythingWithoutTimeBounds(t *testing.T) {
	s3c := bucketOf(t, monthOfUploads()...)
	res, err := Read(context.Background(), &S3{Bucket: "hist", Lister: s3c, Getter: s3c}, "changes/", Filter{}, 4, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Changes) != 33 || res.Records != 33 || len(res.Skipped) != 0 {
		t.Fatalf("%d changes from %d records, skipped %v", len(res.Changes), res.Records, res.Skipped)
	}
	for i := 1; i < len(res.Changes); i++ {
		if res.Changes[i].At.Before(res.Changes[i-1].At) {
			t.Fatalf("not in time order at %d", i)
		}
	}
	if res.Changes[0].Key != "old.jpg" || res.Changes[1].Key != "nov.jpg" {
		t.Errorf("first %s, %s", res.Changes[0].Key, res.Changes[1].Key)
	}
}

func TestReadDropsDuplicates(t *testing.T) {
	t0 := at("2026-12-02T10:00:00Z")
	a := upload("a.jpg", t0, "m1")
	b := upload("b.jpg", t0.Add(time.Second), "m2")
	// The same event, enriched differently in another delivery.
	aAgain := a
	aAgain.Actor, aAgain.Kind = "AWS:AIDAEXAMPLEMEDIACO1", change.Uploaded
	// Same key and version, another event: not a duplicate.
	tag := a
	tag.EventName, tag.Kind = "ObjectTagging:Put", change.TagsChanged
	problem := change.Problem{MessageID: "bad", Raw: "x", Reason: "message body is not JSON"}
	s3c := bucketOf(t,
		Batch{DigestID: "first", Changes: []change.Change{a, b}, Problems: []change.Problem{problem}},
		// SQS regrouped the redelivered messages with another one.
		Batch{DigestID: "regrouped", Changes: []change.Change{aAgain, tag}, Problems: []change.Problem{problem}},
	)
	res, err := Read(context.Background(), &S3{Bucket: "hist", Lister: s3c, Getter: s3c}, "changes/", Filter{}, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range res.Changes {
		got = append(got, c.Key+" "+c.EventName+" "+c.DigestID)
	}
	want := []string{"a.jpg ObjectCreated:Put first", "a.jpg ObjectTagging:Put regrouped", "b.jpg ObjectCreated:Put first"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("changes\n %v\nwant\n %v", got, want)
	}
	if len(res.Problems) != 1 || res.Duplicates != 2 || res.ChangeLines != 4 || res.ProblemLines != 2 {
		t.Errorf("%d problems, %d duplicates, %d change lines, %d problem lines", len(res.Problems), res.Duplicates, res.ChangeLines, res.ProblemLines)
	}
}

func TestReadSkipsCorruptAndForeignObjects(t *testing.T) {
	s3c := bucketOf(t, Batch{DigestID: "good", Changes: []change.Change{upload("ok.jpg", at("2026-12-02T10:00:00Z"), "m")}})
	day := "changes/year=2026/month=12/day=02/"
	objects, err := Encode(Batch{DigestID: "x", Changes: []change.Change{upload("x", at("2026-12-02T10:00:00Z"), "m")}})
	if err != nil {
		t.Fatal(err)
	}
	record := objects[0].Body
	s3c.objects[day+"truncated.jsonl.gz"] = record[:len(record)-12]
	s3c.objects[day+"plain.jsonl.gz"] = []byte(`{"schemaVersion":1}`)
	s3c.objects[day+"foreign.jsonl.gz"] = gzipped(`{"hello":"world"}` + "\n")
	s3c.objects[day+"future.jsonl.gz"] = gzipped(`{"schemaVersion":2,"digestId":"z","bucket":"b","eventName":"ObjectCreated:Put","key":"k"}` + "\n")
	s3c.objects[day+"badtime.jsonl.gz"] = gzipped(`{"schemaVersion":1,"digestId":"z","bucket":"b","eventName":"ObjectCreated:Put","key":"k","time":"yesterday"}` + "\n")
	s3c.objects[day+"notes.txt"] = []byte("hello")
	s3c.objects["changes/README"] = []byte("hello")
	s3c.objects["changes/tmp/x.jsonl.gz"] = record
	s3c.objects["changes/year=2026/month=13/day=01/x.jsonl.gz"] = record
	s3c.objects["changes/year=2026/month=02/day=30/x.jsonl.gz"] = record

	res, err := Read(context.Background(), &S3{Bucket: "hist", Lister: s3c, Getter: s3c}, "changes/", Filter{}, 3, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Changes) != 1 || res.Changes[0].Key != "ok.jpg" || res.Records != 1 {
		t.Errorf("changes %v from %d records", res.Changes, res.Records)
	}
	want := map[string]string{
		"s3://hist/" + day + "badtime.jsonl.gz":        "line 1 has a time that is not RFC 3339",
		"s3://hist/" + day + "foreign.jsonl.gz":        "line 1 has no schemaVersion or digestId",
		"s3://hist/" + day + "future.jsonl.gz":         "schemaVersion 2",
		"s3://hist/" + day + "notes.txt":               "does not end in .jsonl.gz",
		"s3://hist/" + day + "plain.jsonl.gz":          "not gzip",
		"s3://hist/" + day + "truncated.jsonl.gz":      "cannot be read whole",
		"s3://hist/changes/README":                     "outside the year=/month=/day= partitions",
		"s3://hist/changes/tmp/":                       "not a year=YYYY partition",
		"s3://hist/changes/year=2026/month=13/":        "not a month=MM partition",
		"s3://hist/changes/year=2026/month=02/day=30/": "not a day=DD partition",
	}
	if len(res.Skipped) != len(want) {
		t.Errorf("skipped %d, want %d: %v", len(res.Skipped), len(want), res.Skipped)
	}
	for _, s := range res.Skipped {
		if w, ok := want[s.Name]; !ok || !strings.Contains(s.Reason, w) {
			t.Errorf("skipped %s: %q, want %q", s.Name, s.Reason, w)
		}
	}
}

// failingLister fails every listing.
type failingLister struct{}

func (failingLister) ListObjectsV2(context.Context, *s3.ListObjectsV2Input, ...func(*s3.Options)) (*s3.ListObjectsV2Output, error) {
	return nil, errors.New("AccessDenied")
}

func TestReadFailsWhenAListingFails(t *testing.T) {
	_, err := Read(context.Background(), &S3{Bucket: "hist", Lister: failingLister{}, Getter: newFakeS3()}, "changes/", Filter{}, 2, nil)
	if err == nil || err.Error() != "history: list s3://hist/changes/: AccessDenied" {
		t.Errorf("error %v", err)
	}
}

func TestReadFailsWhenAGetFails(t *testing.T) {
	s3c := bucketOf(t, monthOfUploads()...)
	// Listed by one, got from an empty other: every get fails.
	src := &S3{Bucket: "hist", Lister: s3c, Getter: newFakeS3()}
	_, err := Read(context.Background(), src, "changes/", Filter{}, 2, nil)
	if err == nil || !strings.Contains(err.Error(), "history: get s3://hist/changes/") {
		t.Errorf("error %v, want the get's", err)
	}
}

func TestReadDirectory(t *testing.T) {
	dir := t.TempDir()
	w := &Writer{Bucket: "hist", Client: Dir(dir)}
	for _, b := range monthOfUploads() {
		if _, err := w.Write(context.Background(), b); err != nil {
			t.Fatal(err)
		}
	}
	res, err := Read(context.Background(), Dir(dir), "changes/", Filter{Since: at("2026-12-31T00:00:00Z")}, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Changes) != 1 || res.Changes[0].Key != "day-31.jpg" || res.Records != 1 {
		t.Errorf("%+v", res)
	}
}

func TestEachStopsAtTheFirstError(t *testing.T) {
	calls := 0
	boom := errors.New("boom")
	err := each(context.Background(), 1, 10, func(i int) error {
		calls++
		if i == 2 {
			return boom
		}
		return nil
	})
	if !errors.Is(err, boom) || calls > 4 {
		t.Errorf("err %v after %d calls", err, calls)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := each(ctx, 2, 5, func(int) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: %v", err)
	}
}

func TestReadEmitsDayByDay(t *testing.T) {
	s3c := bucketOf(t, monthOfUploads()...)
	src := &S3{Bucket: "hist", Lister: s3c, Getter: s3c}
	var days []string
	res, err := Read(context.Background(), src, "changes/", Filter{Since: at("2026-12-01T00:00:00Z")}, 1, func(changes, problems []*Item) error {
		day := changes[0].At.Format(time.DateOnly)
		for _, c := range changes {
			if c.At.Format(time.DateOnly) != day {
				t.Errorf("one emit holds %s and %s", day, c.At.Format(time.DateOnly))
			}
		}
		days = append(days, day)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(days) != 31 || days[0] != "2026-12-01" || days[30] != "2026-12-31" || res.ChangesShown != 31 || len(res.Changes) != 0 {
		t.Errorf("days %v, shown %d, collected %d", days, res.ChangesShown, len(res.Changes))
	}
	for i := 1; i < len(days); i++ {
		if days[i] <= days[i-1] {
			t.Errorf("day %s after %s", days[i], days[i-1])
		}
	}
	stop := errors.New("stdout closed")
	calls := 0
	_, err = Read(context.Background(), src, "changes/", Filter{}, 2, func([]*Item, []*Item) error { calls++; return stop })
	if !errors.Is(err, stop) || calls != 1 {
		t.Errorf("error %v after %d calls, want the emit's after 1", err, calls)
	}
}

// TestReadDropsUntimedDuplicatesAcrossDays: a change without an event time
// is dated by its batch, and two deliveries may date it apart.
func TestReadDropsUntimedDuplicatesAcrossDays(t *testing.T) {
	untimed := upload("no-time.jpg", time.Time{}, "")
	s3c := bucketOf(t,
		Batch{DigestID: "one", Changes: []change.Change{untimed, upload("a", at("2026-12-01T10:00:00Z"), "")}},
		Batch{DigestID: "two", Changes: []change.Change{untimed, upload("b", at("2026-12-05T10:00:00Z"), "")}},
	)
	res, err := Read(context.Background(), &S3{Bucket: "hist", Lister: s3c, Getter: s3c}, "changes/", Filter{Key: "no-time.jpg"}, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Changes) != 1 || res.Duplicates != 1 || res.Changes[0].Timed || res.Changes[0].DigestID != "one" {
		t.Errorf("changes %+v, %d duplicates", res.Changes, res.Duplicates)
	}
}
