// Package pgstore keeps an identity resolver's history in PostgreSQL, shared by every
// replica of a host service: many writers, one graph.
//
// Each process opens its own Resolver on a Store over the same schema. The Store is an
// identity.SharedStore: before a mutation decides, its resolver becomes the log's only
// writer (a session advisory lock per log, held across the mutations that share one
// flush), applies what other writers appended, decides, and appends at the next
// positions; the flush is one INSERT of the batch (group commit) that also NOTIFYs
// followers. Every resolver applies the same records in the same order, so every replica
// holds the same graph, the graph a single resolver fed the events in the log's order
// would hold.
//
//	pool, _ := pgxpool.New(ctx, "postgres://...")
//	s, _ := pgstore.Open(ctx, pool, &pgstore.Options{Schema: "shop"})
//	r, _ := identity.New(identity.DefaultRules(), identity.WithStore(s))
//	go s.Follow(ctx, r, nil) // apply other writers' decisions as they commit
//
// # Consistency
//
//   - A mutation (Link, Resolve, Unmerge, Forget) decides on the whole log as of its
//     start, and returns once its record is committed (synchronous_commit as the
//     database is configured).
//   - Lookup, Identifiers, Current and the other reads answer from memory, as of the
//     last mutation, CatchUp or Follow wake-up of that resolver: a prefix of the log.
//   - Read your writes elsewhere: Resolver.Position after a mutation, then on another
//     replica CatchUp when its Position is below it; CatchUp returns having applied every
//     record committed before it was called.
//   - Follow applies new records within a round trip of their commit (LISTEN/NOTIFY),
//     polling every FollowOptions.Poll in case a notification is lost.
//
// # Order without gaps
//
// Positions are explicit (pos bigint PRIMARY KEY), not a sequence: a sequence value is
// assigned at insert but becomes visible at commit, so a reader that saw 7 and 9 could
// later find 8 and would have skipped it. Here a record at position n+1 is only ever
// inserted by a writer holding the log's lock after the record at n committed, and a
// reader stops at the first gap it meets, so no reader ever skips a record.
//
// # Schema
//
// Open creates or migrates, in the schema named by Options.Schema (default "clientele"):
//
//	clientele_schema (component text PRIMARY KEY, version integer)  -- 'identity' = 1
//	identity_log (pos bigint PRIMARY KEY, rec bytea NOT NULL)        -- the log, from 0
//
// Migration runs in one transaction under an advisory lock; a schema written by a newer
// version of this package is refused with an error wrapping ErrVersion. The records are
// identity's own binary records, the bytes the file store holds.
//
// The Store does not implement identity.Compacter: Forget erases values in every
// replica's memory and records the erasure, but older records keep the values until the
// host rewrites the table (see Forget in package identity).
package pgstore

