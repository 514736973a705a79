package loyalty_test

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/clientele-go/clientele/referral/loyalty"
	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"
)

// flakyLog is a shared log in memory whose flushes can be made to fail, committing
// their records or not, as a connection lost at commit does; flakyReplica keeps the
// SharedStore contract after a failure: Lead and Since refuse with ErrDiverged until
// Records is read with no lead open.
type flakyLog struct {
	writer sync.Mutex
	mu     sync.Mutex
	recs   []loyalty.Record
}

type flakyReplica struct {
	l        *flakyLog
	buf      []loyalty.Record
	leads    int
	diverged bool
	// fail makes the next Settle with records to flush fail; commit says whether its
	// records reach the log all the same.
	fail, commit bool
}

func (r *flakyReplica) Lead(ctx context.Context) error {
	if r.diverged {
		return fmt.Errorf("flaky: %w", loyalty.ErrDiverged)
	}
	r.l.writer.Lock()
	r.leads++
	return nil
}

func (r *flakyReplica) Settle() error {
	defer func() { r.leads--; r.l.writer.Unlock() }()
	if len(r.buf) > 0 && r.fail {
		r.fail = false
		if r.commit {
			r.l.mu.Lock()
			r.l.recs = append(r.l.recs, r.buf...)
			r.l.mu.Unlock()
		}
		r.buf, r.diverged = nil, true
		return errors.New("flaky: connection lost at commit")
	}
	r.l.mu.Lock()
	r.l.recs = append(r.l.recs, r.buf...)
	r.l.mu.Unlock()
	r.buf = nil
	return nil
}

func (r *flakyReplica) Append(recs ...loyalty.Record) error {
	if r.leads == 0 {
		panic("flaky: the ledger appends outside a lead")
	}
	r.buf = append(r.buf, recs...)
	return nil
}

func (r *flakyReplica) Since(pos uint64) iter.Seq2[loyalty.Record, error] {
	return func(yield func(loyalty.Record, error) bool) {
		if r.diverged {
			yield(loyalty.Record{}, fmt.Errorf("flaky: %w", loyalty.ErrDiverged))
			return
		}
		r.l.mu.Lock()
		recs := slices.Clone(r.l.recs[min(int(pos), len(r.l.recs)):])
		r.l.mu.Unlock()
		for _, rec := range recs {
			if !yield(rec, nil) {
				return
			}
		}
	}
}

func (r *flakyReplica) Records() iter.Seq2[loyalty.Record, error] {
	if r.leads == 0 {
		r.diverged = false
	}
	return func(yield func(loyalty.Record, error) bool) {
		r.l.mu.Lock()
		recs := slices.Clone(r.l.recs)
		r.l.mu.Unlock()
		for _, rec := range recs {
			if !yield(rec, nil) {
				return
			}
		}
	}
}

