package funnel_test

import (
	"fmt"
	"iter"
	"slices"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/clientele-go/clientele/funnel"
)

// checkout is the funnel of the examples in this file.
var checkout = funnel.Spec{
	Steps:  []funnel.Step{{Name: "visit"}, {Name: "cart"}, {Name: "purchase"}},
	Window: 24 * time.Hour,
}

// checkoutEvents are three profiles' events, each profile's together (in any time
// order within it), as an export ordered by profile delivers them.
var checkoutEvents = []funnel.Event{
	ev(1, 30, "purchase"), ev(1, 0, "visit"), ev(1, 10, "cart"),
	ev(2, 0, "visit"), ev(2, 5, "cart"),
	ev(3, 0, "visit"), ev(3, 60*25, "cart"), // a day and an hour later: outside the window
}

// RunSeq reads a stream grouped by profile, holding one profile's events at a time: a
// database cursor ordered by profile, say. Its answer is Run's.
func ExampleSpec_RunSeq() {
	res, err := checkout.RunSeq(slices.Values(checkoutEvents))
	if err != nil {
		panic(err)
	}
	for _, s := range res.Steps {
		fmt.Println(s.Name, s.Unique)
	}
	// A profile that comes back after another's events is refused, not miscounted.
	var interleaved iter.Seq[funnel.Event] = slices.Values([]funnel.Event{ev(1, 0, "visit"), ev(2, 0, "visit"), ev(1, 5, "cart")})
	_, err = checkout.RunSeq(interleaved)
	fmt.Println(err != nil)
	// Output:
	// visit 3
	// cart 2
	// purchase 1
	// true
}

// RunBatch reads columns (a Batch), in parallel: the fast path for millions of events.
// Append builds one from events; a column store would fill the columns directly.
func ExampleSpec_RunBatch() {
	var b funnel.Batch
	for _, e := range checkoutEvents {
		if err := b.Append(e); err != nil {
			panic(err)
		}
	}
	res, err := checkout.RunBatch(&b)
	if err != nil {
		panic(err)
	}
	for _, s := range res.Steps {
		fmt.Printf("%s %d (%.3f of the first step)\n", s.Name, s.Unique, s.FromFirst.Estimate)
	}
	// Output:
	// visit 3 (1.000 of the first step)
	// cart 2 (0.667 of the first step)
	// purchase 1 (0.333 of the first step)
}

// Partials of two shards of profiles (each shard holding every event of its profiles),
// merged, give the figures one Run over all the events gives.
func ExampleSpec_Partial() {
	shard1, _ := checkout.Partial(checkoutEvents[:5]) // profiles 1 and 2
	shard2, _ := checkout.Partial(checkoutEvents[5:]) // profile 3
	if err := shard1.Merge(shard2); err != nil {
		panic(err)
	}
	merged, _ := shard1.Result()
	whole, _ := checkout.Run(checkoutEvents)
	for i := range whole.Steps {
		m, w := merged.Steps[i], whole.Steps[i]
		fmt.Println(m.Name, m.Unique, w.Unique, m.Converted.Equals(w.Converted))
	}
	// Output:
	// visit 3 3 true
	// cart 2 2 true
	// purchase 1 1 true
}

