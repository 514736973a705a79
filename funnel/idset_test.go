package funnel

import (
	"math"
	"slices"
	"testing"

	"pgregory.net/rapid"
)

// drawIDs draws a sequence of profile ids in runs that reach every path of idSet: long
// dense ascending runs (buffers that open a window, windows that fill and move on to
// the next block), sparse runs (windows that close with few ids), random ids within a
// block or anywhere, repeats, and the blocks at both ends of the id space.
func drawIDs(t *rapid.T, label string) []uint32 {
	var ids []uint32
	for range rapid.IntRange(0, 6).Draw(t, label+" runs") {
		base := rapid.SampledFrom([]uint32{0, 1 << 16, 3<<16 - 700, math.MaxUint32 - 3000, rapid.Uint32().Draw(t, "any")}).Draw(t, "base")
		n := rapid.IntRange(0, 3000).Draw(t, "length")
		switch rapid.IntRange(0, 3).Draw(t, "kind") {
		case 0: // ascending, dense or sparse
			step := rapid.SampledFrom([]uint32{1, 2, 3, 200, 70000}).Draw(t, "step")
			for i := range n {
				if id := uint64(base) + uint64(i)*uint64(step); id <= math.MaxUint32 {
					ids = append(ids, uint32(id))
				}
			}
		case 1: // random within a span
			span := rapid.SampledFrom([]uint32{10, 1 << 16, 1 << 20, math.MaxUint32}).Draw(t, "span")
			seed := rapid.Uint32().Draw(t, "seed")
			for i := range n {
				x := uint64(base) + uint64((seed*2654435761+uint32(i)*40503)%span)
				ids = append(ids, uint32(min(x, math.MaxUint32)))
			}
		case 2: // repeats of what came before
			for range min(n, 50) {
				if len(ids) > 0 {
					ids = append(ids, ids[rapid.IntRange(0, len(ids)-1).Draw(t, "repeat")])
				}
			}
		}
	}
	return ids
}

// TestIDSetHoldsItsIDs: an idSet's bitmap holds exactly the ids added, in any order,
// after any merges; bitmap and merge read without changing what they read.
func TestIDSetHoldsItsIDs(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		a, b := drawIDs(t, "a"), drawIDs(t, "b")
		var sa, sb idSet
		for _, id := range a {
			sa.add(id)
		}
		for _, id := range b {
			sb.add(id)
		}
		same := func(s *idSet, want []uint32, what string) {
			want = slices.Compact(slices.Sorted(slices.Values(want)))
			if got := s.bitmap().ToArray(); !slices.Equal(got, want) {
				t.Fatalf("%s: %d ids in the bitmap, want %d", what, len(got), len(want))
			}
		}
		same(&sa, a, "a")
		same(&sa, a, "a, read twice")
		if rapid.Bool().Draw(t, "merge into an empty set") {
			var empty idSet
			empty.merge(&sa)
			same(&empty, a, "a merged into an empty set")
		}
		sa.merge(&sb)
		same(&sb, b, "b after merging it into a")
		same(&sa, append(a, b...), "a after merging b")
		// Adding after a merge goes on where the set was.
		more := drawIDs(t, "more")
		for _, id := range more {
			sa.add(id)
		}
		same(&sa, slices.Concat(a, b, more), "a after more adds")
	})
}
