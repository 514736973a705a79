package scoring

import (
	"fmt"
	"math"
	"runtime"
	"time"
)

// Prediction is one customer's scores from a Model over a horizon.
type Prediction struct {
	PAlive            float64 // probability the customer is still active
	ExpectedPurchases float64 // purchases expected over the horizon
}

// Predict scores every customer over the horizon t, in the model's time unit, on
// runtime.GOMAXPROCS(0) goroutines. Unlike the Model methods it checks its input and
// names the first bad customer.
func Predict(m Model, cs []Customer, t float64) ([]Prediction, error) {
	if err := checkPrediction(m, cs, t); err != nil {
		return nil, err
	}
	out := make([]Prediction, len(cs))
	// Models are safe for concurrent use; parallelSum only splits the range here.
	parallelSum(len(cs), runtime.GOMAXPROCS(0), 0, nil, func(lo, hi int, _ []float64) {
		for i := lo; i < hi; i++ {
			out[i] = Prediction{PAlive: m.PAlive(cs[i]), ExpectedPurchases: m.ExpectedPurchases(t, cs[i])}
		}
	})
	return out, nil
}

func checkPrediction(m Model, cs []Customer, t float64) error {
	if err := checkModel(m); err != nil {
		return err
	}
	if err := checkHorizon(t); err != nil {
		return err
	}
	if err := validateAll(cs); err != nil {
		return err
	}
	unit, err := unitOf(cs, customerUnit)
	if err != nil {
		return err
	}
	if err := checkUnit(m, unit); err != nil {
		return errorf("customers: %w", err)
	}
	return nil
}

// checkUnit refuses a customer whose recorded time unit differs from the one the
// model recorded at its fit: a model fitted in weeks reads ages in days as weeks and
// predicts for a customer seven times older, without a sign (CONVENTIONS: rows of
// mixed units are ErrInvalid). Either unit unrecorded (0) passes, as does a Model of
// the host's own.
func checkUnit(m Model, unit time.Duration) error {
	var mu time.Duration
	switch m := m.(type) {
	case *BGNBD:
		mu = m.Unit
	case *MBGNBD:
		mu = m.Unit
	case *ParetoNBD:
		mu = m.Unit
	}
	return sameUnit(mu, unit, "summarise in the model's unit (SummaryOptions.Unit)")
}

// sameUnit refuses data of unit where a model recorded mu, saying what to do (fix);
// either unrecorded (0) passes. It is the check of checkUnit for every model that
// records a unit, the covariate models' and BG/BB's (whose Unit is the spacing of its
// opportunities) too.
func sameUnit(mu, unit time.Duration, fix string) error {
	if mu != 0 && unit != 0 && unit != mu {
		return fmt.Errorf("%w: unit %v, the model was fitted in %v; %s", ErrInvalid, unit, mu, fix)
	}
	return nil
}

// CLVOptions say how far ahead and how steeply to discount a customer's value.
type CLVOptions struct {
	// Horizon is how far ahead to count purchases, in the model's time unit (52 for a
	// year when the model is in weeks). Required.
	Horizon float64
	// Period is the discounting period in the model's time unit [the whole Horizon]:
	// purchases expected in the i-th period are discounted by (1+DiscountRate)^i. The
	// Horizon may hold at most 100,000 periods.
	Period float64
	// DiscountRate is the discount rate per Period (0.01 a month is about 12.7% a
	// year); 0 means no discounting.
	DiscountRate float64
	// Margin is the share of spend that is profit [1: value is revenue].
	Margin float64
}

// maxCLVPeriods bounds the discounting periods in a CLV horizon: each costs an
// evaluation per distinct history, and a caller's tiny Period would loop without end.
const maxCLVPeriods = 100_000

