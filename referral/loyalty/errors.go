package loyalty

import (
	"errors"
	"fmt"

	"github.com/clientele-go/clientele/internal/errtext"
	"github.com/clientele-go/clientele/internal/groupcommit"
)

// Errors reported by the package, wrapped with what is wrong and where (the event key,
// the order, the byte offset); test for them with errors.Is. Every message opens with
// the "loyalty:" prefix and names it once.
var (
	// ErrInvalid means an event or rules with a missing or out-of-range field, an
	// event dated before an event of the same member already recorded, or an event
	// that would bring the order amounts and points the ledger has recorded in all
	// past 2^62, beyond which its balances and totals could overflow.
	ErrInvalid = errors.New("loyalty: invalid input")
	// ErrCorrupt means stored bytes that do not decode as ledger records, a ledger file
	// damaged before its end, or records that contradict each other on replay.
	ErrCorrupt = errors.New("loyalty: corrupt record")
	// ErrNotFound means an event naming something the ledger has never seen: a refund of
	// an unknown order.
	ErrNotFound = errors.New("loyalty: not found")
	// ErrClosed means a store used after Close.
	ErrClosed = errors.New("loyalty: store closed")

	// ErrKeyReused means an event key already recorded for a different event.
	ErrKeyReused = errors.New("loyalty: event key reused for a different event")
	// ErrConflict means an order id already earned under another key.
	ErrConflict = errors.New("loyalty: event conflicts with the ledger")
	// ErrInsufficient means a spend larger than the points available (unlocked and
	// unexpired) at its time.
	ErrInsufficient = errors.New("loyalty: not enough points available")
	// ErrRefundExceeds means a refund that would bring the refunds of an order above its
	// amount, or a refund of an order already fully refunded.
	ErrRefundExceeds = errors.New("loyalty: refunds exceed the order's amount")
	// ErrDiverged is what a SharedStore's Lead and Since report after a Settle failed:
	// the records of the failed flush may or may not be in the log, so the Ledger reads
	// the whole log again (through Records) before it decides anything more.
	ErrDiverged = errors.New("loyalty: shared ledger diverged after a failed append")
)

// AppendError is the error of [Ledger.Apply] when the store failed an append of the
// call's events: which events, by their index in Apply's input, the failed append
// held, so that a program knows which prefix is durable and where to send again from.
// Find it with errors.As (on every store, SharedStores included); it wraps the store's
// error, and when an event failed too, Apply's error wraps both that event's
// [EventError] and the AppendError.
//
// Lo == Hi when none of the call's events were in the failed append (the Ledger had
// stopped at another caller's failed append, and Apply stopped at event Lo). A caller
// sends events[Lo:] again, on a Ledger opened again if this one stopped; each event is
// recorded once per key. The failure is never the events' fault: nothing is to be
// dead-lettered.
type AppendError struct {
	// Lo and Hi say which events, by their index in Apply's input, the failed append
	// held:
	//
	//   - events[:Lo] are durable: their records were in appends that succeeded (or
	//     were recorded before the call, for a repeated event).
	//   - events[Lo:Hi] were in the failed append, and may or may not be recorded (a
	//     connection lost at commit leaves that unknown).
	//   - events[Hi:] are not recorded: Apply stopped, or they were in later appends,
	//     which the stopped Ledger refused.
	Lo, Hi int
	// Err is the failed append's error, which wraps the store's.
	Err error
}

// Error says which events were in the failed append, which are durable, and why the
// append failed: "loyalty: the append of events [2, 5) failed, events [0, 2) are
// durable: ...".
func (e *AppendError) Error() string {
	return groupcommit.AppendMessage("loyalty: ", e.Lo, e.Hi, e.Err)
}

// Unwrap returns the failed append's error, so that errors.Is finds the store's.
func (e *AppendError) Unwrap() error { return e.Err }

