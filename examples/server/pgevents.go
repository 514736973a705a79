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
//	server_event (pos bigint PRIMARY KEY, at bigint, name text, profile bigint, dedup bytea)
//	server_event_profile (an index on profile, schema version 2, for erasures)
//	server_event_dedup (a unique index on dedup where it is not NULL, schema version 4)
//
// dedup is the event's Key (NULL for a call without a messageId, and for the rows of
// servers before version 3 of the schema, whose column it is). An Append, under the
// lock, leaves out the events whose key the table holds, so that servers sharing the
// table apply a call once, however many of them its copies reach, at once or after a
// restart; the unique index makes a writer that would not (a bug, or a hand-written
// INSERT) fail rather than apply one twice. Not INSERT ... ON CONFLICT DO NOTHING: the
// events skipped would leave their positions empty, and a reader stops at a gap.
//
// An erasure (DELETE /v1/profiles/{id}) overwrites the person's rows with tombstones
// (profile 0, an empty name, at 0: storage.go's tombstone; dedup is kept, see
// tombstoneOf) rather than deleting them,
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
	// Versions 3 and 4: the call's de-duplication key, kept with its event. The rows
	// before are left NULL (their calls' keys were never kept). The index is built in
	// the migration's transaction, which holds the table for as long as that takes:
	// some seconds a hundred million rows, during which appends wait.
	`ALTER TABLE %[1]s.server_event ADD COLUMN IF NOT EXISTS dedup bytea`,
	// Partial: the events without a key, most of those of POST /v1/events, cost the
	// index nothing.
	`CREATE UNIQUE INDEX IF NOT EXISTS server_event_dedup ON %[1]s.server_event (dedup) WHERE dedup IS NOT NULL`,
}

func openPGEvents(ctx context.Context, pool *pgxpool.Pool, schema string, timeout time.Duration) (*pgEvents, error) {
	if err := pg.Migrate(ctx, pool, schema, "server_event", eventMigrations); err != nil {
		return nil, err
	}
	e := &pgEvents{pool: pool, table: pg.Ident(schema) + ".server_event", notify: schema + ".server_event", timeout: timeout}
	e.k1, e.k2 = pg.Key(schema, "server_event")
	return e, nil
}

// Append numbers the events it adds after the last committed one, the events whose
// key the table holds left out (the package comment): under the table's advisory lock,
// so that an Append on another server, committed before the lock is granted, is seen
// by the statement, and no other can add the same key before this one commits.
func (p *pgEvents) Append(ctx context.Context, evs ...event) ([]bool, error) {
	dup := repeatedKeys(evs)
	var (
		ats, profiles []int64
		names         []string
		keys          [][]byte // nil: NULL
		keyed         []int    // the events with a key, by their index in evs
	)
	for i, e := range evs {
		if dup != nil && dup[i] {
			continue
		}
		var key []byte
		if e.Keyed {
			key, keyed = evs[i].Key[:], append(keyed, i)
		}
		ats, names, profiles, keys = append(ats, e.At.UnixNano()), append(names, e.Name), append(profiles, int64(e.Profile)), append(keys, key)
	}
	ctx, cancel := pg.Bound(ctx, p.timeout)
	defer cancel()
	tx, err := p.pool.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1, $2)", p.k1, p.k2); err != nil {
		return nil, err
	}
	n := len(ats)
	if len(keyed) == 0 {
		// Nothing to leave out: the plain statement, as fast as before keys.
		if _, err := tx.Exec(ctx, "INSERT INTO "+p.table+" (pos, at, name, profile) "+
			"SELECT (SELECT coalesce(max(pos) + 1, 0) FROM "+p.table+") + ord - 1, at, name, profile "+
			"FROM unnest($1::bigint[], $2::text[], $3::bigint[]) WITH ORDINALITY AS t(at, name, profile, ord)",
			ats, names, profiles); err != nil {
			return nil, err
		}
	} else if n, dup, err = p.appendKeyed(ctx, tx, evs, dup, keyed, ats, names, profiles, keys); err != nil {
		return nil, err
	}
	if n > 0 {
		if _, err := tx.Exec(ctx, "SELECT pg_notify($1, $2)", pg.Channel, p.notify); err != nil {
			return nil, err
		}
	}
	return dup, tx.Commit(ctx)
}

// appendKeyed inserts the events of Append's arrays whose key the table does not hold,
// numbered from the last committed position on, and marks the others in dup (made if
// nil); keyed lists the events of evs with a key. It returns how many it inserted.
func (p *pgEvents) appendKeyed(ctx context.Context, tx pgx.Tx, evs []event, dup []bool, keyed []int, ats []int64, names []string, profiles []int64, keys [][]byte) (int, []bool, error) {
	// The positions are numbered after the events left out (row_number, computed after
	// WHERE), so that none is left empty; the keys of the events added come back. No
	// event matches a NULL key: those without one are all added. The anti-join probes
	// server_event_dedup for each event, whatever the table's size.
	rows, err := tx.Query(ctx, "INSERT INTO "+p.table+" (pos, at, name, profile, dedup) "+
		"SELECT (SELECT coalesce(max(pos) + 1, 0) FROM "+p.table+") + row_number() OVER (ORDER BY ord) - 1, at, name, profile, dedup "+
		"FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::bytea[]) WITH ORDINALITY AS t(at, name, profile, dedup, ord) "+
		"WHERE NOT EXISTS (SELECT 1 FROM "+p.table+" e WHERE e.dedup = t.dedup) "+
		"RETURNING dedup", ats, names, profiles, keys)
	if err != nil {
		return 0, nil, err
	}
	defer rows.Close()
	added := map[msgKey]bool{}
	n := 0
	for rows.Next() {
		var key []byte
		if err := rows.Scan(&key); err != nil {
			return 0, nil, err
		}
		if key != nil {
			added[msgKey(key)] = true // one of keys: 16 bytes
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return 0, nil, err
	}
	if len(added) < len(keyed) {
		if dup == nil {
			dup = make([]bool, len(evs))
		}
		for _, i := range keyed {
			dup[i] = !added[evs[i].Key]
		}
	}
	return n, dup, nil
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
	_, err = tx.Exec(dctx, "DECLARE events NO SCROLL CURSOR FOR SELECT pos, at, name, profile, dedup FROM "+p.table+" WHERE pos >= $1 ORDER BY pos", int64(pos))
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
			e := event{At: time.Unix(0, r.at).UTC(), Name: r.name, Profile: uint32(r.profile)}
			if r.key != nil {
				if len(r.key) != keyLen {
					return fmt.Errorf("%w: the row at pos %d has a dedup key of %d bytes, not %d", errBadRecord, r.pos, len(r.key), keyLen)
				}
				e.Key, e.Keyed = msgKey(r.key), true
			}
			if !yield(uint64(r.pos), e) {
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
	key              []byte // NULL: nil
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
		if err := rows.Scan(&r.pos, &r.at, &r.name, &r.profile, &r.key); err != nil {
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
