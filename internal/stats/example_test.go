package stats_test

import (
	"fmt"

	"github.com/clientele-go/clientele/internal/stats"
)

// Of 2,000 people reached, 43 became users: how sure is 2.15%?
func ExampleWilson() {
	iv, _ := stats.Wilson(43, 2000, 0.95)
	fmt.Printf("%.2f%% (95%% CI %.2f%% to %.2f%%)\n", 100*iv.Estimate, 100*iv.Lo, 100*iv.Hi)
	// Output: 2.15% (95% CI 1.60% to 2.88%)
}

func ExampleClopperPearson() {
	iv, _ := stats.ClopperPearson(0, 20, 0.95)
	fmt.Printf("0 of 20: at most %.1f%%\n", 100*iv.Hi)
	// Output: 0 of 20: at most 16.8%
}

// An A/B test of two promotions: B converts 5.5% against A's 4.0%.
func ExampleDiff() {
	d, _ := stats.Diff(80, 2000, 110, 2000, 0.95)
	_, p, _ := stats.TwoProportionTest(80, 2000, 110, 2000)
	fmt.Printf("B - A = %+.2f points (95%% CI %+.2f to %+.2f), p = %.3f\n", 100*d.Estimate, 100*d.Lo, 100*d.Hi, p)
	// Output: B - A = +1.50 points (95% CI +0.18 to +2.83), p = 0.026
}
