package pgstore_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/clientele-go/clientele/identity"
	"github.com/clientele-go/clientele/identity/pgstore"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Each replica of a service opens its own resolver on one schema and follows the log;
// a link on one is seen by the others within a round trip of its commit, and at once by
// a caller that catches up first. (Not run: it needs a server.)
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
	r, err := identity.New(identity.DefaultRules(), identity.WithStore(s))
	if err != nil {
		fmt.Println(err)
		return
	}
	go s.Follow(ctx, r, nil)
	p, err := r.Link(ctx, time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC), "web", identity.ID{Kind: "email", Value: "ann@example.com"})
	fmt.Println(p, err, r.Position())
}
