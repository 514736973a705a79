package loyalty_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/clientele-go/clientele/internal/sharedlog"
	"github.com/clientele-go/clientele/internal/sharedlog/sharedlogtest"
	"github.com/clientele-go/clientele/referral/loyalty"
	"pgregory.net/rapid"
)

// TestCatchUpCancelled: a CatchUp whose ctx is cancelled part-way through a tail of
// 3,000 records stops at a record boundary near there with an error wrapping
// context.Canceled, answering as of that prefix; resumed with a live ctx it ends as an
// uninterrupted CatchUp does, its tier hook having heard the same changes (those of
// the prefix at the cancelled CatchUp, the rest at the next). CatchUp
// looked at ctx only when it began, and applied the whole tail holding the lock (see
// sharedlogtest.CancelledCatchUp).
func TestCatchUpCancelled(t *testing.T) {
	catchUps, recs := tierTail(t)
	sharedlogtest.CancelledCatchUp(t, catchUps, recs, 1000)
}

// TestCatchUpCancelledAnywhere: the same, for a tail of any length and whichever record
// the cancel comes before.
func TestCatchUpCancelledAnywhere(t *testing.T) {
	catchUps, recs := tierTail(t)
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(1+sharedlog.CheckEvery, len(recs)).Draw(t, "records")
		sharedlogtest.CancelledCatchUp(t, catchUps, recs[:n], rapid.IntRange(1, n-sharedlog.CheckEvery).Draw(t, "after"))
	})
}

// TestCatchUpCancelledBeforeRebuild: a CatchUp whose ctx is done when it finds it must
// read the whole ledger again returns ctx's error without starting the rebuild (which
// it would not interrupt), and the ledger stays marked diverged: the next CatchUp
// rebuilds and ends as one that never diverged (sharedlogtest.CancelledBeforeRebuild).
func TestCatchUpCancelledBeforeRebuild(t *testing.T) {
	catchUps, recs := tierTail(t)
	sharedlogtest.CancelledBeforeRebuild(t, catchUps, recs)
}

// tierMembers is how many members tierTail's records earn and spend for.
const tierMembers = 100

// tierTail writes 3,000 earns and spends of tierMembers members to a ledger in memory
// and returns its records, with the checks' view of ledgers opened on such a log: their
// balances, tiers and tier histories, and the tier changes their hook heard.
func tierTail(t *testing.T) (sharedlogtest.CatchUps[*loyalty.Ledger, loyalty.Record], []loyalty.Record) {
	ctx := context.Background()
	log := &sharedLog{}
	writer, err := loyalty.Open(log.replica(), tierRules())
	if err != nil {
		t.Fatal(err)
	}
	at := func(i int) time.Time { return day(1).Add(time.Duration(i) * time.Hour) }
	for i := range 3000 {
		m := uint32(1 + i%tierMembers)
		if i%5 == 4 {
			_, err = writer.Spend(ctx, at(i), fmt.Sprint("spend", i), m, 10)
		} else {
			_, err = writer.Earn(ctx, at(i), fmt.Sprint("order", i), m, fmt.Sprint("O", i), int64(1000+i%7*1000))
		}
		if err != nil && !errors.Is(err, loyalty.ErrInsufficient) {
			t.Fatal(err)
		}
	}
	return sharedlogtest.CatchUps[*loyalty.Ledger, loyalty.Record]{
		Log: func(recs []loyalty.Record) (func() sharedlogtest.Shared[loyalty.Record], func([]loyalty.Record)) {
			l := &sharedLog{recs: recs}
			return func() sharedlogtest.Shared[loyalty.Record] { return l.replica() }, func(recs []loyalty.Record) { l.recs = recs }
		},
		Open: func(t rapid.TB, s sharedlogtest.Shared[loyalty.Record]) (*loyalty.Ledger, func() string) {
			var heard []loyalty.TierChange
			l, err := loyalty.Open(s, tierRules(), loyalty.WithOnTier(func(c loyalty.TierChange) { heard = append(heard, c) }))
			if err != nil {
				t.Fatal(err)
			}
			return l, func() string { return fmt.Sprint(heard) }
		},
		State: func(l *loyalty.Ledger) string {
			var b []byte
			for m := uint32(1); m <= tierMembers; m++ {
				b = fmt.Appendln(b, m, l.Balance(at(4000), m), l.Tier(at(4000), m), l.TierHistory(at(4000), m))
			}
			return string(b)
		},
		Hooks:    true, // told as the records are applied, not at the next call
		Diverged: loyalty.ErrDiverged,
		Owner:    "ledger",
	}, log.recs
}
