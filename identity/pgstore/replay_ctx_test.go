package pgstore

import (
	"context"
	"errors"
	"iter"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/clientele-go/clientele/identity"
	"github.com/clientele-go/clientele/internal/pg"
	"github.com/clientele-go/clientele/internal/pg/pgtest"
	"github.com/google/go-cmp/cmp"
)

// countRecords is a Store that counts the calls of its Records.
type countRecords struct {
	*Store
	n atomic.Int64
}

func (c *countRecords) Records() iter.Seq2[[]byte, error] {
	c.n.Add(1)
	return c.Store.Records()
}

// replayCtx opens a resolver on s whose replay ctx bounds.
func replayCtx(ctx context.Context, s identity.Store) (*identity.Resolver, error) {
	return identity.New(identity.DefaultRules(), identity.WithStore(s), identity.WithReplayContext(ctx))
}

// TestNewInterrupted: with no Timeout, while another session holds the log's table, a
// New given WithReplayContext returns an error wrapping context.Canceled once its ctx
// is cancelled, naming the records replayed, instead of waiting for the lock as long as
// it is held. Once the lock is released New on the same store replays the whole log.
func TestNewInterrupted(t *testing.T) {
	const events = 20
	pool := pgtest.Pool(t)
	schema := pgtest.Schema(t, pool)
	ctx := context.Background()
	w := resolver(t, open(t, pool, schema))
	for i := range events {
		if err := link(ctx, w, 0, i); err != nil {
			t.Fatal(err)
		}
	}
	s := open(t, pool, schema)
	lock := "LOCK TABLE " + pg.Ident(schema) + ".identity_log IN ACCESS EXCLUSIVE MODE"
	pgtest.Interrupt(t, lock, "New", func(ctx context.Context) error {
		r, err := replayCtx(ctx, s)
		if r != nil || err != nil && !strings.HasPrefix(err.Error(), "identity: replay stopped after 0 records: ") {
			t.Errorf("New on a stuck database = %v, %v; want no resolver, and the records replayed named", r, err)
		}
		return err
	})
	live, cancel := context.WithCancel(ctx)
	defer cancel()
	r, err := replayCtx(live, s)
	if err != nil {
		t.Fatalf("New once the lock is released: %v", err)
	}
	if diff := cmp.Diff(answers(w, events), answers(r, events)); diff != "" {
		t.Fatalf("New after an interrupted one differs from the writer (-writer +new):\n%s", diff)
	}
}

// TestNewAfterFailedFlush: a store whose flush failed refuses its Since (and
// SinceContext) with ErrDiverged until Records reads the log again. New given
// WithReplayContext reads it as New without one does: it ends the refusal and replays
// the whole log, and the new resolver links without reading the log again.
func TestNewAfterFailedFlush(t *testing.T) {
	const events = 10
	pool := pgtest.Pool(t)
	schema := pgtest.Schema(t, pool)
	ctx := context.Background()
	s := openTimeout(t, pool, schema, pgtest.Timeout)
	old := resolver(t, s)
	acked := make([]bool, events+2)
	for i := range events {
		if err := link(ctx, old, 0, i); err != nil {
			t.Fatal(err)
		}
		acked[i] = true
	}
	pgtest.Stuck(t, "LOCK TABLE "+pg.Ident(schema)+".identity_log IN SHARE MODE",
		pgtest.Call{Name: "Link whose flush waits", Do: func() error { return link(ctx, old, 0, events) }, Also: []error{identity.ErrDiverged}},
	)
	for _, err := range s.Since(0) {
		if !errors.Is(err, identity.ErrDiverged) {
			t.Fatalf("Since after a failed flush: %v; want ErrDiverged", err)
		}
		break
	}
	live, cancel := context.WithCancel(ctx)
	defer cancel()
	counted := &countRecords{Store: s}
	r, err := replayCtx(live, counted)
	if err != nil {
		t.Fatalf("New after a failed flush: %v", err)
	}
	if err := link(ctx, r, 0, events+1); err != nil {
		t.Fatalf("Link on the new resolver: %v", err)
	}
	if n := counted.n.Load(); n != 1 {
		t.Errorf("New and a Link read Records %d times; want once, by New", n)
	}
	acked[events+1] = true
	fresh := resolver(t, open(t, pool, schema))
	onceEach(t, fresh, acked)
	if diff := cmp.Diff(answers(fresh, events+2), answers(r, events+2)); diff != "" {
		t.Fatalf("the new resolver differs from a fresh replica (-fresh +new):\n%s", diff)
	}
}
