package main

import (
	"bytes"
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
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/clientele-go/clientele"
	"github.com/clientele-go/clientele/funnel"
	"github.com/clientele-go/clientele/identity"
	idpg "github.com/clientele-go/clientele/identity/pgstore"
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
// profile as resolved when it was accepted (remapped through Current on use).
type event struct {
	At      time.Time
	Name    string
	Profile uint32
}

// eventLog is an append-only log of events, each at a position from 0.
type eventLog interface {
	// Append adds the events at the end; they are durable when it returns.
	Append(ctx context.Context, evs ...event) error
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

func openStorage(ctx context.Context, spec, schema string) (*storage, error) {
	switch {
	case spec == "mem:" || spec == "":
		return &storage{ids: &identity.MemStore{}, segments: &segment.MemStore{}, events: &memEvents{},
			ledger: &referral.MemStore{}, programme: defaultProgramme(), close: func() {}}, nil
	case strings.HasPrefix(spec, "file:"):
		return openFileStorage(strings.TrimPrefix(spec, "file:"))
	case strings.HasPrefix(spec, "postgres://"), strings.HasPrefix(spec, "postgresql://"):
		return openPostgresStorage(ctx, spec, schema)
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

func openPostgresStorage(ctx context.Context, url, schema string) (*storage, error) {
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		return nil, err
	}
	ids, err := idpg.Open(ctx, pool, &idpg.Options{Schema: schema})
	if err != nil {
		pool.Close()
		return nil, err
	}
	segs, err := segpg.Open(ctx, pool, &segpg.Options{Schema: schema})
	if err != nil {
		pool.Close()
		return nil, err
	}
	evs, err := openPGEvents(ctx, pool, schema)
	if err != nil {
		pool.Close()
		return nil, err
	}
	ledger, err := refpg.Open(ctx, pool, &refpg.Options{Schema: schema})
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

// tombstone is what an erased event becomes in the event log: profile 0 (which no
// accepted event has), no name, time 0 (the Unix epoch, so that PostgreSQL's at is 0).
var tombstone = event{At: time.Unix(0, 0).UTC()}

// memEvents keeps events in memory.
type memEvents struct {
	mu  sync.Mutex
	evs []event
}

func (m *memEvents) Append(_ context.Context, evs ...event) error {
	m.mu.Lock()
	m.evs = append(m.evs, evs...)
	m.mu.Unlock()
	return nil
}

func (m *memEvents) Since(_ context.Context, pos uint64) iter.Seq2[uint64, event] {
	return func(yield func(uint64, event) bool) {
		m.mu.Lock()
		evs := m.evs[:len(m.evs):len(m.evs)]
		m.mu.Unlock()
		for i := pos; i < uint64(len(evs)); i++ {
			if !yield(i, evs[i]) {
				return
			}
		}
	}
}

func (m *memEvents) Err() error { return nil }

// Erase replaces the slice rather than writing into it: a Since under way reads the
// one it took.
func (m *memEvents) Erase(_ context.Context, profiles []uint32) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	evs := slices.Clone(m.evs)
	for i, e := range evs {
		if slices.Contains(profiles, e.Profile) {
			evs[i] = tombstone
			n++
		}
	}
	if n > 0 {
		m.evs = evs
	}
	return n, nil
}

// fileEvents keeps events in an internal/wal log, fsynced before Append returns.
// mu is held shared by Append and by Since while it reads, and exclusively by Erase
// while it replaces the file, so that no append lands in the file being replaced.
type fileEvents struct {
	mu   sync.RWMutex
	log  *wal.Log
	path string // the log's file, rewritten by Erase
	err  error
}

// close closes the log Erase last opened.
func (f *fileEvents) close() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.log != nil {
		f.log.Close()
	}
}

func encodeEvent(e event) []byte {
	b := binary.AppendVarint(nil, e.At.UnixNano())
	b = binary.AppendUvarint(b, uint64(e.Profile))
	return append(b, e.Name...)
}

func decodeEvent(b []byte) (event, error) {
	at, n := binary.Varint(b)
	if n <= 0 {
		return event{}, errors.New("bad event time")
	}
	p, m := binary.Uvarint(b[n:])
	if m <= 0 || p > 1<<32-1 {
		return event{}, errors.New("bad event profile")
	}
	return event{At: time.Unix(0, at).UTC(), Profile: uint32(p), Name: string(b[n+m:])}, nil
}

func (f *fileEvents) Append(_ context.Context, evs ...event) error {
	recs := make([][]byte, len(evs))
	for i, e := range evs {
		recs[i] = encodeEvent(e)
	}
	f.mu.RLock()
	defer f.mu.RUnlock()
	if f.log == nil {
		return fmt.Errorf("events.log: %w", errLogGone)
	}
	return f.log.Append(recs...)
}

// errLogGone is the error of an event log that an Erase failed to reopen.
var errLogGone = errors.New("not open: reopening it after an erasure failed; restart the server")

func (f *fileEvents) Since(_ context.Context, pos uint64) iter.Seq2[uint64, event] {
	return func(yield func(uint64, event) bool) {
		f.err = nil
		f.mu.RLock()
		defer f.mu.RUnlock()
		if f.log == nil {
			f.err = fmt.Errorf("events.log: %w", errLogGone)
			return
		}
		i := uint64(0)
		for rec, err := range f.log.Records() {
			if err != nil {
				f.err = err
				return
			}
			if i >= pos {
				e, err := decodeEvent(rec)
				if err != nil {
					f.err = fmt.Errorf("events.log record %d: %w", i, err)
					return
				}
				if !yield(i, e) {
					return
				}
			}
			i++
		}
	}
}

func (f *fileEvents) Err() error { return f.err }

// Erase writes a copy of the log with the profiles' events replaced by tombstones and
// puts it in the log's place with wal.Replace, as identity.FileStore's Compact does: a
// wal frame cannot be changed in place (each one's checksum chains to the one before),
// and no copy of the erased events is left in the file. It rewrites the whole log, so
// it costs the log's size whatever it erases; if no event is the profiles', it changes
// nothing. A crash before the rename leaves the old log and a stray events.log.erase,
// which the next Erase replaces.
func (f *fileEvents) Erase(_ context.Context, profiles []uint32) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.log == nil {
		return 0, fmt.Errorf("events.log: %w", errLogGone)
	}
	var recs [][]byte
	n := 0
	for rec, err := range f.log.Records() {
		if err != nil {
			return 0, fmt.Errorf("events.log: erase: %w", err)
		}
		e, err := decodeEvent(rec)
		if err != nil {
			return 0, fmt.Errorf("events.log record %d: erase: %w", len(recs), err)
		}
		if e.Profile != 0 && slices.Contains(profiles, e.Profile) {
			rec, n = encodeEvent(tombstone), n+1
		}
		recs = append(recs, slices.Clone(rec))
	}
	if n == 0 {
		return 0, nil
	}
	write := func(l *wal.Log) error {
		for len(recs) > 0 {
			k := min(len(recs), 4096)
			if err := l.Append(recs[:k]...); err != nil {
				return err
			}
			recs = recs[k:]
		}
		return nil
	}
	l, err := wal.Replace(f.path, f.path+".erase", f.log, write, &wal.ReplaceOptions{Sync: wal.SyncAlways})
	if err != nil {
		var re *wal.ReplaceError
		errors.As(err, &re) // Replace fails with nothing else
		switch re.Step {
		case wal.ReplaceRename:
			return 0, fmt.Errorf("events.log: erase: replace the log by its copy: %w", re.Err)
		case wal.ReplaceSyncDir:
			err = fmt.Errorf("events.log: erase: %w", re.Err)
		case wal.ReplaceReopen:
			err = fmt.Errorf("events.log: erase: reopen: %w", re.Err)
		default: // before the rename: the old log is as it was
			return 0, fmt.Errorf("events.log: erase: write the copy: %w", re.Err)
		}
		f.log = nil // closed by Replace once the copy was in its place
		return 0, err
	}
	f.log = l
	return n, nil
}

// snapshotName is the segment-store blob holding the index's latest snapshot: the
// position of the first event it does not hold (8 bytes, big-endian), then, on
// PostgreSQL, the incarnations of its saved segments (incMagic), then the index.
// Saved segments' definitions are also kept one a blob, savedPrefix+name, so that a
// server sharing the storage learns of segments another saved.
const (
	snapshotName = "index"
	savedPrefix  = "saved."
)

// incMagic opens a snapshot's incarnations, between the position and the index (whose
// own bytes open with "CLTSEGIX"): a count, then each saved segment's name (a length
// and the bytes) and the storage's incarnation of its definition (segment/pgstore's
// Version.Incarnation), all uvarints, for the segments whose incarnation the server
// knew. A server starting from the snapshot tells by them a segment deleted and saved
// anew since the snapshot (a new segment: its members start again) from one redefined
// (members kept), as the servers that followed the writes did. A snapshot without them
// (file: and mem: storage, or an earlier version) knows none, and a start takes every
// segment it holds for the storage's.
const incMagic = "CLTSRVIN"

// appendIncarnations appends the section incMagic opens for the segments held whose
// incarnation is known; nothing if none is.
func appendIncarnations(b []byte, held []string, vers map[string]segpg.Version) []byte {
	n := 0
	for _, name := range held {
		if vers[name].Incarnation > 0 {
			n++
		}
	}
	if n == 0 {
		return b
	}
	b = binary.AppendUvarint(append(b, incMagic...), uint64(n))
	for _, name := range held {
		if inc := vers[name].Incarnation; inc > 0 {
			b = binary.AppendUvarint(b, uint64(len(name)))
			b = append(b, name...)
			b = binary.AppendUvarint(b, uint64(inc))
		}
	}
	return b
}

// readIncarnations reads the section incMagic opens at the start of data, if there is
// one, and returns the incarnations and the bytes after it. off is data's offset in
// the snapshot blob, for errors.
func readIncarnations(data []byte, off int) (map[string]int64, []byte, error) {
	if !bytes.HasPrefix(data, []byte(incMagic)) {
		return nil, data, nil
	}
	at := len(incMagic)
	next := func(what string) (uint64, error) {
		v, n := binary.Uvarint(data[at:])
		if n <= 0 {
			return 0, fmt.Errorf("segment snapshot at offset %d: %s: %w", off+at, what, segment.ErrCorrupt)
		}
		at += n
		return v, nil
	}
	count, err := next("count of incarnations")
	if err != nil {
		return nil, nil, err
	}
	incs := map[string]int64{}
	for range count {
		l, err := next("length of a segment name")
		if err != nil {
			return nil, nil, err
		}
		if l > uint64(len(data)-at) {
			return nil, nil, fmt.Errorf("segment snapshot at offset %d: a segment name of %d bytes, %d left: %w", off+at, l, len(data)-at, segment.ErrCorrupt)
		}
		name := string(data[at : at+int(l)])
		at += int(l)
		inc, err := next("incarnation of segment " + strconv.Quote(name))
		if err != nil {
			return nil, nil, err
		}
		if inc == 0 || inc > math.MaxInt64 {
			return nil, nil, fmt.Errorf("segment snapshot at offset %d: incarnation %d of segment %q: %w", off+at, inc, name, segment.ErrCorrupt)
		}
		incs[name] = int64(inc)
	}
	return incs, data[at:], nil
}

// newServerOn returns a server whose state lives in st: the resolver replays the
// identity log, and the index is the latest snapshot plus the events after it (funnels
// read every event kept).
func newServerOn(ctx context.Context, clock clientele.Clock, st *storage) (*server, error) {
	s, err := newServer(clock, identity.WithStore(st.ids))
	if err != nil {
		return nil, err
	}
	s.st, s.snapEvery = st, st.snapshotEvery
	if err := s.openReferral(st.ledger, st.programme); err != nil {
		return nil, err
	}
	resnap := false // the snapshot read holds erased profiles: replace it
	data, err := st.segments.Get(snapshotName)
	switch {
	case errors.Is(err, segment.ErrNotFound):
	case err != nil:
		return nil, err
	case len(data) < 8:
		return nil, fmt.Errorf("segment snapshot of %d bytes: %w", len(data), segment.ErrCorrupt)
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
	if err := s.syncSaved(); err != nil {
		return nil, err
	}
	if resnap {
		if err := s.snapshot(); err != nil {
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
//     putMu throughout and mu only while it encodes the index (snapshotHeld), so the
//     sync waits for a snapshot's write to the storage and the events do not; a
//     snapshot waits for mu only while events are applied. (The ledger could run
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
		return s.syncSaved()
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
			if err := s.snapshot(); err != nil && !errors.Is(err, errSnapshotsClosed) {
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
	for pos, e := range s.st.events.Since(ctx, s.applied) {
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
		go func() {
			defer s.snapping.Store(false)
			if err := s.snapshot(); err != nil && !errors.Is(err, errSnapshotsClosed) {
				s.log.Warn("periodic segment snapshot", "error", err)
			}
		}()
	}
	return stalled, nil
}

// versioner is a segment.Store that numbers its writes and creations (segment/pgstore):
// a server that shares it reads only the definitions whose number moved since it last
// looked, and tells a definition replaced from one deleted and saved anew. PutVersion
// is Put, returning the version the write gave the blob, which the server remembers
// as if it had read it: without it, a server that created a segment did not know its
// incarnation until its next sync, and took one deleted and saved anew by another
// server in between for a redefinition.
type versioner interface {
	Versions(prefix string) (map[string]segpg.Version, error)
	PutVersion(name string, data []byte) (segpg.Version, error)
}

// syncSaved makes the index's saved segments those whose definitions the storage keeps,
// whoever wrote them: it saves a definition new or changed there and deletes a segment
// whose definition the storage no longer holds. A changed definition is saved over the
// old one, which keeps the segment's members (segment.Index.Save), so the next Refresh
// here reports the difference the new definition makes, as it does on the server that
// took the PUT: no member is reported entering twice. A definition of a new incarnation
// (deleted and saved anew on another server since the last sync, which a version alone
// does not show when both happened in between) is a new segment here too, so that
// everyone in it is reported entering, as on the server that took the DELETE and the
// PUT. It replaces the old one in place (segment.Index.Recreate) rather than deleting
// it first: the segments that reference it would keep a deletion from being applied,
// as when the other server pointed them away, deleted it, saved it anew and pointed
// them back, all between two syncs here. The storage's rows are the truth, so under
// concurrent PUTs every server ends with the definition whose write committed last,
// and a server whose own PUT lost takes the other's.
//
// It holds putMu, so that it sees this server's PUT or DELETE whole (index and storage
// both changed, or neither) and never undoes one half-done.
func (s *server) syncSaved() error {
	s.putMu.Lock()
	defer s.putMu.Unlock()
	var vers map[string]segpg.Version
	vs, versioned := s.st.segments.(versioner)
	if versioned {
		var err error
		if vers, err = vs.Versions(savedPrefix); err != nil {
			return err
		}
	} else {
		names, err := s.st.segments.List()
		if err != nil {
			return err
		}
		vers = map[string]segpg.Version{}
		for _, n := range names {
			if strings.HasPrefix(n, savedPrefix) {
				vers[n] = segpg.Version{}
			}
		}
	}
	if s.savedVers == nil {
		s.savedVers = map[string]segpg.Version{}
	}
	// A version is remembered once the index holds the definition read after it: if the
	// blob was written again in between, the next sync finds a version it has not
	// seen and reads the blob again. A definition the index refuses is not remembered,
	// and is tried again at every sync (a write of a segment it references may make it
	// sound); stuck reports each reason once.
	type pending struct {
		q     *segment.Query
		v     segpg.Version
		renew bool // a new incarnation: recreate the segment held
	}
	save := map[string]*pending{}
	for blob, v := range vers {
		name := strings.TrimPrefix(blob, savedPrefix)
		old, known := s.savedVers[name]
		if known && old == v && versioned {
			continue
		}
		renew := versioned && known && old.Incarnation != v.Incarnation
		def, err := s.st.segments.Get(blob)
		if errors.Is(err, segment.ErrNotFound) {
			continue // deleted since Versions: the next sync deletes it
		}
		if err != nil {
			return err
		}
		if have, ok := s.seg.Definition(name); ok && !renew && have.String() == string(def) {
			s.savedVers[name] = v
			delete(s.savedStuck, name)
			continue
		}
		q, err := segment.Parse(string(def))
		if err != nil {
			s.stuck(name, err)
			continue
		}
		// A definition the storage keeps was accepted by the server that wrote it,
		// which knew its events (seen there, or declared by its -events): they are
		// declared here too, so that a server started with other -events, or
		// restarted without its own from no snapshot, applies it rather than holding
		// it back until a call of each event arrives.
		if err := s.seg.DeclareEvents(q.Events()...); err != nil {
			s.stuck(name, err)
			continue
		}
		save[name] = &pending{q, v, renew}
	}
	var drop []string
	for _, name := range s.seg.Segments() {
		if _, ok := vers[savedPrefix+name]; !ok {
			drop = append(drop, name)
		}
	}
	for name := range s.savedVers {
		if _, ok := vers[savedPrefix+name]; !ok {
			delete(s.savedVers, name)
		}
	}
	for name := range s.savedStuck {
		if _, kept := vers[savedPrefix+name]; !kept && !slices.Contains(drop, name) {
			delete(s.savedStuck, name) // neither kept nor held: nothing left to apply
		}
	}
	// Definitions reference one another (segment:name): save and delete in rounds until
	// none succeeds, so that a segment saved before another that references it, or
	// one deleted after the one referencing it, is applied whatever the order.
	errs := map[string]error{}
	for progress := true; progress; {
		progress = false
		for name, p := range save {
			apply := s.seg.Save
			if p.renew {
				apply = s.seg.Recreate
			}
			if errs[name] = apply(name, p.q); errs[name] == nil {
				s.savedVers[name] = p.v
				delete(save, name)
				progress = true
			}
		}
		for i := 0; i < len(drop); i++ {
			err := s.seg.Delete(drop[i])
			if errors.Is(err, segment.ErrUnknownSegment) {
				err = nil
			}
			if errs[drop[i]] = err; err == nil {
				drop = append(drop[:i], drop[i+1:]...)
				i--
				progress = true
			}
		}
	}
	for name, err := range errs {
		if err == nil {
			delete(s.savedStuck, name)
		} else {
			s.stuck(name, err)
		}
	}
	return nil
}

// stuck logs that the definition of a segment the storage keeps (or its deletion)
// cannot be applied to the index, once for each distinct reason: two servers saved
// definitions that are each sound but not together (a cycle through two segments, or
// one referencing a segment the other deleted). The index keeps what it had until a
// write of either segment makes them agree.
func (s *server) stuck(name string, err error) {
	if s.savedStuck == nil {
		s.savedStuck = map[string]string{}
	}
	if s.savedStuck[name] == err.Error() {
		return
	}
	s.savedStuck[name] = err.Error()
	s.log.Warn("saved segment from the storage", "name", name, "error", err)
}

// record appends accepted events to the event log (durable before the reply) and
// applies the log up to them, so that every server sharing the log applies its events
// in one order. Once appended the events are kept whatever follows: a refresh that
// fails (the request went away, the storage could not be read) is logged, and the next
// request's refresh applies them.
func (s *server) record(ctx context.Context, evs ...event) error {
	if err := s.st.events.Append(ctx, evs...); err != nil {
		return err
	}
	if err := s.refresh(ctx); err != nil {
		s.log.Warn("events appended, not yet applied", "events", len(evs), "error", err)
	}
	return nil
}

// snapshot writes the index, the position of the first event it does not hold and the
// incarnations of its segments. It takes putMu, which a PUT or a sync holds while it
// changes the index's segments, so that the incarnations are those of the segments
// written; snapshotHeld is the same for a caller holding putMu.
func (s *server) snapshot() error {
	s.putMu.Lock()
	defer s.putMu.Unlock()
	return s.snapshotHeld()
}

// errSnapshotsClosed is snapshot's error once closeSnapshot has written the last one.
var errSnapshotsClosed = errors.New("the server is shutting down: its last snapshot is written")

// closeSnapshot writes the last snapshot, at shutdown, and makes snapshot write no other:
// a snapshot begun in the background (periodic, or after an erasure) that was waiting
// for putMu wrote after it, possibly once the storage was closed.
func (s *server) closeSnapshot() error {
	s.putMu.Lock()
	defer s.putMu.Unlock()
	err := s.snapshotHeld()
	s.snapClosed = true
	return err
}

// snapshotHeld encodes the snapshot under mu, so that the position, the incarnations
// and the index agree, and writes it to the storage after letting mu go: on PostgreSQL
// the write is a round trip carrying the whole index, and under mu every event applied
// and every merge waited for it. The caller's putMu, held through the write, orders the
// snapshots: each is encoded after the one before was written, at a position no lower
// (applied only grows), so an older one never replaces a newer one. lastSnap becomes
// the position encoded, not applied, which the events applied during the write moved.
func (s *server) snapshotHeld() error {
	if s.snapClosed {
		return errSnapshotsClosed
	}
	var buf bytes.Buffer
	s.mu.Lock()
	at := s.applied
	buf.Write(binary.BigEndian.AppendUint64(nil, at))
	buf.Write(appendIncarnations(nil, s.seg.Segments(), s.savedVers))
	_, err := s.seg.WriteTo(&buf)
	s.mu.Unlock()
	if err != nil {
		return err
	}
	if err := s.st.segments.Put(snapshotName, buf.Bytes()); err != nil {
		return err
	}
	s.mu.Lock()
	s.lastSnap = max(s.lastSnap, at)
	s.mu.Unlock()
	return nil
}

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

// defaultSnapshotEvery is the default period of segment snapshots, in events. A restart
// reads the latest snapshot and applies the events after it, so the period bounds that
// tail: 10,000 events are read from PostgreSQL and applied to the index in well under a
// second, and a snapshot, which writes the whole index, is then taken at most once per
// 10,000 events, so that its cost (proportional to the index, not to the events since the
// last one) is shared by that many. A host whose index is large and whose event rate is
// high raises it; one that restarts often lowers it.
const defaultSnapshotEvery = 10_000
