// Package pgstore keeps segment's snapshots and saved segments (segment.Store blobs) in
// PostgreSQL, where every replica of a host service reads the same ones.
//
//	pool, _ := pgxpool.New(ctx, "postgres://...")
//	s, _ := pgstore.Open(ctx, pool, &pgstore.Options{Schema: "shop", Timeout: 30 * time.Second})
//	x, _ := segment.Load(s, "index") // or any use of a segment.Store
//	_ = x.SaveTo(s, "index")
//
// # Schema
//
// Open creates or migrates, in the schema named by Options.Schema (default "clientele"):
//
//	clientele_schema (component text PRIMARY KEY, version integer)  -- 'segment' = 3
//	segment_blob (name text PRIMARY KEY, data bytea NOT NULL,
//	              version bigint,       -- from 2: new at every Put
//	              incarnation bigint)   -- from 3: new when a Put creates the blob
//
// Migration runs in one transaction under an advisory lock; a schema written by a newer
// version of this package is refused with an error wrapping ErrVersion.
//
// # Consistency
//
// Each call is one statement in its own transaction: Put replaces a blob atomically
// (an upsert), and is durable when it returns (with the database's synchronous_commit);
// a Get on any replica after a Put returned sees the new bytes.
//
// segment.Store's methods take no context. A call made on the copy of the Store that
// WithContext returns runs under its context (a server's request, a save the host may
// cancel), and fails with an error wrapping that context's error once it ends. Until
// then, or on the Store itself, and without Options.Timeout, a call waits as long as pgx
// does for its connection and its answer: forever, when PostgreSQL stops answering (a
// stalled connection, a lock another session holds, a network partition). With
// Options.Timeout, each call gives up after it and fails with an error wrapping
// context.DeadlineExceeded. pgx gives up on a query by closing its connection, first
// asking the server, as best it can, to cancel the statement; the pool opens a new
// connection for a later call. A Put (or Delete) that failed so, like any write that
// fails over a network, may or may not have taken effect: the statement may have
// committed before its answer was lost, or, when the cancellation did not reach the
// server (a partition), commit later still. The caller treats it as unknown, and reads
// the blob back (Get or Versions) to learn which.
//
// A pool whose connections send a cancel request when a context ends, and keep the
// connection (pgconn.CancelRequestContextWatcherHandler), meets a race of pgx's: the
// request names a connection, not a statement, and one that reaches PostgreSQL late,
// after its statement returned, ends the next statement on that connection with
// PostgreSQL's 57014, though that call's own context had not ended; the call fails, and
// a retry succeeds. The Store holds no connection of its own: each call takes one from
// the pool and gives it back, with only pgx's guard, a 100 ms wait after the cancel
// request. (identity/pgstore and referral/pgstore close the connection they hold across
// leads rather than reuse it after such a statement.)
//
// # Following other writers
//
// Every Put and Delete announces itself on internal/pg's NOTIFY channel (the payload is
// "SCHEMA.segment_blob", in the same transaction, so it is delivered once the write is
// visible), as the identity and referral logs announce their appends: a replica that
// follows them with pg.Follow wakes on any of them. Every Put also gives its blob a
// new version (Versions), so that a replica learns which blobs another process
// replaced, created or deleted with one query that reads no blob; PutVersion returns
// the version of its own write, which the replica remembers as if it had read it.
//
// # Snapshots
//
// A snapshot of a segment.Index is a blob like any other: the host writes the index
// (Index.WriteTo) with the position of the first event it does not hold, and on start
// reads the latest and applies the events after it. How often is the host's choice,
// made by how many events it will replay at most after a crash: examples/server writes
// one every 10,000 events (its -snapshot-every), as well as when a segment is saved and
// at shutdown. Put replaces the blob in one statement, so a reader never meets half a
// snapshot, and a crash during one leaves the previous. Replicas that share the blob
// write it with PutSnapshot, which keeps the blob when it holds a later position than
// the one written: a replica behind the others would otherwise replace a newer
// snapshot with its older one, and the next start would replay more events.
package pgstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/clientele-go/clientele/internal/pg"
	"github.com/clientele-go/clientele/segment"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// ErrVersion means the schema holds tables of a newer version than this package knows.
var ErrVersion = pg.ErrNewer

