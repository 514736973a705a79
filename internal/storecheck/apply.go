package storecheck

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// SharedLogStore is a LogStore that several ledgers, one per process, write at once:
// referral.SharedStore and loyalty.SharedStore.
type SharedLogStore[R any] interface {
	LogStore[R]
	Lead(ctx context.Context) error
	Since(pos uint64) iter.Seq2[R, error]
	Settle() error
}

// Apply tells the apply checks how to drive the bulk Apply of a ledger (referral's
// Program, loyalty's Ledger) over a store S of records R. The referral and loyalty
// storetest packages share the checks: their ledgers promise the same of a bulk Apply
// whose store fails an append, and differ only in their records.
type Apply[S LogStore[R], R any] struct {
	Log     Log[R] // for Key
	Prefix  string // the package's message prefix: "referral: "
	Invalid error  // the package's ErrInvalid
	// Open opens a ledger on s and returns its Apply.
	Open func(s S) (apply func(ctx context.Context, events ...R) error, err error)
	// Events returns n valid events, distinct by key, that a new ledger accepts in
	// order and records as one record each, under the event's key.
	Events func(n int) []R
	// Bad returns an event the ledger refuses with Invalid whatever it holds.
	Bad func() R
	// AsAppend finds the package's AppendError in err (errors.As) and returns its Lo
	// and Hi; AsEvent finds its EventError and returns its Index and Permanent.
	AsAppend func(err error) (lo, hi int, ok bool)
	AsEvent  func(err error) (index int, permanent bool, ok bool)
	// Refusals are events the ledger refuses, one for each of the package's refusals
	// (each sentinel, and each place that refuses with it where they differ), for
	// the check ApplyRefused. They run one after the other on one ledger, so each
	// case's events are its own: keys, members, orders.
	Refusals []Refusal[R]
}

// Refusal is an event the ledger refuses once it holds the events Before: a case of
// the check ApplyRefused.
type Refusal[R any] struct {
	Name   string
	Before []R   // events the ledger accepts, applied first
	Event  R     // the event it then refuses
	Want   error // the package's sentinel the refusal wraps
}

// appendErr is the package's AppendError, as AsAppend finds it.
type appendErr struct {
	Lo, Hi int
}

// eventErr is the package's EventError, as AsEvent finds it.
type eventErr struct {
	Index     int
	Permanent bool
}

// asAppend returns the AppendError in err, or nil.
func (a Apply[S, R]) asAppend(err error) *appendErr {
	if lo, hi, ok := a.AsAppend(err); ok {
		return &appendErr{lo, hi}
	}
	return nil
}

// asEvent returns the EventError in err, or nil.
func (a Apply[S, R]) asEvent(err error) *eventErr {
	if i, permanent, ok := a.AsEvent(err); ok {
		return &eventErr{i, permanent}
	}
	return nil
}

// errAppend is the failure the apply checks inject into the store's appends.
var errAppend = errors.New("storetest: injected append failure")

