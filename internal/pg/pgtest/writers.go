package pgtest

import (
	"context"
	"testing"
	"time"

	"github.com/clientele-go/clientele/internal/pg"
	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Writers is what TimeoutOnLock and CatchUpInterrupted need of a store package whose
// owner (identity.Resolver, referral.Program, loyalty.Ledger) is O: how to open one on
// a schema, the workload's events, and how to check the log they leave. The stores share
// internal/pg.Log, so the tests are the same for each; only these closures differ.
type Writers[O interface {
	CatchUp(context.Context) (uint64, error)
}] struct {
	// Table is the log's table in its schema ("identity_log"), the one the tests lock.
	Table string
	// Open opens an owner on a new store over schema in pool with the Timeout given
	// (0: none), closed when t ends.
	Open func(t *testing.T, pool *pgxpool.Pool, schema string, timeout time.Duration) O
	// Events is how many events the workload has, numbered from 0; the first Before are
	// written before the lock is held, the next one or two (see Resend) while it is.
	Events, Before int
	// Call names Write's call in messages: "Link", "Apply".
	Call string
	// Write sends event i to o once, as the service's handler would, and returns its
	// error: the call a held lock must end.
	Write func(ctx context.Context, o O, i int) error
	// Send, if set, sends event i to o while PostgreSQL is healthy, retrying a failed
	// call as a webhook is sent again, and reports with t.Errorf an event it cannot
	// have taken (it may run on a goroutine of its own, where t.Fatal cannot). Nil:
	// Write, t failing on its error.
	Send func(t *testing.T, o O, i int)
	// Resend says whether the events whose calls failed under the lock are sent again
	// once it is released: events with a key, recorded once however often they are
	// sent. Otherwise the workload goes on after them, as a failed call may or may not
	// be in the log, and Check must allow either.
	Resend bool
	// Diverged is the package's ErrDiverged, which a flush that runs out wraps.
	Diverged error
	// Check checks the log in schema once every event is sent, and returns what every
	// owner, caught up, must then answer (Answers): Reference's answers.
	Check func(t *testing.T, pool *pgxpool.Pool, schema string) string
	// Reference names what Check answers as, in messages: "the single writer".
	Reference string
	// Answers renders what a host reads of o.
	Answers func(o O) string
}

// TimeoutOnLock checks that the store's Options.Timeout bounds its calls on a stuck
// PostgreSQL. Two owners (a writer and a reader) open with Timeout and the writer takes
// the first Before events. While another session holds the log's table ACCESS EXCLUSIVE,
// the writer's next Write (its lead reads the log's tail, or flushes) and the reader's
// CatchUp fail with an error wrapping context.DeadlineExceeded instead of waiting; while
// it holds it in SHARE mode (reads pass), the Write after, whose flush runs out, fails
// as a lost connection does, wrapping Diverged too. Once the lock is released the same
// owners take the rest of the events (see Resend), each within Watchdog: Check passes
// and both owners answer as it does.
func TimeoutOnLock[O interface {
	CatchUp(context.Context) (uint64, error)
}](t *testing.T, w Writers[O]) {
	t.Helper()
	pool, schema, writer, reader := w.start(t, Timeout)
	ctx := context.Background()
	table := pg.Ident(schema) + "." + w.Table
	Stuck(t, "LOCK TABLE "+table+" IN ACCESS EXCLUSIVE MODE",
		Call{Name: w.Call, Do: func() error { return w.Write(ctx, writer, w.Before) }},
		Call{Name: "CatchUp", Do: func() error { _, err := reader.CatchUp(ctx); return err }},
	)
	Stuck(t, "LOCK TABLE "+table+" IN SHARE MODE",
		Call{Name: w.Call + " whose flush waits", Do: func() error { return w.Write(ctx, writer, w.Before+1) }, Also: []error{w.Diverged}},
	)
	w.rest(t, pool, schema, writer, reader, 2)
}

// CatchUpInterrupted checks that a caller's ctx ends the store's calls on a stuck
// PostgreSQL, with no Timeout to do it. Two owners (a writer and a reader) open without
// Timeout and the writer takes the first Before events. While another session holds the
// log's table ACCESS EXCLUSIVE, the reader's CatchUp and the writer's next Write (whose
// lead reads the log's tail) return an error wrapping context.Canceled once their ctx is
// cancelled (see Interrupt), instead of waiting as long as the lock is held. Once it is
// released the same owners take the rest of the events (see Resend), each within
// Watchdog: Check passes and both owners answer as it does.
func CatchUpInterrupted[O interface {
	CatchUp(context.Context) (uint64, error)
}](t *testing.T, w Writers[O]) {
	t.Helper()
	pool, schema, writer, reader := w.start(t, 0)
	lock := "LOCK TABLE " + pg.Ident(schema) + "." + w.Table + " IN ACCESS EXCLUSIVE MODE"
	Interrupt(t, lock, "CatchUp", func(ctx context.Context) error { _, err := reader.CatchUp(ctx); return err })
	Interrupt(t, lock, w.Call, func(ctx context.Context) error { return w.Write(ctx, writer, w.Before) })
	w.rest(t, pool, schema, writer, reader, 1)
}

// send sends event i through Send, or else Write, returning Write's error.
func (w Writers[O]) send(t *testing.T, o O, i int) error {
	if w.Send != nil {
		w.Send(t, o, i)
		return nil
	}
	return w.Write(context.Background(), o, i)
}

// start opens two owners, a writer and a reader, on a new schema with timeout as their
// stores' Timeout, and has the writer take the events before the lock.
func (w Writers[O]) start(t *testing.T, timeout time.Duration) (pool *pgxpool.Pool, schema string, writer, reader O) {
	t.Helper()
	pool = Pool(t)
	schema = Schema(t, pool)
	writer, reader = w.Open(t, pool, schema, timeout), w.Open(t, pool, schema, timeout)
	for i := range w.Before {
		if err := w.send(t, writer, i); err != nil {
			t.Fatalf("%s %d: %v", w.Call, i, err)
		}
	}
	return pool, schema, writer, reader
}

// rest sends the rest of the events once the lock is released, each within Watchdog:
// from the first of the failed calls made under the lock if Resend, else from the one
// after them. It then catches the reader up and checks both owners against Check.
func (w Writers[O]) rest(t *testing.T, pool *pgxpool.Pool, schema string, writer, reader O, failed int) {
	t.Helper()
	from := w.Before + failed
	if w.Resend {
		from = w.Before
	}
	for i := from; i < w.Events; i++ {
		if err := Within(t, w.Call+" once the lock is released", func() error { return w.send(t, writer, i) }); err != nil {
			t.Fatalf("%s %d once the lock is released: %v", w.Call, i, err)
		}
	}
	if _, err := reader.CatchUp(context.Background()); err != nil {
		t.Fatalf("CatchUp once the lock is released: %v", err)
	}
	want := w.Check(t, pool, schema)
	for _, o := range []struct {
		name  string
		owner O
	}{{"the writer", writer}, {"the reader", reader}} {
		if diff := cmp.Diff(want, w.Answers(o.owner)); diff != "" {
			t.Fatalf("%s differs from %s (-%s +%s):\n%s", o.name, w.Reference, w.Reference, o.name, diff)
		}
	}
}
