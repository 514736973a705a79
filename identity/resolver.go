package identity

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"
)

// Resolver merges the identifiers seen together in events into profiles. It is safe for
// concurrent use: mutations (Link, Resolve, Unmerge, Forget, Compact) are serialised,
// reads (Lookup, Identifiers, Current, Explain, History, AsOf) run in parallel with each
// other. Make one with New, which compiles the rules and replays the store. The zero
// Resolver, and a nil *Resolver (the one New returns with an error), are not ready for
// use but do not panic: their methods that return an error fail with ErrInvalid saying
// so, and the others answer as an empty resolver does (Lookup finds nothing, Current is
// 0, Identifiers nil, History yields nothing, AsOf returns an empty View).
type Resolver struct {
	mu     sync.RWMutex
	rules  *compiled
	t      *table
	g      *graph
	store  Store
	syncer Syncer
	shared SharedStore
	pos    uint64 // records of the store applied (SharedStore positions)
	// diverged: a Settle failed and reading the log again failed too; the next
	// mutation tries again
	diverged bool
	led      bool     // a LinkBatch group leads the shared store: its mutations do not lead again
	tail     []func() // reports of changes other writers made, for the next delivery
	mac      []byte   // HMAC key; nil: values are stored as normalised
	check    [8]byte
	on       callbacks
	failed   error // a store failure after state changed: later mutations fail with it
	maxIDs   int   // identifiers per event (WithEventLimit)
	capacity int   // identifiers the index is sized for from the start (WithCapacity)
	// unerased: the store still holds values that a Forget recorded in it erased (the
	// rewrite that removes them was interrupted or failed); New finishes it, scrubbing
	// erasing (those values, as stored) from a Scrubber's side copies first.
	unerased bool
	erasing  [][]byte

	byCode  [256]*kindRule // rule of each kind code
	limited []uint8        // kind codes with a limit
	recent  [8]recentKind  // the first kinds registered, for kindInfo
	fixed   [8]string      // the kinds named in Rules, registered by New

	// Ordered delivery of change reports: a mutation takes a ticket under mu and reports
	// after releasing it, in ticket order, so callbacks see changes in the order they
	// happened and may call the resolver's read methods.
	dmu       sync.Mutex
	dcond     *sync.Cond
	issued    uint64 // guarded by mu
	delivered uint64 // guarded by dmu

	// scratch, guarded by mu
	cands []candidate
	rec   record
	qrec  record
	buf   []byte
	acc   [256]uint16
	// greedy: the anchor's profile, whose counts are added to acc only when a limit
	// must be checked (most events only meet their own profile)
	accKey  uint32
	accLate bool
	sink    byte // keeps the lookups' early memory reads from being optimised away
	// fixups complete reports that read the table, once a batch's helper has left it
	fixups []func()

	warm atomic.Uint32 // LookupMany's sink, written under the read lock

	kindsSnap atomic.Pointer[kindSnap] // the registered kinds, for LinkBatch's preparation
}

type recentKind struct {
	name string
	code uint8
	rule *kindRule
}

type callbacks struct {
	merge  func(Merge)
	split  func(Split)
	forget func(Forgotten)
}

// Option configures New. A nil Option makes New fail with ErrInvalid.
type Option func(*config)

type config struct {
	store  Store
	key    []byte
	keySet bool
	maxIDs int
	maxSet bool
	on     callbacks
	capN   int
	capSet bool
	ctx    context.Context // WithReplayContext
	ctxSet bool
}

// WithStore makes the resolver persist its history to s: New replays what s holds, and
// every mutation appends its record before it changes the resolver (see Store). Without
// a store the history is kept in memory only.
//
// A store other than a SharedStore serves one live resolver: each decides its records
// on the graph it holds, so two resolvers appending to one store write a history that
// contradicts itself, and the next New over it fails with ErrCorrupt. A New over a
// store whose resolver is no longer used (to replay it, say) is fine; writers that
// share one graph use a SharedStore (identity/pgstore).
func WithStore(s Store) Option { return func(c *config) { c.store = s } }

