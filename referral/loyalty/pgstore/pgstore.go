// Package pgstore keeps a loyalty ledger in PostgreSQL, shared by every replica of a
// host service: one log, many writers.
//
// Each process opens its own Ledger on a Store over the same schema. The Store is a
// loyalty.SharedStore: before an event is decided, its Ledger becomes the log's only
// writer (a session advisory lock per log, held across the events that share one
// flush), applies what other writers appended, decides, and appends at the next
// positions; the flush is one INSERT of the batch (group commit) that also NOTIFYs
// followers. Every Ledger applies the same records in the same order, so an event key
// is recorded once however many replicas receive it (an order webhook delivered to two
// replicas earns its points once), and a spend is checked against every point earned,
// spent and reversed on any replica before it: replicas never overdraw a balance
// between them. Crash safety is PostgreSQL's (its write-ahead log and fsync): a flush
// is one statement, committed whole or not at all.
//
//	pool, _ := pgxpool.New(ctx, "postgres://...")
//	s, _ := pgstore.Open(ctx, pool, &pgstore.Options{Schema: "shop", Timeout: 10 * time.Second})
//	l, _ := loyalty.Open(s, rules)
//	go s.Follow(ctx, l, nil) // apply other writers' events as they commit
//
// # Consistency
//
//   - An event (Earn, Spend, Refund, Bonus, Adjust, ApplyMerge) is decided on the whole
//     log as of its start, and returns once its record is committed.
//   - Balance, Lots, Tier and the other queries answer from memory, as of the last
//     event, CatchUp or Follow wake-up of that Ledger: a prefix of the log.
//   - Read your writes elsewhere: Ledger.Position after an event, then on another
//     replica CatchUp while its Position is below it.
//   - Follow applies new records within a round trip of their commit (LISTEN/NOTIFY),
//     polling every FollowOptions.Poll in case a notification is lost. A WithOnTier
//     hook hears the tier changes of every replica's events, in log order.
//   - Without Options.Timeout a call waits for PostgreSQL as long as it takes: for ever,
//     when PostgreSQL stops answering. With it, each statement, and each fetch of a
//     scan, gives up after Timeout with an error wrapping context.DeadlineExceeded (a
//     flush so fails as a lost connection does); a long replay still completes. The
//     context a host gives loyalty.WithReplayContext bounds the whole replay of Open,
//     ending a wait for PostgreSQL too, whatever Timeout is.
//   - A flush that fails (a lost connection, a terminated backend) leaves it unknown
//     whether its records committed: the events fail, and the Ledger reads the log
//     again before its next decision. Retry them: each is recorded once per key.
//
// # Schema
//
// Open creates, in the schema named by Options.Schema (default "clientele"):
//
//	clientele_schema (component text PRIMARY KEY, version integer)  -- 'loyalty' = 1
//	loyalty_log (pos bigint PRIMARY KEY, rec bytea NOT NULL)         -- the ledger, from 0
//
// Each rec is one record as loyalty.Record.MarshalBinary encodes it; positions are
// explicit and a reader stops at the first gap (see internal/pg, shared with the
// identity and referral stores). A schema written by a newer version of this package is
// refused with an error wrapping ErrVersion.
package pgstore

import (
	"context"
	"fmt"
	"iter"
	"time"

	"github.com/clientele-go/clientele/internal/pg"
	"github.com/clientele-go/clientele/referral/loyalty"
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
	// A write that fails so may or may not have taken effect, as with any write that
	// fails over a network: the statement may have committed before its answer was
	// lost, or commit later if the cancellation pgx sends does not reach the server.
	// A flush (Settle) that runs out fails as one whose connection was lost: its
	// connection is closed, which releases the log's lock, the leads fail with
	// loyalty.ErrDiverged, and the next Lead makes the ledger read the whole log
	// again, so nothing is applied twice or lost. Zero leaves every statement
	// unbounded; a negative Timeout is refused by Open with ErrInvalid. It must
	// exceed the longest a writer in another process holds the log's lock (a flush).
	Timeout time.Duration
}

var migrations = []string{
	`CREATE TABLE %[1]s.loyalty_log (pos bigint PRIMARY KEY CHECK (pos >= 0), rec bytea NOT NULL)`,
}

// Store is a loyalty.SharedStore over a PostgreSQL table. It is safe for concurrent
// use, and serves one Ledger (any number of processes, each with its own).
type Store struct {
	log pg.Typed[loyalty.Record, *loyalty.Record]
}

