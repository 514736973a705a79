package segment_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/clientele-go/clientele/segment"
)

// An index read from a snapshot takes no options: its host declares the events it
// expects with DeclareEvents, and the declaration travels in every later snapshot.
func ExampleIndex_DeclareEvents() {
	x, _ := segment.NewIndex()
	var snap bytes.Buffer
	x.WriteTo(&snap)
	y, _ := segment.ReadSnapshot(snap.Bytes())
	q := segment.Must(`did("Order Completed", 7d)`)
	fmt.Println(y.Save("buyers", q))
	fmt.Println(y.DeclareEvents("Order Completed"))
	fmt.Println(y.Save("buyers", q))

	snap.Reset()
	y.WriteTo(&snap)
	z, err := segment.ReadSnapshot(snap.Bytes())
	fmt.Println(z.Segments(), err)
	// Output:
	// segment: query in segment "buyers" at line 1, column 5: unknown event "Order Completed"
	// <nil>
	// <nil>
	// [buyers] <nil>
}

// Events lists what an index must know before it accepts a query.
func ExampleQuery_Events() {
	q := segment.Must(`did(signup, 30d) AND NOT (count(purchase, 7d) >= 2 OR lapsed(purchase, 30d)) AND plan:pro`)
	fmt.Println(q.Events())
	// Output:
	// [purchase signup]
}

// TestDeclareEvents: a declared event is an event like a recorded one (one name, one
// event: activity recorded after the declaration is what queries see), and an empty
// name declares nothing of the call.
func TestDeclareEvents(t *testing.T) {
	x, _ := segment.NewIndex()
	if err := x.DeclareEvents("a", "", "b"); !errors.Is(err, segment.ErrInvalid) {
		t.Fatalf("DeclareEvents with an empty name: %v, want ErrInvalid", err)
	}
	if _, err := x.Eval(context.Background(), now, segment.Must("did(a)"), nil); !errors.Is(err, segment.ErrUnknownField) {
		t.Fatalf("after a refused declaration, did(a): %v, want ErrUnknownField", err)
	}
	if err := x.DeclareEvents("a", "a"); err != nil {
		t.Fatal(err)
	}
	x.Record(now, 7, "a")
	if err := x.DeclareEvents("a"); err != nil { // again, after activity: nothing changes
		t.Fatal(err)
	}
	got, err := x.Eval(context.Background(), now, segment.Must("did(a, 1d)"), nil)
	if err != nil || !slices.Equal(got.ToArray(), []uint32{7}) {
		t.Fatalf("did(a, 1d) = %v, %v; want [7]", got, err)
	}
	if got := segment.Must("did(b)").Events(); !slices.Equal(got, []string{"b"}) {
		t.Fatalf("Events = %v", got)
	}
	if got := (*segment.Query)(nil).Events(); got != nil {
		t.Fatalf("nil Query's Events = %v, want none", got)
	}
}

// An index read from a snapshot declares a trait key it has no value of yet: queries
// may name it at once, match no one until a profile carries it, and every later
// snapshot keeps the key.
func ExampleIndex_DeclareTraits() {
	ctx := context.Background()
	x, _ := segment.NewIndex()
	var snap bytes.Buffer
	x.WriteTo(&snap)
	y, _ := segment.ReadSnapshot(snap.Bytes())
	q := segment.Must("plan:pro")
	_, err := y.Eval(ctx, now, q, nil)
	fmt.Println(err)
	fmt.Println(y.DeclareTraits("plan", "city"))
	fmt.Println(y.Eval(ctx, now, q, nil))
	y.Tag("plan:pro", 7)
	fmt.Println(y.Eval(ctx, now, q, nil))

	snap.Reset()
	y.WriteTo(&snap)
	z, _ := segment.ReadSnapshot(snap.Bytes())
	fmt.Println(z.Eval(ctx, now, segment.Must("city:paris"), nil))
	// Output:
	// segment: query at line 1, column 1: unknown trait key "plan"
	// <nil>
	// {} <nil>
	// {7} <nil>
	// {} <nil>
}

