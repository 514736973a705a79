package loyalty_test

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"testing"
	"time"

	"github.com/clientele-go/clientele/internal/sharedlog"
	"github.com/clientele-go/clientele/internal/sharedlog/sharedlogtest"
	"github.com/clientele-go/clientele/referral/loyalty"
)

// cancelling is a SharedStore whose next Since calls cancel just before it yields its
// after-th record: a host's deadline that expires while CatchUp applies a long tail.
type cancelling struct {
	loyalty.SharedStore
	after  int
	cancel func()
}

func (c *cancelling) Since(pos uint64) iter.Seq2[loyalty.Record, error] {
	return sharedlogtest.CancelAfter(c.SharedStore.Since(pos), c.after, c.cancel)
}

// TestCatchUpCancelled: a CatchUp whose ctx is cancelled part-way through a tail of
// 3,000 records stops at a record boundary near there with an error wrapping
// context.Canceled, answering as of that prefix; resumed with a live ctx it ends as an
// uninterrupted CatchUp does, its tier hook having heard the same changes (those of
// the prefix at the cancelled CatchUp, the rest at the next). CatchUp
// looked at ctx only when it began, and applied the whole tail holding the lock.
func TestCatchUpCancelled(t *testing.T) {
	ctx := context.Background()
	log := &sharedLog{}
	writer, err := loyalty.Open(log.replica(), tierRules())
	if err != nil {
		t.Fatal(err)
	}
	var heardCut, heardWhole []loyalty.TierChange
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	cut, err := loyalty.Open(&cancelling{SharedStore: log.replica(), after: 1000, cancel: cancel}, tierRules(),
		loyalty.WithOnTier(func(c loyalty.TierChange) { heardCut = append(heardCut, c) }))
	if err != nil {
		t.Fatal(err)
	}
	whole, err := loyalty.Open(log.replica(), tierRules(),
		loyalty.WithOnTier(func(c loyalty.TierChange) { heardWhole = append(heardWhole, c) }))
	if err != nil {
		t.Fatal(err)
	}
	const members = 100
	at := func(i int) time.Time { return day(1).Add(time.Duration(i) * time.Hour) }
	for i := range 3000 {
		m := uint32(1 + i%members)
		if i%5 == 4 {
			_, err = writer.Spend(ctx, at(i), fmt.Sprint("spend", i), m, 10)
		} else {
			_, err = writer.Earn(ctx, at(i), fmt.Sprint("order", i), m, fmt.Sprint("O", i), int64(1000+i%7*1000))
		}
		if err != nil && !errors.Is(err, loyalty.ErrInsufficient) {
			t.Fatal(err)
		}
	}
	end := writer.Position()
	state := func(l *loyalty.Ledger) string {
		var b []byte
		for m := uint32(1); m <= members; m++ {
			b = fmt.Appendln(b, m, l.Balance(at(4000), m), l.Tier(at(4000), m), l.TierHistory(at(4000), m))
		}
		return string(b)
	}

	pos, err := cut.CatchUp(cctx)
	if !errors.Is(err, context.Canceled) || pos != cut.Position() || pos < 999 || pos > 999+sharedlog.CheckEvery {
		t.Fatalf("CatchUp cancelled after 1000 of %d records: %d (Position %d), %v; want context.Canceled at [999, %d]",
			end, pos, cut.Position(), err, 999+sharedlog.CheckEvery)
	}
	prefix, err := loyalty.Open((&sharedLog{recs: log.recs[:pos]}).replica(), tierRules())
	if err != nil {
		t.Fatal(err)
	}
	if want, got := state(prefix), state(cut); want != got {
		t.Fatalf("after a CatchUp cancelled at record %d, the ledger differs from a replay of the records before it:\n%s\n%s", pos, want, got)
	}
	heardBefore := len(heardCut) // told as the records are applied, not at the next call
	if pos, err := cut.CatchUp(ctx); err != nil || pos != end {
		t.Fatalf("CatchUp after a cancelled one: %d, %v; want %d, nil", pos, err, end)
	}
	if pos, err := whole.CatchUp(ctx); err != nil || pos != end {
		t.Fatalf("CatchUp uninterrupted: %d, %v; want %d, nil", pos, err, end)
	}
	if want, got := state(whole), state(cut); want != got {
		t.Fatalf("a CatchUp cancelled and resumed differs from an uninterrupted one:\n%s\n%s", want, got)
	}
	if want, got := fmt.Sprint(heardWhole), fmt.Sprint(heardCut); want != got || len(heardWhole) == 0 {
		t.Fatalf("the tier hook of a CatchUp cancelled and resumed heard\n%s\nwant\n%s", got, want)
	}
	if heardBefore == 0 {
		t.Fatalf("the tier hook heard %d of %d changes at the cancelled CatchUp, want those of the records it applied", heardBefore, len(heardCut))
	}
}
