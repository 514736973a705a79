package identity

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"slices"
	"time"
)

// Unmerge splits the identifier id off its profile at time at, with the evidence it
// brought: every recorded link that joined id to other identifiers stops counting for it,
// and its old profile is recomputed from the links that remain (only that profile is
// touched). The identifier ends alone in a profile of its own; the rest may fall into
// several pieces if id was what held them together. Each piece keeps the oldest key first
// issued to one of its identifiers (a fresh key if it holds none), so keys are stable
// and undoing a wrong merge gives back the keys it absorbed. The Split says what became
// of the profile; OnSplit reports it when the profile was divided.
//
// Later events that carry id link it again as usual: Unmerge corrects the past, it does
// not forbid the future (block the value, or rely on limits, for that). Unmerge fails
// with ErrNotFound for an identifier the resolver does not hold.
func (r *Resolver) Unmerge(ctx context.Context, at time.Time, id ID) (Split, error) {
	if r.zero() {
		return Split{}, errZeroResolver
	}
	if err := checkCtx(ctx); err != nil {
		return Split{}, errorf("unmerge: %w", err)
	}
	nanos, err := checkTime(at)
	if err != nil {
		return Split{}, errorf("unmerge: %w", err)
	}
	if err := r.checkOne(id); err != nil {
		return Split{}, errorf("unmerge: %w", err)
	}
	r.mu.Lock()
	if r.failed != nil {
		r.mu.Unlock()
		return Split{}, r.failed
	}
	if err := r.lead(ctx); err != nil {
		r.mu.Unlock()
		return Split{}, errorf("unmerge: %w", err)
	}
	n := r.find(id)
	if n == 0 {
		r.mu.Unlock()
		r.settle()
		return Split{}, fmt.Errorf("%w: unmerge %s", ErrNotFound, shownID(id))
	}
	rec := &r.rec
	rec.reset(opUnmerge)
	rec.at = nanos
	rec.members = append(rec.members, member{node: n, status: stUnmerged})
	if err := r.g.check(rec); err != nil {
		r.mu.Unlock()
		r.settle()
		return Split{}, errorf("unmerge %s: %w", shownID(id), err)
	}
	if err := r.persist(rec); err != nil {
		r.mu.Unlock()
		r.settle()
		return Split{}, err
	}
	from, into := r.g.applyUnmerge(rec)
	s := Split{Profile: from, Into: slices.Clone(into), ID: r.storedID(n), At: at}
	slices.Sort(s.Into)
	var rep changes
	if len(into) > 1 && r.on.split != nil {
		rep.own = append(rep.own, func() { r.on.split(s) })
	}
	tk := r.ticket(&rep)
	r.mu.Unlock()
	err = r.sync()
	r.deliver(tk, true, func() { rep.run(err == nil) })
	return s, err
}

