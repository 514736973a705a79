package referral

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/clientele-go/clientele"
	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"
)

// world is a random history of a simple programme: referrers 1..3 with codes, referred
// people from 10 up who sign up with one of the codes, at most one order each (placed
// before or after the sign-up), some refunded: whole, or in up to three parts that may
// or may not add up to the order. The programme pays on the first purchase, or (over) on
// the first purchase of at least propMin.
type world struct {
	events []Record // in time order
	codes  map[Code]uint32
	people []person
	over   bool
}

type person struct {
	profile, referrer uint32
	signup, order     time.Time
	hasOrder          bool
	amount            int64
	refunds           []propRefund
}

// propRefund is a refund of amount, or of the whole order when amount is 0 (then the
// order's only refund, so that it means the same whatever the arrival order).
type propRefund struct {
	at     time.Time
	amount int64
}

const (
	propReferrerReward = 300
	propReferredReward = 100
	propHold           = 5 * 24 * time.Hour
	propMin            = 500
)

func (w world) config() Rules {
	cfg := Rules{ReferrerReward: propReferrerReward, ReferredReward: propReferredReward, Hold: propHold,
		Guards: Guards{Cycle: Ignore, Velocity: Ignore}}
	if w.over {
		cfg.Qualify, cfg.MinAmount = PurchaseOver, propMin
	}
	return cfg
}

func genWorld(t *rapid.T) world {
	w := world{codes: map[Code]uint32{}, over: rapid.Bool().Draw(t, "purchase over")}
	var events []Record
	rnd := newSeeded(byte(rapid.IntRange(0, 255).Draw(t, "seed")))
	var codes []Code
	for r := uint32(1); r <= 3; r++ {
		c, err := NewCode(rnd)
		if err != nil {
			t.Fatal(err)
		}
		codes = append(codes, c)
		w.codes[c] = r
		events = append(events, Record{Kind: KindCode, Key: fmt.Sprint("code", r), At: day(float64(r - 1)), Profile: r, Code: c})
	}
	n := rapid.IntRange(1, 8).Draw(t, "people")
	for i := range n {
		ps := person{profile: uint32(10 + i)}
		ri := rapid.IntRange(0, 2).Draw(t, "referrer")
		ps.referrer = uint32(ri + 1)
		ps.signup = day(float64(rapid.IntRange(3, 20).Draw(t, "signup")))
		events = append(events, Record{Kind: KindSignup, Key: fmt.Sprint("signup", i), At: ps.signup, Profile: ps.profile, Code: codes[ri]})
		if rapid.Bool().Draw(t, "orders") {
			ps.hasOrder = true
			ps.order = ps.signup.Add(time.Duration(rapid.IntRange(-3*24, 10*24).Draw(t, "order hours")) * time.Hour)
			ps.amount = rapid.Int64Range(0, propMin-1).Draw(t, "small amount")
			if rapid.Bool().Draw(t, "large order") {
				ps.amount = rapid.Int64Range(propMin, 3*propMin).Draw(t, "large amount")
			}
			order := fmt.Sprint("O", i)
			events = append(events, Record{Kind: KindOrder, Key: fmt.Sprint("order", i), At: ps.order, Profile: ps.profile, Order: order, Amount: ps.amount})
			refundAt := func() time.Time {
				return ps.order.Add(time.Duration(rapid.IntRange(0, 15*24).Draw(t, "refund hours")) * time.Hour)
			}
			switch rapid.IntRange(0, 3).Draw(t, "refunds") {
			case 1:
				ps.refunds = []propRefund{{at: refundAt()}}
			case 2, 3:
				// Parts of comparable size, so that any of them may be the one that
				// stops the order qualifying; the last may take all that is left.
				left, parts := ps.amount, rapid.IntRange(1, 3).Draw(t, "parts")
				for j := range parts {
					if left == 0 {
						break
					}
					most := max(left/int64(parts-j), 1)
					if j == parts-1 {
						most = left
					}
					r := propRefund{at: refundAt(), amount: rapid.Int64Range(1, most).Draw(t, "part")}
					left -= r.amount
					ps.refunds = append(ps.refunds, r)
				}
			}
			for j, r := range ps.refunds {
				events = append(events, Record{Kind: KindRefund, Key: fmt.Sprint("refund", i, "-", j), At: r.at, Order: order, Amount: r.amount})
			}
		}
		w.people = append(w.people, ps)
	}
	slices.SortStableFunc(events, func(a, b Record) int { return a.At.Compare(b.At) })
	w.events = events
	return w
}

