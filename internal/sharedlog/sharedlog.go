// Package sharedlog is the replica side of the SDK's shared ledgers (referral.Program
// on a referral.SharedStore, loyalty.Ledger on a loyalty.SharedStore): one log that
// several owners, each in its own process, write at once. An owner decides each event
// on the whole log: it leads the store, applies the records others appended since the
// ones it holds, decides, appends and settles; after a failed Settle its state may hold
// records the log lacks, so it reads the whole log again before it decides anything
// more. The store's side of the contract is documented on referral.SharedStore.
//
// A [Log] keeps the owner's place on the log and runs those steps; what a record does
// to the owner's state stays with the owner, in two callbacks ([Owner.Tail] and
// [Owner.Reread]).
package sharedlog

import (
	"context"
	"errors"
	"iter"
	"sync"
)

// Store is the writing half of a shared store. Append while leading buffers records at
// the next positions; Settle ends the lead, making them durable or failing.
type Store[R any] interface {
	Lead(ctx context.Context) error
	Append(recs ...R) error
	Settle() error
}

// Since yields s's records from pos on, through s's SinceContext when it has one (the
// pgstores'): a ctx that ends while the store waits on the database (a lock, a stalled
// connection) ends the read, where Since alone would see it only once a record came.
func Since[R any](ctx context.Context, s interface {
	Since(pos uint64) iter.Seq2[R, error]
}, pos uint64) iter.Seq2[R, error] {
	if sc, ok := s.(interface {
		SinceContext(ctx context.Context, pos uint64) iter.Seq2[R, error]
	}); ok {
		return sc.SinceContext(ctx, pos)
	}
	return s.Since(pos)
}

// Whole yields the whole log of s, from position 0, for an owner's first read of it (the
// replay of its constructor, given a context): what s.Records() yields, read through s's
// SinceContext(ctx, 0) when s has one (the pgstores'), so that ctx also ends a wait for
// the database (a lock another session holds, a stalled connection). Records differs
// from SinceContext in one way: read with no lead open, it ends the refusal that follows
// a failed Settle (see referral.SharedStore), where SinceContext refuses, yielding only
// an error wrapping diverged (the owner's ErrDiverged). Whole does not pass such a
// refusal on but reads the log again as Records does, which ends it: through s's
// RecordsContext(ctx) when s has one (the pgstores'), so that ctx ends that read's waits
// too, and through Records otherwise (whose waits ctx then does not end). So the owner
// reads what Records would have given it, and leaves the store as Records leaves it.
func Whole[R any](ctx context.Context, s interface {
	Records() iter.Seq2[R, error]
}, diverged error) iter.Seq2[R, error] {
	sc, ok := s.(interface {
		Since(pos uint64) iter.Seq2[R, error]
		SinceContext(ctx context.Context, pos uint64) iter.Seq2[R, error]
	})
	if !ok {
		return s.Records()
	}
	return func(yield func(R, error) bool) {
		first, refused := true, false
		for r, err := range sc.SinceContext(ctx, 0) {
			if first && err != nil && errors.Is(err, diverged) {
				refused = true
				break
			}
			first = false
			if !yield(r, err) {
				return
			}
		}
		if !refused {
			return
		}
		for r, err := range records(ctx, s) {
			if !yield(r, err) {
				return
			}
		}
	}
}

// records is s's RecordsContext(ctx) when s has one, its Records otherwise.
func records[R any](ctx context.Context, s interface {
	Records() iter.Seq2[R, error]
}) iter.Seq2[R, error] {
	if rc, ok := s.(interface {
		RecordsContext(ctx context.Context) iter.Seq2[R, error]
	}); ok {
		return rc.RecordsContext(ctx)
	}
	return s.Records()
}

// Owner is what a [Log] needs of the ledger it serves.
type Owner struct {
	// Mu is the owner's mutex, which guards its state and the Log's fields.
	Mu *sync.Mutex
	// Tail applies the records the store holds from position from on, with Mu held,
	// and returns the position after the last one applied (also when it fails). It
	// stops at a record boundary when ctx is done (see [Stop]).
	Tail func(ctx context.Context, from uint64) (uint64, error)
	// Reread builds the owner's state again from the whole log, with Mu held, and
	// returns the log's length; when it fails the state is as it was. It takes no
	// context: see [Log.CatchUp].
	Reread func() (uint64, error)
	// ErrDiverged is the owner's sentinel that Lead and Since wrap after a failed
	// Settle; Errorf wraps an error with the owner's package prefix; Noun names the
	// log in messages ("ledger", "log").
	ErrDiverged error
	Errorf      func(format string, args ...any) error
	Noun        string
}

// Log is an owner's place on a shared log. Its fields are guarded by the owner's Mu.
type Log[R any] struct {
	Pos      uint64 // log records applied
	Diverged bool   // a Settle failed: the state may hold records the log lacks
	Rebuilds uint64 // times the state was read again from the log

	store Store[R]
	o     Owner
}

