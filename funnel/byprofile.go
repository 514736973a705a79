package funnel

import (
	"cmp"
	"iter"
	"slices"
	"time"
)

// sortedByProfile checks each event's instant (see instant) and returns the events one
// profile after another, each profile's in time order with ties in input order: the
// slice form of the analyses that read a profile's events together (correlation, paths,
// stickiness).
func sortedByProfile(events []Event, asOf time.Time) (iter.Seq2[Event, int64], error) {
	order := make([]int32, len(events))
	times := make([]int64, len(events))
	for i, e := range events {
		t, err := instant(i, e, asOf)
		if err != nil {
			return nil, err
		}
		order[i], times[i] = int32(i), t
	}
	slices.SortFunc(order, func(a, b int32) int {
		return cmp.Or(cmp.Compare(events[a].Profile, events[b].Profile), cmp.Compare(times[a], times[b]), cmp.Compare(a, b))
	})
	return func(yield func(Event, int64) bool) {
		for _, i := range order {
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
