package referral_test

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/clientele-go/clientele/internal/sharedlog"
	"github.com/clientele-go/clientele/internal/sharedlog/sharedlogtest"
	"github.com/clientele-go/clientele/referral"
	"pgregory.net/rapid"
)

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

// catchUps opens Programs on a ledger in memory for the checks of sharedlogtest: a
// CatchUp cancelled part-way stops between two records and resumes as an uninterrupted
// one ends (CancelledCatchUp); one cancelled as it meets ErrDiverged leaves the rebuild
// to the next (CancelledBeforeRebuild).
var catchUps = sharedlogtest.CatchUps[*referral.Program, referral.Record]{
	Log: func(recs []referral.Record) (func() sharedlogtest.Shared[referral.Record], func([]referral.Record)) {
		l := &ledger{recs: recs}
		return func() sharedlogtest.Shared[referral.Record] { return l.replica() }, func(recs []referral.Record) { l.recs = recs }
	},
	Open: func(t rapid.TB, s sharedlogtest.Shared[referral.Record]) (*referral.Program, func() string) {
		p, err := referral.Open(s, tailRules)
		if err != nil {
			t.Fatal(err)
		}
		return p, func() string { return "" }
	},
	State:    sharedState,
	Diverged: referral.ErrDiverged,
	Owner:    "Program",
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
	sharedlogtest.CancelledCatchUp(t, catchUps, recs, 1000)
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
		sharedlogtest.CancelledCatchUp(t, catchUps, recs[:n], rapid.IntRange(1, n-sharedlog.CheckEvery).Draw(t, "after"))
	})
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
	sharedlogtest.CancelledBeforeRebuild(t, catchUps, recs)
}
