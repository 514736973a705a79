package scoring

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

// Bad input gets an error that says what and where, never a NaN.

func validBase() []Customer {
	cs := make([]Customer, 20)
	for i := range cs {
		cs[i] = Customer{Frequency: i % 4, T: 30, Monetary: 10}
		if cs[i].Frequency > 0 {
			cs[i].Recency = float64(5 + i)
		}
	}
	return cs
}

func TestFitsRejectBadCustomers(t *testing.T) {
	bad := map[string]Customer{
		"negative frequency":        {Frequency: -1, T: 10},
		"negative recency":          {Frequency: 1, Recency: -1, T: 10},
		"negative T":                {T: -1},
		"recency greater than T":    {Frequency: 2, Recency: 11, T: 10},
		"frequency 0 with recency":  {Recency: 3, T: 10},
		"NaN recency":               {Frequency: 1, Recency: math.NaN(), T: 10},
		"infinite T":                {T: math.Inf(1)},
		"NaN monetary":              {Frequency: 1, Recency: 1, T: 2, Monetary: math.NaN()},
		"negative monetary":         {Frequency: 1, Recency: 1, T: 2, Monetary: -5},
		"negative infinite recency": {Frequency: 1, Recency: math.Inf(-1), T: 2},
	}
	fits := map[string]func([]Customer) error{
		"BG/NBD":      func(cs []Customer) error { _, err := FitBGNBD(cs, nil); return err },
		"MBG/NBD":     func(cs []Customer) error { _, err := FitMBGNBD(cs, nil); return err },
		"Pareto/NBD":  func(cs []Customer) error { _, err := FitParetoNBD(cs, nil); return err },
		"Gamma-Gamma": func(cs []Customer) error { _, err := FitGammaGamma(cs, nil); return err },
		"Predict": func(cs []Customer) error {
			_, err := Predict(goldenBG, cs, 10)
			return err
		},
		"SpendIndependence": func(cs []Customer) error { _, err := SpendIndependence(cs); return err },
	}
	for what, c := range bad {
		for name, fit := range fits {
			cs := validBase()
			cs[7] = c
			err := fit(cs)
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "customer 7") {
				t.Errorf("%s with %s: err = %v, want ErrInvalid naming customer 7", name, what, err)
			}
		}
	}
}

func TestFitsNeedEnoughData(t *testing.T) {
	few := validBase()[:MinCustomers-1]
	for name, err := range map[string]error{
		"BG/NBD few":       second(FitBGNBD(few, nil)),
		"Pareto/NBD few":   second(FitParetoNBD(few, nil)),
		"MBG/NBD few":      second(FitMBGNBD(few, nil)),
		"Gamma-Gamma few":  second(FitGammaGamma(few, nil)),
		"BG/NBD one-off":   second(FitBGNBD(make([]Customer, 50), nil)),
		"BG/BB few":        second(FitBGBB([]Opportunities{{Frequency: 1, Recency: 1, N: 2, Weight: 3}}, nil)),
		"BG/BB no repeat":  second(FitBGBB([]Opportunities{{N: 6, Weight: 30}}, nil)),
		"logistic 1 class": second(FitLogistic([][]float64{{1}, {2}}, []bool{true, true}, nil)),
	} {
		if !errors.Is(err, ErrTooFew) {
			t.Errorf("%s: err = %v, want ErrTooFew", name, err)
		}
	}
}

func second[T any](_ T, err error) error { return err }

func TestFitReportsNonConvergenceWithLastParameters(t *testing.T) {
	_, err := FitBGNBD(cdnowCustomers(t), &FitOptions{MaxIterations: 1})
	var ce *ConvergenceError
	if !errors.Is(err, ErrNoConvergence) || !errors.As(err, &ce) {
		t.Fatalf("err = %v, want a ConvergenceError", err)
	}
	if ce.Model != "BG/NBD" || len(ce.Params) != 4 || !strings.Contains(err.Error(), "r=") {
		t.Errorf("error %q lacks the last parameters: %+v", err, ce)
	}
	for _, p := range ce.Params {
		if !(p > 0) || math.IsInf(p, 0) {
			t.Errorf("last parameters %v", ce.Params)
		}
	}
}

// TestFitReportsRidge: customers who all bought again at the very end of observation
// show no dropout at all; the likelihood rises towards a dropout probability of 0 and
// has no interior maximum. The fit must return the boundary model and say so, with
// P(alive) 1 for everyone (nobody has dropped out).
func TestFitReportsRidge(t *testing.T) {
	cs := make([]Customer, 40)
	for i := range cs {
		cs[i] = Customer{Frequency: 1 + i%3, Recency: 20, T: 20}
	}
	check := func(name string, m Model, d Diagnostics, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if d.Boundary == nil || !strings.Contains(d.Boundary.Limit, "dropout") {
			t.Fatalf("%s: boundary %+v, want one naming the dropout limit", name, d.Boundary)
		}
		if p := m.PAlive(cs[0]); !(p > 0.99) {
			t.Errorf("%s: P(alive) %v at the no-dropout boundary, want about 1", name, p)
		}
		t.Logf("%s: %+v", name, *d.Boundary)
	}
	bg, err := FitBGNBD(cs, nil)
	if err == nil {
		check("BG/NBD", bg, bg.Fit, err)
	} else {
		check("BG/NBD", nil, Diagnostics{}, err)
	}
	mbg, err := FitMBGNBD(cs, nil)
	if err == nil {
		check("MBG/NBD", mbg, mbg.Fit, err)
	} else {
		check("MBG/NBD", nil, Diagnostics{}, err)
	}
}

