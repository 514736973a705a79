package scoring

import "fmt"

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
		return nil, fmt.Errorf("%w: %s needs weights totalling at least %d customers, got %v", ErrTooFew, model, MinCustomers, total)
	}
	g := groupCustomers(kept, ws)
	if g.repeat == 0 {
		return nil, fmt.Errorf("%w: %s: none of %v customers made a repeat purchase", ErrTooFew, model, total)
	}
	return g, nil
}
