package storetest

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"strings"
	"sync/atomic"

	"github.com/clientele-go/clientele/internal/storecheck"
	"github.com/clientele-go/clientele/referral"
)

// errAppend is the failure the ApplyFailure checks inject into the store's appends.
var errAppend = errors.New("storetest: injected append failure")

// applyFailure is the check named ApplyFailure (commit false) or ApplyFailureCommitted
// (commit true): a Program on the store takes a bulk Apply whose third event is
// invalid while the store's append of the two before it fails, having written nothing
// or, when commit, having written them (a connection lost at commit). On every store,
// Program.Apply's error wraps both failures (errors.Is finds ErrInvalid and the
// store's error) and names the event's index, with the "referral:" prefix once; the
// event after it is not recorded; and the caller that sends the events before it
// again and the one after it, on a Program opened again, gets the ledger of the good
// events. A SharedStore fails its flush: Append under the lead when nothing is
// written, Settle after the records are committed when commit.
func applyFailure(commit bool) storecheck.Check[referral.Store] {
	name := "ApplyFailure"
	if commit {
		name += "Committed"
	}
	return storecheck.Check[referral.Store]{Name: name, Fn: func(_ storecheck.Harness[referral.Store], _ string, s referral.Store) error {
		ctx := context.Background()
		f := &failing{Store: s, commit: commit}
		var wrapped referral.Store = f
		if sh, ok := s.(referral.SharedStore); ok {
			wrapped = failingShared{f, sh}
		}
		p, err := referral.Open(wrapped, rules, clock)
		if err != nil {
			return err
		}
		code, err := p.IssueCode(ctx, day(0), "code-1", 1, referral.Signals{}, zeros{})
		if err != nil {
			return err
		}
		events := []referral.Record{
			{Kind: referral.KindSignup, Key: "signup-0", At: day(1), Profile: 10, Code: code},
			{Kind: referral.KindOrder, Key: "order-0", At: day(2), Profile: 10, Order: "O0", Amount: 1000},
			{Kind: referral.KindOrder, Key: "order-bad", Profile: 11, Order: "O1", Amount: 1000}, // no At: ErrInvalid
			{Kind: referral.KindSignup, Key: "signup-1", At: day(3), Profile: 11, Code: code},
		}
		f.armed.Store(true)
		err = p.Apply(ctx, events...)
		f.armed.Store(false)
		switch {
		case err == nil:
			return errors.New("Apply with an invalid event and a failed append returned nil")
		case !errors.Is(err, referral.ErrInvalid) || !errors.Is(err, errAppend):
			return fmt.Errorf("Apply with an invalid event and a failed append: %q wraps ErrInvalid %v and the store's error %v, want both",
				err, errors.Is(err, referral.ErrInvalid), errors.Is(err, errAppend))
		case !strings.HasPrefix(err.Error(), "referral: apply event 2: ") || strings.Count(err.Error(), "referral:") != 1:
			return fmt.Errorf("Apply with an invalid event and a failed append: %q, want a message opening with \"referral: apply event 2: \" and naming the package once", err)
		}

		// The store holds the events before the invalid one if the failed append wrote
		// them, and nothing after it.
		q, err := referral.Open(s, rules, clock)
		if err != nil {
			return fmt.Errorf("open after the failed Apply: %w", err)
		}
		if _, ok := q.Referrer(11); ok {
			return errors.New("the event after the invalid one was recorded")
		}
		if _, ok := q.Referrer(10); ok != commit {
			return fmt.Errorf("the events before the invalid one recorded: %v, want %v, as the failed append wrote them or not", ok, commit)
		}
		// The caller sends again what the error asks for: the events before the failed
		// one, and those after it.
		if err := q.Apply(ctx, events[:2]...); err != nil {
			return fmt.Errorf("Apply of the events before the invalid one again: %w", err)
		}
		if err := q.Apply(ctx, events[3:]...); err != nil {
			return fmt.Errorf("Apply of the event after the invalid one: %w", err)
		}
		ref := &referral.MemStore{}
		r, err := referral.Open(ref, rules, clock)
		if err == nil {
			_, err = r.IssueCode(ctx, day(0), "code-1", 1, referral.Signals{}, zeros{})
		}
		if err == nil {
			err = r.Apply(ctx, events[0], events[1], events[3])
		}
		if err != nil {
			return fmt.Errorf("the reference programme: %w", err)
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
	referral.Store
	commit bool
	armed  atomic.Bool
}

func (f *failing) Append(recs ...referral.Record) error {
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
	sh referral.SharedStore
}

func (f failingShared) Append(recs ...referral.Record) error {
	if f.armed.Load() && !f.commit {
		return errAppend
	}
	return f.sh.Append(recs...)
}

func (f failingShared) Lead(ctx context.Context) error { return f.sh.Lead(ctx) }

func (f failingShared) Since(pos uint64) iter.Seq2[referral.Record, error] { return f.sh.Since(pos) }

func (f failingShared) Settle() error {
	if err := f.sh.Settle(); err != nil || !f.armed.Load() {
		return err
	}
	return errAppend
}
