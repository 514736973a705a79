package main

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"iter"
	"maps"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/clientele-go/clientele"
	"github.com/clientele-go/clientele/funnel"
	"github.com/clientele-go/clientele/identity"
	idpg "github.com/clientele-go/clientele/identity/pgstore"
	"github.com/clientele-go/clientele/internal/english"
	"github.com/clientele-go/clientele/internal/pg"
	"github.com/clientele-go/clientele/internal/wal"
	"github.com/clientele-go/clientele/referral"
	refpg "github.com/clientele-go/clientele/referral/pgstore"
	"github.com/clientele-go/clientele/segment"
	segpg "github.com/clientele-go/clientele/segment/pgstore"
	"github.com/jackc/pgx/v5/pgxpool"
)

// storage is where the server keeps what must outlive it: the identity log, segment
// snapshots and saved definitions, every accepted event and the referral ledger.
// -store chooses it:
//
//	file:DIR             one machine: DIR/identity.log, DIR/segments/, DIR/events.log, DIR/referral.log
//	postgres://...       shared by every server on the database (-schema names the schema)
//	mem:                 nothing survives
type storage struct {
	ids      identity.Store
	segments segment.Store
	events   eventLog
	ledger   referral.Store
	// programme is the referral programme's rules (the -reward flags).
	programme referral.Rules
	// snapshotEvery is how many events the server applies between segment snapshots
	// (-snapshot-every).
	snapshotEvery uint64
	// declared is the event names the index knows before any call brings them
	// (-events): see newServerOn.
	declared []string
	// follow, when several servers share the storage, calls fn whenever another may
	// have written (a NOTIFY, or every poll), until ctx is done.
	follow func(ctx context.Context, fn func(context.Context) error) error
	close  func()
}

// event is what the event log keeps of an accepted call with an event name: the
// profile as resolved when it was accepted (remapped through Current on use), and the
// call's de-duplication key.
type event struct {
	At      time.Time
	Name    string
	Profile uint32
	// Key is dedupKey of the call's source and messageId, if Keyed; a call without a
	// messageId (and every call of POST /v1/events) has none. Kept with the event, in
	// the same write, so that "applied" is one durable fact: a call whose event the log
	// holds was applied, on this server or another, before a restart or after. A flag
	// rather than the zero key meaning none: a key of zero bytes is as likely as any
	// other (2^-128), and a log holding one reads back as it was written.
	Key   msgKey
	Keyed bool
}

// eventLog is an append-only log of events, each at a position from 0.
type eventLog interface {
	// Append adds the events at the end; they are durable when it returns. An event
	// whose Key an event of the log already holds (or an earlier one of evs) is not
	// added, where the log can tell: dup reports those (nil if none). PostgreSQL tells
	// always, under the lock that orders appends, so that servers sharing it apply a
	// call once; memory and file logs, written by one server, leave it to the server's
	// dedup, which remembers the last maxSeen keys of the log (rebuilt at start).
	Append(ctx context.Context, evs ...event) (dup []bool, err error)
	// Since yields the events from position pos on (from the oldest kept, if older
	// ones were deleted), with their positions, in order and without gaps.
	Since(ctx context.Context, pos uint64) iter.Seq2[uint64, event]
	// Err reports the error that ended the last Since early, if any.
	Err() error
	// Erase overwrites every event of the profiles with tombstone, durably before it
	// returns, and returns how many it overwrote. Positions do not move, so that a
	// snapshot's position and every reader's stay valid; Since yields the tombstones,
	// and readers skip them (no accepted event has profile 0).
	Erase(ctx context.Context, profiles []uint32) (int, error)
}

// segmentsIn returns the segment store whose calls end with ctx as well: on PostgreSQL,
// segment/pgstore's copy under ctx (Store.WithContext), so that a request that goes
// away (the client left, or the server's deadline on it passed) stops its store call
// there and then, rather than at -pg-timeout, or never without one; and a call of a
// stopped follower, or of a start or shutdown interrupted, ends with them. File and
// memory stores do not wait for another process, and are returned as they are; so is
// a store wrapping another (as tests do): asked for the concrete *segpg.Store, not for
// a WithContext method, which a wrapper embedding one would have too, and whose copy
// would go around the wrapper.
func (st *storage) segmentsIn(ctx context.Context) segment.Store {
	if p, ok := st.segments.(*segpg.Store); ok {
		return p.WithContext(ctx)
	}
	return st.segments
}

