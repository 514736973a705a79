package pgstore_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/clientele-go/clientele/referral"
	"github.com/clientele-go/clientele/referral/pgstore"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Each replica of a service opens its own programme on one schema and follows the
// ledger: an order webhook delivered to two replicas pays its rewards once, and a
// balance read on any replica after CatchUp counts every event acknowledged before.
// (Not run: it needs a server.)
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
	p, err := referral.Open(s, referral.Rules{ReferrerReward: 1000, ReferredReward: 500})
	if err != nil {
		fmt.Println(err)
		return
	}
	go s.Follow(ctx, p, nil)
	at := time.Date(2026, 3, 5, 12, 0, 0, 0, time.UTC)
	err = p.Order(context.Background(), at, "order:A-1", 2, "A-1", 4900)
	fmt.Println(err, p.Position(), p.Balance(at, 1))
}
