package pgstore_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
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

// A server ends a request's store calls with the request: the handler hands segment the
// copy of the Store that runs under the request's context, so that a client that
// leaves, or a deadline the server sets, stops a snapshot's write or read still
// waiting for PostgreSQL, rather than leaving it to Options.Timeout. The copy is a
// segment.Store like the Store, and its error wraps the context's. (Not run: it needs
// a server.)
func ExampleStore_WithContext() {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, os.Getenv("CLIENTELE_POSTGRES"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer pool.Close()
	s, err := pgstore.Open(ctx, pool, &pgstore.Options{Schema: "shop", Timeout: 30 * time.Second})
	if err != nil {
		fmt.Println(err)
		return
	}
	x, err := segment.NewIndex()
	if err != nil {
		fmt.Println(err)
		return
	}
	save := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := x.SaveTo(s.WithContext(r.Context()), "index")
		switch {
		case errors.Is(err, context.Canceled):
			// The client left: nobody reads the answer. The snapshot may or may not
			// have been written; the next save writes it again.
		case err != nil:
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
		default:
			fmt.Fprintln(w, "saved")
		}
	})
	http.Handle("POST /snapshot", save)
}