// defaultPGTimeout is -pg-timeout's default. A third of the HTTP server's WriteTimeout
// (30s from the request's headers), so that a request whose segment store call runs
// out still has its 503 written: at 30s the write deadline passes as the first call
// gives up, and the client sees the connection drop instead. Far beyond a healthy
// database's round trips, and beyond writing the snapshot of a large index (68 MB for
// 10M profiles) on a local network.
const defaultPGTimeout = 10 * time.Second

// openStorage opens the storage spec names. On PostgreSQL, schema names the schema and
// pgTimeout bounds each call of the segment store, each statement of the identity log,
// the referral ledger and the event table (their scans per fetch, their erasures per
// page of rows: a replay on start, a Forget, is not bounded as a whole) and each
// append of events (0: unbounded): the stores' methods take no context, and a
// PostgreSQL that stops answering held a request, the snapshot, the shutdown's last
// snapshot, or a replay at start, for ever. The segment store's calls also end with
// the request, follower, start or shutdown that made them (segmentsIn).
func openStorage(ctx context.Context, spec, schema string, pgTimeout time.Duration) (*storage, error) {
	switch {
	case spec == "mem:" || spec == "":
		return &storage{ids: &identity.MemStore{}, segments: &segment.MemStore{}, events: &memEvents{},
			ledger: &referral.MemStore{}, programme: defaultProgramme(), close: func() {}}, nil
	case strings.HasPrefix(spec, "file:"):
		return openFileStorage(strings.TrimPrefix(spec, "file:"))
	case strings.HasPrefix(spec, "postgres://"), strings.HasPrefix(spec, "postgresql://"):
		return openPostgresStorage(ctx, spec, schema, pgTimeout)
	}
	return nil, fmt.Errorf("-store %q: want file:DIR, postgres://... or mem:", spec)
}

func openFileStorage(dir string) (*storage, error) {
	if dir == "" {
		return nil, errors.New("-store file: needs a directory")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	ids, err := identity.OpenFileStore(filepath.Join(dir, "identity.log"), nil)
	if err != nil {
		return nil, err
	}
	segs, err := segment.OpenFileStore(filepath.Join(dir, "segments"), nil)
	if err != nil {
		ids.Close()
		return nil, err
	}
	l, err := wal.Open(filepath.Join(dir, "events.log"), &wal.Options{Sync: wal.SyncAlways})
	if err != nil {
		ids.Close()
		return nil, fmt.Errorf("events.log: %w", err)
	}
	ledger, err := referral.OpenFileStore(filepath.Join(dir, "referral.log"), nil)
	if err != nil {
		ids.Close()
		l.Close()
		return nil, err
	}
	evs := &fileEvents{log: l, path: filepath.Join(dir, "events.log")}
	return &storage{ids: ids, segments: segs, events: evs, ledger: ledger, programme: defaultProgramme(),
		close: func() { ids.Close(); evs.close(); ledger.Close() }}, nil
}

func openPostgresStorage(ctx context.Context, url, schema string, pgTimeout time.Duration) (*storage, error) {
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		return nil, err
	}
	ids, err := idpg.Open(ctx, pool, &idpg.Options{Schema: schema, Timeout: pgTimeout})
	if err != nil {
		pool.Close()
		return nil, err
	}
	segs, err := segpg.Open(ctx, pool, &segpg.Options{Schema: schema, Timeout: pgTimeout})
	if err != nil {
		pool.Close()
		return nil, err
	}
	evs, err := openPGEvents(ctx, pool, schema, pgTimeout)
	if err != nil {
		pool.Close()
		return nil, err
	}
	ledger, err := refpg.Open(ctx, pool, &refpg.Options{Schema: schema, Timeout: pgTimeout})
	if err != nil {
		pool.Close()
		return nil, err
	}
	return &storage{ids: ids, segments: segs, events: evs, ledger: ledger, programme: defaultProgramme(),
		follow: func(ctx context.Context, fn func(context.Context) error) error {
			// Wake on the identity log's, the event log's and the ledger's
			// notifications alike.
			return pg.Follow(ctx, pool, schema+".", 250*time.Millisecond, fn)
		},
		close: func() { ids.Close(); ledger.Close(); pool.Close() }}, nil
}

