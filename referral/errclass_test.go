package referral_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/clientele-go/clientele/referral"
	"github.com/clientele-go/clientele/referral/loyalty"
)

// refusal is a case of TestApplyErrorClass: an event that the Program refuses, once
// the events before are recorded, with the sentinel its error wraps.
type refusal struct {
	name   string
	before []referral.Record
	event  referral.Record
	want   error
}

// applyRefusals is TestApplyErrorClass's table of refusals: each of the Program, at
// each place it refuses. TestApplyErrorNamesEvent runs it too.
func applyRefusals(t *testing.T) []refusal {
	t.Helper()
	at := applyAt
	day := func(d int) time.Time { return at.AddDate(0, 0, d) }
	type rec = referral.Record
	code, err := referral.NewCode(strings.NewReader(strings.Repeat("\x00", 64)))
	if err != nil {
		t.Fatal(err)
	}
	issue := func(key string, prof uint32) rec {
		return rec{Kind: referral.KindCode, Key: key, At: day(0), Profile: prof, Code: code}
	}
	order := func(key string, prof uint32, id string, amount int64, d int) rec {
		return rec{Kind: referral.KindOrder, Key: key, At: day(d), Profile: prof, Order: id, Amount: amount}
	}
	refund := func(key, id string, amount int64, d int) rec {
		return rec{Kind: referral.KindRefund, Key: key, At: day(d), Order: id, Amount: amount}
	}
	signup := func(key string, prof uint32, c string) rec {
		return rec{Kind: referral.KindSignup, Key: key, At: day(1), Profile: prof, Code: referral.Code(c)}
	}
	with := func(r rec, f func(*rec)) rec { f(&r); return r }
	const maxAmount = math.MaxInt64 / 4
	return []refusal{
		// checkEvent: the event's shape.
		{"not an input kind", nil, rec{Kind: referral.KindAttribution, Key: "a", At: day(1), Profile: 2}, referral.ErrInvalid},
		{"no key", nil, order("", 2, "A", 5, 1), referral.ErrInvalid},
		{"no time", nil, with(order("o", 2, "A", 5, 1), func(r *rec) { r.At = time.Time{} }), referral.ErrInvalid},
		{"year out of range", nil, with(order("o", 2, "A", 5, 1), func(r *rec) { r.At = r.At.AddDate(500, 0, 0) }), referral.ErrInvalid},
		{"no profile", nil, order("o", 0, "A", 5, 1), referral.ErrInvalid},
		{"amount out of range", nil, order("o", 2, "A", -5, 1), referral.ErrInvalid},
		{"a field the programme sets", nil, with(order("o", 2, "A", 5, 1), func(r *rec) { r.Ref = "x" }), referral.ErrInvalid},
		{"order id too long", nil, order("o", 2, strings.Repeat("A", 600), 5, 1), referral.ErrInvalid},
		// derive: the ledger's decision.
		{"malformed code", nil, with(issue("c", 1), func(r *rec) { r.Code = "NOT-A-CODE" }), referral.ErrCode},
		{"code of another profile", []rec{issue("c1", 1)}, issue("c2", 2), referral.ErrConflict},
		{"invitation without a contact", nil, rec{Kind: referral.KindInvite, Key: "i", At: day(1), Profile: 1}, referral.ErrInvalid},
		{"click on a code never issued", nil, rec{Kind: referral.KindClick, Key: "k", At: day(1), Profile: 2, Code: code}, referral.ErrCode},
		{"second sign-up", []rec{signup("s1", 2, "")}, signup("s2", 2, ""), referral.ErrConflict},
		{"sign-up with a code never issued", nil, signup("s", 2, string(code)), referral.ErrCode},
		{"order without an id", nil, order("o", 2, "", 5, 1), referral.ErrInvalid},
		{"order id used twice", []rec{order("o1", 2, "A", 5, 1)}, order("o2", 2, "A", 5, 1), referral.ErrConflict},
		{"refund without an order id", nil, refund("r", "", 0, 1), referral.ErrInvalid},
		{"refund of an unknown order", nil, refund("r", "A", 0, 1), referral.ErrNotFound},
		{"refund before its order", []rec{order("o", 2, "A", 5, 2)}, refund("r", "A", 0, 1), referral.ErrRefundBeforeOrder},
		{"refund of an order fully refunded", []rec{order("o", 2, "A", 5, 1), refund("r1", "A", 0, 2)}, refund("r2", "A", 1, 3), referral.ErrConflict},
		{"refund above the order", []rec{order("o", 2, "A", 5, 1)}, refund("r", "A", 6, 2), referral.ErrRefundExceeds},
		{"payout of nothing", nil, rec{Kind: referral.KindPayout, Key: "p", At: day(1), Profile: 1}, referral.ErrInvalid},
		{"payout above the payable balance", nil, rec{Kind: referral.KindPayout, Key: "p", At: day(1), Profile: 1, Amount: 1}, referral.ErrInsufficient},
		{"merge into an absorbed profile", nil, rec{Kind: referral.KindMerge, Key: "m", Profile: 1, Absorbed: []uint32{1}}, referral.ErrInvalid},
		// decideLocked: the key and the ledger's volume.
		{"key reused", []rec{order("o", 2, "A", 5, 1)}, order("o", 2, "A", 6, 1), referral.ErrKeyReused},
		{"ledger volume past 2^62", []rec{order("o1", 2, "A", maxAmount, 1), order("o2", 2, "B", maxAmount, 1)},
			order("o3", 2, "C", maxAmount, 1), referral.ErrInvalid},
	}
}

