package funnel_test

import (
	"fmt"
	"slices"
	"time"

	"github.com/clientele-go/clientele/funnel"
)

// How many days a week do people use the app, by plan? Profile 1 uses it on three days
// in its first week and none in the next; profile 2 on one day in each.
func ExampleStickiness_Run() {
	day := 24 * 60
	use := func(p uint32, d int, plan string) funnel.Event {
		e := ev(p, d*day, "use")
		e.Props = map[string]string{"plan": plan}
		return e
	}
	sk := funnel.Stickiness{Event: funnel.Step{Name: "use"}, By: funnel.Week, Breakdown: "plan"}
	res, err := sk.Run([]funnel.Event{
		use(1, 0, "pro"), use(1, 0, "pro"), use(1, 1, "pro"), use(1, 4, "pro"),
		use(2, 2, "free"), use(2, 8, "free"),
	})
	if err != nil {
		panic(err)
	}
	for _, p := range res.Periods {
		fmt.Printf("week of %s: %v, mean %.1f days\n", p.Start.Format("Jan 2"), p.Days, p.Mean())
	}
	for _, c := range res.Cohorts {
		fmt.Printf("cohort %s: %v\n", c.Start.Format("Jan 2"), c.Days)
	}
	for _, plan := range []string{"free", "pro"} {
		fmt.Printf("%s: mean %.1f days a week over the cohort\n", plan, res.Breakdown[plan].Cohorts[0].Mean())
	}
	// Output:
	// week of Jun 2: [0 1 0 1 0 0 0 0], mean 2.0 days
	// week of Jun 9: [0 1 0 0 0 0 0 0], mean 1.0 days
	// cohort Jun 2: [1 2 0 1 0 0 0 0]
	// free: mean 1.0 days a week over the cohort
	// pro: mean 1.5 days a week over the cohort
}

// RunBatch and RunSeq give the same result over a batch or a stream.
func ExampleStickiness_RunBatch() {
	events := []funnel.Event{ev(1, 0, "use"), ev(1, 2*24*60, "use"), ev(2, 0, "use")}
	var b funnel.Batch
	for _, e := range events {
		b.Append(e)
	}
	sk := funnel.Stickiness{Event: funnel.Step{Name: "use"}, By: funnel.Month, Location: time.UTC}
	res, _ := sk.RunBatch(&b)
	again, _ := sk.RunSeq(slices.Values(events))
	fmt.Println(res.Periods[0].Days[:4], again.Periods[0].Days[:4])
	// Output: [0 1 1 0] [0 1 1 0]
}

// Two shards count stickiness apart and merge, here through the binary encoding.
func ExampleStickiness_Partial() {
	sk := funnel.Stickiness{Event: funnel.Step{Name: "use"}, By: funnel.Week}
	day := 24 * 60
	a, _ := sk.Partial([]funnel.Event{ev(1, 0, "use"), ev(1, day, "use"), ev(1, 2*day, "use")})
	b, _ := sk.PartialSeq(slices.Values([]funnel.Event{ev(2, 0, "use"), ev(2, 8*day, "use")}))
	data, _ := b.MarshalBinary()
	merged, _ := sk.NewPartial()
	if err := merged.UnmarshalBinary(data); err != nil {
		panic(err)
	}
	if err := merged.Merge(a); err != nil {
		panic(err)
	}
	res, err := merged.Result()
	if err != nil {
		panic(err)
	}
	for _, p := range res.Periods {
		fmt.Println(p.Start.Format(time.DateOnly), p.Days[1:4])
	}
	// Output:
	// 2025-06-02 [1 0 1]
	// 2025-06-09 [1 0 0]
}
