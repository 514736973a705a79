package loyalty_test

import (
	"bufio"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/clientele-go/clientele/referral/loyalty"
)

// simulate runs a year of a shop's programme: members earning, spending, some
// refunding (some after spending, into debt), bonuses and adjustments, points expiring
// at the end of the third month after earning.
func simulate(t testing.TB, l *loyalty.Ledger, members int, seed uint64) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(seed, 7))
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	n := 0
	for m := 1; m <= members; m++ {
		at := start.Add(time.Duration(rng.IntN(30*24)) * time.Hour)
		var orders []string
		spender := rng.Float64() < 0.6
		for at.Before(start.AddDate(1, 0, 0)) {
			n++
			key := fmt.Sprint("ev", n)
			switch r := rng.Float64(); {
			case r < 0.55:
				o := fmt.Sprintf("O%d", n)
				if _, err := l.Earn(ctx, at, key, uint32(m), o, int64(1000+rng.IntN(20000)),
					loyalty.Line{Category: "wine", Amount: int64(rng.IntN(1000))}); err != nil {
					t.Fatal(err)
				}
				orders = append(orders, o)
			case r < 0.8 && spender:
				if b := l.Balance(at, uint32(m)); b.Available > 0 {
					if _, err := l.Spend(ctx, at, key, uint32(m), 1+rng.Int64N(b.Available)); err != nil {
						t.Fatal(err)
					}
				}
			case r < 0.88 && len(orders) > 0:
				o := orders[rng.IntN(len(orders))]
				_, err := l.Refund(ctx, at, key, o, int64(rng.IntN(2))*int64(1+rng.IntN(500)))
				if err != nil && !strings.Contains(err.Error(), "refunds exceed") {
					t.Fatal(err)
				}
			case r < 0.94:
				if _, err := l.Bonus(ctx, at, key, uint32(m), int64(10+rng.IntN(100)), "promo"); err != nil {
					t.Fatal(err)
				}
			default:
				if _, err := l.Adjust(ctx, at, key, uint32(m), int64(rng.IntN(61)-30)|1, "fix"); err != nil {
					t.Fatal(err)
				}
			}
			at = at.Add(time.Duration(1+rng.IntN(20*24)) * time.Hour)
		}
	}
}

func simRules() loyalty.Rules {
	return loyalty.Rules{
		Categories: map[string]int64{"wine": 3},
		Lock:       14 * 24 * time.Hour,
		Expiry:     loyalty.Expiry{Rule: loyalty.EndOfMonth, N: 2},
	}
}

