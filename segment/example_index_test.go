package segment_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/clientele-go/clientele/segment"
)

// RecordBatch loads a day's export in one call. Two events on one day count twice for
// count() and once for days().
func ExampleIndex_RecordBatch() {
	x, _ := segment.NewIndex()
	err := x.RecordBatch([]segment.Activity{
		{Event: "purchase", Profile: 1, At: daysAgo(2)},
		{Event: "purchase", Profile: 1, At: daysAgo(2)},
		{Event: "purchase", Profile: 2, At: daysAgo(40)},
		{Event: "visit", Profile: 3, At: daysAgo(1)},
	})
	fmt.Println(err)
	for _, expr := range []string{"count(purchase, 30d) >= 2", "days(purchase, 30d) >= 2", "did(purchase)"} {
		r, _ := x.Eval(context.Background(), now, segment.Must(expr), nil)
		fmt.Println(expr, "→", r)
	}
	// Output:
	// <nil>
	// count(purchase, 30d) >= 2 → {1}
	// days(purchase, 30d) >= 2 → {}
	// did(purchase) → {1,2}
}

// Members is the membership as of the last Refresh, not as of now: a tag added since
// shows in Eval of segment:name at once, and in Members only after the next Refresh.
func ExampleIndex_Members() {
	x, _ := segment.NewIndex()
	x.Tag("plan:pro", 1, 2)
	x.Save("pro", segment.Must("plan:pro"))
	m, ok := x.Members("pro")
	fmt.Println(m, ok) // saved, never refreshed
	x.Refresh(now)
	x.Tag("plan:pro", 3)
	m, _ = x.Members("pro")
	live, _ := x.Eval(context.Background(), now, segment.Must("segment:pro"), nil)
	fmt.Println(m, live)
	x.Refresh(now)
	m, _ = x.Members("pro")
	fmt.Println(m)
	_, ok = x.Members("nope")
	fmt.Println(ok)
	// Output:
	// {} true
	// {1,2} {1,2,3}
	// {1,2,3}
	// false
}

// With a retention of 30 days, Expire drops the daily detail of older days. Who was
// ever active survives, so did() without a window and lapsed() still see profile 2;
// count() over a window reaching before the retention is refused rather than wrong.
func ExampleIndex_Expire() {
	x, _ := segment.NewIndex(segment.WithRetention(30))
	x.Record(daysAgo(1), 1, "visit")
	x.Record(daysAgo(45), 2, "visit")
	x.Record(daysAgo(50), 2, "visit")
	fmt.Println(x.Expire(now), "day bitmaps dropped")
	ever, _ := x.Eval(context.Background(), now, segment.Must("did(visit)"), nil)
	lapsed, _ := x.Eval(context.Background(), now, segment.Must("lapsed(visit, 30d)"), nil)
	fmt.Println(ever, lapsed)
	_, err := x.Eval(context.Background(), now, segment.Must("count(visit, 60d) >= 1"), nil)
	fmt.Println(errors.Is(err, segment.ErrRetention))
	// Output:
	// 2 day bitmaps dropped
	// {1,2} {2}
	// true
}

// Untag takes profiles out of a tag or trait value; they stay known to the index
// (Profiles), so NOT tag:trial now includes them.
func ExampleIndex_Untag() {
	x, _ := segment.NewIndex()
	x.Tag("trial", 1, 2, 3)
	x.Untag("trial", 2) // profile 2 converted
	x.Untag("tag:trial", 3)
	trial, _ := x.Eval(context.Background(), now, segment.Must("tag:trial"), nil)
	paying, _ := x.Eval(context.Background(), now, segment.Must("NOT tag:trial"), nil)
	fmt.Println(trial, paying, x.Profiles())
	// Output: {1} {2,3} {1,2,3}
}

// Number reads one profile's value; ok tells a missing value from a zero one.
func ExampleIndex_Number() {
	x, _ := segment.NewIndex()
	x.SetNumber("spend", 1, 250)
	x.SetNumber("spend", 2, 0)
	for _, p := range []uint32{1, 2, 3} {
		v, ok := x.Number("spend", p)
		fmt.Println(p, v, ok)
	}
	// Output:
	// 1 250 true
	// 2 0 true
	// 3 0 false
}

// ClearNumber removes a value, which is not setting it to zero: a comparison holds
// only for profiles that have a value.
func ExampleIndex_ClearNumber() {
	x, _ := segment.NewIndex()
	x.SetNumber("age", 1, 34)
	x.SetNumber("age", 2, 19)
	x.ClearNumber("age", 2) // the person withdrew the consent to keep their age
	young, _ := x.Eval(context.Background(), now, segment.Must("age < 30"), nil)
	notOld, _ := x.Eval(context.Background(), now, segment.Must("NOT age >= 30"), nil)
	_, ok := x.Number("age", 2)
	fmt.Println(young, notOld, ok)
	// Output: {} {2} false
}

