package segment

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"
)

// TestRefreshReportsSetDifferences checks that each Refresh reports, per segment,
// exactly the difference between the model's evaluation at this refresh and at the
// previous one, as data changes and the clock moves. Profiles are also merged, whose
// absorbed ones exit on the next Refresh, and forgotten, which leave Members at once
// and are never reported: the model's previous members lose them when Forget returns.
func TestRefreshReportsSetDifferences(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		x, m := scenario(t)
		var segs []string
		for i := range rapid.IntRange(1, 3).Draw(t, "segments") {
			name := fmt.Sprintf("s%d", i)
			n := genQuery(t, 2, false, segs)
			if err := x.Save(name, &Query{root: n}); err != nil {
				t.Fatal(err)
			}
			m.saved[name] = n
			segs = append(segs, name)
		}
		prev := map[string]pset{}
		today := genToday - 3
		for round := range 4 {
			if round > 0 {
				// Move data and time a little.
				for range rapid.IntRange(0, 5).Draw(t, "changes") {
					p := genProfile().Draw(t, "p")
					switch rapid.IntRange(0, 5).Draw(t, "change") {
					case 0, 1:
						x.Tag("plan:pro", p)
						m.tag("plan:pro", p)
					case 2, 3:
						d := genDay().Draw(t, "day")
						x.Record(dayStart(d), p, "visit")
						m.record("visit", p, d)
					case 4:
						abs := rapid.SliceOfN(genProfile(), 1, 2).Draw(t, "absorbed")
						x.applyMerge(p, abs...)
						m.merge(p, abs...)
					default:
						if p == 0 {
							continue
						}
						if err := x.Forget(p); err != nil {
							t.Fatal(err)
						}
						m.forget(p)
						for _, s := range segs {
							delete(prev[s], p)
							if got, _ := x.Members(s); !slices.Equal(got.ToArray(), sortedKeys(prev[s])) {
								t.Fatalf("round %d: after Forget(%d), Members(%s) = %v, want %v", round, p, s, got, sortedKeys(prev[s]))
							}
						}
					}
				}
				today += rapid.Int32Range(0, 3).Draw(t, "days pass")
			}
			changes, err := x.Refresh(dayStart(today).Add(17 * time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]Change{}
			for _, c := range changes {
				got[c.Segment] = c
			}
			for _, s := range segs {
				now := m.eval(m.saved[s], today)
				entered, exited := diff(now, prev[s]), diff(prev[s], now)
				c, reported := got[s]
				if len(entered)+len(exited) == 0 {
					if reported {
						t.Fatalf("round %d: %s reported without a change: %+v", round, s, c)
					}
					continue
				}
				if !reported {
					t.Fatalf("round %d: change of %s not reported (entered %v, exited %v)", round, s, entered, exited)
				}
				if d := cmp.Diff(entered, c.Entered.ToArray()); d != "" {
					t.Fatalf("round %d: %s entered (-want +got):\n%s", round, s, d)
				}
				if d := cmp.Diff(exited, c.Exited.ToArray()); d != "" {
					t.Fatalf("round %d: %s exited (-want +got):\n%s", round, s, d)
				}
				if c.Size != uint64(len(now)) {
					t.Fatalf("round %d: %s size %d, want %d", round, s, c.Size, len(now))
				}
				prev[s] = now
			}
		}
	})
}

// diff returns a \ b, sorted.
func diff(a, b pset) []uint32 {
	out := pset{}
	for p := range a {
		if !b[p] {
			out[p] = true
		}
	}
	return sortedKeys(out)
}

