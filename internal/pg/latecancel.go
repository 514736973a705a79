package pg

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

type onConnKey struct{}

// lateStmts counts the statements run under a ctx from onConn whose own context (see
// stmt) had ended by the time they returned, whatever their result.
type lateStmts struct {
	n   int
	err error // the first one's context's error
}

// onConn returns ctx for the statements run on the lead's connection, and the count of
// those of them that return late: after their context ended.
//
// pgx may then have asked the server to cancel such a statement, on a pool whose
// connections send a cancel request when a context ends
// (pgconn.CancelRequestContextWatcherHandler). The request names the connection's
// backend, not the statement, and travels apart from it: when it reaches the server
// after the statement returned, it ends the next statement on that connection instead
// (PostgreSQL's 57014), such as the next lead's flush, which would fail as if its own
// connection had been lost. So the lead's connection is not used again once such a
// statement returned on it. A Lead whose wait for the lock ended so fails and closes
// the connection. After a flush or a rewrite the connection is spent: no other Lead
// joins the leads open already, and when they end it is closed (release), not given
// back to the pool. The next Lead takes a fresh connection, and the lock again. The
// leads open already still flush on it, as no other connection holds the lock for
// their records: they alone meet the race, and flush survives it.
func onConn(ctx context.Context) (context.Context, *lateStmts) {
	lt := new(lateStmts)
	return context.WithValue(ctx, onConnKey{}, lt), lt
}

// flush writes batch at positions start, start+1, ... in one statement on the lead's
// connection c, and returns how many of its statements returned late (see onConn), and
// its error. A flush that fails with 57014 (query_canceled) while its own context is
// live is tried again on c, while l.late says that a late cancel request may explain
// the failure: one per statement on c that returned late, less the 57014s flushes met
// since. Such a retry neither loses the lock nor writes a record twice:
//
//   - The failed attempt committed nothing. The flush is one statement in autocommit
//     mode: pgx sends it in the extended query protocol (a Parse and Describe of its
//     own the first time on a connection, then Bind, Execute and Sync), and PostgreSQL
//     runs it in an implicit transaction that Sync closes, "commit if no error, or roll
//     back if error" (Frontend/Backend Protocol, Message Flow, Extended Query). A cancel
//     request takes effect only while the backend runs something: "if it arrives after
//     the backend has finished processing the query, then it will have no effect. If
//     the cancellation is effective, it results in the current command being
//     terminated early with an error message" (Message Flow, Canceling Requests in
//     Progress); a backend waiting for the next message drops it. One that ends the
//     Parse ends it before anything ran; one that ends the INSERT (waiting for a row
//     lock, say) is an error in the transaction, which Sync rolls back. The commit
//     itself can be cancelled only before it commits: CommitTransaction
//     (src/backend/access/transam/xact.c) runs its pre-commit steps first, among them
//     PreCommit_Notify, which queues the pg_notify under a lock and may wait for it,
//     and an error there aborts the transaction; then it holds interrupts
//     (HOLD_INTERRUPTS, "Prevent cancel/die interrupt while cleaning up") from before
//     the commit record is written until the end, so no cancel can end a commit that
//     has begun to commit. The one wait after the commit record, for a synchronous
//     standby, answers a cancel with a WARNING and a committed transaction, not an
//     error (SyncRepWaitForLSN, src/backend/replication/syncrep.c). So an error
//     57014 is a rolled-back flush: none of its rows are in the log, and no NOTIFY
//     was sent, as notifications are delivered at commit only (NOTIFY).
//   - The lock is still held, and by c. pg_cancel_backend "cancels the current query
//     of the session" (System Administration Functions), as a cancel request does; it
//     does not end the session, as pg_terminate_backend does. A session-level advisory
//     lock "is held until explicitly released or the session ends", and a rollback
//     does not release it (Explicit Locking, Advisory Locks). So no other writer has
//     written since c took the lock, the positions from start on are still the log's
//     next ones, and the retry writes each record once.
//   - It is bounded. pgx sends at most one cancel request for a statement (HandleCancel
//     runs once per context that ends), so l.late bounds the late cancels that can
//     still reach c's backend; one that came while c was idle had no effect and is
//     still counted, which only allows a retry too many. Each 57014 met spends one.
//     When none remain, a 57014 has another cause (pg_cancel_backend from another
//     session, statement_timeout), which this code cannot tell from a cancel of the
//     flush itself: the flush fails as any failed flush does (settle), the log
//     diverged. So it does when its own context ended (Timeout): pgx cancelled it
//     itself, the failure is the flush's own, and pgx may have closed c.
//
// A rewrite under a lead that meets a late cancel on a spent connection is not tried
// again (see RewriteContext): its records come from the caller's iterator, which need
// not yield them twice. It fails as a failed flush, loudly, as before.
func (l *Log) flush(c *pgxpool.Conn, start int64, batch [][]byte) (int, error) {
	late := 0
	for {
		octx, lt := onConn(context.Background())
		ctx, cancel := l.stmt(octx)
		err := Ended(ctx, l.insert(ctx, c, start, batch))
		cancel()
		late += lt.n
		if err == nil || lt.n > 0 || !queryCanceled(err) {
			return late, err
		}
		l.mu.Lock()
		retry := l.late > 0 && l.conn == c // not dropped by Close meanwhile
		if retry {
			l.late--
		}
		l.mu.Unlock()
		if !retry {
			return late, err
		}
	}
}

// queryCanceled reports whether err is PostgreSQL's query_canceled (57014): a cancel
// request, pg_cancel_backend or statement_timeout ended the statement.
func queryCanceled(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "57014"
}
