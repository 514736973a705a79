package funnel

import "testing"

// Merging shards' partials: the bench batch cut at a profile boundary into eight
// shards, whose partials (made before the timer) are merged into an empty one. Merge
// checks that the shards hold disjoint profiles (see Partial); its baseline is
// mergeDisjoint, the same merge without the check, so the ratio is the check's cost.

// benchShards returns the partials of s over eight shards of the bench batch.
func benchShards(b *testing.B, s Spec) []*Partial[*Result] {
	bt := loadBench(b)
	var col []uint32 // six channels, as BenchmarkFunnelBatchBreakdown's
	if s.Breakdown != nil {
		col = make([]uint32, bt.Len())
		for i, p := range bt.Profile {
			col[i] = 1 + (p+uint32(i))%6
		}
	}
	var parts []*Partial[*Result]
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
		p, err := s.PartialBatch(sh)
		if err != nil {
			b.Fatal(err)
		}
		parts = append(parts, p)
		lo = hi
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
