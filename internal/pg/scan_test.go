package pg_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/clientele-go/clientele/internal/benchsize"
	"github.com/clientele-go/clientele/internal/pg"
	"github.com/clientele-go/clientele/internal/pg/pgtest"
	"github.com/jackc/pgx/v5/pgxpool"
)

var errClosed, errDiverged = errors.New("closed"), errors.New("diverged")

// fill makes a log of n records in a fresh schema: record i is "rec-i" padded to 48
// bytes, about what an identity link record weighs.
func fill(t testing.TB, n int) (*pgxpool.Pool, string, *pg.Log) {
	pool := pgtest.Pool(t)
	schema := pgtest.Schema(t, pool)
	ctx := context.Background()
	if err := pg.Migrate(ctx, pool, schema, "test", []string{`CREATE TABLE %[1]s.log (pos bigint PRIMARY KEY, rec bytea NOT NULL)`}); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, "INSERT INTO "+pg.Ident(schema)+".log SELECT g, convert_to(rpad('rec-' || g, 48, '.'), 'UTF8') FROM generate_series(0, $1::bigint - 1) AS g", n); err != nil {
		t.Fatal(err)
	}
	return pool, schema, pg.NewLog(pool, schema, "log", pg.Errors{Prefix: "test", Closed: errClosed, Diverged: errDiverged})
}

// TestScanInOrderToTheGap: Since yields every record in order across many chunks, from
// any position, stops at the first gap, and a caller that stops early stops the read.
func TestScanInOrderToTheGap(t *testing.T) {
	const n = 20_000
	pool, schema, l := fill(t, n)
	check := func(from, to int) {
		t.Helper()
		i := from
		for r, err := range l.Since(uint64(from)) {
			if err != nil {
				t.Fatal(err)
			}
			if got, w := string(r), padded(i); got != w {
				t.Fatalf("record %d: %q, want %q", i, got, w)
			}
			i++
		}
		if i != to {
			t.Fatalf("from %d: stopped at %d, want %d", from, i, to)
		}
	}
	check(0, n)
	check(n-5, n)
	check(n, n)
	if _, err := pool.Exec(context.Background(), "DELETE FROM "+pg.Ident(schema)+".log WHERE pos = 12345"); err != nil {
		t.Fatal(err)
	}
	check(0, 12345)
	check(12346, n)
	k := 0
	for range l.Records() {
		if k++; k == 3 {
			break
		}
	}
	check(0, 12345) // the early stop left the store usable
}

func padded(i int) string {
	s := fmt.Sprint("rec-", i)
	for len(s) < 48 {
		s += "."
	}
	return s
}

// BenchmarkScan reads a log of 200,000 records (5,000 under -short, CI's benchmark
// smoke); the naive baseline is one query whose rows are scanned into a fresh slice
// each, on the caller's goroutine.
func BenchmarkScan(b *testing.B) {
	n := benchsize.Of(200_000, 5_000)
	pool, schema, l := fill(b, n)
	b.Run("Records", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			k := 0
			for r, err := range l.Records() {
				if err != nil {
					b.Fatal(err)
				}
				k += len(r)
			}
		}
		b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "records/s")
	})
	b.Run("naive", func(b *testing.B) {
		b.ReportAllocs()
		ctx := context.Background()
		for range b.N {
			rows, err := pool.Query(ctx, "SELECT pos, rec FROM "+pg.Ident(schema)+".log WHERE pos >= $1 ORDER BY pos", 0)
			if err != nil {
				b.Fatal(err)
			}
			k := 0
			for rows.Next() {
				var pos int64
				var r []byte
				if err := rows.Scan(&pos, &r); err != nil {
					b.Fatal(err)
				}
				k += len(r)
			}
			rows.Close()
		}
		b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "records/s")
	})
}
