package referral

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// refundStep is one refund of order A: of amount, or with amount 0 through Refund (the
// whole order, or what is left of it).
type refundStep struct {
	key    string
	at     float64
	amount int64
	err    error // the error it must fail with, or nil
}

// quarterDays are the non-zero balances of profiles 1 to 3 every quarter day up to day
// 40: fine enough to see a claw-back dated a day early or late.
func quarterDays(p *Program) map[string]Balance {
	out := map[string]Balance{}
	for prof := uint32(1); prof <= 3; prof++ {
		for d := 0.0; d <= 40; d += 0.25 {
			if b := p.Balance(day(d), prof); b != (Balance{}) {
				out[fmt.Sprint(prof, "@", d)] = b
			}
		}
	}
	return out
}

func (s refundStep) do(p *Program) error {
	if s.amount == 0 {
		return p.Refund(context.Background(), day(s.at), s.key, "A")
	}
	return p.RefundAmount(context.Background(), day(s.at), s.key, "A", s.amount)
}

// TestPartialRefunds: profile 2, referred by 1 on day 1, orders A worth 1000 on day 2,
// which earns the referrer 300 and the friend 100; then A is refunded step by step.
// want is the referrer's Earned as of the given days, worked out from the rules: the
// rewards stand while A qualifies at its net amount (FirstPurchase: until it is fully
// refunded; PurchaseOver 500: while at least 500 is left).
func TestPartialRefunds(t *testing.T) {
	cases := []struct {
		name  string
		min   int64 // PurchaseOver with this minimum; 0 for FirstPurchase
		steps []refundStep
		want  map[float64]int64
	}{
		{name: "a partial refund leaves the rewards",
			steps: []refundStep{{"r1", 3, 400, nil}},
			want:  map[float64]int64{2.5: 300, 30: 300}},
		{name: "partial refunds that add up to the order claw back at the last",
			steps: []refundStep{{"r1", 3, 400, nil}, {"r2", 6, 599, nil}, {"r3", 9, 1, nil}},
			want:  map[float64]int64{6: 300, 8.9: 300, 9: 0, 30: 0}},
		{name: "Refund after partial refunds takes back what is left",
			steps: []refundStep{{"r1", 3, 400, nil}, {"r2", 6, 0, nil}, {"r3", 7, 1, ErrConflict}},
			want:  map[float64]int64{5.9: 300, 6: 0}},
		{name: "purchase over: the rewards stand while the minimum is left",
			min:   500,
			steps: []refundStep{{"r1", 3, 300, nil}, {"r2", 4, 200, nil}},
			want:  map[float64]int64{30: 300}},
		{name: "purchase over: the refund that leaves less than the minimum claws back",
			min:   500,
			steps: []refundStep{{"r1", 3, 300, nil}, {"r2", 4, 201, nil}, {"r3", 5, 499, nil}},
			want:  map[float64]int64{3.9: 300, 4: 0, 30: 0}},
		{name: "refunds beyond the order are refused",
			steps: []refundStep{{"r1", 3, 700, nil}, {"r2", 4, 301, ErrRefundExceeds}, {"r3", 4, 1001, ErrRefundExceeds}, {"r4", 5, 300, nil}},
			want:  map[float64]int64{4.5: 300, 5: 0}},
		{name: "a refund before its order is refused",
			steps: []refundStep{{"r1", 1.5, 100, ErrRefundBeforeOrder}, {"r2", 1.5, 0, ErrRefundBeforeOrder}},
			want:  map[float64]int64{30: 300}},
		{name: "nothing is left to refund after a whole refund",
			steps: []refundStep{{"r1", 3, 0, nil}, {"r2", 4, 1, ErrConflict}, {"r3", 4, 0, ErrConflict}},
			want:  map[float64]int64{2.9: 300, 3: 0}},
		{name: "a retried partial refund counts once",
			steps: []refundStep{{"r1", 3, 600, nil}, {"r1", 3, 600, nil}, {"r2", 4, 400, nil}},
			want:  map[float64]int64{3.5: 300, 4: 0}},
		{name: "an event key reused for another amount is refused",
			steps: []refundStep{{"r1", 3, 600, nil}, {"r1", 3, 400, ErrKeyReused}, {"r1", 3, 0, ErrKeyReused}},
			want:  map[float64]int64{30: 300}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := Rules{ReferrerReward: 300, ReferredReward: 100, Hold: 5 * 24 * time.Hour}
			if c.min > 0 {
				cfg.Qualify, cfg.MinAmount = PurchaseOver, c.min
			}
			p, st, _ := referredPair(t, cfg, 60)
			must(t, p.Order(context.Background(), day(2), "o", 2, "A", 1000))
			for _, s := range c.steps {
				n, before := len(slices.Collect(recordsOf(t, st))), balances(p)
				err := s.do(p)
				if !errors.Is(err, s.err) {
					t.Fatalf("refund %s of %d on day %v: err = %v, want %v", s.key, s.amount, s.at, err, s.err)
				}
				if err != nil {
					if after := len(slices.Collect(recordsOf(t, st))); after != n {
						t.Errorf("refused refund %s wrote %d records", s.key, after-n)
					}
					if diff := cmp.Diff(before, balances(p)); diff != "" {
						t.Errorf("refused refund %s changed balances (-before +after):\n%s", s.key, diff)
					}
				}
			}
			for when, want := range c.want {
				if got := p.Balance(day(when), 1).Earned; got != want {
					t.Errorf("referrer earned %d as of day %v, want %d", got, when, want)
				}
				// The friend's reward goes with the referrer's.
				if got := p.Balance(day(when), 2).Earned; got != want/3 {
					t.Errorf("friend earned %d as of day %v, want %d", got, when, want/3)
				}
			}
		})
	}
}

