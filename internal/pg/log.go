package pg

import (
	"context"
	"fmt"
	"iter"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Errors are the sentinels a Log reports in its store's vocabulary, and the prefix of its
// messages ("identity/pgstore").
type Errors struct {
	Prefix   string
	Closed   error // the store was closed
	Diverged error // a flush failed and the log has not been read again since
	Invalid  error // a call out of its order (an append under a lead before the tail was read)
}

// Log is a log of records shared by writers in many processes, in one table (pos bigint
// PRIMARY KEY, rec bytea): the shared machinery of identity/pgstore and referral/pgstore.
// Its contract is identity.SharedStore's, on bytes: Lead makes the caller the only writer
// (a session advisory lock per log, held across the leads that share one flush, group
// commit), Since yields the records from a position on and stops at the first gap, Append
// under a lead buffers records at the next positions and Settle flushes them in one
// INSERT that also NOTIFYs followers. A failed flush leaves it unknown whether its records
// committed: later leads fail with Errors.Diverged until Records (or RecordsContext) is
// read with no lead open.
//
// Positions are explicit, not a sequence: a sequence value is assigned at insert but
// becomes visible at commit, so a reader that saw 7 and 9 could later find 8 and would
// have skipped it. Here a record at position n+1 is only ever inserted by a writer holding
// the log's lock after the record at n committed, and a reader stops at the first gap it
// meets, so no reader ever skips a record.
type Log struct {
	pool   *pgxpool.Pool
	table  string // quoted schema.table
	k1, k2 int32  // the log's advisory lock
	notify string // NOTIFY payload
	errs   Errors

	acq      sync.Mutex // serialises taking the lock, without holding mu while waiting
	mu       sync.Mutex
	cond     *sync.Cond // a flush ended
	idleCond *sync.Cond // the open leads ended, or the lock was given up
	// guarded by mu
	leads    int           // Lead calls not yet settled
	conn     *pgxpool.Conn // holds the advisory lock while not nil
	spent    bool          // a statement on conn returned after its context ended (see onConn)
	late     int           // cancel requests that may still reach conn's backend (see flush)
	known    bool          // head is the log's next position (the lead read the tail)
	head     int64         // next position, counting buffered records
	buf      [][]byte      // appended under the lead, not yet flushed
	bufStart int64         // position of buf[0]
	seq      uint64        // records appended under leads, ever
	done     uint64        // of those, settled (flushed or failed)
	flushing bool          // a Settle is writing
	flushes  int           // flushes since the lock was taken
	flushed  int           // flushes ever (benchmarks report records per flush)
	idle     uint64        // bumped by each Lead and each end of the last lead: a pending release checks it
	failing  int           // leads open when a flush failed, whose Settle must fail
	diverged bool          // a flush failed: Lead fails until Records is read (or RecordsContext)
	failure  error         // why the last flush failed, for the leads that fail with it
	closed   bool

	// Timeout, when positive, bounds each statement the log sends and each wait for a
	// connection of the pool (see stmt), each fetch of a scan (see read), and each
	// page of rows Rewrite and Update read or write (see updateRows): a PostgreSQL
	// that stops answering fails the call with an error wrapping
	// context.DeadlineExceeded instead of holding it for ever. Zero leaves them
	// unbounded. It is set once, before the log is used.
	Timeout time.Duration

	// Hook, for tests, is called with the first position of a plain Append before it
	// commits.
	Hook func(int64)
	// RewriteHook, for tests, is called by Rewrite and Update at each step of their
	// transaction: "begin" (the transaction is open, under the lead or the log's lock),
	// "read" (a page of the old rows was read), "update" (its changed rows were
	// written; "read" and "update" come once per page of pageRows rows), "commit" (the
	// buffered records too; the commit is next).
	RewriteHook func(step string)
}

// NewLog returns the log in table of schema, which Migrate has created.
func NewLog(pool *pgxpool.Pool, schema, table string, errs Errors) *Log {
	l := &Log{pool: pool, table: Ident(schema) + "." + Ident(table), notify: schema + "." + table, errs: errs}
	l.k1, l.k2 = Key(schema, table)
	l.cond = sync.NewCond(&l.mu)
	l.idleCond = sync.NewCond(&l.mu)
	return l
}

// Table returns the log's quoted table name, schema-qualified.
func (l *Log) Table() string { return l.table }

// Notify returns the payload of the log's notifications, the prefix Follow listens for.
func (l *Log) Notify() string { return l.notify }

// Lock returns the log's advisory lock key.
func (l *Log) Lock() (int32, int32) { return l.k1, l.k2 }

// Flushes returns how many flushes the log has made.
func (l *Log) Flushes() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.flushed
}

