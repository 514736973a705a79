package funnel_test

import (
	"fmt"

	"github.com/clientele-go/clientele/funnel"
)

// A rate from counts made elsewhere (a dashboard, a survey) gets the same interval as
// one a funnel computes. On a small sample the exact Clopper-Pearson interval is wider
// than Wilson's: it never covers less than the level, at the price of covering more.
// Counts that cannot be a rate are ErrInvalid.
func ExampleNewRate() {
	for _, m := range []funnel.Method{funnel.Wilson, funnel.ClopperPearson} {
		r, err := funnel.NewRate(12, 40, m, 0.95)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%d/%d = %.3f [%.3f, %.3f]\n", r.K, r.N, r.Estimate, r.Lo, r.Hi)
	}
	_, err := funnel.NewRate(41, 40, funnel.Wilson, 0.95)
	fmt.Println(err)
	// Output:
	// 12/40 = 0.300 [0.181, 0.454]
	// 12/40 = 0.300 [0.166, 0.465]
	// funnel: invalid input: rate 41 of 40: 41 successes out of 40 trials
}

// Two variants of a sign-up page, 200 visitors each: B's 24% against A's 15% is a
// difference whose interval excludes zero at the 95% level, though its lower bound says
// the gain could be as small as about one point.
func ExampleCompare() {
	a, _ := funnel.NewRate(30, 200, funnel.Wilson, 0.95)
	b, _ := funnel.NewRate(48, 200, funnel.Wilson, 0.95)
	c, err := funnel.Compare(a, b, 0.95)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("difference %+.3f [%+.3f, %+.3f], z %.2f, p %.3f\n", c.Difference, c.Lo, c.Hi, c.Z, c.P)
	// Output:
	// difference +0.090 [+0.012, +0.167], z 2.27, p 0.023
}