// WithHMAC stores every identifier value as HMAC-SHA256(key, kind ‖ 0 ‖ normalised
// value) instead of the value itself, in memory and in the store: equal identifiers still
// match, but neither the resolver's memory nor its log reveals an e-mail or a phone
// number to whoever lacks the key. Identifiers, Explain and History then return values
// as hexadecimal digests. The same key must be given every time a store is opened; a
// different one makes New fail with ErrKeyMismatch. The key is copied; an empty (or
// nil) key makes New fail with ErrInvalid.
func WithHMAC(key []byte) Option {
	return func(c *config) { c.key, c.keySet = append([]byte{}, key...), true }
}

// DefaultEventLimit is the most identifiers one Link or Resolve may carry unless
// WithEventLimit says otherwise. Real events carry a handful (an anonymous id, a device,
// an e-mail, a user id); the limit keeps one hostile call from holding the mutation lock
// while it compares thousands.
const DefaultEventLimit = 64

// WithEventLimit sets the most identifiers one Link or Resolve may carry, 1 to 65,536
// (default DefaultEventLimit); an event with more fails with ErrInvalid and changes
// nothing. Below the limit Link's work grows linearly with the identifiers.
func WithEventLimit(n int) Option {
	return func(c *config) { c.maxIDs, c.maxSet = n, true }
}

// maxCapacity is the most identifiers WithCapacity accepts: as many as a resolver can
// hold (node ids have 28 bits).
const maxCapacity = maxNode

// WithCapacity sizes the resolver for n identifiers, 1 to 268,435,455 (2^28-1, the most
// a resolver holds): its identifier index is made large enough for n at once, instead
// of doubling (and rehashing every identifier it holds, into memory touched for the
// first time) as it fills. A host that backfills a known history (LinkSeq, LinkBatch, a
// bulk load) and knows about how many distinct identifiers it holds saves the doublings'
// CPU time; the resolver behaves the same whatever n is, and grows past n as it would
// without the option. The index costs 8 to 16 bytes per identifier of n from the start,
// so an n far above the identifiers held wastes memory. An n outside the range makes New
// fail with ErrInvalid.
func WithCapacity(n int) Option {
	return func(c *config) { c.capN, c.capSet = n, true }
}

// WithReplayContext makes ctx bound the replay New performs with WithStore: when ctx is
// done before the replay ends, New stops it and fails with an error wrapping ctx.Err()
// (errors.Is(err, context.Canceled) or context.DeadlineExceeded) that says how many
// records it had replayed, and returns no resolver; a ctx done already fails New before
// it reads the store. A host that starts on a long log, or on a PostgreSQL that answers
// slowly, so stays able to stop (on SIGTERM, say) while New runs. The replay looks at
// ctx every few hundred records; on a store with SinceContext and RecordsContext (see
// SharedStore), as identity/pgstore has, ctx also ends a wait for the store (a lock
// another session holds, a stalled connection; after a failed flush too), which
// Options.Timeout there ends only after Timeout, and never when it is zero. On another
// store a wait inside its Records ends when the store returns. ctx also bounds the rest
// of New: writing an empty store's configuration record and finishing an interrupted
// erasure (the leads they take of a SharedStore, and the rewrite itself on a store with
// CompactContext, see Compacter, as identity/pgstore has; Compact alone is not bounded).
//
// ctx bounds New only: the resolver does not keep it, and its later calls (Link,
// CatchUp, the rebuild of a shared store after a failed Settle) take their own. Without
// WithStore there is nothing to replay and ctx is not looked at. A nil ctx makes New
// fail with ErrInvalid.
func WithReplayContext(ctx context.Context) Option {
	return func(c *config) { c.ctx, c.ctxSet = ctx, true }
}

// checkCtx refuses a nil context (a caller error, not a panic) and a done one.
func checkCtx(ctx context.Context) error {
	if ctx == nil {
		return fmt.Errorf("%w: nil context", ErrInvalid)
	}
	return ctx.Err()
}

// OnMerge calls fn for every merge, after the resolver has changed and in the order
// merges happened (never during New's replay). fn runs on the goroutine whose call
// caused the merge, which returns only after fn does; fn may call the resolver's read
// methods but must not call Link, Resolve, Unmerge, Forget or Compact.
func OnMerge(fn func(Merge)) Option { return func(c *config) { c.on.merge = fn } }

// OnSplit calls fn for every Unmerge that divides a profile, like OnMerge.
func OnSplit(fn func(Split)) Option { return func(c *config) { c.on.split = fn } }

// OnForget calls fn for every Forget, like OnMerge.
func OnForget(fn func(Forgotten)) Option { return func(c *config) { c.on.forget = fn } }

