package referral_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"iter"
	"sync"
	"testing"
	"time"

	"github.com/clientele-go/clientele/internal/sharedlog"
	"github.com/clientele-go/clientele/internal/sharedlog/sharedlogtest"
	"github.com/clientele-go/clientele/referral"
	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"
)

// cancelling is a SharedStore whose next Since calls cancel just before it yields its
// after-th record: a host's deadline that expires while CatchUp applies a long tail.
type cancelling struct {
	referral.SharedStore
	after  int
	cancel func()
}

func (c *cancelling) Since(pos uint64) iter.Seq2[referral.Record, error] {
	return sharedlogtest.CancelAfter(c.SharedStore.Since(pos), c.after, c.cancel)
}

var tailRules = referral.Rules{ReferrerReward: 100, ReferredReward: 50}

// tailPeople is how many people sharedTail signs up with a code, each ordering once.
const tailPeople = 1000

func tailDay(d int) time.Time { return time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC).AddDate(0, 0, d) }

// sharedTail is the ledger of one Program's events, written once for the tests below:
// codes of 50 referrers, and people who sign up with them, order and are refunded.
var sharedTail = sync.OnceValues(func() ([]referral.Record, error) {
	l := &ledger{}
	p, err := referral.Open(l.replica(), tailRules)
	if err != nil {
		return nil, err
	}
	var codes []referral.Code
	var events []referral.Record
	for i := range 50 {
		code, err := referral.NewCode(bytes.NewReader([]byte{byte(i), byte(i >> 5), 1, 2, 3, 4, 5, 6, 7, 8}))
		if err != nil {
			return nil, err
		}
		codes = append(codes, code)
		events = append(events, referral.Record{Kind: referral.KindCode, Key: fmt.Sprint("code", i), At: tailDay(0), Profile: uint32(1 + i), Code: code})
	}
	for i := range tailPeople {
		prof, order := uint32(100+i), fmt.Sprint("O", i)
		events = append(events,
			referral.Record{Kind: referral.KindSignup, Key: fmt.Sprint("signup", i), At: tailDay(1 + i/50), Profile: prof, Code: codes[i%len(codes)]},
			referral.Record{Kind: referral.KindOrder, Key: fmt.Sprint("order", i), At: tailDay(2 + i/50), Profile: prof, Order: order, Amount: int64(1000 + i)})
		if i%7 == 0 {
			events = append(events, referral.Record{Kind: referral.KindRefund, Key: fmt.Sprint("refund", i), At: tailDay(3 + i/50), Order: order})
		}
	}
	if err := p.Apply(context.Background(), events...); err != nil {
		return nil, err
	}
	return l.recs, nil
})

// sharedState is what a caller can ask a Program about the people of sharedTail.
func sharedState(p *referral.Program) string {
	at := tailDay(400)
	var b []byte
	b = fmt.Appendln(b, p.Payables(at), p.Signups(), p.Invites())
	for prof := uint32(1); prof < 100+tailPeople; prof++ {
		ref, ok := p.Referrer(prof)
		b = fmt.Appendln(b, prof, p.Balance(at, prof), ref, ok, p.Entries(prof))
	}
	return string(b)
}

// checkCancelledCatchUp: two Programs open an empty ledger, to which another writer
// then appends recs. A CatchUp whose ctx is cancelled just before the store yields its
// after-th record stops at a record boundary at most sharedlog.CheckEvery records
// later, with an error wrapping context.Canceled; the Program answers as one that
// replayed that prefix does, and a CatchUp with a live ctx then ends where the other
// Program's uninterrupted one ends, in the same state.
func checkCancelledCatchUp(t rapid.TB, recs []referral.Record, after int) {
	t.Helper()
	l := &ledger{}
	cctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cut, err := referral.Open(&cancelling{SharedStore: l.replica(), after: after, cancel: cancel}, tailRules)
	if err != nil {
		t.Fatal(err)
	}
	whole, err := referral.Open(l.replica(), tailRules)
	if err != nil {
		t.Fatal(err)
	}
	l.recs = recs
	end := uint64(len(recs))

	pos, err := cut.CatchUp(cctx)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("CatchUp cancelled after %d of %d records: %v, want context.Canceled", after, end, err)
	}
	cancelled := uint64(after) - 1 // records yielded before the cancel
	if pos != cut.Position() || pos < cancelled || pos > cancelled+sharedlog.CheckEvery || pos >= end {
		t.Fatalf("CatchUp cancelled after record %d of %d stopped at %d (Position %d), want a record in [%d, %d]",
			cancelled, end, pos, cut.Position(), cancelled, min(end-1, cancelled+sharedlog.CheckEvery))
	}
	at, err := referral.Open((&ledger{recs: recs[:pos]}).replica(), tailRules)
	if err != nil {
		t.Fatal(err)
	}
	if want, got := sharedState(at), sharedState(cut); want != got {
		t.Fatalf("after a CatchUp cancelled at record %d, the Program differs from a replay of the records before it (-replay +cut):\n%s", pos, cmp.Diff(want, got))
	}

	if pos, err := cut.CatchUp(context.Background()); err != nil || pos != end {
		t.Fatalf("CatchUp after a cancelled one: %d, %v; want %d, nil", pos, err, end)
	}
	if pos, err := whole.CatchUp(context.Background()); err != nil || pos != end {
		t.Fatalf("CatchUp uninterrupted: %d, %v; want %d, nil", pos, err, end)
	}
	if want, got := sharedState(whole), sharedState(cut); want != got {
		t.Fatalf("a CatchUp cancelled and resumed differs from an uninterrupted one (-whole +cut):\n%s", cmp.Diff(want, got))
	}
}