// newServerOn returns a server whose state lives in st: the resolver replays the
// identity log, and the index is the latest snapshot plus the events after it (funnels
// read every event kept). ctx ends the start, and is the server's background context
// (see server.background).
func newServerOn(ctx context.Context, clock clientele.Clock, st *storage) (*server, error) {
	s, err := newServer(clock, identity.WithStore(st.ids))
	if err != nil {
		return nil, err
	}
	s.background = ctx
	s.st, s.snapEvery = st, st.snapshotEvery
	if err := s.openReferral(st.ledger, st.programme); err != nil {
		return nil, err
	}
	resnap := false // the snapshot read holds erased profiles: replace it
	data, err := st.segmentsIn(ctx).Get(snapshotName)
	switch {
	case errors.Is(err, segment.ErrNotFound):
	case err != nil:
		return nil, err
	case len(data) < 8:
		return nil, fmt.Errorf("segment snapshot of %s: %w", english.Count(len(data), "byte"), segment.ErrCorrupt)
	default:
		incs, rest, err := readIncarnations(data[8:], 8)
		if err != nil {
			return nil, err
		}
		x, err := segment.ReadSnapshot(rest)
		if err != nil {
			return nil, err
		}
		// The incarnation each segment had when the snapshot was taken, with no write
		// (0 is none): the first sync reads every definition, and deletes before it
		// saves one whose incarnation moved since.
		for _, name := range x.Segments() {
			if inc, ok := incs[name]; ok {
				if s.savedVers == nil {
					s.savedVers = map[string]segpg.Version{}
				}
				s.savedVers[name] = segpg.Version{Incarnation: inc}
			}
		}
		// Merges decided after the snapshot was taken are in the identity log, which
		// the resolver replayed: carry them over.
		for it := x.Profiles().Iterator(); it.HasNext(); {
			if p := it.Next(); s.ids.Current(p) != p && s.ids.Current(p) != 0 {
				c := s.ids.Current(p)
				x.ApplyMerge(c, p)
			}
		}
		// So are erasures, which New's replay reports to no OnForget: a snapshot
		// written before one (a crash before the snapshot after it, or another
		// server's, taken before it caught up) still holds the person. Forget them
		// here, and replace the snapshot once the events are applied.
		if retired := s.retiredKeys(x); len(retired) > 0 {
			if err := x.Forget(retired...); err != nil {
				return nil, err
			}
			s.mu.Lock()
			s.retire(retired...)
			s.mu.Unlock()
			resnap = true
		}
		s.seg, s.snapPos = x, binary.BigEndian.Uint64(data)
		s.lastSnap = s.snapPos
	}
	// The declared events join those the snapshot holds, which are every event the
	// index knew when it was written, declared (by this flag then, or another
	// server's) or recorded: segment knows events by name alone, so the union is
	// the only reading under which every saved segment still resolves. Before the
	// sync below, which saves the definitions naming them.
	if err := s.seg.DeclareEvents(st.declared...); err != nil {
		return nil, fmt.Errorf("-events: %w", err)
	}
	if err := s.refresh(ctx); err != nil {
		return nil, err
	}
	// A definition's blob is written before the snapshot that holds it: after a crash
	// between the two, or a snapshot that failed, the snapshot holds the segment's
	// definition before the last PUT or DELETE, which was answered 200; or another
	// server wrote one after the snapshot. The blobs win. After the events: a
	// definition may name an event first seen after the snapshot.
	if err := s.syncSaved(ctx); err != nil {
		return nil, err
	}
	if resnap {
		if err := s.snapshot(ctx); err != nil {
			s.forgetSnap.Store(true) // the next refresh tries again
		}
	}
	return s, nil
}

