package scoring_test

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clientele-go/clientele/scoring"
)

// TestErrorPaths drives the error paths of the public functions: each error must wrap
// the package's sentinel that names its kind, and carry "scoring:" exactly once.
func TestErrorPaths(t *testing.T) {
	bad := []scoring.Customer{{Frequency: 1, Recency: 40, T: 38, Monetary: 10}}
	nan := []scoring.Customer{{Frequency: 1, Recency: math.NaN(), T: 38, Monetary: 10}}
	few := []scoring.Customer{{Frequency: 1, Recency: 10, T: 38, Monetary: 10}}
	mixed := []scoring.Customer{{Frequency: 1, Recency: 10, T: 38, Unit: 24 * time.Hour}, {Frequency: 1, Recency: 1, T: 5, Unit: 7 * 24 * time.Hour}}
	m := &scoring.BGNBD{R: 0.24, Alpha: 4.4, A: 0.79, B: 2.4}
	end := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	read := func(s string) error {
		for _, err := range scoring.ReadTransactions(strings.NewReader(s), nil) {
			if err != nil {
				return err
			}
		}
		return nil
	}
	for _, c := range []struct {
		name string
		err  error
		want error
	}{
		{"FitBGNBD with recency after T", second(scoring.FitBGNBD(bad, nil)), scoring.ErrInvalid},
		{"FitParetoNBD with a NaN", second(scoring.FitParetoNBD(nan, nil)), scoring.ErrInvalid},
		{"FitBGNBD on one customer", second(scoring.FitBGNBD(few, nil)), scoring.ErrTooFew},
		{"FitBGNBD of days and weeks", second(scoring.FitBGNBD(mixed, nil)), scoring.ErrInvalid},
		{"FitParetoNBD weighted, of days and weeks", second(scoring.FitParetoNBD(mixed[:2], &scoring.FitOptions{Weights: []float64{5, 5}})), scoring.ErrInvalid},
		{"FitGammaGamma with a negative weight", second(scoring.FitGammaGamma(bad, &scoring.FitOptions{Weights: make([]float64, len(bad))})), scoring.ErrInvalid},
		{"FitBGBB of years and months", second(scoring.FitBGBB([]scoring.Opportunities{{N: 1, Weight: 9, Unit: 8760 * time.Hour}, {N: 1, Weight: 9, Unit: 730 * time.Hour}}, nil)), scoring.ErrInvalid},
		{"FitBGNBD with a negative unit", second(scoring.FitBGNBD([]scoring.Customer{{Unit: -time.Hour}}, nil)), scoring.ErrInvalid},
		{"FitGammaGamma with recency after T", second(scoring.FitGammaGamma(bad, nil)), scoring.ErrInvalid},
		{"Predict with a negative horizon", second(scoring.Predict(m, few, -1)), scoring.ErrInvalid},
		{"Predict with a bad customer", second(scoring.Predict(m, bad, 1)), scoring.ErrInvalid},
		{"CLV without a spend model", second(scoring.CLV(m, nil, few, &scoring.CLVOptions{Horizon: 52})), scoring.ErrInvalid},
		{"Summarize without an end", second(scoring.Summarize(slices.Values([]scoring.Transaction{}), nil)), scoring.ErrInvalid},
		{"Summarize a negative amount", second(scoring.Summarize(slices.Values([]scoring.Transaction{{Profile: 1, Time: end, Amount: -1}}), &scoring.SummaryOptions{End: end})), scoring.ErrInvalid},
		{"ReadTransactions of a bad amount", read("1,2024-01-02,abc\n"), scoring.ErrSyntax},
		{"Evaluate of different lengths", second(scoring.Evaluate([]float64{1}, nil)), scoring.ErrInvalid},
		{"FitLogistic of different lengths", second(scoring.FitLogistic([][]float64{{1}}, nil, nil)), scoring.ErrInvalid},
		{"NewEngagement with a negative half-life", second(scoring.NewEngagement(-time.Hour)), scoring.ErrInvalid},
		{"RFM of a bad summary", second(scoring.RFM([]scoring.Summary{{Profile: 1, Customer: scoring.Customer{Frequency: -1}}}, nil)), scoring.ErrInvalid},
		{"RFM of a NaN spend", second(scoring.RFM([]scoring.Summary{{Profile: 1, Spend: math.NaN()}}, nil)), scoring.ErrInvalid},
		{"Summarize of a profile 0", second(scoring.Summarize(slices.Values([]scoring.Transaction{{Time: end}}), &scoring.SummaryOptions{End: end})), scoring.ErrInvalid},
		{"Tracking of a negative birth", second(scoring.Tracking(m, []float64{0, -1}, 2, 1)), scoring.ErrInvalid},
		{"Predict of a bad customer among good", second(scoring.Predict(m, append(few, bad...), 1)), scoring.ErrInvalid},
		{"UnmarshalJSON of another model", new(scoring.BGNBD).UnmarshalJSON([]byte(`{"model":"Pareto/NBD"}`)), scoring.ErrModel},
	} {
		if !errors.Is(c.err, c.want) {
			t.Errorf("%s: err = %v, want %v", c.name, c.err, c.want)
			continue
		}
		if n := strings.Count(c.err.Error(), "scoring:"); n != 1 || !strings.HasPrefix(c.err.Error(), "scoring: ") {
			t.Errorf("%s: %q carries the package prefix %d times, or not at the start", c.name, c.err, n)
		}
	}
}