// Forget erases the profiles that now hold the given keys (see Current), for a person's
// right to be forgotten: their identifiers' values are overwritten in memory, removed
// from the lookup index, and every key the profiles held is retired (Current returns 0;
// Link will treat the values as never seen). Links recorded with other profiles stay, so
// the rest of the graph is unchanged. The erasure is recorded in the history; if the
// store is a Compacter, Forget then rewrites it without the forgotten values before it
// returns, so no copy remains in the log (this rewrites the whole store: batch requests
// into one call). If the store is also a Scrubber (FileStore is), Forget first has it
// overwrite the values in the copies it keeps outside its records, RepairFile's side
// files, and rewrites only once that succeeded. If the scrub or the rewrite fails or the
// process dies during either, the erasure is still recorded: Forget returns the error,
// and New, when it next opens the store, finds the values that the record erases still
// in the log and scrubs and rewrites before it returns (or fails). With another store
// the values remain in its older records until the host calls Compact on a store that
// supports it or rebuilds it. A copy that damage altered inside a value is not found
// by the scrub (FileStore.Scrub, RELIABILITY.md).
//
// Forget fails with ErrNotFound, and erases nothing, if any key is unknown or already
// forgotten. OnForget reports the retired keys. Forget with no keys does nothing.
func (r *Resolver) Forget(ctx context.Context, at time.Time, profiles ...uint32) error {
	if r.zero() {
		return errZeroResolver
	}
	if err := checkCtx(ctx); err != nil {
		return errorf("forget: %w", err)
	}
	nanos, err := checkTime(at)
	if err != nil {
		return errorf("forget: %w", err)
	}
	if len(profiles) == 0 {
		// A batch of erasure requests that came out empty erases nothing: it must not
		// rewrite the whole store or report a Forgotten with no keys.
		return nil
	}
	r.mu.Lock()
	if r.failed != nil {
		r.mu.Unlock()
		return r.failed
	}
	if err := r.lead(ctx); err != nil {
		r.mu.Unlock()
		return errorf("forget: %w", err)
	}
	var keys []uint32
	for _, p := range profiles {
		k := r.g.current(p)
		if k == 0 {
			r.mu.Unlock()
			r.settle()
			return fmt.Errorf("%w: forget profile %d", ErrNotFound, p)
		}
		if !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	recs := make([]*record, len(keys))
	for i, k := range keys {
		nodes := r.g.members(k, nil)
		slices.Sort(nodes)
		rec := &record{op: opForget, at: nanos, key: k}
		for _, n := range nodes {
			rec.members = append(rec.members, member{node: n, status: stForgot})
		}
		recs[i] = rec
	}
	if err := r.persist(recs...); err != nil {
		r.mu.Unlock()
		r.settle()
		return err
	}
	var erased [][]byte // the values as stored, for a Scrubber; applyForget overwrites them
	if _, ok := r.store.(Scrubber); ok {
		for _, rec := range recs {
			for _, m := range rec.members {
				if _, v := r.t.record(m.node); len(v) > 0 {
					erased = append(erased, slices.Clone(v))
				}
			}
		}
	}
	var retired []uint32
	for _, rec := range recs {
		retired = append(retired, r.g.applyForget(rec)...)
	}
	slices.Sort(retired)
	var cerr error
	if c, ok := r.store.(Compacter); ok {
		cerr = r.compact(context.Background(), c, erased)
	}
	var rep changes
	if r.on.forget != nil {
		f := Forgotten{Profiles: retired, At: at}
		rep.own = append(rep.own, func() { r.on.forget(f) })
	}
	tk := r.ticket(&rep)
	r.mu.Unlock()
	err = errors.Join(r.sync(), cerr)
	r.deliver(tk, true, func() { rep.run(err == nil) })
	return err
}

// Compact rewrites the store with the resolver's history as it now stands: the same
// records, less the values of forgotten identifiers. It fails with errors.ErrUnsupported
// if the store is not a Compacter (or there is no store). Mutations wait while it runs.
func (r *Resolver) Compact() error {
	if r.zero() {
		return errZeroResolver
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	c, ok := r.store.(Compacter)
	if !ok {
		return errorf("compact: store %T: %w", r.store, errors.ErrUnsupported)
	}
	return r.compactLed(context.Background(), c, nil)
}

// compactLed compacts outside a mutation. On a SharedStore the resolver leads first and
// applies what others appended, so that the history it writes is the whole log rather
// than a prefix of it; ctx bounds that lead (New's WithReplayContext), and the rewrite
// (see compact). The caller holds mu (or, in New, is the resolver's only user).
func (r *Resolver) compactLed(ctx context.Context, c Compacter, erased [][]byte) error {
	if r.shared == nil {
		return r.compact(ctx, c, erased)
	}
	if err := r.lead(ctx); err != nil {
		return errorf("compact: %w", err)
	}
	return errors.Join(r.compact(ctx, c, erased), r.sync())
}

// compact rewrites the store; erased are the values, as stored, of an erasure that the
// rewrite completes. A Scrubber overwrites their side copies first, and a failed scrub
// skips the rewrite: the store's records then still hold the values, so the erasure
// still reads as unfinished and the next New scrubs and rewrites again. Rewriting first
// would lose the values the scrub needs if the process died between the two. A ctx
// that can end (New's WithReplayContext) bounds the rewrite on a store with
// CompactContext (see Compacter); otherwise the store's Compact runs, as ever.
func (r *Resolver) compact(ctx context.Context, c Compacter, erased [][]byte) error {
	if s, ok := c.(Scrubber); ok && len(erased) > 0 {
		if err := s.Scrub(erased); err != nil {
			return errorf("compact: scrub erased values: %w", err)
		}
	}
	var err error
	if cc, ok := c.(interface {
		CompactContext(context.Context, iter.Seq[[]byte]) error
	}); ok && ctx.Done() != nil {
		err = cc.CompactContext(ctx, r.encodedHistory())
	} else {
		err = c.Compact(r.encodedHistory())
	}
	if err != nil {
		return errorf("compact: %w", err)
	}
	return nil
}

// encodedHistory yields the configuration record and then every record of the history,
// encoded with values (erased ones marked as such). The caller holds mu.
func (r *Resolver) encodedHistory() iter.Seq[[]byte] {
	return func(yield func([]byte) bool) {
		var cfg record
		cfg.reset(opConfig)
		cfg.hashed, cfg.check = r.mac != nil, r.check
		buf := cfg.encode(nil)
		if !yield(buf) {
			return
		}
		for rec := range r.g.records(true) {
			buf = rec.encode(buf[:0])
			if !yield(buf) {
				return
			}
		}
	}
}