// refresh brings the server up to what the storage holds: other writers' identity
// decisions, events appended after the last applied one, segments saved, redefined or
// deleted elsewhere (when the storage is shared).
//
// On PostgreSQL each step is a round trip, and a read pays for all of them: they run
// in two rounds of two steps at once, each round waiting for both (concurrently).
// Every step begins after refresh was called, so it sees every write acknowledged
// before then, on any server, as when they ran one after another.
//
//  1. The identity log and the ledger. They are distinct stores behind distinct locks,
//     and neither catch-up reads what the other changes: a ledger record carries the
//     decision its writer made (only a new decision asks the resolver), and a merge
//     identity reports meanwhile reaches the programme through OnMerge, under the
//     programme's lock, before or after its catch-up alike.
//  2. The events and the saved segments' versions. Not the events beside
//     identity: an event names its profile by the key its writer's Link gave, so it
//     is applied once identity knows the key (applyEvents): read before identity
//     caught up, it would wait for another catch-up. (A merge that identity reports
//     while events are applied waits for mu, which applyEvents holds: see merged.)
//     The segments do not need the events (syncSaved declares the events a
//     definition names), and syncSaved takes putMu and never mu, which applyEvents
//     holds without putMu: neither step waits for the other's lock. A snapshot holds
//     putMu and mu only while it encodes the index (writeSnapshot), so neither the
//     sync nor the events wait for a snapshot's write to the storage (a PUT's or a
//     DELETE's own snapshot excepted, which keeps putMu: the sync waits for that
//     request); a snapshot waits for mu only while events are applied. (The ledger could run
//     beside the events too; it goes with identity, whose catch-up the events wait
//     for anyway, so that both are done when the afterCatchUp hook runs.)
func (s *server) refresh(ctx context.Context) error {
	if s.st == nil {
		return nil
	}
	err := concurrently(ctx,
		func(ctx context.Context) error { _, err := s.ids.CatchUp(ctx); return err },
		func(ctx context.Context) error { _, err := s.ref.CatchUp(ctx); return err })
	if err != nil {
		return err
	}
	if s.afterCatchUp != nil {
		s.afterCatchUp()
	}
	if s.st.follow == nil {
		return s.applyNew(ctx) // no other writer: the index holds every definition kept
	}
	return concurrently(ctx, s.applyNew, func(ctx context.Context) error {
		if err := ctx.Err(); err != nil {
			return err // the request went away, or the events failed: do not start
		}
		return s.syncSaved(ctx)
	})
}

// applyNew applies the events appended after the last applied one, catching identity
// up again for those of keys it does not know yet, and then erases from the log the
// events of profiles forgotten meanwhile (see refresh).
func (s *server) applyNew(ctx context.Context) error {
	// An event names its profile by the key its writer's Link gave, made durable in the
	// identity log before the event was appended. A key this server does not know was
	// issued after the catch-up before: the event is applied once identity has caught up
	// again. Before, it went into the index under key 0, and the person's events never
	// reached their profile's segments here.
	skip := noEvent
	for {
		stalled, err := s.applyEvents(ctx, skip)
		if err != nil {
			return err
		}
		if stalled == noEvent {
			break
		}
		if _, err := s.ids.CatchUp(ctx); err != nil {
			return err
		}
		skip = stalled // unknown after a catch-up too: its profile was forgotten
	}
	if err := s.eraseEvents(ctx); err != nil {
		s.log.Warn("erasing forgotten profiles' events from the event log (retried at the next refresh)", "error", err)
	}
	if s.forgetSnap.Load() && s.snapping.CompareAndSwap(false, true) {
		// A Forget reached the index since the last snapshot began: replace the stored
		// snapshot, which may hold the person, in the background as a periodic one.
		s.forgetSnap.Store(false)
		go func() {
			defer s.snapping.Store(false)
			// Not under ctx: the snapshot outlives the refresh (and the request) that
			// started it.
			if err := s.snapshot(s.background); err != nil && !errors.Is(err, errSnapshotsClosed) && s.background.Err() == nil {
				s.forgetSnap.Store(true)
				s.log.Warn("segment snapshot after an erasure (retried at the next refresh)", "error", err)
			}
		}()
	}
	return nil
}

