package loyalty_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/clientele-go/clientele/referral/loyalty"
)

// TestVolumeNeverOverflows: orders at the largest amount, rate and multiplier (1e16
// points each) once summed past 2^63 and turned a member's balance and the liability
// negative without an error. The ledger now refuses the event that would take it past
// its limit, and every balance before that stays positive.
func TestVolumeNeverOverflows(t *testing.T) {
	ctx := context.Background()
	l, err := loyalty.Open(&loyalty.MemStore{}, loyalty.Rules{Unit: 1, Rate: 1000,
		Tiers: []loyalty.Tier{{Name: "base", Multiplier: 1000}}})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	const orders = 1000 // 1e19 points, past 2^63
	refused := -1
	for i := range orders {
		_, err := l.Earn(ctx, t0.Add(time.Duration(i)*time.Second), fmt.Sprint("k", i), 1, fmt.Sprint("O", i), 1_000_000_000_000)
		if err != nil {
			if !errors.Is(err, loyalty.ErrInvalid) {
				t.Fatalf("order %d: %v, want ErrInvalid", i, err)
			}
			refused = i
			break
		}
	}
	if refused < 0 {
		t.Fatalf("all %d orders of 1e16 points accepted: the balance has overflowed", orders)
	}
	at := t0.Add(time.Hour)
	b := l.Balance(at, 1)
	if want := int64(refused) * 1e16; b.Available != want || b.Net() != want {
		t.Errorf("balance %+v after %d orders, want %d available", b, refused, want)
	}
	li, err := l.Liability(at, nil)
	if err != nil {
		t.Fatal(err)
	}
	if li.Outstanding != b.Available || li.Value < 0 {
		t.Errorf("liability outstanding %d, value %g; want %d, not negative", li.Outstanding, li.Value, b.Available)
	}
}

// TestVolumeDebt: negative adjustments with no points to take from build a debt; past
// 2^63 it would wrap to a negative debt, a credit from nowhere.
func TestVolumeDebt(t *testing.T) {
	ctx := context.Background()
	l, err := loyalty.Open(&loyalty.MemStore{}, loyalty.Rules{})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	const step = 1 << 50 // the largest adjustment
	for i := range 1 << 14 {
		if _, err := l.Adjust(ctx, t0, fmt.Sprint("a", i), 1, -step, "correction"); err != nil {
			if !errors.Is(err, loyalty.ErrInvalid) {
				t.Fatalf("adjustment %d: %v, want ErrInvalid", i, err)
			}
			break
		}
		if b := l.Balance(t0, 1); b.Debt <= 0 || b.Net() >= 0 {
			t.Fatalf("after adjustment %d the balance is %+v: the debt has overflowed", i, b)
		}
	}
}

// TestVolumeReplay: a stored history past the limit is one the ledger could not have
// decided, and replaying it fails as corrupt rather than summing past int64.
func TestVolumeReplay(t *testing.T) {
	store := &loyalty.MemStore{}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 8200 { // 8,200 · 2^50 > 2^63
		if err := store.Append(loyalty.Record{Kind: loyalty.KindBonus, Key: fmt.Sprint("c", i), At: t0, Member: 1, Points: 1 << 50}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := loyalty.Open(store, loyalty.Rules{}); !errors.Is(err, loyalty.ErrCorrupt) {
		t.Fatalf("Open of 8,200 bonuses of 2^50 points: %v, want ErrCorrupt", err)
	}
}
