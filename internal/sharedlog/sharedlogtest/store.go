package sharedlogtest

import (
	"context"
	"iter"
	"sync/atomic"

	"github.com/clientele-go/clientele/internal/storecheck"
)

// Store is the method set of a store of records R: identity.Store ([]byte),
// referral.Store and loyalty.Store (their Record), as the conformance checks name it.
type Store[R any] = storecheck.LogStore[R]

// Shared is the method set of a shared store of records R: identity.SharedStore,
// referral.SharedStore and loyalty.SharedStore.
type Shared[R any] interface {
	Store[R]
	Lead(ctx context.Context) error
	Since(pos uint64) iter.Seq2[R, error]
	Settle() error
}

// Cancelling is a shared store whose Since calls Cancel just before it yields its
// After-th record: a host's deadline that expires while CatchUp applies a long tail.
type Cancelling[R any] struct {
	Shared[R]
	After  int
	Cancel func()
}

// Since yields what the store's Since yields, calling Cancel on the way (see CancelAfter).
func (c *Cancelling[R]) Since(pos uint64) iter.Seq2[R, error] {
	return CancelAfter(c.Shared.Since(pos), c.After, c.Cancel)
}

// Diverging is a shared store whose next Since, once Diverge is set, calls Cancel and
// reports Diverged (the package's ErrDiverged), as a store does after a Settle failed:
// the host gives up as the owner finds it must read the whole log again. It counts the
// Records calls that read it again.
type Diverging[R any] struct {
	Shared[R]
	Cancel   func()
	Diverged error
	Diverge  bool
	Rereads  int
}

// Since yields the store's records, or only Diverged once after Diverge is set.
func (d *Diverging[R]) Since(pos uint64) iter.Seq2[R, error] {
	if !d.Diverge {
		return d.Shared.Since(pos)
	}
	d.Diverge = false
	return func(yield func(R, error) bool) {
		d.Cancel()
		var zero R
		yield(zero, d.Diverged)
	}
}

// Records counts the call in Rereads and yields the store's records.
func (d *Diverging[R]) Records() iter.Seq2[R, error] {
	d.Rereads++
	return d.Shared.Records()
}

// Counting is a store (not a shared one) whose Records calls Cancel just before it
// yields its After-th record (0: never) and counts the records it yields: a host's
// SIGTERM that arrives while an owner's constructor replays a long log.
type Counting[R any] struct {
	Store[R]
	After   int
	Cancel  func()
	Yielded atomic.Int64 // read by identity's decoding goroutine, which may outlive New a moment
}

// Records yields the store's records, counting them in Yielded.
func (c *Counting[R]) Records() iter.Seq2[R, error] {
	recs := c.Store.Records()
	if c.After > 0 {
		recs = CancelAfter(recs, c.After, c.Cancel)
	}
	return func(yield func(R, error) bool) {
		for rec, err := range recs {
			c.Yielded.Add(1)
			if !yield(rec, err) {
				return
			}
		}
	}
}