func (l *Log) errorf(format string, args ...any) error {
	return fmt.Errorf(l.errs.Prefix+": "+format, args...)
}

func (l *Log) divergedErr() error {
	return l.errorf("a flush failed: %w", l.errs.Diverged)
}

// stmt returns the context of one statement (or one wait for a connection of the pool)
// under ctx, bounded by Timeout as well (see Bound). The stores' methods have no
// context of their caller but Lead's (and SinceContext's, RecordsContext's). A
// statement pgx gives up on closes its connection, after asking the server to cancel
// it; the pool opens another for the next call. Under a ctx from onConn, the cancel
// returned counts the statement as late (see lateStmts) when its context had ended by the
// time it is called, once the statement returned.
func (l *Log) stmt(ctx context.Context) (context.Context, context.CancelFunc) {
	sctx, cancel := Bound(ctx, l.Timeout)
	lt, ok := ctx.Value(onConnKey{}).(*lateStmts)
	if !ok {
		return sctx, cancel
	}
	return sctx, func() {
		if err := sctx.Err(); err != nil {
			if lt.n == 0 {
				lt.err = err
			}
			lt.n++
		}
		cancel()
	}
}

// Lead makes the caller the log's only writer until the matching Settle. It waits for
// writers in other processes to finish their flush. A done ctx fails it, even when
// this process holds the lock already and need not wait: a caller that checks ctx
// only through Lead would otherwise go on writing after its context ended.
func (l *Log) Lead(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return l.errorf("lead: %w", err)
	}
	l.acq.Lock()
	defer l.acq.Unlock()
	l.mu.Lock()
	for {
		switch {
		case l.closed:
			l.mu.Unlock()
			return l.errs.Closed
		case l.diverged:
			l.mu.Unlock()
			return l.divergedErr()
		case l.conn == nil:
		case l.flushes < maxHold && !l.spent:
			l.leads++
			l.idle++ // cancels a pending release
			l.mu.Unlock()
			return nil
		case l.leads == 0 && !l.flushing && len(l.buf) == 0:
			// Held long enough, or spent (see onConn): give the lock up and queue for
			// it behind the other writers.
			l.release()
			continue
		default:
			l.idleCond.Wait() // for the open leads to end
			continue
		}
		break
	}
	l.mu.Unlock()
	actx, cancel := l.stmt(ctx)
	c, err := l.pool.Acquire(actx)
	err = Ended(actx, err)
	cancel()
	if err != nil {
		return l.errorf("lead: %w", err)
	}
	// The wait for the lock is one statement: Timeout bounds how long another process
	// may hold the log (its lead, or a Compact) before this Lead gives up.
	octx, lt := onConn(ctx)
	lctx, cancel := l.stmt(octx)
	_, err = c.Exec(lctx, "SELECT pg_advisory_lock($1, $2)", l.k1, l.k2)
	err = Ended(lctx, err)
	cancel()
	if err == nil {
		err = lt.err // granted as the wait ran out: see onConn
	}
	if err != nil {
		// The lock may or may not be held: the connection goes, and the lock with it.
		l.close(c)
		return l.errorf("lead: %w", err)
	}
	l.mu.Lock()
	l.conn, l.known, l.flushes = c, false, 0
	l.leads++
	l.mu.Unlock()
	return nil
}

