package scoring

import (
	"fmt"
	"time"
)

// WeightedCustomer is a purchase history (Frequency, Recency, T) that stands for
// Weight customers: the grouped form of a base, in which every distinct history is one
// row. Bases recorded to the day or week repeat histories heavily (a million
// customers over a year, to the day, have under 200,000 distinct ones), so a
// distributed job can gather (history, count) pairs and fit on them without expanding
// them into one Customer per customer. The purchase fits do not read Monetary;
// FitGammaGammaWeighted reads only Frequency and Monetary.
type WeightedCustomer struct {
	Customer
	Weight float64 // customers with this history; finite and >= 0, fractional allowed
}

// FitBGNBDWeighted is FitBGNBD on weighted histories: the fit, log-likelihood and
// standard errors are those of FitBGNBD on the base in which each row is repeated
// Weight times. Rows need not be distinct. The weights must total at least
// MinCustomers.
func FitBGNBDWeighted(rows []WeightedCustomer, opt *FitOptions) (*BGNBD, error) {
	o := opt.withDefaults()
	unit, err := unitOf(rows, weightedUnit)
	if err != nil {
		return nil, err
	}
	g, err := groupWeighted("BG/NBD", rows)
	if err != nil {
		return nil, err
	}
	theta, ll, d, err := fitGrouped(g, betaGeoBuild("BG/NBD", 0, o.Workers), o)
	if err != nil {
		return nil, err
	}
	return &BGNBD{R: theta[0], Alpha: theta[1], A: theta[2], B: theta[3], LogLik: ll, Unit: unit, Fit: d}, nil
}

// FitMBGNBDWeighted is FitMBGNBD on weighted histories (see FitBGNBDWeighted).
func FitMBGNBDWeighted(rows []WeightedCustomer, opt *FitOptions) (*MBGNBD, error) {
	o := opt.withDefaults()
	unit, err := unitOf(rows, weightedUnit)
	if err != nil {
		return nil, err
	}
	g, err := groupWeighted("MBG/NBD", rows)
	if err != nil {
		return nil, err
	}
	theta, ll, d, err := fitGrouped(g, betaGeoBuild("MBG/NBD", 1, o.Workers), o)
	if err != nil {
		return nil, err
	}
	return &MBGNBD{R: theta[0], Alpha: theta[1], A: theta[2], B: theta[3], LogLik: ll, Unit: unit, Fit: d}, nil
}

// FitParetoNBDWeighted is FitParetoNBD on weighted histories (see FitBGNBDWeighted).
func FitParetoNBDWeighted(rows []WeightedCustomer, opt *FitOptions) (*ParetoNBD, error) {
	o := opt.withDefaults()
	unit, err := unitOf(rows, weightedUnit)
	if err != nil {
		return nil, err
	}
	g, err := groupWeighted("Pareto/NBD", rows)
	if err != nil {
		return nil, err
	}
	theta, ll, d, err := fitGrouped(g, paretoBuild(o.Workers), o)
	if err != nil {
		return nil, err
	}
	return &ParetoNBD{R: theta[0], Alpha: theta[1], S: theta[2], Beta: theta[3], LogLik: ll, Unit: unit, Fit: d}, nil
}

// FitGammaGammaWeighted is FitGammaGamma on weighted rows: the fit and log-likelihood
// are those of FitGammaGamma on the base in which each row is repeated Weight times.
// A row stands for Weight customers with its Frequency and mean repeat spend
// (Monetary), which is what Gamma-Gamma's likelihood reads (Fader & Hardie 2013,
// eq. 3); rows with Frequency 0 are skipped. The weights of the repeat buyers must
// total at least MinCustomers.
func FitGammaGammaWeighted(rows []WeightedCustomer, opt *FitOptions) (*GammaGamma, error) {
	o := opt.withDefaults()
	var xs, zs, ws []float64
	for i, r := range rows {
		if err := r.Validate(); err != nil {
			return nil, errorf("row %d: %w", i, err)
		}
		if !finite(r.Weight) || r.Weight < 0 {
			return nil, fmt.Errorf("%w: row %d: weight %v, want finite and >= 0", ErrInvalid, i, r.Weight)
		}
		if r.Frequency == 0 || r.Weight == 0 {
			continue
		}
		if r.Monetary <= 0 {
			return nil, errorf("row %d: %w: frequency %d with monetary %v (mean repeat spend must be positive)", i, ErrInvalid, r.Frequency, r.Monetary)
		}
		xs = append(xs, float64(r.Frequency))
		zs = append(zs, r.Monetary)
		ws = append(ws, r.Weight)
	}
	lk, starts, err := gammaGammaLikelihood(xs, zs, ws)
	if err != nil {
		return nil, err
	}
	theta, ll, d, err := maximise(lk, starts, o)
	if err != nil {
		return nil, err
	}
	return &GammaGamma{P: theta[0], Q: theta[1], Gamma: theta[2], LogLik: ll, Fit: d}, nil
}

// groupWeighted validates weighted rows and groups them, checking that there is
// enough data. Rows of weight 0 are left out.
func groupWeighted(model string, rows []WeightedCustomer) (*grouped, error) {
	cs := make([]Customer, 0, len(rows))
	ws := make([]float64, 0, len(rows))
	var total float64
	for i, r := range rows {
		if err := r.Validate(); err != nil {
			return nil, errorf("row %d: %w", i, err)
		}
		if !finite(r.Weight) || r.Weight < 0 {
			return nil, fmt.Errorf("%w: row %d: weight %v, want finite and >= 0", ErrInvalid, i, r.Weight)
		}
		if r.Weight == 0 {
			continue
		}
		cs = append(cs, r.Customer)
		ws = append(ws, r.Weight)
		total += r.Weight
	}
	if !(total >= MinCustomers) || !finite(total) {
		return nil, fmt.Errorf("%w: %s needs weights totalling at least %d customers, got %v", ErrTooFew, model, MinCustomers, total)
	}
	g := groupCustomers(cs, ws)
	if g.repeat == 0 {
		return nil, fmt.Errorf("%w: %s: none of %v customers made a repeat purchase", ErrTooFew, model, total)
	}
	return g, nil
}

func weightedUnit(w WeightedCustomer) time.Duration { return w.Unit }
