package pgstore_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/clientele-go/clientele/referral/loyalty"
	"github.com/clientele-go/clientele/referral/loyalty/pgstore"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Each replica of a service opens its own ledger on one schema and follows the log: an
// order webhook delivered to two replicas earns its points once, a spend is checked
// against the points spent on every replica, and a balance read on any replica after
// CatchUp counts every event acknowledged before. Each event is committed before the
// call returns. (Not run: it needs a server.)
func ExampleOpen() {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, os.Getenv("CLIENTELE_POSTGRES"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer pool.Close()
	s, err := pgstore.Open(ctx, pool, &pgstore.Options{Schema: "shop"})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()
	l, err := loyalty.Open(s, loyalty.Rules{})
	if err != nil {
		fmt.Println(err)
		return
	}
	go s.Follow(ctx, l, nil)
	at := time.Date(2026, 3, 5, 12, 0, 0, 0, time.UTC)
	rec, err := l.Earn(ctx, at, "order:A-1", 2, "A-1", 4900)
	fmt.Println(rec.Points, err, l.Position(), l.Balance(at, 2))
}

// Open checks the schema name before it touches the database. PostgreSQL keeps the
// first 63 bytes of a name and silently drops the rest, so two longer names that share
// them would share one log under two different locks; Open refuses such a name with
// loyalty.ErrInvalid instead. (This runs without a server: the pool connects lazily and
// Open returns before its first query.)
func ExampleOpen_schemaName() {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, "postgres://127.0.0.1/shop")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer pool.Close()
	_, err = pgstore.Open(ctx, pool, &pgstore.Options{Schema: strings.Repeat("tenant", 11)})
	fmt.Println(errors.Is(err, loyalty.ErrInvalid))
	fmt.Println(err)
	// Output:
	// true
	// loyalty: invalid input: loyalty/pgstore: open: schema name "tenanttenanttenantte"... is 66 bytes; PostgreSQL keeps 63 and truncates the rest
}
