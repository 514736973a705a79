package loyalty_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/clientele-go/clientele/referral"
	"github.com/clientele-go/clientele/referral/loyalty"
)

// refusing is a SharedStore whose Lead fails, as a database that cannot be reached.
type refusing struct{ *replica }

var errUnreachable = errors.New("database unreachable")

func (refusing) Lead(context.Context) error { return errUnreachable }

// refusal is a case of TestApplyErrorClass: an event that the Ledger refuses, once
// the events before are recorded, with the sentinel its error wraps.
type refusal struct {
	name   string
	before []loyalty.Record
	event  loyalty.Record
	want   error
}

// applyRefusals is TestApplyErrorClass's table of refusals: each of the Ledger, at
// each place it refuses. TestApplyErrorNamesEvent runs it too.
func applyRefusals() []refusal {
	type rec = loyalty.Record
	earn := func(key string, m uint32, id string, amount int64, d int) rec {
		return rec{Kind: loyalty.KindEarn, Key: key, At: day(d), Member: m, Order: id, Amount: amount}
	}
	refund := func(key string, m uint32, id string, amount int64, d int) rec {
		return rec{Kind: loyalty.KindRefund, Key: key, At: day(d), Member: m, Order: id, Amount: amount}
	}
	bonus := func(key string, m uint32, points int64, d int) rec {
		return rec{Kind: loyalty.KindBonus, Key: key, At: day(d), Member: m, Points: points, Reason: "welcome"}
	}
	with := func(r rec, f func(*rec)) rec { f(&r); return r }
	// 4,096 bonuses of the most points an event may carry, but 100, bring the ledger's
	// volume to 100 short of its limit of 2^62: room for the good events' 10 points,
	// not for 1,000.
	var full []rec
	for i := range 4096 {
		full = append(full, bonus(fmt.Sprint("full-", i), 7, 1<<50, 1))
	}
	full[0].Points -= 100
	return []refusal{
		// checkShape: the event's shape.
		{"unknown kind", nil, rec{Kind: 99, Key: "x", At: day(1), Member: 1}, loyalty.ErrInvalid},
		{"no key", nil, earn("", 1, "A", 100, 1), loyalty.ErrInvalid},
		{"no time", nil, with(earn("e", 1, "A", 100, 1), func(r *rec) { r.At = time.Time{} }), loyalty.ErrInvalid},
		{"no member", nil, earn("e", 0, "A", 100, 1), loyalty.ErrInvalid},
		{"earn without an order id", nil, earn("e", 1, "", 100, 1), loyalty.ErrInvalid},
		{"earn amount out of range", nil, earn("e", 1, "A", 0, 1), loyalty.ErrInvalid},
		{"points the ledger sets", nil, with(earn("e", 1, "A", 100, 1), func(r *rec) { r.Points = 5 }), loyalty.ErrInvalid},
		{"bonus points out of range", nil, bonus("b", 1, 1<<51, 1), loyalty.ErrInvalid},
		{"merge into itself", nil, rec{Kind: loyalty.KindMerge, Key: "m", Member: 1, Absorbed: 1}, loyalty.ErrInvalid},
		{"order id too long", nil, earn("e", 1, strings.Repeat("A", 600), 100, 1), loyalty.ErrInvalid},
		// check: the ledger's decision.
		{"out of time order", []rec{bonus("b1", 1, 10, 5)}, bonus("b2", 1, 10, 4), loyalty.ErrInvalid},
		{"refund of another member's order", []rec{earn("e", 1, "A", 100, 1)}, refund("r", 2, "A", 0, 2), loyalty.ErrInvalid},
		{"refund of an unknown order", nil, refund("r", 0, "A", 0, 2), loyalty.ErrNotFound},
		{"order earned twice", []rec{earn("e1", 1, "A", 100, 1)}, earn("e2", 1, "A", 100, 2), loyalty.ErrConflict},
		{"spend above the points available", nil, rec{Kind: loyalty.KindSpend, Key: "s", At: day(1), Member: 1, Points: 1}, loyalty.ErrInsufficient},
		{"refund above the order", []rec{earn("e", 1, "A", 100, 1)}, refund("r", 1, "A", 200, 2), loyalty.ErrRefundExceeds},
		{"refund of an order fully refunded", []rec{earn("e", 1, "A", 100, 1), refund("r1", 1, "A", 0, 2)}, refund("r2", 1, "A", 1, 3), loyalty.ErrRefundExceeds},
		// decideLocked: the key and the ledger's volume.
		{"key reused", []rec{bonus("b", 1, 10, 1)}, bonus("b", 1, 20, 1), loyalty.ErrKeyReused},
		{"ledger volume past 2^62", full, bonus("over", 7, 1000, 2), loyalty.ErrInvalid},
	}
}

