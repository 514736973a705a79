package referral

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/big"
	"strings"
	"testing"

	"pgregory.net/rapid"
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

// TestPropertyVolumeNeverWraps holds the ledger against sums in math/big, which cannot
// overflow: whatever rewards, orders, refunds and payouts of any size up to
// math.MaxInt64/4 arrive, every balance equals the exact sum of its entries, the
// ledger's amounts stay within 2^62, an event refused for the limit writes nothing,
// and replay equals live.
func TestPropertyVolumeNeverWraps(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		ctx := context.Background()
		amount := func(label string) int64 {
			if rapid.Bool().Draw(t, label+" huge") {
				return rapid.Int64Range(maxAmount/2, maxAmount).Draw(t, label)
			}
			return rapid.Int64Range(0, 1000).Draw(t, label)
		}
		rules := Rules{ReferrerReward: amount("referrer reward"), ReferredReward: amount("referred reward"),
			Qualify: Action(rapid.IntRange(0, 1).Draw(t, "qualify"))}
		store := &MemStore{}
		p, err := Open(store, rules)
		if err != nil {
			t.Fatal(err)
		}
		code, err := p.IssueCode(ctx, day(0), "code", 1, Signals{}, newSeeded(2))
		if err != nil {
			t.Fatal(err)
		}
		people, orders := uint32(1), 0
		for i := range rapid.IntRange(1, 30).Draw(t, "steps") {
			n := len(storeRecords(t, store))
			key := fmt.Sprint("e", i)
			at := day(1 + float64(i)/100)
			switch rapid.IntRange(0, 3).Draw(t, "action") {
			case 0:
				people++
				_, err = p.SignUp(ctx, at, key, people, string(code), Signals{})
			case 1:
				who := uint32(rapid.IntRange(1, int(people)).Draw(t, "buyer"))
				err = p.Order(ctx, at, key, who, fmt.Sprint("O", orders), amount("order"))
				orders++
			case 2:
				if orders == 0 {
					continue
				}
				err = p.RefundAmount(ctx, at, key, fmt.Sprint("O", rapid.IntRange(0, orders-1).Draw(t, "refunded")), max(amount("refund"), 1))
			case 3:
				err = p.Payout(ctx, at, key, uint32(rapid.IntRange(1, int(people)).Draw(t, "payee")), max(amount("payout"), 1))
			}
			if errors.Is(err, ErrInvalid) && len(storeRecords(t, store)) != n {
				t.Fatalf("event %d refused (%v) but the store grew", i, err)
			}
		}
		var volume big.Int
		for _, r := range storeRecords(t, store) {
			volume.Add(&volume, new(big.Int).Abs(big.NewInt(r.Amount)))
		}
		if volume.Cmp(big.NewInt(maxVolume)) > 0 {
			t.Fatalf("the ledger holds amounts of %v in all, past 2^62", &volume)
		}
		q, err := Open(store, rules)
		if err != nil {
			t.Fatalf("reopen: %v", err)
		}
		far := day(1000)
		for who := uint32(1); who <= people; who++ {
			var earned, paid big.Int
			for _, e := range p.Entries(who) {
				switch e.Kind {
				case KindReward, KindClawback:
					earned.Add(&earned, big.NewInt(e.Amount))
				case KindPayout:
					paid.Add(&paid, big.NewInt(e.Amount))
				}
			}
			payable := new(big.Int).Sub(&earned, &paid)
			b := p.Balance(far, who)
			if big.NewInt(b.Earned).Cmp(&earned) != 0 || big.NewInt(b.Paid).Cmp(&paid) != 0 || big.NewInt(b.Payable).Cmp(payable) != 0 || b.Held != 0 {
				t.Fatalf("profile %d: balance %+v, want earned %v, paid %v, payable %v", who, b, &earned, &paid, payable)
			}
			if qb := q.Balance(far, who); qb != b {
				t.Fatalf("profile %d: balance %+v after replay, %+v live", who, qb, b)
			}
		}
	})
}

func storeRecords(t *rapid.T, s *MemStore) []Record {
	var out []Record
	for r, err := range s.Records() {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}
