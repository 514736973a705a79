package referral

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/clientele-go/clientele"
	"github.com/clientele-go/clientele/internal/english"
	"github.com/clientele-go/clientele/internal/groupcommit"
	"github.com/clientele-go/clientele/internal/option"
	"github.com/clientele-go/clientele/internal/sharedlog"
)

// Program runs a referral programme over a [Store]. Every event is checked against the
// ledger, turned into records (the event and the programme's decisions about it) and
// appended; state is rebuilt by replaying the store on [Open], so the records are the
// whole truth and a retried event (same key) is recognised after a restart too.
//
// A Program is safe for concurrent use. Events are decided one at a time; their records
// are then appended by group commit: concurrent events share one Store.Append (for the
// file store, one frame and one fsync), and each call returns once its own records are
// durable. An event that fails its checks writes nothing and changes nothing. If the
// store fails an append, the events of that batch may or may not be durable (on a
// [FileStore] they are not: a failed fsync cuts them), so the Program stops: every
// later call returns the store's error, and the host reopens it, which reads what the
// store holds. Queries read the decided state, which may include events whose append
// is in flight, or failed.
//
// On a [SharedStore] several Programs, one per process, share one ledger: each event is
// decided on the whole ledger under the store's lead (see SharedStore), concurrent events
// share the store's flush, and an append that fails makes the Program read the ledger
// again at its next event rather than stop. [Program.CatchUp] and
// [Program.Position] give read-your-writes across replicas.
//
// Make one with Open. The zero Program, and a nil *Program (the one Open returns with an
// error), have no ledger and are not ready for use, but do not panic: their methods that
// return an error fail with ErrInvalid saying so, and the queries answer as an empty
// ledger does (a zero Balance, no Entries, Signups or Payables, no Referrer).
type Program struct {
	cfg    Rules
	people PersonResolver  // WithPeople; nil: none
	clock  clientele.Clock // WithClock; nil: merges dated at the zero time
	store  Store
	shared SharedStore // store, when it is shared

	mu      sync.Mutex // guards st, the group's state, derived and slab
	st      *state
	group   *groupcommit.Group[*Record]
	scratch []Record               // the values the leader hands Store.Append, reused: stores copy what they keep
	derived []Record               // scratch for derive
	slab    []Record               // where decided records are allocated
	pos     uint64                 // records of the store applied at Open (on a SharedStore, log.Pos)
	log     *sharedlog.Log[Record] // the place on the ledger, when store is shared
}

// zero reports whether p is the zero or a nil Program (see Program): Open always sets
// store, and nothing sets it again. (Not st, which a shared store's rebuild replaces
// under mu while another call, unlocked here, reads it.) The exported methods check it
// first, once per call.
func (p *Program) zero() bool {
	return p == nil || p.store == nil
}

// Open replays store into a programme run by rules. The rules may differ from those the
// records were decided under: past decisions stand, new events follow rules. If the
// store is a [Compacter] and still holds signals that a recorded forget erased (a
// [Program.Forget] whose rewrite failed or was cut short by a crash), Open rewrites it
// before it returns, and fails if that fails.
func Open(store Store, rules Rules, opts ...Option) (*Program, error) {
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
	p := &Program{cfg: rules, people: c.people, clock: c.clock, store: store, st: newState()}
	p.group = groupcommit.New(&p.mu, p.flush)
	p.shared, _ = store.(SharedStore)
	if p.pos, err = p.replayOpen(c.ctx); err != nil {
		return nil, errorf("open: %w", err)
	}
	// A forget whose rewrite of the store failed or was cut short by a crash left
	// signals in the store that the ledger says are erased: finish it before anything
	// else, as identity.New does.
	finish := p.compactLocked
	if p.shared != nil {
		ctx := c.ctx
		if ctx == nil {
			ctx = context.Background()
		}
		finish = func() error { return p.compactShared(ctx) }
	}
	if err := finish(); err != nil {
		return nil, errorf("open: finish an erasure: %w", err)
	}
	if p.shared != nil {
		p.share()
	}
	return p, nil
}

