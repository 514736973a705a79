package referral

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
)

// TestVolumeRules: a reward of math.MaxInt64 was accepted, and two sign-ups summed it
// to a balance of -2. Rules with an amount no event may carry are refused, naming the
// limit.
func TestVolumeRules(t *testing.T) {
	for _, r := range []Rules{
		{ReferrerReward: math.MaxInt64, Qualify: AtSignup},
		{ReferredReward: maxAmount + 1},
		{MinAmount: math.MaxInt64, Qualify: PurchaseOver},
		{CapPerReferrer: math.MaxInt64},
		{CapPerPeriod: math.MaxInt64, CapPeriod: 1},
	} {
		_, err := Open(&MemStore{}, r)
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), fmt.Sprint(int64(maxAmount))) {
			t.Errorf("Open(%+v) = %v, want ErrInvalid naming the limit %d", r, err, int64(maxAmount))
		}
	}
	if _, err := Open(&MemStore{}, Rules{ReferrerReward: maxAmount, ReferredReward: maxAmount}); err != nil {
		t.Errorf("Open with rewards at the limit: %v", err)
	}
}

// TestVolumeRewards: sign-ups each earning the largest rewards are refused once the
// ledger's amounts would pass 2^62, the refused one records nothing, and every balance
// before it stays positive.
func TestVolumeRewards(t *testing.T) {
	ctx := context.Background()
	store := &MemStore{}
	p, err := Open(store, Rules{ReferrerReward: maxAmount, Qualify: AtSignup})
	if err != nil {
		t.Fatal(err)
	}
	code, err := p.IssueCode(ctx, day(0), "code", 1, Signals{}, newSeeded(1))
	if err != nil {
		t.Fatal(err)
	}
	refused := 0
	for i := range 8 {
		profile := uint32(10 + i)
		_, err := p.SignUp(ctx, day(1), fmt.Sprint("s", i), profile, string(code), Signals{})
		if err != nil {
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "2^62") {
				t.Fatalf("sign-up %d: %v, want ErrInvalid naming the limit 2^62", i, err)
			}
			if _, ok := p.Referrer(profile); ok {
				t.Errorf("refused sign-up %d was attributed", i)
			}
			refused = i
			break
		}
		if b := p.Balance(day(2), 1); b.Earned <= 0 || b.Payable <= 0 {
			t.Fatalf("after sign-up %d the balance is %+v: it has overflowed", i, b)
		}
	}
	if refused == 0 {
		t.Fatal("8 rewards of math.MaxInt64/4 accepted: the balance has overflowed")
	}
	want := int64(refused) * maxAmount
	if b := p.Balance(day(2), 1); b.Earned != want || b.Payable != want {
		t.Errorf("balance %+v after %d rewards, want %d earned and payable", b, refused, want)
	}
	if got := p.Payables(day(2)); len(got) != 1 || got[0].Amount != want {
		t.Errorf("payables %+v, want profile 1 with %d", got, want)
	}
	// Replay equals live: the refused event left nothing in the store.
	q, err := Open(store, Rules{ReferrerReward: maxAmount, Qualify: AtSignup})
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	if b := q.Balance(day(2), 1); b.Earned != want {
		t.Errorf("balance after reopen %+v, want %d earned", b, want)
	}
}

// TestVolumeOrders: orders of the largest amount summed past 2^63 without an error.
func TestVolumeOrders(t *testing.T) {
	ctx := context.Background()
	p, err := Open(&MemStore{}, Rules{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 8 {
		err := p.Order(ctx, day(1), fmt.Sprint("o", i), 1, fmt.Sprint("O", i), maxAmount)
		if err != nil {
			if !errors.Is(err, ErrInvalid) || i != 2 {
				t.Fatalf("order %d: %v, want ErrInvalid at order 2 (two of math.MaxInt64/4 fit in 2^62)", i, err)
			}
			return
		}
	}
	t.Fatal("8 orders of math.MaxInt64/4 accepted")
}

// TestVolumeReplay: a stored ledger past the limit is one no Program could have
// decided, and replaying it fails as corrupt rather than summing past int64.
func TestVolumeReplay(t *testing.T) {
	for _, amounts := range [][]int64{
		{maxAmount, maxAmount, 3},
		{math.MinInt64},
		{math.MaxInt64},
	} {
		store := &MemStore{}
		for i, a := range amounts {
			if err := store.Append(Record{Kind: KindPayout, Key: fmt.Sprint("p", i), At: day(1), Profile: 1, Amount: a}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := Open(store, Rules{}); !errors.Is(err, ErrCorrupt) {
			t.Errorf("Open of payouts %v: %v, want ErrCorrupt", amounts, err)
		}
	}
}
