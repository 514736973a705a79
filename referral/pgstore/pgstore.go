// Package pgstore keeps a referral programme's ledger in PostgreSQL, shared by every
// replica of a host service: one ledger, many writers.
//
// Each process opens its own Program on a Store over the same schema. The Store is a
// referral.SharedStore: before an event is decided, its Program becomes the ledger's only
// writer (a session advisory lock per ledger, held across the events that share one
// flush), applies what other writers appended, decides, and appends at the next
// positions; the flush is one INSERT of the batch (group commit) that also NOTIFYs
// followers. Every Program applies the same records in the same order, so an event key
// is recorded once however many replicas receive it (a conversion sent to two replicas
// pays its rewards once), and the fraud guards, caps and velocity limits count every
// replica's events.
//
//	pool, _ := pgxpool.New(ctx, "postgres://...")
//	s, _ := pgstore.Open(ctx, pool, &pgstore.Options{Schema: "shop", Timeout: 10 * time.Second})
//	p, _ := referral.Open(s, cfg)
//	go s.Follow(ctx, p, nil) // apply other writers' decisions as they commit
//
// # Consistency
//
//   - An event (SignUp, Order, Refund, Payout, ...) is decided on the whole ledger as of
//     its start, and returns once its records are committed.
//   - Balance, Payables, Referrer and the other queries answer from memory, as of the
//     last event, CatchUp or Follow wake-up of that Program: a prefix of the ledger.
//   - Read your writes elsewhere: Program.Position after an event, then on another
//     replica CatchUp when its Position is below it.
//   - Follow applies new records within a round trip of their commit (LISTEN/NOTIFY),
//     polling every FollowOptions.Poll in case a notification is lost.
//   - Without Options.Timeout a call waits for PostgreSQL as long as it takes: for ever,
//     when PostgreSQL stops answering. With it, each statement, and each fetch of a
//     scan, gives up after Timeout with an error wrapping context.DeadlineExceeded (a
//     flush so fails as a lost connection does); a long replay still completes. The
//     context a host gives referral.WithReplayContext bounds the whole replay of Open,
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
//     written twice; a further 57014 fails it as a lost flush does. The connections
//     it takes from the pool for one call and gives back have only pgx's guard: a
//     100 ms wait after the cancel request.
//
// Positions are explicit (pos bigint PRIMARY KEY), not a sequence, and a reader stops at
// the first gap, so that no reader skips a record whose transaction commits late (see
// identity/pgstore, which shares this machinery).
//
// # Schema
//
// Open creates or migrates, in the schema named by Options.Schema (default "clientele"):
//
//	clientele_schema (component text PRIMARY KEY, version integer)  -- 'referral' = 2
//	referral_log (pos bigint PRIMARY KEY, rec bytea NOT NULL)        -- the ledger, from 0
//
// Each rec is one record as referral.Record.MarshalBinary encodes it. Version 1 kept one
// row per batch (referral_batch (seq, recs bytea[])); migrating to version 2 numbers its
// records in batch order into referral_log and drops it. Migration runs in one
// transaction under an advisory lock; a schema written by a newer version of this
// package is refused with an error wrapping ErrVersion.
package pgstore