var _ loyalty.SharedStore = (*Store)(nil)

// Open returns a store over the ledger in opts.Schema, creating its table. The pool
// stays the caller's; a store uses one of its connections while it leads and one while
// it follows.
func Open(ctx context.Context, pool *pgxpool.Pool, opts *Options) (*Store, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if err := pg.CheckTimeout(o.Timeout, "loyalty", loyalty.ErrInvalid); err != nil {
		return nil, err
	}
	schema, err := pg.Setup(ctx, pool, o.Schema, "loyalty", migrations, loyalty.ErrInvalid)
	if err != nil {
		return nil, err
	}
	log := pg.NewLog(pool, schema, "loyalty_log", pg.Errors{
		Prefix: "loyalty/pgstore", Closed: loyalty.ErrClosed, Diverged: loyalty.ErrDiverged, Invalid: loyalty.ErrInvalid,
	})
	log.Timeout = o.Timeout
	return &Store{log: pg.Typed[loyalty.Record, *loyalty.Record]{Log: log}}, nil
}

// Lead makes the caller the log's only writer until the matching Settle (see
// loyalty.SharedStore). It waits for writers in other processes to finish their flush.
func (s *Store) Lead(ctx context.Context) error { return s.log.Lead(ctx) }

// Settle flushes every record appended so far in one INSERT and ends one lead.
func (s *Store) Settle() error { return s.log.Settle() }

// Append buffers recs at the next positions while a lead is open; otherwise it writes
// them at the end of the log in one transaction, durable when it returns.
func (s *Store) Append(recs ...loyalty.Record) error { return s.log.Append(recs...) }

// Since yields the records from position pos on, stopping at the first gap.
func (s *Store) Since(pos uint64) iter.Seq2[loyalty.Record, error] { return s.log.Since(pos) }

// SinceContext yields what Since yields, and ends with an error wrapping ctx's error if
// ctx ends first, even while the store waits for PostgreSQL (a lock another session
// holds, a stalled connection), which Options.Timeout alone ends only after Timeout, or
// never when it is zero. The records yielded before the error are the log's, in order. A
// Ledger reads the log through it (CatchUp, the tail an event reads under its lead, and
// Open's replay given loyalty.WithReplayContext), so a wrapper that embeds *Store to
// change Since or Records must change SinceContext and RecordsContext too.
func (s *Store) SinceContext(ctx context.Context, pos uint64) iter.Seq2[loyalty.Record, error] {
	return s.log.SinceContext(ctx, pos)
}

// Records yields every committed record from position 0, stopping at the first gap.
// With no lead open it also ends the refusal that follows a failed flush (see
// loyalty.SharedStore).
func (s *Store) Records() iter.Seq2[loyalty.Record, error] { return s.log.Records() }

// RecordsContext yields what Records yields, and ends with an error wrapping ctx's error
// if ctx ends first, as SinceContext does. Open's replay given loyalty.WithReplayContext
// reads the log through it when SinceContext refuses after a failed flush, so that
// ctx ends a wait for PostgreSQL there too.
func (s *Store) RecordsContext(ctx context.Context) iter.Seq2[loyalty.Record, error] {
	return s.log.RecordsContext(ctx)
}

// FollowOptions tune Follow. The zero value is the default.
type FollowOptions struct {
	// Poll is how often the follower reads the log without being notified: the upper
	// bound of its lag when a notification is lost. Default one second.
	Poll time.Duration
}

// Follow keeps l, a Ledger opened on s, caught up with the log until ctx is done: it
// listens for the NOTIFY every flush sends and calls l.CatchUp on each, and every Poll
// without one. It returns ctx's error, or CatchUp's; loyalty.ErrInvalid for a nil l or a
// nil ctx, and loyalty.ErrClosed on a closed store.
func (s *Store) Follow(ctx context.Context, l *loyalty.Ledger, opts *FollowOptions) error {
	if l == nil {
		return fmt.Errorf("%w: pgstore: follow: nil ledger", loyalty.ErrInvalid)
	}
	if ctx == nil { // the listener would panic on it
		return fmt.Errorf("%w: pgstore: follow: nil context", loyalty.ErrInvalid)
	}
	var poll time.Duration
	if opts != nil {
		poll = opts.Poll
	}
	return s.log.FollowReplica(ctx, poll, l.CatchUp)
}

// Close releases the lock if held; the pool stays open. Later calls fail with loyalty.ErrClosed.
func (s *Store) Close() error { return s.log.Close() }
