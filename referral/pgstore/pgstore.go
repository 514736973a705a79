// Package pgstore keeps a referral programme's ledger (referral.Store) in PostgreSQL.
//
//	pool, _ := pgxpool.New(ctx, "postgres://...")
//	s, _ := pgstore.Open(ctx, pool, &pgstore.Options{Schema: "shop"})
//	p, _ := referral.Open(s, cfg)
//
// # Schema
//
// Open creates or migrates, in the schema named by Options.Schema (default "clientele"):
//
//	clientele_schema (component text PRIMARY KEY, version integer)  -- 'referral' = 1
//	referral_batch (seq bigint PRIMARY KEY, recs bytea[] NOT NULL)   -- one row per Append
//
// Each element of recs is one record as referral.Record.MarshalBinary encodes it.
// Migration runs in one transaction under an advisory lock; a schema written by a newer
// version of this package is refused with an error wrapping ErrVersion.
//
// # Consistency
//
// Append is one transaction: it takes the ledger's advisory lock, numbers its batch
// after the last committed one and commits, so a batch is atomic, durable when Append
// returns, and batches become visible in the order of their numbers (no reader meets a
// later batch before an earlier one). Records reads the batches committed when it
// starts. The ledger is written by one Program at a time: the Program decides on what it
// has replayed, and does not read batches another process appends after Open.
package pgstore

import (
	"context"
	"fmt"
	"iter"

	"github.com/clientele-go/clientele/internal/pg"
	"github.com/clientele-go/clientele/referral"
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
	`CREATE TABLE %[1]s.referral_batch (seq bigint PRIMARY KEY CHECK (seq >= 0), recs bytea[] NOT NULL)`,
}

// Store is a referral.Store over a PostgreSQL table. It is safe for concurrent use.
type Store struct {
	pool   *pgxpool.Pool
	table  string
	k1, k2 int32
}

var _ referral.Store = (*Store)(nil)

// Open returns a store over the ledger in opts.Schema, creating or migrating its table.
// The pool stays the caller's.
func Open(ctx context.Context, pool *pgxpool.Pool, opts *Options) (*Store, error) {
	if pool == nil {
		return nil, fmt.Errorf("referral/pgstore: open: nil pool: %w", referral.ErrInvalid)
	}
	schema := "clientele"
	if opts != nil && opts.Schema != "" {
		schema = opts.Schema
	}
	if err := pg.Migrate(ctx, pool, schema, "referral", migrations); err != nil {
		return nil, fmt.Errorf("referral/pgstore: %w", err)
	}
	s := &Store{pool: pool, table: pg.Ident(schema) + ".referral_batch"}
	s.k1, s.k2 = pg.Key(schema, "referral_batch")
	return s, nil
}

// Append writes recs as one batch after every batch committed before.
func (s *Store) Append(recs ...referral.Record) error {
	if len(recs) == 0 {
		return nil
	}
	enc := make([][]byte, len(recs))
	for i := range recs {
		enc[i], _ = recs[i].MarshalBinary()
	}
	ctx := context.Background()
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("referral/pgstore: append: %w", err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1, $2)", s.k1, s.k2); err != nil {
		return fmt.Errorf("referral/pgstore: append: %w", err)
	}
	// A statement after the lock: its snapshot holds every batch committed before.
	if _, err := tx.Exec(ctx, "INSERT INTO "+s.table+" (seq, recs) SELECT coalesce(max(seq) + 1, 0), $1 FROM "+s.table, enc); err != nil {
		return fmt.Errorf("referral/pgstore: append: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("referral/pgstore: append: %w", err)
	}
	return nil
}

// Records yields the records of every batch committed before it starts, in order.
func (s *Store) Records() iter.Seq2[referral.Record, error] {
	return func(yield func(referral.Record, error) bool) {
		ctx := context.Background()
		rows, err := s.pool.Query(ctx, "SELECT seq, recs FROM "+s.table+" ORDER BY seq")
		if err != nil {
			yield(referral.Record{}, fmt.Errorf("referral/pgstore: read: %w", err))
			return
		}
		defer rows.Close()
		for rows.Next() {
			var seq int64
			var recs [][]byte
			if err := rows.Scan(&seq, &recs); err != nil {
				yield(referral.Record{}, fmt.Errorf("referral/pgstore: read: %w", err))
				return
			}
			for i, b := range recs {
				var r referral.Record
				if err := r.UnmarshalBinary(b); err != nil {
					yield(referral.Record{}, fmt.Errorf("referral/pgstore: batch %d record %d: %w", seq, i, err))
					return
				}
				if !yield(r, nil) {
					return
				}
			}
		}
		if err := rows.Err(); err != nil {
			yield(referral.Record{}, fmt.Errorf("referral/pgstore: read: %w", err))
		}
	}
}
