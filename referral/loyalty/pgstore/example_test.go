package pgstore_test

import (
	"context"
	"fmt"
	"os"
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
