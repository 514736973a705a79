package attribution

import (
	"fmt"

	"github.com/clientele-go/clientele/internal/amount"
)

// MaxCount is the most conversions, and the most nulls, that paths may count: on one
// path, and added up over the paths of one computation or one file. It is over a
// hundred journeys for each person alive, so that past it a count is a mistake (a
// value or an id read as the count), not journeys; and it keeps every total an exact
// integer when the counts are (2·MaxCount < 2^53), and every credit finite. A path's
// value is bounded likewise by scoring.MaxAmount (1e15), the SDK's bound on money: on
// one path, over the paths, and for each conversion (Value at most 1e15 × Conversions).
const MaxCount = 1e12

// maxValue is scoring.MaxAmount, which this package does not import.
const maxValue = amount.Max

// bound says why one of the path's figures is past the bounds (empty if none) and in
// which field of a ReadPaths row it lies (an index of fieldNames). The figures are
// finite and non-negative.
func (p *Path) bound() (field int, msg string) {
	switch {
	case p.Conversions > MaxCount:
		return 1, fmt.Sprintf("conversions %v is over MaxCount, %g: no count (a value or an id read as the count?)", p.Conversions, float64(MaxCount))
	case p.Nulls > MaxCount:
		return 3, fmt.Sprintf("nulls %v is over MaxCount, %g: no count (a value or an id read as the count?)", p.Nulls, float64(MaxCount))
	case p.Value > maxValue:
		return 2, fmt.Sprintf("value %v is over %g (scoring.MaxAmount): no money figure (an id or a count read as the value?)", p.Value, float64(maxValue))
	case p.Conversions > 0 && p.Value > maxValue*p.Conversions:
		// A conversion worth more than any money figure is the limit of value without
		// conversions; Shapley's value per journey of 1e15 on 5e-324 conversions was
		// +Inf, and Markov's chain lost the value to underflow.
		return 2, fmt.Sprintf("value %v for %v conversions is over %g (scoring.MaxAmount) a conversion: no money figure", p.Value, p.Conversions, float64(maxValue))
	}
	return 0, ""
}

// totals are the conversions, nulls and value of the paths taken so far, each at most
// its bound (MaxCount, scoring.MaxAmount).
type totals struct{ conversions, nulls, value float64 }

// add adds path p, whose figures are within bounds, to the totals; or, when that takes a
// total past its bound, leaves them as they were and says which (an index of
// fieldNames, and what the total is and passes).
func (t *totals) add(p *Path) (field int, what string) {
	next := totals{t.conversions + p.Conversions, t.nulls + p.Nulls, t.value + p.Value}
	switch {
	case next.conversions > MaxCount:
		return 1, fmt.Sprintf("total conversions past MaxCount, %g", float64(MaxCount))
	case next.nulls > MaxCount:
		return 3, fmt.Sprintf("total nulls past MaxCount, %g", float64(MaxCount))
	case next.value > maxValue:
		return 2, fmt.Sprintf("total value past %g (scoring.MaxAmount)", float64(maxValue))
	}
	*t = next
	return 0, ""
}