// CLV returns each customer's discounted expected residual value over the horizon:
//
//	Σ_i (E[X(T, T+t_i)] - E[X(T, T+t_{i-1})]) · E[spend | c] · Margin / (1+d)^i,
//
// with t_i = min(i·Period, Horizon), the transactions from m and the spend per
// transaction from the Gamma-Gamma model (Fader, Hardie & Lee 2005, "RFM and CLV"; the
// discrete discounting of lifetimes' customer_lifetime_value). Values are in the
// currency of Monetary.
func CLV(m Model, spend *GammaGamma, cs []Customer, opts *CLVOptions) ([]float64, error) {
	var opt CLVOptions
	if opts != nil {
		opt = *opts
	}
	if spend == nil {
		return nil, fmt.Errorf("%w: nil spend model", ErrInvalid)
	}
	if err := checkPrediction(m, cs, opt.Horizon); err != nil {
		return nil, err
	}
	if opt.Period == 0 {
		opt.Period = opt.Horizon
	}
	if opt.Margin == 0 {
		opt.Margin = 1
	}
	switch {
	case opt.Horizon == 0:
		return nil, fmt.Errorf("%w: CLV horizon must be positive", ErrInvalid)
	case !finite(opt.Period) || opt.Period <= 0:
		return nil, fmt.Errorf("%w: CLV period %v must be positive and finite", ErrInvalid, opt.Period)
	case opt.Horizon/opt.Period > maxCLVPeriods:
		// Each period is one evaluation per distinct history: say why, and what to change.
		return nil, fmt.Errorf("%w: CLV horizon %v in periods of %v is %.4g periods, more than %d; lengthen the period",
			ErrInvalid, opt.Horizon, opt.Period, opt.Horizon/opt.Period, maxCLVPeriods)
	case !finite(opt.DiscountRate) || opt.DiscountRate <= -1:
		return nil, fmt.Errorf("%w: discount rate %v must be finite and greater than -1", ErrInvalid, opt.DiscountRate)
	case !finite(opt.Margin) || opt.Margin < 0:
		return nil, fmt.Errorf("%w: margin %v must be finite and not negative", ErrInvalid, opt.Margin)
	}
	steps := int(math.Ceil(opt.Horizon/opt.Period - 1e-9))
	// The discounted weight of each period's purchases does not depend on the customer.
	memo := map[Customer]float64{}
	out := make([]float64, len(cs))
	for i, c := range cs {
		key := Customer{Frequency: c.Frequency, Recency: c.Recency, T: c.T}
		purchases, ok := memo[key]
		if !ok {
			prev := 0.0
			for k := 1; k <= steps; k++ {
				e := m.ExpectedPurchases(math.Min(float64(k)*opt.Period, opt.Horizon), c)
				purchases += (e - prev) / math.Pow(1+opt.DiscountRate, float64(k))
				prev = e
			}
			memo[key] = purchases
		}
		v := purchases * spend.ExpectedSpend(c) * opt.Margin
		if math.IsNaN(v) {
			v = 0 // no purchases expected times an infinite mean spend
		}
		out[i] = v
	}
	return out, nil
}

// MaxPeriods bounds the periods of Forecast and Tracking and the rows of CheckHoldout
// (maxFrequency + 1): each is a slice the caller sizes and a loop the caller lengthens,
// and 65,536 periods are beyond any plot or table (a century of days is 36,525). A
// larger count fails with ErrInvalid instead of allocating.
const MaxPeriods = 1 << 16

// checkModel refuses a nil model and one of the package's models whose parameters are
// not positive numbers (NaN, infinite, zero or negative), for which every prediction
// would be NaN or meaningless.
func checkModel(m Model) error {
	var ps []float64
	switch m := m.(type) {
	case nil:
		return fmt.Errorf("%w: nil model", ErrInvalid)
	case *BGNBD:
		if m == nil {
			return fmt.Errorf("%w: nil model", ErrInvalid)
		}
		ps = []float64{m.R, m.Alpha, m.A, m.B}
	case *MBGNBD:
		if m == nil {
			return fmt.Errorf("%w: nil model", ErrInvalid)
		}
		ps = []float64{m.R, m.Alpha, m.A, m.B}
	case *ParetoNBD:
		if m == nil {
			return fmt.Errorf("%w: nil model", ErrInvalid)
		}
		ps = []float64{m.R, m.Alpha, m.S, m.Beta}
	}
	for i, v := range ps {
		if !finite(v) || v <= 0 {
			return fmt.Errorf("%w: %T parameter %d is %v, want a positive number", ErrInvalid, m, i+1, v)
		}
	}
	return nil
}

// checkPeriods refuses a caller-sized count of periods or rows beyond MaxPeriods.
func checkPeriods(what string, n int) error {
	if n < 0 || n > MaxPeriods {
		return fmt.Errorf("%w: %d %s, want 0 to %d", ErrInvalid, n, what, MaxPeriods)
	}
	return nil
}