// expected is the reference model, written straight from the rules: a referral earns
// both rewards when the person's order follows the sign-up (and, over, is of at least
// propMin); they are payable after the hold; the refunds of the order, taken by date,
// reverse both at the first one that leaves nothing of the order (or, over, less than
// propMin), effective on the payable balance when the rewards would have become payable
// or at that refund, whichever is later.
func (w world) expected(profile uint32, asOf time.Time) Balance {
	var b Balance
	add := func(amount int64, at, payable time.Time) {
		if at.After(asOf) {
			return
		}
		b.Earned += amount
		if payable.After(asOf) {
			b.Held += amount
		}
	}
	for _, ps := range w.people {
		if !ps.hasOrder || ps.order.Before(ps.signup) || w.over && ps.amount < propMin {
			continue
		}
		stop, stopped := ps.stopped(w.over)
		for _, side := range []struct {
			who    uint32
			amount int64
		}{{ps.referrer, propReferrerReward}, {ps.profile, propReferredReward}} {
			if side.who != profile {
				continue
			}
			pay := ps.order.Add(propHold)
			add(side.amount, ps.order, pay)
			if stopped {
				add(-side.amount, stop, later(stop, pay))
			}
		}
	}
	b.Payable = b.Earned - b.Held - b.Paid
	return b
}

// stopped returns the date of the refund after which the person's order, net of the
// refunds dated no later, is gone (or, over, under propMin).
func (ps person) stopped(over bool) (time.Time, bool) {
	rs := slices.Clone(ps.refunds)
	slices.SortStableFunc(rs, func(a, b propRefund) int { return a.at.Compare(b.at) })
	net := ps.amount
	for _, r := range rs {
		if r.amount == 0 {
			net = 0
		}
		net -= r.amount
		if net <= 0 || over && net < propMin {
			return r.at, true
		}
	}
	return time.Time{}, false
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// balances are the non-zero balances of every profile as of every day and every
// moment at which one may change: an event, and the end of a hold that starts at one.
func (w world) balances(p interface {
	Balance(time.Time, uint32) Balance
}) map[string]Balance {
	var when []time.Time
	for d := 0; d <= 45; d++ {
		when = append(when, day(float64(d)))
	}
	for _, e := range w.events {
		when = append(when, e.At, e.At.Add(propHold))
	}
	out := map[string]Balance{}
	for prof := uint32(1); prof < 20; prof++ {
		for _, at := range when {
			if b := p.Balance(at, prof); b != (Balance{}) {
				out[fmt.Sprint(prof, "@", at.Sub(day0))] = b
			}
		}
	}
	return out
}

type modelBalances struct{ w world }

func (m modelBalances) Balance(at time.Time, p uint32) Balance { return m.w.expected(p, at) }

// deliver applies events in the given order; an event refused because something it
// needs has not arrived yet (an unknown code or order) is retried after the others, as
// a webhook sender retries, until nothing more is accepted.
func deliver(t *rapid.T, p *Program, events []Record) {
	queue := slices.Clone(events)
	for len(queue) > 0 {
		var retry []Record
		for _, ev := range queue {
			err := p.Apply(context.Background(), ev)
			switch {
			case err == nil:
			case errors.Is(err, ErrCode), errors.Is(err, ErrNotFound):
				retry = append(retry, ev)
			default:
				t.Fatalf("event %+v: %v", ev, err)
			}
		}
		if len(retry) == len(queue) {
			t.Fatalf("%d events never accepted", len(retry))
		}
		queue = retry
	}
}

func TestPropertyLedgerMatchesModelInAnyOrder(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		w := genWorld(t)
		want := w.balances(modelBalances{w})

		inOrder, _ := openMem(t, w.config())
		deliver(t, inOrder, w.events)
		if diff := cmp.Diff(want, w.balances(inOrder)); diff != "" {
			t.Fatalf("in time order (-model +ledger):\n%s", diff)
		}

		perm := rapid.Permutation(w.events).Draw(t, "arrival order")
		shuffled, _ := openMem(t, w.config())
		deliver(t, shuffled, perm)
		if diff := cmp.Diff(want, w.balances(shuffled)); diff != "" {
			t.Fatalf("in arrival order (-model +ledger):\n%s", diff)
		}
		for _, ps := range w.people {
			if r, ok := shuffled.Referrer(ps.profile); !ok || r != ps.referrer {
				t.Fatalf("profile %d: referrer %d, %v; want %d", ps.profile, r, ok, ps.referrer)
			}
		}

		// A refund of one more than is left of an order is refused and changes nothing.
		for i, ps := range w.people {
			if !ps.hasOrder {
				continue
			}
			left, want := ps.amount, ErrRefundExceeds
			for _, r := range ps.refunds {
				left -= r.amount
				if r.amount == 0 {
					left = 0
				}
			}
			if len(ps.refunds) > 0 && left == 0 {
				want = ErrConflict
			}
			err := shuffled.RefundAmount(context.Background(), ps.order.Add(time.Hour), fmt.Sprint("excess", i), fmt.Sprint("O", i), left+1)
			if !errors.Is(err, want) {
				t.Fatalf("refund of %d of order O%d with %d left: %v, want %v", left+1, i, left, err, want)
			}
		}
		if diff := cmp.Diff(want, w.balances(shuffled)); diff != "" {
			t.Fatalf("after refused refunds (-model +ledger):\n%s", diff)
		}
	})
}

