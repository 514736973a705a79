package main

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clientele-go/clientele"
	idpg "github.com/clientele-go/clientele/identity/pgstore"
	"github.com/clientele-go/clientele/internal/pg/pgtest"
	"github.com/clientele-go/clientele/referral"
	refpg "github.com/clientele-go/clientele/referral/pgstore"
	segpg "github.com/clientele-go/clientele/segment/pgstore"
)

// TestConcurrently: the first error is returned, not the cancellation it causes in the
// others, and only once every step has returned; the others are cancelled. So is a
// panic, raised again in the caller.
func TestConcurrently(t *testing.T) {
	failed := errors.New("the first step failed")
	var stopped atomic.Bool
	err := concurrently(context.Background(),
		func(context.Context) error { return failed },
		func(ctx context.Context) error {
			select {
			case <-ctx.Done():
			case <-time.After(30 * time.Second):
				return errors.New("not cancelled after the other step failed")
			}
			stopped.Store(true)
			return ctx.Err()
		})
	if err != failed {
		t.Errorf("got %v, want the first step's error", err)
	}
	if !stopped.Load() {
		t.Error("returned before the cancelled step did")
	}

	var ran atomic.Int32
	ok := func(context.Context) error { ran.Add(1); return nil }
	if err := concurrently(context.Background(), ok, ok, ok); err != nil || ran.Load() != 3 {
		t.Errorf("three steps that succeed: %v, %d ran", err, ran.Load())
	}

	// A panic is raised again in the caller, once the other step has returned.
	stopped.Store(false)
	func() {
		defer func() {
			if p := recover(); p != "step" {
				t.Errorf("recovered %v, want the step's panic", p)
			}
			if !stopped.Load() {
				t.Error("panicked before the cancelled step returned")
			}
		}()
		concurrently(context.Background(),
			func(context.Context) error { panic("step") },
			func(ctx context.Context) error {
				select {
				case <-ctx.Done():
				case <-time.After(30 * time.Second):
				}
				stopped.Store(true)
				return ctx.Err()
			})
		t.Error("no panic")
	}()

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := concurrently(ctx, func(ctx context.Context) error { return ctx.Err() }); !errors.Is(err, context.Canceled) {
		t.Errorf("a cancelled context: %v", err)
	}
}

// trap is a fault a test arms on one of the storage's reads: spring runs the function
// armed, if any, before the read, and the read fails with its error.
type trap struct{ fn atomic.Pointer[func() error] }

func (t *trap) arm(fn func() error) { t.fn.Store(&fn) }
func (t *trap) disarm()             { t.fn.Store(nil) }

func (t *trap) spring() error {
	if fn := t.fn.Load(); fn != nil {
		return (*fn)()
	}
	return nil
}

// traps are the traps on the four reads of a refresh on PostgreSQL.
type traps struct{ ids, ledger, events, segments trap }

// trapStorage puts the traps on st's stores: the identity log's and the ledger's Since
// and SinceContext (what their catch-ups read), the event log's Since and the saved
// segments' Versions.
func (tr *traps) trapStorage(st *storage) {
	st.ids = trappedIDs{st.ids.(*idpg.Store), &tr.ids}
	st.ledger = trappedLedger{st.ledger.(*refpg.Store), &tr.ledger}
	st.events = &trappedEvents{pgEvents: st.events.(*pgEvents), trap: &tr.events}
	st.segments = trappedSegments{st.segments.(*segpg.Store), &tr.segments}
}

type trappedIDs struct {
	*idpg.Store
	trap *trap
}

func (s trappedIDs) Since(pos uint64) iter.Seq2[[]byte, error] {
	return s.SinceContext(context.Background(), pos)
}

// SinceContext is what a catch-up reads, when the store has it.
func (s trappedIDs) SinceContext(ctx context.Context, pos uint64) iter.Seq2[[]byte, error] {
	return func(yield func([]byte, error) bool) {
		if err := s.trap.spring(); err != nil {
			yield(nil, err)
			return
		}
		for rec, err := range s.Store.SinceContext(ctx, pos) {
			if !yield(rec, err) {
				return
			}
		}
	}
}

type trappedLedger struct {
	*refpg.Store
	trap *trap
}

func (s trappedLedger) Since(pos uint64) iter.Seq2[referral.Record, error] {
	return s.SinceContext(context.Background(), pos)
}

// SinceContext is what a catch-up reads, when the store has it.
func (s trappedLedger) SinceContext(ctx context.Context, pos uint64) iter.Seq2[referral.Record, error] {
	return func(yield func(referral.Record, error) bool) {
		if err := s.trap.spring(); err != nil {
			yield(referral.Record{}, err)
			return
		}
		for rec, err := range s.Store.SinceContext(ctx, pos) {
			if !yield(rec, err) {
				return
			}
		}
	}
}

// trappedEvents keeps its own Err, which the server reads under mu as it does Since.
type trappedEvents struct {
	*pgEvents
	trap *trap
	err  error
}

func (e *trappedEvents) Since(ctx context.Context, pos uint64) iter.Seq2[uint64, event] {
	return func(yield func(uint64, event) bool) {
		if e.err = e.trap.spring(); e.err != nil {
			return
		}
		for p, ev := range e.pgEvents.Since(ctx, pos) {
			if !yield(p, ev) {
				return
			}
		}
		e.err = e.pgEvents.Err()
	}
}

func (e *trappedEvents) Err() error { return e.err }

type trappedSegments struct {
	*segpg.Store
	trap *trap
}

func (s trappedSegments) Versions(prefix string) (map[string]segpg.Version, error) {
	if err := s.trap.spring(); err != nil {
		return nil, err
	}
	return s.Store.Versions(prefix)
}

