package pgstore

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"testing"

	"github.com/clientele-go/clientele/identity"
	"github.com/clientele-go/clientele/internal/pg/pgtest"
	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5/pgxpool"
)

// ann is the person the tests forget: two identifiers, linked among other people's.
var ann = []identity.ID{{Kind: "email", Value: "ann.forgotten@example.com"}, {Kind: "anonymous_id", Value: "anon-forgotten-7"}}

// needles returns the bytes that would betray ann in the log: her values, or with key
// their HMACs as the resolver stores them (HMAC-SHA256 of kind, 0, value).
func needles(key []byte) [][]byte {
	var out [][]byte
	for _, id := range ann {
		if key == nil {
			out = append(out, []byte(id.Value))
			continue
		}
		m := hmac.New(sha256.New, key)
		m.Write([]byte(id.Kind))
		m.Write([]byte{0})
		m.Write([]byte(id.Value))
		out = append(out, m.Sum(nil))
	}
	return out
}

// rows returns the log's rows by position.
func rows(t *testing.T, pool *pgxpool.Pool, schema string) map[int64]string {
	t.Helper()
	rs, err := pool.Query(context.Background(), "SELECT pos, rec FROM "+schema+".identity_log")
	if err != nil {
		t.Fatal(err)
	}
	out := map[int64]string{}
	for rs.Next() {
		var pos int64
		var rec []byte
		if err := rs.Scan(&pos, &rec); err != nil {
			t.Fatal(err)
		}
		out[pos] = string(rec)
	}
	return out
}

// holding counts the rows that hold one of the needles.
func holding(t *testing.T, pool *pgxpool.Pool, schema string, key []byte) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(context.Background(), "SELECT count(*) FROM "+schema+".identity_log AS l, unnest($1::bytea[]) AS n(b) WHERE position(n.b IN l.rec) > 0",
		needles(key)).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func options(key []byte, s identity.Store) []identity.Option {
	opts := []identity.Option{identity.WithStore(s)}
	if key != nil {
		opts = append(opts, identity.WithHMAC(key))
	}
	return opts
}

// feed links events 0..n-1 through two replicas, ann's identifiers among them.
func feed(t *testing.T, a, b *identity.Resolver, n int) {
	t.Helper()
	ctx := context.Background()
	for i := range n {
		r := a
		if i%2 == 1 {
			r = b
		}
		ids := event(i)
		if i == n/3 {
			ids = append(ids, ann[0])
		}
		if i == n/2 {
			ids = append(ids, ann...)
		}
		if _, err := r.Link(ctx, eventAt(i), "web", ids...); err != nil {
			t.Fatal(err)
		}
	}
}

// TestForgetErasesRows: once Forget returns on one replica, no row holds ann's values
// (nor their HMACs), only the rows that held them changed, positions stayed, and the
// other replica and a fresh one answer alike without her.
func TestForgetErasesRows(t *testing.T) {
	for _, key := range [][]byte{nil, []byte("a key of the host's")} {
		t.Run(fmt.Sprintf("hmac=%v", key != nil), func(t *testing.T) {
			const n = 120
			pool := pgtest.Pool(t)
			schema := pgtest.Schema(t, pool)
			ctx := context.Background()
			a, err := identity.New(identity.DefaultRules(), options(key, open(t, pgtest.Pool(t), schema))...)
			if err != nil {
				t.Fatal(err)
			}
			b, err := identity.New(identity.DefaultRules(), options(key, open(t, pgtest.Pool(t), schema))...)
			if err != nil {
				t.Fatal(err)
			}
			feed(t, a, b, n)
			if _, err := a.CatchUp(ctx); err != nil {
				t.Fatal(err)
			}
			if holding(t, pool, schema, key) == 0 {
				t.Fatal("the log never held ann's values: the test shows nothing")
			}
			before := rows(t, pool, schema)
			p, ok := a.Lookup(ann[0])
			if !ok {
				t.Fatal("ann unknown")
			}
			if err := a.Forget(ctx, eventAt(n), p); err != nil {
				t.Fatal(err)
			}
			if got := holding(t, pool, schema, key); got != 0 {
				t.Fatalf("%d rows still hold ann's values after Forget returned", got)
			}
			after := rows(t, pool, schema)
			if len(after) != len(before)+1 {
				t.Fatalf("%d rows before Forget, %d after; want one more (its record)", len(before), len(after))
			}
			changed := 0
			for pos, rec := range before {
				if after[pos] != rec {
					changed++
				}
			}
			if changed == 0 || changed > 2 {
				t.Fatalf("%d rows rewritten; ann's values were in two links", changed)
			}
			if _, err := b.CatchUp(ctx); err != nil {
				t.Fatal(err)
			}
			fresh, err := identity.New(identity.DefaultRules(), options(key, open(t, pool, schema))...)
			if err != nil {
				t.Fatal(err)
			}
			for name, r := range map[string]*identity.Resolver{"writer": a, "other replica": b, "fresh": fresh} {
				for _, id := range ann {
					if p, ok := r.Lookup(id); ok {
						t.Fatalf("%s: %v still found, profile %d", name, id, p)
					}
				}
			}
			if diff := cmp.Diff(answers(a, n), answers(b, n)); diff != "" {
				t.Fatalf("the other replica differs (-writer +other):\n%s", diff)
			}
			if diff := cmp.Diff(answers(a, n), answers(fresh, n)); diff != "" {
				t.Fatalf("a fresh replica differs (-writer +fresh):\n%s", diff)
			}
			// Compacting again changes no row: the rewrite keeps every position.
			if err := fresh.Compact(); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(after, rows(t, pool, schema)); diff != "" {
				t.Fatalf("a second compaction rewrote rows:\n%s", diff)
			}
		})
	}
}

// noCompact hides the store's Compact: a resolver on it records a Forget without
// rewriting the log, as a process that died between the two would leave it.
type noCompact struct{ identity.SharedStore }

// TestInterruptedErasureFinishesOnOpen: a log whose Forget record is in but whose older
// rows still hold the values is rewritten by the next New, before it returns.
func TestInterruptedErasureFinishesOnOpen(t *testing.T) {
	const n = 60
	pool := pgtest.Pool(t)
	schema := pgtest.Schema(t, pool)
	ctx := context.Background()
	plain := noCompact{open(t, pgtest.Pool(t), schema)}
	a := resolver(t, plain)
	feed(t, a, a, n)
	p, _ := a.Lookup(ann[0])
	if err := a.Forget(ctx, eventAt(n), p); err != nil {
		t.Fatal(err)
	}
	if holding(t, pool, schema, nil) == 0 {
		t.Fatal("the interrupted erasure left no value behind: the test shows nothing")
	}
	fresh := resolver(t, open(t, pool, schema))
	if got := holding(t, pool, schema, nil); got != 0 {
		t.Fatalf("%d rows still hold ann's values after New finished the erasure", got)
	}
	if diff := cmp.Diff(answers(a, n), answers(fresh, n)); diff != "" {
		t.Fatalf("the reopened log answers otherwise (-before +after):\n%s", diff)
	}
}