// Since yields the records from position pos on, stopping at the first gap. A record is
// yielded from the connection's buffer: it is valid until the next one is yielded.
func (l *Log) Since(pos uint64) iter.Seq2[[]byte, error] {
	return l.SinceContext(context.Background(), pos)
}

// SinceContext yields what Since yields, and ends with an error wrapping ctx's error
// when ctx ends first: ctx ends the wait for the database (a lock another session
// holds, a stalled connection), which Timeout alone would end only after Timeout, or
// never without one. The records yielded before the error are the log's, in order.
func (l *Log) SinceContext(ctx context.Context, pos uint64) iter.Seq2[[]byte, error] {
	return func(yield func([]byte, error) bool) {
		l.mu.Lock()
		if l.closed {
			l.mu.Unlock()
			yield(nil, l.errs.Closed)
			return
		}
		if l.diverged {
			l.mu.Unlock()
			yield(nil, l.divergedErr())
			return
		}
		leading := l.conn != nil && l.leads > 0
		if leading && l.known && int64(pos) == l.head {
			l.mu.Unlock()
			return // nobody else can have appended
		}
		l.mu.Unlock()
		next, ok := l.scan(ctx, int64(pos), yield)
		if !ok {
			return
		}
		l.mu.Lock()
		if leading && l.conn != nil && l.leads > 0 && len(l.buf) == 0 {
			l.head, l.known = next, true
		}
		l.mu.Unlock()
	}
}

// Records yields every record from position 0, as Since does. With no lead open it also
// ends the refusal that follows a failed flush: the caller reads the whole log again.
func (l *Log) Records() iter.Seq2[[]byte, error] {
	return l.RecordsContext(context.Background())
}

// RecordsContext yields what Records yields, and ends with an error wrapping ctx's error
// when ctx ends first, as SinceContext does. It is how an owner given a context (a
// constructor's WithReplayContext) reads a log that refuses SinceContext after a failed
// flush: Records alone would wait for the database as long as Timeout lets it, or for
// ever without one. The refusal ends as Records ends it, whether or not the read
// completes: the caller that gives up reads the whole log again anyway.
func (l *Log) RecordsContext(ctx context.Context) iter.Seq2[[]byte, error] {
	return func(yield func([]byte, error) bool) {
		l.mu.Lock()
		if l.closed {
			l.mu.Unlock()
			yield(nil, l.errs.Closed)
			return
		}
		if l.leads == 0 {
			l.diverged = false
		}
		l.mu.Unlock()
		l.scan(ctx, 0, yield)
	}
}

// Append buffers the records at the next positions while a lead is open; otherwise it
// appends them at the end of the log in a transaction of their own, durable when it
// returns. The records are copied.
func (l *Log) Append(records ...[]byte) error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return l.errs.Closed
	}
	if l.leads > 0 {
		defer l.mu.Unlock()
		if l.diverged {
			return l.divergedErr()
		}
		if !l.known {
			return l.errorf("append under a lead before reading the log's tail: %w", l.errs.Invalid)
		}
		if len(l.buf) == 0 {
			l.bufStart = l.head
		}
		n := 0
		for _, r := range records {
			n += len(r)
		}
		arena := make([]byte, 0, n)
		for _, r := range records {
			arena = append(arena, r...)
			l.buf = append(l.buf, arena[len(arena)-len(r):len(arena):len(arena)])
		}
		l.head += int64(len(records))
		l.seq += uint64(len(records))
		return nil
	}
	l.mu.Unlock()
	if len(records) == 0 {
		return nil
	}
	// Each statement of the transaction is bounded on its own (stmt), the wait for the
	// log's lock included. A statement that runs out closes the connection, which ends
	// the transaction: rolled back, unless its commit was what ran out, which leaves
	// the records' fate unknown, as any failed Append does.
	tx, err := l.begin(context.Background(), l.pool)
	if err != nil {
		return l.errorf("append: %w", err)
	}
	defer l.rollback(tx)
	if err := l.exec(context.Background(), tx, "SELECT pg_advisory_xact_lock($1, $2)", l.k1, l.k2); err != nil {
		return l.errorf("append: %w", err)
	}
	// A new statement, so a new snapshot: it sees every record committed before the
	// lock was granted.
	var head int64
	ctx, cancel := l.stmt(context.Background())
	err = Ended(ctx, tx.QueryRow(ctx, "SELECT coalesce(max(pos) + 1, 0) FROM "+l.table).Scan(&head))
	cancel()
	if err != nil {
		return l.errorf("append: %w", err)
	}
	ctx, cancel = l.stmt(context.Background())
	err = Ended(ctx, l.insert(ctx, tx, head, records))
	cancel()
	if err != nil {
		return l.errorf("append: %w", err)
	}
	if l.Hook != nil {
		l.Hook(head)
	}
	ctx, cancel = l.stmt(context.Background())
	err = Ended(ctx, tx.Commit(ctx))
	cancel()
	if err != nil {
		return l.errorf("append: %w", err)
	}
	return nil
}

type execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// insert writes records at positions from, from+1, ... and notifies followers, in one
// statement: as one unit in autocommit mode.
func (l *Log) insert(ctx context.Context, db execer, from int64, records [][]byte) error {
	for i, r := range records {
		if r == nil {
			records[i] = []byte{} // NULL is not a record
		}
	}
	_, err := db.Exec(ctx, "WITH ins AS (INSERT INTO "+l.table+" (pos, rec) "+
		"SELECT $1::bigint + ord - 1, rec FROM unnest($2::bytea[]) WITH ORDINALITY AS t(rec, ord) RETURNING 1) "+
		"SELECT pg_notify($3, $4) FROM (SELECT count(*) FROM ins) AS c", from, records, Channel, l.notify)
	return err
}

// exec runs one statement on db, under ctx and bounded by stmt.
func (l *Log) exec(ctx context.Context, db execer, sql string, args ...any) error {
	ctx, cancel := l.stmt(ctx)
	defer cancel()
	_, err := db.Exec(ctx, sql, args...)
	return Ended(ctx, err)
}

type beginner interface {
	Begin(ctx context.Context) (pgx.Tx, error)
}

// begin opens a transaction on db (the pool, or the lead's connection), under ctx and
// bounded by stmt.
func (l *Log) begin(ctx context.Context, db beginner) (pgx.Tx, error) {
	ctx, cancel := l.stmt(ctx)
	defer cancel()
	tx, err := db.Begin(ctx)
	return tx, Ended(ctx, err)
}

// rollback ends tx, bounded by stmt, if it is still open.
func (l *Log) rollback(tx pgx.Tx) {
	ctx, cancel := l.stmt(context.Background())
	defer cancel()
	tx.Rollback(ctx)
}

// close closes c rather than give it back to the pool: it may hold the log's lock, or
// be in the middle of a statement. Closing it releases the lock on the server.
func (l *Log) close(c *pgxpool.Conn) {
	ctx, cancel := l.stmt(context.Background())
	defer cancel()
	c.Hijack().Close(ctx)
}

// Settle flushes every record appended so far in one INSERT and ends one lead; the
// last lead to end releases the log's lock.
func (l *Log) Settle() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	target := l.seq
	for l.done < target {
		if l.flushing {
			l.cond.Wait()
			continue
		}
		batch, start, end, c := l.buf, l.bufStart, l.seq, l.conn
		l.buf, l.bufStart = nil, l.head
		l.flushing = true
		l.mu.Unlock()
		// A flush that runs out of Timeout fails as one whose connection was lost: the
		// connection is closed, which releases the log's lock, and the records may or
		// may not have committed (settle). pgx closes the connection itself as it
		// gives up; drop closes it in any case.
		late, err := l.flush(c, start, batch)
		l.mu.Lock()
		l.settle(end, err, late)
	}
	var err error
	if l.failing > 0 {
		// Every lead open at the failure fails, whether or not its records were in
		// the failed flush: a lead cannot tell which records were its own.
		l.failing--
		err = l.errorf("flush failed (%w); the records may or may not be in the log: %w", l.failure, l.errs.Diverged)
	}
	if l.leads > 0 {
		l.leads--
		if l.leads == 0 {
			l.idleCond.Broadcast() // a Lead may wait for the open leads to end
		}
	}
	if l.leads == 0 && l.conn != nil && !l.flushing && len(l.buf) == 0 {
		if l.flushes >= maxHold || l.spent {
			l.release()
		} else {
			// Keep the lock a moment: the next caller is usually waiting for its
			// turn already, and taking the log's lock again costs round trips and a
			// turn behind the other writers.
			l.idle++
			gen := l.idle
			time.AfterFunc(linger, func() {
				l.mu.Lock()
				defer l.mu.Unlock()
				if l.idle == gen && l.leads == 0 && l.conn != nil && !l.flushing && len(l.buf) == 0 {
					l.release()
				}
			})
		}
	}
	return err
}

