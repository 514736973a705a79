package funnel_test

import (
	"fmt"
	"slices"
	"time"

	"github.com/clientele-go/clientele/funnel"
)

var t0 = time.Date(2025, 6, 2, 9, 0, 0, 0, time.UTC)

func ev(profile uint32, minutes int, name string) funnel.Event {
	return funnel.Event{Profile: profile, Time: t0.Add(time.Duration(minutes) * time.Minute), Name: name}
}

// The shortest useful program: how far did people get through signup?
func Example() {
	spec := funnel.Spec{
		Steps:  []funnel.Step{{Name: "visit"}, {Name: "signup"}, {Name: "purchase"}},
		Window: 24 * time.Hour,
	}
	res, err := spec.Run([]funnel.Event{
		ev(1, 0, "visit"), ev(1, 5, "signup"), ev(1, 30, "purchase"),
		ev(2, 0, "visit"), ev(2, 9, "signup"),
		ev(3, 0, "visit"),
	})
	if err != nil {
		panic(err)
	}
	for _, s := range res.Steps {
		fmt.Printf("%-8s %d  %.0f%% of the previous step\n", s.Name, s.Unique, 100*s.FromPrevious.Estimate)
	}
	// Output:
	// visit    3  100% of the previous step
	// signup   2  67% of the previous step
	// purchase 1  50% of the previous step
}

// Level equals ClickHouse's windowFunnel: here the window closes before the purchase.
func ExampleSpec_Level() {
	spec := funnel.Spec{Steps: []funnel.Step{{Name: "visit"}, {Name: "signup"}, {Name: "purchase"}}, Window: time.Hour}
	events := []funnel.Event{ev(1, 0, "visit"), ev(1, 20, "signup"), ev(1, 90, "purchase")}
	fmt.Println(spec.Level(events))
	spec.Mode = funnel.StrictOrder
	fmt.Println(spec.Level([]funnel.Event{ev(1, 0, "visit"), ev(1, 5, "help"), ev(1, 10, "signup")}))
	// Output:
	// 2
	// 1
}

// Run reports unique and total counts, the profiles that dropped, times between steps
// and intervals; Compare tells whether a variant converts better.
func ExampleSpec_Run() {
	spec := funnel.Spec{Steps: []funnel.Step{{Name: "visit"}, {Name: "purchase"}}, Window: 7 * 24 * time.Hour}
	var a, b []funnel.Event
	for p := uint32(1); p <= 200; p++ {
		a = append(a, ev(p, 0, "visit"))
		b = append(b, ev(p, 0, "visit"))
		if p%10 == 0 { // 10% buy in variant A
			a = append(a, ev(p, int(p), "purchase"))
		}
		if p%5 == 0 { // 20% in variant B
			b = append(b, ev(p, int(p), "purchase"))
		}
	}
	resA, _ := spec.Run(a)
	resB, _ := spec.Run(b)
	buy := resB.Steps[1]
	fmt.Printf("B: %d of %d bought, 95%% CI [%.3f, %.3f], median %v after the visit\n",
		buy.Unique, resB.Steps[0].Unique, buy.FromFirst.Lo, buy.FromFirst.Hi, buy.TimeFromPrevious.Median())
	fmt.Println("dropped in A:", resA.Steps[1].Dropped.GetCardinality())
	c, _ := funnel.Compare(resA.Steps[1].FromFirst, resB.Steps[1].FromFirst, 0.95)
	fmt.Printf("B - A = %.2f [%.3f, %.3f], p = %.4f\n", c.Difference, c.Lo, c.Hi, c.P)
	// Output:
	// B: 40 of 200 bought, 95% CI [0.150, 0.261], median 1h42m30s after the visit
	// dropped in A: 180
	// B - A = 0.10 [0.030, 0.170], p = 0.0051
}

// Time to convert as a Kaplan-Meier curve: the profile that entered ten minutes before
// the end is censored, not counted as lost.
func ExampleResult_TimeToConvert() {
	spec := funnel.Spec{Steps: []funnel.Step{{Name: "visit"}, {Name: "purchase"}}, Window: time.Hour, AsOf: t0.Add(3 * time.Hour)}
	res, _ := spec.Run([]funnel.Event{
		ev(1, 0, "visit"), ev(1, 10, "purchase"),
		ev(2, 0, "visit"), ev(2, 40, "purchase"),
		ev(3, 0, "visit"),
		ev(4, 170, "visit"),
	})
	km, _ := res.TimeToConvert(0.95)
	for i, t := range km.Time {
		fmt.Printf("%v: %d at risk, %d converted, %.0f%% converted so far\n", t, km.AtRisk[i], km.Events[i], 100*(1-km.S[i]))
	}
	// Output:
	// 10m0s: 4 at risk, 1 converted, 25% converted so far
	// 40m0s: 2 at risk, 1 converted, 62% converted so far
}

