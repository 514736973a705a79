package scoring_test

import (
	"fmt"

	"github.com/clientele-go/clientele/scoring"
)

func ExampleBGBB_Intervals() {
	// Fader, Hardie & Shang (2010)'s donors, summarised as in their table 1: the
	// number of donors with each history over the six annual drives after the first.
	rows := []scoring.Opportunities{
		{Frequency: 6, Recency: 6, N: 6, Weight: 1203}, {Frequency: 5, Recency: 6, N: 6, Weight: 728},
		{Frequency: 4, Recency: 6, N: 6, Weight: 512}, {Frequency: 3, Recency: 6, N: 6, Weight: 357},
		{Frequency: 2, Recency: 6, N: 6, Weight: 234}, {Frequency: 1, Recency: 6, N: 6, Weight: 129},
		{Frequency: 5, Recency: 5, N: 6, Weight: 335}, {Frequency: 4, Recency: 5, N: 6, Weight: 284},
		{Frequency: 3, Recency: 5, N: 6, Weight: 225}, {Frequency: 2, Recency: 5, N: 6, Weight: 173},
		{Frequency: 1, Recency: 5, N: 6, Weight: 119}, {Frequency: 4, Recency: 4, N: 6, Weight: 240},
		{Frequency: 3, Recency: 4, N: 6, Weight: 181}, {Frequency: 2, Recency: 4, N: 6, Weight: 155},
		{Frequency: 1, Recency: 4, N: 6, Weight: 78}, {Frequency: 3, Recency: 3, N: 6, Weight: 322},
		{Frequency: 2, Recency: 3, N: 6, Weight: 255}, {Frequency: 1, Recency: 3, N: 6, Weight: 129},
		{Frequency: 2, Recency: 2, N: 6, Weight: 613}, {Frequency: 1, Recency: 2, N: 6, Weight: 277},
		{Frequency: 1, Recency: 1, N: 6, Weight: 1091}, {Frequency: 0, Recency: 0, N: 6, Weight: 3464},
	}
	m, err := scoring.FitBGBB(rows, nil)
	if err != nil {
		panic(err)
	}
	iv, err := m.Intervals(rows, &scoring.IntervalOptions{Level: 0.9})
	if err != nil {
		panic(err)
	}
	loyal := scoring.Opportunities{Frequency: 6, Recency: 6, N: 6}
	alive, _ := iv.PAlive(loyal)
	next, _ := iv.ExpectedPurchases(5, loyal)
	fmt.Printf("a donor every year: P(alive) %.3f [%.3f, %.3f], donations in the next 5 years %.2f [%.2f, %.2f]\n",
		alive.Estimate, alive.Lo, alive.Hi, next.Estimate, next.Lo, next.Hi)
	// Output:
	// a donor every year: P(alive) 0.930 [0.926, 0.935], donations in the next 5 years 3.75 [3.70, 3.80]
}