func TestPropertyLedgerIdempotentUnderDuplicates(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		w := genWorld(t)
		once, st1 := openMem(t, w.config())
		deliver(t, once, w.events)

		// Every event again, some several times, late and in any order, mixed into the
		// original stream after their first delivery.
		stream := slices.Clone(w.events)
		dups := rapid.IntRange(1, 3*len(w.events)).Draw(t, "duplicates")
		for range dups {
			i := rapid.IntRange(0, len(w.events)-1).Draw(t, "original")
			at := rapid.IntRange(i+1, len(stream)).Draw(t, "position")
			// Position in the stream after the original's first occurrence.
			first := slices.IndexFunc(stream, func(r Record) bool { return r.Key == w.events[i].Key })
			at = max(at, first+1)
			stream = slices.Insert(stream, at, w.events[i])
		}
		twice, st2 := openMem(t, w.config())
		deliver(t, twice, stream)
		if diff := cmp.Diff(w.balances(once), w.balances(twice)); diff != "" {
			t.Fatalf("balances with duplicates (-once +duplicated):\n%s", diff)
		}
		a, b := slices.Collect(recordsOf(t, st1)), slices.Collect(recordsOf(t, st2))
		if len(a) != len(b) {
			t.Fatalf("%d records delivered once, %d with duplicates", len(a), len(b))
		}
		// Replaying the store reproduces the balances.
		re, err := Open(st2, w.config())
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(w.balances(twice), w.balances(re)); diff != "" {
			t.Fatalf("balances after replay (-live +replayed):\n%s", diff)
		}
	})
}

// TestPropertyMergesKeepAForest drives random sign-ups, orders and identity merges, with
// every guard on, and checks the invariants a host relies on: the invite tree stays a
// forest (no self-referral, no loop, one referrer per person), every balance adds up,
// and replaying the store reproduces the programme.
func TestPropertyMergesKeepAForest(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		cfg, clock := Rules{ReferrerReward: 100, ReferredReward: 30, Hold: 24 * time.Hour, CapPerReferrer: 250}, WithClock(clientele.FixedClock(day(40)))
		if rapid.Bool().Draw(t, "purchase over") {
			cfg.Qualify, cfg.MinAmount = PurchaseOver, 60
		}
		p, st := openMem(t, cfg, clock)
		codes := map[uint32]Code{}
		rnd := newSeeded(7)
		steps := rapid.IntRange(1, 40).Draw(t, "steps")
		for i := range steps {
			prof := uint32(rapid.IntRange(1, 9).Draw(t, "profile"))
			at := day(float64(i))
			switch rapid.IntRange(0, 4).Draw(t, "action") {
			case 0:
				if _, ok := codes[prof]; !ok {
					c, err := p.IssueCode(context.Background(), at, fmt.Sprint("c", prof), prof, Signals{}, rnd)
					if err != nil {
						t.Fatal(err)
					}
					codes[prof] = c
				}
			case 1:
				by := uint32(rapid.IntRange(1, 9).Draw(t, "referrer"))
				_, err := p.SignUp(context.Background(), at, fmt.Sprint("s", i), prof, string(codes[by]), Signals{})
				if err != nil && !errors.Is(err, ErrConflict) && !errors.Is(err, ErrCode) {
					t.Fatal(err)
				}
			case 2:
				if err := p.Order(context.Background(), at, fmt.Sprint("o", i), prof, fmt.Sprint("O", i), 100); err != nil {
					t.Fatal(err)
				}
			case 3:
				other := uint32(rapid.IntRange(1, 9).Draw(t, "absorbed"))
				if other != prof {
					if err := p.ApplyMerge(prof, other); err != nil {
						t.Fatal(err)
					}
				}
			case 4:
				// A refund of an earlier order: whole (0) or in part, possibly too much.
				order := fmt.Sprint("O", rapid.IntRange(0, max(i-1, 0)).Draw(t, "refunded order"))
				var err error
				if amount := rapid.Int64Range(0, 120).Draw(t, "refund"); amount == 0 {
					err = p.Refund(context.Background(), at, fmt.Sprint("r", i), order)
				} else {
					err = p.RefundAmount(context.Background(), at, fmt.Sprint("r", i), order, amount)
				}
				if err != nil && !errors.Is(err, ErrNotFound) && !errors.Is(err, ErrConflict) && !errors.Is(err, ErrRefundExceeds) {
					t.Fatal(err)
				}
			}
		}
		signups := p.Signups()
		for _, s := range signups {
			if s.Referrer == s.Profile {
				t.Fatalf("profile %d refers itself", s.Profile)
			}
		}
		if _, err := NewTree(signups); err != nil {
			t.Fatalf("invite tree: %v", err)
		}
		for prof := uint32(1); prof <= 9; prof++ {
			for d := 0; d <= 45; d += 5 {
				b := p.Balance(day(float64(d)), prof)
				if b.Held+b.Payable+b.Paid != b.Earned || b.Held < 0 {
					t.Fatalf("profile %d on day %d: %+v does not add up", prof, d, b)
				}
			}
		}
		re, err := Open(st, cfg, clock)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(signups, re.Signups()); diff != "" {
			t.Fatalf("sign-ups after replay (-live +replayed):\n%s", diff)
		}
		for prof := uint32(1); prof <= 9; prof++ {
			if a, b := p.Balance(day(50), prof), re.Balance(day(50), prof); a != b {
				t.Fatalf("profile %d: %+v live, %+v replayed", prof, a, b)
			}
		}
	})
}

