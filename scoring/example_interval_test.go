package scoring_test

import (
	"fmt"
	"sync"

	"github.com/clientele-go/clientele/scoring"
)

// cdnowIntervals fits BG/NBD and Gamma-Gamma to CDNOW (weeks, dollars) once and
// returns the customers and their delta-method intervals.
var cdnowIntervals = sync.OnceValues(func() ([]scoring.Customer, *scoring.Intervals) {
	cs := cdnow()
	m, err := scoring.FitBGNBD(cs, nil)
	if err != nil {
		panic(err)
	}
	g, err := scoring.FitGammaGamma(cs, nil)
	if err != nil {
		panic(err)
	}
	iv, err := scoring.NewIntervals(m, g, cs, nil)
	if err != nil {
		panic(err)
	}
	return cs, iv
})

func ExampleNewIntervals() {
	cs := cdnow()
	m, err := scoring.FitBGNBD(cs, nil)
	if err != nil {
		panic(err)
	}
	spend, err := scoring.FitGammaGamma(cs, nil)
	if err != nil {
		panic(err)
	}
	iv, err := scoring.NewIntervals(m, spend, cs, &scoring.IntervalOptions{Level: 0.9})
	if err != nil {
		panic(err)
	}
	c := cs[0] // 2 repeat purchases, the last in week 30.43 of 38.86
	e, _ := iv.ExpectedPurchases(52, c)
	p, _ := iv.PAlive(c)
	base, _ := iv.BasePurchases(52, cs)
	fmt.Printf("customer 1: P(alive) %.3f [%.3f, %.3f], purchases in the next year %.3f [%.3f, %.3f]\n",
		p.Estimate, p.Lo, p.Hi, e.Estimate, e.Lo, e.Hi)
	fmt.Printf("base: purchases in the next year %.0f [%.0f, %.0f]\n", base.Estimate, base.Lo, base.Hi)
	// Output:
	// customer 1: P(alive) 0.727 [0.699, 0.752], purchases in the next year 1.559 [1.456, 1.668]
	// base: purchases in the next year 2089 [1921, 2273]
}

func ExampleNewIntervals_bootstrap() {
	cs := cdnow()
	m, err := scoring.FitBGNBD(cs, nil)
	if err != nil {
		panic(err)
	}
	// 50 replicates keep the example quick; use the default 200 for stable endpoints.
	iv, err := scoring.NewIntervals(m, nil, cs, &scoring.IntervalOptions{Method: scoring.Bootstrap, Replicates: 50, Seed: 1})
	if err != nil {
		panic(err)
	}
	p, _ := iv.PAlive(cs[0])
	base, _ := iv.BasePurchases(52, cs)
	fmt.Printf("%d replicates refitted, %d failed\n", iv.Replicates, iv.Failed)
	fmt.Printf("customer 1: P(alive) %.3f [%.3f, %.3f]\n", p.Estimate, p.Lo, p.Hi)
	fmt.Printf("base: purchases in the next year %.0f [%.0f, %.0f]\n", base.Estimate, base.Lo, base.Hi)
	// Output:
	// 50 replicates refitted, 0 failed
	// customer 1: P(alive) 0.727 [0.704, 0.757]
	// base: purchases in the next year 2089 [1906, 2288]
}

func ExampleIntervals_ExpectedPurchases() {
	cs, iv := cdnowIntervals()
	v, _ := iv.ExpectedPurchases(39, cs[0])
	fmt.Printf("%.3f [%.3f, %.3f]\n", v.Estimate, v.Lo, v.Hi)
	// Output:
	// 1.226 [1.154, 1.303]
}

func ExampleIntervals_PAlive() {
	_, iv := cdnowIntervals()
	v, _ := iv.PAlive(scoring.Customer{Frequency: 5, Recency: 10, T: 39})
	fmt.Printf("%.3f [%.3f, %.3f]\n", v.Estimate, v.Lo, v.Hi)
	// Output:
	// 0.024 [0.019, 0.032]
}

