package loyalty

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"sync"

	"github.com/clientele-go/clientele/internal/english"
	"github.com/clientele-go/clientele/internal/groupcommit"
	"github.com/clientele-go/clientele/internal/option"
	"github.com/clientele-go/clientele/internal/sharedlog"
)

// Ledger runs a loyalty programme over a [Store]. Every event is checked against the
// ledger, completed with the ledger's decisions (see [Record]) and appended; the state
// is rebuilt by replaying the store on [Open], so the records are the whole truth and a
// retried event (same key) is recognised after a restart too.
//
// A Ledger is safe for concurrent use. Events are decided one at a time; their records
// are then appended by group commit: the events decided while one Store.Append runs
// share the next (for the file store, one frame and one fsync), and each call returns
// once its own record is durable. An event that fails its checks writes nothing and
// changes nothing. If the store fails an append, the events of that batch may or may
// not be durable, so the Ledger stops: every later event returns the store's error, and
// the host opens the store again. Queries read the decided state, which may include
// events whose append is in flight.
//
// On a [SharedStore] several Ledgers, one per process, share one log: each event is
// decided on the whole log under the store's lead, and a failed append makes the Ledger
// read the log again at its next event rather than stop (see SharedStore).
//
// Make one with Open. The zero Ledger, and a nil *Ledger (the one Open returns with an
// error), have no ledger and are not ready for use, but do not panic: their methods that
// return an error fail with ErrInvalid saying so, and the queries answer with zero values
// (a zero Balance and TierStatus, no Lots, no tier changes).
type Ledger struct {
	rules  Rules
	store  Store
	onTier func(TierChange)
	sh     *shared // when store is a SharedStore

	mu      sync.Mutex // guards st, changes, the group's state and sh (but sh.tell)
	st      *state
	group   *groupcommit.Group[queued]
	scratch []Record     // the values the leader hands Store.Append, reused: stores copy what they keep
	changes []TierChange // decide's scratch for an event's tier changes
}

// zero reports whether l is the zero or a nil Ledger (see Ledger): Open always sets
// store, and nothing sets it again. (Not st, which a shared log's rebuild replaces under
// mu while another call, unlocked here, reads it.) The exported methods check it first,
// once per call.
func (l *Ledger) zero() bool {
	return l == nil || l.store == nil
}

// queued is an entry of a group-commit batch: a decided record, or (rec nil) a tier
// change it caused, reported to onTier once the batch is durable.
type queued struct {
	rec    *Record
	change *TierChange // rare: a pointer keeps the common entry at two words
}

// An Option configures a Ledger. An option given a bad value makes Open fail with
// ErrInvalid naming the option.
type Option func(*config) error

// config is what the options set.
type config struct {
	onTier func(TierChange)
	ctx    context.Context // WithReplayContext; nil: none
}

// WithOnTier calls fn with every tier change an event causes, once the event is
// durable, one call at a time and in ledger order: the hook that keeps segment tags
// of the current tiers live. Changes that time alone causes (an order leaving the
// window, a grace period ending) are known only when time gets there: a host reads
// them with [Ledger.TierChanges] on a ticker, and fn also receives those that an
// event reveals when it arrives. Replay on Open calls nothing. fn runs while the ledger
// hands its next batch to the store: it may read the ledger (Balance, Tier) but must
// not record events on it, which would wait for fn forever. On a SharedStore fn hears
// the changes of every replica's events, in log order.
//
// A change may be dated before the host's clock: a merge is dated at the members' last
// events (see ApplyMerge), and may lift, keep or drop the survivor's tier there and so
// move or cancel the changes time was to make after it, some of which a tick may have
// applied already. So fn should set the member's tag from [Ledger.Tier] as of the
// host's now rather than from the change's To, and a merge tells fn of both its
// members even when their tiers at its instant stay (From == To). (A host that records
// other events dated before its last tick retags their members itself.)
func WithOnTier(fn func(TierChange)) Option {
	return func(c *config) error {
		if fn == nil {
			return fmt.Errorf("%w: WithOnTier: nil function", ErrInvalid)
		}
		c.onTier = fn
		return nil
	}
}