// Options configure Open. The zero value is the default.
type Options struct {
	// Schema is the PostgreSQL schema of the tables; default "clientele". It is used
	// as written (quoted, case kept) and must be at most 63 bytes, the longest name
	// PostgreSQL keeps: Open refuses a longer one with ErrInvalid.
	Schema string
	// Timeout, when positive, bounds each call of the Store after Open (Put,
	// PutVersion, Get, Delete, List, Versions), from the wait for a connection of the
	// pool to the last row read: a call that runs out fails with an error wrapping
	// context.DeadlineExceeded. A write that fails so may or may not have taken effect
	// (see Consistency). Zero leaves calls unbounded, waiting for PostgreSQL as long as
	// it takes (or until the context given to WithContext ends); a negative Timeout is
	// refused by Open with ErrInvalid. It must exceed the time to move the largest blob
	// (a snapshot) over the connection. On a copy WithContext made, each call ends at
	// Timeout or with the context, whichever comes first.
	Timeout time.Duration
}

var migrations = []string{
	`CREATE TABLE %[1]s.segment_blob (name text COLLATE "C" PRIMARY KEY, data bytea NOT NULL)`,
	// 2: a version per write, for a follower to learn what changed without reading
	// blobs. An identity column's sequence hands out numbers never used before, so a
	// blob deleted and put again never gets back a version a follower remembers.
	`ALTER TABLE %[1]s.segment_blob ADD COLUMN version bigint NOT NULL GENERATED BY DEFAULT AS IDENTITY`,
	// 3: an incarnation per creation. An upsert's update leaves the column alone, so a
	// replacement keeps it, and an insert (the name new, or deleted since) draws the
	// next number of its own sequence. Existing blobs each get a distinct one. A
	// process of version 2 still running writes through the same defaults, so its
	// Puts keep the column's meaning. (Version 2 was never released: it is kept as it
	// was so that a schema a development build made at 2 upgrades like any other.)
	`ALTER TABLE %[1]s.segment_blob ADD COLUMN incarnation bigserial`,
}

// Store is a segment.Store over a PostgreSQL table. It is safe for concurrent use, by
// any number of processes.
type Store struct {
	pool    *pgxpool.Pool
	table   string
	notify  string          // the NOTIFY payload of a write
	timeout time.Duration   // Options.Timeout
	ctx     context.Context // WithContext's, or nil: see parent
}

var _ segment.Store = (*Store)(nil)

// Open returns a store over the blobs in opts.Schema, creating or migrating its table.
// The pool stays the caller's.
func Open(ctx context.Context, pool *pgxpool.Pool, opts *Options) (*Store, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Timeout < 0 {
		return nil, fmt.Errorf("%w: segment/pgstore: open: timeout %v is negative (0 is none)", segment.ErrInvalid, o.Timeout)
	}
	schema, err := pg.Setup(ctx, pool, o.Schema, "segment", migrations, segment.ErrInvalid)
	if err != nil {
		return nil, err
	}
	return &Store{pool: pool, table: pg.Ident(schema) + ".segment_blob", notify: schema + ".segment_blob", timeout: o.Timeout}, nil
}

// call returns the context of one call of the Store: under the context WithContext
// gave (none by default, as segment.Store's methods have no context of their caller),
// and bounded by Options.Timeout as well when there is one.
func (s *Store) call() (context.Context, context.CancelFunc) {
	return pg.Bound(s.parent(), s.timeout)
}

// Put stores a copy of data under name, replacing what it held.
func (s *Store) Put(name string, data []byte) error {
	_, err := s.PutVersion(name, data)
	return err
}

// PutVersion is Put, and returns the version the write gave the blob, as Versions
// would report it right after: a new Write, and the Incarnation of the blob it
// replaced, or a new one if it created the blob (none of the name existed when it
// committed). A process that remembers the versions it read (see Versions) records
// its own writes with it, so that its next Versions tells a blob deleted and put again
// by another process since this write from one this write created.
func (s *Store) PutVersion(name string, data []byte) (Version, error) {
	if err := segment.CheckName(name); err != nil {
		return Version{}, fmt.Errorf("segment/pgstore: put: %w", err)
	}
	if data == nil {
		data = []byte{}
	}
	// One statement: the write, its new version and its notification commit together.
	ctx, cancel := s.call()
	defer cancel()
	var v Version
	err := s.pool.QueryRow(ctx, "WITH w AS (INSERT INTO "+s.table+" (name, data) VALUES ($1, $2) "+
		"ON CONFLICT (name) DO UPDATE SET data = EXCLUDED.data, version = DEFAULT RETURNING version, incarnation) "+
		"SELECT version, incarnation, pg_notify($3, $4)::text FROM w", name, data, pg.Channel, s.notify).Scan(&v.Write, &v.Incarnation, nil)
	if err != nil {
		return Version{}, fmt.Errorf("segment/pgstore: put %q: %w", name, pg.Ended(ctx, err))
	}
	return v, nil
}

