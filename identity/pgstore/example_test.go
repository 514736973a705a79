package pgstore_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
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

// Open checks the schema name before it touches the database. PostgreSQL keeps the
// first 63 bytes of a name and silently drops the rest, so two longer names that share
// them would share one log under two different locks; Open refuses such a name with
// identity.ErrInvalid instead. (This runs without a server: the pool connects lazily and
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
	fmt.Println(errors.Is(err, identity.ErrInvalid))
	fmt.Println(err)
	// Output:
	// true
	// identity: invalid input: identity/pgstore: open: schema name "tenanttenanttenantte"... is 66 bytes; PostgreSQL keeps 63 and truncates the rest
}
