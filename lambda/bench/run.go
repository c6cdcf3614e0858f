package bench

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"testing"
	"time"
)

// Config says what make bench measures and against which binaries.
type Config struct {
	// RIE is the Runtime Interface Emulator; Notifier and Hello are host
	// builds of the two bootstraps, started under it Starts times each.
	RIE, Notifier, Hello string
	Starts               int
	// NotifierARM64 and HelloARM64 are the bootstraps as deployed, whose
	// sizes are reported.
	NotifierARM64, HelloARM64 string
	// Batching is the event source mapping as deployed, and Spread how long
	// a bulk upload of 2,000 files takes to arrive.
	Batching Batching
	Spread   time.Duration
	// AWSDelay is the latency of every fake AWS call in the enrichment
	// figures.
	AWSDelay time.Duration
	// History is the made-up month make history reads (Days, Changes,
	// PerDigest), and HistoryDays how long records are kept.
	History     Month
	HistoryDays int
	// Log receives progress for people.
	Log io.Writer
}

// Metric is one figure: "name value unit".
type Metric struct {
	Name  string
	Value float64
	Unit  string
}

func (m Metric) String() string {
	if m.Value == math.Trunc(m.Value) && math.Abs(m.Value) < 1e15 {
		return fmt.Sprintf("%s %d %s", m.Name, int64(m.Value), m.Unit)
	}
	return fmt.Sprintf("%s %.3f %s", m.Name, m.Value, m.Unit)
}

// Run measures everything make bench reports.
func Run(ctx context.Context, c Config) ([]Metric, error) {
	var ms []Metric
	add := func(name string, v float64, unit string) {
		m := Metric{name, v, unit}
		fmt.Fprintln(c.Log, "bench:", m)
		ms = append(ms, m)
	}

	fmt.Fprintf(c.Log, "bench: %d cold starts of each bootstrap under the emulator, alternating\n", c.Starts)
	env := []string{
		"TOPIC_ARN=arn:aws:sns:us-east-1:123456789012:s3NotificationTopic", "AWS_REGION=us-east-1", "HISTORY_BUCKET=bench-history",
		"AWS_ACCESS_KEY_ID=bench-not-a-key", "AWS_SECRET_ACCESS_KEY=bench-not-a-secret",
	}
	cs, err := ColdStarts(ctx, c.RIE, []string{c.Notifier, c.Hello}, c.Starts, []byte(`{"Records":[]}`), env)
	if err != nil {
		return nil, err
	}
	notifierMs, helloMs := Median(cs[0].InitMs), Median(cs[1].InitMs)
	add("init_ms_notifier", notifierMs, "ms")
	add("init_ms_hello", helloMs, "ms")
	add("init_extra_ms", notifierMs-helloMs, "ms")
	add("first_response_ms_notifier", Median(cs[0].FirstResponseMs), "ms")
	add("first_response_ms_hello", Median(cs[1].FirstResponseMs), "ms")

	for _, b := range []struct{ name, path string }{{"bootstrap_bytes_notifier", c.NotifierARM64}, {"bootstrap_bytes_hello", c.HelloARM64}} {
		st, err := os.Stat(b.path)
		if err != nil {
			return nil, fmt.Errorf("bench: %w", err)
		}
		add(b.name, float64(st.Size()), "bytes")
	}

	fmt.Fprintln(c.Log, "bench: the handler on a 1,000-record SQS batch")
	h := testing.Benchmark(func(b *testing.B) { Handler(b, 1000) })
	nsPerRecord := float64(h.NsPerOp()) / 1000
	add("handler_ns_per_record", nsPerRecord, "ns")
	add("handler_allocs_per_record", float64(h.AllocsPerOp())/1000, "allocs")

	fmt.Fprintf(c.Log, "bench: enrichment of 100 records with %v per AWS call\n", c.AWSDelay)
	e := testing.Benchmark(func(b *testing.B) { Enrich(b, 100, c.AWSDelay) })
	add("enrich_ms_batch100_20ms", float64(e.NsPerOp())/1e6, "ms")

	fmt.Fprintf(c.Log, "bench: a 2,000-change bulk upload arriving over %v through batching of %d per %v\n", c.Spread, c.Batching.BatchSize, c.Batching.Window)
	pubs, err := Publishes(ctx, 2000, c.Spread, c.Batching)
	if err != nil {
		return nil, err
	}
	add("publishes_per_2000_changes", float64(pubs), "publishes")

	// The cost model: a digest per batch, with the S3 calls enrichment
	// makes for a bulk upload into one folder, and one digest's duration
	// as measured above.
	perDigest := 2000 / float64(pubs)
	calls := &SlowAWS{}
	countCalls(ctx, calls, 2000)
	enrichDigest := testing.Benchmark(func(b *testing.B) { Enrich(b, int(perDigest), c.AWSDelay) })
	cost := Cost{
		ChangesPerDigest: perDigest,
		SecondsPerDigest: perDigest*nsPerRecord/1e9 + float64(enrichDigest.NsPerOp())/1e9,
		MemoryGB:         0.125,
		GetsPerChange:    float64(calls.Gets.Load()) / 2000,
		ListsPerChange:   float64(calls.Lists.Load()) / 2000,
		Subscribers:      1,
	}
	add("s3_lists_per_2000_changes", float64(calls.Lists.Load()), "requests")
	add("usd_per_million_changes", cost.PerMillion(), "USD")
	add("usd_per_million_changes_sqs_extra", cost.SQSPerMillion(), "USD")

	hc, err := historyFigures(ctx, c, add, perDigest)
	if err != nil {
		return nil, err
	}
	add("usd_per_million_changes_total", cost.PerMillion()+cost.SQSPerMillion()+hc.PerMillion(), "USD")
	return ms, nil
}

