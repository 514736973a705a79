package loyalty

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"sync"

	"github.com/clientele-go/clientele/internal/groupcommit"
	"github.com/clientele-go/clientele/internal/sharedlog"
)

// SharedStore is implemented by a Store that several Ledgers, each in its own process,
// write at once: one log, many writers (referral.SharedStore is the same contract for
// the referral programme). Every record has a position in the log, from 0. A Ledger on
// a SharedStore decides each event on the whole log: it leads, applies the records
// others appended since the ones it holds, decides, appends, and settles. Because
// every decision is made on exactly the records before its position, every Ledger that
// applies the log in order holds the state one Ledger fed the same events in the log's
// order would hold: an event key is recorded once however many replicas receive it, and
// a spend is checked against every point spent before it on any replica, so two
// replicas never overdraw a balance between them.
//
// The contract, which package referral/loyalty/pgstore implements over PostgreSQL:
//
//   - Lead blocks until the caller is the only writer of the log (across processes);
//     the lead lasts until the matching Settle returns. Each Lead that returns nil is
//     followed by exactly one Settle; Leads of one store may overlap (the Ledger's
//     concurrent events share one lead and one flush, group commit).
//   - Since(pos) yields the records at positions pos, pos+1, ... that the log holds, in
//     order, never skipping one: a record is yielded only if every record before it is.
//     Called while leading, it yields every record others appended.
//   - Optionally, SinceContext(ctx, pos) yields what Since(pos) yields, but ends with
//     an error wrapping ctx.Err() once ctx is done, even while it waits for the store.
//     A Ledger reads the log through it when the store has it, so that the ctx of
//     CatchUp or of an event ends such a wait; Open given WithReplayContext replays
//     through SinceContext(ctx, 0) too, and reads Records instead when that refuses
//     at once with ErrDiverged, as Records (not Since) ends that refusal.
//   - Optionally, RecordsContext(ctx) yields what Records yields, ends the refusal as
//     Records does, and ends with an error wrapping ctx.Err() as SinceContext does. The
//     replay given WithReplayContext reads it in place of Records when the store has
//     it, so that ctx ends a wait of that read too.
//   - Append while leading buffers the records at the next positions; Settle makes every
//     record appended so far durable, or fails. When it fails, the records appended
//     since the last successful Settle may or may not be in the log (a connection lost
//     at commit leaves that unknown): later Appends fail, and Lead and Since fail with an
//     error wrapping ErrDiverged until Records is called, with no lead open, to read the
//     whole log again (the Ledger rebuilds itself from it and leads again).
//   - Append outside a lead appends at the end of the log and is durable when it
//     returns, as Store requires.
//
// A SharedStore value serves one Ledger: its Records ends the refusal that follows a
// failed Settle, so a host reading it on the side would hide that failure from the
// Ledger.
type SharedStore interface {
	Store
	Lead(ctx context.Context) error
	Since(pos uint64) iter.Seq2[Record, error]
	Settle() error
}

// shared is a Ledger's state on a SharedStore. The fields but tell are guarded by the
// Ledger's mu.
type shared struct {
	*sharedlog.Log[Record] // the place on the log
	store                  SharedStore
	// The WithOnTier hook is told the tier changes of every record of the log, its own
	// and the other writers', in log order, once each record is known to be committed:
	// those of the records before durable. queue holds those not told yet.
	durable uint64
	queue   []queuedChange
	tell    sync.Mutex // one call of the hook at a time, in order
}

type queuedChange struct {
	pos uint64 // the record's position
	c   TierChange
}

// share puts the Ledger in shared mode if store is a SharedStore; n records were
// replayed from it.
func (l *Ledger) share(store Store, n int) {
	s, ok := store.(SharedStore)
	if !ok {
		return
	}
	l.sh = &shared{store: s, durable: uint64(n)}
	l.sh.Log = sharedlog.New(s, uint64(n), sharedlog.Owner{
		Mu:          &l.mu,
		Tail:        l.applyTail,
		Reread:      l.rebuild,
		ErrDiverged: ErrDiverged,
		Errorf:      errorf,
		Noun:        "log",
	})
}