func ExampleIntervals_PurchaseProb() {
	cs, iv := cdnowIntervals()
	v, _ := iv.PurchaseProb(39, 0, cs[0])
	fmt.Printf("P(no purchase in 39 weeks) %.3f [%.3f, %.3f]\n", v.Estimate, v.Lo, v.Hi)
	// Output:
	// P(no purchase in 39 weeks) 0.445 [0.425, 0.466]
}

func ExampleIntervals_ExpectedPurchasesNew() {
	_, iv := cdnowIntervals()
	v, _ := iv.ExpectedPurchasesNew(52)
	fmt.Printf("%.3f [%.3f, %.3f]\n", v.Estimate, v.Lo, v.Hi)
	// Output:
	// 1.444 [1.333, 1.564]
}

func ExampleIntervals_PurchaseProbNew() {
	_, iv := cdnowIntervals()
	v, _ := iv.PurchaseProbNew(52, 1)
	fmt.Printf("%.3f [%.3f, %.3f]\n", v.Estimate, v.Lo, v.Hi)
	// Output:
	// 0.204 [0.191, 0.218]
}

func ExampleIntervals_ExpectedSpend() {
	cs, iv := cdnowIntervals()
	v, _ := iv.ExpectedSpend(cs[0])
	fmt.Printf("$%.2f [$%.2f, $%.2f]\n", v.Estimate, v.Lo, v.Hi)
	// Output:
	// $24.66 [$23.83, $25.52]
}

func ExampleIntervals_BasePurchases() {
	cs, iv := cdnowIntervals()
	v, _ := iv.BasePurchases(39, cs)
	fmt.Printf("%.0f [%.0f, %.0f]\n", v.Estimate, v.Lo, v.Hi)
	// Output:
	// 1653 [1536, 1780]
}

func ExampleIntervals_BaseAlive() {
	cs, iv := cdnowIntervals()
	v, _ := iv.BaseAlive(cs)
	fmt.Printf("%.0f of %d [%.0f, %.0f]\n", v.Estimate, len(cs), v.Lo, v.Hi)
	// Output:
	// 1917 of 2357 [1891, 1943]
}

func ExampleIntervals_BasePurchaseCount() {
	cs, iv := cdnowIntervals()
	v, _ := iv.BasePurchaseCount(39, 0, cs)
	fmt.Printf("customers with no purchase in 39 weeks: %.0f [%.0f, %.0f]\n", v.Estimate, v.Lo, v.Hi)
	// Output:
	// customers with no purchase in 39 weeks: 1740 [1713, 1767]
}

func ExampleIntervals_CLV() {
	cs, iv := cdnowIntervals()
	opt := scoring.CLVOptions{Horizon: 52, Period: 4, DiscountRate: 0.01}
	v, _ := iv.CLV(cs[:3], &opt)
	for i, c := range v {
		fmt.Printf("customer %d: $%.2f [$%.2f, $%.2f]\n", i+1, c.Estimate, c.Lo, c.Hi)
	}
	// Output:
	// customer 1: $36.04 [$33.41, $38.86]
	// customer 2: $4.61 [$3.74, $5.67]
	// customer 3: $8.29 [$7.59, $9.05]
}

func ExampleIntervals_BaseCLV() {
	cs, iv := cdnowIntervals()
	v, _ := iv.BaseCLV(cs, &scoring.CLVOptions{Horizon: 52, Period: 4, DiscountRate: 0.01})
	fmt.Printf("$%.0f [$%.0f, $%.0f]\n", v.Estimate, v.Lo, v.Hi)
	// Output:
	// $71039 [$65223, $77373]
}

func ExampleInterval_Contains() {
	v := scoring.Interval{Estimate: 0.5, Lo: 0.4, Hi: 0.62}
	fmt.Println(v.Contains(0.6), v.Contains(0.7))
	// Output: true false
}