// trappedPair returns a running server A and a server B on one schema, B's stores
// trapped (trapStorage). B serves no requests and follows nothing: the test calls its
// refresh.
func trappedPair(t *testing.T) (a *replica, b *server, tr *traps) {
	t.Helper()
	url := pgtest.URL(t)
	schema := pgtest.Schema(t, pgtest.Pool(t))
	clock := clientele.FixedClock(time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC))
	as, _ := storageServer(t, url, schema, clock, nil)
	base, stop := start(t, as)
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Error(err)
		}
	})
	tr = &traps{}
	b, _ = storageServer(t, url, schema, clock, tr.trapStorage)
	return &replica{s: as, base: base}, b, tr
}

// write has A link a person and record their event, give them a referral code and
// save a segment, so that each of B's four reads has something new.
func (a *replica) write(t *testing.T, round int) {
	t.Helper()
	user := fmt.Sprintf("u-%d", round)
	call(t, "POST", a.base+"/v1/events", `{"type":"track","event":"x","userId":"`+user+`","timestamp":"2025-03-01T09:00:00Z"}`, 200, nil)
	postJSON(t, a.base+"/v1/referral/codes", fmt.Sprintf(`{"key":"code-%d","user":%q,"at":"2025-03-01T10:00:00Z"}`, round, user))
	call(t, "PUT", fmt.Sprintf("%s/v1/segments/s%d", a.base, round), `did("x")`, 200, nil)
}

// caughtUp reports what of A's writes s does not hold yet: identity, ledger, events,
// saved segments (by name); "" if it holds them all.
func caughtUp(a, s *server) string {
	var behind []string
	if s.ids.Position() < a.ids.Position() {
		behind = append(behind, fmt.Sprintf("identity at %d of %d", s.ids.Position(), a.ids.Position()))
	}
	if s.ref.Position() < a.ref.Position() {
		behind = append(behind, fmt.Sprintf("ledger at %d of %d", s.ref.Position(), a.ref.Position()))
	}
	if got, want := applied(s), applied(a); got < want {
		behind = append(behind, fmt.Sprintf("events at %d of %d", got, want))
	}
	for _, name := range a.seg.Segments() {
		if s.definition(name) == "" {
			behind = append(behind, "segment "+name)
		}
	}
	return strings.Join(behind, ", ")
}

func applied(s *server) uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.applied
}

// TestRefreshStepErrors: whichever of a refresh's four reads fails, the refresh
// returns its error, although the others ran beside it and may have succeeded; after
// a failed catch-up no event is read (the hook between the rounds is not reached); and
// the next refresh, the fault gone, brings B up to every write of A.
func TestRefreshStepErrors(t *testing.T) {
	a, b, tr := trappedPair(t)
	var hooked atomic.Int32
	b.afterCatchUp = func() { hooked.Add(1) }
	ctx := context.Background()
	for round, c := range []struct {
		step    string
		trap    *trap
		catchUp bool // a step of the first round, before the events
	}{
		{"identity", &tr.ids, true},
		{"ledger", &tr.ledger, true},
		{"events", &tr.events, false},
		{"segments", &tr.segments, false},
	} {
		a.write(t, round)
		failed := fmt.Errorf("%s trapped", c.step)
		c.trap.arm(func() error { return failed })
		before, calls := applied(b), hooked.Load()
		err := b.refresh(ctx)
		c.trap.disarm()
		if !errors.Is(err, failed) {
			t.Errorf("%s failing: refresh returned %v", c.step, err)
		}
		if c.catchUp && (hooked.Load() != calls || applied(b) != before) {
			t.Errorf("%s failing: the events were read after a failed catch-up", c.step)
		}
		if err := b.refresh(ctx); err != nil {
			t.Fatalf("%s no longer failing: %v", c.step, err)
		}
		if behind := caughtUp(a.s, b); behind != "" {
			t.Errorf("%s no longer failing: B lags A: %s", c.step, behind)
		}
	}
}

// TestRefreshOrder: B catches the identity log and the ledger up at once (identity's
// read waits for the ledger's to begin, and fails if it never does: one after the
// other), and both have caught up with A's writes before any event is read (the hook
// between the rounds sees both positions at A's and no new event applied), so that
// every event's profile is known when it is applied. After the refresh B holds all of
// A's writes.
func TestRefreshOrder(t *testing.T) {
	a, b, tr := trappedPair(t)
	a.write(t, 0)
	ledgerBegun := make(chan struct{})
	var begin sync.Once
	tr.ledger.arm(func() error { begin.Do(func() { close(ledgerBegun) }); return nil })
	tr.ids.arm(func() error {
		select {
		case <-ledgerBegun:
			return nil
		case <-time.After(30 * time.Second):
			return errors.New("the ledger's catch-up did not begin while identity's was under way")
		}
	})
	var hook struct{ ids, ledger, events uint64 }
	before := applied(b)
	b.afterCatchUp = func() { hook.ids, hook.ledger, hook.events = b.ids.Position(), b.ref.Position(), applied(b) }
	if err := b.refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	if hook.ids < a.s.ids.Position() || hook.ledger < a.s.ref.Position() {
		t.Errorf("between the catch-ups and the events, B's identity was at %d of A's %d, its ledger at %d of %d",
			hook.ids, a.s.ids.Position(), hook.ledger, a.s.ref.Position())
	}
	if hook.events != before || before >= applied(a.s) {
		t.Errorf("between the catch-ups and the events, B had applied %d events, %d before the refresh (A: %d)", hook.events, before, applied(a.s))
	}
	if behind := caughtUp(a.s, b); behind != "" {
		t.Errorf("after the refresh B lags A: %s", behind)
	}
}
