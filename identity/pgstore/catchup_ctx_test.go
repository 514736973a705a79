package pgstore

import (
	"context"
	"errors"
	"iter"
	"testing"
	"time"

	"github.com/clientele-go/clientele/identity"
	"github.com/clientele-go/clientele/internal/pg/pgtest"
	"github.com/clientele-go/clientele/internal/sharedlog/sharedlogtest"
	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5/pgxpool"
)

// cancelling is a SharedStore whose Since calls cancel just before it yields its
// after-th record: a host's deadline that expires while CatchUp applies a long tail.
type cancelling struct {
	identity.SharedStore
	after  int
	cancel func()
}

func (c *cancelling) Since(pos uint64) iter.Seq2[[]byte, error] {
	return sharedlogtest.CancelAfter(c.SharedStore.Since(pos), c.after, c.cancel)
}

// TestCatchUpCancelledClosesRows: a CatchUp cancelled part-way stops reading its
// query's rows, and the rows are closed: the connection goes back to the pool (more
// cancelled CatchUps than the pool has connections, each waited for), and a CatchUp
// with a live ctx then reads on from where the last one stopped to the graph the
// writer holds. The tail is longer than a scan reads ahead of its caller (chunks of
// chunkRows), so that each cancel finds the query still sending rows.
func TestCatchUpCancelledClosesRows(t *testing.T) {
	const events = 30000
	pool := pgtest.Pool(t)
	schema := pgtest.Schema(t, pool)
	ctx := context.Background()
	writer := resolver(t, open(t, pool, schema))
	store := &cancelling{SharedStore: open(t, pool, schema), after: 10, cancel: func() {}}
	reader := resolver(t, store)
	evs := make([]identity.Event, events)
	for i := range evs {
		evs[i] = identity.Event{At: eventAt(i), Source: "w0", IDs: event(i)}
	}
	if _, err := writer.LinkBatch(ctx, nil, evs); err != nil {
		t.Fatal(err)
	}
	end := writer.Position()
	for i := range 2 * int(pool.Config().MaxConns) {
		cctx, cancel := context.WithCancel(ctx)
		store.cancel = cancel
		from := reader.Position()
		pos, err := reader.CatchUp(cctx)
		cancel()
		if !errors.Is(err, context.Canceled) || pos <= from || pos >= end {
			t.Fatalf("CatchUp %d cancelled after 10 records from %d: %d, %v; want context.Canceled before %d", i, from, pos, err, end)
		}
		waitReleased(t, pool)
	}
	store.cancel = func() {}
	if pos, err := reader.CatchUp(ctx); err != nil || pos != end {
		t.Fatalf("CatchUp after the cancelled ones: %d, %v; want %d, nil", pos, err, end)
	}
	if want, got := answers(writer, events), answers(reader, events); want != got {
		t.Fatalf("a reader whose CatchUps were cancelled differs from the writer (-writer +reader):\n%s", cmp.Diff(want, got))
	}
}

// waitReleased waits until no connection of pool is in use: the rows of a scan are
// closed by its reading goroutine, which may still be at it when the scan returns.
func waitReleased(t *testing.T, pool *pgxpool.Pool) {
	t.Helper()
	for range 3000 {
		if pool.Stat().AcquiredConns() == 0 {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("%d connections still in use half a minute after a cancelled CatchUp: its rows were never closed", pool.Stat().AcquiredConns())
}