// WithReplayContext makes ctx bound the replay Open performs: when ctx is done before
// the replay ends, Open stops it and fails with an error wrapping ctx.Err()
// (errors.Is(err, context.Canceled) or context.DeadlineExceeded) that says how many
// records it had replayed, and returns no Ledger; a ctx done already fails Open before
// it reads the store. A host that starts on a long log, or on a PostgreSQL that answers
// slowly, so stays able to stop (on SIGTERM, say) while Open runs. The replay looks at
// ctx every few hundred records; on a SharedStore with SinceContext and RecordsContext,
// as referral/loyalty/pgstore has, ctx also ends a wait for the store (a lock another
// session holds, a stalled connection; after a failed flush too), which Options.Timeout
// there ends only after Timeout, and never when it is zero. On another store a wait
// inside its Records ends when the store returns.
//
// ctx bounds Open only: the Ledger does not keep it, and its later calls (the events,
// CatchUp, the rebuild of a shared log after a failed Settle) take their own. A nil ctx
// is ErrInvalid.
func WithReplayContext(ctx context.Context) Option {
	return func(c *config) error {
		if ctx == nil {
			return fmt.Errorf("%w: WithReplayContext: nil context", ErrInvalid)
		}
		c.ctx = ctx
		return nil
	}
}

// Open replays store into a ledger run by rules. The rules may differ from those the
// records were decided under: recorded points stand, new events follow rules, and
// tiers are evaluated under rules.
func Open(store Store, rules Rules, opts ...Option) (*Ledger, error) {
	rules, err := rules.withDefaults()
	if err != nil {
		return nil, err
	}
	if store == nil {
		return nil, fmt.Errorf("%w: open: nil store", ErrInvalid)
	}
	var c config
	if err := option.Apply(&c, opts, ErrInvalid, "open"); err != nil {
		return nil, err
	}
	l := &Ledger{rules: rules, store: store, onTier: c.onTier}
	l.group = groupcommit.New(&l.mu, l.flush)
	l.st = newState(&l.rules)
	n, err := l.replayOpen(c.ctx)
	if err != nil {
		return nil, err
	}
	l.share(store, n)
	return l, nil
}

// replayOpen replays the store into the new Ledger's state and returns the records it
// holds. Given a ctx (WithReplayContext), it stops when ctx is done, looking at it every
// sharedlog.CheckEvery records, and reads a SharedStore through SinceContext when it
// has one, so that ctx ends a wait for the store too (see sharedlog.Whole: what it reads,
// and how it leaves the store, are what Records would give).
func (l *Ledger) replayOpen(ctx context.Context) (int, error) {
	recs := l.store.Records
	if ctx != nil {
		if err := ctx.Err(); err != nil {
			return 0, errorf("open: replay stopped after 0 records: %w", err)
		}
		// Whole reads Records when the store has no SinceContext.
		recs = func() iter.Seq2[Record, error] { return sharedlog.Whole(ctx, l.store, ErrDiverged) }
	}
	n := 0
	for r, err := range recs() {
		if ctx != nil {
			stopped := sharedlog.Stop(ctx, 0, uint64(n))
			if stopped == nil && err != nil && ctx.Err() != nil && errors.Is(err, ctx.Err()) {
				stopped = err // the store's wait ended with ctx (SinceContext)
			}
			if stopped != nil {
				return n, errorf("open: replay stopped after %s: %w", english.Count(n, "record"), stopped)
			}
		}
		if err != nil {
			return n, errorf("open: record %d: %w", n, err)
		}
		if err := l.st.replay(r); err != nil {
			return n, errorf("open: record %d: %w", n, err)
		}
		n++
	}
	return n, nil
}

