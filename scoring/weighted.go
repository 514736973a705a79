package scoring

import (
	"fmt"
	"math"
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
	if err := checkTotalWeight(model, "weights", total); err != nil {
		return nil, err
	}
	if !(total >= MinCustomers) {
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

// weightShift returns the k for which 2^k·total/rows lies in [1, 2): scaled by it,
// weights that total total over rows rows weigh one or two customers per row
// whatever their scale, exactly (a power of two). total must be finite and > 0, rows
// > 0.
func weightShift(total float64, rows int) int {
	fn, en := math.Frexp(total)
	fr, er := math.Frexp(float64(rows))
	// total/rows = (fn/fr)·2^(en-er), fn/fr in (1/2, 2).
	k := er - en
	if fn < fr {
		k++
	}
	return k
}

// maxTotalWeight is the largest total weight a fit takes: the log-likelihood is summed
// on the caller's scale, and a total near float64's largest value (1.8e308) times a
// customer's log-likelihood would overflow it.
const maxTotalWeight = 1e300

// checkTotalWeight refuses weights whose total a fit cannot sum (ErrInvalid). A fit
// does not depend on its weights' scale, so dividing them by a constant loses
// nothing.
func checkTotalWeight(model, what string, total float64) error {
	if total <= maxTotalWeight {
		return nil
	}
	return fmt.Errorf("%w: %s: the %s total %v, more than the fit can sum (%g); the fit does not depend on their scale, so divide them by a constant", ErrInvalid, model, what, total, maxTotalWeight)
}
