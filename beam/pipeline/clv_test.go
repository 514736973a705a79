package pipeline

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	"github.com/clientele-go/clientele/scoring"
)

func init() {
	register.Function1x1(encodeScore)
	register.Function1x1(encodeSummary)
}

func near(a, b, rel float64) bool {
	return a == b || math.Abs(a-b) <= rel*math.Max(math.Abs(a), math.Abs(b))
}

func TestCustomerValueEqualsInProcess(t *testing.T) {
	txs := genTransactions(3, 8000)
	opt := CLVOptions{
		Summary: scoring.SummaryOptions{End: time.Date(2024, 12, 31, 0, 0, 0, 0, time.UTC)},
		Value:   scoring.CLVOptions{Horizon: 52, Period: 4, DiscountRate: 0.01},
	}
	p, s := beam.NewPipelineWithRoot()
	sums0, err := Summaries(s, opt, beam.CreateList(s, txs))
	if err != nil {
		t.Fatal(err)
	}
	res, err := CustomerValue(s, opt, stall(s, sums0))
	if err != nil {
		t.Fatal(err)
	}
	collect(s, "clv/model", res.Model)
	collect(s, "clv/scores", beam.ParDo(s, encodeScore, res.Scores))
	collect(s, "clv/summaries", beam.ParDo(s, encodeSummary, sums0))
	runMerging(t, p)

	sorted := slices.Clone(txs)
	SortTransactions(sorted)
	sums, err := scoring.Summarize(slices.Values(sorted), &opt.Summary)
	if err != nil {
		t.Fatal(err)
	}
	var gotSums []scoring.Summary
	for _, b := range got(t, "clv/summaries") {
		s, err := decodeSummary(b)
		if err != nil {
			t.Fatal(err)
		}
		gotSums = append(gotSums, s)
	}
	slices.SortFunc(gotSums, func(a, b scoring.Summary) int { return int(a.Profile) - int(b.Profile) })
	if len(gotSums) != len(sums) {
		t.Fatalf("%d summaries, want %d", len(gotSums), len(sums))
	}
	for i := range sums {
		if !sums[i].First.Equal(gotSums[i].First) || sums[i].Customer != gotSums[i].Customer || sums[i].Spend != gotSums[i].Spend || sums[i].Profile != gotSums[i].Profile {
			t.Fatalf("summary %d: %+v, want %+v", i, gotSums[i], sums[i])
		}
	}
	cs := make([]scoring.Customer, len(sums))
	for i, s := range sums {
		cs[i] = s.Customer
	}
	want, err := scoring.FitBGNBD(cs, nil)
	if err != nil {
		t.Fatal(err)
	}
	wantGG, err := scoring.FitGammaGamma(cs, nil)
	if err != nil {
		t.Fatal(err)
	}
	m, gg, err := DecodeModels(only(t, "clv/model"))
	if err != nil {
		t.Fatal(err)
	}
	gm := m.(*scoring.BGNBD)
	const tol = 1e-6 // the optimiser's answer moves with the order of the likelihood's sums
	for i, pair := range [][2]float64{{want.R, gm.R}, {want.Alpha, gm.Alpha}, {want.A, gm.A}, {want.B, gm.B},
		{wantGG.P, gg.P}, {wantGG.Q, gg.Q}, {wantGG.Gamma, gg.Gamma}, {want.LogLik, gm.LogLik}} {
		if !near(pair[0], pair[1], tol) {
			t.Errorf("parameter %d: pipeline %v, in process %v", i, pair[1], pair[0])
		}
	}
	// Scores: the in-process scores with the in-process fit, against the pipeline's.
	pred, err := scoring.Predict(want, cs, opt.Value.Horizon)
	if err != nil {
		t.Fatal(err)
	}
	clv, err := scoring.CLV(want, wantGG, cs, &opt.Value)
	if err != nil {
		t.Fatal(err)
	}
	scores := map[uint32]Score{}
	for _, b := range got(t, "clv/scores") {
		sc, err := decodeScore(b)
		if err != nil {
			t.Fatal(err)
		}
		scores[sc.Profile] = sc
	}
	if len(scores) != len(sums) {
		t.Fatalf("%d scores, want %d", len(scores), len(sums))
	}
	for i, s := range sums {
		g := scores[s.Profile]
		if !near(g.PAlive, pred[i].PAlive, 1e-5) || !near(g.ExpectedPurchases, pred[i].ExpectedPurchases, 1e-5) || !near(g.CLV, clv[i], 1e-5) {
			t.Fatalf("profile %d: %+v, want P(alive) %v, purchases %v, CLV %v", s.Profile, g, pred[i].PAlive, pred[i].ExpectedPurchases, clv[i])
		}
	}
}