func TestRefundErrorsSayWhat(t *testing.T) {
	p, _, _ := referredPair(t, Rules{ReferrerReward: 300}, 61)
	must(t, p.Order(context.Background(), day(2), "o", 2, "A", 1000))
	must(t, p.RefundAmount(context.Background(), day(3), "r1", "A", 700))
	err := p.RefundAmount(context.Background(), day(4), "r2", "A", 301)
	want := `referral: refund event "r2": refunds exceed the order's amount: order "A" of 1000 with 700 refunded: a refund of 301 exceeds the 300 left`
	if err == nil || err.Error() != want {
		t.Errorf("err = %v\nwant  %s", err, want)
	}
	for _, amount := range []int64{0, -5} {
		if err := p.RefundAmount(context.Background(), day(4), "r3", "A", amount); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "field Amount") {
			t.Errorf("refund of %d: %v, want ErrInvalid naming the field", amount, err)
		}
	}
	must(t, p.Refund(context.Background(), day(5), "r4", "A"))
	if err := p.RefundAmount(context.Background(), day(6), "r5", "A", 1); !errors.Is(err, ErrConflict) || !strings.Contains(err.Error(), `order "A" of 1000 already fully refunded`) {
		t.Errorf("refund of a fully refunded order: %v", err)
	}
}

// TestPartialRefundAfterPayout: the referrer was paid before the refund that stops the
// order qualifying; the claw-back leaves it owing the reward, as a whole refund would.
func TestPartialRefundAfterPayout(t *testing.T) {
	p, _, _ := referredPair(t, Rules{ReferrerReward: 300, Hold: 5 * 24 * time.Hour, Qualify: PurchaseOver, MinAmount: 500}, 62)
	must(t, p.Order(context.Background(), day(2), "o", 2, "A", 1000))
	must(t, p.Payout(context.Background(), day(8), "pay", 1, 300)) // payable since day 7
	must(t, p.RefundAmount(context.Background(), day(9), "r1", "A", 400))
	if got := p.Balance(day(9), 1); got != (Balance{Earned: 300, Paid: 300}) {
		t.Errorf("after a refund that leaves 600: %+v", got)
	}
	must(t, p.RefundAmount(context.Background(), day(10), "r2", "A", 200))
	if got := p.Balance(day(10), 1); got != (Balance{Paid: 300, Payable: -300}) {
		t.Errorf("after the refund that leaves 400: %+v, want the 300 owed", got)
	}
	if got := p.Payables(day(10)); len(got) != 0 {
		t.Errorf("payables: %v", got)
	}
	var kinds []Kind
	for _, e := range p.Entries(1) {
		kinds = append(kinds, e.Kind)
	}
	if !slices.Equal(kinds, []Kind{KindReward, KindPayout, KindClawback}) {
		t.Errorf("entries of the referrer: %v", kinds)
	}
}