import (
	"context"
	"encoding/binary"
	"fmt"
	"iter"
	"sync"
	"time"

	"github.com/clientele-go/clientele/identity"
	"github.com/clientele-go/clientele/internal/pg"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// ErrVersion means the schema holds tables of a newer version than this package knows.
var ErrVersion = pg.ErrNewer

// Options configure Open. The zero value is the default.
type Options struct {
	// Schema is the PostgreSQL schema of the tables; default "clientele".
	Schema string
}

var migrations = []string{
	`CREATE TABLE %[1]s.identity_log (pos bigint PRIMARY KEY CHECK (pos >= 0), rec bytea NOT NULL)`,
}

// Store is an identity.SharedStore over a PostgreSQL table. It is safe for concurrent
// use, and is meant to be written by one resolver per process (any number of
// processes).
type Store struct {
	pool   *pgxpool.Pool
	schema string
	table  string // quoted schema.identity_log
	k1, k2 int32  // the log's advisory lock
	notify string // NOTIFY payload

	acq      sync.Mutex // serialises taking the lock, without holding mu while waiting
	mu       sync.Mutex
	cond     *sync.Cond // a flush ended
	idleCond *sync.Cond // the open leads ended, or the lock was given up
	// guarded by mu
	leads    int           // Lead calls not yet settled
	conn     *pgxpool.Conn // holds the advisory lock while not nil
	known    bool          // head is the log's next position (the lead read the tail)
	head     int64         // next position, counting buffered records
	buf      [][]byte      // appended under the lead, not yet flushed
	bufStart int64         // position of buf[0]
	seq      uint64        // records appended under leads, ever
	done     uint64        // of those, settled (flushed or failed)
	flushing bool          // a Settle is writing
	flushes  int           // flushes since the lock was taken
	flushed  int           // flushes ever (benchmarks report links per flush)
	idle     uint64        // bumped by each Lead and each end of the last lead: a pending release checks it
	failing  int           // leads open when a flush failed, whose Settle must fail
	diverged bool          // a flush failed: Lead fails until Records is read
	closed   bool
	hook     func(int64) // tests: called before a plain Append commits
}

var _ identity.SharedStore = (*Store)(nil)

// Open returns a store over the log in opts.Schema, creating or migrating its tables.
// The pool stays the caller's; a store uses one of its connections while it leads and
// one while it follows.
func Open(ctx context.Context, pool *pgxpool.Pool, opts *Options) (*Store, error) {
	if pool == nil {
		return nil, fmt.Errorf("identity/pgstore: open: nil pool: %w", identity.ErrInvalid)
	}
	schema := "clientele"
	if opts != nil && opts.Schema != "" {
		schema = opts.Schema
	}
	if err := pg.Migrate(ctx, pool, schema, "identity", migrations); err != nil {
		return nil, fmt.Errorf("identity/pgstore: %w", err)
	}
	s := &Store{pool: pool, schema: schema, table: pg.Ident(schema) + ".identity_log", notify: schema + ".identity_log"}
	s.k1, s.k2 = pg.Key(schema, "identity_log")
	s.cond = sync.NewCond(&s.mu)
	s.idleCond = sync.NewCond(&s.mu)
	return s, nil
}

// Lead makes the caller the log's only writer until the matching Settle (see
// identity.SharedStore). It waits for writers in other processes to finish their flush.
func (s *Store) Lead(ctx context.Context) error {
	s.acq.Lock()
	defer s.acq.Unlock()
	s.mu.Lock()
	for {
		switch {
		case s.closed:
			s.mu.Unlock()
			return identity.ErrClosed
		case s.diverged:
			s.mu.Unlock()
			return fmt.Errorf("identity/pgstore: a flush failed: %w", identity.ErrDiverged)
		case s.conn == nil:
		case s.flushes < maxHold:
			s.leads++
			s.idle++ // cancels a pending release
			s.mu.Unlock()
			return nil
		case s.leads == 0 && !s.flushing && len(s.buf) == 0:
			// Held long enough: give the lock up and queue for it behind the other
			// writers.
			s.release()
			continue
		default:
			s.idleCond.Wait() // for the open leads to end
			continue
		}
		break
	}
	s.mu.Unlock()
	c, err := s.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("identity/pgstore: lead: %w", err)
	}
	if _, err := c.Exec(ctx, "SELECT pg_advisory_lock($1, $2)", s.k1, s.k2); err != nil {
		// The lock may or may not be held: the connection goes, and the lock with it.
		c.Hijack().Close(context.Background())
		return fmt.Errorf("identity/pgstore: lead: %w", err)
	}
	s.mu.Lock()
	s.conn, s.known, s.flushes = c, false, 0
	s.leads++
	s.mu.Unlock()
	return nil
}

// Since yields the records from position pos on, stopping at the first gap.
func (s *Store) Since(pos uint64) iter.Seq2[[]byte, error] {
	return func(yield func([]byte, error) bool) {
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			yield(nil, identity.ErrClosed)
			return
		}
		if s.diverged {
			s.mu.Unlock()
			yield(nil, fmt.Errorf("identity/pgstore: a flush failed: %w", identity.ErrDiverged))
			return
		}
		leading := s.conn != nil && s.leads > 0
		if leading && s.known && int64(pos) == s.head {
			s.mu.Unlock()
			return // nobody else can have appended
		}
		s.mu.Unlock()
		next, ok := s.scan(int64(pos), yield)
		if !ok {
			return
		}
		s.mu.Lock()
		if leading && s.conn != nil && s.leads > 0 && len(s.buf) == 0 {
			s.head, s.known = next, true
		}
		s.mu.Unlock()
	}
}

// Records yields every record from position 0. With no lead open it also ends the
// refusal that follows a failed flush: the caller reads the whole log again.
func (s *Store) Records() iter.Seq2[[]byte, error] {
	return func(yield func([]byte, error) bool) {
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			yield(nil, identity.ErrClosed)
			return
		}
		if s.leads == 0 {
			s.diverged = false
		}
		s.mu.Unlock()
		s.scan(0, yield)
	}
}

