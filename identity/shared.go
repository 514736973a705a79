package identity

import (
	"context"
	"errors"
	"fmt"
	"iter"

	"github.com/clientele-go/clientele/internal/sharedlog"
)

// SharedStore is implemented by a Store that several resolvers, each in its own process,
// write at once: many writers, one graph. Every record has a position in the log, from 0
// (the configuration record). A resolver on a SharedStore decides each mutation on the
// whole log: it leads, applies what others appended since the records it holds, decides,
// appends, and settles. Because a decision is made on exactly the records before its
// position, every resolver that applies the log in order holds the same graph, and a
// resolver fed the log's events one by one would have decided the same.
//
// The contract, which package identity/pgstore implements over PostgreSQL:
//
//   - Lead blocks until the caller is the only writer of the log (across processes); the
//     lead lasts until the matching Settle returns. Each Lead that returns nil is
//     followed by exactly one Settle; Leads of one store may overlap (the resolver's
//     concurrent mutations share one lead and one flush, group commit).
//   - Since(pos) yields the records at positions pos, pos+1, ... that the log holds, in
//     order, never skipping one: a record is yielded only if every record before it is.
//     Called while leading, it yields every record others appended.
//   - Optionally, SinceContext(ctx, pos) yields what Since(pos) yields, but ends with
//     an error wrapping ctx.Err() once ctx is done, even while it waits for the store.
//     A resolver reads the log through it when the store has it, so that the ctx of
//     CatchUp or of a mutation ends such a wait; New given WithReplayContext replays
//     through SinceContext(ctx, 0) too, and reads Records instead when that refuses
//     at once with ErrDiverged, as Records (not Since) ends that refusal.
//   - Optionally, RecordsContext(ctx) yields what Records yields, ends the refusal as
//     Records does, and ends with an error wrapping ctx.Err() as SinceContext does. The
//     replay given WithReplayContext reads it in place of Records when the store has
//     it, so that ctx ends a wait of that read too.
//   - Append while leading buffers the records at the next positions; Settle makes every
//     record appended so far durable, or fails. When it fails, the records appended
//     since the last successful Settle may or may not be in the log (a connection lost
//     at commit leaves that unknown): later Appends fail, and Lead fails with an error
//     wrapping ErrDiverged until Records is called, with no lead open, to read the whole
//     log again (the resolver rebuilds itself from it and leads again).
//   - Append outside a lead (a single writer, or the conformance suite) appends at the
//     end of the log and is durable when it returns, as Store requires.
type SharedStore interface {
	Store
	Lead(ctx context.Context) error
	Since(pos uint64) iter.Seq2[[]byte, error]
	Settle() error
}

