// Package sharedlogtest holds what the tests of identity's, referral's and loyalty's
// shared logs share in memory: stores that stand for a caller's deadline expiring
// part-way through a long read ([CancelAfter], [Cancelling], [Diverging], [Counting]),
// and the checks that a catch-up ([CancelledCatchUp], [CancelledBeforeRebuild]) or a
// replay ([ReplayDone], [ReplayCancelled]) ends with its ctx and goes on correctly.
// The three owners share internal/sharedlog and the same replay, so each check is
// written once here and run by each package with its owner and records as closures
// ([CatchUps], [Replays]).
package sharedlogtest

import "iter"

// CancelAfter yields what seq yields, calling cancel just before it yields the
// after-th element: a host's deadline that expires while a catch-up applies a long
// tail.
func CancelAfter[T any](seq iter.Seq2[T, error], after int, cancel func()) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		n := 0
		for r, err := range seq {
			if n++; n == after {
				cancel()
			}
			if !yield(r, err) {
				return
			}
		}
	}
}