// scan yields the records from position from, in order, until the first gap; it returns
// the position after the last one and whether the caller's yield wanted more.
func (s *Store) scan(from int64, yield func([]byte, error) bool) (int64, bool) {
	ctx := context.Background()
	rows, err := s.pool.Query(ctx, "SELECT pos, rec FROM "+s.table+" WHERE pos >= $1 ORDER BY pos", from)
	if err != nil {
		yield(nil, fmt.Errorf("identity/pgstore: read: %w", err))
		return from, false
	}
	defer rows.Close()
	next := from
	binFormat := true
	for _, f := range rows.FieldDescriptions() {
		binFormat = binFormat && f.Format == pgx.BinaryFormatCode
	}
	for rows.Next() {
		var pos int64
		var rec []byte
		if raw := rows.RawValues(); binFormat && len(raw) == 2 && len(raw[0]) == 8 && raw[1] != nil {
			// The common case without a copy: the record is yielded from the
			// connection's buffer, which the next row reuses (Store allows it).
			pos, rec = int64(binary.BigEndian.Uint64(raw[0])), raw[1]
		} else if err := rows.Scan(&pos, &rec); err != nil {
			yield(nil, fmt.Errorf("identity/pgstore: read position %d: %w", next, err))
			return next, false
		}
		if pos != next {
			// A gap: the record at next is not committed yet (or never will be). Stop
			// here rather than skip it.
			return next, true
		}
		next++
		if rec == nil {
			rec = []byte{}
		}
		if !yield(rec, nil) {
			return next, false
		}
	}
	if err := rows.Err(); err != nil {
		yield(nil, fmt.Errorf("identity/pgstore: read: %w", err))
		return next, false
	}
	return next, true
}

// Append buffers the records at the next positions while a lead is open; otherwise it
// appends them at the end of the log in a transaction of their own, durable when it
// returns.
func (s *Store) Append(records ...[]byte) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return identity.ErrClosed
	}
	if s.leads > 0 {
		defer s.mu.Unlock()
		if s.diverged {
			return fmt.Errorf("identity/pgstore: a flush failed: %w", identity.ErrDiverged)
		}
		if !s.known {
			return fmt.Errorf("identity/pgstore: append under a lead before reading the log's tail: %w", identity.ErrInvalid)
		}
		if len(s.buf) == 0 {
			s.bufStart = s.head
		}
		n := 0
		for _, r := range records {
			n += len(r)
		}
		arena := make([]byte, 0, n)
		for _, r := range records {
			arena = append(arena, r...)
			s.buf = append(s.buf, arena[len(arena)-len(r):len(arena):len(arena)])
		}
		s.head += int64(len(records))
		s.seq += uint64(len(records))
		return nil
	}
	s.mu.Unlock()
	if len(records) == 0 {
		return nil
	}
	ctx := context.Background()
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("identity/pgstore: append: %w", err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1, $2)", s.k1, s.k2); err != nil {
		return fmt.Errorf("identity/pgstore: append: %w", err)
	}
	// A new statement, so a new snapshot: it sees every record committed before the
	// lock was granted.
	var head int64
	if err := tx.QueryRow(ctx, "SELECT coalesce(max(pos) + 1, 0) FROM "+s.table).Scan(&head); err != nil {
		return fmt.Errorf("identity/pgstore: append: %w", err)
	}
	if err := s.insert(ctx, tx, head, records); err != nil {
		return fmt.Errorf("identity/pgstore: append: %w", err)
	}
	if s.hook != nil {
		s.hook(head)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("identity/pgstore: append: %w", err)
	}
	return nil
}

type execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// insert writes records at positions from, from+1, ... and notifies followers, in one
// statement: as one unit in autocommit mode.
func (s *Store) insert(ctx context.Context, db execer, from int64, records [][]byte) error {
	for i, r := range records {
		if r == nil {
			records[i] = []byte{} // NULL is not a record
		}
	}
	_, err := db.Exec(ctx, "WITH ins AS (INSERT INTO "+s.table+" (pos, rec) "+
		"SELECT $1::bigint + ord - 1, rec FROM unnest($2::bytea[]) WITH ORDINALITY AS t(rec, ord) RETURNING 1) "+
		"SELECT pg_notify($3, $4) FROM (SELECT count(*) FROM ins) AS c", from, records, pg.Channel, s.notify)
	return err
}