// replayOpen replays the store into the new Program's state and returns the records it
// holds. Given a ctx (WithReplayContext), it stops when ctx is done, looking at it every
// sharedlog.CheckEvery records, and reads a SharedStore through SinceContext when it
// has one, so that ctx ends a wait for the store too (see sharedlog.Whole: what it reads,
// and how it leaves the store, are what Records would give).
func (p *Program) replayOpen(ctx context.Context) (uint64, error) {
	if ctx == nil {
		return replay(context.Background(), p.st, p.store.Records(), 0, nil)
	}
	if err := ctx.Err(); err != nil {
		return 0, errorf("replay stopped after 0 records: %w", err)
	}
	// Whole reads Records when the store has no SinceContext.
	return replay(ctx, p.st, sharedlog.Whole(ctx, p.store, ErrDiverged), 0, func(pos uint64, err error) error {
		return errorf("replay stopped after %s: %w", english.Count(pos, "record"), err)
	})
}

// submit decides one input event and commits its records.
func (p *Program) submit(ctx context.Context, ev Record) error {
	if err := ctxErr(ctx, ev.Kind, ev.Key); err != nil {
		return err
	}
	if p.shared != nil {
		return p.submitShared(ctx, ev)
	}
	b, err := p.decide(ev)
	if err != nil || b == nil {
		return err
	}
	return p.group.Commit(b)
}

// decide checks ev, applies its records to the state and queues them, and returns the
// batch to commit. For a repeated event it queues nothing and returns the batch whose
// commit makes the first records of its key durable (nil if they are).
func (p *Program) decide(ev Record) (*groupcommit.Batch[*Record], error) {
	if err := checkEvent(&ev); err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.group.Err(); err != nil {
		return nil, err
	}
	recs, err := p.decideLocked(&ev)
	if err != nil {
		return nil, err
	}
	if recs == nil {
		return p.group.Pending(), nil
	}
	return p.group.Add(recs...), nil
}

// decideLocked decides ev, which checkEvent accepted, on the state: it returns the
// records ev adds, already applied, or nil for a repeated event. The caller holds mu.
func (p *Program) decideLocked(ev *Record) ([]*Record, error) {
	if first, seen := p.st.keys[ev.Key]; seen {
		if !p.st.sameInput(first, ev) && ev.Kind != KindMerge { // a merge's key names its content; only its date may differ
			if ev.Kind == KindCode && p.st.codeByKey[ev.Key] != "" {
				return nil, nil // a retried IssueCode draws a new code; the first one stands
			}
			return nil, fmt.Errorf("%w: %s event %q", ErrKeyReused, ev.Kind, ev.Key)
		}
		return nil, nil
	}
	recs, err := p.derive(ev, p.derived[:0])
	if err != nil {
		return nil, errorf("%s event %q: %w", ev.Kind, ev.Key, err)
	}
	if err := p.st.fits(recs); err != nil {
		return nil, fmt.Errorf("%w: %s event %q: %v", ErrInvalid, ev.Kind, ev.Key, err)
	}
	out := make([]*Record, 0, len(recs))
	for i := range recs {
		// Records live in slabs: the state keeps a pointer to every one for good, so
		// allocating them 256 at a time costs the collector nothing, and the batch
		// never copies them.
		if len(p.slab) == cap(p.slab) {
			p.slab = make([]Record, 0, 256)
		}
		p.slab = append(p.slab, recs[i])
		r := &p.slab[len(p.slab)-1]
		out = append(out, r)
		p.st.apply(r)
	}
	p.derived = recs[:0]
	return out, nil
}

// flush appends a batch's records in one Store.Append: the group commit's flush, run
// by one leader at a time. A failed append stops the programme (see Program).
func (p *Program) flush(batch []*Record) error {
	vals := p.scratch[:0]
	for _, r := range batch {
		vals = append(vals, *r)
	}
	err := p.store.Append(vals...)
	if cap(vals) <= 1<<14 {
		p.scratch = vals[:0] // one huge Apply does not pin its batch's size
	}
	if err != nil {
		return errorf("ledger append failed, programme stopped: %w", err)
	}
	return nil
}