func second[T any](_ T, err error) error { return err }

// TestCLVOptionsSayWhatIsAllowed: a CLV refused for its options named the value but
// not the rule ("CLV period 1 for horizon 1e+06", "discount rate -1", "margin -1"),
// leaving the caller to guess that the horizon may hold at most 100,000 periods.
func TestCLVOptionsSayWhatIsAllowed(t *testing.T) {
	m := &scoring.BGNBD{R: 0.243, Alpha: 4.414, A: 0.793, B: 2.426}
	g := &scoring.GammaGamma{P: 6.25, Q: 3.74, Gamma: 15.45}
	cs := []scoring.Customer{{Frequency: 2, Recency: 30.43, T: 38.86, Monetary: 20}}
	for _, tc := range []struct {
		opt  scoring.CLVOptions
		want string
	}{
		{scoring.CLVOptions{Horizon: 1e6, Period: 1}, "1e+06 periods, more than 100000; lengthen the period"},
		{scoring.CLVOptions{Horizon: 52, Period: -1}, "CLV period -1 must be positive and finite"},
		{scoring.CLVOptions{Horizon: 52, DiscountRate: -1}, "discount rate -1 must be finite and greater than -1"},
		{scoring.CLVOptions{Horizon: 52, Margin: -1}, "margin -1 must be finite and not negative"},
	} {
		_, err := scoring.CLV(m, g, cs, &tc.opt)
		if !errors.Is(err, scoring.ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("CLV with %+v: %v, want ErrInvalid saying %q", tc.opt, err, tc.want)
		}
	}
}

