package referral

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clientele-go/clientele"
	"github.com/google/go-cmp/cmp"
)

var day0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func day(d float64) time.Time { return day0.Add(time.Duration(d * 24 * float64(time.Hour))) }

// seeded is a deterministic code source for tests (production uses crypto/rand).
type seeded struct{ r *rand.ChaCha8 }

func newSeeded(seed byte) *seeded { return &seeded{newChaCha([32]byte{seed})} }

func newChaCha(key [32]byte) *rand.ChaCha8 { return rand.NewChaCha8(key) }
func (s *seeded) Read(b []byte) (int, error) {
	return s.r.Read(b)
}

// tb is what the helpers need of a *testing.T or a *rapid.T.
type tb interface {
	Helper()
	Fatal(...any)
	Fatalf(string, ...any)
}

func must(t tb, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func openMem(t tb, cfg Rules, opts ...Option) (*Program, *MemStore) {
	t.Helper()
	st := &MemStore{}
	p, err := Open(st, cfg, opts...)
	must(t, err)
	return p, st
}

// referredPair opens a programme in which profile 1 holds a code and profile 2 signed up
// with it on day 1.
func referredPair(t tb, cfg Rules, seed byte) (*Program, *MemStore, Code) {
	t.Helper()
	p, st := openMem(t, cfg)
	code, err := p.IssueCode(context.Background(), day(0), "c", 1, Signals{}, newSeeded(seed))
	must(t, err)
	_, err = p.SignUp(context.Background(), day(1), "s", 2, string(code), Signals{})
	must(t, err)
	return p, st, code
}

// TestProgrammeByHand follows one referral through its life, with the balances worked
// out by hand: the referrer earns 1000 and the friend 500 when the friend's first order
// (day 3) qualifies; both are held 14 days, so payable on day 17.
func TestProgrammeByHand(t *testing.T) {
	p, _ := openMem(t, Rules{ReferrerReward: 1000, ReferredReward: 500, Hold: 14 * 24 * time.Hour})
	code, err := p.IssueCode(context.Background(), day(0), "code-1", 1, Signals{Email: "ann@x"}, newSeeded(1))
	must(t, err)
	must(t, p.Click(context.Background(), day(1), "click-1", 2, strings.ToLower(code.String())))
	d, err := p.SignUp(context.Background(), day(2), "signup-2", 2, "", Signals{Email: "bob@x"})
	must(t, err)
	if d.Referrer != 1 || d.Blocked || d.Code != code {
		t.Fatalf("decision %+v, want referrer 1 through %s", d, code)
	}
	must(t, p.Order(context.Background(), day(3), "order-a", 2, "A", 4000))
	must(t, p.Order(context.Background(), day(4), "order-b", 2, "B", 9000)) // not the first: earns nothing
	check := func(when float64, profile uint32, want Balance) {
		t.Helper()
		if got := p.Balance(day(when), profile); got != want {
			t.Errorf("day %v, profile %d: balance %+v, want %+v", when, profile, got, want)
		}
	}
	check(2.5, 1, Balance{})
	check(10, 1, Balance{Earned: 1000, Held: 1000})
	check(10, 2, Balance{Earned: 500, Held: 500})
	check(17, 1, Balance{Earned: 1000, Payable: 1000})
	if err := p.Payout(context.Background(), day(16), "pay-1", 1, 1000); !errors.Is(err, ErrInsufficient) {
		t.Fatalf("payout inside the hold: %v, want ErrInsufficient", err)
	}
	must(t, p.Payout(context.Background(), day(18), "pay-1", 1, 1000))
	check(18, 1, Balance{Earned: 1000, Paid: 1000})
	if got := p.Payables(day(18)); !cmp.Equal(got, []Payable{{Profile: 2, Amount: 500}}) {
		t.Errorf("payables on day 18: %v", got)
	}
	// Order A is refunded on day 20: both rewards are clawed back. The referrer was
	// already paid and now owes 1000; the friend's 500 is gone.
	must(t, p.Refund(context.Background(), day(20), "refund-a", "A"))
	check(19, 1, Balance{Earned: 1000, Paid: 1000})
	check(20, 1, Balance{Earned: 0, Paid: 1000, Payable: -1000})
	check(20, 2, Balance{})
	if got := p.Entries(1); len(got) != 3 || got[0].Kind != KindReward || got[1].Kind != KindPayout || got[2].Kind != KindClawback {
		t.Errorf("entries of the referrer: %+v", got)
	}
}

func TestClawbackWhileHeld(t *testing.T) {
	p, _, _ := referredPair(t, Rules{ReferrerReward: 1000, Hold: 30 * 24 * time.Hour}, 2)
	must(t, p.Order(context.Background(), day(2), "o", 2, "A", 100))
	must(t, p.Refund(context.Background(), day(10), "r", "A"))
	for _, d := range []float64{5, 15, 40} {
		if got := p.Balance(day(d), 1); got.Payable != 0 || got.Held+got.Payable+got.Paid != got.Earned {
			t.Errorf("day %v: %+v; a reward reversed in its hold is never payable", d, got)
		}
	}
}

func TestAttributionWindowAndRule(t *testing.T) {
	for _, c := range []struct {
		rule Attribution
		want uint32
	}{{FirstReferrer, 10}, {LastReferrer, 11}} {
		p, _ := openMem(t, Rules{Attribution: c.rule, Window: 7 * 24 * time.Hour})
		var codes []Code
		for i, ref := range []uint32{9, 10, 11} {
			code, err := p.IssueCode(context.Background(), day(0), fmt.Sprint("c", i), ref, Signals{}, newSeeded(byte(i+3)))
			must(t, err)
			codes = append(codes, code)
		}
		must(t, p.Click(context.Background(), day(1), "k9", 1, string(codes[0])))  // outside the 7-day window
		must(t, p.Click(context.Background(), day(5), "k10", 1, string(codes[1]))) // first inside
		must(t, p.Click(context.Background(), day(9), "k11", 1, string(codes[2]))) // last inside
		d, err := p.SignUp(context.Background(), day(10), "s", 1, "", Signals{})
		must(t, err)
		if d.Referrer != c.want {
			t.Errorf("rule %d: referrer %d, want %d", c.rule, d.Referrer, c.want)
		}
	}
	// An invitation to the friend's email counts as a touch; with none in the window the
	// sign-up is organic.
	p, _ := openMem(t, Rules{})
	must(t, p.Invite(context.Background(), day(0), "inv", 5, Signals{Email: "friend@x"}))
	d, err := p.SignUp(context.Background(), day(3), "s", 6, "", Signals{Email: "friend@x"})
	must(t, err)
	if d.Referrer != 5 {
		t.Errorf("invited sign-up: referrer %d, want 5", d.Referrer)
	}
	d, err = p.SignUp(context.Background(), day(3), "s2", 7, "", Signals{Email: "stranger@x"})
	must(t, err)
	if d.Referrer != 0 || d.Blocked || d.Reasons != nil {
		t.Errorf("organic sign-up: %+v", d)
	}
	must(t, p.Invite(context.Background(), day(0), "inv2", 5, Signals{Phone: "+100"}))
	d, err = p.SignUp(context.Background(), day(40), "s3", 8, "", Signals{Phone: "+100"})
	must(t, err)
	if d.Referrer != 0 {
		t.Errorf("sign-up 40 days after the invitation: referrer %d, want none", d.Referrer)
	}
}

type samePerson map[uint32]uint32

func (m samePerson) Current(p uint32) uint32 { return m[p] }

func TestFraudGuards(t *testing.T) {
	setup := func(g Guards, people PersonResolver) (*Program, Code) {
		var opts []Option
		if people != nil {
			opts = append(opts, WithPeople(people))
		}
		p, _ := openMem(t, Rules{Guards: g, Qualify: AtSignup, ReferrerReward: 100}, opts...)
		code, err := p.IssueCode(context.Background(), day(0), "c", 1, Signals{Email: "ann@x", Phone: "+1", Device: "dev-ann"}, newSeeded(9))
		must(t, err)
		return p, code
	}
	cases := []struct {
		name   string
		g      Guards
		people PersonResolver
		sig    Signals
		want   string
	}{
		{"shared email", Guards{}, nil, Signals{Email: "ann@x"}, `block: self-referral: shared email "ann@x"`},
		{"shared phone", Guards{}, nil, Signals{Phone: "+1"}, `block: self-referral: shared phone "+1"`},
		{"shared device", Guards{}, nil, Signals{Device: "dev-ann"}, `block: self-referral: shared device "dev-ann"`},
		{"identity", Guards{}, samePerson{1: 7, 2: 7}, Signals{}, "block: self-referral: identity resolves profiles 1 and 2 to one person (7)"},
		{"flagged", Guards{SelfReferral: Flag}, nil, Signals{Email: "ann@x"}, `flag: self-referral: shared email "ann@x"`},
	}
	for _, c := range cases {
		p, code := setup(c.g, c.people)
		d, err := p.SignUp(context.Background(), day(1), "s", 2, string(code), c.sig)
		must(t, err)
		if len(d.Reasons) != 1 || d.Reasons[0] != c.want {
			t.Errorf("%s: reasons %q, want %q", c.name, d.Reasons, c.want)
		}
		blocked := strings.HasPrefix(c.want, "block")
		if d.Blocked != blocked || (d.Referrer == 1) == blocked {
			t.Errorf("%s: decision %+v, blocked should be %v", c.name, d, blocked)
		}
		if got := p.Balance(day(2), 1).Earned; (got == 100) == blocked {
			t.Errorf("%s: referrer earned %d", c.name, got)
		}
	}
	// Unrelated friends pass every guard.
	p, code := setup(Guards{}, samePerson{1: 1, 2: 2})
	d, err := p.SignUp(context.Background(), day(1), "s", 2, string(code), Signals{Email: "bob@x"})
	must(t, err)
	if d.Referrer != 1 || len(d.Reasons) != 0 {
		t.Errorf("honest referral: %+v", d)
	}
}

func TestCycleGuard(t *testing.T) {
	// Profile 1 has a code before it signs up; 2 joins through it; then 1 signs up with
	// 2's code, which would make 1 its own grand-referrer.
	p, _ := openMem(t, Rules{})
	c1, err := p.IssueCode(context.Background(), day(0), "c1", 1, Signals{}, newSeeded(11))
	must(t, err)
	_, err = p.SignUp(context.Background(), day(1), "s2", 2, string(c1), Signals{})
	must(t, err)
	c2, err := p.IssueCode(context.Background(), day(1), "c2", 2, Signals{}, newSeeded(12))
	must(t, err)
	d, err := p.SignUp(context.Background(), day(2), "s1", 1, string(c2), Signals{})
	must(t, err)
	if !d.Blocked || len(d.Reasons) != 1 || !strings.Contains(d.Reasons[0], "referral cycle: referrer 2 descends from profile 1") {
		t.Errorf("cycle: %+v", d)
	}
}

// A profile signing up with its own code is a self-referral, said once: a profile also
// "descends from" itself, which the cycle guard reported as a second reason. With the
// self-referral guard off, the cycle guard still blocks it, as before.
func TestOwnCodeOneReason(t *testing.T) {
	for _, c := range []struct {
		g    Guards
		want string
	}{
		{Guards{}, "block: self-referral: profile 1 is the referrer's own profile"},
		{Guards{SelfReferral: Ignore}, "block: referral cycle: referrer 1 descends from profile 1"},
	} {
		p, _ := openMem(t, Rules{Guards: c.g})
		code, err := p.IssueCode(context.Background(), day(0), "c1", 1, Signals{}, newSeeded(11))
		must(t, err)
		d, err := p.SignUp(context.Background(), day(1), "s1", 1, string(code), Signals{})
		must(t, err)
		if !d.Blocked || len(d.Reasons) != 1 || d.Reasons[0] != c.want {
			t.Errorf("guards %+v: %+v, want the one reason %q", c.g, d, c.want)
		}
	}
}

func TestVelocityGuards(t *testing.T) {
	p, _ := openMem(t, Rules{Guards: Guards{
		Velocity:    Flag,
		PerReferrer: RateLimit{Max: 2, Period: 24 * time.Hour},
		PerDevice:   RateLimit{Max: 1, Period: 24 * time.Hour},
		PerNetwork:  RateLimit{Max: 3, Period: 24 * time.Hour},
	}})
	code, err := p.IssueCode(context.Background(), day(0), "c", 1, Signals{}, newSeeded(13))
	must(t, err)
	var got [][]string
	for i, sig := range []Signals{
		{Device: "d1", Network: "n"}, {Device: "d2", Network: "n"}, {Device: "d2", Network: "n"}, {Device: "d3", Network: "n"},
	} {
		d, err := p.SignUp(context.Background(), day(1).Add(time.Duration(i)*time.Hour), fmt.Sprint("s", i), uint32(10+i), string(code), sig)
		must(t, err)
		got = append(got, d.Reasons)
	}
	want := [][]string{nil, nil, {
		"flag: velocity: referrer 1 would have 3 referred sign-ups within 24h0m0s (limit 2)",
		`flag: velocity: device "d2" would have 2 sign-ups within 24h0m0s (limit 1)`,
	}, {
		"flag: velocity: referrer 1 would have 4 referred sign-ups within 24h0m0s (limit 2)",
		`flag: velocity: network "n" would have 4 sign-ups within 24h0m0s (limit 3)`,
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("velocity reasons (-want +got):\n%s", diff)
	}
	// A day later the window has moved on.
	d, err := p.SignUp(context.Background(), day(3), "late", 20, string(code), Signals{Device: "d2", Network: "n"})
	must(t, err)
	if len(d.Reasons) != 0 {
		t.Errorf("after the period: %q", d.Reasons)
	}
}

func TestCaps(t *testing.T) {
	p, _ := openMem(t, Rules{Qualify: AtSignup, ReferrerReward: 400, CapPerReferrer: 1000, CapPerPeriod: 700, CapPeriod: 7 * 24 * time.Hour})
	code, err := p.IssueCode(context.Background(), day(0), "c", 1, Signals{}, newSeeded(14))
	must(t, err)
	var earned []int64
	for i, when := range []float64{1, 2, 3, 9, 10, 20} {
		_, err := p.SignUp(context.Background(), day(when), fmt.Sprint("s", i), uint32(10+i), string(code), Signals{})
		must(t, err)
		earned = append(earned, p.Balance(day(when), 1).Earned)
	}
	// Day 1: 400. Day 2: the week's cap leaves 300. Day 3: nothing left this week.
	// Day 9 (days 2-9 hold 300): 400 more. Day 10: the all-time cap leaves 0 of the
	// 1000 (400+300+... = 1100 > 1000 is refused: only 300 was left, then 0).
	want := []int64{400, 700, 700, 1000, 1000, 1000}
	if diff := cmp.Diff(want, earned); diff != "" {
		t.Errorf("earned after each referral (-want +got):\n%s", diff)
	}
}

func TestPurchaseOverAndWithin(t *testing.T) {
	p, _ := openMem(t, Rules{Qualify: PurchaseOver, MinAmount: 5000, QualifyWithin: 30 * 24 * time.Hour, ReferrerReward: 100})
	code, err := p.IssueCode(context.Background(), day(0), "c", 1, Signals{}, newSeeded(15))
	must(t, err)
	for i := range 2 {
		_, err := p.SignUp(context.Background(), day(1), fmt.Sprint("s", i), uint32(2+i), string(code), Signals{})
		must(t, err)
	}
	must(t, p.Order(context.Background(), day(2), "o1", 2, "small", 4999))
	must(t, p.Order(context.Background(), day(3), "o2", 2, "big", 5000))
	must(t, p.Order(context.Background(), day(40), "o3", 3, "late", 9000))
	if got := p.Balance(day(50), 1).Earned; got != 100 {
		t.Errorf("earned %d, want 100 (one order over 5000 within 30 days)", got)
	}
}

func TestOrderBeforeSignupArrives(t *testing.T) {
	p, _ := openMem(t, Rules{ReferrerReward: 100})
	code, err := p.IssueCode(context.Background(), day(0), "c", 1, Signals{}, newSeeded(16))
	must(t, err)
	must(t, p.Order(context.Background(), day(2), "o", 2, "A", 10)) // the webhook of the order came first
	_, err = p.SignUp(context.Background(), day(1), "s", 2, string(code), Signals{})
	must(t, err)
	if got := p.Balance(day(3), 1); got.Earned != 100 {
		t.Errorf("balance %+v: the order placed after the sign-up qualifies it whatever the arrival order", got)
	}
	must(t, p.Refund(context.Background(), day(5), "r", "A"))
	if got := p.Balance(day(6), 1).Earned; got != 0 {
		t.Errorf("after the refund earned %d", got)
	}
}

func TestBadInputChangesNothing(t *testing.T) {
	p, st, _ := referredPair(t, Rules{ReferrerReward: 100}, 17)
	must(t, p.Order(context.Background(), day(2), "o", 2, "A", 10))
	other, err := NewCode(newSeeded(99))
	must(t, err)
	before := len(slices.Collect(recordsOf(t, st)))
	cases := []struct {
		name string
		do   func() error
		want error
	}{
		{"unknown code at sign-up", func() error {
			_, err := p.SignUp(context.Background(), day(3), "x1", 3, string(other), Signals{})
			return err
		}, ErrCode},
		{"malformed code", func() error { return p.Click(context.Background(), day(3), "x2", 3, "HELLO") }, ErrCode},
		{"unknown order", func() error { return p.Refund(context.Background(), day(3), "x3", "nope") }, ErrNotFound},
		{"refund before order", func() error { return p.Refund(context.Background(), day(1), "x4", "A") }, ErrRefundBeforeOrder},
		{"second refund", func() error {
			if err := p.Refund(context.Background(), day(3), "x5", "A"); err != nil {
				return err
			}
			return p.Refund(context.Background(), day(4), "x6", "A")
		}, ErrConflict},
		{"order id reused", func() error { return p.Order(context.Background(), day(3), "x7", 3, "A", 5) }, ErrConflict},
		{"second sign-up", func() error { _, err := p.SignUp(context.Background(), day(3), "x8", 2, "", Signals{}); return err }, ErrConflict},
		{"payout too large", func() error { return p.Payout(context.Background(), day(90), "x9", 1, 1) }, ErrInsufficient},
		{"key reused", func() error { return p.Order(context.Background(), day(2), "o", 2, "B", 10) }, ErrKeyReused},
		{"empty key", func() error { return p.Order(context.Background(), day(2), "", 2, "C", 10) }, ErrInvalid},
		{"no time", func() error { return p.Order(context.Background(), time.Time{}, "x10", 2, "C", 10) }, ErrInvalid},
		{"no profile", func() error { return p.Order(context.Background(), day(2), "x11", 0, "C", 10) }, ErrInvalid},
		{"negative amount", func() error { return p.Order(context.Background(), day(2), "x12", 2, "C", -1) }, ErrInvalid},
		{"invite without contact", func() error { return p.Invite(context.Background(), day(2), "x13", 2, Signals{Device: "d"}) }, ErrInvalid},
		{"derived kind", func() error {
			return p.Apply(context.Background(), Record{Kind: KindReward, Key: "x14", At: day(2), Profile: 1, Amount: 5})
		}, ErrInvalid},
		{"merge into itself", func() error { return p.ApplyMerge(2, 2) }, ErrInvalid},
	}
	for _, c := range cases {
		recs := len(slices.Collect(recordsOf(t, st)))
		b1 := p.Balance(day(100), 1)
		err := c.do()
		if !errors.Is(err, c.want) {
			t.Errorf("%s: err = %v, want %v", c.name, err, c.want)
		}
		// "second refund" writes its first, valid refund; everything else writes nothing.
		after := len(slices.Collect(recordsOf(t, st)))
		if c.name != "second refund" && (after != recs || p.Balance(day(100), 1) != b1) {
			t.Errorf("%s: the failed event changed the ledger (%d -> %d records)", c.name, recs, after)
		}
	}
	if n := len(slices.Collect(recordsOf(t, st))); n != before+3 { // the valid refund and its two claw-back... of one reward
		t.Logf("records: %d before, %d after", before, n)
	}
}

func recordsOf(t tb, s Store) func(func(Record) bool) {
	return func(yield func(Record) bool) {
		for r, err := range s.Records() {
			if err != nil {
				t.Fatal(err)
			}
			if !yield(r) {
				return
			}
		}
	}
}

func TestIdempotentRetries(t *testing.T) {
	p, st := openMem(t, Rules{ReferrerReward: 100, ReferredReward: 50})
	code, err := p.IssueCode(context.Background(), day(0), "c", 1, Signals{}, newSeeded(18))
	must(t, err)
	again, err := p.IssueCode(context.Background(), day(0), "c", 1, Signals{}, newSeeded(19))
	must(t, err)
	if again != code {
		t.Errorf("retried IssueCode gave %s, then %s", code, again)
	}
	for range 3 {
		d, err := p.SignUp(context.Background(), day(1), "s", 2, string(code), Signals{})
		must(t, err)
		if d.Referrer != 1 {
			t.Fatalf("retried sign-up: %+v", d)
		}
		must(t, p.Order(context.Background(), day(2), "o", 2, "A", 10))
	}
	if got := p.Balance(day(3), 1).Earned; got != 100 {
		t.Errorf("a webhook retried three times paid %d, want 100", got)
	}
	n := len(slices.Collect(recordsOf(t, st)))
	if n != 6 { // code, sign-up, attribution, order, two rewards
		t.Errorf("%d records, want 6", n)
	}
}

func TestMergeRemaps(t *testing.T) {
	p, _ := openMem(t, Rules{Qualify: AtSignup, ReferrerReward: 100, ReferredReward: 10}, WithClock(clientele.FixedClock(day(50))))
	code, err := p.IssueCode(context.Background(), day(0), "c", 1, Signals{}, newSeeded(20))
	must(t, err)
	for i, prof := range []uint32{2, 3} {
		_, err := p.SignUp(context.Background(), day(1), fmt.Sprint("s", i), prof, string(code), Signals{})
		must(t, err)
	}
	// Profile 4 is a second account of the referrer, with a payout on it... none yet;
	// merging 1 into 4 moves the referrer's balance and children to 4.
	must(t, p.ApplyMerge(4, 1))
	if r, ok := p.Referrer(2); !ok || r != 4 {
		t.Errorf("referrer of 2 after merge: %d, %v; want 4", r, ok)
	}
	if got := p.Balance(day(10), 4).Earned; got != 200 {
		t.Errorf("survivor's balance %d, want 200", got)
	}
	// Now identity finds that 3 was the referrer too: that referral was a
	// self-referral, and its rewards are clawed back as of the merge.
	must(t, p.ApplyMerge(3, 4))
	if got := p.Balance(day(10), 3).Earned; got != 210 {
		t.Errorf("before the merge date: earned %d, want 210", got)
	}
	if got := p.Balance(day(51), 3).Earned; got != 100 {
		t.Errorf("after the merge: earned %d, want 100 (only 2's referral stands)", got)
	}
	must(t, p.ApplyMerge(3, 4)) // repeated: nothing changes
	if got := p.Balance(day(51), 3).Earned; got != 100 {
		t.Errorf("after a repeated merge: earned %d", got)
	}
}

// scenario drives a programme through a fixed, varied history.
func scenario(t testing.TB, p *Program) {
	t.Helper()
	rnd := newSeeded(42)
	var codes []Code
	for i := range 4 {
		c, err := p.IssueCode(context.Background(), day(float64(i)), fmt.Sprint("code", i), uint32(i+1), Signals{Email: fmt.Sprint("r", i, "@x")}, rnd)
		must(t, err)
		codes = append(codes, c)
	}
	for i := range 12 {
		prof := uint32(100 + i)
		_, err := p.SignUp(context.Background(), day(float64(5+i)), fmt.Sprint("su", i), prof, string(codes[i%4]), Signals{Device: fmt.Sprint("dev", i%5)})
		must(t, err)
		must(t, p.Order(context.Background(), day(float64(6+i)), fmt.Sprint("or", i), prof, fmt.Sprint("O", i), int64(1000*(i+1))))
	}
	must(t, p.Refund(context.Background(), day(30), "rf1", "O3"))
	must(t, p.Payout(context.Background(), day(40), "po1", 1, 200))
	must(t, p.ApplyMerge(2, 3))
}

// smallScenario is a short history with every kind of event, for the crash test.
func smallScenario(t testing.TB, p *Program) {
	t.Helper()
	rnd := newSeeded(43)
	c1, err := p.IssueCode(context.Background(), day(0), "c1", 1, Signals{}, rnd)
	must(t, err)
	must(t, p.Invite(context.Background(), day(0), "i1", 1, Signals{Email: "f@x"}))
	_, err = p.SignUp(context.Background(), day(1), "s2", 2, string(c1), Signals{})
	must(t, err)
	_, err = p.SignUp(context.Background(), day(2), "s3", 3, "", Signals{Email: "f@x"})
	must(t, err)
	must(t, p.Order(context.Background(), day(3), "o2", 2, "A", 500))
	must(t, p.Order(context.Background(), day(4), "o3", 3, "B", 700))
	must(t, p.Payout(context.Background(), day(20), "p1", 1, 300))
	must(t, p.Refund(context.Background(), day(25), "r3", "B"))
	must(t, p.ApplyMerge(1, 4))
}

func balances(p *Program) map[string]Balance {
	out := map[string]Balance{}
	for prof := uint32(1); prof < 120; prof++ {
		for _, d := range []float64{0, 10, 20, 35, 60} {
			if b := p.Balance(day(d), prof); b != (Balance{}) {
				out[fmt.Sprint(prof, "@", d)] = b
			}
		}
	}
	return out
}

func testRules() Rules {
	return Rules{ReferrerReward: 300, ReferredReward: 100, Hold: 10 * 24 * time.Hour, CapPerReferrer: 800}
}

// testClock dates the merges of the programmes testRules runs.
func testClock() Option { return WithClock(clientele.FixedClock(day(45))) }

func TestFileReopenReplays(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.wal")
	fs, err := OpenFileStore(path, nil)
	must(t, err)
	p, err := Open(fs, testRules(), testClock())
	must(t, err)
	scenario(t, p)
	want := balances(p)
	wantSignups := p.Signups()
	must(t, fs.Close())
	fs2, err := OpenFileStore(path, nil)
	must(t, err)
	defer fs2.Close()
	q, err := Open(fs2, testRules(), testClock())
	must(t, err)
	if diff := cmp.Diff(want, balances(q)); diff != "" {
		t.Errorf("balances after reopen (-before +after):\n%s", diff)
	}
	if diff := cmp.Diff(wantSignups, q.Signups()); diff != "" {
		t.Errorf("sign-ups after reopen (-before +after):\n%s", diff)
	}
	// The retried events of the scenario are all recognised after the restart.
	n := fs2.log.Size()
	scenario(t, q)
	if fs2.log.Size() != n {
		t.Errorf("replaying the scenario after reopen wrote %d bytes", fs2.log.Size()-n)
	}
}

// crashImage is what a crash can leave of the closed ledger file full: its first off
// bytes (off past the 32-byte header, which a new file gets whole), with the header's
// acknowledged end at the last whole frame before off, as the last fsync left it
// (internal/wal's format: frames of a 16-byte header, length first; the acknowledged
// end at offset 16, then its CRC32C).
func crashImage(full []byte, off int) []byte {
	ack := 32
	for p := 32; p+16 <= off; {
		n := int(binary.LittleEndian.Uint32(full[p:]))
		if p+16+n > off {
			break
		}
		p += 16 + n
		ack = p
	}
	img := slices.Clone(full[:off])
	binary.LittleEndian.PutUint64(img[16:], uint64(ack))
	binary.LittleEndian.PutUint32(img[24:], crc32.Checksum(img[16:24], crc32.MakeTable(crc32.Castagnoli)))
	return img
}

// TestCrashAtEveryByte cuts the ledger file at every byte offset, as a crash during an
// append would, and checks that it reopens to exactly the state of the batches that
// survived whole.
func TestCrashAtEveryByte(t *testing.T) {
	dir := scratchDir(t)
	path := filepath.Join(dir, "ledger.wal")
	full := writeSmallScenario(t, path)
	// The reference for each number of surviving records: the state replayed from that
	// prefix of the records in memory.
	fs, err := OpenFileStore(path, nil)
	must(t, err)
	all := slices.Collect(recordsOf(t, fs))
	must(t, fs.Close())
	ref := map[int]map[string]Balance{}
	cut := filepath.Join(dir, "cut.wal")
	for off := 32; off <= len(full); off++ {
		must(t, os.WriteFile(cut, crashImage(full, off), 0o644))
		cs, err := OpenFileStore(cut, nil)
		if err != nil {
			t.Fatalf("cut at %d: open: %v", off, err)
		}
		q, err := Open(cs, testRules(), testClock())
		if err != nil {
			t.Fatalf("cut at %d: replay: %v", off, err)
		}
		k := len(slices.Collect(recordsOf(t, cs)))
		if _, ok := ref[k]; !ok {
			m := &MemStore{}
			must(t, m.Append(all[:k]...))
			rp, err := Open(m, testRules(), testClock())
			must(t, err)
			ref[k] = balances(rp)
		}
		if diff := cmp.Diff(ref[k], balances(q)); diff != "" {
			t.Fatalf("cut at %d (%d records survive): (-reference +reopened):\n%s", off, k, diff)
		}
		must(t, cs.Close())
	}
	if len(ref) < 10 {
		t.Errorf("only %d distinct prefixes seen", len(ref))
	}
}

func TestConcurrentEventsGroupCommit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.wal")
	fs, err := OpenFileStore(path, nil)
	must(t, err)
	p, err := Open(fs, Rules{Qualify: AtSignup, ReferrerReward: 1})
	must(t, err)
	code, err := p.IssueCode(context.Background(), day(0), "c", 1, Signals{}, newSeeded(21))
	must(t, err)
	var wg sync.WaitGroup
	const workers, each = 16, 20
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				prof := uint32(1000 + w*each + i)
				if _, err := p.SignUp(context.Background(), day(1), fmt.Sprint("s", prof), prof, string(code), Signals{}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	must(t, fs.Close())
	fs2, err := OpenFileStore(path, nil)
	must(t, err)
	defer fs2.Close()
	q, err := Open(fs2, Rules{})
	must(t, err)
	if got := q.Balance(day(2), 1).Earned; got != workers*each {
		t.Errorf("after reopen the referrer earned %d, want %d", got, workers*each)
	}
}

func TestDecodeBatchRejects(t *testing.T) {
	good := appendBatch(nil, []Record{{Kind: KindOrder, Key: "k", At: day(1), Profile: 1, Order: "A", Amount: 5}})
	for i := range good {
		if _, err := decodeBatch(good[:i]); !errors.Is(err, ErrCorrupt) {
			t.Errorf("truncated to %d bytes: err = %v", i, err)
		}
	}
	bad := bytes.Clone(good)
	bad[2] = 99 // kind
	if _, err := decodeBatch(bad); err == nil || !strings.Contains(err.Error(), "byte 2: unknown record kind 99") {
		t.Errorf("bad kind: %v", err)
	}
	if _, err := decodeBatch(append(bytes.Clone(good), 0)); err == nil || !strings.Contains(err.Error(), "at byte 28: 1 byte after the end") {
		t.Errorf("trailing byte: %v", err)
	}
}

// FuzzDecodeBatch: the ledger decoder never panics, and whatever it accepts encodes
// back to the same bytes.
func FuzzDecodeBatch(f *testing.F) {
	f.Add(appendBatch(nil, nil))
	f.Add(appendBatch(nil, []Record{{Kind: KindReward, Key: "k\x00reward", At: day(3), Profile: 7, Other: 2, Order: "O",
		Amount: -40, PayableAt: day(9), Ref: "r", Reasons: []string{"referrer", "capped"}, Signals: Signals{Email: "e"}, Absorbed: []uint32{3}}}))
	f.Add([]byte{1, 200, 200, 200, 200, 1})
	// A person's forget, and ForgetContact's: no profile, the erased invitations' keys.
	f.Add(appendBatch(nil, []Record{
		{Kind: KindForget, Key: "\x00forget:2#1", At: day(4), Profile: 2, Absorbed: []uint32{2, 3}, Reasons: []string{"invite:bob"}},
		{Kind: KindForget, Key: "\x00forget:contact#1", At: day(5), Reasons: []string{"invite:zoe", "invite:zoe-phone"}},
	}))
	// A partial refund, and the claw-back a late refund cancels and its replacement.
	f.Add(appendBatch(nil, []Record{
		{Kind: KindRefund, Key: "refund-2", At: day(5), Order: "A", Amount: 250},
		{Kind: KindClawback, Key: "refund-2\x00cancel:c", At: day(9), Profile: 1, Other: 2, Order: "A", Amount: 300, PayableAt: day(9), Ref: "c",
			Reasons: []string{"cancelled: reversed from 2026-01-06T00:00:00Z instead (refund of order A)"}},
		{Kind: KindClawback, Key: "refund-2\x00clawback:k", At: day(5), Profile: 1, Other: 2, Order: "A", Amount: -300, PayableAt: day(7), Ref: "k"},
	}))
	f.Fuzz(func(t *testing.T, b []byte) {
		recs, err := decodeBatch(b)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error %v does not wrap ErrCorrupt", err)
			}
			return
		}
		if again := appendBatch(nil, recs); !bytes.Equal(again, b) {
			// Varints have one canonical form only when minimal; accept a re-decode
			// that agrees instead.
			back, err := decodeBatch(again)
			if err != nil || len(back) != len(recs) {
				t.Fatalf("re-encoding does not decode: %v", err)
			}
		}
	})
}

