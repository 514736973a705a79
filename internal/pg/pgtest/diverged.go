package pgtest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/clientele-go/clientele/internal/pg"
	"github.com/jackc/pgx/v5/pgxpool"
)

// ReplayAfterFailedFlushInterrupted checks that a caller's ctx ends a constructor's
// replay of a store whose flush failed, on a stuck PostgreSQL, with no Timeout to do
// it: the store refuses Since (and SinceContext) with Diverged, so the replay reads the
// log again as Records does, and that read must end with ctx too. An owner on a store
// with no Timeout takes the first Before events; its next Write's flush is cut off
// (see killFlush), wrapping Diverged. While another session holds the log's table
// ACCESS EXCLUSIVE, a constructor on the same store given WithReplayContext returns no
// owner and an error wrapping context.Canceled once its ctx is cancelled (see
// Interrupt), naming the records replayed (Stopped), instead of waiting for the lock as
// long as it is held. That read ended the refusal, as Records would have: once the
// lock is released a constructor on the store replays the whole log without reading
// Records again, takes the rest of the events (see Resend), and answers as Check.
func ReplayAfterFailedFlushInterrupted[O Owner, S Reader[R], R any](t *testing.T, r Replays[O, S, R]) {
	t.Helper()
	pool := Pool(t)
	schema := Schema(t, pool)
	s := r.Store(t, pool, schema, 0)
	old := r.Owner(t, s)
	for i := range r.Before {
		if err := r.send(t, old, i); err != nil {
			t.Fatalf("%s %d: %v", r.Call, i, err)
		}
	}
	r.killFlush(t, pool, schema, old, r.Before)
	r.refused(t, s)
	lock := "LOCK TABLE " + pg.Ident(schema) + "." + r.Table + " IN ACCESS EXCLUSIVE MODE"
	Interrupt(t, lock, r.New, func(ctx context.Context) error {
		o, err := r.Replay(ctx, s, nil)
		if o != *new(O) || err != nil && !strings.HasPrefix(err.Error(), r.Stopped) {
			t.Errorf("%s after a failed flush, on a stuck database = %v, %v; want no owner, and the records replayed named", r.New, o, err)
		}
		return err
	})
	r.replayRest(t, pool, schema, s, 0)
}

// killFlush makes o's Write of event i fail at its flush on a store without Timeout:
// while another session holds the log's table in SHARE mode (reads pass, the flush's
// INSERT waits), it terminates the backend whose statement waits for the table, as a
// lost connection would end it, and then releases the table. The Write must fail
// wrapping Diverged, within Watchdog.
func (r Replays[O, S, R]) killFlush(t *testing.T, pool *pgxpool.Pool, schema string, o O, i int) {
	t.Helper()
	release := Hold(t, "LOCK TABLE "+pg.Ident(schema)+"."+r.Table+" IN SHARE MODE")
	defer release()
	done := make(chan error, 1)
	go func() { done <- r.Write(context.Background(), o, i) }()
	const pause = 10 * time.Millisecond
	for tries := 0; ; tries++ {
		var n int
		err := pool.QueryRow(context.Background(), `SELECT count(pg_terminate_backend(pid)) FROM pg_locks
			WHERE relation = to_regclass($1) AND NOT granted`, pg.Ident(schema)+"."+r.Table).Scan(&n)
		if err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			break
		}
		if tries > int(Watchdog/pause) {
			t.Fatalf("%s %d: no flush waited for the table within %v", r.Call, i, Watchdog)
		}
		timer := time.NewTimer(pause)
		select {
		case err := <-done:
			timer.Stop()
			t.Fatalf("%s %d returned before its flush waited for the table: %v", r.Call, i, err)
		case <-timer.C:
		}
	}
	release()
	err := Within(t, r.Call+" whose flush was cut off", func() error { return <-done })
	if !errors.Is(err, r.Diverged) {
		t.Fatalf("%s %d whose flush was cut off: %v; want an error wrapping ErrDiverged", r.Call, i, err)
	}
}
