package pgstore

import (
	"context"
	"strconv"
	"sync"
	"testing"

	"github.com/clientele-go/clientele/identity"
	"github.com/clientele-go/clientele/internal/pg/pgtest"
	"github.com/google/go-cmp/cmp"
)

// TestLinkBatchShared: one writer bulk-loads events with LinkBatch (groups of a few
// hundred, each led once and flushed in one INSERT) while another links single events
// from two callers. Every event is in the log once; the batch returns a profile per
// event, each the one a fresh replica gives the event's identifiers right after its
// position; and every replica answers as one resolver fed the log's order.
func TestLinkBatchShared(t *testing.T) {
	const batch, single = 1300, 300
	pool := pgtest.Pool(t)
	schema := pgtest.Schema(t, pool)
	ctx := context.Background()
	sa := open(t, pgtest.Pool(t), schema)
	a := resolver(t, sa)
	b := resolver(t, open(t, pgtest.Pool(t), schema))
	evs := make([]identity.Event, batch)
	for i := range evs {
		evs[i] = identity.Event{At: eventAt(i), Source: "w0", IDs: event(i)}
	}
	var wg sync.WaitGroup
	for c := range 2 {
		wg.Go(func() {
			for i := batch + c; i < batch+single; i += 2 {
				if err := link(ctx, b, 1, i); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	flushes := sa.log.Flushes()
	dst, err := a.LinkBatch(ctx, nil, evs)
	if err != nil {
		t.Fatal(err)
	}
	flushes = sa.log.Flushes() - flushes
	wg.Wait()
	if len(dst) != batch {
		t.Fatalf("LinkBatch returned %d profiles for %d events", len(dst), batch)
	}
	if flushes > batch/100 {
		t.Fatalf("LinkBatch flushed %d times for %d events: not grouped", flushes, batch)
	}
	const n = batch + single
	for _, r := range []*identity.Resolver{a, b} {
		if _, err := r.CatchUp(ctx); err != nil {
			t.Fatal(err)
		}
	}
	want := reference(t, a, n)
	for w, r := range []*identity.Resolver{a, b} {
		if diff := cmp.Diff(want, answers(r, n)); diff != "" {
			t.Fatalf("writer %d differs from one resolver fed the log's order (-single +writer):\n%s", w, diff)
		}
	}
	// The profile LinkBatch returned for event i is the one a resolver fed the log's
	// links in order returns for it.
	single1, err := identity.New(identity.DefaultRules())
	if err != nil {
		t.Fatal(err)
	}
	for e := range a.History() {
		if e.Op != identity.OpLink {
			continue
		}
		i := int(e.At.Sub(base) / 1e9)
		p, err := single1.Link(ctx, e.At, e.Source, event(i)...)
		if err != nil {
			t.Fatal(err)
		}
		if i < batch && dst[i] != p {
			t.Fatalf("event %d: LinkBatch returned profile %d, the log's order gives %d", i, dst[i], p)
		}
	}
	t.Logf("%d events in %d flushes (%s per flush)", batch, flushes, strconv.FormatFloat(float64(batch)/float64(max(flushes, 1)), 'f', 0, 64))
}
