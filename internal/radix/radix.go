// Package radix is the SDK's one radix sort: a least-significant-digit sort of integer
// keys, linear in the number of keys, which at millions of keys is several times
// faster than sorting by comparison. identity sorts its hash table's entries with it,
// segment its profile lists and funnel its lists of durations.
package radix

import (
	"cmp"
	"math/bits"
	"slices"
)

// Integer is the key types Sort takes.
type Integer interface {
	~int32 | ~int64 | ~uint32 | ~uint64
}

// small is the length below which Sort leaves the work to pdqsort (slices.Sort), whose
// constant factor wins over the radix sort's counting passes on short lists.
const small = 1 << 10

// digitBits is the width of a digit. Bytes keep the 256 places a pass writes to within
// the caches and the TLB: 11-bit digits, fewer passes over the same keys, measured 1.5 to
// 2.5 times slower on a million 64-bit keys (BENCHMARKS.md).
const digitBits = 8

// Sort sorts a in ascending order of the key v >> shift (the whole value for shift 0),
// keeping equal keys in their order (stable), and returns scratch, grown to len(a) if
// it was shorter, for the caller to reuse. Only the bits the keys differ in cost a
// pass: the keys are taken relative to the smallest (durations within a week span 50
// bits, not 64), and a byte that every key shares is skipped.
func Sort[T Integer](a, scratch []T, shift uint) []T {
	n := len(a)
	if n < small {
		if shift == 0 {
			slices.Sort(a)
		} else {
			slices.SortStableFunc(a, func(x, y T) int { return cmp.Compare(x>>shift, y>>shift) })
		}
		return scratch
	}
	lo, hi := a[0]>>shift, a[0]>>shift
	for _, v := range a {
		lo, hi = min(lo, v>>shift), max(hi, v>>shift)
	}
	// key is v's place above the smallest key, as unsigned (which also orders signed
	// values right, since hi - lo cannot overflow an unsigned 64-bit difference).
	key := func(v T) uint64 { return uint64(v>>shift) - uint64(lo) }
	span := bits.Len64(uint64(hi) - uint64(lo))
	if span == 0 {
		return scratch // one key: already in order
	}
	if cap(scratch) < n {
		scratch = make([]T, n)
	}
	src, dst := a, scratch[:n]
	var count [1 << digitBits]int
	for d := 0; d < span; d += digitBits {
		clear(count[:])
		for _, v := range src {
			count[byte(key(v)>>d)]++
		}
		if count[byte(key(src[0])>>d)] == n {
			continue // every key has this digit: the pass would not move anything
		}
		pos := 0
		for i, c := range count {
			count[i] = pos
			pos += c
		}
		for _, v := range src {
			b := byte(key(v) >> d)
			dst[count[b]] = v
			count[b]++
		}
		src, dst = dst, src
	}
	if &src[0] != &a[0] {
		copy(a, src) // after an odd number of passes the result is in scratch
	}
	return scratch
}