// Settle flushes every record appended so far in one INSERT and ends one lead; the
// last lead to end releases the log's lock.
func (s *Store) Settle() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	target := s.seq
	for s.done < target {
		if s.flushing {
			s.cond.Wait()
			continue
		}
		batch, start, end, c := s.buf, s.bufStart, s.seq, s.conn
		s.buf, s.bufStart = nil, s.head
		s.flushing = true
		s.mu.Unlock()
		err := s.insert(context.Background(), c, start, batch)
		s.mu.Lock()
		s.flushing = false
		if err != nil {
			// The records may or may not have committed. Fail every record
			// appended so far, and refuse to lead until the log is read again.
			s.failing = s.leads
			s.done = s.seq
			s.buf = nil
			s.diverged = true
			s.drop()
		} else {
			s.done = end
			s.flushes++
			s.flushed++
		}
		s.cond.Broadcast()
	}
	var err error
	if s.failing > 0 {
		// Every lead open at the failure fails, whether or not its records were in
		// the failed flush: a lead cannot tell which records were its own.
		s.failing--
		err = fmt.Errorf("identity/pgstore: flush failed; the records may or may not be in the log: %w", identity.ErrDiverged)
	}
	if s.leads > 0 {
		s.leads--
		if s.leads == 0 {
			s.idleCond.Broadcast() // a Lead may wait for the open leads to end
		}
	}
	if s.leads == 0 && s.conn != nil && !s.flushing && len(s.buf) == 0 {
		if s.flushes >= maxHold {
			s.release()
		} else {
			// Keep the lock a moment: the resolver's next caller is usually
			// waiting for its lock already, and taking the log's lock again costs
			// round trips and a turn behind the other writers.
			s.idle++
			gen := s.idle
			time.AfterFunc(linger, func() {
				s.mu.Lock()
				defer s.mu.Unlock()
				if s.idle == gen && s.leads == 0 && s.conn != nil && !s.flushing && len(s.buf) == 0 {
					s.release()
				}
			})
		}
	}
	return err
}

// The lead's lock is kept for linger after the last lead ends, and given up, for the
// other writers' turn, after maxHold flushes.
const (
	linger  = 2 * time.Millisecond
	maxHold = 16
)

// release gives the log's lock up. The caller holds mu.
func (s *Store) release() {
	if _, err := s.conn.Exec(context.Background(), "SELECT pg_advisory_unlock($1, $2)", s.k1, s.k2); err != nil {
		s.drop()
	} else {
		s.conn.Release()
		s.conn = nil
		s.known = false
	}
	s.idleCond.Broadcast()
}

// drop closes the lead's connection, which releases the lock if the server still holds
// it. The caller holds mu.
func (s *Store) drop() {
	if s.conn != nil {
		s.conn.Hijack().Close(context.Background())
		s.conn = nil
	}
	s.known = false
	s.cond.Broadcast()
	s.idleCond.Broadcast()
}

// FollowOptions tune Follow. The zero value is the default.
type FollowOptions struct {
	// Poll is how often the follower reads the log without being notified: the upper
	// bound of its lag when a notification is lost. Default one second.
	Poll time.Duration
}

// Follow keeps r, a resolver opened on s, caught up with the log until ctx is done: it
// listens for the NOTIFY every flush sends and calls r.CatchUp on each, and every Poll
// without one. It returns ctx's error, or CatchUp's; identity.ErrInvalid for a nil r and
// identity.ErrClosed on a closed store.
func (s *Store) Follow(ctx context.Context, r *identity.Resolver, opts *FollowOptions) error {
	if r == nil {
		return fmt.Errorf("identity/pgstore: follow: nil resolver: %w", identity.ErrInvalid)
	}
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		return identity.ErrClosed
	}
	poll := time.Second
	if opts != nil && opts.Poll > 0 {
		poll = opts.Poll
	}
	return pg.Follow(ctx, s.pool, s.notify, poll, func(ctx context.Context) error {
		_, err := r.CatchUp(ctx)
		return err
	})
}

// Close releases the lock if held; the pool stays open. Later calls fail with
// identity.ErrClosed.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	s.drop()
	return nil
}
