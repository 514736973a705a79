package referral

import (
	"context"
	"errors"
	"fmt"
	"iter"

	"github.com/clientele-go/clientele/internal/groupcommit"
	"github.com/clientele-go/clientele/internal/sharedlog"
)

// SharedStore is implemented by a Store that several Programs, each in its own process,
// write at once: one ledger, many writers. Every record has a position in the ledger,
// from 0. A Program on a SharedStore decides each event on the whole ledger: it leads,
// applies the records others appended since the ones it holds, decides, appends, and
// settles. Because every decision is made on exactly the records before its position,
// every Program that applies the ledger in order holds the same state, the state one
// Program fed the same events in the ledger's order would hold; so an event key is
// recorded once however many replicas receive it, and a conversion sent to two replicas
// pays its rewards once.
//
// The contract, which package referral/pgstore implements over PostgreSQL:
//
//   - Lead blocks until the caller is the only writer of the ledger (across processes);
//     the lead lasts until the matching Settle returns. Each Lead that returns nil is
//     followed by exactly one Settle; Leads of one store may overlap (the Program's
//     concurrent events share one lead and one flush, group commit).
//   - Since(pos) yields the records at positions pos, pos+1, ... that the ledger holds, in
//     order, never skipping one: a record is yielded only if every record before it is.
//     Called while leading, it yields every record others appended.
//   - Optionally, SinceContext(ctx, pos) yields what Since(pos) yields, but ends with
//     an error wrapping ctx.Err() once ctx is done, even while it waits for the store.
//     A Program reads the ledger through it when the store has it, so that the ctx of
//     CatchUp or of an event ends such a wait; Open given WithReplayContext replays
//     through SinceContext(ctx, 0) too, and reads Records instead when that refuses
//     at once with ErrDiverged, as Records (not Since) ends that refusal.
//   - Optionally, RecordsContext(ctx) yields what Records yields, ends the refusal as
//     Records does, and ends with an error wrapping ctx.Err() as SinceContext does. The
//     replay given WithReplayContext reads it in place of Records when the store has
//     it, so that ctx ends a wait of that read too.
//   - Append while leading buffers the records at the next positions; Settle makes every
//     record appended so far durable, or fails. When it fails, the records appended
//     since the last successful Settle may or may not be in the ledger (a connection lost
//     at commit leaves that unknown): later Appends fail, and Lead and Since fail with an
//     error wrapping ErrDiverged until Records is called, with no lead open, to read the
//     whole ledger again (the Program rebuilds itself from it and leads again).
//   - Append outside a lead appends at the end of the ledger and is durable when it
//     returns, as Store requires.
//
// A SharedStore value serves one Program: its Records ends the refusal that follows a
// failed Settle, so a host reading it on the side would hide that failure from the
// Program.
type SharedStore interface {
	Store
	Lead(ctx context.Context) error
	Since(pos uint64) iter.Seq2[Record, error]
	Settle() error
}

// share puts the Program on its SharedStore's ledger, of which it holds p.pos records.
func (p *Program) share() {
	p.log = sharedlog.New(p.shared, p.pos, sharedlog.Owner{
		Mu: &p.mu,
		Tail: func(ctx context.Context, from uint64) (uint64, error) {
			return replay(ctx, p.st, sharedlog.Since(ctx, p.shared, from), from, nil)
		},
		Reread:      p.rebuild,
		ErrDiverged: ErrDiverged,
		Errorf:      errorf,
		Noun:        "ledger",
	})
}