// ApplyChecks are the checks of a bulk Apply whose store fails an append, each with and
// without the failed append having written its records (a connection lost at commit):
//
//   - ApplyFailure: the third of four events is invalid while the append of the two
//     before it fails. Apply's error wraps both failures (errors.Is finds Invalid and
//     the store's error), names the event's index and then the failed append's events
//     [0, 2) (errors.As finds an AppendError saying so), with the prefix once, and an
//     EventError of event 2 that is Permanent; the event after the invalid one is not
//     recorded.
//   - AppendFailure: of a bulk Apply of thousands of events, which the ledger appends
//     in several groups, only the append holding one given event fails. The error is an
//     AppendError naming exactly that append's events [Lo, Hi); the store
//     holds exactly the events before Lo, and those of [Lo, Hi) only if the append
//     wrote them, and none after.
//
// In both, a caller that does what the error asks (sends the events from Lo again, on
// a ledger opened again, and drops the invalid one) ends with every good event
// recorded. A SharedLogStore fails its flush: Append under the lead when nothing is
// written, Settle after the records are committed.
//
// And the checks of a bulk Apply that stops at an event, with no failed append:
//
//   - ApplyInvalid: of a bulk Apply of thousands of events, one in the middle (in the
//     second of the packages' 1,024-event groups) is invalid. The error is an
//     EventError whose Index is that event's, Permanent (errors.Is finds Invalid,
//     errors.As no AppendError), the message opens with "apply event N: "; the store
//     holds exactly the events before it, and a caller that drops it and sends the
//     rest ends with every good event recorded.
//   - ApplyCanceled: an Apply with a context done before it starts returns an
//     EventError of event 0 wrapping context.Canceled, not Permanent, and records
//     nothing; one whose context is cancelled while it runs (by the store, when it
//     appends the second group's first event) returns nil, or an EventError of some
//     event N wrapping context.Canceled, not Permanent, and the store then holds
//     exactly events[:N]. On a SharedLogStore that is the error of Lead, or of the
//     check before an event.
//   - ApplyRefused: each of the Refusals, between two good events, gives an
//     EventError of its index that is Permanent and wraps its sentinel, with no
//     AppendError; the store holds the good event before it and not the one after,
//     and a consumer that dead-letters it and goes on records the one after.
//   - ApplyLeadFailed, on a SharedLogStore (others pass): an Apply whose Lead fails,
//     or whose read of the records others appended (Since) fails, at its first group
//     or at its second, gives an EventError of that group's first event, not
//     Permanent, wrapping the store's error, with no AppendError; the store holds
//     exactly the events before it, and a consumer that sends the rest again records
//     every event.
func ApplyChecks[S LogStore[R], R any](a Apply[S, R]) []Check[S] {
	out := []Check[S]{
		{Name: "ApplyInvalid", Fn: func(_ Harness[S], _ string, s S) error { return a.invalidAt(s) }},
		{Name: "ApplyCanceled", Fn: func(_ Harness[S], _ string, s S) error { return a.canceled(s) }},
		{Name: "ApplyRefused", Fn: func(_ Harness[S], _ string, s S) error { return a.refusals(s) }},
		{Name: "ApplyLeadFailed", Fn: func(_ Harness[S], _ string, s S) error { return a.leadFailed(s) }},
	}
	for _, commit := range []bool{false, true} {
		suffix := ""
		if commit {
			suffix = "Committed"
		}
		out = append(out,
			Check[S]{Name: "ApplyFailure" + suffix, Fn: func(_ Harness[S], _ string, s S) error { return a.invalidAndFailed(s, commit) }},
			Check[S]{Name: "AppendFailure" + suffix, Fn: func(_ Harness[S], _ string, s S) error { return a.appendFailed(s, commit) }})
	}
	return out
}

// invalidAndFailed is the check ApplyFailure.
func (a Apply[S, R]) invalidAndFailed(s S, commit bool) error {
	good := a.Events(3)
	events := []R{good[0], good[1], a.Bad(), good[2]}
	err, f, err2 := a.failedApply(s, commit, "", events)
	if err2 != nil {
		return err2
	}
	ae, ee := a.asAppend(err), a.asEvent(err)
	switch msg := err.Error(); {
	case !errors.Is(err, a.Invalid) || !errors.Is(err, errAppend):
		return fmt.Errorf("Apply with an invalid event and a failed append: %q wraps Invalid %v and the store's error %v, want both",
			err, errors.Is(err, a.Invalid), errors.Is(err, errAppend))
	case ae == nil || ae.Lo != 0 || ae.Hi != 2:
		return fmt.Errorf("Apply with an invalid event 2 and a failed append of events 0 and 1: %q, want an AppendError of events [0, 2), got %+v", err, ae)
	case ee == nil || ee.Index != 2 || !ee.Permanent:
		return fmt.Errorf("Apply with an invalid event 2 and a failed append of events 0 and 1: %q, want a Permanent EventError of event 2 too, got %+v", err, ee)
	case !strings.HasPrefix(msg, a.Prefix+"apply event 2: ") || strings.Count(msg, a.Prefix) != 1 || !strings.Contains(msg, "[0, 2)"):
		return fmt.Errorf("Apply with an invalid event and a failed append: %q, want a message opening with %q, naming events [0, 2) and the package once", err, a.Prefix+"apply event 2: ")
	case len(f.failed) != 2:
		return fmt.Errorf("the failed append held %d records, want the 2 events before the invalid one", len(f.failed))
	}
	// The store holds the events before the invalid one if the failed append wrote
	// them, and nothing after it.
	want := 0
	if commit {
		want = 2
	}
	if err := a.holds(s, events[:want], events[2:]); err != nil {
		return err
	}
	// The caller sends again what the error asks for: the events from Lo, and those
	// after the invalid one.
	return a.resend(s, [][]R{events[ae.Lo:2], events[3:]}, good)
}

