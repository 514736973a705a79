package segment_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"
	_ "time/tzdata" // Asia/Shanghai wherever the example runs

	"github.com/clientele-go/clientele/segment"
)

// A query that names an event, trait key or numeric field the index has never seen is
// an error, not an empty answer, so that a typo is caught rather than matching no one.
// A host that saves segments before the data arrives (a new shop, a new event) declares
// the names with WithEvents, WithTraits and WithNumber.
func ExampleWithEvents() {
	ctx := context.Background()
	q := segment.Must("plan:pro AND did(purchase, 90d) AND spend > 0")
	x, _ := segment.NewIndex()
	_, err := x.Eval(ctx, now, q, nil)
	fmt.Println(err)

	y, _ := segment.NewIndex(segment.WithEvents("purchase"), segment.WithTraits("plan"), segment.WithNumber("spend", segment.MergeSum))
	r, err := y.Eval(ctx, now, q, nil)
	fmt.Println(r, err)
	_, err = y.Eval(ctx, now, segment.Must("did(purchse, 90d)"), nil)
	fmt.Println(err)
	// Output:
	// segment: query at line 1, column 1: unknown trait key "plan"
	// {} <nil>
	// segment: query at line 1, column 5: unknown event "purchse" (did you mean purchase?)
}

// Each numeric field combines by its own rule when identity merges two profiles:
// spend adds up, the tier keeps the highest, the first order keeps the earliest, and a
// field not declared keeps the survivor's value.
func ExampleWithNumber() {
	x, _ := segment.NewIndex(
		segment.WithNumber("spend", segment.MergeSum),
		segment.WithNumber("tier", segment.MergeMax),
		segment.WithNumber("first_order", segment.MergeMin), // yyyymmdd
	)
	for _, f := range []struct {
		field string
		a, b  int64
	}{{"spend", 12000, 4500}, {"tier", 1, 3}, {"first_order", 20250310, 20240102}, {"age", 34, 43}} {
		x.SetNumber(f.field, 1, f.a)
		x.SetNumber(f.field, 2, f.b)
	}
	x.ApplyMerge(1, 2)
	for _, field := range []string{"spend", "tier", "first_order", "age"} {
		v, _ := x.Number(field, 1)
		fmt.Println(field, v)
	}
	_, err := segment.NewIndex(segment.WithNumber("spend", segment.MergeSum), segment.WithNumber("spend", segment.MergeMax))
	fmt.Println(err)
	// Output:
	// spend 16500
	// tier 3
	// first_order 20240102
	// age 34
	// segment: invalid input: WithNumber("spend", max): field already declared with rule sum
}

// Behaviour is bucketed by calendar day in the index's location. Two visits three hours
// apart, at 14:30 and 17:30 UTC, are on one UTC day and on two days in Shanghai, where
// the second is already after midnight: "came back on another day" depends on whose
// days. A zone is given by name, so that a snapshot can record it.
func ExampleWithLocation() {
	shanghai, _ := time.LoadLocation("Asia/Shanghai")
	visits := []time.Time{
		time.Date(2026, 11, 20, 14, 30, 0, 0, time.UTC),
		time.Date(2026, 11, 20, 17, 30, 0, 0, time.UTC),
	}
	returning := segment.Must("days(visit, 7d) >= 2")
	for _, loc := range []*time.Location{time.UTC, shanghai} {
		x, _ := segment.NewIndex(segment.WithLocation(loc))
		for _, at := range visits {
			x.Record(at, 1, "visit")
		}
		r, _ := x.Eval(context.Background(), now, returning, nil)
		fmt.Println(loc, r)
	}
	// Output:
	// UTC {}
	// Asia/Shanghai {1}
}

// With a retention of 30 days, Expire drops the daily counts older than that: a window
// reaching further back is refused (ErrRetention) rather than answered from partial
// data, while did, first and lapsed still know who was ever active.
func ExampleWithRetention() {
	ctx := context.Background()
	x, _ := segment.NewIndex(segment.WithRetention(30))
	x.Record(daysAgo(40), 1, "visit")
	x.Record(daysAgo(2), 2, "visit")
	fmt.Println("day bitmaps dropped:", x.Expire(now))
	for _, expr := range []string{"did(visit)", "did(visit, 7d)", "lapsed(visit, 7d)", "count(visit, 60d) >= 1"} {
		r, err := x.Eval(ctx, now, segment.Must(expr), nil)
		if errors.Is(err, segment.ErrRetention) {
			fmt.Println(expr, "→", err)
			continue
		}
		fmt.Println(expr, "→", r)
	}
	// Output:
	// day bitmaps dropped: 1
	// did(visit) → {1,2}
	// did(visit, 7d) → {2}
	// lapsed(visit, 7d) → {1}
	// count(visit, 60d) >= 1 → segment: query at line 1, column 1: window of 60 days is longer than the retention of 30 days
}