// A numeric field declared on a loaded index gets its merge rule, which is then fixed:
// declaring it again with the same rule changes nothing, and with another is refused.
func ExampleIndex_DeclareNumber() {
	ctx := context.Background()
	x, _ := segment.NewIndex()
	var snap bytes.Buffer
	x.WriteTo(&snap)
	y, _ := segment.ReadSnapshot(snap.Bytes())
	fmt.Println(y.DeclareNumber("spend", segment.MergeSum))
	fmt.Println(y.Eval(ctx, now, segment.Must("spend > 0"), nil))
	fmt.Println(y.DeclareNumber("spend", segment.MergeSum))
	fmt.Println(y.DeclareNumber("spend", segment.MergeMax))

	y.SetNumber("spend", 1, 1200)
	y.SetNumber("spend", 2, 450)
	y.ApplyMerge(1, 2)
	fmt.Println(y.Number("spend", 1))
	// Output:
	// <nil>
	// {} <nil>
	// <nil>
	// segment: invalid input: DeclareNumber("spend", max): the field has rule sum already; nothing declared
	// 1650 true
}

// snapshot returns x's snapshot bytes.
func snapshot(t *testing.T, x *segment.Index) []byte {
	t.Helper()
	var b bytes.Buffer
	if _, err := x.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestDeclareTraits: a declared key is accepted by queries at once and matches no one
// until tagged; declaring again, or a key that has values, changes nothing; a call
// with an empty key declares none of its keys.
func TestDeclareTraits(t *testing.T) {
	ctx := context.Background()
	x, _ := segment.NewIndex()
	x.SetNumber("spend", 1, 5)
	if err := x.DeclareTraits("plan", "", "city"); !errors.Is(err, segment.ErrInvalid) || !strings.Contains(err.Error(), "key 2 of 3 is empty") {
		t.Fatalf("DeclareTraits with an empty key: %v, want ErrInvalid naming key 2", err)
	}
	if _, err := x.Eval(ctx, now, segment.Must("plan:pro"), nil); !errors.Is(err, segment.ErrUnknownField) {
		t.Fatalf("after a refused declaration, plan:pro: %v, want ErrUnknownField", err)
	}
	if err := x.DeclareTraits(); err != nil {
		t.Fatalf("DeclareTraits of nothing: %v", err)
	}
	if err := x.DeclareTraits("plan", "plan", "tag"); err != nil {
		t.Fatal(err)
	}
	once := snapshot(t, x)
	for _, q := range []string{"plan:pro", `plan IN ("pro", free)`, "tag:churned", "NOT plan:pro AND NOT tag:x"} {
		got, err := x.Eval(ctx, now, segment.Must(q), nil)
		want := []uint32{}
		if strings.HasPrefix(q, "NOT") {
			want = []uint32{1} // the one profile the index knows
		}
		if err != nil || !slices.Equal(got.ToArray(), want) {
			t.Errorf("%s = %v, %v; want %v", q, got, err, want)
		}
	}
	if err := x.DeclareTraits("plan"); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(once, snapshot(t, x)) {
		t.Error("declaring a declared key again changed the snapshot")
	}
	x.Tag("plan:pro", 3)
	tagged := snapshot(t, x)
	if err := x.DeclareTraits("plan"); err != nil || !bytes.Equal(tagged, snapshot(t, x)) {
		t.Errorf("declaring a key that has values: %v, or the snapshot changed", err)
	}
	if got, err := x.Eval(ctx, now, segment.Must("plan:pro"), nil); err != nil || !slices.Equal(got.ToArray(), []uint32{3}) {
		t.Errorf("plan:pro after Tag = %v, %v; want [3]", got, err)
	}
	// A trait key is used as a trait: a comparison on it is a type error, not unknown.
	if _, err := x.Eval(ctx, now, segment.Must("city > 3"), nil); !errors.Is(err, segment.ErrUnknownField) {
		t.Errorf("city > 3 before city is declared: %v, want ErrUnknownField", err)
	}
	x.DeclareTraits("city")
	if _, err := x.Eval(ctx, now, segment.Must("city > 3"), nil); !errors.Is(err, segment.ErrType) {
		t.Errorf("city > 3 after city is declared: %v, want ErrType", err)
	}
}

// TestDeclareNumber: the rules of WithNumber, on a live index; a refused declaration
// leaves the snapshot byte for byte as it was.
func TestDeclareNumber(t *testing.T) {
	ctx := context.Background()
	x, _ := segment.NewIndex(segment.WithNumber("tier", segment.MergeMax))
	x.SetNumber("age", 1, 30) // made by SetNumber: MergeSurvivor
	before := snapshot(t, x)
	for _, c := range []struct {
		field string
		rule  segment.MergeRule
		want  string // what the message must name
	}{
		{"", segment.MergeSum, `DeclareNumber("", sum): empty field name`},
		{"spend", segment.MergeLast + 1, `DeclareNumber("spend", MergeRule(5)): unknown merge rule`},
		{"tier", segment.MergeSum, `DeclareNumber("tier", sum): the field has rule max already`},
		{"age", segment.MergeLast, `DeclareNumber("age", last): the field has rule survivor already`},
	} {
		err := x.DeclareNumber(c.field, c.rule)
		if !errors.Is(err, segment.ErrInvalid) {
			t.Errorf("DeclareNumber(%q, %v) = %v, want ErrInvalid", c.field, c.rule, err)
			continue
		}
		if msg := err.Error(); !strings.Contains(msg, c.want) || strings.Count(msg, "segment:") != 1 {
			t.Errorf("message %q does not say %q with one \"segment:\"", msg, c.want)
		}
		if !bytes.Equal(before, snapshot(t, x)) {
			t.Errorf("refused DeclareNumber(%q, %v) changed the index", c.field, c.rule)
		}
	}
	if _, err := x.Eval(ctx, now, segment.Must("spend > 0"), nil); !errors.Is(err, segment.ErrUnknownField) {
		t.Fatalf("spend after refused declarations: %v, want ErrUnknownField", err)
	}
	// The same rule again, for a declared field and one SetNumber made: nothing changes.
	for _, c := range []struct {
		field string
		rule  segment.MergeRule
	}{{"tier", segment.MergeMax}, {"age", segment.MergeSurvivor}} {
		if err := x.DeclareNumber(c.field, c.rule); err != nil || !bytes.Equal(before, snapshot(t, x)) {
			t.Errorf("DeclareNumber(%q, %v) again = %v, or the snapshot changed", c.field, c.rule, err)
		}
	}

	if err := x.DeclareNumber("spend", segment.MergeLast); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"spend > 0", "spend IN (1, 2)", "spend BETWEEN -5 AND 5", "NOT spend = 0"} {
		got, err := x.Eval(ctx, now, segment.Must(q), nil)
		want := []uint32{}
		if strings.HasPrefix(q, "NOT") {
			want = []uint32{1}
		}
		if err != nil || !slices.Equal(got.ToArray(), want) {
			t.Errorf("%s = %v, %v; want %v", q, got, err, want)
		}
	}
	if top, err := x.Top("spend", 3, nil); err != nil || !top.IsEmpty() {
		t.Errorf("Top of a declared field = %v, %v; want empty", top, err)
	}
	if _, err := x.Eval(ctx, now, segment.Must("spend:x"), nil); !errors.Is(err, segment.ErrType) {
		t.Errorf("spend:x: %v, want ErrType", err)
	}
	// The declared rule is the one merges use: the most recently set value wins.
	x.SetNumber("spend", 2, 500)
	x.SetNumber("spend", 3, 20)
	if err := x.ApplyMerge(2, 3); err != nil {
		t.Fatal(err)
	}
	if v, ok := x.Number("spend", 2); v != 20 || !ok {
		t.Errorf("spend of 2 after the merge = %d, %v; want 20 (MergeLast)", v, ok)
	}
}

