package order

import (
	"cmp"
	"math"
	"slices"
	"testing"

	"pgregory.net/rapid"
)

// TestDescendingIsStable holds Descending to the stable sorts it stands for, on keys
// with many ties and NaNs, over any subset of rows in any order.
func TestDescendingIsStable(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		key := rapid.SliceOf(rapid.SampledFrom([]float64{math.NaN(), -1, 0, 0.5, 1, math.Inf(1)})).Draw(t, "key")
		rows := rapid.Permutation(Rows(len(key))).Draw(t, "rows")
		rows = rows[:rapid.IntRange(0, len(rows)).Draw(t, "n")]
		laterFirst := rapid.Bool().Draw(t, "laterFirst")

		want := slices.Clone(rows)
		slices.Sort(want)
		byKey := func(a, b int) int {
			ka, kb := key[a], key[b]
			if an, bn := ka != ka, kb != kb; an || bn {
				return cmp.Compare(b2i(an), b2i(bn))
			}
			return cmp.Compare(kb, ka)
		}
		if laterFirst {
			// A stable ascending sort reversed: NaN still last.
			slices.Reverse(want)
		}
		slices.SortStableFunc(want, byKey)
		got := slices.Clone(rows)
		Descending(got, key, laterFirst)
		if !slices.Equal(got, want) {
			t.Fatalf("Descending(%v, %v, %v) = %v, want %v", rows, key, laterFirst, got, want)
		}
	})
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