// TestCatchUpCancelled: CatchUp looked at its ctx only when it began, and applied a
// tail of any length holding the Program's lock: a host's request that gave up could
// not stop it, and every other caller waited. It now stops between two records.
func TestCatchUpCancelled(t *testing.T) {
	recs, err := sharedTail()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) < 5000 {
		t.Fatalf("the tail holds %d records, want 5000 or more", len(recs))
	}
	checkCancelledCatchUp(t, recs, 1000)
}

// TestCatchUpCancelledAnywhere: the same, for a tail of any length and whichever record
// the cancel comes before.
func TestCatchUpCancelledAnywhere(t *testing.T) {
	recs, err := sharedTail()
	if err != nil {
		t.Fatal(err)
	}
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(1+sharedlog.CheckEvery, len(recs)).Draw(t, "records")
		checkCancelledCatchUp(t, recs[:n], rapid.IntRange(1, n-sharedlog.CheckEvery).Draw(t, "after"))
	})
}

// diverging is a SharedStore whose next Since reports ErrDiverged, as a store does
// after a Settle failed, once cancel has been called: the host gives up as the
// Program finds it must read the whole ledger again. It counts the Records calls that
// read it again.
type diverging struct {
	referral.SharedStore
	cancel  func()
	diverge bool
	rereads int
}

func (d *diverging) Since(pos uint64) iter.Seq2[referral.Record, error] {
	if !d.diverge {
		return d.SharedStore.Since(pos)
	}
	d.diverge = false
	return func(yield func(referral.Record, error) bool) {
		d.cancel()
		yield(referral.Record{}, referral.ErrDiverged)
	}
}

func (d *diverging) Records() iter.Seq2[referral.Record, error] {
	d.rereads++
	return d.SharedStore.Records()
}

// TestCatchUpCancelledBeforeRebuild: a CatchUp whose ctx is done when it finds it must
// read the whole ledger again returns ctx's error without starting the rebuild (which
// it would not interrupt), and the Program stays marked diverged: the next CatchUp
// rebuilds and ends as one that never diverged. It rebuilt whatever ctx said.
func TestCatchUpCancelledBeforeRebuild(t *testing.T) {
	recs, err := sharedTail()
	if err != nil {
		t.Fatal(err)
	}
	l := &ledger{}
	cctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	store := &diverging{SharedStore: l.replica(), cancel: cancel}
	p, err := referral.Open(store, tailRules)
	if err != nil {
		t.Fatal(err)
	}
	whole, err := referral.Open(l.replica(), tailRules)
	if err != nil {
		t.Fatal(err)
	}
	l.recs = recs
	store.diverge, store.rereads = true, 0

	if pos, err := p.CatchUp(cctx); !errors.Is(err, context.Canceled) || pos != 0 || store.rereads != 0 {
		t.Fatalf("CatchUp cancelled as it met ErrDiverged: %d, %v, %d rereads; want 0, context.Canceled, none", pos, err, store.rereads)
	}
	if pos, err := p.CatchUp(context.Background()); err != nil || pos != uint64(len(recs)) || store.rereads != 1 {
		t.Fatalf("CatchUp after it: %d, %v, %d rereads; want %d, nil, 1", pos, err, store.rereads, len(recs))
	}
	whole.CatchUp(context.Background())
	if want, got := sharedState(whole), sharedState(p); want != got {
		t.Fatalf("a Program rebuilt after a cancelled CatchUp differs from one that never diverged (-whole +rebuilt):\n%s", cmp.Diff(want, got))
	}
}
