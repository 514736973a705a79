package pgtest

import (
	"context"
	"errors"
	"iter"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clientele-go/clientele/internal/pg"
	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Owner is what ReplayInterrupted and ReplayAfterFailedFlush call of an owner
// (identity.Resolver, referral.Program, loyalty.Ledger); comparable, to tell a
// constructor's nil owner.
type Owner interface {
	comparable
	CatchUp(context.Context) (uint64, error)
}

// Reader is what ReplayAfterFailedFlush reads of a store of records R directly: its
// Since, refused after a failed flush.
type Reader[R any] interface {
	Since(pos uint64) iter.Seq2[R, error]
}

// Replays is what ReplayInterrupted and ReplayAfterFailedFlush need of a store package
// beyond its Writers: how to open its store S (of records R) and an owner on one, with
// WithReplayContext or without.
type Replays[O Owner, S Reader[R], R any] struct {
	Writers[O]
	// Store opens a store over schema in pool with the Timeout given (0: none), closed
	// when t ends.
	Store func(t *testing.T, pool *pgxpool.Pool, schema string, timeout time.Duration) S
	// Owner opens an owner on s without WithReplayContext, failing t on an error.
	Owner func(t *testing.T, s S) O
	// Replay opens an owner on s given WithReplayContext(ctx) and returns its error;
	// records, if not nil, is to be called at each call of s's Records or
	// RecordsContext (the package wraps s to count them).
	Replay func(ctx context.Context, s S, records func()) (O, error)
	// Stopped is what the error of a replay that ctx ended while it waited for the
	// first record begins with: "identity: replay stopped after 0 records: ".
	Stopped string
	// New names the constructor in messages: "New", "Open".
	New string
}

// ReplayInterrupted checks that a caller's ctx ends a constructor's replay on a stuck
// PostgreSQL, with no Timeout to do it. A writer takes every event; while another
// session holds the log's table ACCESS EXCLUSIVE, a constructor given
// WithReplayContext returns no owner and an error wrapping context.Canceled once its
// ctx is cancelled (see Interrupt), naming the records replayed (Stopped), instead of
// waiting for the lock as long as it is held. Once it is released a constructor on the
// same store replays the whole log and answers as the writer does.
func ReplayInterrupted[O Owner, S Reader[R], R any](t *testing.T, r Replays[O, S, R]) {
	t.Helper()
	pool := Pool(t)
	schema := Schema(t, pool)
	w := r.Owner(t, r.Store(t, pool, schema, 0))
	for i := range r.Events {
		if err := r.send(t, w, i); err != nil {
			t.Fatalf("%s %d: %v", r.Call, i, err)
		}
	}
	s := r.Store(t, pool, schema, 0)
	lock := "LOCK TABLE " + pg.Ident(schema) + "." + r.Table + " IN ACCESS EXCLUSIVE MODE"
	Interrupt(t, lock, r.New, func(ctx context.Context) error {
		o, err := r.Replay(ctx, s, nil)
		if o != *new(O) || err != nil && !strings.HasPrefix(err.Error(), r.Stopped) {
			t.Errorf("%s on a stuck database = %v, %v; want no owner, and the records replayed named", r.New, o, err)
		}
		return err
	})
	live, cancel := context.WithCancel(context.Background()) // one that can end: Background never does
	defer cancel()
	o, err := r.Replay(live, s, nil)
	if err != nil {
		t.Fatalf("%s once the lock is released: %v", r.New, err)
	}
	if diff := cmp.Diff(r.Answers(w), r.Answers(o)); diff != "" {
		t.Fatalf("%s after an interrupted one differs from the writer (-writer +new):\n%s", r.New, diff)
	}
}

// ReplayAfterFailedFlush checks a constructor given WithReplayContext on a store whose
// flush failed, which refuses its Since (and SinceContext) with Diverged until Records
// reads the log again: it reads the store as a constructor without a ctx does, ending
// the refusal and replaying the whole log, and its owner takes the rest of the events
// (see Resend) without reading the log again. An owner on a store with Timeout takes
// the first Before events; while another session holds the log's table in SHARE mode,
// its next Write's flush runs out (wrapping Diverged). Then Check passes, and the new
// owner answers as it does.
func ReplayAfterFailedFlush[O Owner, S Reader[R], R any](t *testing.T, r Replays[O, S, R]) {
	t.Helper()
	pool := Pool(t)
	schema := Schema(t, pool)
	ctx := context.Background()
	s := r.Store(t, pool, schema, Timeout)
	old := r.Owner(t, s)
	for i := range r.Before {
		if err := r.send(t, old, i); err != nil {
			t.Fatalf("%s %d: %v", r.Call, i, err)
		}
	}
	Stuck(t, "LOCK TABLE "+pg.Ident(schema)+"."+r.Table+" IN SHARE MODE",
		Call{Name: r.Call + " whose flush waits", Do: func() error { return r.Write(ctx, old, r.Before) }, Also: []error{r.Diverged}},
	)
	r.refused(t, s)
	r.replayRest(t, pool, schema, s, 1)
}

// refused checks that s refuses its Since with Diverged, as it does after a failed flush
// until Records reads the log again.
func (r Replays[O, S, R]) refused(t *testing.T, s S) {
	t.Helper()
	for _, err := range s.Since(0) {
		if !errors.Is(err, r.Diverged) {
			t.Fatalf("Since after a failed flush: %v; want ErrDiverged", err)
		}
		break
	}
}

// replayRest opens an owner on s, whose flush of event Before failed, given a live
// WithReplayContext, and checks that it reads Records (or RecordsContext) reads times
// and takes the rest of the events without reading the log again, answering as Check.
func (r Replays[O, S, R]) replayRest(t *testing.T, pool *pgxpool.Pool, schema string, s S, reads int64) {
	t.Helper()
	live, cancel := context.WithCancel(context.Background())
	defer cancel()
	var records atomic.Int64
	o, err := r.Replay(live, s, func() { records.Add(1) })
	if err != nil {
		t.Fatalf("%s after a failed flush: %v", r.New, err)
	}
	from := r.Before + 1
	if r.Resend {
		from = r.Before
	}
	for i := from; i < r.Events; i++ {
		if err := r.send(t, o, i); err != nil {
			t.Fatalf("%s %d on the new owner: %v", r.Call, i, err)
		}
	}
	if n := records.Load(); n != reads {
		t.Errorf("%s and the events after it read Records %d times; want %d", r.New, n, reads)
	}
	want := r.Check(t, pool, schema)
	if diff := cmp.Diff(want, r.Answers(o)); diff != "" {
		t.Fatalf("the new owner differs from %s (-%s +new):\n%s", r.Reference, r.Reference, diff)
	}
}
