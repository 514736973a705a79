package pgstore_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/clientele-go/clientele/segment"
	"github.com/clientele-go/clientele/segment/pgstore"
	"github.com/jackc/pgx/v5/pgxpool"
)

// One replica writes a snapshot of its index; another, started later, loads it from
// the same schema and answers the same query without replaying the events it holds.
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
	x, err := segment.NewIndex()
	if err != nil {
		fmt.Println(err)
		return
	}
	at := time.Date(2026, 3, 5, 12, 0, 0, 0, time.UTC)
	x.Record(at, 1, "visit")
	x.Record(at.Add(time.Hour), 1, "visit")
	if err := x.SaveTo(s, "index"); err != nil {
		fmt.Println(err)
		return
	}
	y, err := segment.Load(s, "index")
	if err != nil {
		fmt.Println(err)
		return
	}
	users, err := y.Eval(ctx, at.Add(24*time.Hour), segment.Must("count(visit, 30d) >= 2"), nil)
	fmt.Println(users, err)
}

// Open checks the schema name before it touches the database. PostgreSQL keeps the
// first 63 bytes of a name and silently drops the rest, so two longer names that share
// them would share one table; Open refuses such a name with segment.ErrInvalid
// instead. (This runs without a server: the pool connects lazily and Open returns
// before its first query.)
func ExampleOpen_schemaName() {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, "postgres://127.0.0.1/shop")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer pool.Close()
	_, err = pgstore.Open(ctx, pool, &pgstore.Options{Schema: strings.Repeat("tenant", 11)})
	fmt.Println(errors.Is(err, segment.ErrInvalid))
	fmt.Println(err)
	// Output:
	// true
	// segment: invalid input: segment/pgstore: open: schema name "tenanttenanttenantte"... is 66 bytes; PostgreSQL keeps 63 and truncates the rest
}

// A replica that follows other writers remembers the version of each blob it holds:
// those it read (Versions) and those it wrote (PutVersion). A later Versions tells it
// a blob another replica replaced (a new Write), or deleted and put again (a new
// Incarnation), since. (Not run: it needs a server.)
func ExampleStore_PutVersion() {
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
	mine, err := s.PutVersion("saved.buyers", []byte(`did(purchase, 30d)`))
	if err != nil {
		fmt.Println(err)
		return
	}
	// ... later:
	now, err := s.Versions("saved.")
	if err != nil {
		fmt.Println(err)
		return
	}
	switch v, ok := now["saved.buyers"]; {
	case !ok:
		fmt.Println("deleted since")
	case v.Incarnation != mine.Incarnation:
		fmt.Println("deleted and put again since: a new blob")
	case v.Write != mine.Write:
		fmt.Println("replaced since")
	default:
		fmt.Println("as written")
	}
}
