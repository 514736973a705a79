package main

import (
	"context"
	"fmt"
	"iter"
	"strconv"
	"time"

	"github.com/clientele-go/clientele/internal/pg"
	"github.com/jackc/pgx/v5"
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
	// timeout, when positive, bounds each statement (-pg-timeout), ctx each call too:
	// an Append as a whole (a short transaction whatever the table's size); Since
	// each fetch of pageRows events from its cursor, not the replay, and not the time
	// its caller takes over them; Erase each page of pageRows rows it overwrites in
	// its transaction, not the erasure. A replay reads the whole table and an erasure
	// every row of a person, which a per-call bound would fail on a large table, and
	// a bound by ctx alone left a replay at start (no request's deadline) waiting for
	// ever on a PostgreSQL that stopped answering.
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
	ctx, cancel := pg.Bound(ctx, p.timeout)
	defer cancel()
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

// pageRows is how many events one statement of Since or Erase reads or overwrites, so
// that -pg-timeout can bound each statement however long the table.
const pageRows = 4096

// Since reads through a cursor, in a read-only transaction: one snapshot of the table,
// as one query would be, fetched pageRows events at a time, each fetch a statement
// bounded on its own, the caller's time between fetches not counted.
func (p *pgEvents) Since(ctx context.Context, pos uint64) iter.Seq2[uint64, event] {
	return func(yield func(uint64, event) bool) {
		p.err = nil
		if err := p.since(ctx, pos, yield); err != nil {
			p.err = fmt.Errorf("read events: %w", err)
		}
	}
}

func (p *pgEvents) since(ctx context.Context, pos uint64, yield func(uint64, event) bool) error {
	bctx, cancel := pg.Bound(ctx, p.timeout)
	tx, err := p.pool.BeginTx(bctx, pgx.TxOptions{AccessMode: pgx.ReadOnly})
	err = pg.Ended(bctx, err)
	cancel()
	if err != nil {
		return err
	}
	defer func() {
		// Not under ctx, which may have ended: a rollback that cannot be sent closes
		// the connection, which ends the transaction too.
		rctx, cancel := pg.Bound(context.WithoutCancel(ctx), p.timeout)
		defer cancel()
		tx.Rollback(rctx)
	}()
	dctx, cancel := pg.Bound(ctx, p.timeout)
	_, err = tx.Exec(dctx, "DECLARE events NO SCROLL CURSOR FOR SELECT pos, at, name, profile FROM "+p.table+" WHERE pos >= $1 ORDER BY pos", int64(pos))
	err = pg.Ended(dctx, err)
	cancel()
	if err != nil {
		return err
	}
	next, first := int64(pos), true
	var page []pgEvent
	for {
		if page, err = p.fetch(ctx, tx, page[:0]); err != nil {
			return err
		}
		for _, r := range page {
			if first && pos == 0 {
				next = r.pos // older events may have been deleted
			}
			first = false
			if r.pos != next {
				return nil // not committed yet: stop rather than skip it
			}
			next++
			if !yield(uint64(r.pos), event{At: time.Unix(0, r.at).UTC(), Name: r.name, Profile: uint32(r.profile)}) {
				return nil
			}
		}
		if len(page) < pageRows {
			return nil
		}
	}
}

// pgEvent is a row of the event table as a fetch reads it.
type pgEvent struct {
	pos, at, profile int64
	name             string
}

// fetch reads the next pageRows rows of Since's cursor into page, in one statement.
func (p *pgEvents) fetch(ctx context.Context, tx pgx.Tx, page []pgEvent) ([]pgEvent, error) {
	fctx, cancel := pg.Bound(ctx, p.timeout)
	defer cancel()
	rows, err := tx.Query(fctx, "FETCH "+strconv.Itoa(pageRows)+" FROM events")
	if err != nil {
		return nil, pg.Ended(fctx, err)
	}
	defer rows.Close()
	for rows.Next() {
		var r pgEvent
		if err := rows.Scan(&r.pos, &r.at, &r.name, &r.profile); err != nil {
			return nil, pg.Ended(fctx, err)
		}
		page = append(page, r)
	}
	return page, pg.Ended(fctx, rows.Err())
}

func (p *pgEvents) Err() error { return p.err }

// Erase overwrites the profiles' events in one transaction, a page of pageRows rows at
// a time, each page a statement of its own bounded by timeout. One that runs out ends
// the transaction: nothing of the erasure commits (unless its commit is what ran out),
// and the caller's retry does it all. In one transaction rather than a commit a page,
// as a statement pgx gives up on may still run on the server once the lock it waited
// for is released, and commit there, unseen.
func (p *pgEvents) Erase(ctx context.Context, profiles []uint32) (int, error) {
	n, err := p.erase(ctx, profiles)
	if err != nil {
		return 0, fmt.Errorf("erase events: %w", err)
	}
	return n, nil
}

func (p *pgEvents) erase(ctx context.Context, profiles []uint32) (int, error) {
	keys := make([]int64, len(profiles))
	for i, k := range profiles {
		keys[i] = int64(k)
	}
	sctx, cancel := pg.Bound(ctx, p.timeout)
	tx, err := p.pool.Begin(sctx)
	err = pg.Ended(sctx, err)
	cancel()
	if err != nil {
		return 0, err
	}
	defer func() {
		rctx, cancel := pg.Bound(context.WithoutCancel(ctx), p.timeout)
		defer cancel()
		tx.Rollback(rctx)
	}()
	n := 0
	for {
		// No ORDER BY: a page is any of the rows left, found by the profile index; a
		// row overwritten (profile 0) is not found again.
		sctx, cancel := pg.Bound(ctx, p.timeout)
		tag, err := tx.Exec(sctx, "UPDATE "+p.table+" SET profile = 0, name = '', at = 0 WHERE pos IN "+
			"(SELECT pos FROM "+p.table+" WHERE profile = ANY($1::bigint[]) LIMIT $2)", keys, pageRows)
		err = pg.Ended(sctx, err)
		cancel()
		if err != nil {
			return 0, err
		}
		n += int(tag.RowsAffected())
		if tag.RowsAffected() < pageRows {
			break
		}
	}
	sctx, cancel = pg.Bound(ctx, p.timeout)
	defer cancel()
	return n, pg.Ended(sctx, tx.Commit(sctx))
}

// retentionSQL is the statement of the package comment, for schema: $1 the cutoff in
// Unix nanoseconds, $2 the segment snapshot's position.
func retentionSQL(schema string) string {
	t := pg.Ident(schema) + ".server_event"
	return "DELETE FROM " + t + " WHERE at < $1 AND pos < $2 AND pos < (SELECT max(pos) FROM " + t + ")"
}
