package segment_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/clientele-go/clientele"
	"github.com/clientele-go/clientele/identity"
	"github.com/clientele-go/clientele/segment"
)

var now = time.Date(2026, 11, 23, 18, 0, 0, 0, time.UTC)

func daysAgo(d int) time.Time { return now.AddDate(0, 0, -d) }

// The shortest useful program: who are the users (two or more visits in 30 days) on
// the pro plan?
func Example() {
	x, _ := segment.NewIndex()
	x.Tag("plan:pro", 1, 2, 3)
	x.Record(daysAgo(3), 1, "visit")
	x.Record(daysAgo(20), 1, "visit")
	x.Record(daysAgo(1), 2, "visit")
	q, _ := segment.Parse("plan:pro AND count(visit, 30d) >= 2")
	users, _ := x.Eval(context.Background(), now, q, nil)
	fmt.Println(users)
	// Output: {1}
}

func ExampleNewIndex() {
	x, err := segment.NewIndex(
		segment.WithLocation(time.UTC),
		segment.WithRetention(400),                    // days of behaviour kept
		segment.WithNumber("spend", segment.MergeSum), // merged profiles add their spend
		segment.WithEvents("purchase"),                // queryable before the first purchase
	)
	if err != nil {
		panic(err)
	}
	q, _ := segment.Parse("did(purchase, 90d) OR spend > 0")
	n, err := x.Count(context.Background(), now, q, nil)
	fmt.Println(n, err)

	// A bad option is refused, not clamped.
	_, err = segment.NewIndex(segment.WithRetention(-5))
	fmt.Println(err)
	// Output:
	// 0 <nil>
	// segment: invalid input: WithRetention(-5): days must be from 0 (keep all) to 3660000
}

func ExampleIndex_Tag() {
	x, _ := segment.NewIndex()
	x.Tag("city:shanghai", 1, 2)
	x.Tag("churned", 2) // a bare tag is tag:churned
	q, _ := segment.Parse("city:shanghai AND NOT tag:churned")
	r, _ := x.Eval(context.Background(), now, q, nil)
	fmt.Println(r)
	// Output: {1}
}

func ExampleIndex_SetNumber() {
	x, _ := segment.NewIndex()
	x.SetNumber("score.p_alive", 1, 950) // P(alive) = 0.950, scaled to an integer
	x.SetNumber("score.p_alive", 2, 420)
	x.SetNumber("score.p_alive", 3, -1)
	q, _ := segment.Parse("score.p_alive BETWEEN 0 AND 500 OR score.p_alive > 900")
	r, _ := x.Eval(context.Background(), now, q, nil)
	fmt.Println(r)
	// Output: {1,2}
}

func ExampleIndex_Record() {
	x, _ := segment.NewIndex()
	x.Record(daysAgo(0), 1, "visit")
	x.Record(daysAgo(0), 1, "visit") // twice the same day
	if err := x.RecordBatch([]segment.Activity{
		{Event: "visit", Profile: 2, At: daysAgo(0)},
		{Event: "visit", Profile: 2, At: daysAgo(5)},
	}); err != nil {
		fmt.Println(err)
	}
	// A row without an event, which no query could name, refuses the whole batch.
	fmt.Println(x.RecordBatch([]segment.Activity{
		{Event: "visit", Profile: 3, At: daysAgo(0)},
		{Profile: 3, At: daysAgo(1)},
	}))
	for _, expr := range []string{"count(visit, 30d) >= 2", "days(visit, 30d) >= 2", "did(visit)"} {
		q, _ := segment.Parse(expr)
		r, _ := x.Eval(context.Background(), now, q, nil)
		fmt.Println(expr, "→", r)
	}
	// Output:
	// segment: invalid input: RecordBatch row 1 (profile 3 at 2026-11-22T18:00:00Z): empty event name, which no query can name; nothing recorded
	// count(visit, 30d) >= 2 → {1,2}
	// days(visit, 30d) >= 2 → {2}
	// did(visit) → {1,2}
}

