package segment

import (
	"context"
	"io"
	"sync"
	"testing"
	"time"
)

// TestConcurrentUse runs writers, queries, refreshes and snapshots at once; with -race
// it checks the locking, and at the end that no Record was lost.
func TestConcurrentUse(t *testing.T) {
	x := mustIndex(WithEvents("visit"), WithTraits("plan"), WithNumber("spend", MergeSum))
	if err := x.Save("active", mustParse(t, "days(visit, 7d) >= 1 AND NOT plan:free")); err != nil {
		t.Fatal(err)
	}
	now := date(2026, 7, 1, 12, 0)
	const writers, perWriter = 4, 2000
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWriter {
				p := uint32(w*perWriter + i)
				x.Record(now.Add(-time.Duration(i%5)*24*time.Hour), p%500, "visit")
				switch i % 50 {
				case 0:
					x.Tag("plan:free", p%500)
				case 1:
					x.SetNumber("spend", p%500, int64(i))
				case 2:
					x.RecordBatch([]Activity{{Event: "visit", Profile: p % 500, At: now}})
				}
			}
		}()
	}
	q := mustParse(t, "count(visit, 7d) >= 3 AND spend >= 0 OR plan:free")
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 30 {
				if _, err := x.Eval(context.Background(), now, q, nil); err != nil {
					t.Error(err)
				}
				if _, err := x.Count(context.Background(), now, q, nil); err != nil {
					t.Error(err)
				}
				if _, err := x.Refresh(now); err != nil {
					t.Error(err)
				}
				if _, err := x.WriteTo(io.Discard); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	n, err := x.Count(context.Background(), now, mustParse(t, "count(visit, 7d) >= 0"), nil)
	if err != nil || n != 500 {
		t.Fatalf("profiles = %d, %v; want 500", n, err)
	}
	// Every event is on one of the five days: count them all.
	var total int64
	x.rlock()
	for _, d := range x.events["visit"].days {
		total += int64(d.present.GetCardinality())
		if d.extra != nil {
			d.extra.exist.Iterate(func(p uint32) bool {
				v, _ := d.extra.get(p)
				total += v
				return true
			})
		}
	}
	x.mu.RUnlock()
	if want := int64(writers*perWriter + writers*perWriter/50); total != want {
		t.Fatalf("events counted = %d, want %d", total, want)
	}
}
