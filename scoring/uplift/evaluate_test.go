package uplift

import (
	"context"
	"errors"
	"math"
	"testing"

	"github.com/clientele-go/clientele/internal/synth"
)

// On campaigns where the promotion changes nothing, a model's Qini coefficient on fresh
// data has a 95% bootstrap interval that contains 0 for about 95% of campaigns.
func TestQiniZeroEffectCoverage(t *testing.T) {
	zeroEffectCoverage(t, "", 100, nil, fitEvaluate)
}

// zeroEffectCoverage simulates campaigns where the promotion changes nothing, from
// seed first on, fits (with fo) and evaluates each with fitEval, and fails if the Qini
// interval misses 0 in more than a quarter of them. The seeds are fixed, so the test
// is deterministic; the bound (at most 4 misses of 16, where the expected number is
// 0.8 and P(≥ 4) ≈ 0.7% for Binomial(16, 0.05)) would catch intervals that are far
// too narrow or a Qini biased away from 0, and a change that moves the figures by
// chance fails with that small probability only. what names the outcome in messages.
func zeroEffectCoverage(t *testing.T, what string, first uint64, fo *FitOptions, fitEval func(t *testing.T, train, test *synth.Campaign, fo *FitOptions, eo *EvalOptions) *Evaluation) {
	t.Helper()
	seeds := 16
	n := 20_000
	if testing.Short() {
		seeds, n = 8, 10_000
	}
	if raceEnabled {
		seeds, n = 4, 5_000
	}
	misses := 0
	for s := range seeds {
		seed := first + 2*uint64(s)
		train := synth.SimulateCampaign(synth.CampaignParams{People: n, Seed: seed, NoEffect: true})
		test := synth.SimulateCampaign(synth.CampaignParams{People: n, Seed: seed + 1, NoEffect: true})
		ev := fitEval(t, train, test, fo, &EvalOptions{Seed: seed})
		if !ev.QiniCoefficient.Contains(0) {
			misses++
			t.Logf("seed %d: Qini %+.4f [%+.4f, %+.4f] excludes 0", seed, ev.QiniCoefficient.Estimate, ev.QiniCoefficient.Lo, ev.QiniCoefficient.Hi)
		}
	}
	if misses > seeds/4 {
		t.Errorf("%d of %d zero-effect campaigns have a %sQini interval without 0", misses, seeds, what)
	}
}

// fitEvaluate fits a conversion model to train and evaluates its uplift on test.
func fitEvaluate(t *testing.T, train, test *synth.Campaign, fo *FitOptions, eo *EvalOptions) *Evaluation {
	t.Helper()
	m, err := Fit(train.X, train.Treated, train.Converted, fo)
	if err != nil {
		t.Fatal(err)
	}
	u, err := m.Uplift(test.X)
	if err != nil {
		t.Fatal(err)
	}
	ev, err := Evaluate(context.Background(), u, test.Treated, test.Converted, eo)
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

// With a real effect, the model's Qini and AUUC are positive and their intervals
// exclude 0; scoring by the true uplift does at least as well; the calibration bins
// fall from the top decile to the bottom.
func TestEvaluateFindsEffect(t *testing.T) {
	train := synth.SimulateCampaign(synth.CampaignParams{People: scaled(50_000), Seed: 1})
	test := synth.SimulateCampaign(synth.CampaignParams{People: scaled(50_000), Seed: 2})
	ev := fitEvaluate(t, train, test, &FitOptions{Learner: XLearner}, nil)
	truth, err := Evaluate(context.Background(), test.Uplift, test.Treated, test.Converted, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("model: Qini %+.3f [%+.3f, %+.3f], AUUC %+.3f, uplift@30%% %+.4f; truth: Qini %+.3f",
		ev.QiniCoefficient.Estimate, ev.QiniCoefficient.Lo, ev.QiniCoefficient.Hi, ev.AUUC.Estimate, ev.UpliftAtK.Estimate, truth.QiniCoefficient.Estimate)
	if ev.QiniCoefficient.Lo <= 0 || ev.AUUC.Lo <= 0 || ev.UpliftAtK.Lo <= 0 {
		t.Errorf("intervals include 0: %+v", ev)
	}
	if truth.QiniCoefficient.Estimate < ev.QiniCoefficient.Lo {
		t.Errorf("the true uplift ranks worse (%v) than the model (%+v)", truth.QiniCoefficient.Estimate, ev.QiniCoefficient)
	}
	if len(ev.Deciles) != 10 || ev.Deciles[0].Observed <= ev.Deciles[9].Observed || ev.Deciles[0].Predicted <= ev.Deciles[9].Predicted {
		t.Errorf("deciles do not fall: %+v", ev.Deciles)
	}
	for _, iv := range [](struct{ e, lo, hi float64 }){
		{ev.QiniCoefficient.Estimate, ev.QiniCoefficient.Lo, ev.QiniCoefficient.Hi},
		{ev.AUUC.Estimate, ev.AUUC.Lo, ev.AUUC.Hi},
	} {
		if !(iv.lo <= iv.e && iv.e <= iv.hi) || math.IsNaN(iv.lo) {
			t.Errorf("estimate %v outside its interval [%v, %v]", iv.e, iv.lo, iv.hi)
		}
	}
}

func TestEvaluateInvalid(t *testing.T) {
	s := []float64{1, 2, 3, 4}
	tr := []bool{true, false, true, false}
	y := []bool{true, false, false, true}
	for _, c := range []struct {
		name string
		s    []float64
		t, y []bool
		o    *EvalOptions
	}{
		{"lengths", s[:3], tr, y, nil},
		{"nan", []float64{1, math.NaN(), 3, 4}, tr, y, nil},
		// An infinite score ranks, but made the calibration bins' mean score Inf or NaN;
		// Target refuses it too.
		{"+inf", []float64{1, math.Inf(1), 3, 4}, tr, y, nil},
		{"-inf", []float64{1, 2, math.Inf(-1), 4}, tr, y, nil},
		{"one arm", s, []bool{true, true, true, true}, y, nil},
		{"no buyer", s, tr, make([]bool, 4), nil},
		{"k", s, tr, y, &EvalOptions{K: 1}},
		{"level", s, tr, y, &EvalOptions{Level: 95}},
		{"replicates", s, tr, y, &EvalOptions{Replicates: -1}},
		{"bins", s, tr, y, &EvalOptions{Bins: -2}},
	} {
		if _, err := Evaluate(context.Background(), c.s, c.t, c.y, c.o); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", c.name, err)
		}
	}
	if _, err := UpliftCurve(s, tr[:1], y); !errors.Is(err, ErrInvalid) {
		t.Errorf("UpliftCurve lengths: %v", err)
	}
	if _, err := QiniCurve(s, make([]bool, 4), y); !errors.Is(err, ErrInvalid) {
		t.Errorf("QiniCurve one arm: %v", err)
	}
}