// appendFailed is the check AppendFailure.
func (a Apply[S, R]) appendFailed(s S, commit bool) error {
	const n, target = 3000, 1500 // several appends of the packages' 1,024-event chunks
	events := a.Events(n)
	err, f, err2 := a.failedApply(s, commit, a.Log.Key(events[target]), events)
	if err2 != nil {
		return err2
	}
	ae := a.asAppend(err)
	switch {
	case !errors.Is(err, errAppend) || errors.Is(err, a.Invalid):
		return fmt.Errorf("Apply whose append of event %d failed: %q, want the store's error alone", target, err)
	case ae == nil:
		return fmt.Errorf("Apply whose append of event %d failed: %q has no AppendError naming the events of the failed append", target, err)
	case a.asEvent(err) != nil:
		return fmt.Errorf("Apply whose append of event %d failed, every event valid: %q holds an EventError, which would have a consumer drop a good event", target, err)
	case ae.Lo > target || ae.Hi <= target || ae.Hi > n:
		return fmt.Errorf("Apply whose append of event %d failed: %q names events [%d, %d), which do not hold it", target, err, ae.Lo, ae.Hi)
	case !strings.HasPrefix(err.Error(), a.Prefix) || strings.Count(err.Error(), a.Prefix) != 1 ||
		!strings.Contains(err.Error(), fmt.Sprintf("[%d, %d)", ae.Lo, ae.Hi)):
		return fmt.Errorf("Apply whose append failed: %q, want a message opening with %q, naming the events [%d, %d) and the package once", err, a.Prefix, ae.Lo, ae.Hi)
	}
	var held []string
	for _, e := range events[ae.Lo:ae.Hi] {
		held = append(held, a.Log.Key(e))
	}
	slices.Sort(held)
	if !slices.Equal(held, f.failed) {
		return fmt.Errorf("Apply's error names events [%d, %d), but the failed append held %d records of other events", ae.Lo, ae.Hi, len(f.failed))
	}
	// The events before Lo are durable, those of the failed append are there only if
	// it wrote them, and none after.
	end := ae.Lo
	if commit {
		end = ae.Hi
	}
	if err := a.holds(s, events[:end], events[end:]); err != nil {
		return err
	}
	return a.resend(s, [][]R{events[ae.Lo:]}, events)
}

// invalidAt is the check ApplyInvalid.
func (a Apply[S, R]) invalidAt(s S) error {
	const n, bad = 3000, 1500 // in the second of the packages' 1,024-event groups
	events := a.Events(n)
	events[bad] = a.Bad()
	apply, err := a.Open(s)
	if err != nil {
		return err
	}
	err = apply(context.Background(), events...)
	prefix := fmt.Sprintf("%sapply event %d: ", a.Prefix, bad)
	ee := a.asEvent(err)
	switch {
	case err == nil:
		return fmt.Errorf("Apply with an invalid event %d returned nil", bad)
	case ee == nil || ee.Index != bad || !ee.Permanent:
		return fmt.Errorf("Apply with an invalid event %d: %q, want a Permanent EventError of event %d, got %+v", bad, err, bad, ee)
	case !errors.Is(err, a.Invalid):
		return fmt.Errorf("Apply with an invalid event %d: %q does not wrap Invalid", bad, err)
	case a.asAppend(err) != nil:
		return fmt.Errorf("Apply with an invalid event %d and no failed append: %q holds an AppendError", bad, err)
	case !strings.HasPrefix(err.Error(), prefix) || strings.Count(err.Error(), a.Prefix) != 1:
		return fmt.Errorf("Apply with an invalid event %d: %q, want a message opening with %q and naming the package once", bad, err, prefix)
	}
	if err := a.holds(s, events[:ee.Index], events[ee.Index:]); err != nil {
		return fmt.Errorf("Apply stopped at event %d: %w", ee.Index, err)
	}
	// The caller drops the invalid event and sends the rest.
	good := slices.Concat(events[:bad], events[bad+1:])
	return a.resend(s, [][]R{events[ee.Index+1:]}, good)
}

