package segment

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"
	"pgregory.net/rapid"
)

// forgetProbes are queries of every kind (trait, NOT, number, did, first, lapsed,
// count, days), none longer than the retention the tests use.
func forgetProbes() []string {
	var qs []string
	for _, k := range genKeys {
		for _, v := range genValues {
			qs = append(qs, quoteName(k)+":"+quoteName(v), "NOT "+quoteName(k)+":"+quoteName(v))
		}
	}
	for _, f := range genFields {
		qs = append(qs, fmt.Sprintf("%s BETWEEN %d AND %d", quoteName(f), int64(math.MinInt64), int64(math.MaxInt64)))
	}
	for _, e := range genEvents {
		e = quoteName(e)
		qs = append(qs, "did("+e+")", "did("+e+", 10d)", "first("+e+", 10d)", "lapsed("+e+", 3d)",
			"count("+e+", 10d) >= 1", "days("+e+", 10d) >= 1")
	}
	return qs
}

// TestForgetLeavesNoTrace checks that after Forget no query of any kind, no number, no
// breakdown, no Profiles and no saved segment's Members finds a forgotten profile, that
// no day of activity is left empty, and that the next Refresh at the same instant
// reports no change at all: the forgotten members left quietly, and no one else's
// membership depends on them. The rest of the index is held against the model by the
// scenario-driven tests, whose scenarios include Forget.
func TestForgetLeavesNoTrace(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var opts []Option
		if rapid.Bool().Draw(t, "retention") {
			opts = append(opts, WithRetention(10)) // Expire steps then fold days into older
		}
		x, _ := scenario(t, opts...)
		probes := forgetProbes()
		for i, q := range probes {
			if err := x.Save(fmt.Sprintf("s%d", i), mustParse(t, q)); err != nil {
				t.Fatal(err)
			}
		}
		now := dayStart(genToday)
		if _, err := x.Refresh(now); err != nil {
			t.Fatal(err)
		}
		before := map[string]*roaring.Bitmap{}
		for _, s := range x.Segments() {
			before[s], _ = x.Members(s)
		}
		gone := rapid.SliceOfN(rapid.Uint32Range(1, 40), 1, 5).Draw(t, "forget")
		if err := x.Forget(gone...); err != nil {
			t.Fatal(err)
		}
		g := roaring.BitmapOf(gone...)
		if x.Profiles().Intersects(g) {
			t.Fatalf("Profiles() = %v still holds some of %v", x.Profiles(), gone)
		}
		for s, old := range before {
			if m, _ := x.Members(s); !m.Equals(roaring.AndNot(old, g)) {
				t.Fatalf("%s: Members() = %v after Forget, want %v", s, m, roaring.AndNot(old, g))
			}
		}
		if err := tidyDays(x); err != nil {
			t.Fatal(err)
		}
		for _, q := range probes {
			got, err := x.Eval(context.Background(), now, mustParse(t, q), nil)
			if err != nil {
				t.Fatal(err)
			}
			if got.Intersects(g) {
				t.Fatalf("%s = %v finds forgotten %v", q, got, roaring.And(got, g))
			}
		}
		for _, f := range genFields {
			for _, p := range gone {
				if v, ok := x.Number(f, p); ok {
					t.Fatalf("Number(%s, %d) = %d after Forget", f, p, v)
				}
			}
		}
		for _, k := range genKeys {
			shares, err := x.Breakdown(g, k)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range shares {
				if !s.None && s.Count != 0 { // None counts the audience holding no value: that is them
					t.Fatalf("Breakdown of forgotten by %s: %+v", k, shares)
				}
			}
		}
		changes, err := x.Refresh(now)
		if err != nil {
			t.Fatal(err)
		}
		if len(changes) > 0 {
			t.Fatalf("the Refresh after Forget reports %+v, want no change", changes)
		}
		for s, old := range before {
			if m, _ := x.Members(s); !m.Equals(roaring.AndNot(old, g)) {
				t.Fatalf("%s: Members() = %v after Refresh, want %v", s, m, roaring.AndNot(old, g))
			}
		}
	})
}

