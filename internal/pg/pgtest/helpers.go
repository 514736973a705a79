package pgtest

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/clientele-go/clientele/internal/pg"
	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Schemas returns a function giving each name a fresh schema of its own, the same one
// each time it is asked, all dropped when t ends: a storetest Harness's Open(dir) on
// PostgreSQL, where Reopen(dir) must find what Open(dir) kept.
func Schemas(t testing.TB, pool *pgxpool.Pool) func(name string) string {
	var mu sync.Mutex
	schemas := map[string]string{}
	return func(name string) string {
		mu.Lock()
		defer mu.Unlock()
		s, ok := schemas[name]
		if !ok {
			s = Schema(t, pool)
			schemas[name] = s
		}
		return s
	}
}

// Newer returns a fresh schema that open (a store's Open on the schema named) set up,
// whose recorded version of component was then made one newer than the code's, and
// that version.
func Newer(t testing.TB, pool *pgxpool.Pool, component string, open func(schema string) error) (string, int) {
	t.Helper()
	schema := Schema(t, pool)
	if err := open(schema); err != nil {
		t.Fatal(err)
	}
	var v int
	err := pool.QueryRow(context.Background(), "UPDATE "+pg.Ident(schema)+".clientele_schema SET version = version + 1 WHERE component = $1 RETURNING version", component).Scan(&v)
	if err != nil {
		t.Fatalf("make schema %s newer: %v", schema, err)
	}
	return schema, v
}

// CheckError fails t unless err wraps want, its message opens with one of prefixes
// (the package prefixes that may lead it) and carries each at most once. The context's
// own error, returned as it is (a Follow loop ended by its context), passes bare.
func CheckError(t testing.TB, name string, err, want error, prefixes ...string) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Errorf("%s: err = %v, want %v", name, err, want)
		return
	}
	if err == context.Canceled || err == context.DeadlineExceeded {
		return
	}
	msg := err.Error()
	opens := false
	for _, p := range prefixes {
		opens = opens || strings.HasPrefix(msg, p)
		if n := strings.Count(msg, p); n > 1 {
			t.Errorf("%s: %q carries %s %d times", name, msg, p, n)
		}
	}
	if !opens {
		t.Errorf("%s: %q does not open with a package prefix (%q)", name, msg, prefixes)
	}
}

// TerminateLock terminates the backends holding the advisory lock (k1, k2), waiting up
// to wait for each to be gone (0: not waiting), and returns how many it terminated.
func TerminateLock(t testing.TB, pool *pgxpool.Pool, k1, k2 int32, wait time.Duration) int {
	var n int
	err := pool.QueryRow(context.Background(), `SELECT count(pg_terminate_backend(pid, $3)) FROM pg_locks
		WHERE locktype = 'advisory' AND classid = $1::oid AND objid = $2::oid AND granted`,
		uint32(k1), uint32(k2), wait.Milliseconds()).Scan(&n)
	if err != nil {
		t.Error(err)
	}
	return n
}

// Terminator terminates the holder of the advisory lock (k1, k2) again and again, each
// time after pause(), until it has terminated most backends (0: no limit) or stop is
// called. stop returns once it has ended, with how many it terminated.
func Terminator(t testing.TB, pool *pgxpool.Pool, k1, k2 int32, most int, pause func() time.Duration) (stop func() int) {
	var kills atomic.Int32
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		for most == 0 || int(kills.Load()) < most {
			select {
			case <-quit:
				return
			case <-time.After(pause()):
			}
			kills.Add(int32(TerminateLock(t, pool, k1, k2, 0)))
		}
	}()
	return func() int {
		close(quit)
		<-done
		return int(kills.Load())
	}
}

