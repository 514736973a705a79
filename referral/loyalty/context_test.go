package loyalty_test

import (
	"context"
	"errors"
	"testing"

	"github.com/clientele-go/clientele/referral/loyalty"
)

// TestNilContextEveryStore: a nil context is ErrInvalid for every event method, Apply
// and CatchUp, on a MemStore and on a SharedStore, and records nothing, as referral and
// identity refuse it. Earn, Apply and CatchUp panicked on it.
func TestNilContextEveryStore(t *testing.T) {
	for name, store := range map[string]loyalty.Store{"MemStore": &loyalty.MemStore{}, "SharedStore": (&sharedLog{}).replica()} {
		l, err := loyalty.Open(store, shopRules())
		if err != nil {
			t.Fatal(err)
		}
		calls := map[string]func() error{
			//lint:ignore SA1012 the nil context is the input under test
			"Earn": func() error { _, err := l.Earn(nil, day(1), "e1", 1, "O1", 100); return err },
			//lint:ignore SA1012 the nil context is the input under test
			"Spend": func() error { _, err := l.Spend(nil, day(1), "s1", 1, 1); return err },
			//lint:ignore SA1012 the nil context is the input under test
			"Refund": func() error { _, err := l.Refund(nil, day(1), "r1", "O1", 1); return err },
			//lint:ignore SA1012 the nil context is the input under test
			"Bonus": func() error { _, err := l.Bonus(nil, day(1), "b1", 1, 5, "x"); return err },
			//lint:ignore SA1012 the nil context is the input under test
			"Adjust": func() error { _, err := l.Adjust(nil, day(1), "a1", 1, 5, "x"); return err },
			"Apply": func() error {
				//lint:ignore SA1012 the nil context is the input under test
				return l.Apply(nil, loyalty.Record{Kind: loyalty.KindEarn, Key: "e2", At: day(1), Member: 1, Order: "O2", Amount: 100})
			},
			//lint:ignore SA1012 the nil context is the input under test
			"CatchUp": func() error { _, err := l.CatchUp(nil); return err },
		}
		for call, f := range calls {
			err := func() (err error) {
				defer func() {
					if r := recover(); r != nil {
						err = errors.New("panic")
						t.Errorf("%s: %s with a nil context panicked: %v", name, call, r)
					}
				}()
				return f()
			}()
			if !errors.Is(err, loyalty.ErrInvalid) {
				t.Errorf("%s: %s with a nil context: %v, want ErrInvalid", name, call, err)
			}
		}
		for _, err := range store.Records() {
			t.Errorf("%s: a record stored (%v)", name, err)
		}
	}
}

// TestDoneContextSharedExample: an Apply with a done ctx leads the example's SharedStore
// with it and is refused, and the next event is recorded. The example's Lead took the
// writer's lock before it looked at ctx and kept it, though a refused Lead gets no
// Settle: the next event waited for the lock forever.
func TestDoneContextSharedExample(t *testing.T) {
	l, err := loyalty.Open((&sharedLog{}).replica(), shopRules())
	if err != nil {
		t.Fatal(err)
	}
	ev := loyalty.Record{Kind: loyalty.KindEarn, Key: "e1", At: day(1), Member: 1, Order: "O1", Amount: 100}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := l.Apply(ctx, ev); !errors.Is(err, context.Canceled) {
		t.Fatalf("Apply with a done ctx: %v, want context.Canceled", err)
	}
	if err := l.Apply(context.Background(), ev); err != nil {
		t.Fatalf("Apply after an Apply with a done ctx: %v", err)
	}
	if got := l.Position(); got != 1 {
		t.Fatalf("%d records after the event, want 1", got)
	}
}