func ExampleParse() {
	q, err := segment.Parse("plan:pro and not tag:churned and (count(visit, 4w) >= 2 or did(purchase, 90d))")
	fmt.Println(q, err)
	_, err = segment.Parse("plan:pro AND\n  spend >= lots")
	fmt.Println(err)
	// Output:
	// plan:pro AND NOT tag:churned AND (count(visit, 28d) >= 2 OR did(purchase, 90d)) <nil>
	// segment: parse at line 2, column 12: expected an integer, found "lots"
}

func ExampleQuery_References() {
	q := segment.Must(`segment:pro AND NOT (segment:churned OR segment:pro) AND did("segment:x")`)
	fmt.Println(q.References())
	// Output:
	// [churned pro]
}

func ExampleIndex_Eval() {
	x, _ := segment.NewIndex(segment.WithTraits("tag"))
	x.Tag("plan:pro", 1, 2, 3, 4)
	x.SetNumber("spend", 1, 150)
	x.SetNumber("spend", 2, 80)
	x.SetNumber("spend", 3, 400)
	x.Record(daysAgo(100), 3, "purchase")
	x.Record(daysAgo(10), 1, "purchase")
	// Lapsed best customers to win back: bought before, not in the last 90 days.
	q, _ := segment.Parse("plan:pro AND spend >= 100 AND lapsed(purchase, 90d)")
	r, _ := x.Eval(context.Background(), now, q, nil)
	fmt.Println(r)
	_, err := x.Eval(context.Background(), now, segment.Must("plan:pro AND spnd > 1"), nil)
	fmt.Println(err)
	// Output:
	// {3}
	// segment: query at line 1, column 14: unknown numeric field "spnd" (did you mean spend?)
}

func ExampleIndex_Count() {
	x, _ := segment.NewIndex()
	x.Tag("plan:pro", 1, 2, 3)
	x.Tag("churned", 3)
	n, _ := x.Count(context.Background(), now, segment.Must("plan:pro AND NOT tag:churned"), nil)
	fmt.Println(n)
	// Output: 2
}

// A budget bounds what a query may cost; the same budget passed to several evaluations
// bounds them together.
func ExampleEvalOptions() {
	x, _ := segment.NewIndex()
	for d := range 400 {
		x.Record(daysAgo(d), uint32(1+d%3), "visit")
	}
	small := segment.Budget{Terms: 10, Days: 365, Ops: 10_000}
	_, err := x.Eval(context.Background(), now, segment.Must("did(visit, 90d)"), &segment.EvalOptions{Budget: &small})
	fmt.Println(err, small.Days)
	_, err = x.Eval(context.Background(), now, segment.Must("did(visit, 400d)"), &segment.EvalOptions{Budget: &small})
	fmt.Println(errors.Is(err, segment.ErrBudget), err)
	// Output:
	// <nil> 275
	// true segment: over budget: the query reads more than the 275 daily bitmaps left in its budget
}

func ExampleIndex_Refresh() {
	x, _ := segment.NewIndex()
	x.Record(daysAgo(1), 1, "visit")
	x.Record(daysAgo(6), 2, "visit")
	x.Save("active this week", segment.Must("did(visit, 7d)"))
	changes, _ := x.Refresh(now)
	fmt.Println(changes[0].Segment, changes[0].Entered, changes[0].Exited)
	// A day later, with no new event, profile 2's visit leaves the window.
	changes, _ = x.Refresh(now.AddDate(0, 0, 1))
	fmt.Println(changes[0].Segment, changes[0].Entered, changes[0].Exited)
	// Output:
	// active this week {1,2} {}
	// active this week {} {2}
}