// TestMergeVoidsReferrals: merges can reveal a second referral of one person, a
// self-referral, or a loop; the voided referrals lose their rewards and leave the tree,
// so that the tree stays a forest.
func TestMergeVoidsReferrals(t *testing.T) {
	p, _ := openMem(t, Rules{Qualify: AtSignup, ReferrerReward: 100}, WithClock(clientele.FixedClock(day(30))))
	codes := map[uint32]Code{}
	for prof := uint32(1); prof <= 6; prof++ {
		c, err := p.IssueCode(context.Background(), day(0), fmt.Sprint("c", prof), prof, Signals{}, newSeeded(byte(40+prof)))
		must(t, err)
		codes[prof] = c
	}
	signup := func(prof, by uint32, when float64) {
		t.Helper()
		_, err := p.SignUp(context.Background(), day(when), fmt.Sprint("s", prof), prof, string(codes[by]), Signals{})
		must(t, err)
	}
	signup(2, 1, 1) // 1 -> 2
	signup(3, 2, 2) // 2 -> 3
	signup(4, 5, 3) // 5 -> 4
	signup(6, 1, 4) // 1 -> 6
	// 4 and 6 are one person: referred by 5 (day 3) and by 1 (day 4). The first stands.
	must(t, p.ApplyMerge(4, 6))
	if r, _ := p.Referrer(4); r != 5 {
		t.Errorf("after merging two referred profiles: referrer %d, want 5 (the first)", r)
	}
	// 1 and 3 are one person: 1 -> 2 -> 3 is now a loop; the referral that closes it,
	// 2 -> 3 (the merged person's own), is voided.
	must(t, p.ApplyMerge(1, 3))
	if r, ok := p.Referrer(1); ok {
		t.Errorf("after the loop: profile 1 still referred by %d", r)
	}
	if r, _ := p.Referrer(2); r != 1 {
		t.Errorf("referrer of 2: %d, want 1", r)
	}
	tree, err := NewTree(p.Signups())
	if err != nil {
		t.Fatalf("tree after merges: %v", err)
	}
	if g, _ := tree.Generation(2); g != 1 {
		t.Errorf("generation of 2: %d", g)
	}
	// Rewards: 1 keeps 100 for 2 and loses 100 for 6; 2 loses 100 for 3; 5 keeps 100.
	for prof, want := range map[uint32]int64{1: 100, 2: 0, 5: 100} {
		if got := p.Balance(day(31), prof).Earned; got != want {
			t.Errorf("profile %d earned %d after the merges, want %d", prof, got, want)
		}
		if got := p.Balance(day(29), prof).Earned; prof != 5 && got != 100+100*int64(prof%2) {
			t.Errorf("profile %d earned %d before the merges", prof, got)
		}
	}
}