// tidyDays reports a day of activity that holds no one, or a repeat count (extra) that
// is empty or counts a profile not active that day: Forget drops such days, and a day
// is made only for the profiles active on it.
func tidyDays(x *Index) error {
	for name, ev := range x.events {
		for _, d := range ev.days {
			switch {
			case d.present.IsEmpty():
				return fmt.Errorf("event %q: day %d holds no one", name, d.day)
			case d.extra != nil && d.extra.exist.IsEmpty():
				return fmt.Errorf("event %q: day %d: empty repeat counts kept", name, d.day)
			case d.extra != nil && !roaring.AndNot(d.extra.exist, d.present).IsEmpty():
				return fmt.Errorf("event %q: day %d: repeats of absent profiles", name, d.day)
			}
		}
	}
	return nil
}

// TestNoEmptyDays holds every scenario (Record, RecordBatch, ApplyMerge, Expire,
// Forget, mixed at random) to tidyDays: Forget dropped a day's last profile but kept
// the day, which every window over it read from the Budget and every snapshot wrote.
// ApplyMerge never empties a day, since the survivor takes over the absorbed profiles'
// days; the property holds it to that too.
func TestNoEmptyDays(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var opts []Option
		if rapid.Bool().Draw(t, "retention") {
			opts = append(opts, WithRetention(10))
		}
		x, _ := scenario(t, opts...)
		if err := tidyDays(x); err != nil {
			t.Fatal(err)
		}
	})
}

// TestForgetDropsEmptiedDays: a day on which only forgotten profiles were active goes,
// and so do repeat counts only they had; the event stays, so that queries naming it
// still resolve, and the snapshot is the one an index that never saw them writes.
func TestForgetDropsEmptiedDays(t *testing.T) {
	build := func(withAnna bool) *Index {
		x := mustIndex(WithRetention(30))
		x.Record(date(2026, 5, 19, 9, 0), 8, "visit")
		if withAnna {
			x.Record(date(2026, 5, 18, 9, 0), 7, "visit")
			x.Record(date(2026, 5, 18, 10, 0), 7, "visit")
			x.Record(date(2026, 5, 19, 9, 0), 7, "visit")
			x.Record(date(2026, 5, 19, 10, 0), 7, "visit")
			x.Record(date(2026, 5, 19, 10, 0), 7, "purchase")
		}
		x.Tag("plan:pro", 8)
		return x
	}
	x := build(true)
	if err := x.Forget(7); err != nil {
		t.Fatal(err)
	}
	if err := tidyDays(x); err != nil {
		t.Fatal(err)
	}
	if n := len(x.events["visit"].days); n != 1 {
		t.Errorf("visit keeps %d days, want 1", n)
	}
	if n := len(x.events["purchase"].days); n != 0 {
		t.Errorf("purchase keeps %d days, want none", n)
	}
	at := date(2026, 5, 20, 12, 0)
	for _, q := range []string{"did(purchase, 7d)", "count(visit, 7d) >= 2"} {
		if got, err := x.Eval(context.Background(), at, mustParse(t, q), nil); err != nil || !got.IsEmpty() {
			t.Errorf("%s = %v, %v; want no one", q, got, err)
		}
	}
	// The index that never saw profile 7, but knows the event purchase, writes the same.
	y := build(false)
	y.event("purchase")
	if !bytes.Equal(snapshotBytes(t, x), snapshotBytes(t, y)) {
		t.Error("the snapshot after Forget differs from one of an index that never saw the profile")
	}
}