// ForecastPeriod is the base's expected purchases in one period: after the end of
// observation for Forecast, in calendar time from the origin of the births for Tracking.
type ForecastPeriod struct {
	End        float64 // end of the period, in the model's time unit from the origin
	Expected   float64 // purchases expected in the period
	Cumulative float64 // purchases expected from the origin to End
}

// Forecast returns the purchases the whole base cs is expected to make in each of the
// next periods periods of the given length (in the model's time unit): the sum over
// customers of their conditional expectations, each customer counted from the end of
// their own observation. Identical histories are computed once.
func Forecast(m Model, cs []Customer, periods int, length float64) ([]ForecastPeriod, error) {
	if err := checkPrediction(m, cs, length); err != nil {
		return nil, err
	}
	if periods < 0 || length == 0 {
		return nil, fmt.Errorf("%w: %d forecast periods of length %v", ErrInvalid, periods, length)
	}
	if err := checkPeriods("forecast periods", periods); err != nil {
		return nil, err
	}
	g := groupCustomers(cs, nil)
	out := make([]ForecastPeriod, periods)
	for j := range g.w {
		c := Customer{Frequency: g.xs[g.xi[j]], Recency: g.txs[g.txi[j]], T: g.ts[g.ti[j]]}
		for k := range out {
			out[k].Cumulative += g.w[j] * m.ExpectedPurchases(float64(k+1)*length, c)
		}
	}
	prev := 0.0
	for k := range out {
		out[k].End = float64(k+1) * length
		out[k].Expected = out[k].Cumulative - prev
		prev = out[k].Cumulative
	}
	return out, nil
}

// HoldoutCheck compares a model's predictions for the holdout period with what the
// customers did, grouped by the number of repeat purchases in the calibration period
// (Fader, Hardie & Lee 2005, figure 4): the check that tells whether to trust a model.
type HoldoutCheck struct {
	Rows      []HoldoutRow
	Customers int
	Actual    float64 // total holdout purchases
	Predicted float64 // total predicted holdout purchases
}

// HoldoutRow is one calibration frequency's customers; the last row holds
// Frequency or more.
type HoldoutRow struct {
	Frequency int
	Customers int
	Actual    float64 // mean holdout purchases per customer
	Predicted float64 // mean conditional expectation per customer
}

// CheckHoldout predicts each customer's holdout purchases from its calibration history and
// tabulates the means by calibration frequency 0, 1, ..., maxFrequency (the last row
// pooling maxFrequency and more).
func CheckHoldout(m Model, holdouts []Holdout, maxFrequency int) (*HoldoutCheck, error) {
	if err := checkModel(m); err != nil {
		return nil, err
	}
	if maxFrequency < 0 || maxFrequency >= MaxPeriods {
		return nil, fmt.Errorf("%w: max frequency %d, want 0 to %d", ErrInvalid, maxFrequency, MaxPeriods-1)
	}
	v := &HoldoutCheck{Rows: make([]HoldoutRow, maxFrequency+1), Customers: len(holdouts)}
	for i := range v.Rows {
		v.Rows[i].Frequency = i
	}
	for i, s := range holdouts {
		if err := s.Customer.Validate(); err != nil {
			return nil, errorf("holdout %d (profile %d): %w", i, s.Profile, err)
		}
		if err := checkUnit(m, s.Unit); err != nil {
			return nil, errorf("holdout %d (profile %d): %w", i, s.Profile, err)
		}
		if err := checkHorizon(s.HoldoutLength); err != nil || s.HoldoutPurchases < 0 {
			return nil, errorf("holdout %d (profile %d): %w: holdout %v with %d purchases", i, s.Profile, ErrInvalid, s.HoldoutLength, s.HoldoutPurchases)
		}
		row := &v.Rows[min(s.Frequency, maxFrequency)]
		p := m.ExpectedPurchases(s.HoldoutLength, s.Customer)
		row.Customers++
		row.Actual += float64(s.HoldoutPurchases)
		row.Predicted += p
		v.Actual += float64(s.HoldoutPurchases)
		v.Predicted += p
	}
	for i := range v.Rows {
		if n := v.Rows[i].Customers; n > 0 {
			v.Rows[i].Actual /= float64(n)
			v.Rows[i].Predicted /= float64(n)
		}
	}
	return v, nil
}
