package scoring

import (
	"fmt"
	"math"
	"time"
)

// Customer is one customer's purchase history in the form the buy-till-you-die models
// read, with the conventions of Fader, Hardie & Lee (2005) and the lifetimes package:
//
//   - Frequency (x) is the number of repeat purchases: purchases after the first, with
//     purchases in the same period counted once.
//   - Recency (t_x) is the customer's age at the last repeat purchase (0 when x = 0;
//     at least one period when x > 0, since a period's purchases count once: see
//     ErrBurst for repeat purchases at recency 0).
//   - T is the customer's age at the end of the observation period.
//   - Monetary is the mean value of the repeat purchases (0 when x = 0); the first
//     purchase is left out, as Gamma-Gamma models repeat spend.
//
// Recency and T are in one time unit of the caller's choice (days, weeks; the purchase
// models fit ages of up to 1e150 units, and down to 1e-150), recorded in
// Unit; a model fitted in one unit predicts in that unit. Summarize sets Unit from
// SummaryOptions.Unit, the one place the unit is chosen; the fits read it from the
// customers and record it in the model (and its JSON), and refuse customers of
// different units.
type Customer struct {
	Frequency int
	Recency   float64
	T         float64
	Monetary  float64
	Unit      time.Duration // the time unit of Recency and T; 0 if unrecorded
}

// Validate reports whether c is a possible history: finite, non-negative fields,
// Monetary at most MaxAmount, Recency <= T, and Recency = 0 when Frequency = 0. The
// error wraps ErrInvalid.
func (c Customer) Validate() error {
	switch {
	case c.Frequency < 0:
		return fmt.Errorf("%w: frequency %d is negative", ErrInvalid, c.Frequency)
	case !finite(c.Recency) || !finite(c.T) || !finite(c.Monetary):
		return fmt.Errorf("%w: recency %v, T %v, monetary %v: not finite", ErrInvalid, c.Recency, c.T, c.Monetary)
	case c.Recency < 0:
		return fmt.Errorf("%w: recency %v is negative", ErrInvalid, c.Recency)
	case c.T < 0:
		return fmt.Errorf("%w: T %v is negative", ErrInvalid, c.T)
	case c.Unit < 0:
		return fmt.Errorf("%w: unit %v is negative", ErrInvalid, c.Unit)
	case c.Monetary < 0:
		return fmt.Errorf("%w: monetary %v is negative", ErrInvalid, c.Monetary)
	case c.Monetary > MaxAmount:
		return fmt.Errorf("%w: monetary %v is over MaxAmount, %g: not a money figure", ErrInvalid, c.Monetary, float64(MaxAmount))
	case c.Recency > c.T:
		return fmt.Errorf("%w: recency %v greater than T %v", ErrInvalid, c.Recency, c.T)
	case c.Frequency == 0 && c.Recency != 0:
		return fmt.Errorf("%w: frequency 0 with recency %v (recency is the age at the last repeat purchase)", ErrInvalid, c.Recency)
	}
	return nil
}

// validateAll checks every customer and names the first bad one by index.
func validateAll(cs []Customer) error {
	for i, c := range cs {
		if err := c.Validate(); err != nil {
			return errorf("customer %d: %w", i, err)
		}
	}
	return nil
}

// unitOf returns the time unit shared by the rows (unit reads one), or ErrInvalid
// naming the first row whose unit differs from the first row's: one likelihood over
// recencies in days and in weeks would fit neither.
func unitOf[T any](rows []T, unit func(T) time.Duration) (time.Duration, error) {
	if len(rows) == 0 {
		return 0, nil
	}
	u := unit(rows[0])
	for i, r := range rows {
		if v := unit(r); v != u {
			return 0, fmt.Errorf("%w: row %d has unit %v, row 0 has %v (mixed time units)", ErrInvalid, i, v, u)
		}
	}
	return u, nil
}

func customerUnit(c Customer) time.Duration { return c.Unit }

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// checkHorizon rejects a negative or non-finite prediction horizon.
func checkHorizon(t float64) error {
	if !finite(t) || t < 0 {
		return fmt.Errorf("%w: horizon %v must be finite and non-negative", ErrInvalid, t)
	}
	return nil
}
