package funnel_test

import (
	"fmt"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/clientele-go/clientele/funnel"
)

// Which events, channels and audiences go with buying? Profiles that watched the demo
// converted; those that hit an error dropped out. The demo after profile 4's purchase
// does not count: events after the conversion are excluded by definition.
func ExampleCorrelate() {
	spec := funnel.Spec{Steps: []funnel.Step{{Name: "visit"}, {Name: "purchase"}}}
	var events []funnel.Event
	for p := uint32(1); p <= 40; p++ {
		events = append(events, ev(p, 0, "visit"))
		switch {
		case p <= 12:
			events = append(events, ev(p, 5, "demo"), ev(p, 9, "purchase"))
		case p <= 16:
			events = append(events, ev(p, 5, "purchase"), ev(p, 9, "demo"))
		case p <= 30:
			events = append(events, ev(p, 3, "error"))
		}
	}
	res, err := funnel.Correlate{
		Spec:     spec,
		Segments: map[string]*roaring.Bitmap{"beta": roaring.BitmapOf(1, 2, 3, 20, 21, 22)},
	}.Run(events)
	if err != nil {
		panic(err)
	}
	fmt.Printf("%d converters, %d not\n", res.Converters, res.NonConverters)
	for _, c := range res.Success {
		fmt.Printf("success %-8s %-5s %2d/%2d  OR %5.1f  p %.2g  q %.2g  exact %v\n", c.Kind, c.Name, c.Converters, c.NonConverters, c.OddsRatio, c.P, c.Q, c.Exact)
	}
	for _, c := range res.Failure {
		fmt.Printf("failure %-8s %-5s %2d/%2d  OR %5.3f  p %.2g  q %.2g  exact %v\n", c.Kind, c.Name, c.Converters, c.NonConverters, c.OddsRatio, c.P, c.Q, c.Exact)
	}
	// Output:
	// 16 converters, 24 not
	// success event    demo  12/ 0  OR  +Inf  p 3.3e-07  q 9.8e-07  exact true
	// success segment  beta   3/ 3  OR   1.6  p 0.67  q 0.67  exact true
	// failure event    error  0/14  OR 0.000  p 0.00056  q 0.00084  exact false
}

// The columnar form reads property values from the batch's columns.
func ExampleCorrelate_RunBatch() {
	var b funnel.Batch
	for p := uint32(1); p <= 30; p++ {
		channel := "ads"
		if p%3 == 0 {
			channel = "email"
		}
		e := ev(p, 0, "visit")
		e.Props = map[string]string{"channel": channel}
		b.Append(e)
		if channel == "email" || p%5 == 0 {
			b.Append(ev(p, 10, "purchase"))
		}
	}
	spec := funnel.Spec{Steps: []funnel.Step{{Name: "visit"}, {Name: "purchase"}}}
	res, _ := funnel.Correlate{Spec: spec, Props: []string{"channel"}}.RunBatch(&b)
	for _, c := range res.Success {
		fmt.Printf("success %s=%s  OR %.1f [%.1f, %.1f]\n", c.Name, c.Value, c.OddsRatio, c.Lo, c.Hi)
	}
	for _, c := range res.Failure {
		fmt.Printf("failure %s=%s  OR %.3f [%.3f, %.3f]\n", c.Name, c.Value, c.OddsRatio, c.Lo, c.Hi)
	}
	// Output:
	// success channel=email  OR +Inf [5.4, +Inf]
	// failure channel=ads  OR 0.000 [0.000, 0.185]
}

// The stream form holds one profile's events at a time; the stream must come grouped
// by profile.
func ExampleCorrelate_RunSeq() {
	spec := funnel.Spec{Steps: []funnel.Step{{Name: "visit"}, {Name: "purchase"}}}
	events := func(yield func(funnel.Event) bool) {
		for p := uint32(1); p <= 20; p++ {
			evs := []funnel.Event{ev(p, 0, "visit")}
			if p <= 10 {
				evs = append(evs, ev(p, 1, "reviews"), ev(p, 2, "purchase"))
			}
			for _, e := range evs {
				if !yield(e) {
					return
				}
			}
		}
	}
	res, _ := funnel.Correlate{Spec: spec}.RunSeq(events)
	c := res.Success[0]
	fmt.Printf("%s %q: %d of %d converters, %d of %d others, p %.1g\n", c.Kind, c.Name, c.Converters, res.Converters, c.NonConverters, res.NonConverters, c.P)
	// Output: event "reviews": 10 of 10 converters, 0 of 10 others, p 6e-05
}

// Shards of profiles correlate apart, on different machines, and merge through their
// binary encoding; segments apply when the merged partial computes its result.
func ExampleCorrelate_Partial() {
	spec := funnel.Spec{Steps: []funnel.Step{{Name: "visit"}, {Name: "purchase"}}}
	var east, west []funnel.Event
	for p := uint32(1); p <= 40; p++ {
		evs := []funnel.Event{ev(p, 0, "visit")}
		if p%4 == 0 {
			evs = append(evs, ev(p, 2, "reviews"), ev(p, 5, "purchase"))
		}
		if p <= 20 {
			east = append(east, evs...)
		} else {
			west = append(west, evs...)
		}
	}
	a, _ := funnel.Correlate{Spec: spec}.Partial(east)
	b, _ := funnel.Correlate{Spec: spec}.PartialBatch(batch(west))
	data, _ := b.MarshalBinary()
	withSegments := funnel.Correlate{Spec: spec, Segments: map[string]*roaring.Bitmap{"west": roaring.BitmapOf(21, 22, 23, 24, 25)}}
	merged, _ := withSegments.NewPartial()
	if err := merged.UnmarshalBinary(data); err != nil {
		panic(err)
	}
	if err := merged.Merge(a); err != nil {
		panic(err)
	}
	res, _ := merged.Result()
	fmt.Println(res.Converters, res.NonConverters, res.Tested)
	fmt.Printf("%s %s: %d of %d converters\n", res.Success[0].Kind, res.Success[0].Name, res.Success[0].Converters, res.Converters)
	// Output:
	// 10 30 2
	// event reviews: 10 of 10 converters
}

// batch makes a columnar batch of events grouped by profile.
func batch(events []funnel.Event) *funnel.Batch {
	var b funnel.Batch
	for _, e := range events {
		b.Append(e)
	}
	return &b
}