func TestBGBBRejectsBadRows(t *testing.T) {
	good := loadDonations(t)
	for what, row := range map[string]Opportunities{
		"negative":             {Frequency: -1, N: 3, Weight: 1},
		"recency above n":      {Frequency: 1, Recency: 4, N: 3, Weight: 1},
		"frequency > recency":  {Frequency: 3, Recency: 2, N: 3, Weight: 1},
		"frequency 0, recency": {Recency: 2, N: 3, Weight: 1},
		"NaN weight":           {N: 3, Weight: math.NaN()},
		"negative weight":      {N: 3, Weight: -1},
		"zero weight":          {N: 3},
	} {
		rows := append(append([]Opportunities{}, good...), row)
		if _, err := FitBGBB(rows, nil); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "row 22") {
			t.Errorf("%s: err = %v, want ErrInvalid naming row 22", what, err)
		}
	}
}

// A repeat buyer whose repeat purchases were all free is left out of the fit, as one
// with no repeat purchase is (it was refused; TestGammaGammaFreeRepeatBuyers has more).
func TestGammaGammaSkipsZeroSpendOfRepeatBuyer(t *testing.T) {
	cs := validBase()
	cs[5].Monetary = 0
	got, err := FitGammaGamma(cs, nil)
	if err != nil {
		t.Fatal(err)
	}
	want, err := FitGammaGamma(slices.Delete(slices.Clone(cs), 5, 6), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.P != want.P || got.Q != want.Q || got.Gamma != want.Gamma || got.Fit.Customers != want.Fit.Customers {
		t.Errorf("with customer 5's spend 0: %+v, want the fit without customer 5: %+v", got, want)
	}
}

func TestPredictionArgumentsChecked(t *testing.T) {
	cs := validBase()
	gg := &GammaGamma{P: 6, Q: 4, Gamma: 15}
	for name, err := range map[string]error{
		"negative horizon":     second(Predict(goldenBG, cs, -1)),
		"NaN horizon":          second(Predict(goldenBG, cs, math.NaN())),
		"nil model":            second(Predict(nil, cs, 1)),
		"CLV no horizon":       second(CLV(goldenBG, gg, cs, &CLVOptions{})),
		"CLV NaN rate":         second(CLV(goldenBG, gg, cs, &CLVOptions{Horizon: 52, DiscountRate: math.NaN()})),
		"CLV rate -1":          second(CLV(goldenBG, gg, cs, &CLVOptions{Horizon: 52, DiscountRate: -1})),
		"CLV negative period":  second(CLV(goldenBG, gg, cs, &CLVOptions{Horizon: 52, Period: -4})),
		"CLV negative margin":  second(CLV(goldenBG, gg, cs, &CLVOptions{Horizon: 52, Margin: -0.1})),
		"CLV nil spend":        second(CLV(goldenBG, nil, cs, &CLVOptions{Horizon: 52})),
		"forecast 0 length":    second(Forecast(goldenBG, cs, 4, 0)),
		"forecast negative":    second(Forecast(goldenBG, cs, -1, 1)),
		"validate max -1":      second(CheckHoldout(goldenBG, nil, -1)),
		"validate bad holdout": second(CheckHoldout(goldenBG, []Holdout{{Summary: Summary{Customer: Customer{T: 3}}, HoldoutLength: math.Inf(1)}}, 3)),
		"validate bad split":   second(CheckHoldout(goldenBG, []Holdout{{Summary: Summary{Customer: Customer{Recency: 4, T: 3}}}}, 3)),
		"RFM bins":             second(RFM(nil, &RFMOptions{Bins: -2})),
		"RFM bad customer":     second(RFM([]Summary{{Customer: Customer{Frequency: -1}}}, nil)),
		"RFM NaN spend":        second(RFM([]Summary{{Spend: math.NaN()}}, nil)),
		"engagement half-life": second(NewEngagement(0)),
	} {
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: err = %v, want ErrInvalid", name, err)
		}
	}
}