func TestSegmentsLifecycle(t *testing.T) {
	x := mustIndex()
	x.Tag("plan:pro", 1, 2)
	x.Tag("plan:free", 3)
	if err := x.Save("pro", mustParse(t, "plan:pro")); err != nil {
		t.Fatal(err)
	}
	if err := x.Save("paying pro", mustParse(t, `segment:pro AND NOT plan:free`)); err != nil {
		t.Fatal(err)
	}
	if err := x.Delete("pro"); !errors.Is(err, ErrInUse) {
		t.Fatalf("deleting a referenced segment: %v", err)
	}
	if err := x.Delete("nosuch"); !errors.Is(err, ErrUnknownSegment) {
		t.Fatalf("deleting a missing segment: %v", err)
	}
	for _, bad := range []string{"", string([]byte{0xff})} {
		if err := x.Save(bad, mustParse(t, "plan:pro")); !errors.Is(err, ErrInvalid) {
			t.Errorf("Save(%q): %v", bad, err)
		}
	}
	if err := x.Save("x", nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("Save of a nil query: %v", err)
	}
	now := date(2026, 5, 1, 0, 0)
	changes, err := x.Refresh(now)
	if err != nil || len(changes) != 2 {
		t.Fatalf("first refresh: %v, %v", changes, err)
	}
	// Redefine: the next Refresh reports what the new definition changes.
	if err := x.Save("pro", mustParse(t, "plan:pro OR plan:free")); err != nil {
		t.Fatal(err)
	}
	changes, _ = x.Refresh(now)
	if len(changes) != 1 || changes[0].Segment != "pro" || !changes[0].Entered.Equals(roaring.BitmapOf(3)) {
		t.Fatalf("after redefinition: %+v", changes)
	}
	if m, ok := x.Members("pro"); !ok || m.GetCardinality() != 3 {
		t.Fatalf("Members(pro) = %v, %v", m, ok)
	}
	// A merge exits the absorbed profile.
	x.ApplyMerge(1, 2)
	changes, _ = x.Refresh(now)
	for _, c := range changes {
		if !c.Exited.Equals(roaring.BitmapOf(2)) || !c.Entered.IsEmpty() {
			t.Fatalf("after merge: %s entered %v exited %v", c.Segment, c.Entered, c.Exited)
		}
	}
	if err := x.Delete("paying pro"); err != nil {
		t.Fatal(err)
	}
	if got := x.Segments(); !cmp.Equal(got, []string{"pro"}) {
		t.Fatalf("Segments() = %v", got)
	}
}

func TestRefreshErrorChangesNothing(t *testing.T) {
	x := mustIndex(WithRetention(10))
	x.Record(date(2026, 5, 1, 0, 0), 1, "visit")
	if err := x.Save("recent", mustParse(t, "did(visit, 10d)")); err != nil {
		t.Fatal(err)
	}
	if _, err := x.Refresh(date(2026, 5, 1, 0, 0)); err != nil {
		t.Fatal(err)
	}
	x.Expire(date(2026, 5, 20, 0, 0))
	// Going back in time puts the window before the retained days.
	if _, err := x.Refresh(date(2026, 5, 5, 0, 0)); !errors.Is(err, ErrRetention) {
		t.Fatalf("refresh before the horizon: %v", err)
	}
	if m, _ := x.Members("recent"); !m.Equals(roaring.BitmapOf(1)) {
		t.Fatalf("a failed refresh changed members: %v", m)
	}
}

// fakeClock is a clock the test moves by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// TestWatch runs Watch in a synctest bubble: changes arrive as data changes, and
// time-based conditions expire as the clock's day moves, with no new events.
func TestWatch(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		x := mustIndex()
		start := date(2026, 6, 1, 9, 0)
		clock := &fakeClock{t: start}
		x.Record(start, 1, "visit")
		if err := x.Save("active", mustParse(t, "did(visit, 2d)")); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		got := make(chan string, 16)
		done := make(chan struct{})
		go func() {
			defer close(done)
			for c, err := range x.Watch(ctx, clock, time.Minute) {
				if err != nil {
					got <- "error " + err.Error()
					continue
				}
				got <- fmt.Sprintf("%s +%v -%v", c.Segment, c.Entered.ToArray(), c.Exited.ToArray())
			}
		}()
		expect := func(want string) {
			t.Helper()
			synctest.Wait()
			select {
			case g := <-got:
				if g != want {
					t.Fatalf("got %q, want %q", g, want)
				}
			default:
				t.Fatalf("no change, want %q", want)
			}
		}
		expectNothing := func() {
			t.Helper()
			synctest.Wait()
			select {
			case g := <-got:
				t.Fatalf("unexpected change %q", g)
			default:
			}
		}
		expect("active +[1] -[]")
		time.Sleep(time.Minute) // nothing changed: no report
		expectNothing()
		x.Record(start, 2, "visit")
		time.Sleep(time.Minute)
		expect("active +[2] -[]")
		clock.set(start.Add(36 * time.Hour)) // the next day: still within 2 days
		time.Sleep(time.Minute)
		expectNothing()
		clock.set(start.Add(48 * time.Hour)) // two days on: the visits age out
		time.Sleep(time.Minute)
		expect("active +[] -[1 2]")
		cancel()
		<-done
	})
}