// replay applies a stored record; a record that could not have been decided (bad
// fields, a spend not covered, a key reused) fails with ErrCorrupt.
func (s *state) replay(r Record) error {
	if first := s.keys[r.Key]; first != nil {
		if !sameRecord(first, &r) {
			return fmt.Errorf("%w: %s record %q differs from the first record of that key", ErrCorrupt, r.Kind, r.Key)
		}
		return nil // delivered twice
	}
	if err := checkShape(&r, false); err != nil {
		return fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	if err := s.check(&r, false); err != nil {
		return fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	s.apply(s.keep(r))
	return nil
}

// keep copies r into the state's slab. Records are kept for good (the keys point to
// them), so allocating them 256 at a time costs the collector nothing.
func (s *state) keep(r Record) *Record {
	if len(s.slab) == cap(s.slab) {
		s.slab = make([]Record, 0, 256)
	}
	s.slab = append(s.slab, r)
	return &s.slab[len(s.slab)-1]
}

// submit decides ev and returns its record once durable: ev's, or the first record of
// its key (a retry waits until the first is durable too).
func (l *Ledger) submit(ctx context.Context, ev Record) (Record, error) {
	if err := ctxErr(ctx, ev.Kind, ev.Key); err != nil {
		return Record{}, err
	}
	if l.sh != nil {
		return l.submitShared(ctx, ev)
	}
	r, b, lead, err := l.decide(ev, true)
	var rec Record
	if r != nil {
		rec = r.clone() // outside the lock: a kept record never changes
	}
	switch {
	case err != nil || b == nil:
		return rec, err
	case lead:
		return rec, l.group.Lead(b)
	}
	return rec, l.group.Wait(b) // a leader is flushing: it or its successor flushes b
}

// ctxErr returns ctx's error, if it is done, naming the event it stopped, as every
// other error of an event does, so that a log line of Apply's says which event a done
// context left unrecorded, not only its index. A nil ctx is a caller error, refused as
// referral and identity refuse it, not a panic.
func ctxErr(ctx context.Context, kind Kind, key string) error {
	if ctx == nil {
		return fmt.Errorf("%w: %s event %q: nil context", ErrInvalid, kind, key)
	}
	if err := ctx.Err(); err != nil {
		return notRecorded(kind, key, err)
	}
	return nil
}

// notRecorded is the error of an event that Apply or an event method stopped before,
// for a reason outside it (err: a done context, a failed lead of a shared store),
// naming the event as the event's own errors do.
func notRecorded(kind Kind, key string, err error) error {
	return errorf("%s event %q not recorded: %w", kind, key, err)
}

// decide checks ev, decides it, applies it and queues its record, and returns the
// record kept (never changed after: the caller copies it without the lock). For a
// repeated event it returns the first record of its key and the batch to wait for so
// that the first is durable: the open batch, which follows the first record's, or the
// one being appended (nil if none). With claim, the caller leads (lead) if no leader is
// appending, and otherwise may wait for the batch without a second turn of the lock.
func (l *Ledger) decide(ev Record, claim bool) (*Record, *groupcommit.Batch[queued], bool, error) {
	if err := checkShape(&ev, true); err != nil {
		return nil, nil, false, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.group.Err(); err != nil {
		return nil, nil, false, err
	}
	r, dup, changes, err := l.decideLocked(ev, l.changes[:0])
	switch {
	case err != nil || r == nil:
		return nil, nil, false, err
	case dup:
		b := l.group.Pending()
		return r, b, b != nil && claim && l.group.Claim(), nil
	}
	b := l.group.Add(queued{rec: r})
	for i := range changes {
		l.group.Add(queued{change: &changes[i]})
	}
	if len(changes) > 0 {
		l.changes = nil // the batch points into it
	} else {
		l.changes = changes
	}
	lead := claim && l.group.Claim()
	return r, b, lead, nil
}

// decideLocked decides ev, whose shape checkShape accepted, on the state and applies
// it: it returns the record kept, and changes with the tier changes it caused appended
// (when a WithOnTier hook wants them). A repeated event returns the first record of
// its key and dup; an event that changes nothing (a merge of one member) returns nil.
// The caller holds mu.
func (l *Ledger) decideLocked(ev Record, changes []TierChange) (r *Record, dup bool, _ []TierChange, err error) {
	if first := l.st.keys[ev.Key]; first != nil {
		if !l.st.sameRedirected(first, ev) {
			return nil, false, changes, fmt.Errorf("%w: %s event %q", ErrKeyReused, ev.Kind, ev.Key)
		}
		return first, true, changes, nil
	}
	// Events naming an absorbed member go to the member that absorbed it (see ApplyMerge).
	ev.Member = l.st.resolve(ev.Member)
	if ev.Kind == KindMerge {
		ev.Absorbed = l.st.resolve(ev.Absorbed)
		if ev.Member == ev.Absorbed {
			return nil, false, changes, nil // already one member: nothing to record
		}
		ev.At = l.st.mergeDate(ev.Member, ev.Absorbed)
	}
	if err := l.st.check(&ev, true); err != nil {
		return nil, false, changes, err
	}
	l.st.decide(&ev)
	if err := l.st.checkVolume(&ev); err != nil {
		return nil, false, changes, err
	}
	ev.Lines = cloneLines(ev.Lines)
	r = l.st.keep(ev)
	return r, false, l.applyTiers(r, changes), nil
}

// applyTiers applies r, kept in the state, and appends to changes the tier changes it
// caused if a WithOnTier hook wants them. The caller holds mu.
func (l *Ledger) applyTiers(r *Record, changes []TierChange) []TierChange {
	if l.onTier == nil {
		l.st.apply(r)
		return changes
	}
	ms := []*member{l.st.member(r.Member)}
	if r.Kind == KindMerge {
		ms = append(ms, l.st.member(r.Absorbed))
	}
	seen := make([]int, len(ms))
	for i, m := range ms {
		seen[i] = len(m.tier.hist)
	}
	l.st.apply(r)
	for i, m := range ms {
		for _, c := range m.tier.hist[seen[i]:] {
			changes = append(changes, l.rules.change(m.id, c))
		}
		if r.Kind == KindMerge && len(m.tier.hist) == seen[i] {
			// The merge may have moved the member's later changes: tell it anyway.
			lv := int16(m.tier.level)
			changes = append(changes, l.rules.change(m.id, tierChange{r.At.UnixNano(), lv, lv}))
		}
	}
	return changes
}

func cloneLines(ls []Line) []Line {
	if len(ls) == 0 {
		return nil
	}
	return append([]Line(nil), ls...)
}

// flush appends a batch's records in one Store.Append and, once they are durable,
// reports their tier changes: the group commit's flush, run by one leader at a time.
// A failed append stops the ledger (see Ledger).
func (l *Ledger) flush(batch []queued) error {
	vals := l.scratch[:0]
	for _, q := range batch {
		if q.rec != nil {
			vals = append(vals, *q.rec)
		}
	}
	err := l.store.Append(vals...)
	if cap(vals) <= 1<<14 {
		l.scratch = vals[:0] // one huge Apply does not pin its batch's size
	}
	if err != nil {
		return errorf("ledger append failed, ledger stopped: %w", err)
	}
	if l.onTier != nil {
		for _, q := range batch {
			if q.rec == nil {
				l.onTier(*q.change)
			}
		}
	}
	return nil
}

// Apply records events (records as the host would pass them to Earn, Spend, Refund,
// Bonus and Adjust, with the ledger's fields empty), in order, each atomic and
// idempotent by its key. It returns once every recorded event is durable. A bulk
// import or a queue consumer uses Apply to hand many events to group commit at once:
// every 1,024 events are committed in the background while the next are decided.
//
// Apply stops at the first event that fails, before a done ctx's next event, or, on a
// SharedStore, at the event before which it failed to lead the shared log, and
// returns an [*EventError] (errors.As) whose Index is that event's, on every store. It
// wraps the cause, so errors.Is finds the event's sentinel (ErrInvalid, say), ctx's
// error or the store's, and the message names the index ("loyalty: apply event 7:
// ..."). Its Permanent field says whose fault it is: set, the event's own (it is
// malformed or refused; a consumer dead-letters it and goes on with the next); not
// set, a reason outside the event (ctx, the store; a consumer sends event Index and
// those after it again later). Then events[:Index] are durable, unless an
// AppendError in the same error names a lower Lo (below), and event Index and those
// after it are not recorded.
//
// If the store fails to append events of the call, Apply returns an [*AppendError]
// wrapping the store's error (see Ledger: the ledger stops, or on a SharedStore reads
// the log again), on every store: its Lo and Hi say which events the failed append
// held, events[Lo:Hi], which may or may not be recorded; events[:Lo] are durable and
// events[Hi:] are not recorded. When an event fails and an append of the events before
// it fails too, the error wraps both, on every store: errors.Is finds the event's
// sentinel (ErrInvalid, say) and the store's error, errors.As both the EventError and
// the AppendError, and the message names the event's index and then the failed append's
// events. The caller then does what each asks: it sends events[Lo:] again up to the
// failed event (each is recorded once per key), on a Ledger opened again if this one
// stopped, and fixes or drops the failed event. An Apply that stopped only because the
// Ledger had stopped at an earlier failed append returns the AppendError alone, with
// Lo == Hi, the event it stopped at.
func (l *Ledger) Apply(ctx context.Context, events ...Record) error {
	if l.zero() {
		return errZeroLedger
	}
	if ctx == nil { // refused before any event, as the event methods refuse it
		return fmt.Errorf("%w: apply: nil context", ErrInvalid)
	}
	if l.sh != nil {
		return l.applyShared(ctx, events)
	}
	return applyError(l.group.Bulk(len(events), applyChunk, func(i int) (*groupcommit.Batch[queued], error) {
		if err := ctxErr(ctx, events[i].Kind, events[i].Key); err != nil {
			return nil, stopped(i, err)
		}
		_, b, _, err := l.decide(events[i], false)
		if err != nil {
			// The event's own fault, but for the error of a stopped Ledger, which is
			// not the event's: Bulk reports that one as the failed append alone (Lo ==
			// Hi), and applyError drops this EventError for it.
			return nil, refused(i, err)
		}
		return b, nil
	}))
}

// applyError is the error of an Apply that stopped at an event (failed, an
// EventError) or whose append failed (f), or both: groupcommit.BulkError under the
// package's prefix, with the AppendError made of f.
func applyError(f *groupcommit.Failed, failed error) error {
	if f == nil {
		return failed
	}
	return groupcommit.BulkError("loyalty: ", failed, f, &AppendError{Lo: f.Lo, Hi: f.Hi, Err: f.Err})
}

const applyChunk = 1024