// Hold runs statement in a transaction on a connection of its own and keeps the
// transaction open, with the locks the statement took, as a stuck session would: a
// "LOCK TABLE ... IN ACCESS EXCLUSIVE MODE" makes every statement on the table wait,
// a "SELECT ... FOR UPDATE" every write of the rows it read. It returns the function
// that ends the transaction, which is also called when t ends, before the cleanups
// registered earlier (the test's pools, whose Close waits for calls still blocked).
func Hold(t testing.TB, statement string) (release func()) {
	t.Helper()
	release, _ = hold(t, statement)
	return release
}

// hold is Hold, and also returns the process id of the session that holds.
func hold(t testing.TB, statement string) (release func(), pid uint32) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, URL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(ctx) }) // after release, below: a rollback needs it
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	released := false
	release = func() {
		if !released {
			released = true
			if err := tx.Rollback(ctx); err != nil {
				t.Errorf("end the transaction of %q: %v", statement, err)
			}
		}
	}
	t.Cleanup(release)
	if _, err := tx.Exec(ctx, statement); err != nil {
		t.Fatalf("%s: %v", statement, err)
	}
	return release, conn.PgConn().PID()
}

// CancelWhenBlocked holds statement (see Hold) and returns a context that is cancelled
// once another session waits for a lock the statement took: the call under test has
// reached the server and waits there, so the cancellation meets it waiting, not on its
// way. (A timer cannot promise that: on a loaded machine the statement may reach the
// server after a cancel request did, and then wait for the lock with nobody left to end
// it.) release first waits, up to Watchdog, until no session waits for the held locks
// any more, failing t if one still does (the cancellation ended the call but not its
// statement), then ends the transaction.
func CancelWhenBlocked(t testing.TB, statement string) (ctx context.Context, release func()) {
	t.Helper()
	end, pid := hold(t, statement)
	bg := context.Background()
	conn, err := pgx.Connect(bg, URL(t))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(bg)
	stop := make(chan struct{})
	polled := make(chan error, 1)
	go func() {
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			n, err := blockedBy(conn, pid)
			if err != nil || n > 0 {
				cancel()
				polled <- err
				return
			}
			select {
			case <-tick.C:
			case <-stop:
				polled <- nil
				return
			}
		}
	}()
	released := false
	release = func() {
		if released {
			return
		}
		released = true
		close(stop)
		if err := <-polled; err != nil {
			t.Errorf("look for sessions waiting for %q: %v", statement, err)
		}
		cancel()
		Eventually(t, func() (bool, string) {
			n, err := blockedBy(conn, pid)
			if err != nil {
				t.Fatal(err)
			}
			return n == 0, fmt.Sprintf("%d sessions still wait for %q after the call was cancelled", n, statement)
		})
		conn.Close(bg)
		end()
	}
	t.Cleanup(release)
	return ctx, release
}

// blockedBy counts the sessions that wait for a lock session pid holds.
func blockedBy(conn *pgx.Conn, pid uint32) (int, error) {
	var n int
	err := conn.QueryRow(context.Background(),
		"SELECT count(*) FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))", int32(pid)).Scan(&n)
	return n, err
}

// Digest is a short digest of s, for a writer process to print its answers.
func Digest(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:8])
}

// Child is a writer process: the test binary run again to run no test, told its part by
// an environment variable (its TestMain runs the part). It prints a line when it has
// written, waits (Await) for the test's Go, and prints its answer.
type Child struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Reader
}

// Start starts a child with env ("NAME=value") added to its environment.
func Start(t testing.TB, env string) *Child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), env)
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return &Child{cmd, in, bufio.NewReader(out)}
}

// Expect reads a line the child prints and fails t unless it is line.
func (c *Child) Expect(t testing.TB, line string) {
	t.Helper()
	if got, err := c.out.ReadString('\n'); got != line+"\n" {
		t.Fatalf("writer process %d: %q %v, want %q", c.cmd.Process.Pid, got, err, line)
	}
}

// Kill kills the child with SIGKILL and returns what its Wait returns (nil when it had
// finished before).
func (c *Child) Kill() error {
	if err := c.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		return err
	}
	return c.cmd.Wait()
}