// Retention is ClickHouse's retention(): did the profile come back for each condition?
// Cohorts builds the table by week.
func ExampleCohorts() {
	fmt.Println(funnel.Retention([]funnel.Event{ev(1, 0, "signup"), ev(1, 60*24*8, "visit")},
		funnel.Step{Name: "signup"}, funnel.Step{Name: "visit"}, funnel.Step{Name: "purchase"}))
	week := 7 * 24 * 60
	tab, _ := funnel.Cohorts{Start: funnel.Step{Name: "signup"}, By: funnel.Week, Periods: 2}.Run([]funnel.Event{
		ev(1, 0, "signup"), ev(1, week, "visit"), ev(1, 2*week, "visit"),
		ev(2, 60, "signup"), ev(2, 2*week, "visit"),
		ev(3, week, "signup"), ev(3, 2*week+60, "visit"),
	})
	fmt.Println(tab.Columns)
	for _, c := range tab.Cohorts {
		fmt.Println(c.Start.Format("2006-01-02"), c.Size, c.Retained)
	}
	// Output:
	// [true true false]
	// [0 1 2]
	// 2025-06-02 2 [2 1 2]
	// 2025-06-09 1 [1 1 0]
}

// Lifecycle places profiles on the road from stranger to advocate.
func ExampleLifecycle() {
	day := 24 * 60
	j, _ := funnel.Lifecycle{}.Run([]funnel.Event{
		ev(1, 0, "visit"), ev(1, 3*day, "visit"), ev(1, 4*day, "purchase"),
		ev(2, 0, "visit"),
	})
	for _, d := range []int{1, 5, 45} {
		at := t0.Add(time.Duration(d*day) * time.Minute)
		fmt.Println(d, j.StageAt(at, 1), j.StageAt(at, 2))
	}
	// Output:
	// 1 visitor visitor
	// 5 customer visitor
	// 45 dormant dormant
}

// RunBatch reads columns; here the referrals come as a map from referred profile to
// referrer, as a referral ledger holds them (a "referrer" property column would do as
// well). Profile 1 buys, then profile 2, whom it brought, comes back: 1 becomes an
// advocate.
func ExampleLifecycle_RunBatch() {
	day := int64(24 * time.Hour)
	start := t0.UnixNano()
	b := &funnel.Batch{
		Profile: []uint32{1, 1, 1, 2, 2},
		Time:    []int64{start, start + 2*day, start + 3*day, start + 4*day, start + 6*day},
		Event:   []uint32{0, 0, 1, 0, 0},
		Names:   []string{"visit", "purchase"},
	}
	j, err := funnel.Lifecycle{}.RunBatch(b, map[uint32]uint32{2: 1})
	if err != nil {
		panic(err)
	}
	for _, d := range []int64{3, 6} {
		at := time.Unix(0, start+d*day)
		fmt.Println("day", d, j.StageAt(at, 1), j.StageAt(at, 2))
	}
	// Output:
	// day 3 customer stranger
	// day 6 advocate user
}

// RunSeq reads a stream grouped by profile, holding one profile's events at a time.
func ExampleLifecycle_RunSeq() {
	day := 24 * 60
	events := []funnel.Event{
		ev(1, 0, "visit"), ev(1, 2*day, "visit"), ev(1, 2*day+5, "purchase"),
		ev(2, day, "visit"),
	}
	j, err := funnel.Lifecycle{}.RunSeq(slices.Values(events))
	if err != nil {
		panic(err)
	}
	stages := j.Stages(t0.Add(3 * 24 * time.Hour))
	fmt.Println("customers", stages[funnel.Customer].ToArray(), "visitors", stages[funnel.Visitor].ToArray())
	// Output:
	// customers [1] visitors [2]
}