// DefaultBudget is what an evaluation given no budget may spend. A server taking
// queries from users starts from it, tightens what it must, and passes one Budget to
// every evaluation of a request: each spends from it, so the request as a whole is
// bounded. The evaluation that runs out is charged too, leaving a field negative, so
// every later one of the request is refused.
func ExampleDefaultBudget() {
	ctx := context.Background()
	x, _ := segment.NewIndex()
	for d := range 60 {
		x.Record(daysAgo(d), uint32(1+d%4), "visit")
	}
	b := segment.DefaultBudget()
	fmt.Printf("default: %+v\n", b)
	b.Days = 100 // a request may read at most 100 daily bitmaps
	for _, expr := range []string{"count(visit, 30d) >= 5", "days(visit, 60d) >= 10", "did(visit, 30d)"} {
		r, err := x.Eval(ctx, now, segment.Must(expr), &segment.EvalOptions{Budget: &b})
		fmt.Println(expr, "→", r, err)
	}
	fmt.Printf("left: %+v\n", b)
	// Output:
	// default: {Terms:1000 Days:100000 Ops:1000000}
	// count(visit, 30d) >= 5 → {1,2,3,4} <nil>
	// days(visit, 60d) >= 10 → {1,2,3,4} <nil>
	// did(visit, 30d) → <nil> segment: over budget: the query reads more than the 10 daily bitmaps left in its budget
	// left: {Terms:997 Days:-20 Ops:998773}
}

// Must suits queries fixed in the program, parsed once at start-up; a query that comes
// from a user goes through Parse, whose error says what is wrong and where.
func ExampleMust() {
	active := segment.Must("count(visit, 30d) >= 2")
	fmt.Println(active)
	defer func() { fmt.Println("panic:", recover()) }()
	segment.Must("count(visit, 30d) >=")
	// Output:
	// count(visit, 30d) >= 2
	// panic: segment: parse at line 1, column 21: expected an integer, found end of input
}

// A Store the host writes over its own storage checks each name with CheckName
// first, so that it accepts exactly the names every Store does: a snapshot saved in
// one store can then be copied to any other.
func ExampleCheckName() {
	for _, name := range []string{"index", "index-2026-11-23.snap", ".tmp", "daily/index", ""} {
		fmt.Printf("%q: %v\n", name, segment.CheckName(name))
	}
	// Output:
	// "index": <nil>
	// "index-2026-11-23.snap": <nil>
	// ".tmp": segment: invalid input: store name ".tmp": want 1 to 128 letters, digits, '.', '_' or '-', not starting with '.'
	// "daily/index": segment: invalid input: store name "daily/index": want 1 to 128 letters, digits, '.', '_' or '-', not starting with '.'
	// "": segment: invalid input: store name "": want 1 to 128 letters, digits, '.', '_' or '-', not starting with '.'
}

// A FileStore keeps each blob as a file of one directory, replaced atomically, so a
// crash leaves the old snapshot or the new one whole. The host saves an index into it
// with SaveTo, loads it with Load, and lists and deletes old snapshots itself.
func ExampleOpenFileStore() {
	dir, err := os.MkdirTemp("", "segment-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	store, err := segment.OpenFileStore(dir, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	x, _ := segment.NewIndex()
	x.Tag("plan:pro", 1, 2)
	for _, name := range []string{"index-2026-11-22", "index-2026-11-23"} {
		if err := x.SaveTo(store, name); err != nil {
			fmt.Println(err)
			return
		}
	}
	names, _ := store.List()
	fmt.Println(names)
	store.Delete(names[0]) // keep the latest only
	y, err := segment.Load(store, names[1])
	if err != nil {
		fmt.Println(err)
		return
	}
	n, _ := y.Count(context.Background(), now, segment.Must("plan:pro"), nil)
	names, _ = store.List()
	fmt.Println(names, n)
	_, err = store.Get("index-2026-11-22")
	fmt.Println(errors.Is(err, segment.ErrNotFound))
	// Output:
	// [index-2026-11-22 index-2026-11-23]
	// [index-2026-11-23] 2
	// true
}

// Saved segments are named queries that others reference as segment:name. Members
// holds who was in a segment at the last Refresh; redefining a segment keeps its
// members, so the next Refresh reports only the difference the new definition makes.
// A segment that would reference itself, even through another, is refused.
func ExampleIndex_Save() {
	x, _ := segment.NewIndex()
	x.SetNumber("spend", 1, 300)
	x.SetNumber("spend", 2, 120)
	x.SetNumber("spend", 3, 40)
	x.Save("big spenders", segment.Must("spend >= 100"))
	x.Save("to thank", segment.Must("segment:\"big spenders\""))
	x.Refresh(now)
	m, _ := x.Members("big spenders")
	fmt.Println(x.Segments(), m)

	x.Save("big spenders", segment.Must("spend >= 200")) // raised the bar
	changes, _ := x.Refresh(now)
	for _, c := range changes {
		fmt.Println(c.Segment, "entered", c.Entered, "exited", c.Exited)
	}
	q, _ := x.Definition("big spenders")
	fmt.Println(q)
	fmt.Println(x.Save("big spenders", segment.Must("segment:\"to thank\"")))
	// Output:
	// [big spenders to thank] {1,2}
	// big spenders entered {} exited {2}
	// to thank entered {} exited {2}
	// spend >= 200
	// segment: query in segment "to thank" at line 1, column 1: segment "big spenders" would reference itself: big spenders -> to thank -> big spenders
}

// A categorical trait holds one value per profile: SetTrait moves a profile from its
// old value to the new one, where Tag would add a second.
func ExampleIndex_SetTrait() {
	x, _ := segment.NewIndex()
	x.SetTrait("plan", "free", 1, 2)
	x.SetTrait("plan", "pro", 2) // profile 2 upgraded
	x.Tag("plan:trial", 1)       // Tag adds: profile 1 is now free and trial
	for _, expr := range []string{"plan:free", "plan:pro", "plan:trial"} {
		r, _ := x.Eval(context.Background(), now, segment.Must(expr), nil)
		fmt.Println(expr, r)
	}
	// Output:
	// plan:free {1}
	// plan:pro {2}
	// plan:trial {1}
}
