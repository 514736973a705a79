// Package groupcommit is the leader/follower group commit of the SDK's ledgers
// (referral.Program, loyalty.Ledger): records decided one at a time, under the owner's
// lock, are written to the store in batches, one flush (for a file store, one frame and
// one fsync) for all the records decided while the previous flush ran.
//
// # Contract
//
//   - Order. The owner decides a record and calls [Group.Add] under its own mutex (the
//     one passed to [New]), so records enter batches in the order they were decided,
//     and batches are flushed one at a time, in that order. A flush receives exactly the
//     items of one batch, in order.
//   - Who leads. At most one flush runs at a time, the leader's. A caller of
//     [Group.Commit] leads if no one does ([Group.Claim] lets a caller take the role
//     while it still holds the mutex, saving a second turn of it). When its flush
//     returns and the batch that filled up meanwhile has items, the role passes to a
//     goroutine of the Group's, which flushes batches until one is empty when the
//     previous flush returns, and ends; otherwise no one leads until the next Commit.
//   - When a batch is flushed. The open batch is closed, and flushed, as soon as a
//     leader is free: the records decided while a flush runs form the next batch. No
//     timer waits for more; a lone caller flushes at once.
//   - Acknowledgement. Commit returns nil only once the flush of the batch holding the
//     caller's items returned nil: the store has made them durable (fsynced, or
//     committed) first. The flush function is the owner's, so what nil means is the
//     store's durability guarantee.
//   - Failure. When a flush fails, its error is returned to exactly the callers whose
//     items were in that batch, every one of them, and a caller whose batch was
//     flushed before never sees it. The Group then stops: it never calls flush again,
//     since a later batch may depend on records that are not stored. Batches opened
//     after the failure are not written; their callers get the same error, which says
//     why nothing of theirs was stored, and [Group.Err] returns it so that the owner
//     refuses new records.
//
// A caller that adds and then waits for a record that an earlier caller added (a
// retried event) waits for [Group.Pending]: the batch that, once flushed, makes every
// record added so far durable.
package groupcommit

import (
	"errors"
	"fmt"
	"sync"

	"github.com/clientele-go/clientele/internal/errtext"
)

// Batch is the items added while the previous flush ran. done is closed, and err set,
// once they are flushed (or refused after a failure).
type Batch[T any] struct {
	items []T
	done  chan struct{}
	err   error
}

func newBatch[T any]() *Batch[T] {
	return &Batch[T]{done: make(chan struct{})}
}

// Group gathers the items its owner decides into batches and flushes them one batch at
// a time, as the package documentation describes.
type Group[T any] struct {
	mu    *sync.Mutex // the owner's: guards the fields below
	flush func(items []T) error

	open     *Batch[T] // the items added since the last flush began
	inflight *Batch[T] // the batch being flushed, if any
	flushing bool      // a leader is flushing
	failed   error     // the first failed flush's error: the Group has stopped
	spare    []T       // the items slice of the last flushed batch, for the next one
}

// New returns a Group whose state mu guards and that writes each batch with flush.
// flush is called without mu held, by one caller at a time; it may keep nothing of
// items after it returns, and it returns nil only once the items are durable.
func New[T any](mu *sync.Mutex, flush func(items []T) error) *Group[T] {
	return &Group[T]{mu: mu, flush: flush, open: newBatch[T]()}
}

// Add queues items in the open batch, after everything added before, and returns that
// batch, for Commit. The caller holds mu.
func (g *Group[T]) Add(items ...T) *Batch[T] {
	g.open.items = append(g.open.items, items...)
	return g.open
}

// Claim makes the caller the leader if no one is, and reports whether it did; a caller
// that claimed calls [Group.Lead] (not Commit) once it has released mu, and one that
// did not may call [Group.Wait] for a batch that has its items. The caller holds mu.
func (g *Group[T]) Claim() bool {
	if g.flushing {
		return false
	}
	g.flushing = true
	return true
}

// Pending returns the batch whose flush makes every item added so far durable (the
// open one if it has items, else the one being flushed), or nil if there is none. The
// caller holds mu.
func (g *Group[T]) Pending() *Batch[T] {
	if len(g.open.items) > 0 {
		return g.open
	}
	return g.inflight
}