import (
	"context"
	"fmt"
	"iter"
	"time"

	"github.com/clientele-go/clientele/internal/pg"
	"github.com/clientele-go/clientele/referral"
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
	// wait for a connection of the pool: a call that runs out (Apply and the other
	// writes, CatchUp) fails with an error wrapping context.DeadlineExceeded instead of
	// waiting for ever on a PostgreSQL that stopped answering (a lock another session
	// holds, a stalled connection, a partition). The bound is per statement, not per
	// call:
	//   - A scan (Since, Records: a replay, a CatchUp, a Follow wake-up) is one query
	//     whose rows stream in; Timeout bounds each fetch of up to 4096 records
	//     (256 KiB), not the whole scan, and not the time the caller takes applying
	//     what it read, so a long log still replays whatever its length.
	//   - Lead's wait for the log's lock, which writers in other processes hold while
	//     they lead, is one statement, bounded by Timeout and by Lead's ctx, whichever
	//     ends first.
	//   - A plain Append (outside a lead) is a transaction of a few statements, each
	//     bounded.
	//   - Compact (Forget's rewrite of the rows that held the erased signals) is one
	//     transaction whose work grows with the ledger: its wait for the ledger's lock
	//     is one statement, and it reads, and writes back, the rows 4096 at a time,
	//     each page in a statement of its own bounded by Timeout, so a long ledger is
	//     still rewritten. A Compact that runs out is rolled back: every row as it was,
	//     unless its commit is what ran out, which leaves every row as it was or every
	//     row rewritten.
	// A write that fails so may or may not have taken effect, as with any write that
	// fails over a network: the statement may have committed before its answer was
	// lost, or commit later if the cancellation pgx sends does not reach the server.
	// A flush (Settle) that runs out fails as one whose connection was lost: its
	// connection is closed, which releases the log's lock, the leads fail with
	// referral.ErrDiverged, and the next Lead makes the programme read the whole log
	// again, so nothing is applied twice or lost. Zero leaves every statement
	// unbounded; a negative Timeout is refused by Open with ErrInvalid. It must exceed
	// the longest a writer in another process holds the log's lock (a flush; a Compact
	// holds it throughout).
	Timeout time.Duration
}

var migrations = []string{
	`CREATE TABLE %[1]s.referral_batch (seq bigint PRIMARY KEY CHECK (seq >= 0), recs bytea[] NOT NULL)`,
	`CREATE TABLE %[1]s.referral_log (pos bigint PRIMARY KEY CHECK (pos >= 0), rec bytea NOT NULL);
	INSERT INTO %[1]s.referral_log (pos, rec)
		SELECT row_number() OVER (ORDER BY b.seq, r.ord) - 1, r.rec
		FROM %[1]s.referral_batch AS b, unnest(b.recs) WITH ORDINALITY AS r(rec, ord);
	DROP TABLE %[1]s.referral_batch`,
}

// Store is a referral.SharedStore over a PostgreSQL table. It is safe for concurrent
// use, and serves one Program (any number of processes, each with its own).
type Store struct {
	log pg.Typed[referral.Record, *referral.Record]
}

var _ referral.SharedStore = (*Store)(nil)

// Open returns a store over the ledger in opts.Schema, creating or migrating its tables.
// The pool stays the caller's; a store uses one of its connections while it leads and
// one while it follows.
func Open(ctx context.Context, pool *pgxpool.Pool, opts *Options) (*Store, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if err := pg.CheckTimeout(o.Timeout, "referral", referral.ErrInvalid); err != nil {
		return nil, err
	}
	schema, err := pg.Setup(ctx, pool, o.Schema, "referral", migrations, referral.ErrInvalid)
	if err != nil {
		return nil, err
	}
	log := pg.NewLog(pool, schema, "referral_log", pg.Errors{
		Prefix: "referral/pgstore", Closed: referral.ErrClosed, Diverged: referral.ErrDiverged, Invalid: referral.ErrInvalid,
	})
	log.Timeout = o.Timeout
	return &Store{log: pg.Typed[referral.Record, *referral.Record]{Log: log}}, nil
}

// Lead makes the caller the ledger's only writer until the matching Settle (see
// referral.SharedStore). It waits for writers in other processes to finish their flush.
func (s *Store) Lead(ctx context.Context) error { return s.log.Lead(ctx) }

// Settle flushes every record appended so far in one INSERT and ends one lead.
func (s *Store) Settle() error { return s.log.Settle() }

// Append buffers recs at the next positions while a lead is open; otherwise it appends
// them as one transaction at the end of the ledger, durable when it returns.
func (s *Store) Append(recs ...referral.Record) error { return s.log.Append(recs...) }

// Since yields the records from position pos on, stopping at the first gap.
func (s *Store) Since(pos uint64) iter.Seq2[referral.Record, error] { return s.log.Since(pos) }