// TestDeclarationsInSnapshots: what DeclareTraits and DeclareNumber declare on a loaded
// index is written to its snapshots, rules included, and read back: queries and saved
// segments naming the declared names resolve in the copy, whose own snapshot is the
// same bytes.
func TestDeclarationsInSnapshots(t *testing.T) {
	ctx := context.Background()
	var st segment.MemStore
	x, _ := segment.NewIndex()
	x.Tag("plan:free", 1)
	if err := x.SaveTo(&st, "a"); err != nil {
		t.Fatal(err)
	}
	y, err := segment.Load(&st, "a")
	if err != nil {
		t.Fatal(err)
	}
	if err := errors.Join(y.DeclareTraits("city"), y.DeclareNumber("spend", segment.MergeSum), y.DeclareNumber("seen", segment.MergeLast)); err != nil {
		t.Fatal(err)
	}
	q := segment.Must("city:paris OR spend > 100 OR seen > 0")
	if err := y.Save("big", q); err != nil {
		t.Fatalf("Save naming the declared names: %v", err)
	}
	if err := y.SaveTo(&st, "b"); err != nil {
		t.Fatal(err)
	}
	z, err := segment.Load(&st, "b")
	if err != nil {
		t.Fatalf("Load of a snapshot with declarations: %v", err)
	}
	if got, err := z.Eval(ctx, now, q, nil); err != nil || !got.IsEmpty() {
		t.Fatalf("%s on the copy = %v, %v; want empty", q, got, err)
	}
	want, _ := st.Get("b")
	if got := snapshot(t, z); !bytes.Equal(want, got) {
		t.Error("the copy's snapshot differs from the one it was read from")
	}
	// The rules travel: a different one is still refused, and the copy merges by them.
	if err := z.DeclareNumber("spend", segment.MergeMax); !errors.Is(err, segment.ErrInvalid) {
		t.Errorf("DeclareNumber(spend, max) on the copy = %v, want ErrInvalid", err)
	}
	z.SetNumber("spend", 1, 70)
	z.SetNumber("spend", 2, 80)
	z.ApplyMerge(1, 2)
	if got, err := z.Eval(ctx, now, segment.Must("segment:big"), nil); err != nil || !slices.Equal(got.ToArray(), []uint32{1}) {
		t.Errorf("segment:big on the copy after a merge = %v, %v; want [1] (spend summed to 150)", got, err)
	}
}

