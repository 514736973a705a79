package pgstore

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/clientele-go/clientele/internal/pg/pgtest"
	"github.com/clientele-go/clientele/referral"
	"github.com/clientele-go/clientele/referral/storetest"
)

func TestConformance(t *testing.T) {
	pool := pgtest.Pool(t)
	var mu sync.Mutex
	schemas := map[string]string{} // the conformance suite's dir -> a schema of its own
	open := func(dir string) (referral.Store, error) {
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
	if _, err := pool.Exec(context.Background(), "UPDATE "+schema+".clientele_schema SET version = 2 WHERE component = 'referral'"); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(context.Background(), pool, &Options{Schema: schema}); !errors.Is(err, ErrVersion) {
		t.Fatalf("Open on a newer schema: %v, want ErrVersion", err)
	}
}

// TestDamagedRecord: bytes in the table that do not decode are reported, with the batch.
func TestDamagedRecord(t *testing.T) {
	pool := pgtest.Pool(t)
	schema := pgtest.Schema(t, pool)
	s, err := Open(context.Background(), pool, &Options{Schema: schema})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(context.Background(), "INSERT INTO "+schema+".referral_batch VALUES (0, ARRAY['\\x01ff'::bytea])"); err != nil {
		t.Fatal(err)
	}
	for _, err := range s.Records() {
		if !errors.Is(err, referral.ErrCorrupt) {
			t.Fatalf("damaged record: %v, want ErrCorrupt", err)
		}
		return
	}
	t.Fatal("damaged record yielded nothing")
}