// EventError is the error of [Ledger.Apply] when it stopped at one of the call's
// events. Find it with errors.As, on every store, SharedStores included; errors.Is
// sees through it to Err, so it finds the cause's sentinels as it would without it.
//
// What is durable:
//
//   - events[:Index] are durable, unless Apply's error holds an [AppendError] too, with
//     a lower Lo: an append of events before Index failed as well, and the
//     AppendError says which of them are (events[:Lo]).
//   - events[Index:] are not recorded: event Index was not applied, and Apply
//     stopped before the next.
//
// What to do is Permanent's to say, the one test a consumer (of a queue, a topic)
// needs, whatever the cause: it need not know the package's sentinels.
//
//   - Permanent: the event is at fault, malformed or refused by the ledger. A
//     consumer acknowledges events[:Index], dead-letters event Index and goes on with
//     events[Index+1:].
//   - Not Permanent: Apply stopped for a reason outside the event (a done context, a
//     shared store it failed to lead or read). A consumer acknowledges
//     events[:Index] and sends events[Index:] again later.
//
// When Apply's error holds an AppendError too, the consumer does what that asks
// first: it sends events[Lo:] again (event Index among them, which meets its fate
// again). The error of a Ledger that had stopped at an earlier failed append is the
// AppendError alone (Lo == Hi), not an EventError.
type EventError struct {
	// Index is the event's index in Apply's input.
	Index int
	// Err is why Apply stopped at event Index: the event's own error (ErrInvalid,
	// ErrKeyReused, ...), a done context's (context.Canceled,
	// context.DeadlineExceeded, checked before each event), or, on a SharedStore, the
	// store's error when Apply failed to lead the shared ledger or read what others
	// appended before event Index (ErrDiverged, a lost connection, ErrCorrupt).
	Err error
	// Permanent reports whether the event itself is at fault, so that sending it again
	// fails again: it is malformed (ErrInvalid) or the ledger, as it stands, refuses
	// it (ErrKeyReused, ErrConflict, ErrNotFound, ErrRefundExceeds, ErrInsufficient).
	// It is false when Apply stopped for a reason outside the event, one that passes
	// (a done context, a lost connection) or that no dead-letter queue would cure (a
	// corrupt shared ledger: every event would stop there), and sending events[Index:]
	// again is right. A refusal that a later event lifts (a refund whose order has
	// not arrived yet) is Permanent too: the event waits in the dead-letter queue for
	// the consumer to send it again, rather than blocking those behind it.
	Permanent bool
}

// Error names the event's index and why Apply stopped there: "loyalty: apply event 7:
// ...", the package named once.
func (e *EventError) Error() string { return groupcommit.EventMessage("loyalty: ", e.Index, e.Err) }

// Unwrap returns why Apply stopped at the event.
func (e *EventError) Unwrap() error { return e.Err }

// refused is the EventError of event i of an Apply, which the ledger refused, as err
// says: the event's own fault (Permanent).
func refused(i int, err error) error {
	return &EventError{Index: i, Err: err, Permanent: true}
}

// stopped is the EventError of event i of an Apply, before which Apply stopped for a
// reason outside the event, err: a done context, a failed lead of a shared store.
func stopped(i int, err error) error {
	return &EventError{Index: i, Err: err}
}

// errorf is fmt.Errorf with the "loyalty: " prefix in front. A wrapped error of the
// package, or of a subpackage (a store's), loses its prefix to the message, so that
// every message opens with the package's name and names it exactly once however deeply
// errors are wrapped: "loyalty: apply event 0: ...: not found", not "apply event 0: ...:
// loyalty: not found". errors.Is and errors.As still see the wrapped errors.
func errorf(format string, args ...any) error {
	return errtext.Errorf("loyalty: ", format, args...)
}

// What the methods of a zero or nil Ledger or FileStore return: a caller's mistake (a
// value declared rather than made, or the nil one Open or OpenFileStore returned with an
// error that was not checked), which must get an error rather than a panic. Made once,
// so that the check costs no allocation.
var (
	errZeroLedger    = fmt.Errorf("%w: zero or nil Ledger: make one with Open", ErrInvalid)
	errZeroFileStore = fmt.Errorf("%w: zero or nil FileStore: make one with OpenFileStore", ErrInvalid)
)