// checkEvent validates the fields every input event must have.
func checkEvent(ev *Record) error {
	if ev.Kind == 0 || ev.Kind.derived() || ev.Kind >= kindEnd {
		return fmt.Errorf("%w: event %q: kind %v is not an input event", ErrInvalid, ev.Key, ev.Kind)
	}
	if ev.Kind == KindForget {
		// A forget must wait for the appends before it and then rewrite the store:
		// only Program.Forget does both.
		return fmt.Errorf("%w: event %q: a forget is recorded by Program.Forget, not as an event", ErrInvalid, ev.Key)
	}
	if ev.Key == "" || badText(ev.Key) {
		return fmt.Errorf("%w: %s event: key %s must be 1 to %d bytes without control characters", ErrInvalid, ev.Kind, shown(ev.Key), maxText)
	}
	// The ledger keeps these texts for good and its messages quote them: unbounded, an
	// 8 MB order id was recorded and then quoted whole by the error of its duplicate
	// (loyalty bounds the same fields the same way).
	for _, f := range [...]struct{ name, v string }{{"Order", ev.Order}, {"Code", string(ev.Code)},
		{"Signals.Email", ev.Signals.Email}, {"Signals.Phone", ev.Signals.Phone},
		{"Signals.Device", ev.Signals.Device}, {"Signals.Network", ev.Signals.Network}} {
		if badText(f.v) {
			return fmt.Errorf("%w: %s event %q: field %s: %s must be at most %d bytes without control characters", ErrInvalid, ev.Kind, ev.Key, f.name, shown(f.v), maxText)
		}
	}
	if ev.Kind != KindMerge && ev.At.IsZero() {
		return fmt.Errorf("%w: %s event %q: field At: missing time", ErrInvalid, ev.Kind, ev.Key)
	}
	if y := ev.At.Year(); !ev.At.IsZero() && (y < 1900 || y > 2200) {
		return fmt.Errorf("%w: %s event %q: field At: year %d out of range", ErrInvalid, ev.Kind, ev.Key, y)
	}
	if ev.Kind != KindMerge && ev.Profile == 0 && ev.Kind != KindRefund {
		return fmt.Errorf("%w: %s event %q: field Profile: 0 is no profile", ErrInvalid, ev.Kind, ev.Key)
	}
	if ev.Amount < 0 || ev.Amount > maxAmount {
		return fmt.Errorf("%w: %s event %q: field Amount: %d out of range 0 to %d", ErrInvalid, ev.Kind, ev.Key, ev.Amount, int64(maxAmount))
	}
	if ev.Other != 0 || ev.Ref != "" || ev.Reasons != nil || !ev.PayableAt.IsZero() {
		return fmt.Errorf("%w: %s event %q: fields Other, Ref, Reasons and PayableAt are the programme's to set", ErrInvalid, ev.Kind, ev.Key)
	}
	return nil
}

// maxText bounds an event's key, order id, code and signals, in bytes.
const maxText = 512

func badText(s string) bool {
	return len(s) > maxText || strings.IndexFunc(s, unicode.IsControl) >= 0
}

// shown quotes s for a message, cut to its first 64 bytes (and its length) when longer,
// so that a refused 8 MB field does not make an 8 MB error.
func shown(s string) string {
	if len(s) <= 64 {
		return fmt.Sprintf("%q", s)
	}
	return fmt.Sprintf("%q… (%d bytes)", strings.ToValidUTF8(s[:64], ""), len(s))
}