// goodEvent is an event that every Ledger of TestApplyErrorClass records: event i of
// the ones around a refused one.
func goodEvent(i int) loyalty.Record {
	return loyalty.Record{Kind: loyalty.KindBonus, Key: fmt.Sprint("good-", i), At: day(1), Member: 100 + uint32(i), Points: 10, Reason: "welcome"}
}

// applyStores are the stores of TestApplyErrorClass: a MemStore, and a SharedStore,
// whose Apply decides events in a loop of its own.
var applyStores = map[string]func() loyalty.Store{
	"MemStore":    func() loyalty.Store { return &loyalty.MemStore{} },
	"SharedStore": func() loyalty.Store { return (&sharedLog{}).replica() },
}

// passingCause is a case of TestApplyErrorClass: a reason outside the events for
// which Apply stops at event 0 of good ones, with the error it wraps.
type passingCause struct {
	name  string
	store loyalty.Store
	ctx   context.Context
	want  error
}

// applyPassing is TestApplyErrorClass's table of passing causes: a done context, on
// each store, and a shared store that cannot be led. TestApplyErrorNamesEvent runs it
// too.
func applyPassing(t *testing.T) []passingCause {
	done, cancel := context.WithCancel(context.Background())
	cancel()
	late, cancel2 := context.WithDeadline(context.Background(), day(1))
	t.Cleanup(cancel2)
	return []passingCause{
		{"MemStore/context canceled", &loyalty.MemStore{}, done, context.Canceled},
		{"MemStore/deadline exceeded", &loyalty.MemStore{}, late, context.DeadlineExceeded},
		{"SharedStore/context canceled", (&sharedLog{}).replica(), done, context.Canceled},
		{"SharedStore/deadline exceeded", (&sharedLog{}).replica(), late, context.DeadlineExceeded},
		{"SharedStore/lead failed", refusing{(&sharedLog{}).replica()}, context.Background(), errUnreachable},
	}
}

// TestApplyErrorClass: every way a bulk Apply stops at an event gives an EventError
// whose Permanent says whose fault it is, the one test a queue consumer makes: each
// refusal of the Ledger, at each place it refuses (the event's shape, the ledger's
// decision, the key, the ledger's volume), is Permanent, and wraps its sentinel; a done
// context and a shared store that cannot be led are not. On a MemStore and on a
// SharedStore, whose Apply decides events in a loop of its own.
func TestApplyErrorClass(t *testing.T) {
	for name, store := range applyStores {
		for _, c := range applyRefusals() {
			t.Run(name+"/"+c.name, func(t *testing.T) {
				l, err := applyRefusal(t, store, c)
				var ee *loyalty.EventError
				switch {
				case !errors.As(err, &ee) || ee.Index != 1:
					t.Fatalf("%v, want an EventError of event 1, got %+v", err, ee)
				case !ee.Permanent:
					t.Fatalf("%v: not Permanent, so a consumer would send the refused event again, and again", err)
				case !errors.Is(err, c.want):
					t.Fatalf("%v does not wrap %v", err, c.want)
				case errors.As(err, new(*loyalty.AppendError)):
					t.Fatalf("%v holds an AppendError", err)
				}
				// The consumer dead-letters it and goes on.
				if err := l.Apply(context.Background(), goodEvent(1)); err != nil {
					t.Fatalf("the event after the refused one: %v", err)
				}
			})
		}
	}

	for _, c := range applyPassing(t) {
		t.Run(c.name, func(t *testing.T) {
			l, err := loyalty.Open(c.store, shopRules())
			if err != nil {
				t.Fatal(err)
			}
			err = l.Apply(c.ctx, goodEvent(0), goodEvent(1))
			var ee *loyalty.EventError
			switch {
			case !errors.As(err, &ee) || ee.Index != 0:
				t.Fatalf("%v, want an EventError of event 0, got %+v", err, ee)
			case ee.Permanent:
				t.Fatalf("%v is Permanent: a consumer would dead-letter a good event", err)
			case !errors.Is(err, c.want):
				t.Fatalf("%v does not wrap %v", err, c.want)
			}
		})
	}
}

