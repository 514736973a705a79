package pgstore

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/clientele-go/clientele/internal/pg"
	"github.com/clientele-go/clientele/internal/pg/pgtest"
)

// TestVersionsAcrossHandles writes through one store and reads the versions through
// another on the same schema (another pool, as another replica would): every Put gives
// a write number not seen before, a Put that replaces a blob keeps its incarnation, a
// Delete removes the name, a Put after it starts a new incarnation, and only the prefix
// is listed.
func TestVersionsAcrossHandles(t *testing.T) {
	pool := pgtest.Pool(t)
	schema := pgtest.Schema(t, pool)
	ctx := context.Background()
	a, err := Open(ctx, pool, &Options{Schema: schema})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Open(ctx, pgtest.Pool(t), &Options{Schema: schema})
	if err != nil {
		t.Fatal(err)
	}
	seen, incarnations := map[int64]bool{}, map[int64]bool{}
	version := func(name string) (Version, bool) {
		t.Helper()
		vs, err := b.Versions("saved.")
		if err != nil {
			t.Fatal(err)
		}
		for n := range vs {
			if n[:6] != "saved." {
				t.Fatalf("Versions(%q) lists %q", "saved.", n)
			}
		}
		v, ok := vs[name]
		return v, ok
	}
	if err := a.Put("index", []byte("not listed")); err != nil {
		t.Fatal(err)
	}
	var last Version
	for i, op := range []string{"create", "put", "delete", "create", "put", "put same bytes"} {
		switch op {
		case "delete":
			if err := a.Delete("saved.x"); err != nil {
				t.Fatal(err)
			}
			if v, ok := version("saved.x"); ok {
				t.Fatalf("step %d: deleted blob still has version %v", i, v)
			}
			continue
		case "put same bytes":
			if err := a.Put("saved.x", []byte("def 4")); err != nil {
				t.Fatal(err)
			}
		default:
			if err := a.Put("saved.x", []byte{'d', 'e', 'f', ' ', byte('0' + i)}); err != nil {
				t.Fatal(err)
			}
		}
		v, ok := version("saved.x")
		if !ok || seen[v.Write] {
			t.Fatalf("step %d (%s): version %v, listed %v; writes seen before: %v", i, op, v, ok, seen)
		}
		seen[v.Write] = true
		if op == "create" {
			if incarnations[v.Incarnation] {
				t.Fatalf("step %d (create after a delete): incarnation %d was seen before: %v", i, v.Incarnation, incarnations)
			}
			incarnations[v.Incarnation] = true
		} else if v.Incarnation != last.Incarnation {
			t.Fatalf("step %d (%s): incarnation %d, want %d kept by a replacement", i, op, v.Incarnation, last.Incarnation)
		}
		last = v
	}
}

// TestVersionsAfterMigration opens schemas whose table was written by version 1 of the
// package (no version column) and by version 2 (no incarnation): their blobs are kept
// and get distinct versions and incarnations, which a replacement then keeps.
func TestVersionsAfterMigration(t *testing.T) {
	for from := 1; from < len(migrations); from++ {
		t.Run(fmt.Sprintf("from version %d", from), func(t *testing.T) {
			pool := pgtest.Pool(t)
			schema := pgtest.Schema(t, pool)
			ctx := context.Background()
			if _, err := pg.Setup(ctx, pool, schema, "segment", migrations[:from], nil); err != nil {
				t.Fatal(err)
			}
			if _, err := pool.Exec(ctx, "INSERT INTO "+pg.Ident(schema)+".segment_blob (name, data) VALUES ('saved.a', 'x'), ('saved.b', 'y')"); err != nil {
				t.Fatal(err)
			}
			s, err := Open(ctx, pool, &Options{Schema: schema})
			if err != nil {
				t.Fatal(err)
			}
			vs, err := s.Versions("saved.")
			if err != nil || len(vs) != 2 || vs["saved.a"].Write == vs["saved.b"].Write || vs["saved.a"].Incarnation == vs["saved.b"].Incarnation {
				t.Fatalf("Versions after migration: %v, %v; want two distinct", vs, err)
			}
			if got, err := s.Get("saved.b"); err != nil || string(got) != "y" {
				t.Fatalf("Get after migration: %q, %v", got, err)
			}
			if err := s.Put("saved.b", []byte("z")); err != nil {
				t.Fatal(err)
			}
			after, err := s.Versions("saved.")
			if err != nil || after["saved.b"].Incarnation != vs["saved.b"].Incarnation || after["saved.b"].Write == vs["saved.b"].Write {
				t.Fatalf("a replacement after migration: %v then %v, %v; want a new write, the incarnation kept", vs["saved.b"], after["saved.b"], err)
			}
		})
	}
}

