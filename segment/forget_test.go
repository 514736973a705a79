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
// breakdown and no Profiles finds a forgotten profile, that the next Refresh reports
// every forgotten member of a saved segment as exited (and none as entered), and that
// Members then no longer lists them; the rest of the index is held against the model
// by the scenario-driven tests, whose scenarios include Forget.
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
		got := map[string]Change{}
		for _, c := range changes {
			got[c.Segment] = c
		}
		for s, old := range before {
			want := roaring.And(old, g)
			c := got[s]
			exited := roaring.New()
			if c.Exited != nil {
				exited = roaring.And(c.Exited, g)
			}
			if !exited.Equals(want) {
				t.Fatalf("%s: forgotten members exited %v, want %v", s, exited, want)
			}
			if c.Entered != nil && c.Entered.Intersects(g) {
				t.Fatalf("%s: forgotten profiles entered: %v", s, c.Entered)
			}
			if m, _ := x.Members(s); m.Intersects(g) {
				t.Fatalf("%s: Members() = %v after Refresh holds forgotten %v", s, m, gone)
			}
		}
	})
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

// TestForgetPersists checks that a snapshot written after Forget and the next Refresh
// holds nothing of the forgotten profile, not even a trait value only it had, and that
// the index read back from it (read, mapped, or from a Store) does not find it; also
// that Forget works on an index serving bitmaps from a mapped snapshot.
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
		if err := y.Forget(7); err != nil {
			t.Fatal(err)
		}
		changes, err := y.Refresh(at)
		if err != nil || len(changes) != 1 || !changes[0].Exited.Equals(roaring.BitmapOf(7)) || !changes[0].Entered.IsEmpty() {
			t.Fatalf("Refresh after Forget: %+v, %v", changes, err)
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
	// Queries answer as before: nobody holds the dropped values.
	for _, q := range []string{`email:old@example.com`, `email:moved@example.com`, `email IN ("old@example.com", "moved@example.com")`} {
		got, err := x.Eval(context.Background(), date(2026, 5, 20, 12, 0), mustParse(t, q), nil)
		if err != nil || !got.IsEmpty() {
			t.Errorf("%s = %v, %v; want no profile", q, got, err)
		}
	}
}