// concurrently runs the steps at once and returns when every one has, with the first
// error to occur, or nil. That error cancels the context the others were given, so
// that they stop where they can; what they return after it (mostly the cancellation)
// is not reported. The first step runs in the caller's goroutine, whose stack has
// already grown to what a query needs: a new goroutine's grows again at every call
// (copying it was an eighth of a refresh's CPU with one goroutine a step). A step's
// panic is raised again here once every step has returned, in the caller's goroutine,
// where net/http recovers a request's panic as it did when the steps ran one after
// another; in a goroutine of its own it would end the process.
func concurrently(ctx context.Context, steps ...func(context.Context) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		first    error
		panicked any
	)
	run := func(step func(context.Context) error) {
		defer func() {
			if p := recover(); p != nil {
				mu.Lock()
				if panicked == nil {
					panicked = p
				}
				mu.Unlock()
				cancel()
			}
		}()
		if err := step(ctx); err != nil {
			mu.Lock()
			if first == nil {
				first = err
			}
			mu.Unlock()
			cancel()
		}
	}
	for _, step := range steps[1:] {
		wg.Go(func() { run(step) })
	}
	run(steps[0])
	wg.Wait()
	if panicked != nil {
		panic(panicked)
	}
	return first
}

// eraseEvents overwrites in the event log the events of the keys in unerased (see
// eventLog.Erase). Keys are taken out before the log is written, so that one met again
// meanwhile (an event appended on it since) is erased by the next call; on failure
// they are put back.
func (s *server) eraseEvents(ctx context.Context) error {
	s.mu.Lock()
	keys := slices.Sorted(maps.Keys(s.unerased))
	clear(s.unerased)
	s.mu.Unlock()
	if len(keys) == 0 {
		return nil
	}
	if _, err := s.st.events.Erase(ctx, keys); err != nil {
		s.noteStorage(err)
		s.mu.Lock()
		s.retire(keys...)
		s.mu.Unlock()
		return err
	}
	return nil
}

// noEvent is no event's position.
const noEvent uint64 = math.MaxUint64

// applyEvents applies the events appended after the last applied one. It stops before
// the first whose profile key the resolver does not know, and returns its position
// (noEvent if none), unless that position is skip or the key is one of gone: the key
// was issued before the event was appended, so if a catch-up did not make it known
// identity retired it (an erasure), and the event is not kept, but erased from the log
// (an event accepted on a key an erasure then retired on this server or another). A
// tombstone (profile 0, an event erased) is passed over.
func (s *server) applyEvents(ctx context.Context, skip uint64) (stalled uint64, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	stalled = noEvent
	var memo []uint8 // by profile key, for the events the snapshot holds (below)
	// The keys of the calls read, for dedup: at start the log's last maxSeen, so that
	// a call applied before the restart is still a duplicate; then those of the events
	// other servers append. Remembered even when an event stalls, or was erased: its
	// call was applied all the same.
	keys := keyTail{n: s.seen.capacity()}
	defer func() { s.seen.remember(keys.ordered()) }()
	for pos, e := range s.st.events.Since(ctx, s.applied) {
		if e.Keyed {
			keys.push(e.Key)
		}
		if e.Profile == 0 {
			s.applied = pos + 1
			continue
		}
		if pos < s.snapPos {
			// Held by the snapshot, read at a start: identity replayed the whole log, so
			// a key it does not know was retired (an erasure whose log erasure was lost).
			// Each key is looked up once (memo: 1 live, 2 retired), not once an event: a
			// lookup is a few random reads in the graph, and the snapshot's events are
			// most of what a restart reads (Current for each cost 0.15 to 0.3 CPU-seconds
			// a million events, a quarter of BenchmarkRestart's snapshot start).
			k := e.Profile
			if int(k) >= len(memo) {
				memo = append(memo, make([]uint8, int(k)+1-len(memo))...)
			}
			if memo[k] == 0 {
				memo[k] = 1
				if s.ids.Current(k) == 0 {
					memo[k] = 2
				}
			}
			if memo[k] == 2 {
				s.retire(k)
			} else {
				s.events = append(s.events, funnel.Event{Profile: k, Time: e.At, Name: e.Name})
			}
			s.applied = pos + 1
			continue
		}
		p := s.ids.Current(e.Profile)
		if p == 0 {
			if pos != skip && !s.gone[e.Profile] {
				stalled = pos
				break
			}
			s.retire(e.Profile)
			s.applied = pos + 1
			continue
		}
		if s.resolved != nil {
			s.resolved(e.Profile, p)
		}
		s.seg.Record(e.At, p, e.Name) // a merge waits for mu: see merged
		s.events = append(s.events, funnel.Event{Profile: e.Profile, Time: e.At, Name: e.Name})
		s.applied = pos + 1
	}
	if err := s.st.events.Err(); err != nil {
		return noEvent, err
	}
	if s.snapEvery > 0 && s.applied-s.lastSnap >= s.snapEvery && s.snapping.CompareAndSwap(false, true) {
		// In the background, once this refresh lets mu go: a request does not wait
		// for the index to be written.
		go s.periodicSnapshots()
	}
	return stalled, nil
}