// TestClawbackFreesCap: a referral clawed back by partial refunds no longer counts
// against the referrer's cap, as after a whole refund.
func TestClawbackFreesCap(t *testing.T) {
	p, _, code := referredPair(t, Rules{ReferrerReward: 300, CapPerReferrer: 300}, 63)
	must(t, p.Order(context.Background(), day(2), "o2", 2, "A", 1000))
	must(t, p.RefundAmount(context.Background(), day(3), "r1", "A", 500))
	must(t, p.RefundAmount(context.Background(), day(4), "r2", "A", 500))
	_, err := p.SignUp(context.Background(), day(5), "s3", 3, string(code), Signals{})
	must(t, err)
	must(t, p.Order(context.Background(), day(6), "o3", 3, "B", 1000))
	if got := p.Balance(day(7), 1).Earned; got != 300 {
		t.Errorf("earned %d, want 300: the clawed-back reward frees the cap", got)
	}
}

// TestNoSecondQualification: once a referral's rewards are clawed back, a later order of
// the same person does not qualify it again, whether a whole refund or partial ones
// stopped the first order qualifying. (A shopper could otherwise buy, return and buy
// again to be paid twice, and the ledger would depend on the arrival order.)
func TestNoSecondQualification(t *testing.T) {
	for _, c := range []struct {
		name  string
		min   int64
		steps []refundStep
	}{
		{"whole refund", 0, []refundStep{{"r1", 3, 0, nil}}},
		{"partial refunds", 0, []refundStep{{"r1", 3, 500, nil}, {"r2", 4, 500, nil}}},
		{"under the minimum", 500, []refundStep{{"r1", 3, 501, nil}}},
	} {
		cfg := Rules{ReferrerReward: 300}
		if c.min > 0 {
			cfg.Qualify, cfg.MinAmount = PurchaseOver, c.min
		}
		p, _, _ := referredPair(t, cfg, 64)
		must(t, p.Order(context.Background(), day(2), "o", 2, "A", 1000))
		for _, s := range c.steps {
			must(t, s.do(p))
		}
		must(t, p.Order(context.Background(), day(6), "o2", 2, "B", 2000))
		if got := p.Balance(day(7), 1).Earned; got != 0 {
			t.Errorf("%s: a later order earned %d", c.name, got)
		}
	}
}

// TestRefundsInAnyArrivalOrder: the claw-back is dated by the refunds' dates, not by
// their arrival. With PurchaseOver 500 and order A of 1000 on day 2, refunds of 300 on
// days 5, 8 and 9 leave 700, 400 and 100: A stops qualifying on day 8. Delivered days 9,
// 8, 5, the first two make it stop on day 9 (700 after day 8, 400 after day 9); the
// third moves that to day 8, which takes a record cancelling the day-9 claw-back.
func TestRefundsInAnyArrivalOrder(t *testing.T) {
	cfg := Rules{ReferrerReward: 300, Hold: 2 * 24 * time.Hour, Qualify: PurchaseOver, MinAmount: 500}
	refunds := map[string]refundStep{"r5": {"r5", 5, 300, nil}, "r8": {"r8", 8, 300, nil}, "r9": {"r9", 9, 300, nil}}
	deliver := func(order ...string) *Program {
		p, _, _ := referredPair(t, cfg, 65)
		must(t, p.Order(context.Background(), day(2), "o", 2, "A", 1000))
		for _, k := range order {
			must(t, refunds[k].do(p))
		}
		return p
	}
	want := quarterDays(deliver("r5", "r8", "r9"))
	if got := want["1@7.75"]; got != (Balance{Earned: 300, Payable: 300}) {
		t.Fatalf("in time order, the referrer's balance on day 7.75 is %+v", got)
	}
	if got := want["1@8"]; got != (Balance{}) {
		t.Fatalf("in time order, the referrer's balance on day 8 is %+v", got)
	}
	for _, order := range [][]string{{"r9", "r8", "r5"}, {"r8", "r9", "r5"}, {"r9", "r5", "r8"}, {"r5", "r9", "r8"}} {
		p := deliver(order...)
		if diff := cmp.Diff(want, quarterDays(p)); diff != "" {
			t.Errorf("delivered %v (-time order +arrival order):\n%s", order, diff)
		}
	}
	// The ledger of the worst order keeps the history: the claw-back of day 9, its
	// cancellation, and the claw-back of day 8.
	var got []string
	for _, e := range deliver("r9", "r8", "r5").Entries(1) {
		got = append(got, fmt.Sprintf("%s %+d day %v", e.Kind, e.Amount, e.At.Sub(day0).Hours()/24))
	}
	want2 := []string{"reward +300 day 2", "clawback -300 day 8", "clawback -300 day 9", "clawback +300 day 9"}
	if diff := cmp.Diff(want2, got); diff != "" {
		t.Errorf("entries (-want +got):\n%s", diff)
	}
}