// Another process deleted "buyers" and saved it anew, while "big buyers", which
// references it, kept it from being deleted here: Recreate replaces it with a new
// segment, whose members start empty, and "big buyers" keeps its own.
func ExampleIndex_Recreate() {
	x, _ := segment.NewIndex()
	x.Record(daysAgo(1), 1, "purchase")
	x.Tag("tier:gold", 1)
	x.Save("buyers", segment.Must("did(purchase, 30d)"))
	x.Save("big buyers", segment.Must("segment:buyers AND tier:gold"))
	x.Refresh(now)
	fmt.Println(x.Delete("buyers"))
	if err := x.Recreate("buyers", segment.Must("did(purchase, 30d)")); err != nil {
		fmt.Println(err)
		return
	}
	changes, _ := x.Refresh(now)
	for _, c := range changes {
		fmt.Println(c.Segment, c.Entered, c.Exited)
	}
	// Output:
	// segment: segment in use: delete "buyers": referenced by segment "big buyers"
	// buyers {1} {}
}

func ExampleIndex_Watch() {
	x, _ := segment.NewIndex()
	x.Tag("plan:pro", 1, 2)
	x.Save("pro", segment.Must("plan:pro"))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for c, err := range x.Watch(ctx, clientele.FixedClock(now), time.Minute) {
		if err != nil {
			fmt.Println(err)
			break
		}
		fmt.Println(c.Segment, "entered:", c.Entered, "exited:", c.Exited, "size:", c.Size)
		break // a host forwards changes to its e-mail tool and keeps looping
	}
	// Output: pro entered: {1,2} exited: {} size: 2
}

func ExampleIndex_ApplyMerge() {
	x, _ := segment.NewIndex(segment.WithNumber("spend", segment.MergeSum))
	x.Tag("channel:store", 7)
	x.Tag("channel:web", 9)
	x.SetNumber("spend", 7, 100)
	x.SetNumber("spend", 9, 40)
	x.Record(daysAgo(2), 7, "visit")
	x.Record(daysAgo(2), 9, "visit")
	if err := x.ApplyMerge(7, 9); err != nil { // identity found that 9 is 7
		fmt.Println(err)
	}
	spend, _ := x.Number("spend", 7)
	r, _ := x.Eval(context.Background(), now, segment.Must("channel:store AND channel:web AND count(visit, 7d) = 2"), nil)
	fmt.Println(spend, r, x.Profiles())
	fmt.Println(x.ApplyMerge(7, 7))
	// Output:
	// 140 {7} {7}
	// segment: invalid input: merge 7 into 7: want two different non-zero profiles
}

// A host honouring a request to be forgotten: identity erases the person and reports
// the retired keys, and the same keys are erased from the index, saved segments'
// members included. No Refresh reports them: the host tells the tools it forwards
// changes to to erase the person itself, in OnForget, having read which segments held
// them.
func ExampleIndex_Forget() {
	ctx := context.Background()
	x, _ := segment.NewIndex(segment.WithNumber("spend", segment.MergeSum))
	r, _ := identity.New(identity.DefaultRules(), identity.OnForget(func(f identity.Forgotten) {
		for _, s := range x.Segments() {
			if m, _ := x.Members(s); m.Intersects(roaring.BitmapOf(f.Profiles...)) {
				fmt.Println("erase from the tools fed by", s)
			}
		}
		if err := x.Forget(f.Profiles...); err != nil {
			fmt.Println(err)
		}
	}))
	anna, _ := r.Link(ctx, now, "web", identity.ID{Kind: "email", Value: "anna@example.com"})
	ben, _ := r.Link(ctx, now, "web", identity.ID{Kind: "email", Value: "ben@example.com"})
	x.Tag("plan:pro", anna, ben)
	x.SetNumber("spend", anna, 250)
	x.Record(daysAgo(1), anna, "visit")
	x.Save("pro", segment.Must("plan:pro"))
	x.Refresh(now)

	if err := r.Forget(ctx, now, anna); err != nil {
		fmt.Println(err)
	}
	spend, ok := x.Number("spend", anna)
	visited, _ := x.Eval(ctx, now, segment.Must("did(visit)"), nil)
	members, _ := x.Members("pro")
	fmt.Println(x.Profiles(), spend, ok, visited, members)
	changes, _ := x.Refresh(now)
	fmt.Println(len(changes), "changes")
	fmt.Println(x.Forget(0))
	// Output:
	// erase from the tools fed by pro
	// {2} 0 false {} {2}
	// 0 changes
	// segment: invalid input: forget profile 0: profiles are non-zero
}