// periodicSnapshots writes snapshots while the events applied since the last reach
// snapEvery; the caller set snapping. A refresh that applies events while a snapshot is
// being written starts none (snapping is set) and, if the one written was encoded
// before them, they wait for this goroutine: once it clears snapping it looks again,
// or, a server that received no more events would keep its snapshot behind by up to
// twice snapEvery until its next refresh (TestPeriodicSnapshotWhileOneIsWritten). A
// snapshot that fails stops it: the next refresh starts one again.
func (s *server) periodicSnapshots() {
	for {
		err := s.snapshot(s.background)
		// Behind another server's stored snapshot: not written, and no failure; nor
		// one the shutdown ended, which the last snapshot supersedes.
		if err != nil && !errors.Is(err, errSnapshotsClosed) && !errors.Is(err, errSnapshotBehind) && s.background.Err() == nil {
			s.log.Warn("periodic segment snapshot", "error", err)
		}
		s.snapping.Store(false)
		if err != nil && !errors.Is(err, errSnapshotBehind) {
			return
		}
		s.mu.Lock()
		again := s.applied-s.lastSnap >= s.snapEvery
		s.mu.Unlock()
		if !again || !s.snapping.CompareAndSwap(false, true) {
			return
		}
	}
}

// record appends accepted events to the event log (durable before the reply) and
// applies the log up to them, so that every server sharing the log applies its events
// in one order. Once appended the events are kept whatever follows: a refresh that
// fails (the request went away, the storage could not be read) is logged, and the next
// request's refresh applies them. dup reports the events not appended, their key
// being the log's already (eventLog.Append).
func (s *server) record(ctx context.Context, evs ...event) (dup []bool, err error) {
	if dup, err = s.st.events.Append(ctx, evs...); err != nil {
		s.noteStorage(err)
		return nil, err
	}
	if err := s.refresh(ctx); err != nil {
		s.log.Warn("events appended, not yet applied", "events", len(evs), "error", err)
	}
	return dup, nil
}

// errDuplicate is applyAll's error for a call whose event the event log holds
// already, under the call's key: applied before, here or on another server.
var errDuplicate = errors.New("a duplicate: the event log holds the call's event already")

// fresh, when servers share the storage, applies what the others wrote before a read,
// so that it sees every write acknowledged before it by any server; it answers 503 and
// returns false if the storage cannot be read.
func (s *server) fresh(w http.ResponseWriter, r *http.Request) bool {
	if s.st == nil || s.st.follow == nil {
		return true
	}
	if err := s.refresh(r.Context()); err != nil {
		fail(w, http.StatusServiceUnavailable, "storage: %v", err)
		return false
	}
	return true
}
