package main

import (
	"context"
	"fmt"
	"iter"
	"time"

	"github.com/clientele-go/clientele/internal/pg"
	"github.com/jackc/pgx/v5/pgxpool"
)

// pgEvents keeps events in a PostgreSQL table, numbered like identity/pgstore's log:
// an Append takes the table's advisory lock, numbers its events after the last committed
// one and commits, so events become visible in the order of their positions and a
// reader never skips one.
//
//	server_event (pos bigint PRIMARY KEY, at bigint, name text, profile bigint)
//	server_event_profile (an index on profile, schema version 2, for erasures)
//
// An erasure (DELETE /v1/profiles/{id}) overwrites the person's rows with tombstones
// (profile 0, an empty name, at 0: storage.go's tombstone) rather than deleting them,
// so that no position is left empty: a reader stops at a gap, taking it for an event
// not yet committed. As with any UPDATE, PostgreSQL keeps the old row versions until
// VACUUM reclaims them: a host with a deadline for erasure runs VACUUM on server_event
// after it (as on identity_log). The retention statement below deletes tombstones as
// it does any old event.
//
// Retention is the host's: events older than the segment snapshot's position (the
// first 8 bytes, big-endian, of the segment store's "index" blob; see storage.go) may be
// deleted, with servers running or not,
//
//	DELETE FROM <schema>.server_event WHERE at < $cutoff_unix_nanos
//	    AND pos < (the snapshot's position)
//	    AND pos < (SELECT max(pos) FROM <schema>.server_event)
//
// after which funnels answer from the events kept, and audiences are still rebuilt
// exactly (from the snapshot plus the events after it). The newest event is always
// kept: the next event's position is the newest's plus one, and with the table emptied
// it would start again from 0, below the snapshot's position, and never reach the
// audiences (TestRetentionOnPostgres).
type pgEvents struct {
	pool   *pgxpool.Pool
	table  string
	k1, k2 int32
	notify string
	err    error
	// timeout, when positive, bounds each Append as a whole (-pg-timeout): a short
	// transaction whatever the table's size. Since and Erase are bounded only by their
	// ctx: a replay reads the whole table, and an erasure updates every row of a
	// person, which a per-call bound would fail on a large table.
	timeout time.Duration
}

var eventMigrations = []string{
	`CREATE TABLE %[1]s.server_event (pos bigint PRIMARY KEY, at bigint NOT NULL, name text NOT NULL, profile bigint NOT NULL)`,
	// Version 2: an erasure finds a person's events without reading the whole table.
	`CREATE INDEX server_event_profile ON %[1]s.server_event (profile)`,
}

func openPGEvents(ctx context.Context, pool *pgxpool.Pool, schema string, timeout time.Duration) (*pgEvents, error) {
	if err := pg.Migrate(ctx, pool, schema, "server_event", eventMigrations); err != nil {
		return nil, err
	}
	e := &pgEvents{pool: pool, table: pg.Ident(schema) + ".server_event", notify: schema + ".server_event", timeout: timeout}
	e.k1, e.k2 = pg.Key(schema, "server_event")
	return e, nil
}

func (p *pgEvents) Append(ctx context.Context, evs ...event) error {
	ats, names, profiles := make([]int64, len(evs)), make([]string, len(evs)), make([]int64, len(evs))
	for i, e := range evs {
		ats[i], names[i], profiles[i] = e.At.UnixNano(), e.Name, int64(e.Profile)
	}
	if p.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, p.timeout)
		defer cancel()
	}
	tx, err := p.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1, $2)", p.k1, p.k2); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, "INSERT INTO "+p.table+" (pos, at, name, profile) "+
		"SELECT (SELECT coalesce(max(pos) + 1, 0) FROM "+p.table+") + ord - 1, at, name, profile "+
		"FROM unnest($1::bigint[], $2::text[], $3::bigint[]) WITH ORDINALITY AS t(at, name, profile, ord)",
		ats, names, profiles); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, "SELECT pg_notify($1, $2)", pg.Channel, p.notify); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

func (p *pgEvents) Since(ctx context.Context, pos uint64) iter.Seq2[uint64, event] {
	return func(yield func(uint64, event) bool) {
		p.err = nil
		rows, err := p.pool.Query(ctx, "SELECT pos, at, name, profile FROM "+p.table+" WHERE pos >= $1 ORDER BY pos", int64(pos))
		if err != nil {
			p.err = fmt.Errorf("read events: %w", err)
			return
		}
		defer rows.Close()
		next, first := int64(pos), true
		for rows.Next() {
			var at, prof, at2 int64
			var name string
			if err := rows.Scan(&at2, &at, &name, &prof); err != nil {
				p.err = fmt.Errorf("read events: %w", err)
				return
			}
			if first && pos == 0 {
				next = at2 // older events may have been deleted
			}
			first = false
			if at2 != next {
				return // not committed yet: stop rather than skip it
			}
			next++
			if !yield(uint64(at2), event{At: time.Unix(0, at).UTC(), Name: name, Profile: uint32(prof)}) {
				return
			}
		}
		if err := rows.Err(); err != nil {
			p.err = fmt.Errorf("read events: %w", err)
		}
	}
}

func (p *pgEvents) Err() error { return p.err }

func (p *pgEvents) Erase(ctx context.Context, profiles []uint32) (int, error) {
	keys := make([]int64, len(profiles))
	for i, k := range profiles {
		keys[i] = int64(k)
	}
	tag, err := p.pool.Exec(ctx, "UPDATE "+p.table+" SET profile = 0, name = '', at = 0 WHERE profile = ANY($1::bigint[])", keys)
	if err != nil {
		return 0, fmt.Errorf("erase events: %w", err)
	}
	return int(tag.RowsAffected()), nil
}

// retentionSQL is the statement of the package comment, for schema: $1 the cutoff in
// Unix nanoseconds, $2 the segment snapshot's position.
func retentionSQL(schema string) string {
	t := pg.Ident(schema) + ".server_event"
	return "DELETE FROM " + t + " WHERE at < $1 AND pos < $2 AND pos < (SELECT max(pos) FROM " + t + ")"
}