// canceled is the check ApplyCanceled.
func (a Apply[S, R]) canceled(s S) error {
	events := a.Events(3)
	apply, err := a.Open(s)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err = apply(ctx, events...)
	ee := a.asEvent(err)
	switch {
	case ee == nil || ee.Index != 0 || ee.Permanent || !errors.Is(err, context.Canceled):
		return fmt.Errorf("Apply with a done context: %v, want an EventError of event 0 wrapping context.Canceled, not Permanent, got %+v", err, ee)
	case a.asAppend(err) != nil:
		return fmt.Errorf("Apply with a done context: %q holds an AppendError", err)
	}
	if err := a.holds(s, nil, events); err != nil {
		return err
	}

	// Cancelled while it runs: wherever Apply stops, the error says where, and the
	// store holds exactly the events before it.
	const n, at = 3000, 1024
	events = a.Events(n)
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	f := &failing[R]{key: a.Log.Key(events[at]), keyOf: a.Log.Key, cancel: cancel}
	ws, err := a.wrap(s, f)
	if err != nil {
		return err
	}
	if apply, err = a.Open(ws); err != nil {
		return err
	}
	f.armed.Store(true)
	err = apply(ctx, events...)
	f.armed.Store(false)
	stop := n
	if err != nil {
		ee = a.asEvent(err)
		switch {
		case ee == nil || ee.Permanent || !errors.Is(err, context.Canceled):
			return fmt.Errorf("Apply whose context was cancelled while it ran: %v, want an EventError wrapping context.Canceled, not Permanent, got %+v", err, ee)
		case ee.Index <= at || ee.Index >= n:
			// The store cancelled the context appending event at: Apply had decided it.
			return fmt.Errorf("Apply whose context was cancelled appending event %d: %q names event %d", at, err, ee.Index)
		case a.asAppend(err) != nil:
			return fmt.Errorf("Apply whose context was cancelled while it ran: %q holds an AppendError", err)
		}
		stop = ee.Index
	}
	if herr := a.holds(s, events[:stop], events[stop:]); herr != nil {
		return fmt.Errorf("Apply whose context was cancelled while it ran returned %v: %w", err, herr)
	}
	return a.resend(s, [][]R{events[stop:]}, events)
}

// refusals is the check ApplyRefused.
func (a Apply[S, R]) refusals(s S) error {
	if len(a.Refusals) == 0 {
		return errors.New("the suite has no Refusals to check")
	}
	apply, err := a.Open(s)
	if err != nil {
		return err
	}
	good := a.Events(2 * len(a.Refusals))
	for k, c := range a.Refusals {
		if err := apply(context.Background(), c.Before...); err != nil {
			return fmt.Errorf("%s: the events before the refused one: %w", c.Name, err)
		}
		before, after := good[2*k], good[2*k+1]
		err := apply(context.Background(), before, c.Event, after)
		ee := a.asEvent(err)
		switch {
		case err == nil:
			return fmt.Errorf("%s: Apply of the refused event returned nil", c.Name)
		case !errors.Is(err, c.Want):
			return fmt.Errorf("%s: %q does not wrap %v", c.Name, err, c.Want)
		case ee == nil || ee.Index != 1:
			return fmt.Errorf("%s: %q, want an EventError of event 1, got %+v", c.Name, err, ee)
		case !ee.Permanent:
			return fmt.Errorf("%s: %q is not Permanent: a consumer would send the refused event again, and again", c.Name, err)
		case a.asAppend(err) != nil:
			return fmt.Errorf("%s: %q holds an AppendError", c.Name, err)
		}
		if err := a.holds(s, []R{before}, []R{after}); err != nil {
			return fmt.Errorf("%s: %w", c.Name, err)
		}
		// The consumer dead-letters the refused event and goes on.
		if err := apply(context.Background(), after); err != nil {
			return fmt.Errorf("%s: the event after the refused one: %w", c.Name, err)
		}
	}
	return nil
}

// errLead is the failure the check ApplyLeadFailed injects into a shared store's Lead
// or Since.
var errLead = errors.New("storetest: injected lead failure")

