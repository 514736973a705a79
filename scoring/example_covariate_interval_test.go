package scoring_test

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/clientele-go/clientele/scoring"
)

func ExampleCovariateIntervals_For() {
	// 2,000 customers, half of them in a loyalty scheme (z = 1) that doubles their
	// purchase rate: BG/NBD with alpha_i = alpha·exp(-γ·z).
	rng := rand.New(rand.NewPCG(1, 2))
	var cs []scoring.Customer
	var z [][]float64
	for i := range 2000 {
		member := float64(i % 2)
		lambda := -math.Log(rng.Float64()) / 8 * math.Exp(math.Ln2*member) // rate ~ Exp(mean 1/8 a week), doubled for members
		c := scoring.Customer{T: 52}
		for t := -math.Log(rng.Float64()) / lambda; t <= 52; t += -math.Log(rng.Float64()) / lambda {
			c.Frequency, c.Recency = c.Frequency+1, t
			if rng.Float64() < 0.2 { // dropout chance after each purchase
				break
			}
		}
		cs, z = append(cs, c), append(z, []float64{member})
	}
	m, err := scoring.FitBGNBDCovariates(cs, z, nil, nil)
	if err != nil {
		panic(err)
	}
	civ, err := m.Intervals(cs, z, nil, nil)
	if err != nil {
		panic(err)
	}
	fmt.Printf("effect of membership %.2f, standard error %.2f (true %.2f)\n", m.Purchase[0], m.Fit.StdErr[4], math.Ln2)
	for _, member := range []float64{0, 1} {
		iv, _ := civ.For([]float64{member}, nil)
		e, _ := iv.ExpectedPurchasesNew(52)
		fmt.Printf("member %v: a new customer's purchases in a year %.2f [%.2f, %.2f]\n", member, e.Estimate, e.Lo, e.Hi)
	}
	// Output:
	// effect of membership 0.59, standard error 0.06 (true 0.69)
	// member 0: a new customer's purchases in a year 2.91 [2.80, 3.02]
	// member 1: a new customer's purchases in a year 3.59 [3.45, 3.72]
}
