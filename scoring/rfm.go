package scoring

import (
	"fmt"
	"math/bits"
	"slices"
	"sort"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
)

// RFMOptions tune RFM scoring. The zero value (or nil) scores in quintiles.
type RFMOptions struct {
	Bins int // [5] scores run from 1 to Bins
}

// RFMScore is one profile's recency, frequency and monetary scores, each from 1
// (worst) to Bins (best), and its named segment.
type RFMScore struct {
	Profile                      uint32
	Recency, Frequency, Monetary int
	Segment                      string
}

// The named RFM segments, from the recency and frequency scores (monetary value is
// scored but, as in the common R-by-F grid, does not name the segment). On quintiles:
//
//	R\F   1               2                   3                   4          5
//	5     new             potential_loyalist  potential_loyalist  champions  champions
//	4     promising       potential_loyalist  potential_loyalist  loyal      loyal
//	3     about_to_sleep  about_to_sleep      need_attention      loyal      loyal
//	2     hibernating     hibernating         at_risk             at_risk    cant_lose
//	1     lost            hibernating         at_risk             at_risk    cant_lose
//
// With other numbers of bins a score s is first mapped to a quintile by spreading 1..Bins
// evenly over 1..5, 1 + 4(s-1)/(Bins-1) rounded half to even, so that the worst score
// is quintile 1, the best 5, and a score and its mirror (s, Bins+1-s) land on mirrored
// quintiles. (ceil(5s/Bins) put the lower of two bins in quintile 3, so that with Bins
// 2 the worst customers needed attention and none was lost.) With Bins 1, or where
// every profile ties on recency and on frequency (a base of one), the scores say
// nothing about anyone and the segment is SegmentUnranked.
const (
	SegmentChampions         = "champions"
	SegmentLoyal             = "loyal"
	SegmentPotentialLoyalist = "potential_loyalist"
	SegmentNew               = "new"
	SegmentPromising         = "promising"
	SegmentNeedAttention     = "need_attention"
	SegmentAboutToSleep      = "about_to_sleep"
	SegmentAtRisk            = "at_risk"
	SegmentCantLose          = "cant_lose"
	SegmentHibernating       = "hibernating"
	SegmentLost              = "lost"
	// SegmentUnranked is the segment of every profile when the scores rank no one
	// above another: Bins 1, or all profiles tied on recency and on frequency.
	SegmentUnranked = "unranked"
)

// rfmGrid[r-1][f-1] is the segment of quintile scores r and f.
var rfmGrid = [5][5]string{
	{SegmentLost, SegmentHibernating, SegmentAtRisk, SegmentAtRisk, SegmentCantLose},
	{SegmentHibernating, SegmentHibernating, SegmentAtRisk, SegmentAtRisk, SegmentCantLose},
	{SegmentAboutToSleep, SegmentAboutToSleep, SegmentNeedAttention, SegmentLoyal, SegmentLoyal},
	{SegmentPromising, SegmentPotentialLoyalist, SegmentPotentialLoyalist, SegmentLoyal, SegmentLoyal},
	{SegmentNew, SegmentPotentialLoyalist, SegmentPotentialLoyalist, SegmentChampions, SegmentChampions},
}

