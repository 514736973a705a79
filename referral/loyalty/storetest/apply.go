package storetest

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"strings"
	"sync/atomic"

	"github.com/clientele-go/clientele/internal/storecheck"
	"github.com/clientele-go/clientele/referral/loyalty"
)

// errAppend is the failure the ApplyFailure checks inject into the store's appends.
var errAppend = errors.New("storetest: injected append failure")

// applyFailure is the check named ApplyFailure (commit false) or ApplyFailureCommitted
// (commit true): a Ledger on the store takes a bulk Apply whose third event is
// invalid while the store's append of the two before it fails, having written nothing
// or, when commit, having written them (a connection lost at commit). On every store,
// Ledger.Apply's error wraps both failures (errors.Is finds ErrInvalid and the
// store's error) and names the event's index, with the "loyalty:" prefix once; the
// event after it is not recorded; and the caller that sends the events before it
// again and the one after it, on a Ledger opened again, gets the ledger of the good
// events. A SharedStore fails its flush: Append under the lead when nothing is
// written, Settle after the records are committed when commit.
func applyFailure(commit bool) storecheck.Check[loyalty.Store] {
	name := "ApplyFailure"
	if commit {
		name += "Committed"
	}
	return storecheck.Check[loyalty.Store]{Name: name, Fn: func(_ storecheck.Harness[loyalty.Store], _ string, s loyalty.Store) error {
		ctx := context.Background()
		f := &failing{Store: s, commit: commit}
		var wrapped loyalty.Store = f
		if sh, ok := s.(loyalty.SharedStore); ok {
			wrapped = failingShared{f, sh}
		}
		p, err := loyalty.Open(wrapped, rules)
		if err != nil {
			return err
		}
		if _, err := p.Earn(ctx, day(0), "earn-0", 1, "O0", 10000); err != nil {
			return err
		}
		events := []loyalty.Record{
			{Kind: loyalty.KindEarn, Key: "earn-1", At: day(1), Member: 2, Order: "O1", Amount: 5000},
			{Kind: loyalty.KindSpend, Key: "spend-0", At: day(2), Member: 1, Points: 30},
			{Kind: loyalty.KindEarn, Key: "earn-bad", Member: 3, Order: "O2", Amount: 7000}, // no At: ErrInvalid
			{Kind: loyalty.KindEarn, Key: "earn-3", At: day(3), Member: 3, Order: "O3", Amount: 7000},
		}
		f.armed.Store(true)
		err = p.Apply(ctx, events...)
		f.armed.Store(false)
		switch {
		case err == nil:
			return errors.New("Apply with an invalid event and a failed append returned nil")
		case !errors.Is(err, loyalty.ErrInvalid) || !errors.Is(err, errAppend):
			return fmt.Errorf("Apply with an invalid event and a failed append: %q wraps ErrInvalid %v and the store's error %v, want both",
				err, errors.Is(err, loyalty.ErrInvalid), errors.Is(err, errAppend))
		case !strings.HasPrefix(err.Error(), "loyalty: apply event 2: ") || strings.Count(err.Error(), "loyalty:") != 1:
			return fmt.Errorf("Apply with an invalid event and a failed append: %q, want a message opening with \"loyalty: apply event 2: \" and naming the package once", err)
		}

		// The store holds the events before the invalid one if the failed append wrote
		// them, and nothing after it.
		q, err := loyalty.Open(s, rules)
		if err != nil {
			return fmt.Errorf("open after the failed Apply: %w", err)
		}
		if b := q.Balance(day(10), 3); b != (loyalty.Balance{}) {
			return fmt.Errorf("the event after the invalid one was recorded: member 3 holds %+v", b)
		}
		if b := q.Balance(day(10), 2); (b != (loyalty.Balance{})) != commit {
			return fmt.Errorf("the events before the invalid one recorded: %v (member 2 holds %+v), want %v, as the failed append wrote them or not", !commit, b, commit)
		}
		// The caller sends again what the error asks for: the events before the failed
		// one, and those after it.
		if err := q.Apply(ctx, events[:2]...); err != nil {
			return fmt.Errorf("Apply of the events before the invalid one again: %w", err)
		}
		if err := q.Apply(ctx, events[3:]...); err != nil {
			return fmt.Errorf("Apply of the event after the invalid one: %w", err)
		}
		ref := &loyalty.MemStore{}
		r, err := loyalty.Open(ref, rules)
		if err == nil {
			_, err = r.Earn(ctx, day(0), "earn-0", 1, "O0", 10000)
		}
		if err == nil {
			err = r.Apply(ctx, events[0], events[1], events[3])
		}
		if err != nil {
			return fmt.Errorf("the reference ledger: %w", err)
		}
		got, err := balances(s)
		if err != nil {
			return err
		}
		want, err := balances(ref)
		if err != nil {
			return err
		}
		if got != want {
			return fmt.Errorf("after the events were sent again the ledger replays to\n%s\nwant\n%s", got, want)
		}
		return nil
	}}
}

// failing is a store whose Append fails while armed: having written nothing, or, when
// commit, after writing the records.
type failing struct {
	loyalty.Store
	commit bool
	armed  atomic.Bool
}

func (f *failing) Append(recs ...loyalty.Record) error {
	if !f.armed.Load() {
		return f.Store.Append(recs...)
	}
	if f.commit {
		if err := f.Store.Append(recs...); err != nil {
			return err
		}
	}
	return errAppend
}

// failingShared is failing over a SharedStore, whose flush is Settle: while armed,
// Append under the lead fails having buffered nothing, or, when commit, Settle fails
// after committing the records.
type failingShared struct {
	*failing
	sh loyalty.SharedStore
}

func (f failingShared) Append(recs ...loyalty.Record) error {
	if f.armed.Load() && !f.commit {
		return errAppend
	}
	return f.sh.Append(recs...)
}

func (f failingShared) Lead(ctx context.Context) error { return f.sh.Lead(ctx) }

func (f failingShared) Since(pos uint64) iter.Seq2[loyalty.Record, error] { return f.sh.Since(pos) }

func (f failingShared) Settle() error {
	if err := f.sh.Settle(); err != nil || !f.armed.Load() {
		return err
	}
	return errAppend
}