// Position returns the number of ledger records the programme holds: after an event
// returns, a Position read on its Program covers it. Pass it to CatchUp on another
// Program over the same SharedStore to read your writes there.
func (p *Program) Position() uint64 {
	if p.zero() {
		return 0
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.log == nil {
		return p.pos
	}
	return p.log.Pos
}

// CatchUp applies the records other writers appended to a SharedStore since the
// Program last read it, and returns its position. When it returns, the Program answers
// as of at least every event acknowledged (on any replica) before CatchUp was called.
// Between calls, queries (Balance, Payables, Referrer, Entries and the growth views)
// answer as of the last CatchUp or event of this Program: a prefix of the ledger, never
// a partial decision. On a store that is not a SharedStore, CatchUp changes nothing.
//
// CatchUp holds the Program's lock while it applies, so it looks at ctx between records
// (every few hundred): when ctx is done it stops between two records and returns an
// error wrapping ctx.Err() that names the position it stopped at. On a store with
// SinceContext (see SharedStore), as referral/pgstore has, ctx also ends a wait for the
// store's next records (a lock another session holds, a stalled connection). The Program
// then answers as of that prefix of the ledger, which Position counts, and the next
// CatchUp goes on from there. The rebuild that follows a failed Settle (which reads the
// whole ledger again) is not interrupted: it would start over at every call.
func (p *Program) CatchUp(ctx context.Context) (uint64, error) {
	if p.zero() {
		return 0, errZeroProgram
	}
	if ctx == nil { // refused as the event methods refuse it, not a panic
		return 0, fmt.Errorf("%w: catch up: nil context", ErrInvalid)
	}
	if err := ctx.Err(); err != nil {
		return 0, errorf("catch up: %w", err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.log == nil {
		return p.pos, nil
	}
	err := p.log.CatchUp(ctx)
	return p.log.Pos, err
}

// replay applies recs to st: the records at positions from, from+1, ...; it returns the
// position after the last one applied. When ctx is done it stops at a record boundary
// (every sharedlog.CheckEvery records), st holding a prefix of the ledger, and returns
// stopped(pos, err), or a catch-up's error if stopped is nil.
func replay(ctx context.Context, st *state, recs iter.Seq2[Record, error], from uint64, stopped func(pos uint64, err error) error) (uint64, error) {
	if stopped == nil {
		stopped = func(pos uint64, err error) error {
			return errorf("catch up with the shared ledger: stopped at record %d: %w", pos, err)
		}
	}
	i := from
	for r, err := range recs {
		if err := sharedlog.Stop(ctx, from, i); err != nil {
			return i, stopped(i, err)
		}
		if err != nil && ctx.Err() != nil && errors.Is(err, ctx.Err()) {
			return i, stopped(i, err)
		}
		if err != nil {
			return i, errorf("read the ledger at record %d: %w", i, err)
		}
		if r.Kind == 0 || r.Kind >= kindEnd {
			return i, fmt.Errorf("%w: ledger record %d: unknown kind %d", ErrCorrupt, i, r.Kind)
		}
		if dup, err := st.replayed(&r); err != nil {
			return i, errorf("ledger record %d: %w", i, err)
		} else if !dup { // a record delivered twice by the store is applied once
			// A ledger past the volume limit is one no Program decided: replay refuses
			// it rather than sum past int64, so that replay still equals live.
			if err := st.fits([]Record{r}); err != nil {
				return i, fmt.Errorf("%w: ledger record %d: %v", ErrCorrupt, i, err)
			}
			st.apply(&r)
		}
		i++
	}
	return i, nil
}

// rebuild reads the whole ledger again into a new state, after a failed Settle left
// the state holding records the ledger may lack, and returns the ledger's length. The
// caller holds mu.
func (p *Program) rebuild() (uint64, error) {
	st := newState()
	// Not interrupted by a context: see sharedlog.Log.CatchUp.
	pos, err := replay(context.Background(), st, p.shared.Records(), 0, nil)
	if err != nil {
		return 0, errorf("rebuild from the shared ledger: %w", err)
	}
	p.st = st
	return pos, nil
}

// submitShared decides one event on the whole shared ledger and appends its records.
func (p *Program) submitShared(ctx context.Context, ev Record) error {
	if err := checkEvent(&ev); err != nil {
		return err
	}
	gen, err := p.log.Lead(ctx)
	if err != nil {
		return errorf("%s event %q: %w", ev.Kind, ev.Key, err)
	}
	recs, err := p.decideLocked(&ev)
	if err == nil {
		err = p.log.Append(recs)
	}
	p.mu.Unlock()
	if serr := p.log.Unlead(gen, nil); err == nil {
		err = serr
	}
	return err
}

// applyShared is Apply on a SharedStore: applyChunk events per lead and flush.
func (p *Program) applyShared(ctx context.Context, events []Record) error {
	for start := 0; start < len(events); start += applyChunk {
		gen, err := p.log.Lead(ctx)
		if err != nil {
			// Named as a done context names the event it stopped before: the lead
			// failed before event start was looked at, and it is not recorded.
			return stopped(start, notRecorded(events[start].Kind, events[start].Key, err))
		}
		var recs []*Record
		var failed error
		i := start // after the loop: the event it stopped at, or the end of the chunk
		for ; i < min(start+applyChunk, len(events)); i++ {
			ev := events[i]
			// A done ctx stops Apply before the next event, as on any store: the lead
			// itself may succeed with it, when this process holds the lock already.
			if err := ctxErr(ctx, ev.Kind, ev.Key); err != nil {
				failed = stopped(i, err)
				break
			}
			ev.Code = normalCode(ev.Code)
			if err := checkEvent(&ev); err != nil {
				failed = refused(i, err)
				break
			}
			rs, err := p.decideLocked(&ev)
			if err != nil {
				failed = refused(i, err)
				break
			}
			recs = append(recs, rs...)
		}
		err = p.log.Append(recs)
		p.mu.Unlock()
		if serr := p.log.Unlead(gen, nil); err == nil {
			err = serr
		}
		if err != nil {
			// The events of this lead, up to the one that failed, were in its flush;
			// those of the leads before are durable.
			return applyError(&groupcommit.Failed{Lo: start, Hi: i, Err: err}, failed)
		}
		if failed != nil {
			return failed
		}
	}
	return nil
}