var (
	minTime = time.Unix(0, math.MinInt64)
	maxTime = time.Unix(0, math.MaxInt64)
)

// New returns a resolver that links by rules. With WithStore it first replays the
// store; a record that cannot be decoded or contradicts the ones before it makes New
// fail with ErrCorrupt and the record's index.
func New(rules Rules, opts ...Option) (*Resolver, error) {
	var cfg config
	for i, o := range opts {
		if o == nil {
			// An option left nil by a conditional (var o Option; if ... { o = ... })
			// would otherwise panic here; the caller meant some configuration.
			return nil, fmt.Errorf("%w: option %d is nil", ErrInvalid, i)
		}
		o(&cfg)
	}
	c, err := compile(rules)
	if err != nil {
		return nil, err
	}
	r := &Resolver{rules: c, store: cfg.store, on: cfg.on}
	r.dcond = sync.NewCond(&r.dmu)
	if cfg.keySet && len(cfg.key) == 0 {
		// An empty key would hash every value with a key anyone knows.
		return nil, fmt.Errorf("%w: WithHMAC: empty key", ErrInvalid)
	}
	r.maxIDs = DefaultEventLimit
	if cfg.maxSet {
		if cfg.maxIDs < 1 || cfg.maxIDs > 1<<16 {
			return nil, fmt.Errorf("%w: WithEventLimit(%d): want 1 to 65536", ErrInvalid, cfg.maxIDs)
		}
		r.maxIDs = cfg.maxIDs
	}
	if cfg.capSet {
		if cfg.capN < 1 || cfg.capN > maxCapacity {
			return nil, fmt.Errorf("%w: WithCapacity(%d): want 1 to %d", ErrInvalid, cfg.capN, maxCapacity)
		}
		r.capacity = cfg.capN
	}
	if cfg.ctxSet && cfg.ctx == nil {
		return nil, fmt.Errorf("%w: WithReplayContext: nil context", ErrInvalid)
	}
	if !cfg.ctxSet {
		cfg.ctx = context.Background()
	}
	if cfg.key != nil {
		r.mac = cfg.key
		m := hmac.New(sha256.New, r.mac)
		m.Write([]byte("clientele identity key check"))
		copy(r.check[:], m.Sum(nil))
	}
	if err := r.init(); err != nil {
		return nil, err
	}
	switch s := cfg.store.(type) {
	case SharedStore:
		r.shared = s
	case Syncer:
		r.syncer = s
	}
	if cfg.store != nil {
		r.t.deferred = true
		if err := r.replay(cfg.ctx); err != nil {
			return nil, err
		}
		r.t.buildIndex()
		if _, ok := cfg.store.(Compacter); !ok {
			r.erasing = nil // nothing will rewrite the store: the values stay in it
		}
		if c, ok := cfg.store.(Compacter); ok && r.unerased {
			// A Forget's record is in the store but the rewrite that drops the erased
			// values never finished (a crash, a full disk): finish it before anything
			// else, so that no forgotten value outlives a restart.
			if err := r.compactLed(cfg.ctx, c, r.erasing); err != nil {
				return nil, errorf("finish an interrupted erasure: %w", err)
			}
			r.unerased, r.erasing = false, nil
		}
	}
	return r, nil
}

// init gives the resolver an empty graph with the kinds its rules name.
func (r *Resolver) init() error {
	t := newTable(r.capacity)
	r.t, r.g, r.pos = t, newGraph(t, false), 0
	r.byCode, r.limited, r.recent = [256]*kindRule{}, nil, [8]recentKind{}
	r.kindsSnap.Store(&kindSnap{})
	for i, name := range slices.Sorted(keysOf(r.rules.kinds)) {
		if _, _, err := r.kindCode(name, true); err != nil {
			return err
		}
		if i < len(r.fixed) && r.fixed[i] == "" { // knownKind reads fixed without a lock
			r.fixed[i] = name
		}
	}
	return nil
}