// The fit worker, on the gathered statistics of any split of the summaries, equals
// the in-process fits on the customers themselves, for every purchase model and for
// Gamma-Gamma: the weighted fits never expand the statistics into customers.
func TestFitWorkerEqualsInProcessFits(t *testing.T) {
	txs := genTransactions(5, 3000)
	SortTransactions(txs)
	end := time.Date(2024, 12, 31, 0, 0, 0, 0, time.UTC)
	sums, err := scoring.Summarize(slices.Values(txs), &scoring.SummaryOptions{End: end})
	if err != nil {
		t.Fatal(err)
	}
	cs := make([]scoring.Customer, len(sums))
	var f historiesFn
	a, b := f.CreateAccumulator(), f.CreateAccumulator()
	for i, s := range sums {
		cs[i] = s.Customer
		if i%3 == 0 {
			a = f.AddInput(a, s)
		} else {
			b = f.AddInput(b, s)
		}
	}
	h := f.MergeAccumulators(b, a)
	wantGG, err := scoring.FitGammaGamma(cs, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, kind := range []string{"bgnbd", "mbgnbd", "paretonbd"} {
		w, err := wireCLV(CLVOptions{Summary: scoring.SummaryOptions{End: end}, Model: kind, Value: scoring.CLVOptions{Horizon: 52}})
		if err != nil {
			t.Fatal(err)
		}
		enc, err := (&fitFn{Opt: w}).ProcessElement(nil, sideOf(h))
		if err != nil {
			t.Fatal(kind, err)
		}
		m, gg, err := DecodeModels(enc)
		if err != nil {
			t.Fatal(err)
		}
		var want, gotP []float64
		var wantLL, gotLL float64
		switch kind {
		case "bgnbd":
			w, err := scoring.FitBGNBD(cs, nil)
			if err != nil {
				t.Fatal(err)
			}
			g := m.(*scoring.BGNBD)
			want, gotP, wantLL, gotLL = []float64{w.R, w.Alpha, w.A, w.B}, []float64{g.R, g.Alpha, g.A, g.B}, w.LogLik, g.LogLik
		case "mbgnbd":
			w, err := scoring.FitMBGNBD(cs, nil)
			if err != nil {
				t.Fatal(err)
			}
			g := m.(*scoring.MBGNBD)
			want, gotP, wantLL, gotLL = []float64{w.R, w.Alpha, w.A, w.B}, []float64{g.R, g.Alpha, g.A, g.B}, w.LogLik, g.LogLik
		case "paretonbd":
			w, err := scoring.FitParetoNBD(cs, nil)
			if err != nil {
				t.Fatal(err)
			}
			g := m.(*scoring.ParetoNBD)
			want, gotP, wantLL, gotLL = []float64{w.R, w.Alpha, w.S, w.Beta}, []float64{g.R, g.Alpha, g.S, g.Beta}, w.LogLik, g.LogLik
		}
		want = append(want, wantGG.P, wantGG.Q, wantGG.Gamma, wantLL, wantGG.LogLik)
		gotP = append(gotP, gg.P, gg.Q, gg.Gamma, gotLL, gg.LogLik)
		for i := range want {
			if !near(want[i], gotP[i], 1e-6) {
				t.Errorf("%s: value %d: worker %v, in process %v", kind, i, gotP[i], want[i])
			}
		}
	}
}

// TestCLVOptionsRefuseWhatCannotTravel: options a worker could not honour are refused
// when the pipeline is built, not dropped: a Progress function, and Weights, which
// the pipeline computes itself from the histories it gathers.
func TestCLVOptionsRefuseWhatCannotTravel(t *testing.T) {
	base := CLVOptions{Summary: scoring.SummaryOptions{End: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}, Value: scoring.CLVOptions{Horizon: 52}}
	if _, err := wireCLV(base); err != nil {
		t.Fatal(err)
	}
	progress, weights := base, base
	progress.Fit.Progress = func(string, int, float64) {}
	weights.Fit.Weights = []float64{1}
	for name, o := range map[string]CLVOptions{"Progress": progress, "Weights": weights} {
		if _, err := wireCLV(o); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "FitOptions."+name) {
			t.Errorf("FitOptions.%s: %v", name, err)
		}
	}
}