// Apply records input events (any kind up to KindMerge), in order, as the methods below
// would one by one: each event is atomic and idempotent by its key. It returns once
// every recorded event is durable. A bulk import or a queue consumer uses Apply to hand
// many events to group commit at once: every 1,024 events are committed in the
// background while the next are decided, so that deciding and appending overlap.
//
// Apply stops at the first event that fails, before a done ctx's next event, or, on a
// SharedStore, at the event before which it failed to lead the shared ledger, and
// returns an [*EventError] (errors.As) whose Index is that event's, on every store. It
// wraps the cause, so errors.Is finds the event's sentinel (ErrInvalid, say), ctx's
// error or the store's, and the message names the index ("referral: apply event 7:
// ..."). Its Permanent field says whose fault it is: set, the event's own (it is
// malformed or refused; a consumer dead-letters it and goes on with the next); not
// set, a reason outside the event (ctx, the store; a consumer sends event Index and
// those after it again later). Then events[:Index] are durable, unless an
// AppendError in the same error names a lower Lo (below), and event Index and those
// after it are not recorded.
//
// If the store fails to append events of the call, Apply returns an [*AppendError]
// wrapping the store's error (see Program: the programme stops, or on a SharedStore
// reads the ledger again), on every store: its Lo and Hi say which events the failed
// append held, events[Lo:Hi], which may or may not be recorded; events[:Lo] are durable
// and events[Hi:] are not recorded. When an event fails and an append of the events
// before it fails too, the error wraps both, on every store: errors.Is finds the
// event's sentinel (ErrInvalid, say) and the store's error, errors.As both the
// EventError and the AppendError, and the message names the event's index and then the
// failed append's events. The caller then does what each asks: it sends events[Lo:]
// again up to the failed event (each is recorded once per key), on a Program opened
// again if this one stopped, and fixes or drops the failed event. An Apply that stopped
// only because the Program had stopped at an earlier failed append returns the
// AppendError alone, with Lo == Hi, the event it stopped at.
func (p *Program) Apply(ctx context.Context, events ...Record) error {
	if p.zero() {
		return errZeroProgram
	}
	if ctx == nil { // refused as every event method refuses it; the shared path led with it and panicked
		return fmt.Errorf("%w: apply: nil context", ErrInvalid)
	}
	if p.shared != nil {
		return p.applyShared(ctx, events)
	}
	return applyError(p.group.Bulk(len(events), applyChunk, func(i int) (*groupcommit.Batch[*Record], error) {
		ev := events[i]
		if err := ctxErr(ctx, ev.Kind, ev.Key); err != nil {
			return nil, stopped(i, err)
		}
		ev.Code = normalCode(ev.Code)
		b, err := p.decide(ev)
		if err != nil {
			// The event's own fault, but for the error of a stopped Program, which is
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
	return groupcommit.BulkError("referral: ", failed, f, &AppendError{Lo: f.Lo, Hi: f.Hi, Err: f.Err})
}

// applyChunk is how many events Apply decides before committing them in the background.
const applyChunk = 1024

// normalCode puts a well-formed code in canonical form and leaves anything else for the
// checks to reject.
func normalCode(c Code) Code {
	if c == "" {
		return ""
	}
	if n, err := ParseCode(string(c)); err == nil {
		return n
	}
	return c
}

// IssueCode gives profile a fresh referral code drawn from rnd (crypto/rand when nil)
// and records it under key; a retry with the same key returns the same code. sig holds
// the referrer's own signals, which the self-referral guard compares.
// Its error is the event's fault when it wraps a refusal sentinel, and not when it is a
// done context's or the store's: see "Bulk apply from a queue" in the package doc.
func (p *Program) IssueCode(ctx context.Context, at time.Time, key string, profile uint32, sig Signals, rnd io.Reader) (Code, error) {
	if p.zero() {
		return "", errZeroProgram
	}
	p.mu.Lock()
	c, ok := p.st.codeByKey[key]
	p.mu.Unlock()
	if ok {
		return c, nil
	}
	for range 8 { // a collision of 50-bit codes is rare; a retry makes it vanish
		c, err := NewCode(rnd)
		if err != nil {
			return "", err
		}
		err = p.submit(ctx, Record{Kind: KindCode, Key: key, At: at, Profile: profile, Code: c, Signals: sig})
		if errors.Is(err, ErrConflict) {
			continue
		}
		if err != nil {
			return "", err
		}
		p.mu.Lock()
		c = p.st.codeByKey[key]
		p.mu.Unlock()
		return c, nil
	}
	return "", fmt.Errorf("%w: issue code %q: no free code after 8 draws (is rnd random?)", ErrConflict, key)
}

// Invite records that profile invited the person reached at contact (Email and/or
// Phone); a sign-up with that email or phone within the window is attributed to the
// inviter.
// Its error is the event's fault when it wraps a refusal sentinel, and not when it is a
// done context's or the store's: see "Bulk apply from a queue" in the package doc.
func (p *Program) Invite(ctx context.Context, at time.Time, key string, profile uint32, contact Signals) error {
	if p.zero() {
		return errZeroProgram
	}
	return p.submit(ctx, Record{Kind: KindInvite, Key: key, At: at, Profile: profile, Signals: contact})
}

// Click records that prospect followed a referral link or entered a code. The code
// must have been issued.
// Its error is the event's fault when it wraps a refusal sentinel, and not when it is a
// done context's or the store's: see "Bulk apply from a queue" in the package doc.
func (p *Program) Click(ctx context.Context, at time.Time, key string, prospect uint32, code string) error {
	if p.zero() {
		return errZeroProgram
	}
	return p.submit(ctx, Record{Kind: KindClick, Key: key, At: at, Profile: prospect, Code: normalCode(Code(code))})
}

// Decision is the outcome of a sign-up: the referrer it was attributed to (0 for an
// organic sign-up or a blocked one), whether a guard blocked it, and the reasons of
// every guard that fired.
type Decision struct {
	Referrer uint32
	Code     Code
	Blocked  bool
	Reasons  []string
}

// SignUp records that profile signed up, with the code it entered (may be empty) and
// its signals, and attributes it to a referrer as the Rules say. A retry of the same
// event (the same key and arguments) returns the original decision; the key with other
// arguments is ErrKeyReused.
// Its error is the event's fault when it wraps a refusal sentinel, and not when it is a
// done context's or the store's: see "Bulk apply from a queue" in the package doc.
func (p *Program) SignUp(ctx context.Context, at time.Time, key string, profile uint32, code string, sig Signals) (Decision, error) {
	if p.zero() {
		return Decision{}, errZeroProgram
	}
	if err := p.submit(ctx, Record{Kind: KindSignup, Key: key, At: at, Profile: profile, Code: normalCode(Code(code)), Signals: sig}); err != nil {
		return Decision{}, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.st.decisionOf(profile), nil
}

func (s *state) decisionOf(profile uint32) Decision {
	for _, k := range s.keysOf(profile) {
		if a := s.attr[k]; a != nil {
			return Decision{Referrer: s.canon(a.Other), Code: a.Code, Reasons: a.Reasons}
		}
		if b := s.blocked[k]; b != nil {
			return Decision{Code: b.Code, Blocked: true, Reasons: b.Reasons}
		}
	}
	return Decision{}
}

// Order records an order; if it is the referred person's qualifying action, the
// rewards are recorded with it.
// Its error is the event's fault when it wraps a refusal sentinel, and not when it is a
// done context's or the store's: see "Bulk apply from a queue" in the package doc.
func (p *Program) Order(ctx context.Context, at time.Time, key string, profile uint32, orderID string, amount int64) error {
	if p.zero() {
		return errZeroProgram
	}
	return p.submit(ctx, Record{Kind: KindOrder, Key: key, At: at, Profile: profile, Order: orderID, Amount: amount})
}

// Refund records the refund of the whole of an order, or of what remains of it after
// earlier partial refunds ([Program.RefundAmount]), and claws back the rewards it
// qualified. The order must be known, dated no later than the refund, and not already
// fully refunded ([ErrConflict]).
//
// What remains is reckoned when the refund is recorded. A host whose refund webhooks
// may arrive out of order should pass amounts to RefundAmount instead, so that the
// ledger does not depend on the order of arrival.
//
// Its error is the event's fault when it wraps a refusal sentinel, and not when it is a
// done context's or the store's: see "Bulk apply from a queue" in the package doc.
func (p *Program) Refund(ctx context.Context, at time.Time, key string, orderID string) error {
	if p.zero() {
		return errZeroProgram
	}
	return p.submit(ctx, Record{Kind: KindRefund, Key: key, At: at, Order: orderID})
}

// RefundAmount records the refund of amount (in the minor unit, positive) of an order:
// one item of several, a price adjustment. The refunds of one order add up, and may not
// exceed its amount ([ErrRefundExceeds], naming the order and the amounts, and nothing
// is recorded); the order must be known, dated no later than the refund, and not
// already fully refunded ([ErrConflict]).
//
// The rewards the order qualified stand while it still qualifies at its net amount, its
// amount minus the refunds dated no later: with [FirstPurchase] until it is fully
// refunded, with [PurchaseOver] while the net amount is at least Rules.MinAmount. The
// refund after which it no longer does, taking refunds by their dates, claws them back
// exactly as [Program.Refund] does, dated at that refund. A refund that arrives after
// the claw-back but makes the order stop qualifying earlier moves the claw-back to that
// earlier date (see [KindClawback]), so that balances do not depend on the order in
// which refunds arrive. A referral whose rewards were clawed back does not qualify again
// by a later order.
//
// Its error is the event's fault when it wraps a refusal sentinel, and not when it is a
// done context's or the store's: see "Bulk apply from a queue" in the package doc.
func (p *Program) RefundAmount(ctx context.Context, at time.Time, key string, orderID string, amount int64) error {
	if p.zero() {
		return errZeroProgram
	}
	if amount <= 0 {
		return fmt.Errorf("%w: refund event %q: field Amount: %d, want a positive amount (Refund takes back the whole order)", ErrInvalid, key, amount)
	}
	return p.submit(ctx, Record{Kind: KindRefund, Key: key, At: at, Order: orderID, Amount: amount})
}

// Payout records a payment of amount to profile; it may not exceed the payable
// balance at that time.
// Its error is the event's fault when it wraps a refusal sentinel, and not when it is a
// done context's or the store's: see "Bulk apply from a queue" in the package doc.
func (p *Program) Payout(ctx context.Context, at time.Time, key string, profile uint32, amount int64) error {
	if p.zero() {
		return errZeroProgram
	}
	return p.submit(ctx, Record{Kind: KindPayout, Key: key, At: at, Profile: profile, Amount: amount})
}

// ctxErr returns ctx's error, if it is done, naming the event it stopped.
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

// ApplyMerge records an identity merge: the absorbed profile is now the survivor (call
// it once for each of identity.Merge's Absorbed). Referrals, balances and codes of the
// absorbed follow the survivor; a referral that the merge reveals as a self-referral
// loses its rewards (claw-back). The merge is dated by WithClock's clock. Repeating a merge
// changes nothing; a zero profile or a merge into itself fails with ErrInvalid.
func (p *Program) ApplyMerge(survivor, absorbed uint32) error {
	if p.zero() {
		return errZeroProgram
	}
	// The key keeps the form of ledgers written when a merge could absorb several
	// profiles at once ("merge:3<[4]"), so that replaying them stays idempotent.
	key := fmt.Sprintf("merge:%d<%v", survivor, []uint32{absorbed})
	var at time.Time
	if p.clock != nil {
		at = p.clock.Now()
	}
	return p.submit(context.Background(), Record{Kind: KindMerge, Key: key, At: at, Profile: survivor, Absorbed: []uint32{absorbed}})
}

// Referrer returns the referrer of profile's person, if the person was referred.
func (p *Program) Referrer(profile uint32) (uint32, bool) {
	if p.zero() {
		return 0, false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	r, a := p.st.referrerOf(profile)
	return r, a != nil
}