// historyFigures writes a made-up month of records, times make history on
// it and works out what the history adds per million changes.
func historyFigures(ctx context.Context, c Config, add func(string, float64, string), perDigest float64) (HistoryCost, error) {
	m := c.History
	fmt.Fprintf(c.Log, "bench: make history on a made-up month: %d days, %d changes, %d per digest\n", m.Days, m.Changes, m.PerDigest)
	dir, err := os.MkdirTemp("", "bucketbell-bench-history-")
	if err != nil {
		return HistoryCost{}, fmt.Errorf("bench: %w", err)
	}
	defer os.RemoveAll(dir)
	if err := WriteMonth(ctx, dir, &m); err != nil {
		return HistoryCost{}, err
	}
	took, printed, err := ReadMonth(ctx, dir)
	if err != nil {
		return HistoryCost{}, err
	}
	if printed != m.Changes {
		return HistoryCost{}, fmt.Errorf("bench: make history printed %d changes of %d", printed, m.Changes)
	}
	add("history_read_s_month", took.Seconds(), "s")
	add("history_objects_month", float64(m.Objects), "objects")
	add("history_gzip_bytes_per_change", float64(m.Bytes)/float64(m.Changes), "bytes")

	// What a record adds to an invocation: encoding it, and one PUT at the
	// fake AWS latency.
	enc := testing.Benchmark(func(b *testing.B) { Encode(b, int(perDigest)) })
	add("history_encode_ms_per_digest", float64(enc.NsPerOp())/1e6, "ms")
	digests := float64((m.Changes + m.PerDigest - 1) / m.PerDigest)
	hc := HistoryCost{
		ChangesPerDigest: perDigest,
		ObjectsPerDigest: float64(m.Objects) / digests,
		BytesPerChange:   float64(m.Bytes) / float64(m.Changes),
		RetentionDays:    float64(c.HistoryDays),
		SecondsPerDigest: float64(enc.NsPerOp())/1e9 + c.AWSDelay.Seconds(),
		MemoryGB:         0.125,
	}
	add("history_usd_per_million_changes", hc.PerMillion(), "USD")
	return hc, nil
}
