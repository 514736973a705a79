package funnel_test

import (
	"fmt"
	"slices"
	"time"

	"github.com/clientele-go/clientele/funnel"
)

// sequenceMatch: did someone add to cart and pay within ten minutes of it?
func ExampleSequence_Match() {
	q := funnel.Sequence{
		Pattern:    "(?1)(?t<=600)(?2)",
		Conditions: []funnel.Step{{Name: "cart"}, {Name: "pay"}},
	}
	quick, _ := q.Match([]funnel.Event{ev(1, 0, "cart"), ev(1, 3, "view"), ev(1, 8, "pay")})
	slow, _ := q.Match([]funnel.Event{ev(2, 0, "cart"), ev(2, 45, "pay")})
	fmt.Println(quick, slow)
	// Output: true false
}

// sequenceCount: how many times did a view lead straight to a cart (no other kept
// event in between)? Events meeting no condition ("search") are dropped first.
func ExampleSequence_Count() {
	q := funnel.Sequence{Pattern: "(?1)(?2)", Conditions: []funnel.Step{{Name: "view"}, {Name: "cart"}}}
	n, _ := q.Count([]funnel.Event{
		ev(1, 0, "view"), ev(1, 1, "search"), ev(1, 2, "cart"),
		ev(1, 3, "view"), ev(1, 4, "view"), ev(1, 5, "cart"),
	})
	fmt.Println(n)
	// Output: 2
}

// Run matches each profile on its own events.
func ExampleSequence_Run() {
	q := funnel.Sequence{Pattern: "(?1).*(?2)", Conditions: []funnel.Step{{Name: "signup"}, {Name: "purchase"}}}
	res, err := q.Run([]funnel.Event{
		ev(1, 0, "signup"), ev(1, 9, "visit"), ev(1, 20, "purchase"),
		ev(2, 0, "purchase"), ev(2, 5, "signup"),
		ev(3, 0, "signup"), ev(3, 1, "purchase"), ev(3, 2, "signup"), ev(3, 3, "purchase"),
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(res.Profiles, res.Matched.ToArray(), res.Count, res.Histogram)
	// Output: 3 [1 3] 3 [1 1 1]
}

// RunBatch does the same over a columnar batch, conditions matched once per name;
// RunSeq over a stream grouped by profile.
func ExampleSequence_RunBatch() {
	var b funnel.Batch
	for _, e := range []funnel.Event{ev(1, 0, "visit"), ev(1, 2, "visit"), ev(2, 0, "visit")} {
		b.Append(e)
	}
	q := funnel.Sequence{Pattern: "(?1)(?t>=1)(?1)", Conditions: []funnel.Step{{Name: "visit"}}, Unit: time.Minute}
	res, _ := q.RunBatch(&b)
	again, _ := q.RunSeq(slices.Values([]funnel.Event{ev(1, 0, "visit"), ev(1, 2, "visit"), ev(2, 0, "visit")}))
	fmt.Println(res.Matched.ToArray(), again.Matched.ToArray())
	// Output: [1] [1]
}

// Results of disjoint shards of profiles merge; a shard merged twice (even b, in
// which no profile matched: its profile would count twice in the denominator), a nil
// result (of a Run whose error went unchecked) and a result of another Sequence are
// refused, and leave the total unchanged.
func ExampleSequenceResult_Merge() {
	q := funnel.Sequence{Pattern: "(?1)(?1)", Conditions: []funnel.Step{{Name: "visit"}}}
	a, _ := q.Run([]funnel.Event{ev(1, 0, "visit"), ev(1, 1, "visit")})
	b, _ := q.Run([]funnel.Event{ev(2, 0, "visit")})
	var total funnel.SequenceResult // the zero result is the empty one
	for _, shard := range []*funnel.SequenceResult{a, b} {
		if err := total.Merge(shard); err != nil {
			fmt.Println(err)
		}
	}
	fmt.Println(total.Profiles, total.Count, total.Matched.ToArray())

	fmt.Println(total.Merge(b))
	fmt.Println(total.Merge(nil))
	other, _ := funnel.Sequence{Pattern: "(?1)", Conditions: q.Conditions}.Run([]funnel.Event{ev(3, 0, "visit")})
	fmt.Println(total.Merge(other))
	fmt.Println(total.Profiles, total.Count, total.Matched.ToArray())
	// Output:
	// 2 1 [1]
	// funnel: invalid input: merge a SequenceResult: 1 profile counted in both results; shards must hold disjoint profiles (was a shard merged twice?)
	// funnel: invalid input: merge a nil *SequenceResult (was an error of Run left unchecked?)
	// funnel: partials of different specs: merge a SequenceResult of sequence pattern="(?1)" unit=1s conditions=["visit"] into one of sequence pattern="(?1)(?1)" unit=1s conditions=["visit"]
	// 2 1 [1]
}

// Validate names what is wrong with a pattern and where.
func ExampleSequence_Validate() {
	err := funnel.Sequence{Pattern: "(?1)(?t<=60)(?3)", Conditions: []funnel.Step{{Name: "a"}, {Name: "b"}}}.Validate()
	fmt.Println(err)
	// Output: funnel: invalid input: sequence pattern "(?1)(?t<=60)(?3)" at byte 14: condition 3 outside 1..2
}
