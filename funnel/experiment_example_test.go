package funnel_test

import (
	"fmt"
	"time"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/clientele-go/clientele/funnel"
)

// A/B test of a checkout change: 20% against 50% conversion, with the fixed-sample
// interval and the always-valid one for a team that looks every day.
func ExampleCompareGroups() {
	var events []funnel.Event
	control, treatment := roaring.New(), roaring.New()
	for p := uint32(1); p <= 400; p++ {
		events = append(events, ev(p, 0, "cart"))
		inT := p%2 == 0
		if inT {
			treatment.Add(p)
		} else {
			control.Add(p)
		}
		if !inT && p%10 < 3 || inT && p%20 < 9 {
			events = append(events, ev(p, 5, "paid"))
		}
	}
	res, _ := funnel.Spec{Steps: []funnel.Step{{Name: "cart"}, {Name: "paid"}}}.Run(events)
	ex, err := funnel.CompareGroups(res, control, treatment, &funnel.ExperimentOptions{Planned: 400})
	if err != nil {
		panic(err)
	}
	c := ex.Comparison
	fmt.Printf("control %d/%d, treatment %d/%d\n", ex.Control.K, ex.Control.N, ex.Treatment.K, ex.Treatment.N)
	fmt.Printf("difference %+.3f [%+.3f, %+.3f], p %.3f; always valid [%+.3f, %+.3f]\n", c.Difference, c.Lo, c.Hi, c.P, ex.SeqLo, ex.SeqHi)
	// Output:
	// control 40/200, treatment 100/200
	// difference +0.300 [+0.208, +0.385], p 0.000; always valid [+0.163, +0.437]
}

// Profiles per group to detect a 10% relative lift on a 5% conversion rate at α = 0.05
// with 80% power.
func ExampleSampleSize() {
	n, _ := funnel.SampleSize(0.05, 0.10, 0.05, 0.80)
	fmt.Println(n)
	// Output: 31234
}

// A holdout: a tenth of the profiles, chosen by a hash of the profile and the campaign's
// name, get no winter e-mail; the campaign's target list leaves them out. Six weeks on,
// week-1 retention of the e-mailed sign-ups is compared with the held-out ones'.
func ExampleCompareRetention() {
	h := funnel.Holdout{Share: 0.1, Salt: "winter e-mail"}
	all := roaring.New()
	all.AddRange(1, 2001)
	held, rest, err := h.Split(all)
	if err != nil {
		panic(err)
	}
	var heldEvents, restEvents []funnel.Event
	for p := uint32(1); p <= 2000; p++ {
		evs := []funnel.Event{ev(p, 0, "signup")}
		// The e-mail brings a third of its recipients back in week 1, against a
		// fifth of the held-out profiles.
		back := p%5 == 0
		if !h.Contains(p) {
			back = p%3 == 0
		}
		if back {
			evs = append(evs, ev(p, 8*24*60, "visit"))
		}
		if held.Contains(p) {
			heldEvents = append(heldEvents, evs...)
		} else {
			restEvents = append(restEvents, evs...)
		}
	}
	c := funnel.Cohorts{Start: funnel.Step{Name: "signup"}, Return: funnel.Step{Name: "visit"}, By: funnel.Week, Periods: 2,
		AsOf: time.Date(2025, 7, 14, 0, 0, 0, 0, time.UTC)}
	control, _ := c.Run(heldEvents)
	treatment, _ := c.Run(restEvents)
	ex, err := funnel.CompareRetention(control, treatment, 1, &funnel.ExperimentOptions{Planned: 2000})
	if err != nil {
		panic(err)
	}
	fmt.Printf("held out %d of %d, e-mailed %d\n", held.GetCardinality(), all.GetCardinality(), rest.GetCardinality())
	fmt.Printf("week 1: held out %.3f, e-mailed %.3f\n", ex.Control.Estimate, ex.Treatment.Estimate)
	fmt.Printf("difference %+.3f [%+.3f, %+.3f], p %.2g; always valid [%+.3f, %+.3f]\n",
		ex.Comparison.Difference, ex.Comparison.Lo, ex.Comparison.Hi, ex.Comparison.P, ex.SeqLo, ex.SeqHi)
	// Output:
	// held out 197 of 2000, e-mailed 1803
	// week 1: held out 0.162, e-mailed 0.334
	// difference +0.171 [+0.110, +0.222], p 9.1e-07; always valid [+0.085, +0.258]
}

// Every server asks the same question of the same profile and gets the same answer,
// without a stored list; another campaign's salt draws another set.
func ExampleHoldout_Contains() {
	spring := funnel.Holdout{Share: 0.5, Salt: "spring"}
	autumn := funnel.Holdout{Share: 0.5, Salt: "autumn"}
	for p := uint32(1); p <= 4; p++ {
		fmt.Println(p, spring.Contains(p), autumn.Contains(p))
	}
	// Output:
	// 1 true false
	// 2 false true
	// 3 true false
	// 4 true false
}