// TestForgetDuringRefresh forgets a profile in the gap between a Refresh's evaluation,
// which found it entering, and the commit: the Refresh under way reports no change
// naming it (its Size counts without it), commits members without it, and the next
// Refresh reports nothing.
func TestForgetDuringRefresh(t *testing.T) {
	x := mustIndex(WithTraits("tag"))
	now := date(2026, 3, 1, 12, 0)
	x.Tag("plan:pro", 1, 2)
	if err := x.Save("pro", mustParse(t, "plan:pro")); err != nil {
		t.Fatal(err)
	}
	if err := x.Save("two", mustParse(t, "plan:pro AND NOT tag:one")); err != nil {
		t.Fatal(err)
	}
	if _, err := x.Refresh(now); err != nil {
		t.Fatal(err)
	}
	x.Tag("plan:pro", 3)
	x.Tag("plan:pro", 4)
	x.Untag("plan:pro", 1)
	x.Tag("tag:one", 2)
	// pro: +3 +4 -1 evaluated; 3 and 1 forgotten in the gap leave +4.
	// two: +3 +4 -1 -2 evaluated; 3 and 1 forgotten leave +4 -2.
	refreshGapHook = func() {
		if err := x.Forget(3, 1); err != nil {
			t.Error(err)
		}
	}
	changes, err := x.Refresh(now)
	refreshGapHook = nil
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"pro +{4} -{} size 2", "two +{4} -{2} size 1"}
	var got []string
	for _, c := range changes {
		got = append(got, fmt.Sprintf("%s +%v -%v size %d", c.Segment, c.Entered, c.Exited, c.Size))
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Refresh with Forget(3, 1) in its gap = %v, want %v", got, want)
	}
	for s, want := range map[string]*roaring.Bitmap{"pro": roaring.BitmapOf(2, 4), "two": roaring.BitmapOf(4)} {
		if m, _ := x.Members(s); !m.Equals(want) {
			t.Errorf("Members(%s) = %v, want %v", s, m, want)
		}
	}
	if again, err := x.Refresh(now); err != nil || len(again) > 0 {
		t.Errorf("the next Refresh = %+v, %v; want no change", again, err)
	}
	// An absorbed key stays in the members until the next Refresh would report its
	// exit; the index no longer knows it, but Forget takes it out of them all the same.
	if err := x.ApplyMerge(2, 4); err != nil {
		t.Fatal(err)
	}
	if err := x.Forget(4); err != nil {
		t.Fatal(err)
	}
	for s, want := range map[string]*roaring.Bitmap{"pro": roaring.BitmapOf(2), "two": roaring.BitmapOf()} {
		if m, _ := x.Members(s); !m.Equals(want) {
			t.Errorf("Members(%s) = %v after forgetting the absorbed 4, want %v", s, m, want)
		}
	}
	if again, err := x.Refresh(now); err != nil || len(again) > 0 {
		t.Errorf("the Refresh after forgetting the absorbed 4 = %+v, %v; want no change", again, err)
	}
}

// TestForgetRefusesZeroChangingNothing checks that a zero profile fails with
// ErrInvalid and erases none of the others in the call.
func TestForgetRefusesZeroChangingNothing(t *testing.T) {
	x := mustIndex()
	x.Tag("plan:pro", 1, 2)
	var before bytes.Buffer
	if _, err := x.WriteTo(&before); err != nil {
		t.Fatal(err)
	}
	if err := x.Forget(1, 0); !errors.Is(err, ErrInvalid) {
		t.Fatalf("Forget(1, 0) = %v, want ErrInvalid", err)
	}
	var after bytes.Buffer
	if _, err := x.WriteTo(&after); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before.Bytes(), after.Bytes()) {
		t.Fatal("a refused Forget changed the index")
	}
	if err := x.Forget(); err != nil {
		t.Fatalf("Forget() = %v, want nil", err)
	}
	if err := x.Forget(99); err != nil || !x.Profiles().Equals(roaring.BitmapOf(1, 2)) {
		t.Fatalf("Forget of an unknown profile: %v, Profiles() = %v", err, x.Profiles())
	}
}

