package pgtest_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/clientele-go/clientele/internal/pg/pgtest"
	"github.com/jackc/pgx/v5/pgxpool"
)

// TestCancelRequestPoolDropsCancelledConnections: a connection of CancelRequestPool that
// sent a cancel request is not used again (a late cancel could end its next statement),
// and one that did not is.
func TestCancelRequestPoolDropsCancelledConnections(t *testing.T) {
	pool := pgtest.CancelRequestPool(t)
	ctx := context.Background()
	pid := func(p *pgxpool.Pool) int32 {
		t.Helper()
		var id int32
		if err := p.QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&id); err != nil {
			t.Fatal(err)
		}
		return id
	}
	first := pid(pool)
	if again := pid(pool); again != first {
		t.Fatalf("an idle connection was not reused: backend %d, then %d", first, again)
	}
	short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	_, err := pool.Exec(short, "SELECT pg_sleep(30)")
	if err == nil || !errors.Is(short.Err(), context.DeadlineExceeded) {
		t.Fatalf("a statement past its context: %v (context: %v); want it ended", err, short.Err())
	}
	if next := pid(pool); next == first {
		t.Fatalf("backend %d, which was sent a cancel request, served the next statement", first)
	}
}