// TestApplyErrorNamesEvent: the message of every EventError of a bulk Apply names the
// event it stopped at, by kind and key, and not only by index, in referral's wording:
// a refusal as the event's own error names it (`earn event "e2": ...`); a done context
// and a failed lead, before the event was looked at, name it as not recorded (`bonus
// event "good-0" not recorded: context canceled`), where a done context's named no
// event. The tables of TestApplyErrorClass, on each store.
func TestApplyErrorNamesEvent(t *testing.T) {
	check := func(t *testing.T, err error, ev loyalty.Record, wantNotRecorded bool) {
		t.Helper()
		var ee *loyalty.EventError
		if !errors.As(err, &ee) {
			t.Fatalf("%v: no EventError", err)
		}
		msg := err.Error()
		if strings.Count(msg, "loyalty:") != 1 {
			t.Fatalf("%q does not name the package once", msg)
		}
		if wantNotRecorded {
			if name := fmt.Sprintf("%s event %q not recorded: ", ev.Kind, ev.Key); !strings.Contains(msg, name) {
				t.Fatalf("%q does not name the event as %q", msg, name)
			}
			return
		}
		if !namesEvent(msg, ev) {
			t.Fatalf("%q does not name the event (kind %s, key %q)", msg, ev.Kind, ev.Key)
		}
	}
	for name, store := range applyStores {
		for _, c := range applyRefusals() {
			t.Run(name+"/"+c.name, func(t *testing.T) {
				_, err := applyRefusal(t, store, c)
				check(t, err, c.event, false)
			})
		}
	}
	for _, c := range applyPassing(t) {
		t.Run(c.name, func(t *testing.T) {
			l, err := loyalty.Open(c.store, shopRules())
			if err != nil {
				t.Fatal(err)
			}
			check(t, l.Apply(c.ctx, goodEvent(0), goodEvent(1)), goodEvent(0), true)
		})
	}
}

// namesEvent reports whether msg, ev's error, names the event by kind and key, as
// referral's namesEvent asks of referral's: `earn event "e1"`, or, for the event whose
// kind or key is at fault, `event "x": unknown kind 99` and `earn event: key "" ...`.
func namesEvent(msg string, ev loyalty.Record) bool {
	return strings.Contains(msg, fmt.Sprintf("%s event %q", ev.Kind, ev.Key)) ||
		strings.Contains(msg, fmt.Sprintf("event %q: unknown kind %d", ev.Key, uint8(ev.Kind))) ||
		ev.Key == "" && strings.Contains(msg, fmt.Sprintf("%s event: key %q", ev.Kind, ev.Key))
}

// downStore is a MemStore whose appends fail while down is set.
type downStore struct {
	loyalty.MemStore
	down bool
}

var errDown = errors.New("connection reset")

func (s *downStore) Append(recs ...loyalty.Record) error {
	if s.down {
		return errDown
	}
	return s.MemStore.Append(recs...)
}