// TestPropertyCrashAnywhere writes a random history to a file store, cuts the file at
// random byte offsets as a crash mid-append would, and checks that each cut reopens to
// exactly the state of the records that survived whole (TestCrashAtEveryByte tries
// every offset of one fixed history).
func TestPropertyCrashAnywhere(t *testing.T) {
	dir := scratchDir(t)
	rapid.Check(t, func(t *rapid.T) {
		w := genWorld(t)
		path := filepath.Join(dir, "ledger.wal")
		os.Remove(path)
		fs, err := OpenFileStore(path, nil)
		if err != nil {
			t.Fatal(err)
		}
		p, err := Open(fs, w.config())
		if err != nil {
			t.Fatal(err)
		}
		deliver(t, p, w.events)
		all := slices.Collect(recordsOf(t, fs))
		if err := fs.Close(); err != nil {
			t.Fatal(err)
		}
		full, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		cut := filepath.Join(dir, "cut.wal")
		for range 4 {
			off := rapid.IntRange(32, len(full)).Draw(t, "offset")
			os.Remove(cut)
			if err := os.WriteFile(cut, crashImage(full, off), 0o644); err != nil {
				t.Fatal(err)
			}
			cs, err := OpenFileStore(cut, nil)
			if err != nil {
				t.Fatalf("cut at %d: %v", off, err)
			}
			q, err := Open(cs, w.config())
			if err != nil {
				t.Fatalf("cut at %d: %v", off, err)
			}
			k := len(slices.Collect(recordsOf(t, cs)))
			m := &MemStore{}
			if err := m.Append(all[:k]...); err != nil {
				t.Fatal(err)
			}
			ref, err := Open(m, w.config())
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(w.balances(ref), w.balances(q)); diff != "" {
				t.Fatalf("cut at %d of %d bytes (%d records): (-prefix +reopened):\n%s", off, len(full), k, diff)
			}
			// The reopened programme accepts the rest of the history as retries.
			deliver(t, q, w.events)
			if diff := cmp.Diff(w.balances(modelBalances{w}), w.balances(q)); diff != "" {
				t.Fatalf("cut at %d, then the history redelivered (-model +ledger):\n%s", off, diff)
			}
			cs.Close()
		}
	})
}

// scratchDir is a temporary directory for tests that cut files: in memory (/dev/shm)
// where the system has it, since their fsyncs protect nothing, else on disk. Where
// TMPDIR is set, whoever runs the tests chose where their files go (and may check it
// is empty afterwards): t.TempDir() then. Its removal is checked as t.TempDir()'s is: a
// directory left in /dev/shm holds memory until the machine restarts.
func scratchDir(t *testing.T) string {
	if os.Getenv("TMPDIR") != "" {
		return t.TempDir()
	}
	if st, err := os.Stat("/dev/shm"); err == nil && st.IsDir() {
		if dir, err := os.MkdirTemp("/dev/shm", "referral-test-"); err == nil {
			t.Cleanup(func() {
				if err := os.RemoveAll(dir); err != nil {
					t.Errorf("scratch directory: %v", err)
				}
			})
			return dir
		}
	}
	return t.TempDir()
}