// TestSharedMatchesSingle: three Ledgers on one shared log take random events (earns
// with lines, spends, whole and partial refunds, bonuses, adjustments, merges), each
// delivered to a replica drawn at random, some twice (to the same or another), and
// some flushes fail, committing their records or not; a failed delivery is sent again,
// as a webhook is. Every delivery answers as one Ledger fed the same deliveries on a
// MemStore (the same record, the same refusal); the log is that Ledger's log record by
// record; every replica, caught up, and a ledger opened afresh answer as it does
// (balances, lots, tiers, tier history) at every probe; and every replica's tier hook
// heard exactly the changes that Ledger's did, in order.
func TestSharedMatchesSingle(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		ctx := context.Background()
		rules := genRules(t)
		rules.Tiers = tierRules().Tiers
		rules.Window = time.Duration(rapid.IntRange(1, 10).Draw(t, "window days")) * 24 * time.Hour
		rules.Grace = time.Duration(rapid.IntRange(0, 3).Draw(t, "grace days")) * 24 * time.Hour
		type heard struct {
			mu sync.Mutex
			cs []loyalty.TierChange
		}
		hook := func(h *heard) loyalty.Option {
			return loyalty.WithOnTier(func(c loyalty.TierChange) {
				h.mu.Lock()
				h.cs = append(h.cs, c)
				h.mu.Unlock()
			})
		}
		var singleHeard heard
		var single loyalty.MemStore
		ref, err := loyalty.Open(&single, rules, hook(&singleHeard))
		if err != nil {
			t.Fatal(err)
		}
		log := &flakyLog{}
		const writers = 3
		var reps [writers]*flakyReplica
		var ls [writers]*loyalty.Ledger
		var hs [writers]heard
		for w := range writers {
			reps[w] = &flakyReplica{l: log}
			if ls[w], err = loyalty.Open(reps[w], rules, hook(&hs[w])); err != nil {
				t.Fatal(err)
			}
		}
		now := t0
		var orders []string
		probes := []time.Time{t0}
		n := rapid.IntRange(1, 40).Draw(t, "events")
		for i := range n {
			now = now.Add(time.Duration(rapid.IntRange(0, 3*24).Draw(t, "hours")) * time.Hour)
			probes = append(probes, now, now.Add(-time.Nanosecond))
			m := uint32(rapid.IntRange(1, 3).Draw(t, "member"))
			key := fmt.Sprint("k", i)
			var ev loyalty.Record
			switch rapid.IntRange(0, 6).Draw(t, "kind") {
			case 0, 1:
				ev = loyalty.Record{Kind: loyalty.KindEarn, Key: key, At: now, Member: m, Order: fmt.Sprint("o", i),
					Amount: int64(rapid.IntRange(1, 40000).Draw(t, "amount"))}
				if rapid.Bool().Draw(t, "lines") {
					ev.Lines = []loyalty.Line{{Product: "p", Category: "wine", Amount: rapid.Int64Range(0, ev.Amount).Draw(t, "line")}}
				}
				orders = append(orders, ev.Order)
			case 2:
				ev = loyalty.Record{Kind: loyalty.KindSpend, Key: key, At: now, Member: m, Points: int64(rapid.IntRange(1, 400).Draw(t, "spend"))}
			case 3:
				if len(orders) == 0 {
					continue
				}
				ev = loyalty.Record{Kind: loyalty.KindRefund, Key: key, At: now, Order: rapid.SampledFrom(orders).Draw(t, "order")}
				if rapid.Bool().Draw(t, "partial") {
					ev.Amount = int64(rapid.IntRange(1, 20000).Draw(t, "refund"))
				}
			case 4:
				ev = loyalty.Record{Kind: loyalty.KindBonus, Key: key, At: now, Member: m, Points: int64(rapid.IntRange(1, 300).Draw(t, "bonus")), Reason: "promo"}
			case 5:
				ev = loyalty.Record{Kind: loyalty.KindAdjust, Key: key, At: now, Member: m, Points: int64(rapid.IntRange(-300, -1).Draw(t, "adjust")), Reason: "fix"}
			case 6:
				a := uint32(rapid.IntRange(1, 3).Draw(t, "absorbed"))
				if a == m {
					continue
				}
				ev = loyalty.Record{Kind: loyalty.KindMerge, Key: fmt.Sprintf("merge:%d<[%d]", m, a), Member: m, Absorbed: a}
			}
			for copy := range 1 + rapid.IntRange(0, 1).Draw(t, "twice") {
				w := rapid.IntRange(0, writers-1).Draw(t, "writer")
				want := ref.Apply(ctx, ev)
				r := reps[w]
				r.fail = rapid.IntRange(0, 4).Draw(t, "fail") == 0
				r.commit = rapid.Bool().Draw(t, "commit")
				got := ls[w].Apply(ctx, ev)
				if r.diverged { // the flush failed: the webhook comes again
					if got == nil {
						t.Fatalf("delivery %d of event %d: the flush failed and Apply returned nil", copy, i)
					}
					got = ls[w].Apply(ctx, ev)
				}
				if outcome(got) != outcome(want) {
					t.Fatalf("delivery %d of event %d %+v to replica %d: %v, the single ledger: %v", copy, i, ev, w, got, want)
				}
			}
		}
		var want []loyalty.Record
		for r := range single.Records() {
			want = append(want, r)
		}
		log.mu.Lock()
		got := slices.Clone(log.recs)
		log.mu.Unlock()
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("the shared log differs from the single ledger's (-single +shared):\n%s", diff)
		}
		fresh, err := loyalty.Open(&flakyReplica{l: log}, rules)
		if err != nil {
			t.Fatal(err)
		}
		answer := func(l *loyalty.Ledger) string {
			var b []byte
			for _, p := range probes {
				for m := uint32(1); m <= 3; m++ {
					b = fmt.Appendf(b, "%d %v: %+v %+v %+v\n", m, p, l.Balance(p, m), l.Lots(p, m), l.Tier(p, m))
				}
			}
			for m := uint32(1); m <= 3; m++ {
				b = fmt.Appendf(b, "%d: %+v\n", m, l.TierHistory(now.AddDate(0, 1, 0), m))
			}
			return string(b)
		}
		wantAnswers := answer(ref)
		for w, l := range append(ls[:], fresh) {
			if _, err := l.CatchUp(ctx); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(wantAnswers, answer(l)); diff != "" {
				t.Fatalf("replica %d answers (-single +replica):\n%s", w, diff)
			}
		}
		for w := range hs {
			if diff := cmp.Diff(singleHeard.cs, hs[w].cs); diff != "" {
				t.Fatalf("replica %d's tier hook heard (-single's +replica's):\n%s", w, diff)
			}
		}
	})
}

// outcome names what an Apply answered: ok, or the sentinel of a refusal.
func outcome(err error) string {
	if err == nil {
		return "ok"
	}
	for _, e := range []error{loyalty.ErrInvalid, loyalty.ErrNotFound, loyalty.ErrKeyReused, loyalty.ErrConflict,
		loyalty.ErrInsufficient, loyalty.ErrRefundExceeds} {
		if errors.Is(err, e) {
			return e.Error()
		}
	}
	return err.Error()
}