// applyAt is the day of the events of applyRefusals and goodEvent.
var applyAt = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// goodEvent is an event that every Program of TestApplyErrorClass records: event i
// of the ones around a refused one.
func goodEvent(i int) referral.Record {
	return referral.Record{Kind: referral.KindInvite, Key: fmt.Sprint("good-", i), At: applyAt.AddDate(0, 0, 1), Profile: 100 + uint32(i),
		Signals: referral.Signals{Email: fmt.Sprintf("friend%d@example.com", i)}}
}

// applyStores are the stores of TestApplyErrorClass: a MemStore, and a SharedStore,
// whose Apply decides events in a loop of its own.
var applyStores = map[string]func() referral.Store{
	"MemStore":    func() referral.Store { return &referral.MemStore{} },
	"SharedStore": func() referral.Store { return (&ledger{}).replica() },
}

// passingCause is a case of TestApplyErrorClass: a reason outside the events for
// which Apply stops at event 0 of good ones, with the error it wraps.
type passingCause struct {
	name  string
	store referral.Store
	ctx   context.Context
	want  error
}

// applyPassing is TestApplyErrorClass's table of passing causes: a done context, on
// each store, and a shared store that cannot be led. TestApplyErrorNamesEvent runs it
// too.
func applyPassing(t *testing.T) []passingCause {
	done, cancel := context.WithCancel(context.Background())
	cancel()
	late, cancel2 := context.WithDeadline(context.Background(), applyAt)
	t.Cleanup(cancel2)
	return []passingCause{
		{"MemStore/context canceled", &referral.MemStore{}, done, context.Canceled},
		{"MemStore/deadline exceeded", &referral.MemStore{}, late, context.DeadlineExceeded},
		{"SharedStore/context canceled", (&ledger{}).replica(), done, context.Canceled},
		{"SharedStore/deadline exceeded", (&ledger{}).replica(), late, context.DeadlineExceeded},
		{"SharedStore/lead failed", refusing{(&ledger{}).replica()}, context.Background(), errUnreachable},
	}
}

