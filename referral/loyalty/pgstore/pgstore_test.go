package pgstore

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/clientele-go/clientele/internal/pg/pgtest"
	"github.com/clientele-go/clientele/referral/loyalty"
	"github.com/clientele-go/clientele/referral/loyalty/storetest"
	"github.com/jackc/pgx/v5/pgxpool"
)

// TestConformance runs the conformance suite on the store, unbounded and with a
// Timeout, which must change nothing a healthy database does.
func TestConformance(t *testing.T) {
	pgtest.Conformance(t, func(pool *pgxpool.Pool, schema string, timeout time.Duration) (loyalty.Store, error) {
		return Open(context.Background(), pool, &Options{Schema: schema, Timeout: timeout})
	}, func(t *testing.T, open func(dir string) (loyalty.Store, error)) {
		storetest.Run(t, storetest.Harness{Open: open, Reopen: open})
	})
}

func TestNewerSchemaRefused(t *testing.T) {
	pool := pgtest.Pool(t)
	ctx := context.Background()
	schema, _ := pgtest.Newer(t, pool, "loyalty", func(s string) error {
		_, err := Open(ctx, pool, &Options{Schema: s})
		return err
	})
	if _, err := Open(ctx, pool, &Options{Schema: schema}); !errors.Is(err, ErrVersion) {
		t.Fatalf("Open on a newer schema: %v, want ErrVersion", err)
	}
}

// TestDamagedRecord: bytes in the table that do not decode fail the ledger's Open with
// ErrCorrupt, naming the position.
func TestDamagedRecord(t *testing.T) {
	pool := pgtest.Pool(t)
	schema := pgtest.Schema(t, pool)
	s, err := Open(context.Background(), pool, &Options{Schema: schema})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := pool.Exec(context.Background(), "INSERT INTO "+schema+".loyalty_log VALUES (0, '\\x01ff'::bytea)"); err != nil {
		t.Fatal(err)
	}
	if _, err := loyalty.Open(s, loyalty.Rules{}); !errors.Is(err, loyalty.ErrCorrupt) {
		t.Fatalf("Open over a damaged record: %v, want ErrCorrupt", err)
	}
}

// TestSameAsFileStore: a history written through PostgreSQL replays to the balances
// and tiers of the same history written to a file.
func TestSameAsFileStore(t *testing.T) {
	pool := pgtest.Pool(t)
	ctx := context.Background()
	s, err := Open(ctx, pool, &Options{Schema: pgtest.Schema(t, pool)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	fs, err := loyalty.OpenFileStore(filepath.Join(t.TempDir(), "l.wal"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer fs.Close()
	rules := loyalty.Rules{Lock: 24 * time.Hour, Expiry: loyalty.Expiry{Rule: loyalty.EndOfMonth},
		Tiers: []loyalty.Tier{{Name: "m"}, {Name: "s", Threshold: 100, Multiplier: 150}}, Window: 30 * 24 * time.Hour}
	day := func(d int) time.Time { return time.Date(2026, 5, d, 0, 0, 0, 0, time.UTC) }
	var states []string
	for _, st := range []loyalty.Store{s, fs} {
		l, err := loyalty.Open(st, rules)
		if err != nil {
			t.Fatal(err)
		}
		events := []loyalty.Record{
			{Kind: loyalty.KindEarn, Key: "e1", At: day(1), Member: 1, Order: "O1", Amount: 15000},
			{Kind: loyalty.KindEarn, Key: "e2", At: day(2), Member: 1, Order: "O2", Amount: 5000},
			{Kind: loyalty.KindSpend, Key: "s1", At: day(3), Member: 1, Points: 120},
			{Kind: loyalty.KindRefund, Key: "r1", At: day(4), Order: "O1"},
			{Kind: loyalty.KindBonus, Key: "b1", At: day(5), Member: 1, Points: 10, Reason: "x"},
		}
		if err := l.Apply(ctx, events...); err != nil {
			t.Fatal(err)
		}
		again, err := loyalty.Open(st, rules)
		if err != nil {
			t.Fatal(err)
		}
		states = append(states, stateOf(again, day))
	}
	if states[0] != states[1] {
		t.Fatalf("PostgreSQL replay:\n%s\nfile replay:\n%s", states[0], states[1])
	}
}

func stateOf(l *loyalty.Ledger, day func(int) time.Time) string {
	var out string
	for _, d := range []int{1, 3, 4, 5, 31} {
		out += fmt.Sprintf("%d %+v %+v\n", d, l.Tier(day(d), 1), l.Balance(day(d), 1))
	}
	return out
}