// Err returns the error of the flush that stopped the Group, or nil. The caller holds
// mu.
func (g *Group[T]) Err() error { return g.failed }

// Commit returns once b has been flushed, with the flush's error (see the package
// documentation); the caller does not hold mu. It leads if no one does; otherwise it
// waits for b. Several callers may commit one batch.
func (g *Group[T]) Commit(b *Batch[T]) error {
	g.mu.Lock()
	if g.Claim() {
		g.mu.Unlock()
		return g.Lead(b)
	}
	g.mu.Unlock()
	<-b.done
	return b.err
}

// Wait returns once b has been flushed, with the flush's error, without leading: a
// caller whose Claim returned false, under the same hold of mu in which b received its
// items, knows a leader will flush b, and waits for it without taking mu again. The
// caller does not hold mu.
func (g *Group[T]) Wait(b *Batch[T]) error {
	<-b.done
	return b.err
}

// Lead flushes the open batch unless b is already flushed, then passes the leader's
// role on, and returns b's error. Only the leader calls it: a caller whose Claim
// returned true, or Commit. The caller does not hold mu.
func (g *Group[T]) Lead(b *Batch[T]) error {
	select {
	case <-b.done:
	default:
		// No other leader runs and b is not done, so b has not been swapped out: it is
		// the open batch.
		g.flushOpen()
	}
	if g.more() {
		// The batch that filled meanwhile is flushed by a goroutine of the Group's, so
		// that this caller returns now and its waiters wait on one channel each (a
		// select on two, the done and a hand-over of the role, cost a twentieth of a
		// one-event call's CPU).
		go g.drain()
	}
	return b.err
}

// drain leads until no batch has items.
func (g *Group[T]) drain() {
	g.flushOpen()
	for g.more() {
		g.flushOpen()
	}
}

// more ends a flush: it reports whether the open batch has items, for the leader to
// flush next, and otherwise gives up the leader's role.
func (g *Group[T]) more() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.inflight = nil
	if len(g.open.items) > 0 {
		return true
	}
	g.flushing = false
	return false
}

// flushOpen swaps the open batch out and flushes it. Only the leader calls it.
func (g *Group[T]) flushOpen() {
	g.mu.Lock()
	cur, next := g.open, newBatch[T]()
	if g.spare != nil {
		next.items, g.spare = g.spare, nil
	}
	g.open, g.inflight = next, cur
	err := g.failed
	g.mu.Unlock()
	if err == nil {
		if err = g.flush(cur.items); err != nil {
			g.mu.Lock()
			g.failed = err // before anyone hears of it: an event decided next is refused
			g.mu.Unlock()
		}
	}
	cur.err = err
	close(cur.done)
	// The waiters need only done and err: the items' slice serves a later batch, so
	// that a batch of a thousand callers does not grow one from nothing each time (a
	// tenth of a one-event call's CPU). A huge batch's is dropped.
	items := cur.items
	cur.items = nil
	if cap(items) <= 1<<14 {
		clear(items) // drop the references for the collector
		items = items[:0]
	} else {
		items = nil
	}
	g.mu.Lock()
	if g.spare == nil {
		g.spare = items
	}
	g.mu.Unlock()
}