// TestApplyErrorClassAppend: a failed append is never the events' fault. An Apply
// whose append failed and whose event was refused too holds both errors, the
// EventError Permanent; once the Ledger stopped, Apply's error is the AppendError
// alone, naming where it stopped, with no EventError that a consumer would read as
// the event's fault.
func TestApplyErrorClassAppend(t *testing.T) {
	ev := func(i int) loyalty.Record {
		return loyalty.Record{Kind: loyalty.KindBonus, Key: fmt.Sprint("bonus-", i), At: day(1), Member: uint32(1 + i), Points: 10}
	}
	bad := ev(9)
	bad.At = time.Time{}
	s := &downStore{down: true}
	l, err := loyalty.Open(s, shopRules())
	if err != nil {
		t.Fatal(err)
	}
	err = l.Apply(context.Background(), ev(0), ev(1), bad, ev(3))
	var ee *loyalty.EventError
	var ae *loyalty.AppendError
	switch {
	case !errors.As(err, &ae) || ae.Lo != 0 || ae.Hi != 2 || !errors.Is(err, errDown):
		t.Fatalf("%v, want an AppendError of events [0, 2) wrapping the store's error, got %+v", err, ae)
	case !errors.As(err, &ee) || ee.Index != 2 || !ee.Permanent:
		t.Fatalf("%v, want a Permanent EventError of event 2 too, got %+v", err, ee)
	}
	s.down = false
	err = l.Apply(context.Background(), ev(5), ev(6))
	ae = nil
	switch {
	case !errors.As(err, &ae) || ae.Lo != 0 || ae.Hi != 0:
		t.Fatalf("Apply on the stopped Ledger: %v, want an AppendError with Lo == Hi == 0, got %+v", err, ae)
	case errors.As(err, new(*loyalty.EventError)):
		t.Fatalf("Apply on the stopped Ledger: %v holds an EventError, which a consumer would read as the event's fault", err)
	}
}

// TestErrorTypesArePackages: AppendError and EventError are loyalty's own types, whose
// fields go doc shows in package loyalty, not aliases of an internal package's shared
// with referral: errors.As with referral's types does not find loyalty's errors.
func TestErrorTypesArePackages(t *testing.T) {
	const pkg = "github.com/clientele-go/clientele/referral/loyalty"
	for _, typ := range []reflect.Type{reflect.TypeFor[loyalty.AppendError](), reflect.TypeFor[loyalty.EventError]()} {
		if typ.PkgPath() != pkg {
			t.Errorf("%s is defined in %s, want %s", typ.Name(), typ.PkgPath(), pkg)
		}
	}
	l, err := loyalty.Open(&loyalty.MemStore{}, shopRules())
	if err != nil {
		t.Fatal(err)
	}
	err = l.Apply(context.Background(), loyalty.Record{Kind: loyalty.KindEarn, Key: "e"})
	if !errors.As(err, new(*loyalty.EventError)) {
		t.Fatalf("%v: no loyalty.EventError", err)
	}
	if errors.As(err, new(*referral.EventError)) {
		t.Fatalf("%v: errors.As finds a referral.EventError in loyalty's error", err)
	}
	// The message names the package once, made by Apply or by hand.
	if got := (&loyalty.EventError{Index: 3, Err: loyalty.ErrInvalid}).Error(); got != "loyalty: apply event 3: invalid input" {
		t.Errorf("EventError made by hand: %q", got)
	}
	if got := (&loyalty.AppendError{Lo: 2, Hi: 5, Err: errDown}).Error(); got != "loyalty: the append of events [2, 5) failed, events [0, 2) are durable: connection reset" {
		t.Errorf("AppendError made by hand: %q", got)
	}
}

// applyRefusal opens a programme on a new store, applies c's events before, and
// returns it with the error of a bulk Apply holding c's event between two good ones.
func applyRefusal(t *testing.T, store func() loyalty.Store, c refusal) (*loyalty.Ledger, error) {
	t.Helper()
	l, err := loyalty.Open(store(), shopRules())
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Apply(context.Background(), c.before...); err != nil {
		t.Fatalf("the events before: %v", err)
	}
	return l, l.Apply(context.Background(), goodEvent(0), c.event, goodEvent(1))
}
