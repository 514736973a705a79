package pgtest

import (
	"context"
	"iter"

	"github.com/clientele-go/clientele/internal/pg"
	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Single is what MatchesSingle needs of a store package whose owner (referral.Program,
// loyalty.Ledger) is O, whose records are E and whose PostgreSQL store is S: how to
// open a store and an owner, the in-memory owner the shared ones must equal, and what
// an event's outcome and a record's input event are. The stores share internal/pg.Log,
// so the property is the same for each.
type Single[O interface {
	CatchUp(context.Context) (uint64, error)
}, E any, S interface {
	Records() iter.Seq2[E, error]
	Close() error
}] struct {
	// Store opens a store over schema in pool.
	Store func(ctx context.Context, pool *pgxpool.Pool, schema string) (S, error)
	// Owner opens an owner on s.
	Owner func(s S) (O, error)
	// Memory opens an owner on an in-memory store, and returns it with the store's
	// Records.
	Memory func() (O, func() iter.Seq2[E, error], error)
	// Outcome names what o answered to ev: "ok", a refusal's sentinel, or "unexpected: "
	// and the error (see Deliver).
	Outcome func(ctx context.Context, o O, ev E) string
	// Name says what ev is, in messages.
	Name func(ev E) string
	// Key is a record's event key, which the log may hold once.
	Key func(r E) string
	// Input returns the input event a record was decided from, and false for a record
	// the owner derives from others (which it is not fed).
	Input func(r E) (E, bool)
	// Check, if set, checks the log's records further (what else must be once).
	Check func(t T, recs []E)
	// Answers renders what a host reads of o.
	Answers func(o O) string
}

// MatchesSingle checks one drawn case of the property that owners sharing a log act as
// one: an owner per pool of pools, each on its own store over a new schema in pool, is
// handed its deliveries of ds, one after another in ds's order, or concurrently (each
// writer its deliveries in order, in a goroutine of its own). In series each delivery
// must be answered as the in-memory owner fed the same deliveries answers (see Deliver),
// and the log must hold exactly its records; concurrently the log must hold exactly
// the records of the in-memory owner fed the log's input events in the log's order.
// Either way no key is in the log twice, the log passes Check, and every owner, caught
// up, answers as the in-memory one.
func MatchesSingle[O interface {
	CatchUp(context.Context) (uint64, error)
}, E any, S interface {
	Records() iter.Seq2[E, error]
	Close() error
}](t T, pool *pgxpool.Pool, pools []*pgxpool.Pool, ds []Delivery[E], concurrent bool, s Single[O, E, S]) {
	t.Helper()
	ctx := context.Background()
	schema := schemaName()
	defer pool.Exec(ctx, "DROP SCHEMA IF EXISTS "+pg.Ident(schema)+" CASCADE")
	owners := make([]O, len(pools))
	for w, p := range pools {
		st, err := s.Store(ctx, p, schema)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		if owners[w], err = s.Owner(st); err != nil {
			t.Fatal(err)
		}
	}
	single, records, err := s.Memory()
	if err != nil {
		t.Fatal(err)
	}
	Deliver(t, ds, concurrent, owners, single, func(o O, ev E) string { return s.Outcome(ctx, o, ev) }, s.Name)
	st, err := s.Store(ctx, pool, schema)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	got := Collect(t, st.Records())
	keys := map[string]bool{}
	for _, r := range got {
		if k := s.Key(r); keys[k] {
			t.Fatalf("key %q is in the log twice", k)
		} else {
			keys[k] = true
		}
	}
	if s.Check != nil {
		s.Check(t, got)
	}
	if concurrent {
		// The single owner is fed the log's input events in the log's order.
		for _, r := range got {
			if ev, ok := s.Input(r); ok {
				if o := s.Outcome(ctx, single, ev); o != "ok" {
					t.Fatalf("the single writer refuses %s, which the log holds: %s", s.Name(r), o)
				}
			}
		}
	}
	if diff := cmp.Diff(Collect(t, records()), got); diff != "" {
		t.Fatalf("the shared log differs from the single writer's (-single +shared):\n%s", diff)
	}
	CaughtUp(t, s.Answers(single), owners, s.Answers)
}
