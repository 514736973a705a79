package pg

import (
	"bytes"
	"context"
	"fmt"
	"iter"

	"github.com/jackc/pgx/v5"
)

// Rewrite replaces the log's records, position by position, with recs: the same records
// less what must not be kept (identity's Forget erases the values of forgotten
// identifiers). Positions do not move, so the positions every other writer holds stay
// valid; only the rows whose bytes change are written.
//
// Under a lead, recs must be every record the log holds, the committed ones and those
// buffered by the open leads, and the rewrite also flushes the buffered ones (in their
// rewritten form), in the same transaction as the changed rows: a crash leaves either
// the old rows and none of the buffered records, or the new rows and all of them. A
// failure is a failed flush (see Settle). Without a lead, recs replace the whole log in
// one transaction under the log's lock, as identity.Compacter asks: rows after the last
// of them are deleted, and records beyond the log's end appended. A writer that shares
// the log therefore leads before it rewrites (identity's resolver does), so that what
// it passes is the whole log and not a prefix that misses what others appended.
func (l *Log) Rewrite(recs iter.Seq[[]byte]) error {
	ctx := context.Background()
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return l.errs.Closed
	}
	if l.diverged {
		l.mu.Unlock()
		return l.divergedErr()
	}
	if l.leads == 0 || l.conn == nil {
		l.mu.Unlock()
		return l.rewriteAlone(ctx, recs)
	}
	for l.flushing {
		l.cond.Wait()
	}
	if !l.known {
		l.mu.Unlock()
		return l.errorf("rewrite under a lead before reading the log's tail")
	}
	buf, start, end, c := l.buf, l.bufStart, l.seq, l.conn
	committed := l.head - int64(len(buf))
	l.buf, l.bufStart = nil, l.head
	l.flushing = true
	l.mu.Unlock()

	err := func() error {
		tx, err := c.Begin(ctx)
		if err != nil {
			return err
		}
		defer tx.Rollback(ctx)
		l.step("begin")
		next, stop := iter.Pull(recs)
		defer stop()
		if k, err := l.rewriteRows(ctx, tx, committed, next); err != nil {
			return err
		} else if k != committed {
			return fmt.Errorf("%d records where the log holds %d and the lead %d more", k, committed, len(buf))
		}
		fresh := make([][]byte, 0, len(buf))
		for rec, ok := next(); ok; rec, ok = next() {
			fresh = append(fresh, bytes.Clone(rec))
		}
		if len(fresh) != len(buf) {
			return fmt.Errorf("%d records after the %d committed, where the lead buffered %d", len(fresh), committed, len(buf))
		}
		if len(fresh) > 0 {
			if err := l.insert(ctx, tx, start, fresh); err != nil {
				return err
			}
		}
		l.step("commit")
		return tx.Commit(ctx)
	}()

	l.mu.Lock()
	defer l.mu.Unlock()
	l.settle(end, err)
	if err != nil {
		return l.errorf("rewrite: %w", err)
	}
	return nil
}

// rewriteAlone is Rewrite without a lead: one transaction under the log's lock.
func (l *Log) rewriteAlone(ctx context.Context, recs iter.Seq[[]byte]) error {
	tx, err := l.pool.Begin(ctx)
	if err != nil {
		return l.errorf("rewrite: %w", err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1, $2)", l.k1, l.k2); err != nil {
		return l.errorf("rewrite: %w", err)
	}
	var head int64
	if err := tx.QueryRow(ctx, "SELECT coalesce(max(pos) + 1, 0) FROM "+l.table).Scan(&head); err != nil {
		return l.errorf("rewrite: %w", err)
	}
	l.step("begin")
	next, stop := iter.Pull(recs)
	defer stop()
	k, err := l.rewriteRows(ctx, tx, head, next)
	if err != nil {
		return l.errorf("rewrite: %w", err)
	}
	if k < head {
		if _, err := tx.Exec(ctx, "DELETE FROM "+l.table+" WHERE pos >= $1", k); err != nil {
			return l.errorf("rewrite: %w", err)
		}
	} else {
		var more [][]byte
		for rec, ok := next(); ok; rec, ok = next() {
			more = append(more, bytes.Clone(rec))
		}
		if len(more) > 0 {
			if err := l.insert(ctx, tx, head, more); err != nil {
				return l.errorf("rewrite: %w", err)
			}
		}
	}
	l.step("commit")
	if err := tx.Commit(ctx); err != nil {
		return l.errorf("rewrite: %w", err)
	}
	return nil
}