// SinceContext yields what Since yields, and ends with an error wrapping ctx's error if
// ctx ends first, even while the store waits for PostgreSQL (a lock another session
// holds, a stalled connection), which Options.Timeout alone ends only after Timeout, or
// never when it is zero. The records yielded before the error are the log's, in order. A
// Program reads the ledger through it (CatchUp, the tail an event reads under its lead,
// and Open's replay given referral.WithReplayContext), so a wrapper that embeds *Store
// to change Since or Records must change SinceContext and RecordsContext too.
func (s *Store) SinceContext(ctx context.Context, pos uint64) iter.Seq2[referral.Record, error] {
	return s.log.SinceContext(ctx, pos)
}

// Records yields every record committed, from position 0. With no lead open it also
// ends the refusal that follows a failed flush (see referral.SharedStore).
func (s *Store) Records() iter.Seq2[referral.Record, error] { return s.log.Records() }

// RecordsContext yields what Records yields, and ends with an error wrapping ctx's error
// if ctx ends first, as SinceContext does. Open's replay given referral.WithReplayContext
// reads the log through it when SinceContext refuses after a failed flush, so that
// ctx ends a wait for PostgreSQL there too.
func (s *Store) RecordsContext(ctx context.Context) iter.Seq2[referral.Record, error] {
	return s.log.RecordsContext(ctx)
}

// FollowOptions tune Follow. The zero value is the default.
type FollowOptions struct {
	// Poll is how often the follower reads the ledger without being notified: the
	// upper bound of its lag when a notification is lost. Default one second.
	Poll time.Duration
}

// Follow keeps p, a Program opened on s, caught up with the ledger until ctx is done:
// it listens for the NOTIFY every flush sends and calls p.CatchUp on each, and every
// Poll without one. It returns ctx's error, or CatchUp's; referral.ErrInvalid for a nil
// p or ctx and referral.ErrClosed on a closed store.
func (s *Store) Follow(ctx context.Context, p *referral.Program, opts *FollowOptions) error {
	if p == nil {
		return fmt.Errorf("referral/pgstore: follow: nil programme: %w", referral.ErrInvalid)
	}
	if ctx == nil { // the listener would panic on it
		return fmt.Errorf("referral/pgstore: follow: nil context: %w", referral.ErrInvalid)
	}
	var poll time.Duration
	if opts != nil {
		poll = opts.Poll
	}
	return s.log.FollowReplica(ctx, poll, p.CatchUp)
}

// Close releases the lock if held; the pool stays open. Later calls fail with
// referral.ErrClosed.
func (s *Store) Close() error { return s.log.Close() }

var _ referral.Compacter = (*Store)(nil)

// Compact rewrites the ledger's rows in place with what rewrite returns for each
// record, in one transaction under the ledger's advisory lock (internal/pg's
// Log.Update): a crash leaves every row as it was or every row rewritten, positions do
// not move, and records other replicas append meanwhile wait for the lock and are kept.
// referral.Program.Forget calls it to remove the erased signals from the rows. It waits
// for the writers of other processes to end their lead. As with any UPDATE, PostgreSQL
// keeps the old row versions, erased signals included, in the table's files until
// VACUUM reclaims them, and in its write-ahead log until the segments are recycled: a
// host with a deadline for erasure runs VACUUM on referral_log after Forget.
func (s *Store) Compact(rewrite func(referral.Record) referral.Record) error {
	return s.CompactContext(context.Background(), rewrite)
}

// CompactContext is Compact, ending with an error wrapping ctx's error if ctx ends
// first, even while it waits for PostgreSQL (the ledger's lock, a row another session
// holds), as SinceContext does; it is then rolled back as a Compact that runs out of
// Options.Timeout is. Open given referral.WithReplayContext finishes an interrupted
// forget through it, so that ctx bounds the whole of Open.
func (s *Store) CompactContext(ctx context.Context, rewrite func(referral.Record) referral.Record) error {
	return s.log.UpdateContext(ctx, func(pos int64, b []byte) ([]byte, error) {
		var r referral.Record
		if err := r.UnmarshalBinary(b); err != nil {
			return nil, err
		}
		r = rewrite(r)
		return r.MarshalBinary()
	})
}