// Await is the child's side of Go: it returns once the test has called Go.
func Await() { bufio.NewReader(os.Stdin).ReadString('\n') }

// Agree lets children that each printed ready go on, and fails t unless each then
// answers single(), which the test works out from the log they wrote.
func Agree(t testing.TB, cs []*Child, ready string, single func() string) {
	t.Helper()
	for _, c := range cs {
		c.Expect(t, ready)
	}
	for _, c := range cs {
		io.WriteString(c.in, "go\n")
		c.in.Close()
	}
	want := single()
	for w, c := range cs {
		line, _ := c.out.ReadString('\n')
		if err := c.cmd.Wait(); err != nil {
			t.Fatalf("writer %d: %v", w, err)
		}
		if strings.TrimSpace(line) != want {
			t.Errorf("writer %d answers %s, the single writer %s", w, strings.TrimSpace(line), want)
		}
	}
}

// Replicas runs the benchmark on one and on four replicas (sub-benchmarks writers=1 and
// writers=4) sharing a fresh schema, each on its own pool, as separate processes would.
// open opens a replica on pool and schema and returns it with its store's log; bench
// drives b.N events through the replicas. Each reports its events per flush (the
// group commit's batching) as unit.
func Replicas[R any](b *testing.B, unit string, open func(b *testing.B, pool *pgxpool.Pool, schema string) (R, *pg.Log), bench func(b *testing.B, rs []R)) {
	for _, writers := range []int{1, 4} {
		b.Run(fmt.Sprintf("writers=%d", writers), func(b *testing.B) {
			pool := Pool(b)
			schema := Schema(b, pool)
			var rs []R
			var logs []*pg.Log
			for range writers {
				r, l := open(b, Pool(b), schema)
				rs, logs = append(rs, r), append(logs, l)
			}
			bench(b, rs)
			flushes := 0
			for _, l := range logs {
				flushes += l.Flushes()
			}
			b.ReportMetric(float64(b.N)/float64(max(flushes, 1)), unit)
		})
	}
}

// Part is a writer process's part of a workload, as its test started it: the schema,
// which writer it is of how many, and the workload's size.
type Part struct {
	Schema        string
	W, Writers, N int
}

// Env returns the environment entry (name=value) that starts a child on part p; the
// child's TestMain gives the value to RunWriter.
func (p Part) Env(name string) string {
	return fmt.Sprintf("%s=%s %d %d %d", name, p.Schema, p.W, p.Writers, p.N)
}

// RunWriter is the body of a writer process, its exit code: write opens the process's
// replica on a pool of its own, writes its part and returns a function that catches up
// and renders what the replica answers. RunWriter then prints ready, waits for the
// test's Go and prints the digest of the answers.
func RunWriter(arg, ready string, write func(ctx context.Context, pool *pgxpool.Pool, p Part) (answers func() (string, error), err error)) int {
	var p Part
	if _, err := fmt.Sscanf(arg, "%s %d %d %d", &p.Schema, &p.W, &p.Writers, &p.N); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, os.Getenv(Env))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer pool.Close()
	answers, err := write(ctx, pool, p)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println(ready)
	Await()
	a, err := answers()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println(Digest(a))
	return 0
}

