package pgtest

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Watchdog is how long a test waits for a call that a store's Timeout should have ended
// in a fraction of a second: far longer than any slow machine needs, so that only a
// call left unbounded reaches it, and the test fails instead of hanging.
const Watchdog = 20 * time.Second

// Timeout is the Timeout the tests of a stuck PostgreSQL give a store: far below
// Watchdog, so that a bounded call is told from an unbounded one, and far above what a
// healthy statement takes (connecting included) on a loaded machine under -race, so
// that the steps around the stuck ones do not run out. At 200 ms a scan's first fetch,
// on a new connection while other test binaries ran, once did.
const Timeout = time.Second

// Within runs call and returns its error, failing t if it has not returned after
// Watchdog (the call is then left to end when the test's cleanups release its lock).
func Within(t testing.TB, what string, call func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- call() }()
	select {
	case err := <-done:
		return err
	case <-time.After(Watchdog):
		// Where the call waits, for a failure seen once under load and not at rest.
		buf := make([]byte, 1<<20)
		t.Logf("goroutines:\n%s", buf[:runtime.Stack(buf, true)])
		t.Fatalf("%s: still waiting after %v: the call is not bounded", what, Watchdog)
		return nil
	}
}

// Call is one call of a store that a Timeout must end while a lock is held: Do fails
// with an error wrapping context.DeadlineExceeded and each of Also.
type Call struct {
	Name string
	Do   func() error
	Also []error
}

// Eventually returns once done reports true, looking every 20 ms, and fails t with
// what done last said if it has not after Watchdog.
func Eventually(t testing.TB, done func() (bool, string)) {
	t.Helper()
	watchdog := time.NewTimer(Watchdog)
	defer watchdog.Stop()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		ok, why := done()
		if ok {
			return
		}
		select {
		case <-tick.C:
		case <-watchdog.C:
			t.Fatalf("%s after %v", why, Watchdog)
		}
	}
}

// Stuck holds statement (see Hold) while it makes each call, checking that it fails as
// Call says within Watchdog, and releases it when they are done.
func Stuck(t testing.TB, statement string, calls ...Call) {
	t.Helper()
	release := Hold(t, statement)
	defer release()
	for _, c := range calls {
		err := Within(t, c.Name, c.Do)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("%s while %q holds: %v; want an error wrapping context.DeadlineExceeded", c.Name, statement, err)
			continue
		}
		for _, also := range c.Also {
			if !errors.Is(err, also) {
				t.Errorf("%s while %q holds: %v; want it to wrap %v too", c.Name, statement, err, also)
			}
		}
	}
}

// PoolKinds are the two ways a pool's connections give up on a query whose context
// ended, for tests of a stuck PostgreSQL to run on each: pgx's default, a deadline on
// the socket (any end reported as "context canceled"), and a cancel request sent to the
// server first (PostgreSQL's 57014 reported).
var PoolKinds = []struct {
	Name string
	Pool func(t testing.TB) *pgxpool.Pool
}{
	{"deadline", Pool},
	{"cancel request", CancelRequestPool},
}

// CancelRequestPool is a pool on the test server whose connections, when a query's
// context ends, ask the server to cancel the statement before giving up on the socket
// (pgx's alternative to its default), closed when t ends.
//
// A connection that sent a cancel request is closed, not used again. A cancel
// request names a backend, not a statement, and the server may deliver it after the
// statement it was meant for has ended: pgx waits 100 ms for that before it reuses the
// connection, and on a loaded machine a late cancel then ended the next call's statement
// ("canceling statement due to user request" on a call whose own context had not ended:
// segment/pgstore's TestTimeoutOnLock, once, in a CI rehearsal beside two test runs). A
// host that configures pgx this way meets the same race; these tests check the stores'
// bounds, not pgx's reuse of a cancelled connection.
func CancelRequestPool(t testing.TB) *pgxpool.Pool {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(URL(t))
	if err != nil {
		t.Fatal(err)
	}
	var cancelled sync.Map // *pgconn.PgConn: a cancel request was sent on it
	cfg.ConnConfig.BuildContextWatcherHandler = func(c *pgconn.PgConn) ctxwatch.Handler {
		return cancelMarking{
			CancelRequestContextWatcherHandler: &pgconn.CancelRequestContextWatcherHandler{Conn: c, DeadlineDelay: 5 * time.Second},
			mark:                               func() { cancelled.Store(c, true) },
		}
	}
	// At acquisition rather than at release: pgxpool releases through AfterRelease on
	// a goroutine of its own, so the next query would often open a connection.
	cfg.PrepareConn = func(_ context.Context, c *pgx.Conn) (bool, error) {
		_, sent := cancelled.LoadAndDelete(c.PgConn())
		return !sent, nil
	}
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// cancelMarking is pgx's cancel-request handler, marking its connection when it cancels.
type cancelMarking struct {
	*pgconn.CancelRequestContextWatcherHandler
	mark func()
}

func (h cancelMarking) HandleCancel(ctx context.Context) {
	h.mark()
	h.CancelRequestContextWatcherHandler.HandleCancel(ctx)
}

// Interrupt holds statement while it makes call with a context cancelled once the call
// waits for the statement's locks (see CancelWhenBlocked), checking that it fails
// within Watchdog with an error wrapping context.Canceled whose message opens with one
// of prefixes, when given (see CheckError), and that its statements end too: no
// session waits for the locks by the time they are released. The store's Timeout
// should be zero, so that only the context can end the wait.
func Interrupt(t testing.TB, statement, name string, call func(ctx context.Context) error, prefixes ...string) {
	t.Helper()
	ctx, release := CancelWhenBlocked(t, statement)
	defer release()
	err := Within(t, name, func() error { return call(ctx) })
	if len(prefixes) > 0 {
		CheckError(t, name+" with its context cancelled", err, context.Canceled, prefixes...)
	} else if !errors.Is(err, context.Canceled) {
		t.Errorf("%s while %q holds, its context cancelled: %v; want an error wrapping context.Canceled", name, statement, err)
	}
}

// NegativeTimeout checks that open, given a pool on no server, refuses a Timeout of -1s
// before it touches the database (the pool connects lazily) with an error wrapping
// want, opening with its package's prefixes (see CheckError), that names the timeout.
func NegativeTimeout(t testing.TB, open func(*pgxpool.Pool, time.Duration) error, want error, prefixes ...string) {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), "postgres://127.0.0.1:1/none")
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	err = open(pool, -time.Second)
	CheckError(t, "Open with a negative timeout", err, want, prefixes...)
	if err != nil && !strings.Contains(err.Error(), "timeout -1s") {
		t.Errorf("Open with a negative timeout: %v; want it to name the timeout", err)
	}
}
