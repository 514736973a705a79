package scoring

import (
	"fmt"
	"strconv"
)

// groupWeighted groups customers weighted by FitOptions.Weights (already validated
// as customers), checking the weights and that there is enough data. Customers of
// weight 0 are left out.
func groupWeighted(model string, cs []Customer, weights []float64) (*grouped, error) {
	if err := checkWeights(model, weights, len(cs)); err != nil {
		return nil, err
	}
	kept := make([]Customer, 0, len(cs))
	ws := make([]float64, 0, len(cs))
	var total float64
	for i, c := range cs {
		if weights[i] == 0 {
			continue
		}
		kept = append(kept, c)
		ws = append(ws, weights[i])
		total += weights[i]
	}
	if !(total >= MinCustomers) || !finite(total) {
		return nil, fmt.Errorf("%w: %s needs weights totalling at least %d customers, got %s", ErrTooFew, model, MinCustomers, customers(total))
	}
	g := groupCustomers(kept, ws)
	if g.repeat == 0 {
		return nil, fmt.Errorf("%w: %s: none of %s customers made a repeat purchase", ErrTooFew, model, customers(total))
	}
	return g, nil
}

// customers writes a total of weights as a number of customers: 1000000, not %v's
// 1e+06 (a base of a million one-time buyers weighted by history, as beam's CLV
// pipeline weighs them, read "none of 1e+06 customers"), and 9.5 as 9.5.
func customers(total float64) string { return strconv.FormatFloat(total, 'f', -1, 64) }