// TestForgetPersists checks that a snapshot written right after Forget, with no Refresh
// between, holds nothing of the forgotten profile, not even a trait value only it had
// or its key in a saved segment's members, and that the index read back from it (read,
// mapped, or from a Store) does not find it; also that Forget works on an index serving
// bitmaps from a mapped snapshot.
func TestForgetPersists(t *testing.T) {
	const secret = "anna.li@example.com"
	x := mustIndex(WithNumber("spend", MergeSum), WithRetention(30))
	x.Tag("email:"+secret, 7)
	x.Tag("plan:pro", 7, 8)
	x.SetNumber("spend", 7, 250)
	x.SetNumber("spend", 8, 10)
	at := date(2026, 5, 20, 12, 0)
	x.Record(date(2026, 5, 1, 9, 0), 7, "visit")
	x.Record(date(2026, 5, 19, 9, 0), 7, "visit")
	x.Record(date(2026, 5, 19, 10, 0), 7, "visit")
	x.Record(date(2026, 5, 19, 9, 0), 8, "visit")
	x.Expire(date(2026, 5, 25, 0, 0)) // 5/1 now lives only in the expired union
	if err := x.Save("pro", mustParse(t, "plan:pro")); err != nil {
		t.Fatal(err)
	}
	if _, err := x.Refresh(at); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "x.snap")
	write := func(x *Index) []byte {
		t.Helper()
		var b bytes.Buffer
		if _, err := x.WriteTo(&b); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	if !bytes.Contains(write(x), []byte(secret)) {
		t.Fatal("test is broken: the snapshot before Forget lacks the secret")
	}
	mapped, err := Open(path, &OpenOptions{Map: true})
	if err != nil {
		t.Fatal(err)
	}
	defer mapped.Close()
	for _, y := range []*Index{x, mapped} {
		if m, _ := y.Members("pro"); !m.Equals(roaring.BitmapOf(7, 8)) {
			t.Fatalf("test is broken: Members(pro) = %v before Forget", m)
		}
		if err := y.Forget(7); err != nil {
			t.Fatal(err)
		}
	}
	var store MemStore
	if err := mapped.SaveTo(&store, "x"); err != nil {
		t.Fatal(err)
	}
	snap := write(x)
	if bytes.Contains(snap, []byte(secret)) {
		t.Fatal("the snapshot after Forget still holds the forgotten trait value")
	}
	read, err := ReadSnapshot(snap)
	if err != nil {
		t.Fatal(err)
	}
	opened, err := Open(path, &OpenOptions{Map: true})
	if err != nil {
		t.Fatal(err)
	}
	defer opened.Close()
	loaded, err := Load(&store, "x")
	if err != nil {
		t.Fatal(err)
	}
	for name, y := range map[string]*Index{"read": read, "opened": opened, "loaded": loaded, "mapped": mapped} {
		if !y.Profiles().Equals(roaring.BitmapOf(8)) {
			t.Fatalf("%s: Profiles() = %v", name, y.Profiles())
		}
		for _, q := range []string{"plan:pro", "email:" + quoteName(secret), "spend >= 0", "did(visit)", "count(visit, 20d) >= 1", "lapsed(visit, 3d)"} {
			got, err := y.Eval(context.Background(), at, mustParse(t, q), nil)
			if err != nil {
				t.Fatal(err)
			}
			if got.Contains(7) {
				t.Fatalf("%s: %s = %v finds the forgotten profile", name, q, got)
			}
		}
		if _, ok := y.Number("spend", 7); ok {
			t.Fatalf("%s: spend of the forgotten profile survives", name)
		}
		if m, _ := y.Members("pro"); !m.Equals(roaring.BitmapOf(8)) {
			t.Fatalf("%s: Members(pro) = %v", name, m)
		}
		if changes, err := y.Refresh(at); err != nil || len(changes) > 0 {
			t.Fatalf("%s: Refresh after Forget = %+v, %v; want no change", name, changes, err)
		}
	}
}

// TestUntagDropsEmptyValues: a trait value nobody holds any more, after Untag or after
// SetTrait moved its last holder to another value, is not written to a snapshot, as
// Forget's are not: the value (an e-mail address) may be what the host removed. It was
// kept as an empty entry and written as text.
func TestUntagDropsEmptyValues(t *testing.T) {
	snapshot := func(x *Index) []byte {
		t.Helper()
		var b bytes.Buffer
		if _, err := x.WriteTo(&b); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	x := mustIndex()
	x.Tag("email:old@example.com", 7)
	x.Tag("email:kept@example.com", 8)
	x.Untag("email:old@example.com", 7)
	if snap := snapshot(x); bytes.Contains(snap, []byte("old@example.com")) || !bytes.Contains(snap, []byte("kept@example.com")) {
		t.Errorf("after Untag the snapshot holds the untagged value %v, the kept one %v; want false, true",
			bytes.Contains(snap, []byte("old@example.com")), bytes.Contains(snap, []byte("kept@example.com")))
	}
	x.SetTrait("email", "moved@example.com", 9)
	x.SetTrait("email", "new@example.com", 9)
	if snap := snapshot(x); bytes.Contains(snap, []byte("moved@example.com")) {
		t.Error("after SetTrait moved its only holder, the snapshot still holds the old value")
	}
	// A Tag or SetTrait of no profiles declares no value nobody holds.
	x.Tag("email:none@example.com")
	x.SetTrait("email", "nobody@example.com")
	if snap := snapshot(x); bytes.Contains(snap, []byte("none@example.com")) || bytes.Contains(snap, []byte("nobody@example.com")) {
		t.Error("a Tag or SetTrait of no profiles wrote its value to the snapshot")
	}
	// Queries answer as before: nobody holds the dropped values.
	for _, q := range []string{`email:old@example.com`, `email:moved@example.com`, `email IN ("old@example.com", "moved@example.com")`} {
		got, err := x.Eval(context.Background(), date(2026, 5, 20, 12, 0), mustParse(t, q), nil)
		if err != nil || !got.IsEmpty() {
			t.Errorf("%s = %v, %v; want no profile", q, got, err)
		}
	}
}
