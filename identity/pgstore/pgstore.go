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
//	s, _ := pgstore.Open(ctx, pool, &pgstore.Options{Schema: "shop", Timeout: 10 * time.Second})
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
//   - Without Options.Timeout a call waits for PostgreSQL as long as it takes: for ever,
//     when PostgreSQL stops answering. With it, each statement, and each fetch of a
//     scan, gives up after Timeout with an error wrapping context.DeadlineExceeded (a
//     flush so fails as a lost connection does); a long replay still completes. The
//     context a host gives identity.WithReplayContext bounds the whole replay of New,
//     ending a wait for PostgreSQL too, whatever Timeout is.
//   - A pool whose connections send cancel requests when a context ends
//     (pgconn.CancelRequestContextWatcherHandler) meets a race of pgx's: a cancel
//     request names a connection, not a statement, and one that reaches PostgreSQL late,
//     after its statement returned, ends the next statement on that connection with
//     PostgreSQL's 57014, though that statement's own context had not ended; the call
//     fails, and a retry succeeds. The connection the Store holds across leads (the
//     lock's) is not so reused: once a statement on it returns after its context
//     ended, whatever its result, the Store closes it, at once or when the leads open
//     already end (they flush on it: no other connection holds the lock), and the next
//     lead takes a fresh one, and the lock again. A flush of those leads that a late
//     cancel ends (57014, its own context live) is sent again on that connection, up
//     to once per statement that returned late on it: PostgreSQL rolled the flush
//     back and the Store's session still holds the lock, so no record is lost or
//     written twice; a further 57014 fails it as a lost flush does. A rewrite under
//     such a lead (a Forget's) is not sent again and fails so. The connections it
//     takes from the pool for one call and gives back have only pgx's guard: a 100 ms
//     wait after the cancel request.
//
// # Order without gaps
//
// Positions are explicit (pos bigint PRIMARY KEY), not a sequence: a sequence value is
// assigned at insert but becomes visible at commit, so a reader that saw 7 and 9 could
// later find 8 and would have skipped it. Here a record at position n+1 is only ever
// inserted by a writer holding the log's lock after the record at n committed, and a
// reader stops at the first gap it meets, so no reader ever skips a record. (The same
// machinery, internal/pg's Log, keeps referral/pgstore's shared ledger.)
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
// # Forget
//
// The Store is an identity.Compacter: once Resolver.Forget returns nil, no row of
// identity_log holds a value (raw, or its HMAC with WithHMAC) of a forgotten identifier.
// Forget's record and the rewritten rows commit in one transaction, under the log's
// lock: only the rows whose bytes change are updated, and no record changes position, so
// every replica's position stays valid (the others erase the values from memory when
// they apply the Forget record). If the process dies before that commit, nothing of the
// Forget is in the log and the caller's retry does it all; if a Forget's record is in the
// log while older rows still hold the values (a rewrite that failed after another path
// committed the record), the next New on the log finishes the rewrite before it returns.
// As with any UPDATE, PostgreSQL keeps the old row versions in the table's files until
// VACUUM reclaims them, and in its write-ahead log until the segments are recycled: a
// host with a deadline for erasure runs VACUUM on identity_log after Forget.
package pgstore

import (
	"context"
	"fmt"
	"iter"
	"time"

	"github.com/clientele-go/clientele/identity"
	"github.com/clientele-go/clientele/internal/pg"
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
	// Timeout, when positive, bounds each statement the store sends PostgreSQL, and each
	// wait for a connection of the pool: a call that runs out (Link, Resolve and the
	// other mutations, CatchUp) fails with an error wrapping context.DeadlineExceeded
	// instead of waiting for ever on a PostgreSQL that stopped answering (a lock another
	// session holds, a stalled connection, a partition). The bound is per statement, not
	// per call:
	//   - A scan (Since, Records: a replay, a CatchUp, a Follow wake-up) is one query
	//     whose rows stream in; Timeout bounds each fetch of up to 4096 records
	//     (256 KiB), not the whole scan, and not the time the caller takes applying
	//     what it read, so a long log still replays whatever its length.
	//   - Lead's wait for the log's lock, which writers in other processes hold while
	//     they lead, is one statement, bounded by Timeout and by Lead's ctx, whichever
	//     ends first.
	//   - A plain Append (outside a lead) is a transaction of a few statements, each
	//     bounded.
	//   - Compact (Forget's rewrite of the rows that held the forgotten values) is one
	//     transaction whose work grows with the log: it reads, and writes back, the
	//     rows 4096 at a time, each page in a statement of its own bounded by Timeout,
	//     so a long log is still rewritten. A Compact that runs out fails as a flush
	//     does (below): nothing of it commits, unless its commit is what ran out, and
	//     the caller's retry of the Forget does it all.
	// A write that fails so may or may not have taken effect, as with any write that
	// fails over a network: the statement may have committed before its answer was
	// lost, or commit later if the cancellation pgx sends does not reach the server.
	// A flush (Settle) that runs out fails as one whose connection was lost: its
	// connection is closed, which releases the log's lock, the leads fail with
	// identity.ErrDiverged, and the next Lead makes the resolver read the whole log
	// again, so nothing is applied twice or lost. Zero leaves every statement
	// unbounded; a negative Timeout is refused by Open with ErrInvalid. It must exceed
	// the longest a writer in another process holds the log's lock (a flush; a Compact
	// holds it throughout).
	Timeout time.Duration
}