// TestApplyErrorClass: every way a bulk Apply stops at an event gives an EventError
// whose Permanent says whose fault it is, the one test a queue consumer makes: each
// refusal of the Program, at each place it refuses (the event's shape, the ledger's
// decision, the key, the ledger's volume), is Permanent, and wraps its sentinel; a done
// context and a shared store that cannot be led are not. On a MemStore and on a
// SharedStore, whose Apply decides events in a loop of its own.
func TestApplyErrorClass(t *testing.T) {
	for name, store := range applyStores {
		for _, c := range applyRefusals(t) {
			t.Run(name+"/"+c.name, func(t *testing.T) {
				p, err := applyRefusal(t, store, c)
				var ee *referral.EventError
				switch {
				case !errors.As(err, &ee) || ee.Index != 1:
					t.Fatalf("%v, want an EventError of event 1, got %+v", err, ee)
				case !ee.Permanent:
					t.Fatalf("%v: not Permanent, so a consumer would send the refused event again, and again", err)
				case !errors.Is(err, c.want):
					t.Fatalf("%v does not wrap %v", err, c.want)
				case errors.As(err, new(*referral.AppendError)):
					t.Fatalf("%v holds an AppendError", err)
				}
				// The consumer dead-letters it and goes on.
				if err := p.Apply(context.Background(), goodEvent(1)); err != nil {
					t.Fatalf("the event after the refused one: %v", err)
				}
			})
		}
	}

	for _, c := range applyPassing(t) {
		t.Run(c.name, func(t *testing.T) {
			p, err := referral.Open(c.store, referral.Rules{ReferrerReward: 100})
			if err != nil {
				t.Fatal(err)
			}
			err = p.Apply(c.ctx, goodEvent(0), goodEvent(1))
			var ee *referral.EventError
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
// event it stopped at, by kind and key, and not only by index, as a log line needs: a
// refusal as the event's own error names it (`order event "o3": ...`); a done context
// and a failed lead, before the event was looked at, name it as not recorded
// (`invite event "good-0" not recorded: context canceled`). The tables of
// TestApplyErrorClass, on each store. loyalty's TestApplyErrorNamesEvent holds it to
// the same wording.
func TestApplyErrorNamesEvent(t *testing.T) {
	check := func(t *testing.T, err error, ev referral.Record, wantNotRecorded bool) {
		t.Helper()
		var ee *referral.EventError
		if !errors.As(err, &ee) {
			t.Fatalf("%v: no EventError", err)
		}
		msg := err.Error()
		if strings.Count(msg, "referral:") != 1 {
			t.Fatalf("%q does not name the package once", msg)
		}
		if wantNotRecorded {
			if name := fmt.Sprintf("%s event %q not recorded: ", ev.Kind, ev.Key); !strings.Contains(msg, name) {
				t.Fatalf("%q does not name the event as %q", msg, name)
			}
			return
		}
		if !namesEvent(msg, ev.Kind.String(), ev.Key) {
			t.Fatalf("%q does not name the event (kind %s, key %q)", msg, ev.Kind, ev.Key)
		}
	}
	for name, store := range applyStores {
		for _, c := range applyRefusals(t) {
			t.Run(name+"/"+c.name, func(t *testing.T) {
				_, err := applyRefusal(t, store, c)
				check(t, err, c.event, false)
			})
		}
	}
	for _, c := range applyPassing(t) {
		t.Run(c.name, func(t *testing.T) {
			p, err := referral.Open(c.store, referral.Rules{ReferrerReward: 100})
			if err != nil {
				t.Fatal(err)
			}
			check(t, p.Apply(c.ctx, goodEvent(0), goodEvent(1)), goodEvent(0), true)
		})
	}
}

// namesEvent reports whether msg, an event's error, names the event by kind and key,
// as the packages' errors do: `order event "o1"`, or, for the event whose kind or
// key is at fault, `event "a": kind attribution ...` and `order event: key "" ...`.
func namesEvent(msg, kind, key string) bool {
	return strings.Contains(msg, fmt.Sprintf("%s event %q", kind, key)) ||
		strings.Contains(msg, fmt.Sprintf("event %q: kind %s", key, kind)) ||
		key == "" && strings.Contains(msg, fmt.Sprintf("%s event: key %q", kind, key))
}

// failingStore is a MemStore whose appends fail while down is set.
type failingStore struct {
	referral.MemStore
	down bool
}

var errDown = errors.New("connection reset")

func (s *failingStore) Append(recs ...referral.Record) error {
	if s.down {
		return errDown
	}
	return s.MemStore.Append(recs...)
}

// TestApplyErrorClassAppend: a failed append is never the events' fault. An Apply
// whose append failed and whose event was refused too holds both errors, the
// EventError Permanent; once the Program stopped, Apply's error is the AppendError
// alone, naming where it stopped, with no EventError that a consumer would read as
// the event's fault.
func TestApplyErrorClassAppend(t *testing.T) {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ev := func(i int) referral.Record {
		return referral.Record{Kind: referral.KindInvite, Key: fmt.Sprint("invite-", i), At: at, Profile: 1,
			Signals: referral.Signals{Email: fmt.Sprintf("friend%d@example.com", i)}}
	}
	bad := ev(9)
	bad.At = time.Time{}
	s := &failingStore{down: true}
	p, err := referral.Open(s, referral.Rules{ReferrerReward: 100})
	if err != nil {
		t.Fatal(err)
	}
	err = p.Apply(context.Background(), ev(0), ev(1), bad, ev(3))
	var ee *referral.EventError
	var ae *referral.AppendError
	switch {
	case !errors.As(err, &ae) || ae.Lo != 0 || ae.Hi != 2 || !errors.Is(err, errDown):
		t.Fatalf("%v, want an AppendError of events [0, 2) wrapping the store's error, got %+v", err, ae)
	case !errors.As(err, &ee) || ee.Index != 2 || !ee.Permanent:
		t.Fatalf("%v, want a Permanent EventError of event 2 too, got %+v", err, ee)
	}
	s.down = false
	err = p.Apply(context.Background(), ev(5), ev(6))
	ae = nil
	switch {
	case !errors.As(err, &ae) || ae.Lo != 0 || ae.Hi != 0:
		t.Fatalf("Apply on the stopped Program: %v, want an AppendError with Lo == Hi == 0, got %+v", err, ae)
	case errors.As(err, new(*referral.EventError)):
		t.Fatalf("Apply on the stopped Program: %v holds an EventError, which a consumer would read as the event's fault", err)
	}
}

// TestErrorTypesArePackages: AppendError and EventError are referral's own types, whose
// fields go doc shows in package referral, not aliases of an internal package's shared
// with loyalty: errors.As with loyalty's types does not find referral's errors.
func TestErrorTypesArePackages(t *testing.T) {
	const pkg = "github.com/clientele-go/clientele/referral"
	for _, typ := range []reflect.Type{reflect.TypeFor[referral.AppendError](), reflect.TypeFor[referral.EventError]()} {
		if typ.PkgPath() != pkg {
			t.Errorf("%s is defined in %s, want %s", typ.Name(), typ.PkgPath(), pkg)
		}
	}
	p, err := referral.Open(&referral.MemStore{}, referral.Rules{ReferrerReward: 100})
	if err != nil {
		t.Fatal(err)
	}
	err = p.Apply(context.Background(), referral.Record{Kind: referral.KindOrder, Key: "o"})
	if !errors.As(err, new(*referral.EventError)) {
		t.Fatalf("%v: no referral.EventError", err)
	}
	if errors.As(err, new(*loyalty.EventError)) {
		t.Fatalf("%v: errors.As finds a loyalty.EventError in referral's error", err)
	}
	// The message names the package once, made by Apply or by hand.
	if got := (&referral.EventError{Index: 3, Err: referral.ErrInvalid}).Error(); got != "referral: apply event 3: invalid input" {
		t.Errorf("EventError made by hand: %q", got)
	}
	if got := (&referral.AppendError{Lo: 2, Hi: 5, Err: errDown}).Error(); got != "referral: the append of events [2, 5) failed, events [0, 2) are durable: connection reset" {
		t.Errorf("AppendError made by hand: %q", got)
	}
}

// applyRefusal opens a programme on a new store, applies c's events before, and
// returns it with the error of a bulk Apply holding c's event between two good ones.
func applyRefusal(t *testing.T, store func() referral.Store, c refusal) (*referral.Program, error) {
	t.Helper()
	p, err := referral.Open(store(), referral.Rules{ReferrerReward: 100})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Apply(context.Background(), c.before...); err != nil {
		t.Fatalf("the events before: %v", err)
	}
	return p, p.Apply(context.Background(), goodEvent(0), c.event, goodEvent(1))
}
