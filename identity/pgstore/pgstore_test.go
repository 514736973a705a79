package pgstore

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clientele-go/clientele/identity"
	"github.com/clientele-go/clientele/identity/storetest"
	"github.com/clientele-go/clientele/internal/pg"
	"github.com/clientele-go/clientele/internal/pg/pgtest"
	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5/pgxpool"
)

var base = time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)

func TestMain(m *testing.M) { pgtest.Main(m, "PGSTORE_WRITER", writerProcess) }

// open opens a store over schema with no Timeout, closed when t ends.
func open(t testing.TB, pool *pgxpool.Pool, schema string) *Store {
	t.Helper()
	return openTimeout(t, pool, schema, 0)
}

// resolver opens a resolver with the default rules on s.
func resolver(t testing.TB, s identity.Store) *identity.Resolver {
	t.Helper()
	r, err := identity.New(identity.DefaultRules(), identity.WithStore(s))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestConformance runs the conformance suite on the store, unbounded and with a
// Timeout, which must change nothing a healthy database does.
func TestConformance(t *testing.T) {
	pgtest.Conformance(t, func(pool *pgxpool.Pool, schema string, timeout time.Duration) (identity.Store, error) {
		return Open(context.Background(), pool, &Options{Schema: schema, Timeout: timeout})
	}, func(t *testing.T, open func(dir string) (identity.Store, error)) {
		storetest.Run(t, storetest.Harness{Open: open, Reopen: open})
	})
}

func TestNewerSchemaRefused(t *testing.T) {
	pool := pgtest.Pool(t)
	schema, v := pgtest.Newer(t, pool, "identity", func(s string) error { open(t, pool, s); return nil })
	_, err := Open(context.Background(), pool, &Options{Schema: schema})
	if !errors.Is(err, ErrVersion) || !strings.Contains(err.Error(), fmt.Sprint("version ", v)) {
		t.Fatalf("Open on a newer schema: %v, want ErrVersion naming version %d", err, v)
	}
}

// event i of a stream whose identifiers recur, so that events sent through different
// writers merge each other's profiles and meet the per-kind limits.
func event(i int) []identity.ID {
	rng := rand.New(rand.NewPCG(uint64(i), 7))
	kinds := []struct {
		kind string
		pool int
	}{{"user_id", 150}, {"email", 200}, {"anonymous_id", 400}, {"device_id", 100}}
	var ids []identity.ID
	for _, k := range kinds {
		if rng.IntN(3) == 0 || len(ids) == 0 && k.kind == "device_id" {
			ids = append(ids, identity.ID{Kind: k.kind, Value: k.kind + strconv.Itoa(rng.IntN(k.pool))})
		}
	}
	return ids
}

func eventAt(i int) time.Time { return base.Add(time.Duration(i) * time.Second) }

// answers describes the whole graph of a resolver, for n events.
func answers(r *identity.Resolver, n int) string {
	var b strings.Builder
	seen := map[identity.ID]bool{}
	for i := range n {
		for _, id := range event(i) {
			if seen[id] {
				continue
			}
			seen[id] = true
			p, ok := r.Lookup(id)
			fmt.Fprintf(&b, "%v=%d,%v\n", id, p, ok)
		}
	}
	for k := uint32(0); k <= uint32(2*n); k++ {
		fmt.Fprintf(&b, "%d->%d %v\n", k, r.Current(k), r.Identifiers(k))
	}
	return b.String()
}

// reference feeds a single in-memory resolver the events in the order the log holds
// their links, and returns its answers.
func reference(t testing.TB, r *identity.Resolver, n int) string {
	t.Helper()
	single, err := identity.New(identity.DefaultRules())
	if err != nil {
		t.Fatal(err)
	}
	fed := 0
	for e := range r.History() {
		if e.Op != identity.OpLink {
			continue
		}
		i := int(e.At.Sub(base) / time.Second)
		if _, err := single.Link(context.Background(), eventAt(i), e.Source, event(i)...); err != nil {
			t.Fatal(err)
		}
		fed++
	}
	if fed != n {
		t.Fatalf("the log holds %d links, want %d", fed, n)
	}
	return answers(single, n)
}

func link(ctx context.Context, r *identity.Resolver, w, i int) error {
	_, err := r.Link(ctx, eventAt(i), "w"+strconv.Itoa(w), event(i)...)
	return err
}

// TestManyWriters runs writers in goroutines, each with its own pool, store and
// resolver on one schema, several callers per writer (group commit), then checks that
// every replica holds the same graph, the one a single writer fed the log's order holds.
func TestManyWriters(t *testing.T) {
	const writers, callers, events = 4, 3, 1200
	pool := pgtest.Pool(t)
	schema := pgtest.Schema(t, pool)
	ctx := context.Background()
	rs := make([]*identity.Resolver, writers)
	for w := range rs {
		r := resolver(t, open(t, pgtest.Pool(t), schema))
		rs[w] = r
	}
	var wg sync.WaitGroup
	errs := make(chan error, writers*callers)
	for w := range writers {
		for c := range callers {
			wg.Go(func() {
				for i := w*callers + c; i < events; i += writers * callers {
					if err := link(ctx, rs[w], w, i); err != nil {
						errs <- err
						return
					}
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	var want string
	for w, r := range rs {
		if _, err := r.CatchUp(ctx); err != nil {
			t.Fatal(err)
		}
		got := answers(r, events)
		if w == 0 {
			want = got
			if ref := reference(t, r, events); ref != got {
				t.Fatalf("replica differs from a single writer fed the log's order:\n%s", cmp.Diff(ref, got))
			}
		} else if got != want {
			t.Fatalf("replica %d differs from replica 0:\n%s", w, cmp.Diff(want, got))
		}
	}
	// A resolver opened afresh replays the same graph.
	r := resolver(t, open(t, pool, schema))
	if got := answers(r, events); got != want {
		t.Fatalf("a fresh replica differs:\n%s", cmp.Diff(want, got))
	}
}

// writerProcess is the body of a writer re-executed from the test binary: it links its
// share of the events, says so, waits to be told every writer is done, catches up and
// prints the digest of its graph.
func writerProcess(arg string) int {
	return pgtest.RunWriter(arg, "linked", func(ctx context.Context, pool *pgxpool.Pool, p pgtest.Part) (func() (string, error), error) {
		s, err := Open(ctx, pool, &Options{Schema: p.Schema})
		if err != nil {
			return nil, err
		}
		r, err := identity.New(identity.DefaultRules(), identity.WithStore(s))
		if err != nil {
			return nil, err
		}
		var mine []int // pairs of events: 2w and 2w+1, then the same a round of writers on
		for i := range p.N {
			if i/2%p.Writers == p.W {
				mine = append(mine, i)
			}
		}
		err = pgtest.Callers(len(mine), 2, func(i int) error { return link(ctx, r, p.W, mine[i]) })
		return func() (string, error) {
			_, err := r.CatchUp(ctx)
			return answers(r, p.N), err
		}, err
	})
}

// TestManyWriterProcesses runs the writers as separate processes (the test binary run
// again) on one schema.
func TestManyWriterProcesses(t *testing.T) {
	const writers, events = 3, 900
	pool := pgtest.Pool(t)
	schema := pgtest.Schema(t, pool)
	cs := pgtest.StartWriters(t, "PGSTORE_WRITER", schema, writers, events)
	pgtest.Agree(t, cs, "linked", func() string {
		r := resolver(t, open(t, pool, schema))
		got := answers(r, events)
		if ref := reference(t, r, events); ref != got {
			t.Fatalf("the processes' graph differs from a single writer fed the log's order:\n%s", cmp.Diff(ref, got))
		}
		return pgtest.Digest(got)
	})
}

func s0key(schema string) (int32, int32) { return pg.Key(schema, "identity_log") }

// TestFollowerReportsMerges: a replica that only follows reports, through OnMerge, the
// merges another replica decided, in the same order.
func TestFollowerReportsMerges(t *testing.T) {
	pool := pgtest.Pool(t)
	schema := pgtest.Schema(t, pool)
	ctx := context.Background()
	var mine, theirs []identity.Merge
	w, err := identity.New(identity.DefaultRules(), identity.WithStore(open(t, pool, schema)),
		identity.OnMerge(func(m identity.Merge) { mine = append(mine, m) }))
	if err != nil {
		t.Fatal(err)
	}
	f, err := identity.New(identity.DefaultRules(), identity.WithStore(open(t, pgtest.Pool(t), schema)),
		identity.OnMerge(func(m identity.Merge) { theirs = append(theirs, m) }))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 300 {
		if err := link(ctx, w, 0, i); err != nil {
			t.Fatal(err)
		}
		if i%50 == 0 {
			if _, err := f.CatchUp(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := f.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	if len(mine) == 0 {
		t.Fatal("the events merged nothing; the test needs merges")
	}
	if diff := cmp.Diff(mine, theirs); diff != "" {
		t.Fatalf("follower's merges differ (-writer +follower):\n%s", diff)
	}
}

// TestOtherRules: a log written under one rule set and opened under another behaves as
// the file store does: the same graph, and later links decided by the new rules alike.
func TestOtherRules(t *testing.T) {
	pool := pgtest.Pool(t)
	schema := pgtest.Schema(t, pool)
	ctx := context.Background()
	fs, err := identity.OpenFileStore(filepath.Join(t.TempDir(), "log"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer fs.Close()
	const events = 400
	for _, s := range []identity.Store{open(t, pool, schema), fs} {
		r := resolver(t, s)
		for i := range events / 2 {
			if err := link(ctx, r, 0, i); err != nil {
				t.Fatal(err)
			}
		}
	}
	other := identity.DefaultRules()
	other.HotLimit = 2
	uid := other.Kinds["user_id"]
	uid.Limit = 2
	other.Kinds["user_id"] = uid
	var got []string
	for _, s := range []identity.Store{open(t, pool, schema), fs} {
		r, err := identity.New(other, identity.WithStore(s))
		if err != nil {
			t.Fatal(err)
		}
		for i := events / 2; i < events; i++ {
			if err := link(ctx, r, 0, i); err != nil {
				t.Fatal(err)
			}
		}
		got = append(got, answers(r, events))
	}
	if diff := cmp.Diff(got[1], got[0]); diff != "" {
		t.Fatalf("PostgreSQL and file stores differ under new rules (-file +pg):\n%s", diff)
	}
}
