// Package sharedlogtest holds what the tests of the shared logs' catch-ups share: a
// shared store's Since that stands for a caller's deadline expiring part-way through
// a long tail.
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
