package funnel_test

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/clientele-go/clientele/funnel"
)

// Conversion by week of entry: did last week's change help?
func ExampleTrend_Run() {
	tr := funnel.Trend{
		Spec: funnel.Spec{Steps: []funnel.Step{{Name: "visit"}, {Name: "signup"}}, Window: 7 * 24 * time.Hour},
		By:   funnel.Week,
	}
	var events []funnel.Event
	for p := uint32(1); p <= 20; p++ {
		week := time.Duration(p%2) * 7 * 24 * time.Hour // even profiles week 0, odd week 1
		visit := funnel.Event{Profile: p, Time: t0.Add(week), Name: "visit"}
		events = append(events, visit)
		if p%2 == 1 && p%3 != 0 || p%2 == 0 && p%5 == 0 {
			events = append(events, funnel.Event{Profile: p, Time: visit.Time.Add(time.Duration(p) * time.Hour), Name: "signup"})
		}
	}
	res, err := tr.Run(events)
	if err != nil {
		panic(err)
	}
	for _, pd := range res.Periods {
		c, ttc := pd.Conversion, pd.TimeToConvert
		fmt.Printf("week of %s: %d entered, %.0f%% [%.0f%%, %.0f%%] converted, median %v [%v, %v]\n",
			pd.Start.Format("Jan 2"), pd.Entered, 100*c.Estimate, 100*c.Lo, 100*c.Hi, ttc.Median, ttc.Lo, ttc.Hi)
	}
	// Output:
	// week of Jun 2: 10 entered, 20% [6%, 51%] converted, median 15h0m0s [10h0m0s, 20h0m0s]
	// week of Jun 9: 10 entered, 70% [40%, 89%] converted, median 11h0m0s [1h0m0s, 19h0m0s]
}

// Shards compute partials that merge, here through their binary encoding.
func ExampleTrend_Partial() {
	tr := funnel.Trend{Spec: funnel.Spec{Steps: []funnel.Step{{Name: "visit"}, {Name: "buy"}}}, By: funnel.Day}
	a, _ := tr.Partial([]funnel.Event{ev(1, 0, "visit"), ev(1, 30, "buy")})
	b, _ := tr.PartialSeq(slices.Values([]funnel.Event{ev(2, 0, "visit"), ev(3, 0, "visit"), ev(3, 90, "buy")}))
	data, _ := b.MarshalBinary()
	b2, err := tr.NewPartial() // a partial of this Trend, to decode into
	if err != nil {
		panic(err)
	}
	if err := b2.UnmarshalBinary(data); err != nil {
		panic(err)
	}
	if err := a.Merge(b2); err != nil {
		panic(err)
	}
	res, err := a.Result()
	if err != nil {
		panic(err)
	}
	pd := res.Periods[0]
	fmt.Println(pd.Start.Format(time.DateOnly), pd.Entered, pd.Conversion.K, pd.TimeToConvert.Median)
	// A partial knows the profiles it counted: a shard merged again is refused.
	err = a.Merge(b2)
	fmt.Println(errors.Is(err, funnel.ErrInvalid), err)
	// Output:
	// 2025-06-02 3 2 1h0m0s
	// true funnel: invalid input: merge a trend partial: 2 profiles are in both partials; shards must hold disjoint profiles (was a shard merged twice?)
}

// RunBatch reads a columnar batch; steps are matched once per distinct name.
func ExampleTrend_RunBatch() {
	var b funnel.Batch
	for _, e := range []funnel.Event{ev(1, 0, "visit"), ev(1, 5, "buy"), ev(2, 60*24, "visit")} {
		b.Append(e)
	}
	tr := funnel.Trend{Spec: funnel.Spec{Steps: []funnel.Step{{Name: "visit"}, {Name: "buy"}}}, By: funnel.Day}
	res, _ := tr.RunBatch(&b)
	for _, pd := range res.Periods {
		fmt.Println(pd.Start.Format(time.DateOnly), pd.Entered, pd.Steps[1].K)
	}
	// Output:
	// 2025-06-02 1 1
	// 2025-06-03 1 0
}
