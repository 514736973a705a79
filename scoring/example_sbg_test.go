package scoring_test

import (
	"fmt"

	"github.com/clientele-go/clientele/scoring"
)

// Fader & Hardie's (2007) "regular" plan: of 1,000 customers acquired together, 631
// renew after the first year, 468 after the second, and so on.
var regular = []float64{1000, 631, 468, 382, 326, 289, 262, 241}

func ExampleFitSBG() {
	m, err := scoring.FitSBG(regular, nil)
	if err != nil {
		panic(err)
	}
	fmt.Printf("gamma %.3f, delta %.3f\n", m.Gamma, m.Delta)
	// Project the cohort beyond the seven years observed.
	for _, t := range []int{7, 10, 12} {
		fmt.Printf("year %d: %.0f of 1000 still active\n", t, 1000*m.Survival(t))
	}
	// Output:
	// gamma 0.704, delta 1.182
	// year 7: 239 of 1000 still active
	// year 10: 191 of 1000 still active
	// year 12: 170 of 1000 still active
}

func ExampleFitSBGCohorts() {
	highEnd := []float64{1000, 869, 743, 653, 593, 551, 517, 491}
	ms, err := scoring.FitSBGCohorts([][]float64{regular, highEnd}, nil)
	if err != nil {
		panic(err)
	}
	for i, name := range []string{"regular", "high end"} {
		fmt.Printf("%-8s mean churn %.3f, retention in year 2 %.3f and year 8 %.3f\n",
			name, ms[i].Gamma/(ms[i].Gamma+ms[i].Delta), ms[i].Retention(2), ms[i].Retention(8))
	}
	// Output:
	// regular  mean churn 0.373, retention in year 2 0.756 and year 8 0.921
	// high end mean churn 0.149, retention in year 2 0.878 and year 8 0.942
}

func ExampleSBG_Survival() {
	m := &scoring.SBG{Gamma: 0.704, Delta: 1.182}
	fmt.Printf("S(1) %.3f, S(5) %.3f\n", m.Survival(1), m.Survival(5))
	// Output:
	// S(1) 0.627, S(5) 0.292
}

func ExampleSBG_Retention() {
	m := &scoring.SBG{Gamma: 0.704, Delta: 1.182}
	// The cohort's retention rate rises as the customers most likely to churn leave.
	fmt.Printf("r(1) %.3f, r(2) %.3f, r(10) %.3f\n", m.Retention(1), m.Retention(2), m.Retention(10))
	// Output:
	// r(1) 0.627, r(2) 0.756, r(10) 0.935
}

func ExampleSBG_DERL() {
	m := &scoring.SBG{Gamma: 0.704, Delta: 1.182}
	// Residual value at a 10% discount rate and $100 margin a year, of a customer
	// about to make the first renewal decision and of one who has renewed 4 times.
	fmt.Printf("after 0 renewals $%.0f, after 4 renewals $%.0f\n", 100*m.DERL(0.10, 0), 100*m.DERL(0.10, 4))
	// Output:
	// after 0 renewals $296, after 4 renewals $589
}

func ExampleSBG_Intervals() {
	m, err := scoring.FitSBG(regular, nil)
	if err != nil {
		panic(err)
	}
	iv, err := m.Intervals(regular, nil)
	if err != nil {
		panic(err)
	}
	s := iv.Survival(12)
	fmt.Printf("still active after 12 years: %.0f of 1000 [%.0f, %.0f]\n", 1000*s.Estimate, 1000*s.Lo, 1000*s.Hi)
	// Output:
	// still active after 12 years: 170 of 1000 [149, 193]
}

func ExampleSBG_Intervals_bootstrap() {
	m, err := scoring.FitSBG(regular, nil)
	if err != nil {
		panic(err)
	}
	iv, err := m.Intervals(regular, &scoring.IntervalOptions{Method: scoring.Bootstrap, Seed: 1})
	if err != nil {
		panic(err)
	}
	s := iv.Survival(12)
	fmt.Printf("%d replicates: still active after 12 years: %.0f of 1000 [%.0f, %.0f]\n", iv.Replicates, 1000*s.Estimate, 1000*s.Lo, 1000*s.Hi)
	// Output:
	// 200 replicates: still active after 12 years: 170 of 1000 [148, 190]
}

func ExampleSBGIntervals_Survival() {
	m, _ := scoring.FitSBG(regular, nil)
	iv, _ := m.Intervals(regular, nil)
	v := iv.Survival(3)
	fmt.Printf("S(3) %.3f [%.3f, %.3f]\n", v.Estimate, v.Lo, v.Hi)
	// Output:
	// S(3) 0.388 [0.366, 0.410]
}

func ExampleSBGIntervals_Retention() {
	m, _ := scoring.FitSBG(regular, nil)
	iv, _ := m.Intervals(regular, nil)
	v := iv.Retention(10)
	fmt.Printf("r(10) %.3f [%.3f, %.3f]\n", v.Estimate, v.Lo, v.Hi)
	// Output:
	// r(10) 0.935 [0.927, 0.943]
}

func ExampleSBGIntervals_DERL() {
	m, _ := scoring.FitSBG(regular, nil)
	iv, _ := m.Intervals(regular, nil)
	v, err := iv.DERL(0.10, 0)
	if err != nil {
		panic(err)
	}
	fmt.Printf("residual value at $100 a year: $%.0f [$%.0f, $%.0f]\n", 100*v.Estimate, 100*v.Lo, 100*v.Hi)
	// Output:
	// residual value at $100 a year: $296 [$276, $318]
}
