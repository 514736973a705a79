package pgtest

import (
	"context"
	"errors"
	"iter"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Workload is what ManyWriters and TerminatedBackend need of a store package whose
// owner (referral.Program, loyalty.Ledger) is O and whose events are E: how to open an
// owner, the events and each writer's share of them, and how to check the log they
// leave. The stores share internal/pg.Log, so the tests are the same for each.
type Workload[O interface {
	CatchUp(context.Context) (uint64, error)
}, E any] struct {
	// Open opens an owner on a new store over schema in pool, closed when t ends.
	Open func(t *testing.T, pool *pgxpool.Pool, schema string) O
	// Lock returns the advisory lock of the log in schema, which a lead holds.
	Lock func(t *testing.T, pool *pgxpool.Pool, schema string) (int32, int32)
	// Share returns the events writer w of writers receives, some of them also sent to
	// another writer (a webhook delivered to two replicas).
	Share func(w, writers int) []E
	// Send sends ev to o, sending it again while its call fails (a lost connection),
	// and reports with t.Errorf an event it cannot have taken (it runs on a goroutine
	// of its own, where t.Fatal cannot).
	Send func(t *testing.T, o O, ev E)
	// Check checks the log in schema once every event is sent against one writer fed
	// the log's events in its order (record by record, no key twice), and returns what
	// every owner, caught up, must then answer: that writer's answers.
	Check func(t *testing.T, pool *pgxpool.Pool, schema string) string
	// Answers renders what a host reads of o.
	Answers func(o O) string
}

// ManyWriters runs writers owners in goroutines, each with its own pool and store on
// one schema and two callers, fed their shares of the workload: the log passes Check,
// and every owner, caught up, and one opened afresh answer as Check's writer does.
func ManyWriters[O interface {
	CatchUp(context.Context) (uint64, error)
}, E any](t *testing.T, writers int, w Workload[O, E]) {
	t.Helper()
	pool, schema, want := w.run(t, writers, 0)
	if diff := cmp.Diff(want, w.Answers(w.Open(t, pool, schema))); diff != "" {
		t.Fatalf("a replica opened afresh differs (-single +fresh):\n%s", diff)
	}
}

// TerminatedBackend terminates the backend that holds the log's lock, up to 40 times at
// random pauses of 5 to 45 ms, while writers owners take their shares of the workload,
// each event whose call failed sent again (as a webhook would be): the log passes
// Check, and every owner, caught up, answers as Check's writer does.
func TerminatedBackend[O interface {
	CatchUp(context.Context) (uint64, error)
}, E any](t *testing.T, writers int, w Workload[O, E]) {
	t.Helper()
	w.run(t, writers, 40)
}

// run opens writers owners on a new schema, each on a pool of its own, and sends each
// its share from two callers while the holder of the log's lock is terminated up to
// kills times (0: never); then checks the log and that every owner, caught up, answers
// as Check says. It returns the pool, the schema and Check's answers.
func (w Workload[O, E]) run(t *testing.T, writers, kills int) (*pgxpool.Pool, string, string) {
	t.Helper()
	pool := Pool(t)
	schema := Schema(t, pool)
	owners := OpenReplicas(t, writers, func(pool *pgxpool.Pool) O { return w.Open(t, pool, schema) })
	stop := func() int { return 0 }
	if kills > 0 {
		k1, k2 := w.Lock(t, pool, schema)
		stop = Terminator(t, pool, k1, k2, kills, func() time.Duration { return time.Duration(5+rand.IntN(40)) * time.Millisecond })
	}
	Feed(owners, func(i int) []E { return w.Share(i, writers) }, func(o O, ev E) { w.Send(t, o, ev) })
	if kills > 0 {
		n := stop()
		if n == 0 {
			t.Logf("no backend was terminated: the schedule did not interrupt an append")
		}
		t.Logf("%d backends terminated", n)
	}
	want := w.Check(t, pool, schema)
	CaughtUp(t, want, owners, w.Answers)
	return pool, schema, want
}

// Follows checks a store's Follow: follow (Follow of follower, polling hourly, so that
// only a notification wakes it) runs while write makes writer append, until follower
// holds as many records as writer (10 s at most); follow, its ctx then cancelled, must
// return context.Canceled, and follower must hold every record.
func Follows[O interface{ Position() uint64 }](t *testing.T, writer, follower O, follow func(ctx context.Context) error, write func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- follow(ctx) }()
	write()
	want := writer.Position()
	// A timer, not time.Now: the project reads the time only through clientele.Clock.
	expired := time.After(10 * time.Second)
wait:
	for follower.Position() < want {
		select {
		case <-expired:
			break wait
		case <-time.After(5 * time.Millisecond):
		}
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Follow returned %v, want context.Canceled", err)
	}
	if got := follower.Position(); got != want {
		t.Fatalf("the follower holds %d records, the writer %d (polling is hourly: only a notification wakes it)", got, want)
	}
}

// Collect returns the values of seq (a store's Records), failing t at its first error.
func Collect[R any](t T, seq iter.Seq2[R, error]) []R {
	t.Helper()
	var out []R
	for r, err := range seq {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}