// TestDeclareOnMappedSnapshot declares on an index whose bitmaps are views of a mapped
// snapshot file, before and after Close copies them: the new names are the index's
// own, and a snapshot written after Close holds them and what the file held.
func TestDeclareOnMappedSnapshot(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	fs, err := segment.OpenFileStore(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	x, _ := segment.NewIndex(segment.WithNumber("spend", segment.MergeSum))
	x.Tag("plan:pro", 1, 2)
	x.SetNumber("spend", 1, 300)
	if err := x.SaveTo(fs, "base.snap"); err != nil {
		t.Fatal(err)
	}
	y, err := segment.Open(fs.Path("base.snap"), &segment.OpenOptions{Map: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := errors.Join(y.DeclareTraits("plan", "city"), y.DeclareNumber("spend", segment.MergeSum), y.DeclareNumber("age", segment.MergeMin)); err != nil {
		t.Fatal(err)
	}
	if err := y.Close(); err != nil {
		t.Fatal(err)
	}
	if err := y.DeclareNumber("score", segment.MergeLast); err != nil {
		t.Fatal(err)
	}
	z, err := segment.ReadSnapshot(snapshot(t, y))
	if err != nil {
		t.Fatal(err)
	}
	q := segment.Must("plan:pro AND spend > 100 AND NOT city:paris AND NOT age < 5 AND NOT score > 0")
	if got, err := z.Eval(ctx, now, q, nil); err != nil || !slices.Equal(got.ToArray(), []uint32{1}) {
		t.Errorf("%s = %v, %v; want [1]", q, got, err)
	}
}