// TestRefreshCommitsRedefinedSegment redefines a segment in the gap between a
// Refresh's evaluation and its commit. The change that Refresh returns is what the
// consumer now believes, so Members must match it and the next Refresh must not report
// the same profiles entering again.
func TestRefreshCommitsRedefinedSegment(t *testing.T) {
	x := mustIndex()
	now := date(2026, 3, 1, 12, 0)
	x.Tag("a", 1, 2)
	x.Tag("b", 2, 3)
	if err := x.Save("s", mustParse(t, "tag:a")); err != nil {
		t.Fatal(err)
	}
	refreshGapHook = func() {
		if err := x.Save("s", mustParse(t, "tag:b")); err != nil {
			t.Error(err)
		}
	}
	first, err := x.Refresh(now)
	refreshGapHook = nil
	if err != nil {
		t.Fatal(err)
	}
	if len(first) != 1 || !first[0].Entered.Equals(roaring.BitmapOf(1, 2)) {
		t.Fatalf("first refresh: %v", first)
	}
	if m, _ := x.Members("s"); !m.Equals(roaring.BitmapOf(1, 2)) {
		t.Fatalf("Members = %v after a refresh that reported {1,2} entered", m)
	}
	second, err := x.Refresh(now)
	if err != nil {
		t.Fatal(err)
	}
	if len(second) != 1 || !second[0].Entered.Equals(roaring.BitmapOf(3)) || !second[0].Exited.Equals(roaring.BitmapOf(1)) {
		t.Fatalf("second refresh: %+v, want +[3] -[1]", second)
	}
}

// TestReferencesAgreesWithDelete: for random definitions over a few names, Delete
// refuses exactly the segments that another saved definition lists in References, and
// References lists each referenced name once, sorted (a reference model: the names
// drawn into the expression).
func TestReferencesAgreesWithDelete(t *testing.T) {
	names := []string{"a", "b", "c", "d"}
	rapid.Check(t, func(t *rapid.T) {
		x := mustIndex()
		x.Tag("plan:pro", 1)
		// Each segment references only segments saved before it: no cycle.
		want := map[string]map[string]bool{}
		for i, name := range names {
			var draw func(depth int) string
			draw = func(depth int) string {
				switch k := rapid.IntRange(0, 4).Draw(t, "kind"); {
				case k == 0 && i > 0:
					ref := names[rapid.IntRange(0, i-1).Draw(t, "ref")]
					if want[name] == nil {
						want[name] = map[string]bool{}
					}
					want[name][ref] = true
					return "segment:" + ref
				case k == 1 && depth < 3:
					return "(" + draw(depth+1) + " AND " + draw(depth+1) + ")"
				case k == 2 && depth < 3:
					return "(" + draw(depth+1) + " OR " + draw(depth+1) + ")"
				case k == 3 && depth < 3:
					return "NOT " + draw(depth+1)
				}
				return `plan:pro`
			}
			q, err := Parse(draw(0))
			if err != nil {
				t.Fatal(err)
			}
			if got, w := q.References(), slices.Sorted(maps.Keys(want[name])); !slices.Equal(got, w) && len(got)+len(w) > 0 {
				t.Fatalf("%s = %s: References %v, want %v", name, q, got, w)
			}
			if err := x.Save(name, q); err != nil {
				t.Fatal(err)
			}
		}
		for _, name := range names {
			inUse := false
			for other, refs := range want {
				inUse = inUse || (other != name && refs[name])
			}
			y, err := ReadSnapshot(snapshotBytes(t, x))
			if err != nil {
				t.Fatal(err)
			}
			if err := y.Delete(name); errors.Is(err, ErrInUse) != inUse {
				t.Fatalf("Delete(%q) with definitions %v: %v, in use %v", name, want, err, inUse)
			}
		}
	})
}