// Get returns the blob's bytes, or an error wrapping segment.ErrNotFound.
func (s *Store) Get(name string) ([]byte, error) {
	if err := segment.CheckName(name); err != nil {
		return nil, fmt.Errorf("segment/pgstore: get: %w", err)
	}
	ctx, cancel := s.call()
	defer cancel()
	var data []byte
	err := s.pool.QueryRow(ctx, "SELECT data FROM "+s.table+" WHERE name = $1", name).Scan(&data)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("segment/pgstore: get %q: %w", name, segment.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("segment/pgstore: get %q: %w", name, pg.Ended(ctx, err))
	}
	if data == nil {
		data = []byte{}
	}
	return data, nil
}

// Delete removes the blob, or fails with an error wrapping segment.ErrNotFound.
func (s *Store) Delete(name string) error {
	if err := segment.CheckName(name); err != nil {
		return fmt.Errorf("segment/pgstore: delete: %w", err)
	}
	ctx, cancel := s.call()
	defer cancel()
	var n int
	err := s.pool.QueryRow(ctx, "WITH d AS (DELETE FROM "+s.table+" WHERE name = $1 RETURNING name) "+
		"SELECT count(pg_notify($2, $3)) FROM d", name, pg.Channel, s.notify).Scan(&n)
	if err != nil {
		return fmt.Errorf("segment/pgstore: delete %q: %w", name, pg.Ended(ctx, err))
	}
	if n == 0 {
		return fmt.Errorf("segment/pgstore: delete %q: %w", name, segment.ErrNotFound)
	}
	return nil
}

// List returns the blob names, sorted bytewise.
func (s *Store) List() ([]string, error) {
	ctx, cancel := s.call()
	defer cancel()
	rows, err := s.pool.Query(ctx, "SELECT name FROM "+s.table+" ORDER BY name")
	if err != nil {
		return nil, fmt.Errorf("segment/pgstore: list: %w", pg.Ended(ctx, err))
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("segment/pgstore: list: %w", pg.Ended(ctx, err))
	}
	if names == nil {
		names = []string{}
	}
	return names, nil
}

// Version is what Versions reports of one blob. Both numbers are for comparing, not
// ordering: two Puts committing in one order may hold numbers in the other.
type Version struct {
	// Write is new at every Put: no earlier write of the table had it.
	Write int64
	// Incarnation is new when a Put creates the blob (no blob of its name existed) and
	// kept by every Put that replaces it, so a blob deleted and put again has a new
	// one, however little time passed between the two.
	Incarnation int64
}

// Versions returns the version of every blob whose name begins with prefix, read in one
// statement that reads no blob. A process that remembers the versions it read learns
// from the next call which blobs another process created or replaced (a Write it has
// not seen), deleted (a name gone), and deleted and created again (an Incarnation it
// has not seen).
func (s *Store) Versions(prefix string) (map[string]Version, error) {
	ctx, cancel := s.call()
	defer cancel()
	rows, err := s.pool.Query(ctx, "SELECT name, version, incarnation FROM "+s.table+" WHERE starts_with(name, $1)", prefix)
	if err != nil {
		return nil, fmt.Errorf("segment/pgstore: versions: %w", pg.Ended(ctx, err))
	}
	defer rows.Close()
	vs := map[string]Version{}
	for rows.Next() {
		var name string
		var v Version
		if err := rows.Scan(&name, &v.Write, &v.Incarnation); err != nil {
			return nil, fmt.Errorf("segment/pgstore: versions: %w", pg.Ended(ctx, err))
		}
		vs[name] = v
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("segment/pgstore: versions: %w", pg.Ended(ctx, err))
	}
	return vs, nil
}
