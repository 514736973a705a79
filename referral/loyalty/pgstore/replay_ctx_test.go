package pgstore

import (
	"context"
	"errors"
	"iter"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/clientele-go/clientele/internal/pg"
	"github.com/clientele-go/clientele/internal/pg/pgtest"
	"github.com/clientele-go/clientele/referral/loyalty"
	"github.com/google/go-cmp/cmp"
)

// countRecords is a Store that counts the calls of its Records.
type countRecords struct {
	*Store
	n atomic.Int64
}

func (c *countRecords) Records() iter.Seq2[loyalty.Record, error] {
	c.n.Add(1)
	return c.Store.Records()
}

// replayCtx opens a Ledger on s whose replay ctx bounds.
func replayCtx(ctx context.Context, s loyalty.Store) (*loyalty.Ledger, error) {
	return loyalty.Open(s, rules(), loyalty.WithReplayContext(ctx))
}

// TestOpenInterrupted: with no Timeout, while another session holds the log's
// table, an Open given WithReplayContext returns an error wrapping context.Canceled
// once its ctx is cancelled, naming the records replayed, instead of waiting for the
// lock as long as it is held. Once the lock is released Open on the same store replays
// the whole log.
func TestOpenInterrupted(t *testing.T) {
	const n = 12
	pool := pgtest.Pool(t)
	schema := pgtest.Schema(t, pool)
	w := openLedger(t, openStore(t, pool, schema))
	for _, ev := range events(n) {
		send(t, w, ev)
	}
	s := openStore(t, pool, schema)
	lock := "LOCK TABLE " + pg.Ident(schema) + ".loyalty_log IN ACCESS EXCLUSIVE MODE"
	pgtest.Interrupt(t, lock, "Open", func(ctx context.Context) error {
		p, err := replayCtx(ctx, s)
		if p != nil || err != nil && !strings.HasPrefix(err.Error(), "loyalty: open: replay stopped after 0 records: ") {
			t.Errorf("Open on a stuck database = %v, %v; want no Ledger, and the records replayed named", p, err)
		}
		return err
	})
	live, cancel := context.WithCancel(context.Background())
	defer cancel()
	p, err := replayCtx(live, s)
	if err != nil {
		t.Fatalf("Open once the lock is released: %v", err)
	}
	if diff := cmp.Diff(answers(w), answers(p)); diff != "" {
		t.Fatalf("Open after an interrupted one differs from the writer (-writer +new):\n%s", diff)
	}
}

// TestOpenAfterFailedFlush: a store whose flush failed refuses its Since (and
// SinceContext) with ErrDiverged until Records reads the log again. Open given
// WithReplayContext reads it as Open without one does: it ends the refusal and replays
// the whole log, and the new Ledger takes events without reading it again.
func TestOpenAfterFailedFlush(t *testing.T) {
	const n = 12
	pool := pgtest.Pool(t)
	schema := pgtest.Schema(t, pool)
	ctx := context.Background()
	s := openTimeout(t, pool, schema, pgtest.Timeout)
	old := openLedger(t, s)
	evs := events(n)
	half := len(evs) / 2
	for _, ev := range evs[:half] {
		send(t, old, ev)
	}
	pgtest.Stuck(t, "LOCK TABLE "+pg.Ident(schema)+".loyalty_log IN SHARE MODE",
		pgtest.Call{Name: "Apply whose flush waits", Do: func() error { return old.Apply(ctx, evs[half]) }, Also: []error{loyalty.ErrDiverged}},
	)
	for _, err := range s.Since(0) {
		if !errors.Is(err, loyalty.ErrDiverged) {
			t.Fatalf("Since after a failed flush: %v; want ErrDiverged", err)
		}
		break
	}
	live, cancel := context.WithCancel(ctx)
	defer cancel()
	counted := &countRecords{Store: s}
	p, err := replayCtx(live, counted)
	if err != nil {
		t.Fatalf("Open after a failed flush: %v", err)
	}
	for _, ev := range evs[half:] {
		send(t, p, ev)
	}
	if k := counted.n.Load(); k != 1 {
		t.Errorf("Open and the events after it read Records %d times; want once, by Open", k)
	}
	want := checkLedger(t, openStore(t, pool, schema))
	if diff := cmp.Diff(want, answers(p)); diff != "" {
		t.Fatalf("the new Ledger differs from the single writer (-single +new):\n%s", diff)
	}
}
