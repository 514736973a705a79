package funnel

import (
	"math"
	"math/bits"
	"slices"
)

// sortBlocks writes the values of src, sorted, into out (len(out) == the number of
// values). Long lists take a least-significant-digit radix sort: large funnels hand
// Result lists of millions of durations, and sorting them by comparison was the
// largest cost of a funnel over a hundred million events. The radix sort reads the
// values where they were recorded, so that the only other memory it touches is scratch,
// one buffer reused for every list of a Result (grown as needed; pass nil to allocate).
func sortBlocks[S, D ~int64](out []D, src [][]S, scratch *[]D) {
	n := len(out)
	if n < 1<<12 {
		k := 0
		for _, b := range src {
			for _, v := range b {
				out[k] = D(v)
				k++
			}
		}
		slices.Sort(out)
		return
	}
	// Sort keys v - lo, as unsigned: they span only the bits the values differ in, so a
	// list of durations within a week needs 50 bits, not 64.
	lo, hi := S(math.MaxInt64), S(math.MinInt64)
	for _, b := range src {
		for _, v := range b {
			lo, hi = min(lo, v), max(hi, v)
		}
	}
	span := bits.Len64(uint64(hi) - uint64(lo))
	if span == 0 {
		for i := range out {
			out[i] = D(lo)
		}
		return
	}
	// Digits of at most 11 bits keep the counts (and the 2,048 places being written)
	// within the first-level caches; the passes split span evenly.
	passes := (span + radixBits - 1) / radixBits
	width := uint((span + passes - 1) / passes)
	mask := uint64(1)<<width - 1
	count := make([]int, passes<<width)
	for _, b := range src {
		for _, v := range b {
			k := uint64(v) - uint64(lo)
			for d := range passes {
				count[d<<width+int(k>>(uint(d)*width)&mask)]++
			}
		}
	}
	for d := range passes {
		c := count[d<<width : (d+1)<<width]
		pos := 0
		for i, x := range c {
			c[i] = pos
			pos += x
		}
	}
	var buf []D
	if scratch != nil {
		buf = *scratch
	}
	if cap(buf) < n {
		buf = make([]D, n)
		if scratch != nil {
			*scratch = buf
		}
	}
	tmp := buf[:n]
	// The last pass must write out: the first writes out when the count is odd.
	dst, other := tmp, out
	if passes%2 == 1 {
		dst, other = out, tmp
	}
	c := count[:1<<width]
	for _, b := range src {
		for _, v := range b {
			k := (uint64(v) - uint64(lo)) & mask
			dst[c[k]] = D(v)
			c[k]++
		}
	}
	for d := 1; d < passes; d++ {
		from := dst
		dst, other = other, dst
		c := count[d<<width : (d+1)<<width]
		shift := uint(d) * width
		for _, v := range from {
			k := (uint64(v) - uint64(int64(lo))) >> shift & mask
			dst[c[k]] = v
			c[k]++
		}
	}
}

const radixBits = 11