// Bulk decides the n items of one caller in order (a bulk Apply) and commits them:
// every chunk of them in the background while the next are decided, so that deciding
// and flushing overlap. decide(i) decides the i-th, taking mu itself, and returns the
// batch its items went into (nil if none); Bulk stops at the first error it returns.
// Bulk returns once every batch its items went into is flushed, with decide's error
// (decided) and, if a flush failed, which items it held (flushed), each nil if none:
// both may fail, and the owner says how its caller hears of the two ([BulkError]), in
// its own error types: Bulk's report is plain data.
//
// flushed names the items [Lo, Hi) of the first of the caller's batches whose flush
// failed (or that the stopped Group refused): the items before Lo were in batches
// flushed before it, or needed none, and are durable; those from Hi on were in later
// batches, which the stopped Group refused, or not decided. When decide refused an
// item because [Group.Err] was set (a flush of someone else's batch failed first),
// and no batch of the caller's failed, flushed is that error with Lo = Hi = the item's
// index. With no items it returns [Group.Err] so (Lo = Hi = 0): a stopped Group
// refuses every later call, an empty one too, so that a caller checking its queue
// with an empty Apply learns of it.
func (g *Group[T]) Bulk(n, chunk int, decide func(i int) (*Batch[T], error)) (flushed *Failed, decided error) {
	if n == 0 {
		g.mu.Lock()
		defer g.mu.Unlock()
		if g.failed != nil {
			return &Failed{Err: g.failed}, nil
		}
		return nil, nil
	}
	var last *Batch[T]
	var waits []chan error
	// spans holds, for each batch the caller's items went into, in flush order, the
	// range of the caller's items it holds: the batches an item goes into never go
	// back (Add and Pending return the open batch or the one being flushed, and a
	// failure stops decide), so each batch's items are one range.
	type span struct {
		b      *Batch[T]
		lo, hi int
	}
	var spans []span
	commit := func() {
		if last == nil {
			return
		}
		b, ch := last, make(chan error, 1)
		go func() { ch <- g.Commit(b) }()
		waits = append(waits, ch)
		last = nil
	}
	stop := n
	for i := range n {
		b, err := decide(i)
		if err != nil {
			decided, stop = err, i
			break
		}
		if b != nil {
			if k := len(spans) - 1; k >= 0 && spans[k].b == b {
				spans[k].hi = i + 1
			} else {
				spans = append(spans, span{b, i, i + 1})
			}
			if last != nil && b != last {
				commit() // a leader swapped the previous batch out
			}
			last = b
		}
		if (i+1)%chunk == 0 {
			commit()
		}
	}
	commit()
	for _, ch := range waits {
		<-ch
	}
	// Every batch in spans was committed, and its commit returned: its err is set.
	for _, s := range spans {
		if s.b.err != nil {
			return &Failed{Lo: s.lo, Hi: s.hi, Err: s.b.err}, decided
		}
	}
	if decided != nil {
		g.mu.Lock()
		stopped := g.failed
		g.mu.Unlock()
		if stopped != nil && errors.Is(decided, stopped) {
			return &Failed{Lo: stop, Hi: stop, Err: stopped}, decided
		}
	}
	return nil, decided
}

// Failed is the failed flush a [Group.Bulk] reports: its caller's items [Lo, Hi) were
// in it (see Bulk), and Err is the flush's error. It is data, not an error: the owner
// makes it the AppendError of its own package (referral.AppendError,
// loyalty.AppendError), whose documentation is the contract a caller reads, and whose
// message [AppendMessage] writes.
type Failed struct {
	Lo, Hi int
	Err    error
}

// AppendMessage is the message of an owner's AppendError of events [lo, hi) whose
// append failed with err, opening with the owner's package prefix ("referral: ") once:
// which events were in the failed append, which are durable, and why it failed.
func AppendMessage(prefix string, lo, hi int, err error) string {
	durable := ""
	if lo > 0 {
		durable = fmt.Sprintf(", events [0, %d) are durable", lo)
	}
	if lo == hi {
		return errtext.Errorf(prefix, "apply stopped before event %d%s: %w", lo, durable, err).Error()
	}
	return errtext.Errorf(prefix, "the append of events [%d, %d) failed%s: %w", lo, hi, durable, err).Error()
}

// EventMessage is the message of an owner's EventError of event i, stopped by err,
// opening with the owner's package prefix once: "referral: apply event 7: ...".
func EventMessage(prefix string, i int, err error) string {
	return errtext.Errorf(prefix, "apply event %d: %w", i, err).Error()
}

// BulkError is the error of a bulk apply whose owner's package prefix is prefix
// ("referral: ") that stopped at a failed item (decided, which names its index) and
// whose flush of items failed (f, and flushed, the owner's AppendError made of it),
// on any store: either alone, or one error wrapping both, the item's first. A caller
// needs both: the item's to fix or drop it, the flush's to send its items again (they
// may or may not be stored), where either alone misleads it (the item's says the items
// before it are stored; the flush's hides which item is bad until the retry meets
// it). An item that was refused because the flush had failed adds nothing: the
// flush's error is returned alone, naming its items, rather than the first item
// refused after it.
func BulkError(prefix string, decided error, f *Failed, flushed error) error {
	if f == nil {
		return decided
	}
	if decided == nil || errors.Is(decided, f.Err) {
		return flushed
	}
	return errtext.Errorf(prefix, "%w; %w", decided, flushed)
}
