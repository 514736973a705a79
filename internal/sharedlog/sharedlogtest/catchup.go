package sharedlogtest

import (
	"context"
	"errors"
	"slices"

	"github.com/clientele-go/clientele/internal/sharedlog"
	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"
)

// Owner is what the catch-up checks call of an owner of a shared log
// (identity.Resolver, referral.Program, loyalty.Ledger).
type Owner interface {
	CatchUp(ctx context.Context) (uint64, error)
	Position() uint64
}

// CatchUps is what CancelledCatchUp and CancelledBeforeRebuild need of a package whose
// owner is O on a shared store of records R: how to make a log in memory, open an owner
// on it and read what it answers. Only these differ between the packages.
type CatchUps[O Owner, R any] struct {
	// Log makes a shared log in memory holding recs, returning a function that makes a
	// new replica of it (one process's store) and one that sets the records it holds
	// (another writer appending).
	Log func(recs []R) (replica func() Shared[R], set func(recs []R))
	// Open opens an owner on s, failing t on an error. heard renders what the owner's
	// hooks have reported so far (identity's merges, loyalty's tier changes; "" for none).
	Open func(t rapid.TB, s Shared[R]) (o O, heard func() string)
	// State renders what a caller can ask o about the log's records.
	State func(o O) string
	// Head is how many records of the log an owner holds before the tail: 1 for
	// identity's configuration record, which a resolver writes to an empty log.
	Head int
	// Hooks says that the owner's hooks report as records are applied: what they heard
	// is not empty after a CatchUp cancelled part-way, nor after an uninterrupted one.
	Hooks bool
	// Diverged is the package's ErrDiverged.
	Diverged error
	// Owner names the owner in messages: "resolver", "Program", "ledger".
	Owner string
}

// CancelledCatchUp checks a CatchUp cancelled part-way: two owners hold the first Head
// records of a log, to which another writer then appends the rest of recs. A CatchUp
// whose ctx is cancelled just before the store yields its after-th record of the tail
// stops at a record boundary at most sharedlog.CheckEvery records later, with an error
// wrapping context.Canceled; the owner answers as one that replayed that prefix does,
// and a CatchUp with a live ctx then ends where the other owner's uninterrupted one
// ends, in the same state, its hooks having heard the same.
func CancelledCatchUp[O Owner, R any](t rapid.TB, c CatchUps[O, R], recs []R, after int) {
	t.Helper()
	replica, set := c.Log(slices.Clip(recs[:c.Head])) // clipped: an Append must not write into recs
	cctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cut, cutHeard := c.Open(t, &Cancelling[R]{Shared: replica(), After: after, Cancel: cancel})
	whole, wholeHeard := c.Open(t, replica())
	set(recs)
	from, end := cut.Position(), uint64(len(recs))

	pos, err := cut.CatchUp(cctx)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("CatchUp cancelled after %d of %d records: %v, want context.Canceled", after, end-from, err)
	}
	cancelled := from + uint64(after) - 1 // records yielded before the cancel
	if pos != cut.Position() || pos < cancelled || pos > cancelled+sharedlog.CheckEvery || pos >= end {
		t.Fatalf("CatchUp cancelled after record %d of %d stopped at %d (Position %d), want a record in [%d, %d]",
			cancelled, end, pos, cut.Position(), cancelled, min(end-1, cancelled+sharedlog.CheckEvery))
	}
	prefix, _ := c.Log(slices.Clip(recs[:pos]))
	at, _ := c.Open(t, prefix())
	if want, got := c.State(at), c.State(cut); want != got {
		t.Fatalf("after a CatchUp cancelled at record %d, the %s differs from a replay of the records before it (-replay +cut):\n%s", pos, c.Owner, cmp.Diff(want, got))
	}
	if c.Hooks && cutHeard() == "" {
		t.Fatalf("the hooks heard nothing at a CatchUp cancelled at record %d, want what the records it applied reported", pos)
	}

	if pos, err := cut.CatchUp(context.Background()); err != nil || pos != end {
		t.Fatalf("CatchUp after a cancelled one: %d, %v; want %d, nil", pos, err, end)
	}
	if pos, err := whole.CatchUp(context.Background()); err != nil || pos != end {
		t.Fatalf("CatchUp uninterrupted: %d, %v; want %d, nil", pos, err, end)
	}
	if want, got := c.State(whole), c.State(cut); want != got {
		t.Fatalf("a CatchUp cancelled and resumed differs from an uninterrupted one (-whole +cut):\n%s", cmp.Diff(want, got))
	}
	if want, got := wholeHeard(), cutHeard(); want != got || c.Hooks && want == "" {
		t.Fatalf("the hooks of a CatchUp cancelled and resumed heard otherwise than an uninterrupted one's (-whole +cut):\n%s", cmp.Diff(want, got))
	}
}

// CancelledBeforeRebuild checks a CatchUp whose ctx is done when it finds it must read
// the whole log again (its store's Since reports Diverged): it returns ctx's error
// without starting the rebuild (which it would not interrupt), and the owner stays
// marked diverged: the next CatchUp rebuilds, reading Records once, and ends as one
// that never diverged.
func CancelledBeforeRebuild[O Owner, R any](t rapid.TB, c CatchUps[O, R], recs []R) {
	t.Helper()
	replica, set := c.Log(slices.Clip(recs[:c.Head])) // clipped: an Append must not write into recs
	cctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	store := &Diverging[R]{Shared: replica(), Cancel: cancel, Diverged: c.Diverged}
	o, _ := c.Open(t, store)
	whole, _ := c.Open(t, replica())
	set(recs)
	store.Diverge, store.Rereads = true, 0

	head := uint64(c.Head)
	if pos, err := o.CatchUp(cctx); !errors.Is(err, context.Canceled) || pos != head || store.Rereads != 0 {
		t.Fatalf("CatchUp cancelled as it met ErrDiverged: %d, %v, %d rereads; want %d, context.Canceled, none", pos, err, store.Rereads, head)
	}
	if pos, err := o.CatchUp(context.Background()); err != nil || pos != uint64(len(recs)) || store.Rereads != 1 {
		t.Fatalf("CatchUp after it: %d, %v, %d rereads; want %d, nil, 1", pos, err, store.Rereads, len(recs))
	}
	whole.CatchUp(context.Background())
	if want, got := c.State(whole), c.State(o); want != got {
		t.Fatalf("a %s rebuilt after a cancelled CatchUp differs from one that never diverged (-whole +rebuilt):\n%s", c.Owner, cmp.Diff(want, got))
	}
}