var migrations = []string{
	`CREATE TABLE %[1]s.identity_log (pos bigint PRIMARY KEY CHECK (pos >= 0), rec bytea NOT NULL)`,
}

// Store is an identity.SharedStore over a PostgreSQL table. It is safe for concurrent
// use, and is meant to be written by one resolver per process (any number of
// processes).
type Store struct {
	log *pg.Log
}

var (
	_ identity.SharedStore = (*Store)(nil)
	_ identity.Compacter   = (*Store)(nil)
)

// Open returns a store over the log in opts.Schema, creating or migrating its tables.
// The pool stays the caller's; a store uses one of its connections while it leads and
// one while it follows.
func Open(ctx context.Context, pool *pgxpool.Pool, opts *Options) (*Store, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if err := pg.CheckTimeout(o.Timeout, "identity", identity.ErrInvalid); err != nil {
		return nil, err
	}
	schema, err := pg.Setup(ctx, pool, o.Schema, "identity", migrations, identity.ErrInvalid)
	if err != nil {
		return nil, err
	}
	log := pg.NewLog(pool, schema, "identity_log", pg.Errors{
		Prefix: "identity/pgstore", Closed: identity.ErrClosed, Diverged: identity.ErrDiverged, Invalid: identity.ErrInvalid,
	})
	log.Timeout = o.Timeout
	return &Store{log: log}, nil
}

// Lead makes the caller the log's only writer until the matching Settle (see
// identity.SharedStore). It waits for writers in other processes to finish their flush.
func (s *Store) Lead(ctx context.Context) error { return s.log.Lead(ctx) }

// Since yields the records from position pos on, stopping at the first gap.
func (s *Store) Since(pos uint64) iter.Seq2[[]byte, error] { return s.log.Since(pos) }

// SinceContext yields what Since yields, and ends with an error wrapping ctx's error if
// ctx ends first, even while the store waits for PostgreSQL (a lock another session
// holds, a stalled connection), which Options.Timeout alone ends only after Timeout, or
// never when it is zero. The records yielded before the error are the log's, in order. A
// resolver reads the log through it (CatchUp, the tail a mutation reads under its lead,
// and New's replay given identity.WithReplayContext), so a wrapper that embeds *Store to
// change Since or Records must change SinceContext and RecordsContext too.
func (s *Store) SinceContext(ctx context.Context, pos uint64) iter.Seq2[[]byte, error] {
	return s.log.SinceContext(ctx, pos)
}

// Records yields every record from position 0. With no lead open it also ends the
// refusal that follows a failed flush: the caller reads the whole log again.
func (s *Store) Records() iter.Seq2[[]byte, error] { return s.log.Records() }

// RecordsContext yields what Records yields, and ends with an error wrapping ctx's error
// if ctx ends first, as SinceContext does. New's replay given identity.WithReplayContext
// reads the log through it when SinceContext refuses after a failed flush, so that
// ctx ends a wait for PostgreSQL there too.
func (s *Store) RecordsContext(ctx context.Context) iter.Seq2[[]byte, error] {
	return s.log.RecordsContext(ctx)
}

// Append buffers the records at the next positions while a lead is open; otherwise it
// appends them at the end of the log in a transaction of their own, durable when it
// returns.
func (s *Store) Append(records ...[]byte) error { return s.log.Append(records...) }

// Settle flushes every record appended so far in one INSERT and ends one lead; the
// last lead to end releases the log's lock.
func (s *Store) Settle() error { return s.log.Settle() }

// Compact rewrites the log with records, the resolver's history less the values of
// forgotten identifiers, position by position, updating only the rows that change (see
// Forget above). Under the resolver's lead it also commits the records the lead
// buffered, in the same transaction.
func (s *Store) Compact(records iter.Seq[[]byte]) error { return s.log.Rewrite(records) }

// CompactContext is Compact, ending with an error wrapping ctx's error if ctx ends
// first, even while it waits for PostgreSQL, as SinceContext does; it then fails as a
// Compact that runs out of Options.Timeout does. New given identity.WithReplayContext
// finishes an interrupted erasure through it, so that ctx bounds the whole of New.
func (s *Store) CompactContext(ctx context.Context, records iter.Seq[[]byte]) error {
	return s.log.RewriteContext(ctx, records)
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
		return fmt.Errorf("%w: identity/pgstore: follow: nil resolver", identity.ErrInvalid)
	}
	var poll time.Duration
	if opts != nil {
		poll = opts.Poll
	}
	return s.log.FollowReplica(ctx, poll, r.CatchUp)
}

// Close releases the lock if held; the pool stays open. Later calls fail with
// identity.ErrClosed.
func (s *Store) Close() error { return s.log.Close() }
