package funnel

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"pgregory.net/rapid"
)

// TestSortPartitioned: the two-stage sort of long lists (partition, then each group,
// partitioned again when it is long), as jobs that spawn jobs on several goroutines
// (sortedDurations in a jobQueue; with one worker the groups are sorted in turn), agrees
// with slices.Sort, and so does the whole-list sort of short lists (sortBlocks).
// The values are drawn to reach every path: any span and sign, a few distinct values
// (groups of equal keys, spans of a byte or less), and most values within a narrow
// range beside a few far ones, so that one group is long enough to be dealt again.
func TestSortPartitioned(t *testing.T) {
	var scratch []int64
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(partitionMin-2, 5*partitionMin).Draw(t, "n")
		rng := rand.New(rand.NewPCG(rapid.Uint64().Draw(t, "seed"), 3))
		base := rapid.Int64().Draw(t, "base")
		wide := rapid.IntRange(0, 64).Draw(t, "wide bits")
		narrow := rapid.IntRange(0, wide).Draw(t, "narrow bits")
		farShare := rapid.Float64Range(0, 1).Draw(t, "share of wide values")
		distinct := rapid.IntRange(0, 300).Draw(t, "distinct values (0: any)")
		draw := func(bits int) int64 {
			if bits == 0 {
				return base
			}
			return int64(uint64(base) + rng.Uint64()>>(64-bits)) // wraps: may cross zero
		}
		palette := make([]int64, distinct)
		for i := range palette {
			palette[i] = draw(wide)
		}
		var src [][]int64
		want := make([]int64, 0, n)
		for len(want) < n {
			b := make([]int64, min(rapid.IntRange(0, 3*chunkSize).Draw(t, "block"), n-len(want)))
			for i := range b {
				switch {
				case distinct > 0:
					b[i] = palette[rng.IntN(distinct)]
				case rng.Float64() < farShare:
					b[i] = draw(wide)
				default:
					b[i] = draw(narrow)
				}
			}
			src = append(src, b)
			want = append(want, b...)
		}
		slices.Sort(want)

		got := make([]int64, n)
		sortBlocks(got, src, &scratch)
		if !slices.Equal(got, want) {
			t.Fatal("sortBlocks differs from slices.Sort")
		}

		c := chunks{blocks: src, n: n}
		var d Durations
		newJobQueue([]resultJob{{size: n, run: func(scratch *[]time.Duration, spawn spawnFunc) {
			d = sortedDurations(&c, scratch, spawn)
		}}}).run(rapid.IntRange(1, 4).Draw(t, "workers"), n)
		if len(d) != n {
			t.Fatalf("sortedDurations returned %d values of %d", len(d), n)
		}
		for i := range want {
			if int64(d[i]) != want[i] {
				t.Fatalf("sortedDurations as jobs differs from slices.Sort at %d of %d", i, n)
			}
		}
	})
}

// TestSortPartitionedSkewed: times to convert within seconds under a window of a week,
// beside a few near the window's end, put nearly every value in partition's first group,
// which is then dealt again (sortRange's second stage); the drawn lists of
// TestSortPartitioned reach that path only in some runs.
func TestSortPartitionedSkewed(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	n := 3 * partitionMin
	vs := make([]int64, n)
	for i := range vs {
		vs[i] = rng.Int64N(int64(time.Minute))
		if i%1000 == 0 {
			vs[i] = int64(7*24*time.Hour) - rng.Int64N(int64(time.Hour))
		}
	}
	want := slices.Sorted(slices.Values(vs))
	c := chunks{blocks: [][]int64{vs[:n/3], vs[n/3:]}, n: n}
	var d Durations
	newJobQueue([]resultJob{{size: n, run: func(scratch *[]time.Duration, spawn spawnFunc) {
		d = sortedDurations(&c, scratch, spawn)
	}}}).run(2, n)
	for i := range want {
		if int64(d[i]) != want[i] {
			t.Fatalf("value %d of %d: %v, want %v", i, n, d[i], time.Duration(want[i]))
		}
	}
}
