package scoring_test

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/clientele-go/clientele/scoring"
)

// Top is the audience to send: the n profiles outside the seed that look most like it.
// Here the seed buys often and spends much; the profiles that do too come first.
func ExampleLookalike_Top() {
	rng := rand.New(rand.NewPCG(1, 2))
	seed := roaring.New()
	var profiles []uint32
	var features [][]float64 // orders a year, average basket in tens of euros
	for p := uint32(1); p <= 400; p++ {
		orders, basket := rng.NormFloat64(), rng.NormFloat64()
		switch {
		case p <= 20: // the seed: the best customers
			seed.Add(p)
			orders, basket = orders+3, basket+3
		case p > 390: // ten profiles outside the seed that look like them
			orders, basket = orders+3, basket+3
		}
		profiles = append(profiles, p)
		features = append(features, []float64{orders, basket})
	}
	l, err := scoring.FindLookalikes(seed, profiles, features, nil)
	if err != nil {
		panic(err)
	}
	top := l.Top(10)
	lookalikes := roaring.New()
	lookalikes.AddRange(391, 401)
	fmt.Println(top.GetCardinality(), "profiles; from the seed:", top.Intersects(seed),
		"; lookalikes among them:", top.AndCardinality(lookalikes) >= 8)
	fmt.Println(l.Top(1_000).GetCardinality()) // never more than the base outside the seed
	// Output:
	// 10 profiles; from the seed: false ; lookalikes among them: true
	// 380
}

// The CDNOW fits' parameters, weeks as the unit (see ExampleFitParetoNBD).
var (
	pareto = &scoring.ParetoNBD{R: 0.553, Alpha: 10.578, S: 0.606, Beta: 11.669}
	mbgnbd = &scoring.MBGNBD{R: 0.525, Alpha: 6.183, A: 0.891, B: 1.614}
)

// PAlive falls as the time since the last purchase grows beyond what the customer's
// own rate of buying makes likely: two customers with four purchases, one of them
// last seen eight months ago.
func ExampleParetoNBD_PAlive() {
	recent := scoring.Customer{Frequency: 4, Recency: 36, T: 39}
	quiet := scoring.Customer{Frequency: 4, Recency: 5, T: 39}
	once := scoring.Customer{T: 39} // never bought again
	fmt.Printf("%.3f %.3f %.3f\n", pareto.PAlive(recent), pareto.PAlive(quiet), pareto.PAlive(once))
	// Output: 0.958 0.023 0.294
}

// ExpectedPurchases forecasts a customer's purchases in the next t units (weeks here),
// weighing how often they bought by the chance they are still a customer.
func ExampleParetoNBD_ExpectedPurchases() {
	c := scoring.Customer{Frequency: 4, Recency: 36, T: 39}
	for _, weeks := range []float64{4, 13, 52} {
		fmt.Printf("next %2.0f weeks: %.3f purchases\n", weeks, pareto.ExpectedPurchases(weeks, c))
	}
	// Output:
	// next  4 weeks: 0.344 purchases
	// next 13 weeks: 1.066 purchases
	// next 52 weeks: 3.630 purchases
}

// Unlike BG/NBD, whose customers can leave only after a purchase, MBG/NBD lets a
// customer leave at once: a one-time buyer's P(alive) is below 1.
func ExampleMBGNBD_PAlive() {
	for _, c := range []scoring.Customer{{T: 39}, {Frequency: 4, Recency: 36, T: 39}, {Frequency: 4, Recency: 5, T: 39}} {
		fmt.Printf("x %d, t_x %2.0f: P(alive) %.3f\n", c.Frequency, c.Recency, mbgnbd.PAlive(c))
	}
	// Output:
	// x 0, t_x  0: P(alive) 0.389
	// x 4, t_x 36: P(alive) 0.822
	// x 4, t_x  5: P(alive) 0.011
}

// PAlive of BG/BB, with the 1995 donors' parameters (see ExampleFitBGBB): of two donors
// who gave three times in six years, the one who gave last year is far likelier to
// give again. A donor who gave at the last opportunity was alive then, so the
// answer is the chance of surviving one more, (δ+n)/(γ+δ+n), however often they gave;
// a history that cannot be is 0.
func ExampleBGBB_PAlive() {
	m := &scoring.BGBB{Alpha: 1.204, Beta: 0.750, Gamma: 0.657, Delta: 2.783}
	for _, o := range []scoring.Opportunities{
		{Frequency: 3, Recency: 6, N: 6},
		{Frequency: 3, Recency: 3, N: 6},
		{Frequency: 0, Recency: 0, N: 6},
		{Frequency: 4, Recency: 2, N: 6}, // impossible: four donations by year 2
	} {
		fmt.Printf("x %d, t_x %d of %d: P(alive) %.3f\n", o.Frequency, o.Recency, o.N, m.PAlive(o))
	}
	// Output:
	// x 3, t_x 6 of 6: P(alive) 0.930
	// x 3, t_x 3 of 6: P(alive) 0.095
	// x 0, t_x 0 of 6: P(alive) 0.108
	// x 4, t_x 2 of 6: P(alive) 0.000
}

// MeanSpend is the average spend per transaction across customers, the prior a
// customer's own average is shrunk towards; without a finite mean (q <= 1) it is +Inf.
func ExampleGammaGamma_MeanSpend() {
	m := &scoring.GammaGamma{P: 6.25, Q: 3.74, Gamma: 15.44}
	fmt.Printf("%.2f\n", m.MeanSpend())
	heavy := &scoring.GammaGamma{P: 6.25, Q: 0.9, Gamma: 15.44}
	fmt.Println(heavy.MeanSpend())
	// Output:
	// 35.22
	// +Inf
}

// Add records weighted actions; Scores reads every profile's decayed score at an
// instant, in profile order: the feed of a nightly export to the segment index.
func ExampleEngagement_Scores() {
	e, _ := scoring.NewEngagement(14 * 24 * time.Hour) // two weeks' half-life
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	_ = e.Add(now.AddDate(0, 0, -28), 7, 5) // a purchase four weeks ago
	_ = e.Add(now.AddDate(0, 0, -1), 3, 1)  // a visit yesterday
	_ = e.Add(now.AddDate(0, 0, -1), 3, 1)
	fmt.Println(e.Add(now, 3, -1)) // weights are non-negative
	for p, s := range e.Scores(now) {
		fmt.Printf("profile %d: %.3f (as an integer for segment.SetNumber: %d)\n", p, s, int64(s*1000))
	}
	// Output:
	// scoring: invalid input: engagement weight -1 for profile 3: want a finite weight of 0 or more
	// profile 3: 1.903 (as an integer for segment.SetNumber: 1903)
	// profile 7: 1.250 (as an integer for segment.SetNumber: 1250)
}
