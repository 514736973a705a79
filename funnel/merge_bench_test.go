package funnel

import "testing"

// Merging shards' partials: the bench batch cut at a profile boundary into eight
// shards, whose partials (made before the timer) are merged into an empty one. Merge
// checks that the shards hold disjoint profiles (see Partial); its baseline is
// mergeDisjoint, the same merge without the check, so the ratio is the check's cost.

// benchShardBatches returns the bench batch cut at profile boundaries into eight
// shards; with breakdown, each event has a channel property ch of six values.
func benchShardBatches(b *testing.B, breakdown bool) []*Batch {
	bt := loadBench(b)
	var col []uint32 // six channels, as BenchmarkFunnelBatchBreakdown's
	if breakdown {
		col = make([]uint32, bt.Len())
		for i, p := range bt.Profile {
			col[i] = 1 + (p+uint32(i))%6
		}
	}
	var shards []*Batch
	lo := 0
	for k := 1; k <= 8; k++ {
		hi := bt.Len() * k / 8
		for hi > 0 && hi < bt.Len() && bt.Profile[hi] == bt.Profile[hi-1] {
			hi++
		}
		sh := &Batch{Names: bt.Names, Profile: bt.Profile[lo:hi], Time: bt.Time[lo:hi], Event: bt.Event[lo:hi]}
		if col != nil {
			sh.Values = []string{"", "web", "app", "store", "email", "social", "search"}
			sh.Props = map[string][]uint32{"ch": col[lo:hi]}
		}
		shards = append(shards, sh)
		lo = hi
	}
	return shards
}

// benchShards returns the partials of s over eight shards of the bench batch.
func benchShards(b *testing.B, s Spec) []*Partial[*Result] {
	var parts []*Partial[*Result]
	for _, sh := range benchShardBatches(b, s.Breakdown != nil) {
		p, err := s.PartialBatch(sh)
		if err != nil {
			b.Fatal(err)
		}
		parts = append(parts, p)
	}
	return parts
}

func benchMerge(b *testing.B, s Spec, checked bool) {
	parts := benchShards(b, s)
	b.ResetTimer()
	for b.Loop() {
		all, _ := s.NewPartial()
		for _, p := range parts {
			if checked {
				if err := all.Merge(p); err != nil {
					b.Fatal(err)
				}
			} else {
				all.st.(*funnelPartial).mergeDisjoint(p.st.(*funnelPartial))
			}
		}
	}
}

func BenchmarkPartialMerge(b *testing.B)          { benchMerge(b, benchSteps, true) }
func BenchmarkPartialMergeUnchecked(b *testing.B) { benchMerge(b, benchSteps, false) }

func BenchmarkPartialMergeBreakdown(b *testing.B) {
	s := benchSteps
	s.Breakdown = &Breakdown{Prop: "ch", Attribution: FirstStep}
	benchMerge(b, s, true)
}

func BenchmarkPartialMergeBreakdownUnchecked(b *testing.B) {
	s := benchSteps
	s.Breakdown = &Breakdown{Prop: "ch", Attribution: FirstStep}
	benchMerge(b, s, false)
}

// benchMergeAny merges the partials of eight shards of the bench batch, made by
// partial before the timer, into the empty one newPartial makes: what a coordinator
// of a sharded trend or stickiness does with its shards' partials. It reports the
// size of the merged partial's encoding too.
func benchMergeAny[R any](b *testing.B, newPartial func() (*Partial[R], error), partial func(*Batch) (*Partial[R], error)) {
	var parts []*Partial[R]
	for _, sh := range benchShardBatches(b, false) {
		p, err := partial(sh)
		if err != nil {
			b.Fatal(err)
		}
		parts = append(parts, p)
	}
	var all *Partial[R]
	b.ResetTimer()
	for b.Loop() {
		var err error
		if all, err = newPartial(); err != nil {
			b.Fatal(err)
		}
		for _, p := range parts {
			if err := all.Merge(p); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.StopTimer()
	data, err := all.MarshalBinary()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(len(data)), "encoded-bytes")
}

// BenchmarkTrendPartialMerge: eight shards' partials of the weekly trend merged.
func BenchmarkTrendPartialMerge(b *testing.B) {
	benchMergeAny(b, benchTrend.NewPartial, benchTrend.PartialBatch)
}

// BenchmarkStickinessPartialMerge: eight shards' partials of the weekly stickiness
// merged.
func BenchmarkStickinessPartialMerge(b *testing.B) {
	benchMergeAny(b, benchSticky.NewPartial, benchSticky.PartialBatch)
}