// TestModelMethodsNeverNaN feeds the prediction methods arbitrary, possibly invalid,
// customers and horizons: they answer 0 for invalid input and a finite probability or
// expectation otherwise.
func TestModelMethodsNeverNaN(t *testing.T) {
	anyFloat := rapid.OneOf(rapid.Float64(), rapid.Float64Range(-10, 100), rapid.SampledFrom([]float64{0, math.NaN(), math.Inf(1), math.Inf(-1), 1e-300, 1e300}))
	rapid.Check(t, func(t *rapid.T) {
		c := Customer{Frequency: rapid.IntRange(-2, 500).Draw(t, "x"), Recency: anyFloat.Draw(t, "t_x"), T: anyFloat.Draw(t, "T"), Monetary: anyFloat.Draw(t, "m")}
		h := anyFloat.Draw(t, "t")
		n := rapid.IntRange(-1, 5).Draw(t, "n")
		valid := c.Validate() == nil && checkHorizon(h) == nil
		models := []Model{goldenBG, goldenPareto[0], goldenPareto[1], &MBGNBD{R: 0.525, Alpha: 6.183, A: 0.891, B: 1.614}}
		for _, m := range models {
			for what, v := range map[string]float64{
				"E":     m.ExpectedPurchases(h, c),
				"alive": m.PAlive(c),
				"P":     m.PurchaseProb(h, n, c),
				"Enew":  m.ExpectedPurchasesNew(h),
				"Pnew":  m.PurchaseProbNew(h, n),
			} {
				if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
					t.Fatalf("%T %s(%+v, t=%v, n=%d) = %v", m, what, c, h, n, v)
				}
				if (what == "alive" || what == "P" || what == "Pnew") && v > 1 {
					t.Fatalf("%T %s = %v > 1", m, what, v)
				}
			}
			if !valid && (m.ExpectedPurchases(h, c) != 0 || m.PurchaseProb(h, n, c) != 0) {
				t.Fatalf("%T: invalid input %+v, t=%v gave a non-zero answer", m, c, h)
			}
		}
		gg := &GammaGamma{P: 6.25, Q: 3.74, Gamma: 15.44}
		if v := gg.ExpectedSpend(c); math.IsNaN(v) || v < 0 {
			t.Fatalf("ExpectedSpend(%+v) = %v", c, v)
		}
	})
}

// TestFitRejectsBadPenalizer: a negative, infinite or NaN Penalizer is ErrInvalid.
func TestFitRejectsBadPenalizer(t *testing.T) {
	for _, c := range []float64{-0.1, math.Inf(1), math.NaN()} {
		if _, err := FitBGNBD(validBase(), &FitOptions{Penalizer: c}); !errors.Is(err, ErrInvalid) {
			t.Errorf("penalizer %v: err = %v, want ErrInvalid", c, err)
		}
	}
}

// TestTrackingRejectsBadInput: a nil model, a bad period length or count, or a
// negative or non-finite birth is ErrInvalid naming what.
func TestTrackingRejectsBadInput(t *testing.T) {
	m := &BGNBD{R: 0.24, Alpha: 4.4, A: 0.79, B: 2.4}
	for name, err := range map[string]error{
		"nil model":      second(Tracking(nil, []float64{1}, 1, 1)),
		"periods":        second(Tracking(m, []float64{1}, -1, 1)),
		"zero length":    second(Tracking(m, []float64{1}, 1, 0)),
		"NaN length":     second(Tracking(m, []float64{1}, 1, math.NaN())),
		"negative birth": second(Tracking(m, []float64{1, -2}, 1, 1)),
		"infinite birth": second(Tracking(m, []float64{math.Inf(1)}, 1, 1)),
	} {
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: err = %v, want ErrInvalid", name, err)
		}
	}
	if tr, err := Tracking(m, nil, 2, 1); err != nil || len(tr) != 2 || tr[1].Cumulative != 0 {
		t.Errorf("no customers: %+v, %v", tr, err)
	}
}

// TestTimeScaleRange: the fits are the same in any unit of time, from ages of 1e-150
// to 1e150 units; beyond, where (alpha+T)² overflows, a fit of ages of 1e155 units
// failed with "likelihood not finite at the starting point". It now says which unit
// to choose.
func TestTimeScaleRange(t *testing.T) {
	base := make([]Customer, 40)
	for i := range base {
		base[i] = Customer{Frequency: i % 4, T: 30 + float64(i%7)}
		if base[i].Frequency > 0 {
			base[i].Recency = base[i].T * float64(1+i%5) / 6
		}
	}
	scaled := func(c float64) []Customer {
		out := make([]Customer, len(base))
		for i, b := range base {
			out[i] = Customer{Frequency: b.Frequency, Recency: b.Recency * c, T: b.T * c}
		}
		return out
	}
	want, err := FitBGNBD(base, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []float64{1e-148, 1e148} {
		m, err := FitBGNBD(scaled(c), nil)
		if err != nil || math.Abs(m.R/want.R-1) > 1e-6 || math.Abs(m.Alpha/c/want.Alpha-1) > 1e-6 {
			t.Errorf("ages times %g: %v, %+v; want r %v, alpha %v", c, err, m, want.R, want.Alpha*c)
		}
	}
	for c, unit := range map[float64]string{1e-155: "smaller unit", 1e155: "larger unit"} {
		for name, err := range map[string]error{
			"BG/NBD":     second(FitBGNBD(scaled(c), nil)),
			"MBG/NBD":    second(FitMBGNBD(scaled(c), nil)),
			"Pareto/NBD": second(FitParetoNBD(scaled(c), nil)),
		} {
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), unit) {
				t.Errorf("%s, ages times %g: %v", name, c, err)
			}
		}
	}
}