func keysOf[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// kindCode returns the code of a kind, registering it (and its rule) when create is set.
func (r *Resolver) kindCode(name string, create bool) (uint8, bool, error) {
	code, ok, err := r.t.kind(name, create)
	if err != nil || ok || !create {
		return code, ok, err
	}
	rule := r.rules.rule(name)
	r.byCode[code] = rule
	r.publishKind(name, code, rule)
	if int(code) < len(r.recent) {
		r.recent[code] = recentKind{name: name, code: code, rule: rule}
	}
	if rule.limit > 0 {
		r.limited = append(r.limited, code)
		r.g.countKind(code)
	}
	return code, true, nil
}

func checkTime(at time.Time) (int64, error) {
	if at.Before(minTime) || at.After(maxTime) {
		return 0, fmt.Errorf("%w: time %v outside the years 1678-2262", ErrInvalid, at)
	}
	return at.UnixNano(), nil
}

// checkID is checkOne for identifier i of an event, the index in front as the context
// of the leaf, as a Drop's is: "identifier 0: invalid input: user_id: value of ...".
func (r *Resolver) checkID(i int, id ID) error {
	if err := r.checkOne(id); err != nil {
		return errorf("identifier %d: %w", i, err)
	}
	return nil
}

// checkOne checks one identifier as Link does, saying what is wrong in a leaf that puts
// the sentinel first and names the kind ("invalid input: user_id: value of ..."), as the
// blocked and unparseable errors do. Canonical and Unmerge, which take one identifier,
// use it as it is; Link frames it with the identifier's index (checkID).
func (r *Resolver) checkOne(id ID) error {
	if !r.knownKind(id.Kind) {
		if err := checkKind(id.Kind); err != nil {
			return err
		}
	}
	if p := r.valueProblem(id.Value); p != "" {
		return fmt.Errorf("%w: %s: %s", ErrInvalid, shownKind(id.Kind), p)
	}
	return nil
}

// valueProblem says what is wrong with an identifier's value that makes Link refuse its
// event, or "" when nothing is. Said in the words of the kind and source limits: a user
// of a server or of an example reads it, and Rules.MaxValueLen is a Go name they never
// set.
func (r *Resolver) valueProblem(v string) string {
	if len(v) > r.rules.maxLen {
		return fmt.Sprintf("value of %d bytes, over the %d-byte limit", len(v), r.rules.maxLen)
	}
	if !utf8.ValidString(v) {
		return fmt.Sprintf("value %q is not valid UTF-8", v)
	}
	return ""
}

// canonical returns the stored form of a value of a kind, or a drop reason with, when
// detail is set, the error that explains it.
func (r *Resolver) canonical(rule *kindRule, kind, v string, detail bool) (string, uint8, error) {
	if rule.isBlocked(strings.TrimSpace(v)) {
		return "", dropBlocked, blockedErr(kind, v, detail)
	}
	if rule.norm != nil {
		n, err := rule.norm(v)
		if err != nil {
			if detail {
				err = fmt.Errorf("%w: %s: %w", ErrUnparseable, shownKind(kind), err)
			}
			return "", dropUnparseable, err
		}
		if n != v && (len(n) > r.rules.maxLen || !utf8.ValidString(n)) {
			return "", dropUnparseable, fmt.Errorf("%w: %s: normaliser returned %d bytes of invalid or over-long text", ErrUnparseable, shownKind(kind), len(n))
		}
		if n != v && n != strings.TrimSpace(v) && rule.isBlocked(n) {
			return "", dropBlocked, blockedErr(kind, n, detail)
		}
		v = n
	}
	if r.mac != nil {
		v = r.digest(kind, v)
	}
	return v, 0, nil
}

func blockedErr(kind, v string, detail bool) error {
	if !detail {
		return nil
	}
	return fmt.Errorf("%w: %s %q", ErrBlocked, shownKind(kind), v)
}

func (r *Resolver) digest(kind, v string) string {
	m := hmac.New(sha256.New, r.mac)
	m.Write([]byte(kind))
	m.Write([]byte{0})
	m.Write([]byte(v))
	return string(m.Sum(nil))
}

// display turns a stored value into the form the API returns.
func (r *Resolver) display(v []byte) string {
	if r.mac != nil {
		return hex.EncodeToString(v)
	}
	return string(v)
}

func (r *Resolver) storedID(n uint32) ID {
	code, v := r.t.record(n)
	return ID{Kind: r.t.kinds[code], Value: r.display(v)}
}

// zero reports whether r is the zero or a nil Resolver (see Resolver): New always sets
// rules. The exported methods check it first, once per call.
func (r *Resolver) zero() bool {
	return r == nil || r.rules == nil
}

// find returns the node holding id, or 0; it changes nothing.
func (r *Resolver) find(id ID) uint32 {
	code, v, ok := r.stored(id)
	if !ok {
		return 0
	}
	return r.t.find(code, v)
}

// stored returns the kind code and the stored form of id's value, or false for an
// identifier no profile can hold: malformed, of a kind never registered, blocked or
// unparseable.
func (r *Resolver) stored(id ID) (uint8, string, bool) {
	if len(id.Value) > r.rules.maxLen || !utf8.ValidString(id.Value) {
		return 0, "", false
	}
	code, rule, _ := r.kindInfo(id.Kind, false) // a malformed kind is never registered
	if rule == nil {
		return 0, "", false
	}
	v, why, _ := r.canonical(rule, id.Kind, id.Value, false)
	return code, v, why == 0
}

// Link records that ids were seen together in one event at time at, coming from source
// (a channel name such as "web" or "store"), and returns the profile of the event: the
// profile of its anchor, the linkable identifier of highest priority. Unknown identifiers
// join that profile or, if none is known, create one; identifiers of other profiles merge
// them into it unless a limit forbids it (see the package documentation). Blocked and
// unparseable values are dropped, hot identifiers ignored; Link returns 0 when nothing
// was left to link. Resolve reports the details.
//
// A malformed identifier (empty kind, invalid UTF-8, a value longer than MaxValueLen), a
// source that is not UTF-8 or longer than 256 bytes, a time outside the years 1678-2262,
// or no identifiers at all, make Link fail with ErrInvalid before anything changes. So
// does a cancelled ctx. A store that fails to append also leaves the resolver unchanged,
// except that a quarantine the event revealed is recorded first and stays. On a
// SharedStore, a ctx done while the resolver applies the records of other writers stops
// it between two of them, as it stops CatchUp, and Link fails with ctx's error without
// deciding the event.
func (r *Resolver) Link(ctx context.Context, at time.Time, source string, ids ...ID) (uint32, error) {
	if r.zero() {
		return 0, errZeroResolver
	}
	return r.link(ctx, at, source, nil, ids, nil)
}

// LinkMatch is Link for identifiers that a probabilistic match (identity/match) judged to
// belong to one person rather than seen together: the link is recorded with m, so
// Explain's hops, History and OnMerge show its weight, and Unmerge undoes it like any
// link; the rules and limits govern it as they govern Link. A weight that is NaN or
// infinite makes it fail with ErrInvalid before anything changes.
func (r *Resolver) LinkMatch(ctx context.Context, at time.Time, source string, m Match, ids ...ID) (uint32, error) {
	if r.zero() {
		return 0, errZeroResolver
	}
	if err := checkMatch(&m); err != nil {
		return 0, err
	}
	return r.link(ctx, at, source, &m, ids, nil)
}

func checkMatch(m *Match) error {
	if m != nil && (math.IsNaN(m.Weight) || math.IsInf(m.Weight, 0)) {
		return errorf("link: %w: match weight %v is not finite", ErrInvalid, m.Weight)
	}
	return nil
}

// Resolve is Link with a full report of what the event did.
func (r *Resolver) Resolve(ctx context.Context, at time.Time, source string, ids ...ID) (Outcome, error) {
	var out Outcome
	if r.zero() {
		return out, errZeroResolver
	}
	_, err := r.link(ctx, at, source, nil, ids, &out)
	return out, err
}

// link validates an event and links it; m, when not nil, marks it a probabilistic match.
func (r *Resolver) link(ctx context.Context, at time.Time, source string, m *Match, ids []ID, out *Outcome) (uint32, error) {
	nanos, err := r.checkEvent(ctx, at, source, ids)
	if err != nil {
		return 0, err
	}
	return r.linkChecked(ctx, nanos, at, source, m, ids, out)
}

// checkEvent is Link's validation of an event, which changes nothing.
func (r *Resolver) checkEvent(ctx context.Context, at time.Time, source string, ids []ID) (int64, error) {
	if err := checkCtx(ctx); err != nil {
		return 0, errorf("link: %w", err)
	}
	nanos, err := checkTime(at)
	if err != nil {
		return 0, errorf("link: %w", err)
	}
	if len(source) > maxSourceLen {
		return 0, errorf("link: %w: source of %d bytes, over the %d-byte limit", ErrInvalid, len(source), maxSourceLen)
	}
	if !utf8.ValidString(source) {
		return 0, errorf("link: %w: source %q is not valid UTF-8", ErrInvalid, source)
	}
	if len(ids) == 0 {
		return 0, errorf("link: %w: no identifiers", ErrInvalid)
	}
	if len(ids) > r.maxIDs {
		return 0, errorf("link: %w: %d identifiers in one event, over the limit of %d (WithEventLimit)", ErrInvalid, len(ids), r.maxIDs)
	}
	for i, id := range ids {
		if err := r.checkID(i, id); err != nil {
			return 0, errorf("link: %w", err)
		}
	}
	return nanos, nil
}

// linkChecked links a validated event.
func (r *Resolver) linkChecked(ctx context.Context, nanos int64, at time.Time, source string, match *Match, ids []ID, out *Outcome) (uint32, error) {
	var rep changes
	r.mu.Lock()
	profile, settle, err := r.linkLocked(ctx, nanos, at, source, match, ids, nil, out, &rep)
	if err != nil {
		r.mu.Unlock()
		if settle {
			r.settle()
		}
		return 0, err
	}
	tk := r.ticket(&rep)
	r.mu.Unlock()
	err = r.sync()
	r.deliver(tk, true, func() { rep.run(err == nil) })
	return profile, err
}

// changes collects the reports of the changes mutations made, for delivery after the
// lock is released: reports of records other writers appended (tail), which are
// delivered whatever happens, and those of the resolver's own changes (own), delivered
// only once the store made them durable.
type changes struct {
	tail []func()
	own  []func()
}

// run delivers the reports; ok says the resolver's own changes are durable.
func (c *changes) run(ok bool) {
	for _, f := range c.tail {
		f()
	}
	if !ok {
		return
	}
	for _, f := range c.own {
		f()
	}
}

// ticket takes the resolver's pending reports of other writers into rep and issues a
// delivery ticket if rep holds any report (0 if not). The caller holds mu.
func (r *Resolver) ticket(rep *changes) uint64 {
	rep.tail = append(rep.tail, r.tail...)
	r.tail = nil
	if len(rep.tail) == 0 && len(rep.own) == 0 {
		return 0
	}
	r.issued++
	return r.issued
}

// linkLocked links a validated event; the caller holds mu, and delivers what the event
// reports (appended to rep) after it releases mu and syncs. pre, when not nil, holds the
// event's identifiers already normalised and hashed (LinkBatch's parallel phase), one
// per id. On failure settle says whether a shared store must be settled.
func (r *Resolver) linkLocked(ctx context.Context, nanos int64, at time.Time, source string, match *Match, ids []ID, pre []normed, out *Outcome, rep *changes) (profile uint32, settle bool, err error) {
	if r.failed != nil {
		return 0, false, r.failed
	}
	if err := r.lead(ctx); err != nil {
		return 0, false, errorf("link: %w", err)
	}
	rec := &r.rec
	rec.reset(opLink)
	rec.at, rec.source = nanos, source
	if match != nil {
		rec.matched, rec.weight = true, match.Weight
	}
	if err := r.prepare(ids, pre, rec, out); err != nil {
		return 0, true, errorf("link: %w", err)
	}
	anchor := r.decide()
	// Identifiers found hot are quarantined by a record of their own, applied first, and
	// the event is decided again on the graph as the quarantine left it.
	var qsplits []splitResult
	for {
		q := &r.qrec
		q.reset(opQuarantine)
		q.at = nanos
		for _, c := range r.cands {
			if c.status == stHot && c.node != 0 {
				q.members = append(q.members, member{node: c.node, status: stHot})
			}
		}
		if len(q.members) == 0 {
			break
		}
		if err := r.g.check(q); err != nil {
			return 0, true, errorf("link: %w", err)
		}
		if err := r.persist(q); err != nil {
			return 0, true, err
		}
		qsplits = append(qsplits, r.g.applyQuarantine(q)...)
		for i := range r.cands {
			c := &r.cands[i]
			switch {
			case c.status == stHot && c.node != 0:
				c.status = stSkipped
			case c.status != stSkipped:
				c.status = 0
			}
			if c.node != 0 {
				c.key = r.g.keyOf(c.node)
			}
		}
		anchor = r.decide()
	}
	if err := r.build(rec); err != nil {
		return 0, true, errorf("link: %w", err)
	}
	if err := r.persist(rec); err != nil {
		return 0, true, err
	}
	res := r.g.applyLink(rec)
	if out != nil {
		r.report(ids, anchor, res, at, source, out)
	}
	if len(res.absorbed) > 0 && r.on.merge != nil {
		m := Merge{Survivor: res.survivor, Absorbed: slices.Clone(res.absorbed), At: at, Cause: source}
		if match != nil {
			m.Match = &Match{Weight: match.Weight}
		}
		rep.own = append(rep.own, func() { r.on.merge(m) })
	}
	if r.on.split != nil {
		for _, s := range append(qsplits, res.splits...) {
			sp := &Split{Profile: s.from, Into: s.into, At: at}
			if node := s.node; r.t.ahead {
				// The other core owns the arena until the batch settles it (ahead.go).
				r.fixups = append(r.fixups, func() { sp.ID = r.storedID(node) })
			} else {
				sp.ID = r.storedID(node)
			}
			rep.own = append(rep.own, func() { r.on.split(*sp) })
		}
	}
	return res.profile, false, nil
}

// persist appends rec to the store, if there is one.
func (r *Resolver) persist(recs ...*record) error {
	if r.store == nil {
		return nil
	}
	bufs := make([][]byte, 0, len(recs))
	if len(recs) == 1 {
		r.buf = recs[0].encode(r.buf[:0])
		bufs = append(bufs, r.buf)
	} else {
		for _, rec := range recs {
			bufs = append(bufs, rec.encode(nil))
		}
	}
	if err := r.store.Append(bufs...); err != nil {
		return errorf("store append: %w", err)
	}
	r.pos += uint64(len(bufs))
	return nil
}

// sync makes appended records durable when the store defers that to Sync. A failure
// leaves the resolver ahead of its store, so every later mutation fails.
func (r *Resolver) sync() error {
	if r.shared != nil {
		// A failed Settle makes the next Lead report ErrDiverged, and the resolver
		// reads the log again then.
		if err := r.shared.Settle(); err != nil {
			return errorf("store settle: %w", err)
		}
		return nil
	}
	if r.syncer == nil {
		return nil
	}
	if err := r.syncer.Sync(); err != nil {
		err = errorf("store sync: %w", err)
		r.mu.Lock()
		if r.failed == nil {
			r.failed = fmt.Errorf("%w (the resolver is ahead of its store; reopen it)", err)
		}
		r.mu.Unlock()
		return err
	}
	return nil
}

// deliver runs report in ticket order; tk 0 means there is nothing to report. A change
// whose record could not be made durable is not reported.
func (r *Resolver) deliver(tk uint64, ok bool, report func()) {
	if tk == 0 {
		return
	}
	r.dmu.Lock()
	for r.delivered+1 != tk {
		r.dcond.Wait()
	}
	r.dmu.Unlock()
	if ok {
		report()
	}
	r.dmu.Lock()
	r.delivered++
	r.dcond.Broadcast()
	r.dmu.Unlock()
}

func (r *Resolver) report(ids []ID, anchor int, res linkResult, at time.Time, source string, out *Outcome) {
	out.Profile, out.Created = res.profile, res.created
	out.Absorbed = slices.Clone(res.absorbed)
	for _, c := range r.cands {
		switch c.status {
		case stRefused:
			out.Refused = append(out.Refused, Refusal{ID: ids[c.in], With: ids[r.cands[anchor].in], At: at, Source: source,
				Err: refusalErr(r.t.kinds[c.lkind], c.would, c.limit)})
		case stHot, stSkipped:
			out.Quarantined = append(out.Quarantined, ids[c.in])
		}
	}
}

// Lookup returns the profile that holds id, if any. A quarantined identifier is held
// in a profile of its own; a blocked or unparseable value is never held.
func (r *Resolver) Lookup(id ID) (uint32, bool) {
	if r.zero() {
		return 0, false
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	if n := r.find(id); n != 0 {
		return r.g.keyOf(n), true
	}
	return 0, false
}

// LookupMany appends to dst, for each of ids, the key of the profile that holds it, or
// 0 where Lookup would report none, and returns the extended slice. It reads the
// identifier table for a group of identifiers at a time, one kind of memory after
// another, so that in a large resolver the cache misses of different identifiers
// overlap rather than each waiting for the one before: a bulk lookup (an audience
// upload, a backfill) costs a fraction of as many Lookup calls.
func (r *Resolver) LookupMany(dst []uint32, ids ...ID) []uint32 {
	const group = 32
	var (
		code [group]uint8
		val  [group]string
		tag  [group]uint32
		slot [group]uint64
		node [group]uint32
		up   [group]uint32
		ok   [group]bool
	)
	if r.zero() {
		for range ids {
			dst = append(dst, 0)
		}
		return dst
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	t, g := r.t, r.g
	for lo := 0; lo < len(ids); lo += group {
		part := ids[lo:min(lo+group, len(ids))]
		for i, id := range part {
			if code[i], val[i], ok[i] = r.stored(id); ok[i] {
				tag[i] = t.tag(code[i], val[i])
			}
		}
		// The phases of Resolver.prepare: home slots, then the records they point at,
		// then the nodes; each loop's loads are independent of one another.
		for i := range part {
			slot[i] = 0
			if ok[i] {
				slot[i] = t.probe(tag[i])
			}
		}
		var warm uint32
		for i := range part {
			if s := slot[i]; s != 0 && uint32(s>>32) == tag[i] {
				warm += uint32(t.peek(s))
			}
		}
		for i := range part {
			node[i] = 0
			if ok[i] {
				node[i] = t.findTag(code[i], val[i], tag[i])
			}
		}
		// A node holds its root's key or points at its root (graph.keyOf): read the
		// nodes, then the roots of those that point.
		for i := range part {
			up[i] = 0
			if n := node[i]; n != 0 && n < g.nodes.len() {
				up[i] = g.nodes.ref(n).uf
			}
		}
		for i := range part {
			if v := up[i]; v&rootBit == 0 && v != 0 && v < g.nodes.len() {
				warm += g.nodes.ref(v).uf
			}
		}
		for i := range part {
			k := uint32(0)
			if n := node[i]; n != 0 {
				k = g.keyOf(n)
			}
			dst = append(dst, k)
		}
		r.warm.Add(warm) // uses the early reads, so that they are not optimised away
	}
	return dst
}

// Current returns the key that now holds profile: profile itself while it survives, the
// survivor's key once it was merged, the piece's key that holds its first identifier
// after an Unmerge, and 0 for a key never issued or forgotten. Two keys are the same
// person iff Current returns the same non-zero key for both.
func (r *Resolver) Current(profile uint32) uint32 {
	if r.zero() {
		return 0
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.g.current(profile)
}

// Identifiers returns the identifiers of the profile that now holds profile (see
// Current), in priority order, then by kind and value; nil if there is none. Values are
// as stored: normalised, or hexadecimal digests under WithHMAC.
func (r *Resolver) Identifiers(profile uint32) []ID {
	if r.zero() {
		return nil
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.identifiers(r.g, profile)
}

func (r *Resolver) identifiers(g *graph, profile uint32) []ID {
	k := g.current(profile)
	if k == 0 {
		return nil
	}
	var out []ID
	for _, n := range g.members(k, nil) {
		if _, v := r.t.record(n); len(v) > 0 { // a View built before a Forget still holds erased nodes
			out = append(out, r.storedID(n))
		}
	}
	slices.SortFunc(out, func(a, b ID) int {
		pa, pb := r.rules.rule(a.Kind).prio, r.rules.rule(b.Kind).prio
		if pa != pb {
			return pa - pb
		}
		if c := strings.Compare(a.Kind, b.Kind); c != 0 {
			return c
		}
		return strings.Compare(a.Value, b.Value)
	})
	return out
}

// Stats describes what a resolver holds.
type Stats struct {
	Identifiers int // identifiers held (forgotten ones excluded)
	Profiles    int // profiles that hold identifiers
	Records     int // records in the history
	Bytes       int // memory held by the resolver's tables, excluding Go's own overhead
}

// Stats returns counts and the memory the resolver holds.
func (r *Resolver) Stats() Stats {
	if r.zero() {
		return Stats{}
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	g := r.g
	b := r.t.bytes() + g.nodes.bytes(16) +
		g.seed.bytes(4) + g.size.bytes(4) + g.ring.bytes(4) + g.counts.bytes(1) +
		g.events.bytes(16) + g.pool.bytes(4) + g.poolNext.bytes(4)
	return Stats{Identifiers: r.t.used, Profiles: g.live, Records: int(g.events.len()), Bytes: b}
}