// leadFailed is the check ApplyLeadFailed.
func (a Apply[S, R]) leadFailed(s S) error {
	if _, ok := any(s).(SharedLogStore[R]); !ok {
		return nil
	}
	const n = 1500 // two of the packages' 1,024-event groups, each led once
	cases := []struct {
		what string
		lead int // the Lead that fails, 1-based
		read bool
	}{{"Lead", 1, false}, {"Lead", 2, false}, {"Since", 1, true}, {"Since", 2, true}}
	all := a.Events(n * len(cases)) // each case's own events, on the one store
	for k, c := range cases {
		events := all[k*n : (k+1)*n]
		f := &failing[R]{keyOf: a.Log.Key, failLead: c.lead, failRead: c.read}
		ws, err := a.wrap(s, f)
		if err != nil {
			return err
		}
		apply, err := a.Open(ws)
		if err != nil {
			return err
		}
		f.armed.Store(true)
		err = apply(context.Background(), events...)
		f.armed.Store(false)
		at := 1024 * (c.lead - 1)
		ee := a.asEvent(err)
		switch {
		case !errors.Is(err, errLead):
			return fmt.Errorf("Apply whose %s %d failed: %v, want the store's error", c.what, c.lead, err)
		case ee == nil || ee.Index != at:
			return fmt.Errorf("Apply whose %s %d failed: %q, want an EventError of event %d, got %+v", c.what, c.lead, err, at, ee)
		case ee.Permanent:
			return fmt.Errorf("Apply whose %s %d failed: %q is Permanent: a consumer would dead-letter a good event", c.what, c.lead, err)
		case a.asAppend(err) != nil:
			return fmt.Errorf("Apply whose %s %d failed: %q holds an AppendError", c.what, c.lead, err)
		}
		if err := a.holds(s, events[:at], events[at:]); err != nil {
			return fmt.Errorf("Apply whose %s %d failed: %w", c.what, c.lead, err)
		}
		// The consumer sends events[Index:] again, on the same ledger: a failed lead
		// does not stop it.
		if err := apply(context.Background(), events[at:]...); err != nil {
			return fmt.Errorf("Apply of the events after the failed %s %d again: %w", c.what, c.lead, err)
		}
		if err := a.holds(s, events, nil); err != nil {
			return fmt.Errorf("once the events were sent again after the failed %s %d: %w", c.what, c.lead, err)
		}
	}
	return nil
}

// failedApply applies events on a ledger over s whose appends fail while Apply runs:
// the append holding key's record, or every append when key is "". It returns Apply's
// error (err2 when the check failed before it could judge it) and the store wrapper,
// which knows the keys of the failed append.
func (a Apply[S, R]) failedApply(s S, commit bool, key string, events []R) (err error, f *failing[R], err2 error) {
	f = &failing[R]{commit: commit, key: key, keyOf: a.Log.Key}
	ws, err2 := a.wrap(s, f)
	if err2 != nil {
		return nil, nil, err2
	}
	apply, err2 := a.Open(ws)
	if err2 != nil {
		return nil, nil, err2
	}
	f.armed.Store(true)
	err = apply(context.Background(), events...)
	f.armed.Store(false)
	if err == nil {
		return nil, nil, errors.New("Apply whose store's append failed returned nil")
	}
	f.mu.Lock()
	slices.Sort(f.failed)
	f.mu.Unlock()
	return err, f, nil
}

// wrap makes f wrap s and returns it as a store of s's interface: over a
// SharedLogStore, a failingShared.
func (a Apply[S, R]) wrap(s S, f *failing[R]) (S, error) {
	f.LogStore = s
	var w any = f
	if sh, ok := any(s).(SharedLogStore[R]); ok {
		w = failingShared[R]{f, sh}
	}
	ws, ok := w.(S)
	if !ok {
		return ws, fmt.Errorf("the failing wrapper of %T does not implement the store's interface", s)
	}
	return ws, nil
}

