// Package pg holds what the PostgreSQL stores (identity/pgstore, segment/pgstore,
// referral/pgstore, referral/loyalty/pgstore) share: the steps of Open (Setup),
// versioned schema migration, advisory lock keys, the shared log (Log, and Typed for a
// package's own record type) and the LISTEN/NOTIFY loop that wakes a follower.
package pg

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// ErrNewer means the tables in a schema were written by a newer version of the code:
// their layout may have changed in ways this code would misread, so it refuses them.
var ErrNewer = errors.New("schema version newer than this code knows")

// Channel is the NOTIFY channel every store announces its appends on; the payload names
// the schema and the table.
const Channel = "clientele"

// Ident returns name quoted as an SQL identifier.
func Ident(name string) string { return pgx.Identifier{name}.Sanitize() }

// Key returns the advisory lock key of a table in a schema: the pair (a constant that
// marks clientele's locks, a hash of schema and table). Two logs whose hashes collide only
// share a lock, which serialises them and stays correct.
func Key(schema, table string) (int32, int32) {
	h := fnv.New32a()
	h.Write([]byte(schema))
	h.Write([]byte{0})
	h.Write([]byte(table))
	return 0x636c6e74, int32(h.Sum32()) // "clnt"
}

// maxIdent is the longest identifier PostgreSQL keeps, in bytes (NAMEDATALEN - 1).
const maxIdent = 63

// checkSchema refuses a schema name PostgreSQL would not keep as written. A longer name
// is truncated to its first 63 bytes, so two names that differ only after them would
// share tables while Key, which hashes the whole name, gave them different locks: two
// writers of one log without mutual exclusion.
func checkSchema(schema string) error {
	switch {
	case schema == "":
		return errors.New("empty schema name")
	case len(schema) > maxIdent:
		return fmt.Errorf("schema name %.20q... is %d bytes; PostgreSQL keeps %d and truncates the rest", schema, len(schema), maxIdent)
	case strings.IndexByte(schema, 0) >= 0:
		return fmt.Errorf("schema name %q holds a NUL byte", schema)
	}
	return nil
}

// Migrate brings component's tables in schema to version len(steps), running steps[v:]
// from the version v the schema records, in one transaction under an advisory lock, so
// that concurrent openers neither race nor run a step twice. Steps refer to the schema
// as %[1]s. A schema at a version above len(steps) fails with ErrNewer.
func Migrate(ctx context.Context, pool *pgxpool.Pool, schema, component string, steps []string) error {
	if err := checkSchema(schema); err != nil {
		return err
	}
	tx, err := pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("migrate schema %q: %w", schema, err)
	}
	defer tx.Rollback(ctx)
	k1, k2 := Key(schema, "clientele_schema")
	s := Ident(schema)
	for _, q := range []string{
		"SELECT pg_advisory_xact_lock($1, $2)",
		"CREATE SCHEMA IF NOT EXISTS " + s,
		"CREATE TABLE IF NOT EXISTS " + s + ".clientele_schema (component text PRIMARY KEY, version integer NOT NULL)",
	} {
		args := []any{}
		if q[0] == 'S' {
			args = []any{k1, k2}
		}
		if _, err := tx.Exec(ctx, q, args...); err != nil {
			return fmt.Errorf("migrate schema %q: %w", schema, err)
		}
	}
	var v int
	err = tx.QueryRow(ctx, "SELECT version FROM "+s+".clientele_schema WHERE component = $1", component).Scan(&v)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("migrate schema %q: %w", schema, err)
	}
	if v > len(steps) {
		return fmt.Errorf("schema %q holds %s tables of version %d; this code knows versions up to %d: %w",
			schema, component, v, len(steps), ErrNewer)
	}
	if v == len(steps) {
		return tx.Commit(ctx)
	}
	for i := v; i < len(steps); i++ {
		if _, err := tx.Exec(ctx, fmt.Sprintf(steps[i], s)); err != nil {
			return fmt.Errorf("migrate schema %q: %s version %d: %w", schema, component, i+1, err)
		}
	}
	if _, err := tx.Exec(ctx, "INSERT INTO "+s+".clientele_schema (component, version) VALUES ($1, $2) "+
		"ON CONFLICT (component) DO UPDATE SET version = EXCLUDED.version", component, len(steps)); err != nil {
		return fmt.Errorf("migrate schema %q: %w", schema, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("migrate schema %q: %w", schema, err)
	}
	return nil
}

// Follow calls fn, then again whenever a NOTIFY on Channel carries a payload that begins
// with prefix, and at least
// every poll (the fallback when a notification is lost, or the listening connection
// broke and is being replaced), until ctx is done; it returns ctx's error, or fn's. A
// broken connection is replaced after poll.
func Follow(ctx context.Context, pool *pgxpool.Pool, prefix string, poll time.Duration, fn func(context.Context) error) error {
	for {
		err := follow(ctx, pool, prefix, poll, fn)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var ferr fnErr
		if errors.As(err, &ferr) {
			return ferr.err
		}
		// The connection broke: poll until a new one listens.
		t := time.NewTimer(poll)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		if err := fn(ctx); err != nil {
			return err
		}
	}
}

type fnErr struct{ err error }

func (e fnErr) Error() string { return e.err.Error() }

func follow(ctx context.Context, pool *pgxpool.Pool, prefix string, poll time.Duration, fn func(context.Context) error) error {
	c, err := pool.Acquire(ctx)
	if err != nil {
		return err
	}
	conn := c.Hijack() // LISTEN state must not go back to the pool
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "LISTEN "+Ident(Channel)); err != nil {
		return err
	}
	for {
		if err := fn(ctx); err != nil {
			return fnErr{err}
		}
		for {
			wctx, cancel := context.WithTimeout(ctx, poll)
			n, err := conn.WaitForNotification(wctx)
			cancel()
			if err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				if errors.Is(err, context.DeadlineExceeded) && !conn.IsClosed() {
					break // poll
				}
				return err
			}
			if strings.HasPrefix(n.Payload, prefix) {
				break
			}
		}
	}
}