// writeSmallScenario records smallScenario in a new ledger file at path and returns the
// file's bytes.
func writeSmallScenario(t *testing.T, path string) []byte {
	t.Helper()
	fs, err := OpenFileStore(path, nil)
	must(t, err)
	p, err := Open(fs, testRules(), testClock())
	must(t, err)
	smallScenario(t, p)
	must(t, fs.Close())
	raw, err := os.ReadFile(path)
	must(t, err)
	return raw
}

func TestDamagedLedgerRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ledger.wal")
	raw := writeSmallScenario(t, path)
	raw[40] ^= 0xff // inside the first frame: acknowledged data, not a torn tail
	must(t, os.WriteFile(path, raw, 0o644))
	if _, err := OpenFileStore(path, nil); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "offset") {
		t.Errorf("opening a damaged ledger: %v, want ErrCorrupt with the offset", err)
	}
}

func TestPayoutsInTimeOrder(t *testing.T) {
	p, _, _ := referredPair(t, Rules{Qualify: AtSignup, ReferrerReward: 100}, 50)
	must(t, p.Payout(context.Background(), day(20), "p1", 1, 100))
	// Dated before the first payout, this one would see 100 payable and pay it twice.
	if err := p.Payout(context.Background(), day(15), "p0", 1, 100); !errors.Is(err, ErrInvalid) {
		t.Errorf("back-dated payout: %v, want ErrInvalid", err)
	}
	if b := p.Balance(day(30), 1); b.Paid != 100 || b.Payable != 0 {
		t.Errorf("balance %+v", b)
	}
}

func TestVelocityCountsOnlyReferredSignups(t *testing.T) {
	p, _ := openMem(t, Rules{Guards: Guards{Velocity: Block, PerDevice: RateLimit{Max: 1, Period: 24 * time.Hour}}})
	code, err := p.IssueCode(context.Background(), day(0), "c", 1, Signals{}, newSeeded(51))
	must(t, err)
	for i := range 3 { // a family signing up on one tablet, on their own
		_, err := p.SignUp(context.Background(), day(1), fmt.Sprint("o", i), uint32(10+i), "", Signals{Device: "tablet"})
		must(t, err)
	}
	d, err := p.SignUp(context.Background(), day(1), "r1", 20, string(code), Signals{Device: "tablet"})
	must(t, err)
	if d.Blocked {
		t.Errorf("first referred sign-up on the device blocked: %q", d.Reasons)
	}
	d, err = p.SignUp(context.Background(), day(1), "r2", 21, string(code), Signals{Device: "tablet"})
	must(t, err)
	if !d.Blocked {
		t.Errorf("second referred sign-up on the device within a day: %+v", d)
	}
}