// Position returns the number of log records the ledger holds on a SharedStore (0 on
// another store): after an event returns, a Position read on its Ledger covers it. Pass
// it to another replica, which calls CatchUp while its Position is below, to read your
// writes there.
func (l *Ledger) Position() uint64 {
	if l.zero() {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.sh == nil {
		return 0
	}
	return l.sh.Pos
}

// CatchUp applies the records other writers appended to a SharedStore since the Ledger
// last read it, and returns its position. When it returns, the Ledger answers as of at
// least every event acknowledged (on any replica) before CatchUp was called. Between
// calls, queries (Balance, Lots, Tier, TierHistory, TierChanges, Liability) answer as of
// the last CatchUp or event of this Ledger: a prefix of the log, never a partial
// decision. On a store that is not a SharedStore, CatchUp changes nothing.
//
// CatchUp holds the Ledger's lock while it applies, so it looks at ctx between records
// (every few hundred): when ctx is done it stops between two records and returns an
// error wrapping ctx.Err() that names the position it stopped at. On a store with
// SinceContext (see SharedStore), as referral/loyalty/pgstore has, ctx also ends a wait
// for the store's next records (a lock another session holds, a stalled connection). The
// Ledger then answers as of that prefix of the log, which Position counts, and the next
// CatchUp goes on from there. The rebuild that follows a failed Settle (which reads the
// whole log again) is not interrupted: it would start over at every call.
func (l *Ledger) CatchUp(ctx context.Context) (uint64, error) {
	if l.zero() {
		return 0, errZeroLedger
	}
	if ctx == nil { // refused as the event methods refuse it, not a panic
		return 0, fmt.Errorf("%w: catch up: nil context", ErrInvalid)
	}
	if err := ctx.Err(); err != nil {
		return 0, errorf("catch up: %w", err)
	}
	if l.sh == nil {
		return 0, nil
	}
	l.mu.Lock()
	err := l.sh.CatchUp(ctx)
	pos := l.sh.Pos
	l.mu.Unlock()
	l.tellChanges()
	return pos, err
}

// applyTail applies what other writers appended from position from on, and returns
// the position after the last record applied; when ctx is done it stops at a record
// boundary (every sharedlog.CheckEvery records). The caller holds mu.
func (l *Ledger) applyTail(ctx context.Context, from uint64) (uint64, error) {
	sh := l.sh
	pos := from
	var stopped error
	for r, err := range sharedlog.Since(ctx, sh.store, from) {
		if stopped = sharedlog.Stop(ctx, from, pos); stopped != nil {
			break
		}
		if err != nil && ctx.Err() != nil && errors.Is(err, ctx.Err()) {
			stopped = err
			break
		}
		if err != nil {
			return pos, errorf("read the shared log at record %d: %w", pos, err)
		}
		if err := l.replayShared(r, pos); err != nil {
			return pos, errorf("shared log record %d: %w", pos, err)
		}
		pos++
	}
	if pos > from {
		// A record is in the log only after every record before it committed: our own
		// appended before it too.
		sh.durable = pos
	}
	if stopped != nil {
		return pos, errorf("catch up with the shared log: stopped at record %d: %w", pos, stopped)
	}
	return pos, nil
}

// replayShared applies the record at position pos of the log, checked as replay
// checks it, queueing its tier changes for the hook if it was not told them yet. The
// caller holds mu.
func (l *Ledger) replayShared(r Record, pos uint64) error {
	if l.onTier == nil || l.st.keys[r.Key] != nil {
		return l.st.replay(r) // a record delivered twice changes nothing
	}
	if err := checkShape(&r, false); err != nil {
		return errorf("%w: %w", ErrCorrupt, err)
	}
	if err := l.st.check(&r, false); err != nil {
		return errorf("%w: %w", ErrCorrupt, err)
	}
	changes := l.applyTiers(l.st.keep(r), nil)
	if pos >= l.sh.durable {
		l.queue(pos, changes)
	}
	return nil
}

func (l *Ledger) queue(pos uint64, changes []TierChange) {
	for _, c := range changes {
		l.sh.queue = append(l.sh.queue, queuedChange{pos, c})
	}
}

// tellChanges calls the WithOnTier hook with the queued changes of committed records,
// in log order, without holding mu (the hook may read the ledger).
func (l *Ledger) tellChanges() {
	if l.onTier == nil {
		return
	}
	sh := l.sh
	sh.tell.Lock()
	defer sh.tell.Unlock()
	l.mu.Lock()
	n := 0
	for n < len(sh.queue) && sh.queue[n].pos < sh.durable {
		n++
	}
	told := append([]queuedChange(nil), sh.queue[:n]...)
	sh.queue = append(sh.queue[:0], sh.queue[n:]...)
	l.mu.Unlock()
	for _, q := range told {
		l.onTier(q.c)
	}
}

// rebuild reads the whole log again into a new state, after a failed Settle left the
// state holding records the log may lack, and returns the log's length. The caller
// holds mu.
func (l *Ledger) rebuild() (uint64, error) {
	sh := l.sh
	old, oldQueue := l.st, sh.queue
	l.st = newState(&l.rules)
	// The changes of records from durable on are told from the log as it is.
	keep := 0
	for keep < len(sh.queue) && sh.queue[keep].pos < sh.durable {
		keep++
	}
	sh.queue = append([]queuedChange(nil), sh.queue[:keep]...)
	var pos uint64
	for r, err := range sh.store.Records() {
		if err == nil {
			err = l.replayShared(r, pos)
		}
		if err != nil {
			l.st, sh.queue = old, oldQueue
			return 0, errorf("rebuild from the shared log at record %d: %w", pos, err)
		}
		pos++
	}
	sh.durable = pos
	return pos, nil
}

// unleadShared settles a lead, called without mu; end is the log position after the
// lead's records, durable once the Settle succeeds.
func (l *Ledger) unleadShared(gen, end uint64) error {
	sh := l.sh
	return sh.Unlead(gen, func() { sh.durable = max(sh.durable, end) })
}

// submitShared decides one event on the whole shared log and appends its record.
func (l *Ledger) submitShared(ctx context.Context, ev Record) (Record, error) {
	if err := checkShape(&ev, true); err != nil {
		return Record{}, err
	}
	gen, err := l.sh.Lead(ctx)
	if err != nil {
		return Record{}, errorf("%s event %q: %w", ev.Kind, ev.Key, err)
	}
	var rec Record
	r, dup, changes, err := l.decideLocked(ev, nil)
	if err == nil && r != nil {
		rec = r.clone()
		if !dup {
			l.queue(l.sh.Pos, changes)
			err = l.sh.Append([]*Record{r})
		}
	}
	end := l.sh.Pos
	l.mu.Unlock()
	if serr := l.unleadShared(gen, end); err == nil {
		err = serr
	}
	l.tellChanges()
	return rec, err
}

// applyShared is Apply on a SharedStore: applyChunk events per lead and flush.
func (l *Ledger) applyShared(ctx context.Context, events []Record) error {
	for start := 0; start < len(events); start += applyChunk {
		gen, err := l.sh.Lead(ctx)
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
			if err := ctxErr(ctx, ev.Kind, ev.Key); err != nil {
				failed = stopped(i, err)
				break
			}
			if err := checkShape(&ev, true); err != nil {
				failed = refused(i, err)
				break
			}
			r, dup, changes, err := l.decideLocked(ev, nil)
			if err != nil {
				failed = refused(i, err)
				break
			}
			if r != nil && !dup {
				l.queue(l.sh.Pos+uint64(len(recs)), changes)
				recs = append(recs, r)
			}
		}
		err = l.sh.Append(recs)
		end := l.sh.Pos
		l.mu.Unlock()
		if serr := l.unleadShared(gen, end); err == nil {
			err = serr
		}
		l.tellChanges()
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
