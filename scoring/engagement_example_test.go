package scoring_test

import (
	"fmt"
	"time"

	"github.com/clientele-go/clientele/scoring"
)

// Ten visits three months ago count for less than two this week: with the default
// 30-day half-life each visit loses half its weight a month, so profile 1's ten visits
// are worth 10·2⁻³ = 1.25 today, and profile 2's two of yesterday nearly 2. Actions may
// arrive late and in any order (profile 2's second visit is added last); the score read
// afterwards is the same.
func ExampleNewEngagement() {
	e, err := scoring.NewEngagement(scoring.DefaultHalfLife)
	if err != nil {
		fmt.Println(err)
		return
	}
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	e.Add(now.AddDate(0, 0, -1), 2, 1)
	for range 10 {
		e.Add(now.Add(-90*24*time.Hour), 1, 1)
	}
	e.Add(now.AddDate(0, 0, -1), 2, 1)
	for p, s := range e.Scores(now) {
		fmt.Printf("profile %d: %.2f\n", p, s)
	}
	_, err = scoring.NewEngagement(0)
	fmt.Println(err)
	// Output:
	// profile 1: 1.25
	// profile 2: 1.95
	// scoring: invalid input: half-life 0s must be positive
}
