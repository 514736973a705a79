// Package pgstore keeps a loyalty ledger in PostgreSQL: a loyalty.Store whose appends
// are transactions, so that a batch is committed whole or not at all and is durable
// when Append returns (crash safety is PostgreSQL's: its write-ahead log and fsync).
//
//	pool, _ := pgxpool.New(ctx, "postgres://...")
//	s, _ := pgstore.Open(ctx, pool, &pgstore.Options{Schema: "shop"})
//	l, _ := loyalty.Open(s, rules)
//
// One Ledger writes a schema at a time: a loyalty.Ledger decides events on the state in
// its memory, so two processes appending to one ledger would each decide without the
// other's events. (The referral programme's pgstore shares one ledger between
// replicas; the loyalty ledger does not, yet.) Appends from several goroutines of that
// Ledger are safe and ordered: each takes the ledger's advisory lock for its
// transaction.
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

	"github.com/clientele-go/clientele/internal/pg"
	"github.com/clientele-go/clientele/referral/loyalty"
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
	`CREATE TABLE %[1]s.loyalty_log (pos bigint PRIMARY KEY CHECK (pos >= 0), rec bytea NOT NULL)`,
}

// Store is a loyalty.Store over a PostgreSQL table. It is safe for concurrent use.
type Store struct {
	log *pg.Log
}

var _ loyalty.Store = (*Store)(nil)

// Open returns a store over the ledger in opts.Schema, creating its table. The pool
// stays the caller's.
func Open(ctx context.Context, pool *pgxpool.Pool, opts *Options) (*Store, error) {
	if pool == nil {
		return nil, fmt.Errorf("%w: pgstore: open: nil pool", loyalty.ErrInvalid)
	}
	schema := "clientele"
	if opts != nil && opts.Schema != "" {
		schema = opts.Schema
	}
	if err := pg.Migrate(ctx, pool, schema, "loyalty", migrations); err != nil {
		return nil, fmt.Errorf("loyalty/pgstore: %w", err)
	}
	return &Store{log: pg.NewLog(pool, schema, "loyalty_log", pg.Errors{
		Prefix: "loyalty/pgstore", Closed: loyalty.ErrClosed, Diverged: loyalty.ErrCorrupt, Invalid: loyalty.ErrInvalid,
	})}, nil
}

// Append writes recs at the end of the ledger in one transaction, durable when it
// returns.
func (s *Store) Append(recs ...loyalty.Record) error {
	enc := make([][]byte, len(recs))
	for i := range recs {
		enc[i], _ = recs[i].MarshalBinary() // never fails
	}
	return s.log.Append(enc...)
}

// Records yields every committed record from position 0, stopping at the first gap.
func (s *Store) Records() iter.Seq2[loyalty.Record, error] {
	return func(yield func(loyalty.Record, error) bool) {
		pos := 0
		for b, err := range s.log.Records() {
			if err != nil {
				yield(loyalty.Record{}, err)
				return
			}
			var r loyalty.Record
			if err := r.UnmarshalBinary(b); err != nil {
				yield(loyalty.Record{}, fmt.Errorf("loyalty/pgstore: record %d: %w", pos, err))
				return
			}
			if !yield(r, nil) {
				return
			}
			pos++
		}
	}
}

// Close ends the store; the pool stays open. Later calls fail with loyalty.ErrClosed.
func (s *Store) Close() error { return s.log.Close() }