// Run builds the retention table; Retained[k] counts the cohort's members who
// returned in period k after joining, column 0 being the cohort itself. Observation
// ends with the latest event (AsOf unset), in the morning of June 5: the cells of
// periods not over by then are marked incomplete, as they may still grow.
func ExampleCohorts_Run() {
	day := 24 * 60
	tab, err := funnel.Cohorts{
		Start: funnel.Step{Name: "signup"}, Return: funnel.Step{Name: "visit"},
		By: funnel.Day, Periods: 3,
	}.Run([]funnel.Event{
		ev(1, 0, "signup"), ev(1, day, "visit"), ev(1, 3*day, "visit"),
		ev(2, 60, "signup"), ev(2, 2*day, "visit"),
		ev(3, day, "signup"), ev(3, 2*day, "visit"),
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(tab.Columns)
	for _, c := range tab.Cohorts {
		fmt.Println(c.Start.Format(time.DateOnly), c.Size, c.Retained, c.Complete)
	}
	// Output:
	// [0 1 2 3]
	// 2025-06-02 2 [2 1 1 1] [true true true false]
	// 2025-06-03 1 [1 1 0 0] [true true false false]
}

// Run places each profile on the ladder (stranger, visitor, user, customer, repeat
// customer, advocate) and, apart from the rung, notes dormancy: the Journeys answer
// for any instant.
func ExampleLifecycle_Run() {
	day := 24 * 60
	j, err := funnel.Lifecycle{}.Run([]funnel.Event{
		ev(1, 0, "visit"), ev(1, 2*day, "visit"), // a user: two visits within 30 days
		ev(2, 0, "visit"), ev(2, day, "purchase"), ev(2, 9*day, "purchase"),
		ev(3, 5*day, "visit"),
	})
	if err != nil {
		panic(err)
	}
	at := t0.Add(10 * 24 * time.Hour)
	fmt.Println(j.Profiles(), "profiles")
	for p := uint32(1); p <= 4; p++ {
		fmt.Println(p, j.StageAt(at, p))
	}
	// Output:
	// 3 profiles
	// 1 user
	// 2 repeat_customer
	// 3 visitor
	// 4 stranger
}

// StageAt asks where one profile stood at an instant; Transitions counts how the whole
// base moved between two instants, the matrix behind a lifecycle Sankey chart.
func ExampleJourneys_Transitions() {
	day := 24 * 60
	j, _ := funnel.Lifecycle{}.Run([]funnel.Event{
		ev(1, 0, "visit"), ev(1, 3*day, "purchase"),
		ev(2, 0, "visit"),
		ev(3, 0, "visit"), ev(3, 4*day, "visit"),
	})
	from, to := t0.Add(24*time.Hour), t0.Add(5*24*time.Hour)
	fmt.Println(j.StageAt(from, 1), "→", j.StageAt(to, 1))
	m := j.Transitions(from, to)
	for a := range funnel.NumStages {
		for b := range funnel.NumStages {
			if m[a][b] > 0 {
				fmt.Printf("%s → %s: %d\n", funnel.Stage(a), funnel.Stage(b), m[a][b])
			}
		}
	}
	// Output:
	// visitor → customer
	// visitor → visitor: 1
	// visitor → user: 1
	// visitor → customer: 1
}

// Median is the typical time between steps, robust to the few who took days.
func ExampleDurations_Median() {
	spec := funnel.Spec{Steps: []funnel.Step{{Name: "visit"}, {Name: "purchase"}}, Window: 7 * 24 * time.Hour}
	res, _ := spec.Run([]funnel.Event{
		ev(1, 0, "visit"), ev(1, 4, "purchase"),
		ev(2, 0, "visit"), ev(2, 10, "purchase"),
		ev(3, 0, "visit"), ev(3, 3*24*60, "purchase"), // three days later
	})
	d := res.Steps[1].TimeFromPrevious
	fmt.Println(d, d.Median())
	// Output: [4m0s 10m0s 72h0m0s] 10m0s
}

// At reads a time-to-convert curve at any duration, between its steps too: the
// share not yet converted after t.
func ExampleSurvival_At() {
	spec := funnel.Spec{Steps: []funnel.Step{{Name: "visit"}, {Name: "purchase"}}, Window: time.Hour, AsOf: t0.Add(3 * time.Hour)}
	res, _ := spec.Run([]funnel.Event{
		ev(1, 0, "visit"), ev(1, 10, "purchase"),
		ev(2, 0, "visit"), ev(2, 40, "purchase"),
		ev(3, 0, "visit"),
		ev(4, 0, "visit"),
	})
	km, _ := res.TimeToConvert(0.95)
	for _, t := range []time.Duration{5 * time.Minute, 10 * time.Minute, 30 * time.Minute, time.Hour} {
		fmt.Printf("after %v: %.3f not yet converted\n", t, km.At(t))
	}
	// Output:
	// after 5m0s: 1.000 not yet converted
	// after 10m0s: 0.750 not yet converted
	// after 30m0s: 0.750 not yet converted
	// after 1h0m0s: 0.500 not yet converted
}

// Split divides an audience into the held-out profiles and the rest, the same way on
// every server and rerun: send the campaign to rest only, and compare the two later.
func ExampleHoldout_Split() {
	h := funnel.Holdout{Share: 0.1, Salt: "winter-sale"}
	audience := roaring.New()
	audience.AddRange(1, 10_001)
	held, rest, err := h.Split(audience)
	if err != nil {
		panic(err)
	}
	fmt.Println(held.GetCardinality()+rest.GetCardinality() == audience.GetCardinality(), held.Intersects(rest))
	fmt.Printf("held out: %.2f\n", float64(held.GetCardinality())/float64(audience.GetCardinality()))
	fmt.Println(held.Contains(held.Minimum()) == h.Contains(held.Minimum()))
	_, _, err = funnel.Holdout{Share: 1.5}.Split(audience)
	fmt.Println(err)
	// Output:
	// true false
	// held out: 0.10
	// true
	// funnel: invalid input: holdout share 1.5 outside (0, 1)
}
