package scoring

import (
	"fmt"
	"slices"
)

// Tracking returns the repeat purchases a base is expected to have made by the end of
// each of periods periods of the given length, in calendar time: the cumulative
// tracking plot of Fader, Hardie & Lee (2005, "Counting your customers the easy way"),
// which sets a model's expectation beside the actual cumulative repeat purchases over
// calibration and holdout alike. The customers were acquired at births, in the model's
// time unit from a common origin where the first period starts; each is expected to
// have made ExpectedPurchasesNew(t - birth) repeat purchases by t. Period k ends at
// k·length. Identical births are computed once, so a base acquired day by day costs a
// few evaluations per day and period.
func Tracking(m Model, births []float64, periods int, length float64) ([]ForecastPeriod, error) {
	if err := checkModel(m); err != nil {
		return nil, err
	}
	if periods < 0 || !finite(length) || length <= 0 {
		return nil, fmt.Errorf("%w: %d tracking periods of length %v", ErrInvalid, periods, length)
	}
	if err := checkPeriods("tracking periods", periods); err != nil {
		return nil, err
	}
	for i, b := range births {
		if err := checkHorizon(b); err != nil {
			return nil, errorf("birth %d: %w", i, err)
		}
	}
	// Distinct births with their counts, in order.
	sorted := slices.Sorted(slices.Values(births))
	var at, count []float64
	for i, b := range sorted {
		if i == 0 || b != sorted[i-1] {
			at, count = append(at, b), append(count, 0)
		}
		count[len(count)-1]++
	}
	out := make([]ForecastPeriod, periods)
	prev := 0.0
	for k := range out {
		end := float64(k+1) * length
		var cum float64
		for i := 0; i < len(at) && at[i] < end; i++ {
			cum += count[i] * m.ExpectedPurchasesNew(end-at[i])
		}
		out[k] = ForecastPeriod{End: end, Expected: cum - prev, Cumulative: cum}
		prev = cum
	}
	return out, nil
}
