// Package pgstore keeps segment's snapshots and saved segments (segment.Store blobs) in
// PostgreSQL, where every replica of a host service reads the same ones.
//
//	pool, _ := pgxpool.New(ctx, "postgres://...")
//	s, _ := pgstore.Open(ctx, pool, &pgstore.Options{Schema: "shop"})
//	x, _ := segment.OpenIndex(s, ...) // or any use of a segment.Store
//
// # Schema
//
// Open creates or migrates, in the schema named by Options.Schema (default "clientele"):
//
//	clientele_schema (component text PRIMARY KEY, version integer)  -- 'segment' = 1
//	segment_blob (name text PRIMARY KEY, data bytea NOT NULL)
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
// # Snapshots
//
// A snapshot of a segment.Index is a blob like any other: the host writes the index
// (Index.WriteTo) with the position of the first event it does not hold, and on start
// reads the latest and applies the events after it. How often is the host's choice,
// made by how many events it will replay at most after a crash: examples/server writes
// one every 10,000 events (its -snapshot-every), as well as when a segment is saved and
// at shutdown. Put replaces the blob in one statement, so a reader never meets half a
// snapshot, and a crash during one leaves the previous.
package pgstore

import (
	"context"
	"errors"
	"fmt"

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
}

var migrations = []string{
	`CREATE TABLE %[1]s.segment_blob (name text COLLATE "C" PRIMARY KEY, data bytea NOT NULL)`,
}

// Store is a segment.Store over a PostgreSQL table. It is safe for concurrent use, by
// any number of processes.
type Store struct {
	pool  *pgxpool.Pool
	table string
}

var _ segment.Store = (*Store)(nil)

// Open returns a store over the blobs in opts.Schema, creating or migrating its table.
// The pool stays the caller's.
func Open(ctx context.Context, pool *pgxpool.Pool, opts *Options) (*Store, error) {
	schema := ""
	if opts != nil {
		schema = opts.Schema
	}
	schema, err := pg.Setup(ctx, pool, schema, "segment", migrations, segment.ErrInvalid)
	if err != nil {
		return nil, err
	}
	return &Store{pool: pool, table: pg.Ident(schema) + ".segment_blob"}, nil
}

// Put stores a copy of data under name, replacing what it held.
func (s *Store) Put(name string, data []byte) error {
	if err := segment.CheckName(name); err != nil {
		return fmt.Errorf("segment/pgstore: put: %w", err)
	}
	if data == nil {
		data = []byte{}
	}
	_, err := s.pool.Exec(context.Background(), "INSERT INTO "+s.table+" (name, data) VALUES ($1, $2) "+
		"ON CONFLICT (name) DO UPDATE SET data = EXCLUDED.data", name, data)
	if err != nil {
		return fmt.Errorf("segment/pgstore: put %q: %w", name, err)
	}
	return nil
}

// Get returns the blob's bytes, or an error wrapping segment.ErrNotFound.
func (s *Store) Get(name string) ([]byte, error) {
	if err := segment.CheckName(name); err != nil {
		return nil, fmt.Errorf("segment/pgstore: get: %w", err)
	}
	var data []byte
	err := s.pool.QueryRow(context.Background(), "SELECT data FROM "+s.table+" WHERE name = $1", name).Scan(&data)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("segment/pgstore: get %q: %w", name, segment.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("segment/pgstore: get %q: %w", name, err)
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
	tag, err := s.pool.Exec(context.Background(), "DELETE FROM "+s.table+" WHERE name = $1", name)
	if err != nil {
		return fmt.Errorf("segment/pgstore: delete %q: %w", name, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("segment/pgstore: delete %q: %w", name, segment.ErrNotFound)
	}
	return nil
}

// List returns the blob names, sorted bytewise.
func (s *Store) List() ([]string, error) {
	rows, err := s.pool.Query(context.Background(), "SELECT name FROM "+s.table+" ORDER BY name")
	if err != nil {
		return nil, fmt.Errorf("segment/pgstore: list: %w", err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("segment/pgstore: list: %w", err)
	}
	if names == nil {
		names = []string{}
	}
	return names, nil
}