// holds checks that s holds a record of every event of in and of none of out.
func (a Apply[S, R]) holds(s S, in, out []R) error {
	recs, err := a.Log.All(s)
	if err != nil {
		return err
	}
	stored := map[string]bool{}
	for _, r := range recs {
		stored[a.Log.Key(r)] = true
	}
	for _, e := range in {
		if !stored[a.Log.Key(e)] {
			return fmt.Errorf("after the failed Apply the store lacks event %q, which it should hold", a.Log.Key(e))
		}
	}
	for _, e := range out {
		if stored[a.Log.Key(e)] {
			return fmt.Errorf("after the failed Apply the store holds event %q, which it should not", a.Log.Key(e))
		}
	}
	return nil
}

// resend opens a ledger on s again, applies each of sends, and checks that s then holds
// every event of all.
func (a Apply[S, R]) resend(s S, sends [][]R, all []R) error {
	apply, err := a.Open(s)
	if err != nil {
		return fmt.Errorf("open after the failed Apply: %w", err)
	}
	for _, events := range sends {
		if err := apply(context.Background(), events...); err != nil {
			return fmt.Errorf("Apply of the events the error asked to send again: %w", err)
		}
	}
	if err := a.holds(s, all, nil); err != nil {
		return fmt.Errorf("once the events were sent again: %w", err)
	}
	return nil
}

// failing is a store whose Append fails while armed (the append holding key's record,
// or every one when key is ""): having written nothing, or, when commit, after
// writing the records. It keeps the keys of the failed append's records. With cancel
// set, the append holding key's record calls it instead, and succeeds.
type failing[R any] struct {
	LogStore[R]
	commit bool
	key    string
	keyOf  func(R) string
	cancel func()
	armed  atomic.Bool

	// failLead > 0 makes the failLead-th Lead while armed fail (failRead: its read of
	// what others appended, Since), having taken no lead, and no append fail.
	failLead int
	failRead bool
	leads    int

	mu     sync.Mutex
	failed []string // the keys of the failed append
	doomed bool     // a shared store's Settle fails: its lead's Append held key
}

// fails reports whether an append of recs fails, and if so keeps their keys.
func (f *failing[R]) fails(recs []R) bool {
	if !f.armed.Load() || f.failLead > 0 { // failing a lead, not an append
		return false
	}
	hit := f.key == ""
	for _, r := range recs {
		hit = hit || f.keyOf(r) == f.key
	}
	if hit && f.cancel != nil {
		f.cancel()
		return false
	}
	if hit {
		f.mu.Lock()
		for _, r := range recs {
			f.failed = append(f.failed, f.keyOf(r))
		}
		f.mu.Unlock()
	}
	return hit
}

func (f *failing[R]) Append(recs ...R) error {
	if !f.fails(recs) {
		return f.LogStore.Append(recs...)
	}
	if f.commit {
		if err := f.LogStore.Append(recs...); err != nil {
			return err
		}
	}
	return errAppend
}

// failingShared is failing over a SharedLogStore, whose flush is Settle: while armed,
// Append under the lead fails having buffered nothing, or, when commit, Settle fails
// after committing the records.
type failingShared[R any] struct {
	*failing[R]
	sh SharedLogStore[R]
}

func (f failingShared[R]) Append(recs ...R) error {
	if !f.fails(recs) {
		return f.sh.Append(recs...)
	}
	if !f.commit {
		return errAppend
	}
	f.mu.Lock()
	f.doomed = true
	f.mu.Unlock()
	return f.sh.Append(recs...)
}

func (f failingShared[R]) Lead(ctx context.Context) error {
	if f.failLead > 0 && f.armed.Load() {
		f.mu.Lock()
		f.leads++
		fail := f.leads == f.failLead
		f.mu.Unlock()
		if fail && !f.failRead {
			return errLead
		}
	}
	return f.sh.Lead(ctx)
}

func (f failingShared[R]) Since(pos uint64) iter.Seq2[R, error] {
	f.mu.Lock()
	fail := f.failRead && f.armed.Load() && f.leads == f.failLead
	f.mu.Unlock()
	if fail {
		return func(yield func(R, error) bool) {
			var zero R
			yield(zero, errLead)
		}
	}
	return f.sh.Since(pos)
}

func (f failingShared[R]) Settle() error {
	err := f.sh.Settle()
	f.mu.Lock()
	doomed := f.doomed
	f.doomed = false
	f.mu.Unlock()
	if err != nil || !doomed {
		return err
	}
	return errAppend
}