// Bottom finds the k smallest values, here within an audience: the three pro
// customers who spent least, to offer them onboarding help.
func ExampleIndex_Bottom() {
	x, _ := segment.NewIndex()
	x.Tag("plan:pro", 1, 2, 3, 4, 5)
	for p, v := range map[uint32]int64{1: 500, 2: 20, 3: 90, 4: 35, 5: 1200, 6: 5} {
		x.SetNumber("spend", p, v)
	}
	pro, _ := x.Eval(context.Background(), now, segment.Must("plan:pro"), nil)
	low, _ := x.Bottom("spend", 3, pro)
	all, _ := x.Bottom("spend", 1, nil) // profile 6 is not pro
	fmt.Println(low, all)
	// Output: {2,3,4} {6}
}

// Profiles is every profile the index knows, the universe NOT complements within.
func ExampleIndex_Profiles() {
	x, _ := segment.NewIndex()
	x.Tag("plan:pro", 1)
	x.SetNumber("spend", 2, 10)
	x.Record(daysAgo(0), 3, "visit")
	x.ApplyMerge(1, 3) // 3 is absorbed into 1 and no longer known
	notPro, _ := x.Eval(context.Background(), now, segment.Must("NOT plan:pro"), nil)
	fmt.Println(x.Profiles(), notPro)
	// Output: {1,2} {2}
}

// Segments lists the saved segments in name order, whatever the order of Save.
func ExampleIndex_Segments() {
	x, _ := segment.NewIndex()
	x.Tag("plan:pro", 1)
	x.Save("pro", segment.Must("plan:pro"))
	x.Save("everyone", segment.Must("plan:pro OR NOT plan:pro"))
	fmt.Println(x.Segments())
	// Output: [everyone pro]
}

// Definition returns a saved query in its canonical form: the windows in days,
// keywords upper-case.
func ExampleIndex_Definition() {
	x, _ := segment.NewIndex(segment.WithEvents("visit"))
	x.Tag("staff", 9)
	if err := x.Save("regulars", segment.Must("count(visit, 4w) >= 4 and not tag:staff")); err != nil {
		fmt.Println(err)
	}
	q, ok := x.Definition("regulars")
	fmt.Println(q, ok)
	_, ok = x.Definition("missing")
	fmt.Println(ok)
	// Output:
	// count(visit, 28d) >= 4 AND NOT tag:staff true
	// false
}

// Delete refuses a segment that another references, and an unknown one with
// ErrUnknownSegment, which is an ErrNotFound.
func ExampleIndex_Delete() {
	x, _ := segment.NewIndex()
	x.Tag("plan:pro", 1)
	x.SetTrait("country", "se", 1)
	x.Save("pro", segment.Must("plan:pro"))
	if err := x.Save("pro in Sweden", segment.Must("segment:pro AND country:se")); err != nil {
		fmt.Println(err)
	}
	fmt.Println(x.Delete("pro"))
	fmt.Println(x.Delete("pro in Sweden"), x.Delete("pro"), x.Segments())
	err := x.Delete("pro")
	fmt.Println(errors.Is(err, segment.ErrNotFound), err)
	// Output:
	// segment: segment in use: delete "pro": referenced by segment "pro in Sweden"
	// <nil> <nil> []
	// true segment: unknown segment "pro": nothing deleted
}

// WriteTo is an io.WriterTo: the snapshot goes to any writer (a buffer here, an
// object store's upload in production) and ReadSnapshot reads it back, saved
// segments and their members included.
func ExampleIndex_WriteTo() {
	x, _ := segment.NewIndex(segment.WithNumber("spend", segment.MergeMax))
	x.Tag("plan:pro", 1, 2)
	x.SetNumber("spend", 2, 700)
	x.Record(daysAgo(3), 1, "visit")
	x.Save("pro", segment.Must("plan:pro"))
	x.Refresh(now)

	var buf bytes.Buffer
	if _, err := x.WriteTo(&buf); err != nil {
		fmt.Println(err)
		return
	}
	y, err := segment.ReadSnapshot(buf.Bytes()) // y now refers to buf's bytes: leave them alone
	if err != nil {
		fmt.Println(err)
		return
	}
	spend, _ := y.Number("spend", 2)
	members, _ := y.Members("pro")
	visited, _ := y.Eval(context.Background(), now, segment.Must("did(visit, 7d)"), nil)
	fmt.Println(spend, members, visited, y.Segments())
	// Output: 700 {1,2} {1} [pro]
}

// Jaccard summarises how much two audiences are the same people, 1 for identical, 0
// for disjoint: a campaign's two target lists that overlap this much would compete.
func ExampleOverlap_Jaccard() {
	x, _ := segment.NewIndex()
	x.Tag("newsletter", 1, 2, 3, 4, 5, 6)
	x.Tag("app", 4, 5, 6, 7)
	news, _ := x.Eval(context.Background(), now, segment.Must("tag:newsletter"), nil)
	app, _ := x.Eval(context.Background(), now, segment.Must("tag:app"), nil)
	o := segment.OverlapOf(news, app)
	fmt.Printf("both %d of %d: Jaccard %.3f\n", o.Both, o.Either, o.Jaccard())
	fmt.Printf("%.3f\n", segment.OverlapOf(roaring.New(), roaring.New()).Jaccard())
	// Output:
	// both 3 of 7: Jaccard 0.429
	// 0.000
}