// TestLedgerBeforePartialRefunds reads a ledger file written by the package before
// partial refunds existed (testdata/ledger-v1.wal, see the README there): smallScenario,
// whose order B was refunded by a record of Amount 0. It must read as a whole refund:
// the same balances as the scenario run now, and nothing left of B to refund.
func TestLedgerBeforePartialRefunds(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "ledger-v1.wal"))
	must(t, err)
	path := filepath.Join(t.TempDir(), "ledger.wal")
	must(t, os.WriteFile(path, raw, 0o644))
	fs, err := OpenFileStore(path, nil)
	must(t, err)
	defer fs.Close()
	old, err := Open(fs, testRules(), testClock())
	must(t, err)
	now, _ := openMem(t, testRules(), testClock())
	smallScenario(t, now)
	if diff := cmp.Diff(balances(now), balances(old)); diff != "" {
		t.Errorf("old ledger (-written now +written before):\n%s", diff)
	}
	if got := old.Balance(day(30), 3); got != (Balance{}) {
		t.Errorf("profile 3 after the refund of B: %+v", got)
	}
	if err := old.RefundAmount(context.Background(), day(30), "x", "B", 1); !errors.Is(err, ErrConflict) {
		t.Errorf("refund of the old ledger's refunded order: %v, want ErrConflict", err)
	}
	must(t, old.RefundAmount(context.Background(), day(30), "y", "A", 100)) // A was never refunded: 500 left
}

// signupFirstOrLast runs a referral of profile 2 by profile 1 (sign-up on day 1) whose
// order A of 1000 (day 2) is refunded by steps. The sign-up is delivered first, or last
// (after the order and its refunds, as webhooks out of order may be).
func signupFirstOrLast(t *testing.T, cfg Rules, signupFirst bool, steps ...refundStep) *Program {
	t.Helper()
	p, _ := openMem(t, cfg)
	code, err := p.IssueCode(context.Background(), day(0), "c", 1, Signals{}, newSeeded(66))
	must(t, err)
	signup := func() {
		_, err := p.SignUp(context.Background(), day(1), "s", 2, string(code), Signals{})
		must(t, err)
	}
	if signupFirst {
		signup()
	}
	must(t, p.Order(context.Background(), day(2), "o", 2, "A", 1000))
	for _, s := range steps {
		must(t, s.do(p))
	}
	if !signupFirst {
		signup()
	}
	return p
}

// TestRefundsBeforeSignupArrives: the order and two partial refunds that take it all
// back arrive before the sign-up they follow; when it arrives, the order qualifies and
// its rewards are clawed back as of the second refund, as in time order.
func TestRefundsBeforeSignupArrives(t *testing.T) {
	cfg := Rules{ReferrerReward: 300, ReferredReward: 100}
	steps := []refundStep{{"r1", 3, 400, nil}, {"r2", 4, 600, nil}}
	want := quarterDays(signupFirstOrLast(t, cfg, true, steps...))
	if want["1@3.75"] != (Balance{Earned: 300, Payable: 300}) || want["1@4"] != (Balance{}) {
		t.Fatalf("in time order: %v", want)
	}
	if diff := cmp.Diff(want, quarterDays(signupFirstOrLast(t, cfg, false, steps...))); diff != "" {
		t.Errorf("sign-up last (-time order +arrival order):\n%s", diff)
	}
}

// TestWholeRefundTakesWhatIsLeft: Refund takes back what is left of the order when it is
// recorded, dated as given. Here a refund of 400 dated day 6 is recorded first, then a
// whole refund dated day 3, which takes the other 600: 400 is left after day 3 and
// nothing after day 6, so the rewards stand until day 6, whether the sign-up arrived
// first or last.
func TestWholeRefundTakesWhatIsLeft(t *testing.T) {
	for _, signupFirst := range []bool{true, false} {
		p := signupFirstOrLast(t, Rules{ReferrerReward: 300}, signupFirst, refundStep{"r6", 6, 400, nil}, refundStep{"r3", 3, 0, nil})
		for when, want := range map[float64]int64{5.9: 300, 6: 0} {
			if got := p.Balance(day(when), 1).Earned; got != want {
				t.Errorf("sign-up first %v: earned %d on day %v, want %d", signupFirst, got, when, want)
			}
		}
	}
}