// TestRecreate: Recreate replaces a segment that another references (which Delete
// refuses) with a new one, whose next Refresh reports everyone entering, while the
// referencing segment keeps its members and reports nothing; a refused query (a cycle,
// bad input) changes nothing; without a segment of the name it is Save; and a
// Recreate in the gap of a Refresh is not given the members that Refresh evaluated for
// the segment it replaced.
func TestRecreate(t *testing.T) {
	now := date(2026, 3, 1, 12, 0)
	x := mustIndex()
	x.Tag("a", 1, 2)
	x.Tag("b", 2, 3)
	for _, s := range [][2]string{{"s", "tag:a"}, {"r", "segment:s"}} {
		if err := x.Save(s[0], mustParse(t, s[1])); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := x.Refresh(now); err != nil {
		t.Fatal(err)
	}
	if err := x.Delete("s"); !errors.Is(err, ErrInUse) {
		t.Fatalf("Delete of a referenced segment: %v", err)
	}
	for _, c := range []struct {
		name, q string
		want    error
	}{
		{"s", "segment:r", ErrCycle},
		{"s", "segment:s", ErrCycle},
		{"", "tag:a", ErrInvalid},
		{"s", "", ErrInvalid},
	} {
		var q *Query
		if c.q != "" {
			q = mustParse(t, c.q)
		}
		err := x.Recreate(c.name, q)
		if !errors.Is(err, c.want) || (c.want == ErrInvalid && !strings.Contains(err.Error(), "recreate")) {
			t.Errorf("Recreate(%q, %q) = %v, want %v", c.name, c.q, err, c.want)
		}
	}
	if m, _ := x.Members("s"); !m.Equals(roaring.BitmapOf(1, 2)) {
		t.Fatalf("members of s after refused Recreates: %v, want kept", m)
	}
	if err := x.Recreate("s", mustParse(t, "tag:b")); err != nil {
		t.Fatal(err)
	}
	if q, _ := x.Definition("r"); q.String() != "segment:s" {
		t.Fatalf("r = %s after s was recreated", q)
	}
	changes, err := x.Refresh(now)
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprint(changes)
	if len(changes) != 2 || changes[0].Segment != "r" || !changes[0].Entered.Equals(roaring.BitmapOf(3)) || !changes[0].Exited.Equals(roaring.BitmapOf(1)) ||
		changes[1].Segment != "s" || !changes[1].Entered.Equals(roaring.BitmapOf(2, 3)) || !changes[1].Exited.IsEmpty() {
		t.Fatalf("after s was recreated as tag:b: %s; want r +[3] -[1] (kept its members), s +[2 3] (new)", got)
	}
	if err := x.Recreate("n", mustParse(t, "tag:a")); err != nil {
		t.Fatal(err)
	}
	if changes, _ := x.Refresh(now); len(changes) != 1 || changes[0].Segment != "n" || !changes[0].Entered.Equals(roaring.BitmapOf(1, 2)) {
		t.Fatalf("Recreate of a new name: %v, want n +[1 2]", changes)
	}
	refreshGapHook = func() {
		if err := x.Recreate("n", mustParse(t, "tag:a")); err != nil {
			t.Error(err)
		}
	}
	x.Tag("a", 4)
	gap, err := x.Refresh(now)
	refreshGapHook = nil
	if err != nil || len(gap) != 1 || !gap[0].Entered.Equals(roaring.BitmapOf(4)) {
		t.Fatalf("refresh with a Recreate in its gap: %v, %v", gap, err)
	}
	if changes, _ := x.Refresh(now); len(changes) != 1 || changes[0].Segment != "n" || !changes[0].Entered.Equals(roaring.BitmapOf(1, 2, 4)) {
		t.Fatalf("after a Recreate in a refresh's gap: %v, want n +[1 2 4] (a new segment)", changes)
	}
}
