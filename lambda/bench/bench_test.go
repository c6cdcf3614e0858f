package bench

import (
	"testing"
	"time"
)

func BenchmarkHandle1000(b *testing.B)        { Handler(b, 1000) }
func BenchmarkEnrich100Slow20ms(b *testing.B) { Enrich(b, 100, 20*time.Millisecond) }

func BenchmarkHistoryEncode1000(b *testing.B) { Encode(b, 1000) }
