package pgstore

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/clientele-go/clientele/internal/pg"
	"github.com/clientele-go/clientele/internal/pg/pgtest"
	"github.com/clientele-go/clientele/referral"
	"github.com/clientele-go/clientele/referral/storetest"
	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5/pgxpool"
)

// TestConformance runs the conformance suite on the store, unbounded and with a
// Timeout, which must change nothing a healthy database does.
func TestConformance(t *testing.T) {
	pgtest.Conformance(t, func(pool *pgxpool.Pool, schema string, timeout time.Duration) (referral.Store, error) {
		return Open(context.Background(), pool, &Options{Schema: schema, Timeout: timeout})
	}, func(t *testing.T, open func(dir string) (referral.Store, error)) {
		storetest.Run(t, storetest.Harness{Open: open, Reopen: open})
	})
}

// TestDamagedRecord: bytes in the table that do not decode are reported, with the position.
func TestDamagedRecord(t *testing.T) {
	pool := pgtest.Pool(t)
	schema := pgtest.Schema(t, pool)
	s, err := Open(context.Background(), pool, &Options{Schema: schema})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(context.Background(), "INSERT INTO "+schema+".referral_log VALUES (0, '\\x01ff'::bytea)"); err != nil {
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

// TestMigrateFromBatches: a ledger written by version 1 (one row per batch) is
// renumbered record by record, in batch order, and reads as before.
func TestMigrateFromBatches(t *testing.T) {
	pool := pgtest.Pool(t)
	schema := pgtest.Schema(t, pool)
	ctx := context.Background()
	if err := pg.Migrate(ctx, pool, schema, "referral", migrations[:1]); err != nil {
		t.Fatal(err)
	}
	var want []referral.Record
	for seq, batch := range [][]int{{0, 1, 2}, {3}, {4, 5}} {
		var enc [][]byte
		for _, i := range batch {
			r := referral.Record{Kind: referral.KindInvite, Key: fmt.Sprint("invite", i), At: base.Add(time.Duration(i) * time.Hour),
				Profile: uint32(1 + i), Signals: referral.Signals{Email: fmt.Sprintf("f%d@example.com", i)}}
			b, _ := r.MarshalBinary()
			enc = append(enc, b)
			want = append(want, r)
		}
		if _, err := pool.Exec(ctx, "INSERT INTO "+pg.Ident(schema)+".referral_batch (seq, recs) VALUES ($1, $2)", seq, enc); err != nil {
			t.Fatal(err)
		}
	}
	s := openStore(t, pool, schema)
	got := pgtest.Collect(t, s.Records())
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("records after migration (-version 1 +version 2):\n%s", diff)
	}
	var tables int
	if err := pool.QueryRow(ctx, "SELECT count(*) FROM pg_tables WHERE schemaname = $1 AND tablename = 'referral_batch'", schema).Scan(&tables); err != nil || tables != 0 {
		t.Fatalf("referral_batch left after migration: %d tables, %v", tables, err)
	}
}
