package funnel

import (
	"cmp"
	"iter"
	"slices"
	"time"

	"github.com/clientele-go/clientele/internal/radix"
)

// sortedByProfile checks each event's instant (see instant) and returns the events one
// profile after another, each profile's in time order with ties in input order: the
// slice form of the analyses that read a profile's events together (correlation, paths,
// stickiness).
//
// The order is that of one comparison sort by (profile, time, index), made in two
// steps that give the same order: the SDK's radix sort (stable) of the keys
// profile<<32 | index by their profile half, which leaves each profile's events in
// input order, then a stable sort by time of each profile whose events are not in
// time order already. The comparison sort read two events' profiles, scattered over
// memory, for each of its n log n comparisons: it was most of Correlate.Run and
// Paths.Run over a million-profile slice (BenchmarkSortedByProfile beside its naive
// baseline).
func sortedByProfile(events []Event, asOf time.Time) (iter.Seq2[Event, int64], error) {
	keys := make([]uint64, len(events))
	times := make([]int64, len(events))
	for i, e := range events {
		t, err := instant(i, e, asOf)
		if err != nil {
			return nil, err
		}
		keys[i], times[i] = uint64(e.Profile)<<32|uint64(uint32(i)), t
	}
	radix.Sort(keys, nil, 32)
	for lo := 0; lo < len(keys); {
		hi, sorted := lo+1, true
		for ; hi < len(keys) && keys[hi]>>32 == keys[lo]>>32; hi++ {
			sorted = sorted && times[uint32(keys[hi-1])] <= times[uint32(keys[hi])]
		}
		if !sorted {
			slices.SortStableFunc(keys[lo:hi], func(a, b uint64) int { return cmp.Compare(times[uint32(a)], times[uint32(b)]) })
		}
		lo = hi
	}
	return func(yield func(Event, int64) bool) {
		for _, k := range keys {
			i := uint32(k)
			if !yield(events[i], times[i]) {
				return
			}
		}
	}, nil
}

// profileStream is the stream form: a stream already grouped by profile (see
// Spec.RunSeq), checked as it is read. Once the sequence has been ranged over, *failed
// holds the stream's error, which the caller reports before its own result.
func profileStream(events iter.Seq[Event], asOf time.Time, failed *error) iter.Seq2[Event, int64] {
	return func(yield func(Event, int64) bool) {
		stop := false
		*failed = grouped(events, asOf, func(e Event, t int64) {
			if !stop && !yield(e, t) {
				stop = true
			}
		}, func(uint32) {})
	}
}
