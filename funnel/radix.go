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

// sortRange sorts a, a group of partition: a short one within the caches (sortCached),
// a long one (when most values share a top byte, as times to convert within
// minutes do under a window of weeks) by partitioning it again into scratch and
// sorting those groups, so that no one task is a large share of the list.
func sortRange[D ~int64](a []D, scratch *[]D, spawn func(task func(scratch *[]D), size int)) {
	if len(a) < partitionMin {
		sortCached(a, scratch)
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

// sortCached sorts a group of partition, held in the caches: one more pass deals its
// values into about len(a)/4 buckets by their top bits above the smallest (at most
// 2^11 buckets, whose counts stay in the first-level cache), each bucket then sorted by
// insertion, or by the radix sort if it is long (many equal or close values). A group's
// values spread evenly over its span more often than not (a group is 1/256th of the
// list's span), so buckets hold a few values each; the radix sort alone made six passes
// over the group for the 42 bits its values differ in.
func sortCached[D ~int64](a []D, scratch *[]D) {
	n := len(a)
	if n <= insertionMax {
		insertionSort(a)
		return
	}
	lo, hi := a[0], a[0]
	for _, v := range a {
		lo, hi = min(lo, v), max(hi, v)
	}
	span := bits.Len64(uint64(hi) - uint64(lo))
	b := min(bits.Len(uint(n/4)), 11, span)
	if b < 4 {
		*scratch = radix.Sort(a, *scratch, 0)
		return
	}
	shift := uint(span - b)
	var count [1<<11 + 1]int
	for _, v := range a {
		count[(uint64(v)-uint64(lo))>>shift+1]++
	}
	for i := 1; i <= 1<<b; i++ {
		count[i] += count[i-1]
	}
	if cap(*scratch) < n {
		*scratch = make([]D, n)
	}
	buf := (*scratch)[:n]
	pos := count[: 1<<b : 1<<b]
	for _, v := range a {
		k := (uint64(v) - uint64(lo)) >> shift
		buf[pos[k]] = v
		pos[k]++
	}
	// pos[k] is now where bucket k ends, and bucket k starts where k-1 ended.
	start := 0
	for _, end := range pos {
		if g := buf[start:end]; len(g) <= insertionMax {
			insertionSort(g)
		} else {
			radix.Sort(g, a[start:start:end], 0) // a's room for the bucket, free until the copy below
		}
		start = end
	}
	copy(a, buf)
}

// insertionMax is the longest bucket sorted by insertion.
const insertionMax = 24

func insertionSort[D ~int64](a []D) {
	for i := 1; i < len(a); i++ {
		v := a[i]
		j := i
		for ; j > 0 && a[j-1] > v; j-- {
			a[j] = a[j-1]
		}
		a[j] = v
	}
}
