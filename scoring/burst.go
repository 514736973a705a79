package scoring

import (
	"errors"
	"fmt"
	"math"

	"github.com/clientele-go/clientele/internal/english"
)

// bursts are the customers of positive weight whose repeat purchases are all at
// recency 0, at the instant of the first purchase (see ErrBurst), found before a fit
// of BG/NBD, MBG/NBD or Pareto/NBD so that the fit can say what went wrong.
type bursts struct {
	model    string
	first, n int // the first such customer (-1 if none) and how many there are
	frequent int // the first's repeat purchases
	repeat   int // customers of positive weight with repeat purchases
	// scale is the data's time scale, 1/rate with rate the repeat purchases per unit
	// of the customers' ages (the fits' first start puts alpha there): towards the
	// bursts the purchase rates grow without bound, and alpha falls far below it.
	scale float64
}

// findBursts finds the bursts among cs (weights nil: every customer counts), which
// must have been validated.
func findBursts(model string, cs []Customer, weights []float64) bursts {
	b := bursts{model: model, first: -1}
	var purchases, exposure float64
	for i, c := range cs {
		w := 1.0
		if weights != nil {
			w = weights[i]
		}
		purchases += w * float64(c.Frequency)
		exposure += w * c.T
		if c.Frequency == 0 || w == 0 {
			continue
		}
		b.repeat++
		if c.Recency == 0 {
			if b.first < 0 {
				b.first, b.frequent = i, c.Frequency
			}
			b.n++
		}
	}
	b.scale = exposure / purchases
	return b
}

// before refuses a base in which every repeat purchase was a burst: nobody bought
// after the instant of their first purchase, so nothing is known of the purchase
// process after it, and the likelihood's supremum is the singularity alone.
func (b bursts) before() error {
	if b.n == 0 || b.n < b.repeat {
		return nil
	}
	who := fmt.Sprintf("all %d customers with repeat purchases (customer %d first)", b.n, b.first)
	if b.n == 1 {
		who = fmt.Sprintf("the only customer with repeat purchases (customer %d)", b.first)
	}
	return fmt.Errorf("%w: %s: %s made them at recency 0, at the instant of the first purchase, so nothing shows how anyone buys afterwards and the likelihood has no maximum; %s",
		ErrBurst, b.model, who, burstAdvice)
}

// after judges a fit of a base with some bursts, whose time-scale parameters (alpha;
// Pareto/NBD's alpha and beta) came out at scales. The likelihood has no maximum,
// only a singularity towards the bursts (alpha → 0, the purchase rates without bound;
// in Pareto/NBD also beta → 0, the dropout rates without bound: buy at once, then
// gone) and, away from it, possibly a local maximum, which a base of a few per cent
// of bursts usually has. A fit that failed, or whose alpha or beta fell more than
// e^(boundLog/2) ≈ 55 times below the data's time scale (held at the edge of the
// space, or drawn towards it), went towards the bursts and is refused with ErrBurst;
// any other fit stands, at the boundary or not (no dropout seen is still no dropout
// seen). Other errors pass through.
func (b bursts) after(err error, names []string, scales ...float64) error {
	if b.n == 0 {
		return err
	}
	var how string
	var ce *ConvergenceError
	switch {
	case errors.As(err, &ce):
		how = ce.Reason
	case err != nil:
		return err
	default:
		for i, v := range scales {
			if v < math.Exp(-boundLog/2)*b.scale {
				how = fmt.Sprintf("%s went to %.3g, %.0f times below the data's time scale", names[i], v, b.scale/v)
				break
			}
		}
		if how == "" {
			return nil
		}
	}
	return fmt.Errorf("%w: %s: %s, towards which the likelihood grows without bound, and the fit found no maximum away from them (%s); %s",
		ErrBurst, b.model, b.who(), how, burstAdvice)
}

// who names the first burst and how many more there are.
func (b bursts) who() string {
	s := fmt.Sprintf("customer %d has %s at recency 0", b.first, english.Count(b.frequent, "repeat purchase"))
	if b.n > 1 {
		s += fmt.Sprintf(" (and %s like it)", english.Count(b.n-1, "more customer"))
	}
	return s
}

const burstAdvice = "count the first period's purchases as one (Frequency 0, as Summarize does) or give the repeat purchases their ages"

// scalesOf returns theta's entries at idx, the time-scale parameters after judges, or
// nil for a failed fit's theta.
func scalesOf(theta []float64, idx ...int) []float64 {
	var out []float64
	for _, i := range idx {
		if i >= len(theta) {
			return nil
		}
		out = append(out, theta[i])
	}
	return out
}
