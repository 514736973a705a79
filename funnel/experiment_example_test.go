package funnel_test

import (
	"fmt"

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
