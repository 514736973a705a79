package segment

import (
	"context"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
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

// TestForgetConcurrentWithRefresh forgets profiles while other goroutines refresh: no
// Refresh that began after a Forget returned names a profile it erased, whatever the
// interleaving (the profiles are never written again), and at the end no member is a
// forgotten one. With -race it checks the hand-off between a Refresh's evaluation and
// its commit.
func TestForgetConcurrentWithRefresh(t *testing.T) {
	x := mustIndex(WithTraits("plan"), WithEvents("visit"))
	for _, s := range []string{"pro", "visitors"} {
		q := map[string]string{"pro": "plan:pro", "visitors": "did(visit, 7d) AND NOT plan:free"}[s]
		if err := x.Save(s, mustParse(t, q)); err != nil {
			t.Fatal(err)
		}
	}
	now := date(2026, 7, 1, 12, 0)
	var (
		mu     sync.Mutex
		erased = roaring.New()
		wg     sync.WaitGroup
	)
	const profiles = 3000
	wg.Add(1)
	go func() {
		defer wg.Done()
		for p := uint32(1); p <= profiles; p++ {
			x.Tag("plan:pro", p)
			x.Record(now, p, "visit")
			if p%3 == 0 {
				if err := x.Forget(p-1, p-2); err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				erased.AddMany([]uint32{p - 1, p - 2})
				mu.Unlock()
			}
		}
	}()
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 200 {
				mu.Lock()
				before := erased.Clone()
				mu.Unlock()
				changes, err := x.Refresh(now)
				if err != nil {
					t.Error(err)
					return
				}
				for _, c := range changes {
					if c.Entered.Intersects(before) || c.Exited.Intersects(before) {
						t.Errorf("%s: a Refresh after Forget names erased profiles: entered %v, exited %v",
							c.Segment, roaring.And(c.Entered, before), roaring.And(c.Exited, before))
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	if _, err := x.Refresh(now); err != nil {
		t.Fatal(err)
	}
	for _, s := range x.Segments() {
		if m, _ := x.Members(s); m.Intersects(erased) || m.GetCardinality() != profiles/3 {
			t.Errorf("Members(%s) holds %d profiles, %d of them erased; want %d, none erased",
				s, m.GetCardinality(), roaring.And(m, erased).GetCardinality(), profiles/3)
		}
	}
}