// RFM scores each profile by quantile of the base:
//
//   - recency: time since the last purchase, T - Recency (more recent is better);
//   - frequency: purchases, Frequency + 1;
//   - monetary: total spend, Summary.Spend.
//
// A score is the mid-percentile rank of the profile's value, 1 + floor(Bins · (w + e/2)
// / n), where w is the number of profiles strictly worse on that measure, e the number
// tied with it (itself included) and n the number of profiles: the percentile rank of
// test norms, a tie counting half (Crocker & Algina 1986, "Introduction to Classical
// and Modern Test Theory", on norms), the middle of the share of the base the tie
// holds. Except that when the profiles differ on the measure, the worst (w = 0) score 1
// and the best (no profile better) score Bins. So the best customer is never below the
// middle, however small the shop or large the tie at the top; a large tie at the bottom
// (most customers buying once) keeps score 1; and a measure on which everyone ties
// scores the middle, 1 + floor(Bins/2), for no one is better or worse. With n a
// multiple of Bins and no ties the scores are the plain quantiles, 1 + floor(Bins · w /
// n). (The plain quantile alone gave the better of two customers 3 of 5,
// need_attention, and a best tie of over a fifth of the base less than 5.) Tied
// profiles always get the same score, whatever the input order, and a profile better or
// equal on a measure never scores lower on it; with heavy ties scores skip values
// rather than split a tie arbitrarily. Results come in input order.
//
// The summaries must be of one time unit (Customer.Unit), as Summarize makes them:
// recencies in days and in weeks do not rank against each other. A profile may appear
// once, since a profile counted twice would skew the quantiles and land in two
// segments of RFMSegments.
func RFM(ss []Summary, opt *RFMOptions) ([]RFMScore, error) {
	bins := 5
	if opt != nil && opt.Bins != 0 {
		bins = opt.Bins
	}
	if bins < 1 {
		return nil, fmt.Errorf("%w: %d RFM bins", ErrInvalid, bins)
	}
	if _, err := unitOf(ss, func(s Summary) time.Duration { return s.Unit }); err != nil {
		return nil, err
	}
	seen := roaring.New()
	for i, s := range ss {
		if !seen.CheckedAdd(s.Profile) {
			first := slices.IndexFunc(ss, func(o Summary) bool { return o.Profile == s.Profile })
			return nil, fmt.Errorf("%w: summaries %d and %d are both of profile %d", ErrInvalid, first, i, s.Profile)
		}
	}
	n := len(ss)
	rec, freq, mon := make([]float64, n), make([]float64, n), make([]float64, n)
	for i, s := range ss {
		if err := s.Customer.Validate(); err != nil {
			return nil, errorf("summary %d (profile %d): %w", i, s.Profile, err)
		}
		if !finite(s.Spend) || s.Spend < 0 {
			return nil, errorf("summary %d (profile %d): %w: spend %v", i, s.Profile, ErrInvalid, s.Spend)
		}
		// Recency is negated so that for all three measures larger is better.
		rec[i], freq[i], mon[i] = -(s.T - s.Recency), float64(s.Frequency+1), s.Spend
	}
	rs, fs, ms := quantileScores(rec, bins), quantileScores(freq, bins), quantileScores(mon, bins)
	unranked := bins == 1 || allEqual(rec) && allEqual(freq)
	out := make([]RFMScore, n)
	for i, s := range ss {
		seg := SegmentUnranked
		if !unranked {
			seg = rfmGrid[quintile(rs[i], bins)-1][quintile(fs[i], bins)-1]
		}
		out[i] = RFMScore{Profile: s.Profile, Recency: rs[i], Frequency: fs[i], Monetary: ms[i], Segment: seg}
	}
	return out, nil
}

// allEqual reports whether every value of v is the first.
func allEqual(v []float64) bool {
	return !slices.ContainsFunc(v, func(x float64) bool { return x != v[0] })
}

// quantileScores returns each value's score as RFM defines it: 1 for the lowest and
// bins for the highest where the values differ, else 1 + floor(bins · (w + e/2) / n)
// = 1 + floor(bins · (w + u) / 2n), w values below v and u = w + e up to it. The
// product is taken in 128 bits: with Bins near 2^61 it overflowed int, and the
// negative score that came out indexed the segment grid, a panic.
func quantileScores(v []float64, bins int) []int {
	sorted := slices.Clone(v)
	slices.Sort(sorted)
	out := make([]int, len(v))
	n := len(v)
	for i, x := range v {
		below := sort.SearchFloat64s(sorted, x)
		upTo := below + sort.Search(n-below, func(j int) bool { return sorted[below+j] > x })
		switch {
		case below == 0 && upTo < n:
			out[i] = 1
		case upTo == n && below > 0:
			out[i] = bins
		default:
			out[i] = 1 + mulDiv(bins, below+upTo, 0, 2*n)
		}
	}
	return out
}

// quintile maps a score in 1..bins (bins >= 2) to 1..5: 1 + 4(s-1)/(bins-1), rounded
// half to even so that s and bins+1-s map to mirrored quintiles, in 128 bits.
func quintile(s, bins int) int {
	hi, lo := bits.Mul64(4, uint64(s-1))
	den := uint64(bins - 1)
	q, r := bits.Div64(hi, lo, den)
	if 2*r > den || 2*r == den && q%2 == 1 {
		q++
	}
	return 1 + int(q)
}

// mulDiv returns floor((a·b + c) / d) for non-negative a, b, c and a positive d, in 128
// bits; the callers' quotients are at most max(a, 5), so they fit an int.
func mulDiv(a, b, c, d int) int {
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	lo, carry := bits.Add64(lo, uint64(c), 0)
	q, _ := bits.Div64(hi+carry, lo, uint64(d))
	return int(q)
}

// RFMSegments returns, for each segment that has members, the set of its profiles,
// keyed by prefix + segment name ("rfm:champions" with prefix "rfm:"). A host feeds
// them to a segment index as tags: for tag, b := range sets { index.Tag(tag, b.ToArray()...) }.
func RFMSegments(scores []RFMScore, prefix string) map[string]*roaring.Bitmap {
	out := map[string]*roaring.Bitmap{}
	for _, s := range scores {
		b := out[prefix+s.Segment]
		if b == nil {
			b = roaring.New()
			out[prefix+s.Segment] = b
		}
		b.Add(s.Profile)
	}
	return out
}