// New returns the place of an owner that holds the first pos records of store's log.
func New[R any](store Store[R], pos uint64, o Owner) *Log[R] {
	return &Log[R]{Pos: pos, store: store, o: o}
}

// CheckEvery is how many records a Tail applies between looks at its context: a
// replica far behind a busy log may apply hundreds of thousands of records in one
// catch-up, holding the owner's lock, and a caller that gives up must not wait for all
// of them; a look every few hundred records costs nothing beside applying them.
const CheckEvery = 256

// Stop is what a Tail that began at position from calls before it applies the record
// at position pos: every CheckEvery records it returns ctx's error, so that the Tail
// stops there, having applied the records before pos.
func Stop(ctx context.Context, from, pos uint64) error {
	if pos == from || (pos-from)%CheckEvery != 0 {
		return nil
	}
	return ctx.Err()
}

// CatchUp applies what other writers appended since the owner's position, first
// reading the whole log again if a Settle failed. The caller holds Mu.
//
// When ctx is done the Tail stops at a record boundary: Pos counts the records
// applied, a prefix of the log, and a later CatchUp goes on from there. A rebuild is
// not interrupted: it starts from the first record each time, so one stopped by a
// deadline shorter than it would be started again by every call and never finish,
// leaving the owner diverged for good. A rebuild that ctx, done already, finds needed
// is not begun: Diverged stays set, and the next call rebuilds.
func (g *Log[R]) CatchUp(ctx context.Context) error {
	err := g.applyTail(ctx)
	if errors.Is(err, g.o.ErrDiverged) || err == nil && g.Diverged {
		if cerr := ctx.Err(); cerr != nil {
			// The caller gave up already: the next call rebuilds.
			g.Diverged = true
			return g.o.Errorf("catch up: rebuild from the shared %s not begun: %w", g.o.Noun, cerr)
		}
		if err = g.rebuild(); err == nil {
			err = g.applyTail(ctx)
		}
	}
	return err
}

// applyTail applies what other writers appended since the owner's position. The
// caller holds Mu.
func (g *Log[R]) applyTail(ctx context.Context) error {
	pos, err := g.o.Tail(ctx, g.Pos)
	g.Pos = pos
	return err
}

// rebuild reads the whole log again into a new state, after a failed Settle left the
// state holding records the log may lack. The caller holds Mu.
func (g *Log[R]) rebuild() error {
	pos, err := g.o.Reread()
	if err != nil {
		return err
	}
	g.Pos, g.Diverged = pos, false
	g.Rebuilds++
	return nil
}

// Lead makes the owner the log's only writer and brings its state up to the log's
// end, stopping as CatchUp does when ctx is done; on success the caller holds Mu and
// must call Unlead with gen.
func (g *Log[R]) Lead(ctx context.Context) (gen uint64, err error) {
	mu := g.o.Mu
	err = g.store.Lead(ctx)
	mu.Lock()
	if errors.Is(err, g.o.ErrDiverged) || err == nil && g.Diverged {
		// A Settle failed: the state may hold records the log lacks. Read the log
		// again, with no lead of ours open, and lead again.
		mu.Unlock()
		if err == nil {
			g.store.Settle()
		}
		mu.Lock()
		err = g.rebuild()
		mu.Unlock()
		if err != nil {
			return 0, err
		}
		err = g.store.Lead(ctx)
		mu.Lock()
	}
	if err != nil {
		mu.Unlock()
		return 0, g.o.Errorf("lead the shared %s: %w", g.o.Noun, err)
	}
	if err := g.applyTail(ctx); err != nil {
		gen := g.Rebuilds
		mu.Unlock()
		g.Unlead(gen, nil)
		return 0, err
	}
	return g.Rebuilds, nil
}

// Unlead settles a lead, called without Mu. If the Settle fails, the owner's state may
// hold records the log lacks: unless it was rebuilt since the lead began (by another
// caller that met the failure first), it is marked for a rebuild. If the Settle
// succeeds, settled (if not nil) is called with Mu held when the state was not rebuilt
// since the lead began.
func (g *Log[R]) Unlead(gen uint64, settled func()) error {
	err := g.store.Settle()
	if err == nil && settled == nil {
		return nil
	}
	g.o.Mu.Lock()
	defer g.o.Mu.Unlock()
	if err != nil {
		if g.Rebuilds == gen {
			g.Diverged = true
		}
		return g.o.Errorf("ledger append failed, the events may or may not be recorded (retry them: an event is recorded once per key): %w", err)
	}
	if g.Rebuilds == gen {
		settled()
	}
	return nil
}

// Append buffers decided records under the lead. The caller holds Mu.
func (g *Log[R]) Append(recs []*R) error {
	if len(recs) == 0 {
		return nil
	}
	vals := make([]R, len(recs))
	for i, r := range recs {
		vals[i] = *r
	}
	if err := g.store.Append(vals...); err != nil {
		g.Diverged = true // the state holds them; the log does not
		return g.o.Errorf("ledger append failed: %w", err)
	}
	g.Pos += uint64(len(recs))
	return nil
}
