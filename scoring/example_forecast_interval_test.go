package scoring_test

import "fmt"

func ExampleIntervals_Forecast() {
	// The repeat purchases of CDNOW's 2,357 customers in the three quarters after
	// the calibration period, with 90% delta-method intervals.
	cs, iv := cdnowIntervals()
	f, err := iv.Forecast(cs, 3, 13)
	if err != nil {
		panic(err)
	}
	for _, p := range f {
		fmt.Printf("%.0f weeks on: %.0f [%.0f, %.0f], cumulative %.0f [%.0f, %.0f]\n", p.End,
			p.Expected.Estimate, p.Expected.Lo, p.Expected.Hi, p.Cumulative.Estimate, p.Cumulative.Lo, p.Cumulative.Hi)
	}
	// Output:
	// 13 weeks on: 628 [597, 660], cumulative 628 [597, 660]
	// 26 weeks on: 543 [503, 587], cumulative 1171 [1100, 1247]
	// 39 weeks on: 482 [436, 534], cumulative 1653 [1536, 1780]
}

func ExampleIntervals_Tracking() {
	_, iv := cdnowIntervals()
	// Three customers acquired in weeks 0, 1 and 5, tracked over four 13-week quarters.
	f, err := iv.Tracking([]float64{0, 1, 5}, 4, 13)
	if err != nil {
		panic(err)
	}
	for _, p := range f {
		fmt.Printf("week %.0f: %.2f [%.2f, %.2f]\n", p.End, p.Cumulative.Estimate, p.Cumulative.Lo, p.Cumulative.Hi)
	}
	// Output:
	// week 13: 1.39 [1.30, 1.49]
	// week 26: 2.55 [2.38, 2.73]
	// week 39: 3.46 [3.22, 3.72]
	// week 52: 4.22 [3.90, 4.57]
}