// TestPredictionsRefuseAnotherUnit: a model fitted in weeks scored customers
// summarised in days as if their ages were weeks (expected purchases 0.37 for the
// customer a weekly summary gives 1.91), with no error, in Predict, CLV, Forecast,
// CheckHoldout and the intervals. Customers of another unit than the model's, or of
// two units, are ErrInvalid; an unrecorded unit on either side passes.
func TestPredictionsRefuseAnotherUnit(t *testing.T) {
	week, day := 7*24*time.Hour, 24*time.Hour
	cs := make([]scoring.Customer, 0, 60)
	for i := range 60 {
		cs = append(cs, scoring.Customer{Frequency: i % 4, Recency: float64(i%4) * 3, T: 12 + float64(i%5), Unit: week})
	}
	m, err := scoring.FitBGNBD(cs, nil)
	if err != nil {
		t.Fatal(err)
	}
	if m.Unit != week {
		t.Fatalf("fitted unit %v", m.Unit)
	}
	iv, err := scoring.NewIntervals(m, nil, cs, nil)
	if err != nil {
		t.Fatal(err)
	}
	inDays := []scoring.Customer{{Frequency: 2, Recency: 70, T: 140, Unit: day}}
	mixed := []scoring.Customer{{Frequency: 2, Recency: 10, T: 20, Unit: week}, inDays[0]}
	gg := &scoring.GammaGamma{P: 6, Q: 4, Gamma: 15}
	for _, c := range []struct {
		name string
		err  error
		want string
	}{
		{"Predict", second(scoring.Predict(m, inDays, 52)), "unit 24h0m0s, the model was fitted in 168h0m0s"},
		{"Predict of two units", second(scoring.Predict(m, mixed, 52)), "row 1 has unit 24h0m0s"},
		{"CLV", second(scoring.CLV(m, gg, inDays, &scoring.CLVOptions{Horizon: 52})), "the model was fitted in 168h0m0s"},
		{"Forecast", second(scoring.Forecast(m, inDays, 4, 13)), "the model was fitted in 168h0m0s"},
		{"CheckHoldout", second(scoring.CheckHoldout(m, []scoring.Holdout{{Summary: scoring.Summary{Profile: 9, Customer: inDays[0]}, HoldoutLength: 30}}, 3)),
			"holdout 0 (profile 9): invalid input: unit 24h0m0s"},
		{"Intervals.ExpectedPurchases", second(iv.ExpectedPurchases(52, inDays[0])), "the model was fitted in 168h0m0s"},
		{"Intervals.PAlive", second(iv.PAlive(inDays[0])), "the model was fitted in 168h0m0s"},
		{"Intervals.BasePurchases", second(iv.BasePurchases(52, inDays)), "the model was fitted in 168h0m0s"},
	} {
		if !errors.Is(c.err, scoring.ErrInvalid) || !strings.Contains(c.err.Error(), c.want) || !strings.HasPrefix(c.err.Error(), "scoring: ") {
			t.Errorf("%s: %v, want ErrInvalid saying %q", c.name, c.err, c.want)
		}
	}
	// Unrecorded units pass on either side.
	unrecorded := []scoring.Customer{{Frequency: 2, Recency: 10, T: 20}}
	if _, err := scoring.Predict(m, unrecorded, 52); err != nil {
		t.Errorf("a customer of no recorded unit: %v", err)
	}
	bare := *m
	bare.Unit = 0
	if _, err := scoring.Predict(&bare, inDays, 52); err != nil {
		t.Errorf("a model of no recorded unit: %v", err)
	}
}

