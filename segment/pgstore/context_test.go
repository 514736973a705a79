package pgstore

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/clientele-go/clientele/internal/pg"
	"github.com/clientele-go/clientele/internal/pg/pgtest"
	"github.com/clientele-go/clientele/segment"
	"github.com/clientele-go/clientele/segment/storetest"
	"github.com/jackc/pgx/v5/pgxpool"
)

// calls are the calls of a store, each naming the prefix its error opens with. They
// write only blob "p" (absent) and blob "d", which holds snap(1, "before"): a call that
// took effect would change one of them.
func calls(s *Store) []struct {
	prefix string
	do     func() error
} {
	return []struct {
		prefix string
		do     func() error
	}{
		{`put "p"`, func() error { return s.Put("p", []byte("p")) }},
		{`put "d"`, func() error { return second(s.PutVersion("d", []byte("after"))) }},
		{`put snapshot "d"`, func() error { return second(s.PutSnapshot("d", snap(2, "after"))) }},
		{`get "d"`, func() error { return second(s.Get("d")) }},
		{`delete "d"`, func() error { return s.Delete("d") }},
		{"list", func() error { return second(s.List()) }},
		{"versions", func() error { return second(s.Versions("")) }},
	}
}

// TestWithContextCancelsLockedCall: while another session holds an ACCESS EXCLUSIVE
// lock on the table, every call of a store without Timeout, made on the copy
// WithContext returned, ends when its context is cancelled, with an error wrapping
// context.Canceled that names the operation and blob, instead of waiting for the lock.
// The cancellation ends the statements too, not only the calls: once none waits for the
// lock any more and the lock is released, the blobs are as they were, and the store
// (the copy under a live context too) works again. On a pool with pgx's default, which
// gives up on a query by a deadline on its socket and asks the server to cancel it as
// it closes the connection, and on one that asks first.
func TestWithContextCancelsLockedCall(t *testing.T) {
	for _, c := range pgtest.PoolKinds {
		t.Run(c.Name, func(t *testing.T) {
			pool := c.Pool(t)
			schema := pgtest.Schema(t, pool)
			s, err := Open(context.Background(), pool, &Options{Schema: schema})
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Put("d", snap(1, "before")); err != nil {
				t.Fatal(err)
			}
			for i, call := range calls(s) {
				pgtest.Interrupt(t, "LOCK TABLE "+pg.Ident(schema)+".segment_blob IN ACCESS EXCLUSIVE MODE", call.prefix,
					func(ctx context.Context) error { return calls(s.WithContext(ctx))[i].do() }, "segment/pgstore: "+call.prefix+": ")
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			live := s.WithContext(ctx)
			if got, err := live.Get("d"); err != nil || string(got) != string(snap(1, "before")) {
				t.Errorf("Get after the cancelled calls: %q, %v; want the blob unchanged, %q", got, err, snap(1, "before"))
			}
			if _, err := live.Get("p"); !errors.Is(err, segment.ErrNotFound) {
				t.Errorf("Get of the blob the cancelled Put wrote: %v; want ErrNotFound", err)
			}
			if err := live.Put("p", []byte("p")); err != nil {
				t.Errorf("Put once the lock is released: %v", err)
			}
		})
	}
}

// TestWithContextKeepsTimeout: the copy WithContext returns, under a context that does
// not end, still gives up on each call after Options.Timeout (whichever of the two
// ends first), failing with context.DeadlineExceeded while a lock is held.
func TestWithContextKeepsTimeout(t *testing.T) {
	pool := pgtest.Pool(t)
	schema := pgtest.Schema(t, pool)
	s, err := Open(context.Background(), pool, &Options{Schema: schema, Timeout: pgtest.Timeout})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Put("d", snap(1, "before")); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stuck []pgtest.Call
	for _, c := range calls(s.WithContext(ctx)) {
		stuck = append(stuck, pgtest.Call{Name: c.prefix, Do: c.do})
	}
	pgtest.Stuck(t, "LOCK TABLE "+pg.Ident(schema)+".segment_blob IN ACCESS EXCLUSIVE MODE", stuck...)
}

// TestWithContextEnded: on a copy whose context has ended, every call fails at once with
// an error wrapping the context's error, without waiting for the database (the table
// is locked: a call that reached it would wait); the Store it was made from, and a copy
// under another context, are not affected.
func TestWithContextEnded(t *testing.T) {
	pool := pgtest.Pool(t)
	schema := pgtest.Schema(t, pool)
	s, err := Open(context.Background(), pool, &Options{Schema: schema})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Put("d", snap(1, "before")); err != nil {
		t.Fatal(err)
	}
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	expired, cancel := context.WithDeadline(context.Background(), time.Unix(0, 0))
	defer cancel()
	release := pgtest.Hold(t, "LOCK TABLE "+pg.Ident(schema)+".segment_blob IN ACCESS EXCLUSIVE MODE")
	for _, ended := range []struct {
		ctx  context.Context
		want error
	}{{cancelled, context.Canceled}, {expired, context.DeadlineExceeded}} {
		for _, c := range calls(s.WithContext(ended.ctx)) {
			err := pgtest.Within(t, c.prefix, c.do)
			pgtest.CheckError(t, c.prefix+" under an ended context", err, ended.want, "segment/pgstore: "+c.prefix+": ")
		}
		// segment's own calls on a store end so too.
		x, err := segment.NewIndex()
		if err != nil {
			t.Fatal(err)
		}
		err = pgtest.Within(t, "Index.SaveTo", func() error { return x.SaveTo(s.WithContext(ended.ctx), "d") })
		pgtest.CheckError(t, "Index.SaveTo under an ended context", err, ended.want, "segment/pgstore: ")
		err = pgtest.Within(t, "segment.Load", func() error { return second(segment.Load(s.WithContext(ended.ctx), "d")) })
		pgtest.CheckError(t, "segment.Load under an ended context", err, ended.want, "segment/pgstore: ")
	}
	release()
	if got, err := s.Get("d"); err != nil || string(got) != string(snap(1, "before")) {
		t.Errorf("Get on the Store the copies were made from: %q, %v; want %q", got, err, snap(1, "before"))
	}
	if got, err := s.WithContext(context.Background()).Get("d"); err != nil || string(got) != string(snap(1, "before")) {
		t.Errorf("Get on a copy under a live context: %q, %v; want %q", got, err, snap(1, "before"))
	}
}

// TestWithContextConformance runs the segment.Store suite on copies WithContext made
// under a context that does not end (with no Timeout, and with one): they behave as the
// Store does.
func TestWithContextConformance(t *testing.T) {
	pgtest.Conformance(t, func(pool *pgxpool.Pool, schema string, timeout time.Duration) (segment.Store, error) {
		s, err := Open(context.Background(), pool, &Options{Schema: schema, Timeout: timeout})
		if err != nil {
			return nil, err
		}
		return s.WithContext(t.Context()), nil
	}, func(t *testing.T, open func(dir string) (segment.Store, error)) {
		storetest.Run(t, storetest.Harness{Open: open, Reopen: open})
	})
}

// TestWithContextNil: a nil context is a mistake of the caller's, reported at once
// rather than at the first call.
func TestWithContextNil(t *testing.T) {
	defer func() {
		if p := recover(); p == nil || !strings.Contains(p.(string), "nil context") {
			t.Errorf("WithContext(nil): recovered %v; want a panic naming the nil context", p)
		}
	}()
	var ctx context.Context // nil, without staticcheck's SA1012 on a literal nil
	(&Store{}).WithContext(ctx)
}
