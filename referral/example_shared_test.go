package referral_test

import (
	"bytes"
	"context"
	"fmt"
	"iter"
	"slices"
	"sync"
	"time"

	"github.com/clientele-go/clientele/referral"
)

// ledger is a shared ledger in memory standing in for a database that several
// processes write (referral/pgstore is the real one); replica is one process's
// referral.SharedStore over it.
type ledger struct {
	writer sync.Mutex // held from Lead to Settle: one writer at a time
	mu     sync.Mutex // guards recs
	recs   []referral.Record
}

type replica struct {
	l   *ledger
	buf []referral.Record // appended under the lead, written by Settle
	led bool
}

func (l *ledger) replica() *replica { return &replica{l: l} }

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
func (r *replica) Append(recs ...referral.Record) error {
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
func (r *replica) Since(pos uint64) iter.Seq2[referral.Record, error] {
	return func(yield func(referral.Record, error) bool) {
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

// copied copies recs with the slices they hold.
func copied(recs []referral.Record) []referral.Record {
	out := slices.Clone(recs)
	for i := range out {
		out[i].Reasons, out[i].Absorbed = slices.Clone(out[i].Reasons), slices.Clone(out[i].Absorbed)
	}
	return out
}

func (r *replica) Records() iter.Seq2[referral.Record, error] { return r.Since(0) }

// Two replicas of a service, each with its own Program, share one ledger: a code issued
// on one is honoured on the other, and an order webhook delivered to both pays its
// rewards once.
func ExampleSharedStore() {
	rules := referral.Rules{ReferrerReward: 1000, ReferredReward: 500}
	shared := &ledger{}
	a, err := referral.Open(shared.replica(), rules)
	if err != nil {
		fmt.Println(err)
		return
	}
	b, err := referral.Open(shared.replica(), rules)
	if err != nil {
		fmt.Println(err)
		return
	}
	day := func(d int) time.Time { return time.Date(2026, 3, 1+d, 12, 0, 0, 0, time.UTC) }
	code, _ := a.IssueCode(context.Background(), day(0), "code:ann", 1, referral.Signals{}, bytes.NewReader(make([]byte, 10)))
	d, err := b.SignUp(context.Background(), day(2), "signup:bob", 2, string(code), referral.Signals{})
	fmt.Println("Bob referred by profile", d.Referrer, err)
	fmt.Println(a.Order(context.Background(), day(5), "order:1", 2, "A-1", 4900), b.Order(context.Background(), day(5), "order:1", 2, "A-1", 4900))

	pos, _ := a.CatchUp(context.Background())
	fmt.Println("records:", pos, b.Position())
	fmt.Printf("Ann on replica a: %+v\n", a.Balance(day(10), 1))
	fmt.Printf("Ann on replica b: %+v\n", b.Balance(day(10), 1))
	// Output:
	// Bob referred by profile 1 <nil>
	// <nil> <nil>
	// records: 6 6
	// Ann on replica a: {Earned:1000 Held:0 Paid:0 Payable:1000}
	// Ann on replica b: {Earned:1000 Held:0 Paid:0 Payable:1000}
}
