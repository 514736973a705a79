package pgstore

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/clientele-go/clientele/internal/pg/pgtest"
	"github.com/clientele-go/clientele/segment"
	"github.com/clientele-go/clientele/segment/storetest"
)

// TestConformance runs the segment.Store suite on a store without a timeout and on one
// with, where each call runs under a context it cancels as it returns: its rows must
// be read whole before.
func TestConformance(t *testing.T) {
	for _, timeout := range []time.Duration{0, time.Minute} {
		t.Run(fmt.Sprintf("timeout %v", timeout), func(t *testing.T) {
			pool := pgtest.Pool(t)
			schema := pgtest.Schemas(t, pool)
			open := func(dir string) (segment.Store, error) {
				return Open(context.Background(), pool, &Options{Schema: schema(dir), Timeout: timeout})
			}
			storetest.Run(t, storetest.Harness{Open: open, Reopen: open})
		})
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	pool := pgtest.Pool(t)
	ctx := context.Background()
	schema, _ := pgtest.Newer(t, pool, "segment", func(s string) error {
		_, err := Open(ctx, pool, &Options{Schema: s})
		if err == nil { // opening again is idempotent
			_, err = Open(ctx, pool, &Options{Schema: s})
		}
		return err
	})
	if _, err := Open(ctx, pool, &Options{Schema: schema}); !errors.Is(err, ErrVersion) {
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
