package pgstore

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/clientele-go/clientele/internal/pg/pgtest"
	"github.com/clientele-go/clientele/segment"
	"github.com/clientele-go/clientele/segment/storetest"
)

func TestConformance(t *testing.T) {
	pool := pgtest.Pool(t)
	var mu sync.Mutex
	schemas := map[string]string{} // the conformance suite's dir -> a schema of its own
	open := func(dir string) (segment.Store, error) {
		mu.Lock()
		name, ok := schemas[dir]
		if !ok {
			name = pgtest.Schema(t, pool)
			schemas[dir] = name
		}
		mu.Unlock()
		return Open(context.Background(), pool, &Options{Schema: name})
	}
	storetest.Run(t, storetest.Harness{Open: open, Reopen: open})
}

func TestNewerSchemaRefused(t *testing.T) {
	pool := pgtest.Pool(t)
	schema := pgtest.Schema(t, pool)
	if _, err := Open(context.Background(), pool, &Options{Schema: schema}); err != nil {
		t.Fatal(err)
	}
	// Opening again is idempotent.
	if _, err := Open(context.Background(), pool, &Options{Schema: schema}); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(context.Background(), "UPDATE "+schema+".clientele_schema SET version = 2 WHERE component = 'segment'"); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(context.Background(), pool, &Options{Schema: schema}); !errors.Is(err, ErrVersion) {
		t.Fatalf("Open on a newer schema: %v, want ErrVersion", err)
	}
}

// TestSnapshotAcrossReplicas saves an index's snapshot through one store and opens it
// through another on the same schema, as a second replica would.
func TestSnapshotAcrossReplicas(t *testing.T) {
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
	if err := a.Put("snap-1", []byte("bytes")); err != nil {
		t.Fatal(err)
	}
	got, err := b.Get("snap-1")
	if err != nil || string(got) != "bytes" {
		t.Fatalf("Get on the other replica: %q, %v", got, err)
	}
	if err := b.Delete("snap-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Get("snap-1"); !errors.Is(err, segment.ErrNotFound) {
		t.Fatalf("Get after Delete elsewhere: %v, want ErrNotFound", err)
	}
}