// TestIntervalsRefuseAnotherUnit: the intervals read histories in the model's unit
// too. NewIntervals took the delta method's information from customers in days at a
// weekly model's parameters; the covariate models' Intervals did the same; BG/BB's
// Intervals and its predictions read yearly opportunities as monthly ones (a donor
// of 6 yearly drives as one of 6 months), all without an error.
func TestIntervalsRefuseAnotherUnit(t *testing.T) {
	week, day := 7*24*time.Hour, 24*time.Hour
	cs := make([]scoring.Customer, 0, 60)
	for i := range 60 {
		cs = append(cs, scoring.Customer{Frequency: i % 4, Recency: float64(i%4) * 3, T: 12 + float64(i%5), Unit: week})
	}
	m, err := scoring.FitBGNBD(cs, nil)
	if err != nil {
		t.Fatal(err)
	}
	inDays := make([]scoring.Customer, len(cs))
	for i, c := range cs {
		inDays[i] = scoring.Customer{Frequency: c.Frequency, Recency: c.Recency * 7, T: c.T * 7, Unit: day}
	}
	cov := &scoring.BGNBDCovariates{R: m.R, Alpha: m.Alpha, A: m.A, B: m.B, Purchase: []float64{0.1}, Unit: week}
	pcov := &scoring.ParetoNBDCovariates{R: 0.5, Alpha: 5, S: 0.5, Beta: 10, Purchase: []float64{0.1}, Unit: week}
	z := make([][]float64, len(cs))
	for i := range z {
		z[i] = []float64{float64(i % 2)}
	}

	year, month := 8760*time.Hour, 730*time.Hour
	var rows []scoring.Opportunities
	for x := 0; x <= 6; x++ {
		for tx := x; tx <= 6; tx++ {
			if x == 0 && tx > 0 {
				break
			}
			rows = append(rows, scoring.Opportunities{Frequency: x, Recency: tx, N: 6, Weight: float64(20 + 10*tx - 5*x), Unit: year})
		}
	}
	bb, err := scoring.FitBGBB(rows, nil)
	if err != nil {
		t.Fatal(err)
	}
	// These rows fit BG/BB next to the no-dropout limit (gamma → 0), where the delta
	// method refuses (its normal approximation gave P(alive) [0, 1]); the unit checks
	// are the same for the bootstrap's intervals.
	biv, err := bb.Intervals(rows, &scoring.IntervalOptions{Method: scoring.Bootstrap, Replicates: 10, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	monthly := slices.Clone(rows)
	for i := range monthly {
		monthly[i].Unit = month
	}
	donor := scoring.Opportunities{Frequency: 3, Recency: 5, N: 6, Unit: month}
	const fitted = "the model was fitted in 8760h0m0s"
	for _, c := range []struct {
		name string
		err  error
		want string
	}{
		{"NewIntervals", second(scoring.NewIntervals(m, nil, inDays, nil)), "customers: invalid input: unit 24h0m0s, the model was fitted in 168h0m0s"},
		{"NewIntervals of two units", second(scoring.NewIntervals(m, nil, append(slices.Clone(cs), inDays[0]), nil)), "row 60 has unit 24h0m0s"},
		{"BGNBDCovariates.Intervals", second(cov.Intervals(inDays, z, nil, nil)), "the model was fitted in 168h0m0s"},
		{"ParetoNBDCovariates.Intervals", second(pcov.Intervals(inDays, z, nil, nil)), "the model was fitted in 168h0m0s"},
		{"BGBB.Intervals", second(bb.Intervals(monthly, nil)), "rows: invalid input: unit 730h0m0s, " + fitted},
		{"BGBB.Intervals of two units", second(bb.Intervals(append(slices.Clone(rows), monthly[0]), nil)), "mixed time units"},
		{"BGBBIntervals.PAlive", second(biv.PAlive(donor)), fitted},
		{"BGBBIntervals.ExpectedPurchases", second(biv.ExpectedPurchases(3, donor)), fitted},
		{"BGBBIntervals.PurchaseProb", second(biv.PurchaseProb(3, 1, donor)), fitted},
	} {
		if !errors.Is(c.err, scoring.ErrInvalid) || !strings.Contains(c.err.Error(), c.want) || !strings.HasPrefix(c.err.Error(), "scoring: ") {
			t.Errorf("%s: %v, want ErrInvalid saying %q", c.name, c.err, c.want)
		}
	}
	// Unrecorded units pass on either side.
	donor.Unit = 0
	if _, err := biv.ExpectedPurchases(3, donor); err != nil {
		t.Errorf("a history of no recorded unit: %v", err)
	}
	bare := *bb
	bare.Unit = 0
	if _, err := bare.Intervals(monthly, &scoring.IntervalOptions{Method: scoring.Bootstrap, Replicates: 10, Seed: 1}); err != nil {
		t.Errorf("a BG/BB of no recorded unit: %v", err)
	}
	if _, err := scoring.NewIntervals(m, nil, cs, nil); err != nil {
		t.Errorf("customers of the model's unit: %v", err)
	}
}

// TestEvaluateOneClassSaysWhatToDo: outcomes of one class failed with "too few
// customers to fit" though Evaluate fits nothing. The error says which class is
// missing and what to evaluate on instead, and is ErrInvalid: an input Evaluate's
// doc asks for.
func TestEvaluateOneClassSaysWhatToDo(t *testing.T) {
	for _, c := range []struct {
		name     string
		outcomes []bool
		want     string
	}{
		{"none converted", []bool{false, false, false}, "none of the 3 customers converted"},
		{"all converted", []bool{true, true}, "all 2 customers converted"},
		{"one customer", []bool{true}, "the one customer converted"},
		{"no rows", []bool{}, "no scores to evaluate"},
	} {
		_, err := scoring.Evaluate(make([]float64, len(c.outcomes)), c.outcomes)
		msg := fmt.Sprint(err)
		if !errors.Is(err, scoring.ErrInvalid) || errors.Is(err, scoring.ErrTooFew) || !strings.HasPrefix(msg, "scoring: ") ||
			!strings.Contains(msg, c.want) || (len(c.outcomes) > 0 && !strings.Contains(msg, "need at least one of each")) {
			t.Errorf("%s: %v, want ErrInvalid saying %q and what to do", c.name, err, c.want)
		}
	}
}