// Callers calls send(i) for i below n from callers goroutines, caller c taking c,
// c+callers, ..., and returns the first error of each caller, joined; a caller stops
// at its first.
func Callers(n, callers int, send func(i int) error) error {
	var wg sync.WaitGroup
	errs := make([]error, callers)
	for c := range callers {
		wg.Go(func() {
			for i := c; i < n; i += callers {
				if err := send(i); err != nil {
					errs[c] = err
					return
				}
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// Retry calls apply until it returns nil or an error refused accepts as the event's
// answer, retrying while it fails otherwise (a lost connection: an event is recorded
// once per key however often it is sent); after 200 tries it fails t.
func Retry(t testing.TB, key string, apply func() error, refused func(error) bool) {
	for try := 0; ; try++ {
		err := apply()
		if err == nil || refused(err) {
			return
		}
		if try == 200 {
			t.Errorf("event %s: %v", key, err)
			return
		}
		time.Sleep(time.Duration(1+try) * time.Millisecond)
	}
}

// Feed sends each replica w its share(w) of a workload from two callers each, as
// deliveries to several replicas arrive, and returns when all are sent.
func Feed[R, E any](replicas []R, share func(w int) []E, send func(r R, ev E)) {
	var wg sync.WaitGroup
	for w, r := range replicas {
		mine := share(w)
		wg.Go(func() { Callers(len(mine), 2, func(i int) error { send(r, mine[i]); return nil }) })
	}
	wg.Wait()
}

// OpenReplicas returns n replicas on one schema, each opened by open on a pool of its
// own (its own connections, as separate processes would have).
func OpenReplicas[R any](t testing.TB, n int, open func(pool *pgxpool.Pool) R) []R {
	t.Helper()
	rs := make([]R, n)
	for w := range rs {
		rs[w] = open(Pool(t))
	}
	return rs
}

// T is what the replica helpers need of a test: a testing.TB or a *rapid.T.
type T interface {
	Helper()
	Fatal(args ...any)
	Fatalf(format string, args ...any)
}

// CaughtUp catches every replica up and fails t unless each then answers want, the
// answers of one writer fed the log's events in its order.
func CaughtUp[R interface {
	CatchUp(context.Context) (uint64, error)
}](t T, want string, replicas []R, answers func(R) string) {
	t.Helper()
	for w, r := range replicas {
		if _, err := r.CatchUp(context.Background()); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, answers(r)); diff != "" {
			t.Fatalf("replica %d differs from the single writer (-single +replica):\n%s", w, diff)
		}
	}
}

// Delivery is an event sent to one replica, replicas[Writer].
type Delivery[E any] struct {
	Ev     E
	Writer int
}

// Deliver sends ds to replicas through apply, which returns a delivery's outcome: "ok",
// the refusal's sentinel, or "unexpected: " and the error. In series (each delivery in
// turn), every outcome must be the one single, one writer fed the same events, gives.
// Concurrently (each writer its deliveries in order, in a goroutine of its own), no
// outcome may be unexpected; single is not fed. name says what an event is in messages.
func Deliver[R, E any](t T, ds []Delivery[E], concurrent bool, replicas []R, single R, apply func(r R, ev E) string, name func(E) string) {
	t.Helper()
	if !concurrent {
		for i, d := range ds {
			if got, want := apply(replicas[d.Writer], d.Ev), apply(single, d.Ev); got != want {
				t.Fatalf("delivery %d (%s to writer %d): shared %s, single %s", i, name(d.Ev), d.Writer, got, want)
			}
		}
		return
	}
	var wg sync.WaitGroup
	errs := make(chan string, len(ds))
	for w, r := range replicas {
		wg.Go(func() {
			for _, d := range ds {
				if d.Writer != w {
					continue
				}
				if o := apply(r, d.Ev); strings.HasPrefix(o, "unexpected:") {
					errs <- fmt.Sprintf("%s to writer %d: %s", name(d.Ev), w, o)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Fatal(e)
	}
}

// Drive is a benchmark's load: it shares b.N calls, numbered 1 to b.N, among callers
// goroutines on each replica (the concurrency a service's request handlers give), from
// b.ResetTimer on, and returns when all are done. An error fails b and stops its caller.
func Drive[R any](b *testing.B, replicas []R, callers int, call func(r R, i int64) error) {
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	for _, r := range replicas {
		for range callers {
			wg.Go(func() {
				for {
					i := next.Add(1)
					if i > int64(b.N) {
						return
					}
					if err := call(r, i); err != nil {
						b.Error(err)
						return
					}
				}
			})
		}
	}
	wg.Wait()
}