// The lead's lock is kept for linger after the last lead ends, and given up, for the
// other writers' turn, after maxHold flushes.
const (
	linger  = 2 * time.Millisecond
	maxHold = 16
)

// release gives the log's lock up. The caller holds mu, so the unlock is bounded by
// Timeout: a stalled connection is dropped, which releases the lock on the server too.
// So is a spent one, and one whose unlock returned after its context ended (see
// onConn), rather than given back to the pool for another statement to run on.
func (l *Log) release() {
	ctx, lt := onConn(context.Background())
	if l.spent || l.exec(ctx, l.conn, "SELECT pg_advisory_unlock($1, $2)", l.k1, l.k2) != nil || lt.n > 0 {
		l.drop()
	} else {
		l.conn.Release()
		l.conn = nil
		l.known = false
	}
	l.idleCond.Broadcast()
}

// drop closes the lead's connection, which releases the lock if the server still holds
// it. The caller holds mu.
func (l *Log) drop() {
	if l.conn != nil {
		l.close(l.conn)
		l.conn = nil
	}
	l.spent, l.late, l.known = false, 0, false
	l.cond.Broadcast()
	l.idleCond.Broadcast()
}

// Closed reports whether Close was called.
func (l *Log) Closed() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.closed
}

// Follow calls fn now, on every notification of the log's flushes, and every poll
// without one, until ctx is done (see the package's Follow).
func (l *Log) Follow(ctx context.Context, poll time.Duration, fn func(context.Context) error) error {
	return Follow(ctx, l.pool, l.notify, poll, fn)
}

// FollowReplica is a store's Follow: it keeps a replica opened on the log caught up,
// calling catchUp (the replica's CatchUp) now, on every notification of the log's
// flushes, and every poll without one (every second if poll is not positive), until
// ctx is done. It returns ctx's error, or catchUp's; Errors.Closed on a closed log.
func (l *Log) FollowReplica(ctx context.Context, poll time.Duration, catchUp func(context.Context) (uint64, error)) error {
	if l.Closed() {
		return l.errs.Closed
	}
	if poll <= 0 {
		poll = time.Second
	}
	return l.Follow(ctx, poll, func(ctx context.Context) error {
		_, err := catchUp(ctx)
		return err
	})
}

// Close releases the lock if held; the pool stays open. Later calls fail with
// Errors.Closed.
func (l *Log) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
	l.drop()
	return nil
}

// settle ends a flush (or a rewrite, which commits the buffer with it) that wrote the
// records up to end, with l.mu held, and wakes the appenders waiting on it. On err the
// records may or may not have committed: every record appended so far fails, and the
// log refuses to lead until it is read again. late counts its statements that
// returned after their context ended: the lead's connection is then spent (see onConn),
// and each may have sent a cancel request still on its way (see flush).
func (l *Log) settle(end uint64, err error, late int) {
	l.flushing = false
	if err != nil {
		l.failing = l.leads
		l.failure = err
		l.done = l.seq
		l.buf = nil
		l.diverged = true
		l.drop()
	} else {
		l.done = end
		l.flushes++
		l.flushed++
		l.spent = l.spent || late > 0
		l.late += late
	}
	l.cond.Broadcast()
}
