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
//   - events[:Lo] are durable.
//   - events[Lo:Hi] were in the failed append, and may or may not be recorded (a
//     connection lost at commit leaves that unknown).
//   - events[Hi:] are not recorded.
//
// Lo == Hi when none of the call's events were in the failed append (the Ledger had
// stopped at another caller's failed append, and Apply stopped at event Lo). A caller
// sends events[Lo:] again, on a Ledger opened again if this one stopped; each event is
// recorded once per key. The type is shared by referral and loyalty.
type AppendError = groupcommit.AppendError

// EventError is the error of [Ledger.Apply] when it stopped at one of the call's
// events: Index is the event's index in Apply's input, and Err why it stopped there.
// Find it with errors.As, on every store, SharedStores included; errors.Is sees
// through it to Err, so it finds the cause's sentinels as it would without it. Err is
// one of:
//
//   - the event's own error: it is malformed (ErrInvalid) or the ledger refuses it
//     (ErrNotFound, ErrConflict, ...), and sending it again fails again;
//   - a done context (context.Canceled, context.DeadlineExceeded), checked before
//     each event;
//   - on a SharedStore, the store's error when Apply failed to lead the shared ledger
//     before event Index (ErrDiverged, a lost connection).
//
// What is durable:
//
//   - events[:Index] are durable, unless Apply's error holds an [AppendError] too, with
//     a lower Lo: an append of events before Index failed as well, and the
//     AppendError says which of them are (events[:Lo]).
//   - events[Index:] are not recorded: event Index was not applied, and Apply
//     stopped before the next.
//
// A queue consumer acknowledges events[:Index] (only events[:Lo] when there is an
// AppendError too, and sends events[Lo:Index] again). When Err is the event's own
// error, it dead-letters event Index and goes on with events[Index+1:]; when Err is
// the context's or the store's, it sends events[Index:] again later. The error of a
// Ledger that had stopped at an earlier failed append is the AppendError alone
// (Lo == Hi), not an EventError. The type is shared by referral and loyalty.
type EventError = groupcommit.EventError

// eventError is the EventError of event i of an Apply, stopped by err, whose message
// reads "loyalty: apply event i: ..." as every message of the package does.
func eventError(i int, err error) error {
	return groupcommit.NewEventError("loyalty: ", i, err)
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