// Data too few to fit give a Model element that says so, in the in-process SDK's words
// (not those of the weighted rows the pipeline fits: "needs weights totalling"), which
// DecodeModels returns as scoring.ErrTooFew, and no scores; the pipeline goes on.
func TestTooFewToFit(t *testing.T) {
	end := time.Date(2024, 12, 31, 0, 0, 0, 0, time.UTC)
	txs := []scoring.Transaction{
		{Profile: 1, Time: end.AddDate(0, -6, 0), Amount: 10}, {Profile: 1, Time: end.AddDate(0, -1, 0), Amount: 20},
		{Profile: 2, Time: end.AddDate(0, -3, 0), Amount: 5},
	}
	sums, w, enc, err := fitTransactions(t, txs, end)
	if err != nil {
		t.Fatalf("fit of 2 customers failed the pipeline: %v", err)
	}
	m, gg, err := DecodeModels(enc)
	if !errors.Is(err, scoring.ErrTooFew) || m != nil || gg != nil || !strings.Contains(err.Error(), "BG/NBD needs at least 10 customers, got 2") ||
		strings.Count(err.Error(), "scoring:") != 1 {
		t.Fatalf("DecodeModels of an unfitted element: %v, %v, %v", m, gg, err)
	}
	score := &scoreFn{Opt: w}
	for _, s := range sums {
		if err := score.ProcessElement(s, enc, func(Score) { t.Error("a customer was scored without a model") }); err != nil {
			t.Fatal(err)
		}
	}
}

// fitTransactions runs the pipeline's fit worker on the histories of txs at end, as
// CustomerValue would with a 52-week horizon, returning the histories, the wired
// options, the fit's element and its error.
func fitTransactions(t *testing.T, txs []scoring.Transaction, end time.Time) ([]scoring.Summary, clvWire, []byte, error) {
	t.Helper()
	sums, err := scoring.Summarize(slices.Values(txs), &scoring.SummaryOptions{End: end})
	if err != nil {
		t.Fatal(err)
	}
	var f historiesFn
	h := f.CreateAccumulator()
	for _, s := range sums {
		h = f.AddInput(h, s)
	}
	w, err := wireCLV(CLVOptions{Summary: scoring.SummaryOptions{End: end}, Value: scoring.CLVOptions{Horizon: 52}})
	if err != nil {
		t.Fatal(err)
	}
	enc, err := (&fitFn{Opt: w}).ProcessElement(nil, sideOf(h))
	return sums, w, enc, err
}

// sideOf is a side input holding v alone, as a DoFn reading a global Combine's output
// sees it.
func sideOf[T any](v T) func(*T) bool {
	done := false
	return func(p *T) bool {
		if done {
			return false
		}
		*p, done = v, true
		return true
	}
}

// Repeat buyers whose repeat purchases cost nothing (free orders) are left out of the
// spend model's fit, as scoring.FitGammaGamma leaves them out in process: the fit
// equals the SDK's on the same customers. The pipeline refused them once, as the SDK
// did.
func TestZeroRepeatSpendFitsAsInProcess(t *testing.T) {
	end := time.Date(2024, 12, 31, 0, 0, 0, 0, time.UTC)
	txs := genTransactions(3, 300)
	for _, p := range []uint32{301, 302} { // two free repeat orders after a paid one
		txs = append(txs, scoring.Transaction{Profile: p, Time: end.AddDate(0, -5, 0), Amount: 30},
			scoring.Transaction{Profile: p, Time: end.AddDate(0, -2, 0), Amount: 0})
	}
	SortTransactions(txs)
	sums, _, enc, err := fitTransactions(t, txs, end)
	if err != nil {
		t.Fatalf("fit with two free repeat orders: %v", err)
	}
	_, gg, err := DecodeModels(enc)
	if err != nil {
		t.Fatal(err)
	}
	cs := make([]scoring.Customer, len(sums))
	paid, free := 0, 0
	for i, s := range sums {
		cs[i] = s.Customer
		switch {
		case s.Frequency > 0 && s.Monetary == 0:
			free++
		case s.Frequency > 0:
			paid++
		}
	}
	if free != 2 {
		t.Fatalf("%d free repeat buyers in the test's data, want 2", free)
	}
	want, err := scoring.FitGammaGamma(cs, nil)
	if err != nil {
		t.Fatal(err)
	}
	if gg.Fit.Customers != want.Fit.Customers || math.Abs(gg.P/want.P-1) > 1e-6 || math.Abs(gg.Q/want.Q-1) > 1e-6 || math.Abs(gg.Gamma/want.Gamma-1) > 1e-6 {
		t.Errorf("spend model of %v customers p %v q %v gamma %v, want the SDK's of %v: %v %v %v",
			gg.Fit.Customers, gg.P, gg.Q, gg.Gamma, want.Fit.Customers, want.P, want.Q, want.Gamma)
	}
	if want.Fit.Customers != float64(paid) {
		t.Errorf("the SDK fitted %v customers, want the %d paying repeat buyers", want.Fit.Customers, paid)
	}
}
