package bench

import (
	"context"
	"math"
	"testing"
)

func TestMonthIsReadWhole(t *testing.T) {
	dir := t.TempDir()
	m := &Month{Days: 3, Changes: 2500, PerDigest: 1000}
	if err := WriteMonth(context.Background(), dir, m); err != nil {
		t.Fatal(err)
	}
	// Three digests a day apart, none crossing midnight.
	if m.Objects != 3 || m.Bytes == 0 {
		t.Errorf("%d objects, %d bytes", m.Objects, m.Bytes)
	}
	_, printed, err := ReadMonth(context.Background(), dir)
	if err != nil || printed != m.Changes {
		t.Errorf("printed %d of %d changes: %v", printed, m.Changes, err)
	}
}

func TestHistoryCost(t *testing.T) {
	// 1,000 digests, one PUT each: $0.005. 100 bytes a change, 400 days:
	// 0.1 GB for 13.14 months: $0.0302. No Lambda time.
	h := HistoryCost{ChangesPerDigest: 1000, ObjectsPerDigest: 1, BytesPerChange: 100, RetentionDays: 400}
	want := 0.005 + 0.1*400/(365.25/12)*0.023
	if got := h.PerMillion(); math.Abs(got-want) > 1e-9 {
		t.Errorf("$%.6f, want $%.6f", got, want)
	}
	h.SecondsPerDigest, h.MemoryGB = 1, 1
	if got := h.PerMillion() - want; math.Abs(got-1000*LambdaPerGBSecond) > 1e-9 {
		t.Errorf("Lambda share $%.6f", got)
	}
}