// TestLiabilityReconcilesWithLedger sums every ledger entry (credits, spends, refund
// reversals, adjustments) dated by each month end and checks it against the liability
// report: outstanding + expired - debt, the points every entry put in and took out.
// The member balances add up to the report too.
func TestLiabilityReconcilesWithLedger(t *testing.T) {
	store := &loyalty.MemStore{}
	l, err := loyalty.Open(store, simRules())
	if err != nil {
		t.Fatal(err)
	}
	simulate(t, l, 60, 1)
	debts := 0
	for month := 1; month <= 13; month++ {
		at := time.Date(2025, time.Month(month), 1, 0, 0, 0, 0, time.UTC)
		var sum int64
		for r, err := range store.Records() {
			if err != nil {
				t.Fatal(err)
			}
			if r.At.After(at) {
				continue
			}
			switch r.Kind {
			case loyalty.KindEarn, loyalty.KindBonus, loyalty.KindAdjust:
				sum += r.Points
			case loyalty.KindSpend, loyalty.KindRefund:
				sum -= r.Points
			}
		}
		li, err := l.Liability(at, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := li.Outstanding + li.Expired - li.Debt; got != sum {
			t.Fatalf("%v: outstanding %d + expired %d - debt %d = %d, the entries sum to %d", at, li.Outstanding, li.Expired, li.Debt, got, sum)
		}
		var bal loyalty.Balance
		for m := uint32(1); m <= 60; m++ {
			b := l.Balance(at, m)
			bal.Available += b.Available
			bal.Locked += b.Locked
			bal.Debt += b.Debt
			bal.Expired += b.Expired
		}
		if bal.Available+bal.Locked != li.Outstanding || bal.Debt != li.Debt || bal.Expired != li.Expired {
			t.Fatalf("%v: balances add up to %+v, liability %+v", at, bal, li)
		}
		var c loyalty.Vintage
		for _, x := range li.Vintages {
			c.Credited += x.Credited
			c.Spent += x.Spent
			c.Taken += x.Taken
			c.Expired += x.Expired
			c.Outstanding += x.Outstanding
			if x.Lo > x.Breakage || x.Breakage > x.Hi || x.Lo < 0 || x.Hi > 1 {
				t.Fatalf("cohort %v: breakage %v outside its interval [%v, %v]", x.Month, x.Breakage, x.Lo, x.Hi)
			}
		}
		if c.Credited != c.Spent+c.Taken+c.Expired+c.Outstanding {
			t.Fatalf("%v: cohorts credited %d, spent %d + taken %d + expired %d + outstanding %d", at, c.Credited, c.Spent, c.Taken, c.Expired, c.Outstanding)
		}
		if li.Debt > 0 {
			debts++
		}
		if !(li.ValueLo <= li.Value && li.Value <= li.ValueHi) {
			t.Fatalf("%v: value %v outside [%v, %v]", at, li.Value, li.ValueLo, li.ValueHi)
		}
	}
	if debts == 0 {
		t.Fatal("the simulation never put a member in debt: the debt rule is not exercised")
	}
}

// TestBreakageGolden checks the ratio estimator and its linearised interval against
// testdata/breakage.golden, which testdata/breakage.py computes with NumPy from the
// per-lot (known, expired) points the file lists.
func TestBreakageGolden(t *testing.T) {
	f, err := os.Open("testdata/breakage.golden")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	cases := 0
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		// lots: known:expired,known:expired,... | b lo hi
		lotsPart, want, _ := strings.Cut(line, "|")
		store := &loyalty.MemStore{}
		l, _ := loyalty.Open(store, loyalty.Rules{Unit: 1, Expiry: loyalty.Expiry{Rule: loyalty.AfterDays, N: 10}})
		ctx := context.Background()
		day0 := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
		for i, lot := range strings.Split(strings.TrimSpace(lotsPart), ",") {
			ks, es, _ := strings.Cut(lot, ":")
			known, _ := strconv.ParseInt(ks, 10, 64)
			exp, _ := strconv.ParseInt(es, 10, 64)
			m := uint32(i + 1)
			// One lot per member: known points, of which known-expired are spent, and
			// the expired ones left to expire.
			if _, err := l.Earn(ctx, day0, fmt.Sprint("e", i), m, fmt.Sprint("O", i), known); err != nil {
				t.Fatal(err)
			}
			if s := known - exp; s > 0 {
				if _, err := l.Spend(ctx, day0.Add(time.Hour), fmt.Sprint("s", i), m, s); err != nil {
					t.Fatal(err)
				}
			}
		}
		li, err := l.Liability(day0.AddDate(0, 1, 0), nil)
		if err != nil {
			t.Fatal(err)
		}
		var b, lo, hi float64
		fmt.Sscan(want, &b, &lo, &hi)
		c := li.Vintages[0]
		if math.Abs(c.Breakage-b) > 1e-12 || math.Abs(c.Lo-lo) > 1e-9 || math.Abs(c.Hi-hi) > 1e-9 {
			t.Fatalf("%s: breakage %v [%v, %v], NumPy %v [%v, %v]", lotsPart, c.Breakage, c.Lo, c.Hi, b, lo, hi)
		}
		cases++
	}
	if cases == 0 {
		t.Fatal("no golden cases")
	}
}
