package loyalty_test

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"slices"
	"sync"

	"github.com/clientele-go/clientele/referral/loyalty"
)

// sharedLog is a log in memory standing in for a database that several processes
// write (referral/loyalty/pgstore is the real one); replica is one process's
// loyalty.SharedStore over it.
type sharedLog struct {
	writer sync.Mutex // held from Lead to Settle: one writer at a time
	mu     sync.Mutex // guards recs
	recs   []loyalty.Record
}

type replica struct {
	l   *sharedLog
	buf []loyalty.Record // appended under the lead, written by Settle
	led bool
}

func (l *sharedLog) replica() *replica { return &replica{l: l} }

// Lead takes the writer's lock, unless ctx is done: a Lead that fails is followed by
// no Settle, so it must not hold the lock.
func (r *replica) Lead(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	r.l.writer.Lock()
	r.led = true
	return nil
}

func (r *replica) Settle() error {
	r.l.mu.Lock()
	r.l.recs = append(r.l.recs, r.buf...)
	r.l.mu.Unlock()
	r.buf, r.led = nil, false
	r.l.writer.Unlock()
	return nil
}

// Append keeps copies of recs, as a Store must: the caller may reuse them.
func (r *replica) Append(recs ...loyalty.Record) error {
	if r.led {
		r.buf = append(r.buf, copied(recs)...)
		return nil
	}
	r.l.writer.Lock()
	defer r.l.writer.Unlock()
	r.l.mu.Lock()
	defer r.l.mu.Unlock()
	r.l.recs = append(r.l.recs, copied(recs)...)
	return nil
}

// Since yields copies, which belong to the caller.
func (r *replica) Since(pos uint64) iter.Seq2[loyalty.Record, error] {
	return func(yield func(loyalty.Record, error) bool) {
		r.l.mu.Lock()
		recs := copied(r.l.recs[min(int(pos), len(r.l.recs)):])
		r.l.mu.Unlock()
		for _, rec := range recs {
			if !yield(rec, nil) {
				return
			}
		}
	}
}

func (r *replica) Records() iter.Seq2[loyalty.Record, error] { return r.Since(0) }

// copied copies recs with the lines they hold.
func copied(recs []loyalty.Record) []loyalty.Record {
	out := slices.Clone(recs)
	for i := range out {
		out[i].Lines = slices.Clone(out[i].Lines)
	}
	return out
}

// Two replicas of a service, each with its own Ledger, share one log: an order webhook
// delivered to both earns its points once, a spend on one replica counts on the other,
// so that the two never overdraw the member's points between them, and each replica's
// tier hook hears the other's tier changes.
func ExampleSharedStore() {
	ctx := context.Background()
	log := &sharedLog{}
	hook := func(name string) loyalty.Option {
		return loyalty.WithOnTier(func(c loyalty.TierChange) {
			fmt.Printf("%s hears member %d: %s -> %s\n", name, c.Member, c.From, c.To)
		})
	}
	a, _ := loyalty.Open(log.replica(), tierRules(), hook("a"))
	b, _ := loyalty.Open(log.replica(), tierRules(), hook("b"))

	r1, err1 := a.Earn(ctx, day(1), "order:A-1", 7, "A-1", 12000)
	r2, err2 := b.Earn(ctx, day(1), "order:A-1", 7, "A-1", 12000)
	fmt.Println("points:", r1.Points, err1, r2.Points, err2)

	_, err := b.Spend(ctx, day(2), "spend:1", 7, 100)
	fmt.Println("spend 100 on b:", err)
	_, err = a.Spend(ctx, day(2), "spend:2", 7, 100)
	fmt.Println("spend 100 more on a:", errors.Is(err, loyalty.ErrInsufficient))

	pos, _ := b.CatchUp(ctx)
	fmt.Println("records:", a.Position(), pos)
	fmt.Printf("a: %+v %s\n", a.Balance(day(3), 7), a.Tier(day(3), 7).Name)
	fmt.Printf("b: %+v %s\n", b.Balance(day(3), 7), b.Tier(day(3), 7).Name)
	// Output:
	// a hears member 7: member -> silver
	// b hears member 7: member -> silver
	// points: 120 <nil> 120 <nil>
	// spend 100 on b: <nil>
	// spend 100 more on a: true
	// records: 2 2
	// a: {Available:20 Locked:0 Debt:0 Expired:0} silver
	// b: {Available:20 Locked:0 Debt:0 Expired:0} silver
}