func ExampleIndex_Top() {
	x, _ := segment.NewIndex()
	for p, v := range []int64{50, 900, 300, 900, 10} {
		x.SetNumber("spend", uint32(p), v)
	}
	top, _ := x.Top("spend", 3, nil)
	bottom, _ := x.Bottom("spend", 1, nil)
	fmt.Println(top, bottom)
	// Output: {1,2,3} {4}
}

func ExampleOverlapOf() {
	a := roaring.BitmapOf(1, 2, 3, 4)
	b := roaring.BitmapOf(3, 4, 5)
	o := segment.OverlapOf(a, b)
	fmt.Printf("%+v Jaccard %.2f\n", o, o.Jaccard())
	// Output: {A:4 B:3 Both:2 Either:5} Jaccard 0.40
}

func ExampleIndex_Breakdown() {
	x, _ := segment.NewIndex()
	x.SetTrait("city", "shanghai", 1, 2, 3)
	x.SetTrait("city", "beijing", 4)
	x.Tag("plan:pro", 1, 2, 4, 5)
	pro, _ := x.Eval(context.Background(), now, segment.Must("plan:pro"), nil)
	shares, _ := x.Breakdown(pro, "city")
	for _, s := range shares {
		if s.None {
			s.Value = "(no city)"
		}
		fmt.Printf("%s %d %.2f\n", s.Value, s.Count, s.Fraction)
	}
	// Output:
	// shanghai 2 0.50
	// beijing 1 0.25
	// (no city) 1 0.25
}

func ExampleIndex_Distinguish() {
	x, _ := segment.NewIndex()
	for p := uint32(0); p < 100; p++ {
		x.SetTrait("channel", []string{"web", "store"}[p%2], p)
		if p%10 == 0 {
			x.Tag("referred", p)
		}
	}
	// Buyers: mostly referred store customers.
	buyers := roaring.BitmapOf(0, 10, 20, 30, 40, 2, 4)
	lifts, _ := x.Distinguish(buyers, 2, 3)
	for _, l := range lifts {
		fmt.Printf("%s:%s lift %.1f (%d of %d buyers)\n", l.Key, l.Value, l.Lift, l.InAudience, buyers.GetCardinality())
	}
	// Output:
	// tag:referred lift 7.1 (5 of 7 buyers)
	// channel:web lift 2.0 (7 of 7 buyers)
}

func ExampleOpen() {
	dir, err := os.MkdirTemp("", "segment-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	x, _ := segment.NewIndex()
	x.Tag("plan:pro", 1, 2, 3)
	store, _ := segment.OpenFileStore(dir, nil)
	if err := x.SaveTo(store, "base.snap"); err != nil {
		fmt.Println(err)
		return
	}
	y, err := segment.Open(filepath.Join(dir, "base.snap"), &segment.OpenOptions{Map: true}) // mapped read-only: never rewrite the file in place meanwhile
	if err != nil {
		fmt.Println(err)
		return
	}
	defer y.Close()
	n, _ := y.Count(context.Background(), now, segment.Must("plan:pro"), nil)
	fmt.Println(n)
	// Output: 3
}

func ExampleDecodeBitmap() {
	// Bytes as CRoaring's roaring_bitmap_portable_serialize writes {1, 2, 3, 1000000}.
	data := []byte{0x3a, 0x30, 0, 0, 2, 0, 0, 0, 0, 0, 2, 0, 0x0f, 0, 0, 0, 0x18, 0, 0, 0, 0x1e, 0, 0, 0, 1, 0, 2, 0, 3, 0, 0x40, 0x42}
	b, err := segment.DecodeBitmap(data)
	fmt.Println(b, err)
	_, err = segment.DecodeBitmap(data[:len(data)-1])
	fmt.Println(err)
	// Output:
	// {1,2,3,1000000} <nil>
	// segment: decode: bitmap at offset 0: offset 30: container 1 (key 15): truncated array of 1 value: corrupt data
}