// rewriteRows compares the rows at positions 0 to n-1 with the records next yields and
// updates those that differ, in tx. It stops early, leaving the later rows as they are,
// when next has no more, and returns how many rows it compared.
func (l *Log) rewriteRows(ctx context.Context, tx pgx.Tx, n int64, next func() ([]byte, bool)) (int64, error) {
	want := int64(0)
	err := l.updateRows(ctx, tx, " WHERE pos < $1", []any{n}, func(pos int64, _ []byte) ([]byte, bool, error) {
		if pos != want {
			return nil, false, fmt.Errorf("position %d missing", want)
		}
		rec, ok := next()
		if ok {
			want++
		}
		return rec, ok, nil
	})
	return want, err
}

// updateRows reads, in tx and in position order, the rows that where (a WHERE clause
// over pos, with args, or empty for all) selects, and writes back in one UPDATE those
// whose bytes fn changes: fn returns the bytes to keep for the row, or ok false to stop
// before it, leaving it and the later rows as they are. Rewrite and Update share it so
// that both compare and write rows the same way.
func (l *Log) updateRows(ctx context.Context, tx pgx.Tx, where string, args []any, fn func(pos int64, old []byte) (rec []byte, ok bool, err error)) error {
	rows, err := tx.Query(ctx, "SELECT pos, rec FROM "+l.table+where+" ORDER BY pos", args...)
	if err != nil {
		return err
	}
	var poss []int64
	var recs [][]byte
	for rows.Next() {
		var pos int64
		var old []byte
		if err := rows.Scan(&pos, &old); err != nil {
			rows.Close()
			return err
		}
		rec, ok, err := fn(pos, old)
		if err != nil {
			rows.Close()
			return err
		}
		if !ok {
			break
		}
		if !bytes.Equal(old, rec) {
			poss = append(poss, pos)
			recs = append(recs, bytes.Clone(rec))
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	l.step("read")
	if len(poss) > 0 {
		if _, err := tx.Exec(ctx, "UPDATE "+l.table+" AS t SET rec = v.rec FROM unnest($1::bigint[], $2::bytea[]) AS v(pos, rec) WHERE t.pos = v.pos", poss, recs); err != nil {
			return err
		}
	}
	l.step("update")
	return nil
}

// step calls RewriteHook, if set.
func (l *Log) step(name string) {
	if l.RewriteHook != nil {
		l.RewriteHook(name)
	}
}

// Update rewrites the log's committed records in place, in one transaction under the
// log's lock: fn gets each record, with its position, and returns the bytes to keep
// (equal bytes leave the row as it is). Positions do not move and no row is added or
// removed, so records that other writers append before or after it are kept, unlike a
// Rewrite without a lead, which must be given the whole log. A crash or an error leaves
// every row as it was (the transaction is rolled back), or the commit made them all.
// A caller must not hold, in this process, anything a writer holding the lead waits for:
// Update waits for the lead to end. fn may keep nothing of the record it is given.
func (l *Log) Update(fn func(pos int64, rec []byte) ([]byte, error)) error {
	l.mu.Lock()
	closed := l.closed
	l.mu.Unlock()
	if closed {
		return l.errs.Closed
	}
	ctx := context.Background()
	tx, err := l.pool.Begin(ctx)
	if err != nil {
		return l.errorf("update: %w", err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1, $2)", l.k1, l.k2); err != nil {
		return l.errorf("update: %w", err)
	}
	l.step("begin")
	err = l.updateRows(ctx, tx, "", nil, func(pos int64, old []byte) ([]byte, bool, error) {
		rec, err := fn(pos, old)
		if err != nil {
			return nil, false, fmt.Errorf("record %d: %w", pos, err)
		}
		return rec, true, nil
	})
	if err != nil {
		return l.errorf("update: %w", err)
	}
	l.step("commit")
	if err := tx.Commit(ctx); err != nil {
		return l.errorf("update: %w", err)
	}
	return nil
}
