package scoring_test

import (
	"fmt"

	"github.com/clientele-go/clientele/scoring"
)

// weightedCDNOW is CDNOW's calibration base as weighted histories, one row per
// distinct (x, t_x, T) with the number of customers who have it, as a distributed job
// that counts histories would hand it over.
func weightedCDNOW() ([]scoring.Customer, *scoring.FitOptions) {
	type history struct {
		x     int
		tx, t float64
	}
	index := map[history]int{}
	var rows []scoring.Customer
	var weights []float64
	for _, c := range cdnow() {
		h := history{c.Frequency, c.Recency, c.T}
		i, ok := index[h]
		if !ok {
			i = len(rows)
			index[h] = i
			rows = append(rows, scoring.Customer{Frequency: c.Frequency, Recency: c.Recency, T: c.T})
			weights = append(weights, 0)
		}
		weights[i]++
	}
	return rows, &scoring.FitOptions{Weights: weights}
}

// ExampleFitBGNBD_weights fits BG/NBD on CDNOW's customers counted per distinct
// history (FitOptions.Weights): the published estimates, from fewer rows than
// customers.
func ExampleFitBGNBD_weights() {
	rows, opts := weightedCDNOW()
	m, err := scoring.FitBGNBD(rows, opts)
	if err != nil {
		panic(err)
	}
	fmt.Printf("%d rows for %.0f customers\n", len(rows), m.Fit.Customers)
	fmt.Printf("r %.3f alpha %.3f a %.3f b %.3f, log-likelihood %.1f\n", m.R, m.Alpha, m.A, m.B, m.LogLik)
	// Output:
	// 1016 rows for 2357 customers
	// r 0.243 alpha 4.414 a 0.793 b 2.426, log-likelihood -9582.4
}

// ExampleFitMBGNBD_weights: MBG/NBD on the same weighted rows.
func ExampleFitMBGNBD_weights() {
	m, err := scoring.FitMBGNBD(weightedCDNOW())
	if err != nil {
		panic(err)
	}
	fmt.Printf("r %.3f alpha %.3f a %.3f b %.3f\n", m.R, m.Alpha, m.A, m.B)
	// Output:
	// r 0.525 alpha 6.183 a 0.891 b 1.614
}

// ExampleFitParetoNBD_weights: Pareto/NBD on the same weighted rows, the estimates
// Fader & Hardie publish for CDNOW.
func ExampleFitParetoNBD_weights() {
	m, err := scoring.FitParetoNBD(weightedCDNOW())
	if err != nil {
		panic(err)
	}
	fmt.Printf("r %.2f alpha %.2f s %.2f beta %.2f\n", m.R, m.Alpha, m.S, m.Beta)
	// Output:
	// r 0.55 alpha 10.58 s 0.61 beta 11.67
}

// ExampleFitGammaGamma_weights fits Gamma-Gamma on CDNOW's customers counted per
// distinct (x, mean repeat spend) (FitOptions.Weights): the same estimates as
// ExampleFitGammaGamma.
func ExampleFitGammaGamma_weights() {
	type spend struct {
		x int
		m float64
	}
	counts := map[spend]float64{}
	var order []spend
	for _, c := range cdnow() {
		if c.Frequency == 0 {
			continue // no spend information (FitGammaGamma would skip it)
		}
		k := spend{c.Frequency, c.Monetary}
		if counts[k] == 0 {
			order = append(order, k)
		}
		counts[k]++
	}
	var rows []scoring.Customer
	var weights []float64
	for _, k := range order {
		rows = append(rows, scoring.Customer{Frequency: k.x, Recency: 1, T: 1, Monetary: k.m})
		weights = append(weights, counts[k])
	}
	m, err := scoring.FitGammaGamma(rows, &scoring.FitOptions{Weights: weights})
	if err != nil {
		panic(err)
	}
	fmt.Printf("%d rows for %.0f repeat buyers\n", len(rows), m.Fit.Customers)
	fmt.Printf("p %.2f q %.2f gamma %.2f, mean spend %.2f\n", m.P, m.Q, m.Gamma, m.MeanSpend())
	// Output:
	// 753 rows for 946 repeat buyers
	// p 6.25 q 3.74 gamma 15.45, mean spend 35.17
}
