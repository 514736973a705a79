package scoring_test

import (
	"encoding/csv"
	"fmt"
	"os"
	"strconv"

	"github.com/clientele-go/clientele/scoring"
)

// covariateCustomers reads a base simulated with a purchase covariate z1 (0 or 1, say
// "joined through a referral") and z2 (standardised, say "first order value"), and
// z1 also as a dropout covariate.
func covariateCustomers(model string) ([]scoring.Customer, [][]float64, [][]float64) {
	f, err := os.Open("testdata/covariates/" + model + ".csv")
	if err != nil {
		panic(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		panic(err)
	}
	var cs []scoring.Customer
	var purchase, dropout [][]float64
	for _, r := range recs[1:] {
		x, _ := strconv.Atoi(r[0])
		tx, _ := strconv.ParseFloat(r[1], 64)
		T, _ := strconv.ParseFloat(r[2], 64)
		z1, _ := strconv.ParseFloat(r[3], 64)
		z2, _ := strconv.ParseFloat(r[4], 64)
		cs = append(cs, scoring.Customer{Frequency: x, Recency: tx, T: T})
		purchase = append(purchase, []float64{z1, z2})
		dropout = append(dropout, []float64{z1})
	}
	return cs, purchase, dropout
}

func ExampleFitBGNBDCovariates() {
	cs, purchase, dropout := covariateCustomers("bgnbd")
	m, err := scoring.FitBGNBDCovariates(cs, purchase, dropout, nil)
	if err != nil {
		panic(err)
	}
	se := m.Fit.StdErr
	fmt.Printf("purchase effects %.2f ± %.2f, %.2f ± %.2f; dropout effect %.2f ± %.2f\n",
		m.Purchase[0], se[4], m.Purchase[1], se[5], m.Dropout[0], se[6])
	// Output:
	// purchase effects 0.57 ± 0.10, -0.26 ± 0.05; dropout effect 0.51 ± 0.29
}

func ExampleBGNBDCovariates_For() {
	cs, purchase, dropout := covariateCustomers("bgnbd")
	m, err := scoring.FitBGNBDCovariates(cs, purchase, dropout, nil)
	if err != nil {
		panic(err)
	}
	// The same history, scored for a referred and a non-referred customer.
	c := scoring.Customer{Frequency: 2, Recency: 20, T: 52}
	for _, z1 := range []float64{0, 1} {
		b, err := m.For([]float64{z1, 0}, []float64{z1})
		if err != nil {
			panic(err)
		}
		fmt.Printf("z1 = %.0f: P(alive) %.3f, purchases in the next year %.3f\n", z1, b.PAlive(c), b.ExpectedPurchases(52, c))
	}
	// Output:
	// z1 = 0: P(alive) 0.364, purchases in the next year 0.708
	// z1 = 1: P(alive) 0.292, purchases in the next year 0.566
}

func ExampleFitParetoNBDCovariates() {
	cs, purchase, dropout := covariateCustomers("pareto")
	m, err := scoring.FitParetoNBDCovariates(cs, purchase, dropout, nil)
	if err != nil {
		panic(err)
	}
	se := m.Fit.StdErr
	fmt.Printf("purchase effects %.2f ± %.2f, %.2f ± %.2f; dropout effect %.2f ± %.2f\n",
		m.Purchase[0], se[4], m.Purchase[1], se[5], m.Dropout[0], se[6])
	// Output:
	// purchase effects 0.67 ± 0.12, -0.30 ± 0.06; dropout effect 0.37 ± 0.24
}

func ExampleParetoNBDCovariates_For() {
	cs, purchase, dropout := covariateCustomers("pareto")
	m, err := scoring.FitParetoNBDCovariates(cs, purchase, dropout, nil)
	if err != nil {
		panic(err)
	}
	p, err := m.For([]float64{1, 0.5}, []float64{1})
	if err != nil {
		panic(err)
	}
	fmt.Printf("a new customer with z1 = 1, z2 = 0.5 buys %.2f times in the first year\n", p.ExpectedPurchasesNew(52))
	// Output:
	// a new customer with z1 = 1, z2 = 0.5 buys 2.14 times in the first year
}

func ExampleBGNBDCovariates_Intervals() {
	cs, purchase, dropout := covariateCustomers("bgnbd")
	m, err := scoring.FitBGNBDCovariates(cs, purchase, dropout, nil)
	if err != nil {
		panic(err)
	}
	civ, err := m.Intervals(cs, purchase, dropout, nil) // the delta method
	if err != nil {
		panic(err)
	}
	iv, err := civ.For([]float64{1, 0}, []float64{1})
	if err != nil {
		panic(err)
	}
	e, _ := iv.ExpectedPurchasesNew(52)
	fmt.Printf("a new referred customer buys %.2f [%.2f, %.2f] times in the first year\n", e.Estimate, e.Lo, e.Hi)
	// A covariate model would be refitted once per replicate: no bootstrap.
	_, err = m.Intervals(cs, purchase, dropout, &scoring.IntervalOptions{Method: scoring.Bootstrap})
	fmt.Println(err)
	// Output:
	// a new referred customer buys 3.21 [2.91, 3.55] times in the first year
	// scoring: invalid input: BG/NBD with covariates: bootstrap intervals are not offered for covariate models (each replicate would refit every effect); use Delta
}

func ExampleParetoNBDCovariates_Intervals() {
	cs, purchase, dropout := covariateCustomers("pareto")
	m, err := scoring.FitParetoNBDCovariates(cs, purchase, dropout, nil)
	if err != nil {
		panic(err)
	}
	civ, err := m.Intervals(cs, purchase, dropout, &scoring.IntervalOptions{Level: 0.95})
	if err != nil {
		panic(err)
	}
	iv, err := civ.For([]float64{1, 0.5}, []float64{1})
	if err != nil {
		panic(err)
	}
	e, _ := iv.ExpectedPurchasesNew(52)
	fmt.Printf("a new customer with z1 = 1, z2 = 0.5 buys %.2f [%.2f, %.2f] times in the first year\n", e.Estimate, e.Lo, e.Hi)
	// Output:
	// a new customer with z1 = 1, z2 = 0.5 buys 2.14 [1.79, 2.57] times in the first year
}