// Position returns the number of log records the resolver holds: after a mutation
// returns, a Position read on its resolver covers it. Pass it to CatchUp on another
// resolver over the same SharedStore to read your writes there.
func (r *Resolver) Position() uint64 {
	if r.zero() {
		return 0
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.pos
}

// CatchUp applies the records other writers appended to the shared store since the
// resolver last read it, and returns the resolver's position. OnMerge, OnSplit and
// OnForget report the changes those records made, in log order, here or in the next
// mutation of this resolver that applies them. When it returns, the
// resolver answers as of at least every decision acknowledged (a mutation that returned
// nil on any resolver) before CatchUp was called: a caller that got position p from a
// resolver and calls CatchUp on another once its Position is below p then reads its
// writes there. Lookups in between answer as of the last CatchUp or mutation (a
// consistent prefix of the log, never a partial decision). On a store that is not a
// SharedStore, CatchUp changes nothing.
//
// CatchUp holds the resolver's lock while it applies, so it looks at ctx between records
// (every few hundred): when ctx is done it stops between two records and returns an
// error wrapping ctx.Err() that names the position it stopped at. On a store with
// SinceContext (see SharedStore), as identity/pgstore has, ctx also ends a wait for the
// store's next records (a lock another session holds, a stalled connection). The
// resolver then answers as of that prefix of the log, which Position counts, the
// callbacks report the changes of the records applied, and the next CatchUp (or
// mutation) goes on from there. The rebuild that follows a failed Settle (which reads
// the whole log again) is not interrupted: it would start over at every call.
func (r *Resolver) CatchUp(ctx context.Context) (uint64, error) {
	if r.zero() {
		return 0, errZeroResolver
	}
	if err := checkCtx(ctx); err != nil {
		return 0, errorf("catch up: %w", err)
	}
	if r.shared == nil {
		return r.Position(), nil
	}
	r.mu.Lock()
	pos, err := r.catchUp(ctx)
	var rep changes
	tk := r.ticket(&rep)
	r.mu.Unlock()
	r.deliver(tk, true, func() { rep.run(true) })
	return pos, err
}

// catchUp is CatchUp under mu.
func (r *Resolver) catchUp(ctx context.Context) (uint64, error) {
	if r.failed != nil {
		return r.pos, r.failed
	}
	err := r.applyTail(ctx)
	if errors.Is(err, ErrDiverged) || r.diverged {
		// A Settle failed since the last read: read the whole log again, unless the
		// caller gave up already, as rebuild does not look at ctx (the next call will).
		r.diverged = true
		if cerr := ctx.Err(); cerr != nil {
			if err == nil || errors.Is(err, ErrDiverged) {
				err = errorf("catch up: rebuild from the shared store not begun: %w", cerr)
			}
			return r.pos, err
		}
		if err := r.rebuild(); err != nil {
			return r.pos, errorf("rebuild from the shared store: %w", err)
		}
		r.diverged = false
		err = r.applyTail(ctx)
	}
	return r.pos, err
}

// lead makes the resolver the only writer of a shared store and applies the records
// others appended, stopping as CatchUp does when ctx is done (the mutation then fails
// with ctx's error, deciding nothing); the caller holds mu and, on success, settles
// once after releasing it.
func (r *Resolver) lead(ctx context.Context) error {
	if r.shared == nil || r.led {
		return nil
	}
	err := r.shared.Lead(ctx)
	if errors.Is(err, ErrDiverged) || err == nil && r.diverged {
		// A Settle failed: the graph may hold records the log lacks. The resolver reads
		// the log again; until that succeeds it answers as of a prefix of the log.
		if err == nil {
			r.settle()
		}
		r.diverged = true
		if err := r.rebuild(); err != nil {
			return errorf("rebuild from the shared store: %w", err)
		}
		r.diverged = false
		err = r.shared.Lead(ctx)
	}
	if err != nil {
		return errorf("lead the shared store: %w", err)
	}
	if err := r.applyTail(ctx); err != nil {
		r.shared.Settle()
		return err
	}
	return nil
}

// settle ends a lead taken on an error path: nothing this mutation appended needs to
// be reported, but records appended before the error (a quarantine) are made durable.
func (r *Resolver) settle() {
	if r.shared != nil {
		r.sync()
	}
}

// applyTail applies the records of the shared store from the resolver's position on;
// when ctx is done it stops at a record boundary (every sharedlog.CheckEvery records).
// The caller holds mu.
func (r *Resolver) applyTail(ctx context.Context) error {
	d := decoder{seed: r.t.seed, hashes: true}
	var rec record
	from := r.pos
	for data, err := range sharedlog.Since(ctx, r.shared, from) {
		if err := sharedlog.Stop(ctx, from, r.pos); err != nil {
			return errorf("catch up with the shared store: stopped at record %d: %w", r.pos, err)
		}
		if err != nil && ctx.Err() != nil && errors.Is(err, ctx.Err()) {
			return errorf("catch up with the shared store: stopped at record %d: %w", r.pos, err)
		}
		if err != nil {
			return errorf("read the shared store at record %d: %w", r.pos, err)
		}
		if err := d.decode(data, &rec); err != nil {
			return fmt.Errorf("%w: shared store record %d: %v", ErrCorrupt, r.pos, err)
		}
		if err := r.applyAt(r.pos, &rec); err != nil {
			return errorf("shared store record %d: %w", r.pos, err)
		}
		r.pos++
	}
	return nil
}

// applyAt applies the record at position i of the log: the configuration record must
// come first and match the resolver's.
func (r *Resolver) applyAt(i uint64, rec *record) error {
	if i == 0 || rec.op == opConfig {
		if i != 0 || rec.op != opConfig {
			return fmt.Errorf("%w: a configuration record must be first and only first (type %d)", ErrCorrupt, rec.op)
		}
		if rec.hashed != (r.mac != nil) || rec.check != r.check {
			return fmt.Errorf("%w: %s", ErrKeyMismatch, r.keyMismatch(rec))
		}
		return nil
	}
	return r.applyRecord(rec, true)
}

// writeConfig appends the configuration record to an empty store; ctx bounds the lead
// of a shared one (New's WithReplayContext).
func (r *Resolver) writeConfig(ctx context.Context) error {
	var cfg record
	cfg.reset(opConfig)
	cfg.hashed, cfg.check = r.mac != nil, r.check
	if r.shared != nil {
		if err := r.shared.Lead(ctx); err != nil {
			return errorf("lead the shared store: %w", err)
		}
		if err := r.applyTail(ctx); err != nil {
			r.shared.Settle()
			return err
		}
		if r.pos > 0 { // another writer wrote it first
			return r.shared.Settle()
		}
	}
	if err := r.store.Append(cfg.encode(nil)); err != nil {
		r.settle()
		return errorf("write configuration record: %w", err)
	}
	r.pos++
	var err error
	switch {
	case r.shared != nil:
		err = r.shared.Settle()
	case r.syncer != nil:
		err = r.syncer.Sync()
	}
	if err != nil {
		return errorf("write configuration record: %w", err)
	}
	return nil
}

// rebuild replaces the resolver's state by a replay of its shared store, after a Settle
// failed: the records appended since the last successful Settle may or may not be in the
// log, so the graph the resolver holds may be ahead of it. The caller holds mu.
//
// It takes no context, though a rebuild applies the whole log under mu: init empties
// the graph in place before replay reads the log from record 0, so a rebuild stopped
// part-way keeps none of its work (the resolver stays diverged, answering as of the
// prefix read, and the next call rebuilds from record 0 again). A caller whose
// deadline is shorter than a rebuild would then stop every attempt, and the resolver
// would never leave that state.
func (r *Resolver) rebuild() error {
	if err := r.init(); err != nil {
		return err
	}
	r.t.deferred = true
	err := r.replay(context.Background()) // not interrupted: see above
	r.t.buildIndex()
	// replay keeps, in erasing, the values of Forget records the log still holds, for
	// New to finish the erasure with. A rebuild finishes none (the next New does), so
	// it drops them rather than hold another copy of erased values at every rebuild.
	r.erasing = nil
	return err
}
