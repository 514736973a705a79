package referral_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/clientele-go/clientele/referral"
)

// TestNilContextEveryStore: a nil context is ErrInvalid for Apply and CatchUp whatever
// the store, as it is for the event methods. On a SharedStore, Apply led the ledger with
// it and panicked (on a MemStore it was refused), and CatchUp panicked on both.
func TestNilContextEveryStore(t *testing.T) {
	for name, store := range map[string]referral.Store{"MemStore": &referral.MemStore{}, "SharedStore": (&ledger{}).replica()} {
		p, err := referral.Open(store, referral.Rules{ReferrerReward: 100})
		if err != nil {
			t.Fatal(err)
		}
		ev := referral.Record{Kind: referral.KindOrder, Key: "o1", At: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Profile: 2, Order: "A", Amount: 5}
		//lint:ignore SA1012 the nil context is the input under test
		if err := p.Apply(nil, ev); !errors.Is(err, referral.ErrInvalid) {
			t.Errorf("%s: Apply with a nil context: %v, want ErrInvalid", name, err)
		}
		//lint:ignore SA1012 the nil context is the input under test
		if _, err := p.CatchUp(nil); !errors.Is(err, referral.ErrInvalid) {
			t.Errorf("%s: CatchUp with a nil context: %v, want ErrInvalid", name, err)
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
	p, err := referral.Open((&ledger{}).replica(), referral.Rules{ReferrerReward: 100})
	if err != nil {
		t.Fatal(err)
	}
	ev := referral.Record{Kind: referral.KindOrder, Key: "o1", At: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Profile: 2, Order: "A", Amount: 5}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := p.Apply(ctx, ev); !errors.Is(err, context.Canceled) {
		t.Fatalf("Apply with a done ctx: %v, want context.Canceled", err)
	}
	if err := p.Apply(context.Background(), ev); err != nil {
		t.Fatalf("Apply after an Apply with a done ctx: %v", err)
	}
	if got := p.Position(); got != 1 {
		t.Fatalf("%d records after the event, want 1", got)
	}
}

// refusing is a SharedStore whose Lead fails, as a database that cannot be reached.
type refusing struct{ *replica }

var errUnreachable = errors.New("database unreachable")

func (refusing) Lead(context.Context) error { return errUnreachable }

// TestLeadErrorNamesEvent: an event whose lead fails gets an error naming it, as on
// loyalty's ledger and as Apply names its index, wrapping the store's error.
func TestLeadErrorNamesEvent(t *testing.T) {
	p, err := referral.Open(refusing{(&ledger{}).replica()}, referral.Rules{ReferrerReward: 100})
	if err != nil {
		t.Fatal(err)
	}
	err = p.Order(context.Background(), time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), "o1", 2, "A", 5)
	if !errors.Is(err, errUnreachable) || !strings.HasPrefix(err.Error(), `referral: order event "o1": `) {
		t.Fatalf("Order whose lead fails: %v, want an error naming the event and wrapping the store's", err)
	}
}