// TestFollowWakesOnWrites: a follower on another pool (pg.Follow, with a poll too long to
// matter within the test's deadline) wakes for a Put and for a Delete made through
// another store handle.
func TestFollowWakesOnWrites(t *testing.T) {
	pool := pgtest.Pool(t)
	schema := pgtest.Schema(t, pool)
	ctx := context.Background()
	a, err := Open(ctx, pool, &Options{Schema: schema})
	if err != nil {
		t.Fatal(err)
	}
	wake := make(chan struct{}, 16)
	fctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- pg.Follow(fctx, pgtest.Pool(t), schema+".", time.Hour, func(context.Context) error {
			wake <- struct{}{}
			return nil
		})
	}()
	defer func() {
		stop()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("Follow: %v", err)
		}
	}()
	wait := func(what string) {
		t.Helper()
		select {
		case <-wake:
		case <-time.After(30 * time.Second):
			t.Fatalf("no wake-up after %s", what)
		}
	}
	wait("start") // Follow calls fn once listening
	if err := a.Put("saved.x", []byte("q")); err != nil {
		t.Fatal(err)
	}
	wait("Put")
	if err := a.Delete("saved.x"); err != nil {
		t.Fatal(err)
	}
	wait("Delete")
}

// TestPutVersion: the version PutVersion returns is the one Versions then reports, for
// a creation, a replacement and a creation after a delete; and writers on two handles
// (two replicas) creating one name at once, each retrying until the name is theirs or
// another's, all learn the one incarnation the row got, each its own write.
func TestPutVersion(t *testing.T) {
	pool := pgtest.Pool(t)
	schema := pgtest.Schema(t, pool)
	ctx := context.Background()
	var handles [2]*Store
	for i := range handles {
		h, err := Open(ctx, pgtest.Pool(t), &Options{Schema: schema})
		if err != nil {
			t.Fatal(err)
		}
		handles[i] = h
	}
	a, b := handles[0], handles[1]
	listed := func(name string) Version {
		t.Helper()
		vs, err := b.Versions("saved.")
		if err != nil {
			t.Fatal(err)
		}
		return vs[name]
	}
	var prev Version
	for i, op := range []string{"create", "replace", "delete", "create"} {
		if op == "delete" {
			if err := a.Delete("saved.x"); err != nil {
				t.Fatal(err)
			}
			continue
		}
		v, err := a.PutVersion("saved.x", []byte(op))
		if err != nil {
			t.Fatal(err)
		}
		if got := listed("saved.x"); got != v || v.Write == 0 || v.Incarnation == 0 {
			t.Fatalf("step %d (%s): PutVersion returned %v, Versions lists %v", i, op, v, got)
		}
		if (op == "replace") != (v.Incarnation == prev.Incarnation) {
			t.Fatalf("step %d (%s): incarnation %d after %d", i, op, v.Incarnation, prev.Incarnation)
		}
		prev = v
	}
	const writers = 8
	for round := range 5 {
		name := fmt.Sprintf("saved.c%d", round)
		got := make([]Version, writers)
		errs := make([]error, writers)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for w := range writers {
			wg.Go(func() {
				<-start
				got[w], errs[w] = handles[w%2].PutVersion(name, []byte{byte(w)})
			})
		}
		close(start)
		wg.Wait()
		writes := map[int64]bool{}
		for w, v := range got {
			if errs[w] != nil {
				t.Fatal(errs[w])
			}
			if v.Incarnation != got[0].Incarnation || writes[v.Write] {
				t.Fatalf("round %d: concurrent creations returned %v; want one incarnation, distinct writes", round, got)
			}
			writes[v.Write] = true
		}
		if l := listed(name); l.Incarnation != got[0].Incarnation || !writes[l.Write] {
			t.Fatalf("round %d: Versions lists %v; the writers returned %v", round, l, got)
		}
	}
}
