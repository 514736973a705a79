package funnel

import "github.com/clientele-go/clientele/internal/radix"

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
