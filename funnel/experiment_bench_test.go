package funnel

import (
	"testing"

	"github.com/RoaringBitmap/roaring/v2"
)

// benchGroups splits the benchmark batch's profiles by parity.
func benchGroups(b *testing.B) (*Result, *roaring.Bitmap, *roaring.Bitmap) {
	res, err := benchSteps.RunBatch(loadBench(b))
	if err != nil {
		b.Fatal(err)
	}
	control, treatment := roaring.New(), roaring.New()
	for p := range uint32(1_100_000) {
		if p%2 == 0 {
			control.Add(p)
		} else {
			treatment.Add(p)
		}
	}
	return res, control, treatment
}

// BenchmarkCompareGroups: the experiment over the funnel benchmarks' 1 M profiles,
// bitmap intersections (the funnel itself excluded).
func BenchmarkCompareGroups(b *testing.B) {
	res, control, treatment := benchGroups(b)
	b.ResetTimer()
	for b.Loop() {
		if _, err := CompareGroups(res, control, treatment, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCompareGroupsNaive is the baseline: each entered profile looked up in the
// groups and the converted set one by one.
func BenchmarkCompareGroupsNaive(b *testing.B) {
	res, control, treatment := benchGroups(b)
	conv := res.Steps[len(res.Steps)-1].Converted
	b.ResetTimer()
	for b.Loop() {
		var k, n [2]int64
		it := res.Steps[0].Converted.Iterator()
		for it.HasNext() {
			p := it.Next()
			g := -1
			if control.Contains(p) {
				g = 0
			} else if treatment.Contains(p) {
				g = 1
			}
			if g >= 0 {
				n[g]++
				if conv.Contains(p) {
					k[g]++
				}
			}
		}
		if n[0] == 0 {
			b.Fatal("empty control")
		}
	}
}
