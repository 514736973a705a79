package funnel

import (
	"math/bits"

	"github.com/clientele-go/clientele/internal/radix"
)

// sortBlocks writes the values of src, sorted, into out (len(out) == the number of
// values), with the SDK's radix sort: large funnels hand Result lists of millions of
// durations, and sorting them by comparison was the largest cost of a funnel over a
// hundred million events. scratch is one buffer reused for every list of a Result
// (grown as needed; pass nil to allocate).
func sortBlocks[S, D ~int64](out []D, src [][]S, scratch *[]D) {
	k := 0
	for _, b := range src {
		for _, v := range b {
			out[k] = D(v)
			k++
		}
	}
	var buf []D
	if scratch != nil {
		buf = *scratch
	}
	buf = radix.Sort(out, buf, 0)
	if scratch != nil {
		*scratch = buf
	}
}

// partitionMin is the length from which a list is sorted in two stages: one
// most-significant-digit pass (partition) that deals the values into 256 groups by the
// top byte of their offset from the smallest, then each group on its own (sortRange).
// A least-significant-digit sort of a whole list of a million durations makes seven
// passes over memory that does not fit the caches; a group of a few thousand values
// sorts within them, and the groups are independent jobs for the Result's workers (one
// list sorted by one goroutine was the Result's critical path on two cores). On one
// core too the two stages win: 3.45-3.54 against 4.41-4.57 cpu-ns an event for the
// Result of the 10 M event benchmark (2026-12-04, same minute; an earlier machine had
// measured the whole-list sort 5 to 10% ahead, and one-core Results used it until then).
const partitionMin = 1 << 15

// groupSize is about how many values of consecutive groups make one job: enough that
// a job's overhead does not count, few enough to stay in a core's cache and to share
// out evenly.
const groupSize = 1 << 14

// partition writes the values of src into dst grouped by the top byte of their offset
// from the smallest value, the groups in order and each in the order of src, and
// returns where each group starts, len(dst) last (257 entries), and whether dst is
// sorted: so it is when the values span at most a byte, each group then holding one
// value. len(dst) must be the number of values, at least one.
func partition[S, D ~int64](dst []D, src [][]S) (starts []int, sorted bool) {
	var lo, hi S
	first := true
	for _, b := range src {
		for _, v := range b {
			if first {
				lo, hi, first = v, v, false
			}
			lo, hi = min(lo, v), max(hi, v)
		}
	}
	// Offsets as unsigned: hi - lo cannot overflow an unsigned 64-bit difference.
	shift := max(bits.Len64(uint64(hi)-uint64(lo))-8, 0)
	var count [257]int
	for _, b := range src {
		for _, v := range b {
			count[(uint64(v)-uint64(lo))>>shift]++
		}
	}
	starts = make([]int, 257)
	pos := 0
	for g, c := range count[:256] {
		starts[g], count[g] = pos, pos
		pos += c
	}
	starts[256] = pos
	for _, b := range src {
		for _, v := range b {
			g := (uint64(v) - uint64(lo)) >> shift
			dst[count[g]] = D(v)
			count[g]++
		}
	}
	return starts, shift == 0
}

// sortGroups sorts the groups of a (group g is a[starts[g]:starts[g+1]]), gathering
// consecutive groups into tasks of about groupSize values, each handed to spawn with
// its size, to run on any goroutine with a scratch buffer of its own.
func sortGroups[D ~int64](a []D, starts []int, spawn func(task func(scratch *[]D), size int)) {
	from := 0 // the first group of the task being gathered
	for g := range len(starts) - 1 {
		if last := g == len(starts)-2; !last && starts[g+1]-starts[from] < groupSize {
			continue
		}
		bounds := starts[from : g+2]
		task := func(scratch *[]D) {
			for i := range len(bounds) - 1 {
				sortRange(a[bounds[i]:bounds[i+1]], scratch, spawn)
			}
		}
		spawn(task, bounds[len(bounds)-1]-bounds[0])
		from = g + 1
	}
}

// sortRange sorts a, a group of partition: a short one by the radix sort within the
// caches, a long one (when most values share a top byte, as times to convert within
// minutes do under a window of weeks) by partitioning it again into scratch and
// sorting those groups, so that no one task is a large share of the list.
func sortRange[D ~int64](a []D, scratch *[]D, spawn func(task func(scratch *[]D), size int)) {
	if len(a) < partitionMin {
		*scratch = radix.Sort(a, *scratch, 0)
		return
	}
	if cap(*scratch) < len(a) {
		*scratch = make([]D, len(a))
	}
	buf := (*scratch)[:len(a)]
	starts, sorted := partition(buf, [][]D{a})
	copy(a, buf)
	if !sorted {
		sortGroups(a, starts, spawn)
	}
}
