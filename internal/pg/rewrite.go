package pg

import (
	"bytes"
	"context"
	"fmt"
	"iter"
	"math"

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
//
// Timeout bounds each statement of the rewrite, not the rewrite: its statements would
// otherwise grow with the log, and the whole of a long log's rewrite may take longer
// than any bound on one statement. Rows are read, written back, deleted and inserted
// pageRows at a time, each page in a statement of its own, and the time recs takes to
// yield is not counted. A rewrite that runs out fails as any other failure does, with
// an error wrapping context.DeadlineExceeded: under a lead as a failed flush, otherwise
// with its transaction rolled back; nothing of it is half applied.
func (l *Log) Rewrite(recs iter.Seq[[]byte]) error {
	return l.RewriteContext(context.Background(), recs)
}

// RewriteContext is Rewrite, its statements under ctx as well: when ctx ends first the
// rewrite fails as one that ran out of Timeout does, with an error wrapping ctx's error.
// It is how a constructor given a context (identity.WithReplayContext) finishes an
// interrupted erasure without waiting longer than its caller will, for a lock another
// session holds or a stalled connection, which Timeout alone ends only after Timeout,
// and never without one.
func (l *Log) RewriteContext(ctx context.Context, recs iter.Seq[[]byte]) error {
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

	// Each statement is bounded on its own (see Timeout). One that runs out closes the
	// lead's connection, or leaves its transaction aborted: either way nothing of the
	// rewrite commits, unless the commit is what ran out, and settle fails it as a
	// flush whose connection was lost. One that ran out as it succeeded spends the
	// connection (see onConn). A late cancel that ends one of them on a spent
	// connection fails the rewrite so too: unlike a flush (see flush), it is not sent
	// again, as recs need not yield its records twice.
	ctx, lt := onConn(ctx)
	err := func() error {
		tx, err := l.begin(ctx, c)
		if err != nil {
			return err
		}
		defer l.rollback(tx)
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
		if err := l.insertPages(ctx, tx, start, fresh); err != nil {
			return err
		}
		l.step("commit")
		return l.commit(ctx, tx)
	}()

	l.mu.Lock()
	defer l.mu.Unlock()
	l.settle(end, err, lt.n)
	if err != nil {
		return l.errorf("rewrite: %w", err)
	}
	return nil
}

// rewriteAlone is Rewrite without a lead: one transaction under the log's lock, each
// of its statements bounded on its own, the wait for the lock included (as a plain
// Append's are). One that runs out ends the transaction, rolled back.
func (l *Log) rewriteAlone(ctx context.Context, recs iter.Seq[[]byte]) error {
	tx, err := l.begin(ctx, l.pool)
	if err != nil {
		return l.errorf("rewrite: %w", err)
	}
	defer l.rollback(tx)
	if err := l.exec(ctx, tx, "SELECT pg_advisory_xact_lock($1, $2)", l.k1, l.k2); err != nil {
		return l.errorf("rewrite: %w", err)
	}
	var head int64
	hctx, cancel := l.stmt(ctx)
	err = Ended(hctx, tx.QueryRow(hctx, "SELECT coalesce(max(pos) + 1, 0) FROM "+l.table).Scan(&head))
	cancel()
	if err != nil {
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
		// The rows after the last record go, a page of positions per statement.
		for from := k; from < head; from += pageRows {
			if err := l.exec(ctx, tx, "DELETE FROM "+l.table+" WHERE pos >= $1 AND pos < $2", from, min(from+pageRows, head)); err != nil {
				return l.errorf("rewrite: %w", err)
			}
		}
	} else {
		var more [][]byte
		for rec, ok := next(); ok; rec, ok = next() {
			more = append(more, bytes.Clone(rec))
		}
		if err := l.insertPages(ctx, tx, head, more); err != nil {
			return l.errorf("rewrite: %w", err)
		}
	}
	l.step("commit")
	if err := l.commit(ctx, tx); err != nil {
		return l.errorf("rewrite: %w", err)
	}
	return nil
}

// pageRows is how many rows Rewrite and Update read, write or delete in one statement,
// as many as a scan's fetch holds (chunkRows): Timeout bounds each statement, and a
// rewrite's work grows with the log, so a statement must not.
const pageRows = chunkRows

// insertPages inserts records at positions from, from+1, ..., pageRows to a statement,
// each statement bounded on its own, in tx.
func (l *Log) insertPages(ctx context.Context, tx pgx.Tx, from int64, records [][]byte) error {
	for len(records) > 0 {
		n := min(len(records), pageRows)
		ictx, cancel := l.stmt(ctx)
		err := Ended(ictx, l.insert(ictx, tx, from, records[:n]))
		cancel()
		if err != nil {
			return err
		}
		from, records = from+int64(n), records[n:]
	}
	return nil
}

// commit commits tx, bounded by stmt. A commit that runs out may or may not have
// committed, as with any commit whose answer is lost.
func (l *Log) commit(ctx context.Context, tx pgx.Tx) error {
	ctx, cancel := l.stmt(ctx)
	defer cancel()
	return Ended(ctx, tx.Commit(ctx))
}

// rewriteRows compares the rows at positions 0 to n-1 with the records next yields and
// updates those that differ, in tx. It stops early, leaving the later rows as they are,
// when next has no more, and returns how many rows it compared.
func (l *Log) rewriteRows(ctx context.Context, tx pgx.Tx, n int64, next func() ([]byte, bool)) (int64, error) {
	want := int64(0)
	err := l.updateRows(ctx, tx, n, func(pos int64, _ []byte) ([]byte, bool, error) {
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

// updateRows reads, in tx and in position order, the rows at positions below end, and
// writes back those whose bytes fn changes: fn returns the bytes to keep for the row,
// or ok false to stop before it, leaving it and the later rows as they are. Rewrite and
// Update share it so that both compare and write rows the same way.
//
// It works a page of pageRows rows at a time: one statement reads the page, one writes
// back its changed rows, each bounded by stmt on its own, so that Timeout bounds the
// statements of a long log as it bounds a scan's fetches, and fn, which may take as
// long as its caller likes (Rewrite's pulls the caller's records), runs between them.
// The transaction holds the log's lock, so the pages are of one unchanging log.
func (l *Log) updateRows(ctx context.Context, tx pgx.Tx, end int64, fn func(pos int64, old []byte) (rec []byte, ok bool, err error)) error {
	after := int64(-1) // the last position read
	for {
		poss, olds, err := l.page(ctx, tx, after, end)
		if err != nil {
			return err
		}
		l.step("read")
		var changed []int64
		var recs [][]byte
		stopped := false
		for i, pos := range poss {
			rec, ok, err := fn(pos, olds[i])
			if err != nil {
				return err
			}
			if !ok {
				stopped = true
				break
			}
			if !bytes.Equal(olds[i], rec) {
				changed = append(changed, pos)
				recs = append(recs, bytes.Clone(rec))
			}
		}
		if len(changed) > 0 {
			uctx, cancel := l.stmt(ctx)
			_, err := tx.Exec(uctx, "UPDATE "+l.table+" AS t SET rec = v.rec FROM unnest($1::bigint[], $2::bytea[]) AS v(pos, rec) WHERE t.pos = v.pos", changed, recs)
			err = Ended(uctx, err)
			cancel()
			if err != nil {
				return err
			}
		}
		l.step("update")
		if stopped || len(poss) < pageRows {
			return nil
		}
		after = poss[len(poss)-1]
	}
}

// page reads, in tx, the next rows after position after and below end, at most
// pageRows of them, in position order, in one statement bounded by stmt.
func (l *Log) page(ctx context.Context, tx pgx.Tx, after, end int64) ([]int64, [][]byte, error) {
	ctx, cancel := l.stmt(ctx)
	defer cancel()
	rows, err := tx.Query(ctx, "SELECT pos, rec FROM "+l.table+" WHERE pos > $1 AND pos < $2 ORDER BY pos LIMIT $3", after, end, pageRows)
	if err != nil {
		return nil, nil, Ended(ctx, err)
	}
	defer rows.Close()
	var poss []int64
	var olds [][]byte
	for rows.Next() {
		var pos int64
		var old []byte
		if err := rows.Scan(&pos, &old); err != nil {
			return nil, nil, Ended(ctx, err)
		}
		poss, olds = append(poss, pos), append(olds, old)
	}
	return poss, olds, Ended(ctx, rows.Err())
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
// Timeout bounds each of its statements, as Rewrite's: the wait for the log's lock and
// each page of rows read or written back, not the whole Update.
func (l *Log) Update(fn func(pos int64, rec []byte) ([]byte, error)) error {
	return l.UpdateContext(context.Background(), fn)
}

// UpdateContext is Update, its statements under ctx as well, as RewriteContext is
// Rewrite's: the wait for the log's lock included, which another session's lead may
// hold for as long as Timeout lets it, or for ever without one.
func (l *Log) UpdateContext(ctx context.Context, fn func(pos int64, rec []byte) ([]byte, error)) error {
	l.mu.Lock()
	closed := l.closed
	l.mu.Unlock()
	if closed {
		return l.errs.Closed
	}
	// Each statement is bounded on its own, as Rewrite's are: the wait for the log's
	// lock, each page of rows read and each written back. One that runs out ends the
	// transaction, rolled back.
	tx, err := l.begin(ctx, l.pool)
	if err != nil {
		return l.errorf("update: %w", err)
	}
	defer l.rollback(tx)
	if err := l.exec(ctx, tx, "SELECT pg_advisory_xact_lock($1, $2)", l.k1, l.k2); err != nil {
		return l.errorf("update: %w", err)
	}
	l.step("begin")
	err = l.updateRows(ctx, tx, math.MaxInt64, func(pos int64, old []byte) ([]byte, bool, error) {
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
	if err := l.commit(ctx, tx); err != nil {
		return l.errorf("update: %w", err)
	}
	return nil
}