// Shards of profiles are built apart (here as if on two machines, through bytes) and
// merged: the referrer is in one shard and the profile it brought in the other, and
// the merge still finds the advocate.
func ExampleMergeJourneys() {
	day := 24 * 60
	l := funnel.Lifecycle{}
	shardA, _ := l.Run([]funnel.Event{ev(1, 0, "visit"), ev(1, day, "purchase")})
	invited := ev(2, 2*day, "visit")
	invited.Props = map[string]string{"referrer": "1"}
	shardB, _ := l.Run([]funnel.Event{invited, ev(2, 3*day, "visit")})
	data, _ := shardB.MarshalBinary()
	fromB, err := l.NewJourneys() // journeys of this Lifecycle, to decode into
	if err != nil {
		panic(err)
	}
	if err := fromB.UnmarshalBinary(data); err != nil {
		panic(err)
	}
	all, err := funnel.MergeJourneys(shardA, fromB)
	if err != nil {
		panic(err)
	}
	at := t0.Add(4 * 24 * time.Hour)
	fmt.Println(all.Profiles(), "profiles; profile 1 alone:", shardA.StageAt(at, 1), "merged:", all.StageAt(at, 1))
	// Output:
	// 2 profiles; profile 1 alone: customer merged: advocate
}

// RunSeq builds a cohort table from a stream grouped by profile.
func ExampleCohorts_RunSeq() {
	week := 7 * 24 * 60
	events := []funnel.Event{
		ev(1, 0, "signup"), ev(1, week, "visit"),
		ev(2, 60, "signup"), ev(2, 2*week, "visit"),
	}
	tab, err := funnel.Cohorts{Start: funnel.Step{Name: "signup"}, By: funnel.Week, Periods: 2, Retention: funnel.OnOrAfter}.RunSeq(slices.Values(events))
	if err != nil {
		panic(err)
	}
	for _, c := range tab.Cohorts {
		fmt.Println(c.Start.Format("2006-01-02"), c.Size, c.Retained)
	}
	// Output:
	// 2025-06-02 2 [2 2 1]
}

// Shards of profiles computed apart, one from a stream and one from a slice and sent as
// bytes, merge into the Result of one pass over every event.
func ExampleSpec_PartialSeq() {
	spec := funnel.Spec{Steps: []funnel.Step{{Name: "visit"}, {Name: "purchase"}}, Window: 24 * time.Hour}
	shardA, err := spec.PartialSeq(slices.Values([]funnel.Event{ev(1, 0, "visit"), ev(1, 30, "purchase"), ev(2, 5, "visit")}))
	if err != nil {
		panic(err)
	}
	shardB, _ := spec.Partial([]funnel.Event{ev(3, 10, "visit"), ev(3, 100, "purchase")})
	data, _ := shardB.MarshalBinary()
	fromB, err := spec.NewPartial() // a partial of this Spec, to decode into
	if err != nil {
		panic(err)
	}
	if err := fromB.UnmarshalBinary(data); err != nil {
		panic(err)
	}
	if err := shardA.Merge(fromB); err != nil {
		panic(err)
	}
	res, err := shardA.Result()
	if err != nil {
		panic(err)
	}
	buy := res.Steps[1]
	fmt.Println(buy.Unique, "of", res.Steps[0].Unique, "bought; profiles", buy.Converted.ToArray(), "median", buy.TimeFromFirst.Median())
	// Output:
	// 2 of 3 bought; profiles [1 3] median 1h0m0s
}

// Every analysis shards the same way: each machine computes a Partial of its profiles
// and sends its bytes; the receiver decodes them into the empty partial of the same
// analysis (NewPartial), merges, and asks for the Result. Bytes of another analysis are
// refused.
func ExamplePartial() {
	c := funnel.Cohorts{Start: funnel.Step{Name: "signup"}, Return: funnel.Step{Name: "visit"}, By: funnel.Day, Periods: 1}
	shard1, _ := c.Partial([]funnel.Event{ev(1, 0, "signup"), ev(1, 24*60, "visit")})
	shard2, _ := c.PartialSeq(slices.Values([]funnel.Event{ev(2, 10, "signup")}))
	data, _ := shard2.MarshalBinary()

	merged, err := c.NewPartial()
	if err != nil {
		panic(err)
	}
	if err := merged.UnmarshalBinary(data); err != nil {
		panic(err)
	}
	if err := merged.Merge(shard1); err != nil {
		panic(err)
	}
	tab, err := merged.Result()
	if err != nil {
		panic(err)
	}
	fmt.Println(tab.Cohorts[0].Size, tab.Cohorts[0].Retained)

	trend, _ := funnel.Trend{Spec: funnel.Spec{Steps: []funnel.Step{{Name: "signup"}}}}.Partial(nil)
	wrong, _ := trend.MarshalBinary()
	fmt.Println(merged.UnmarshalBinary(wrong))
	// Output:
	// 2 [2 1]
	// funnel: partials of different specs: decode cohort partial: the bytes are a trend partial
}
