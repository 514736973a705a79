package uplift

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/clientele-go/clientele/scoring"
)

func TestFitInvalid(t *testing.T) {
	x := [][]float64{{0}, {1}, {2}, {3}, {4}, {5}, {6}, {7}}
	tr := []bool{true, true, true, true, false, false, false, false}
	y := []bool{true, false, true, false, true, false, false, true}
	nan := [][]float64{{0}, {1}, {math.NaN()}, {3}, {4}, {5}, {6}, {7}}
	short := [][]float64{{0}, {1}, {2}, {3, 1}, {4}, {5}, {6}, {7}}
	allBuy := []bool{true, true, true, true, true, false, false, true}
	for _, c := range []struct {
		name string
		x    [][]float64
		t, y []bool
		o    *FitOptions
		want string
	}{
		{"lengths", x, tr[:7], y, nil, "7 treatment flags"},
		{"empty", nil, nil, nil, nil, "no rows"},
		{"nan", nan, tr, y, nil, "row 2, feature 0 is NaN"},
		{"ragged", short, tr, y, nil, "row 3 has 2 features"},
		{"one arm", x, make([]bool, 8), y, nil, "treated arm has 0 rows"},
		{"all buy", x, tr, allBuy, nil, "treated arm has 4 rows, 4 buyers among them"},
		{"lengths of one", x[:1], tr[:1], y, nil, "1 feature row, 1 treatment flag, 8 outcomes"},
		{"a control arm of one", x[:5], tr[:5], []bool{true, false, true, false, true}, nil, "control arm has 1 row, 1 buyer among them"},
		{"learner", x, tr, y, &FitOptions{Learner: 9}, "learner 9"},
		{"propensity", x, tr, y, &FitOptions{Propensity: 1}, "propensity 1"},
		{"lambda", x, tr, y, &FitOptions{Learner: XLearner, Lambda: -1}, "Lambda -1"},
		{"weights", x, tr, y, &FitOptions{Logistic: &scoring.LogisticOptions{Weights: make([]float64, 8)}}, "Weights is set"},
		// The base models' options were left to scoring.FitLogistic, whose refusal,
		// after the checks and in the middle of the fits, was scoring's ErrInvalid
		// and not uplift's, under two prefixes.
		{"logistic lambda", x, tr, y, &FitOptions{Logistic: &scoring.LogisticOptions{Lambda: -1}}, "FitOptions.Logistic.Lambda -1"},
		{"logistic lambda NaN, X-learner", x, tr, y, &FitOptions{Learner: XLearner, Logistic: &scoring.LogisticOptions{Lambda: math.NaN()}}, "FitOptions.Logistic.Lambda NaN"},
		{"logistic lambda Inf, class transformation", x, tr, y, &FitOptions{Learner: ClassTransformation, Logistic: &scoring.LogisticOptions{Lambda: math.Inf(1)}}, "FitOptions.Logistic.Lambda +Inf"},
		{"logistic names", x, tr, y, &FitOptions{Logistic: &scoring.LogisticOptions{Names: []string{"a", "b"}}}, "FitOptions.Logistic.Names has 2 names for 1 feature"},
	} {
		_, err := Fit(c.x, c.t, c.y, c.o)
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), c.want) || strings.Count(err.Error(), "uplift:") != 1 || strings.Contains(err.Error(), "scoring:") {
			t.Errorf("%s: %v, want ErrInvalid saying %q", c.name, err, c.want)
		}
	}
	m, err := Fit(x, tr, y, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Uplift([][]float64{{1, 2}}); !errors.Is(err, ErrInvalid) {
		t.Errorf("wrong width: %v", err)
	}
	if _, err := m.Uplift([][]float64{{math.Inf(1)}}); !errors.Is(err, ErrInvalid) {
		t.Errorf("infinite feature: %v", err)
	}
	for _, bad := range []*Model{{}, {Learner: XLearner, Treated: m.Treated, Control: m.Control}, {Learner: 7}} {
		if _, err := bad.Uplift(x); !errors.Is(err, ErrInvalid) {
			t.Errorf("incomplete model %+v: %v", bad, err)
		}
	}
}

func TestSpendInvalid(t *testing.T) {
	x := [][]float64{{0}, {1}, {2}, {3}, {4}, {5}}
	tr := []bool{true, true, true, false, false, false}
	y := []float64{3, 0, 5, 0, 1, 0}
	for _, c := range []struct {
		name string
		t    []bool
		y    []float64
		o    *FitOptions
		want string
	}{
		{"lengths", tr, y[:5], nil, "5 spends"},
		{"nan", tr, []float64{3, 0, math.NaN(), 0, 1, 0}, nil, "spend 2 is NaN"},
		{"negative", tr, []float64{3, 0, 5, -1, 1, 0}, nil, "spend 3 is -1"},
		{"one arm", []bool{true, true, true, true, true, false}, y, nil, "5 treated rows and 1 control row;"},
		{"lambda", tr, y, &FitOptions{Lambda: math.Inf(1)}, "Lambda +Inf"},
		{"propensity names", tr, y, &FitOptions{Learner: XLearner, FitPropensity: true, Logistic: &scoring.LogisticOptions{Names: []string{"a", "b"}}}, "FitOptions.Logistic.Names has 2 names for 1 feature"},
	} {
		_, err := FitSpend(x, c.t, c.y, c.o)
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), c.want) || strings.Count(err.Error(), "uplift:") != 1 || strings.Contains(err.Error(), "scoring:") {
			t.Errorf("%s: %v, want ErrInvalid saying %q", c.name, err, c.want)
		}
	}
	m, err := FitSpend(x, tr, y, nil)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := m.Uplift(x)
	if _, err := Target(u, nil, &Promotion{Outcome: Spend, Value: 0.3}); err != nil {
		t.Errorf("spend target: %v", err)
	}
	if _, err := Target([]float64{math.NaN()}, nil, &Promotion{Outcome: Spend}); !errors.Is(err, ErrInvalid) {
		t.Errorf("NaN spend uplift: %v", err)
	}
	if _, err := Target(u, nil, &Promotion{Outcome: 5}); !errors.Is(err, ErrInvalid) {
		t.Errorf("outcome 5: %v", err)
	}
	p, _ := Target(u, nil, &Promotion{Outcome: Spend})
	if _, err := p.Check(context.Background(), u, nil, tr, make([]bool, 6), nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("Check of a spend plan: %v", err)
	}
	if _, err := p.CheckSpend(context.Background(), u, nil, tr, []float64{1, 2, math.Inf(1), 0, 0, 0}, nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("infinite holdout spend: %v", err)
	}
	if _, err := EvaluateSpend(context.Background(), u, tr, make([]float64, 6), nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("no spend at all: %v", err)
	}
	// Negative spend (a refund netted out) was refused by FitSpend and taken by
	// EvaluateSpend and CheckSpend: spends 5 and -5 in the treated arm summed to 0
	// and were refused as "no outcome (no buyer, no spend)"; spends 5, -5, 3 gave
	// figures whose perfect curve is not the best ranking of such outcomes.
	for _, sp := range [][]float64{{5, -5, 0, 0, 0, 0}, {5, -5, 3, 0, 1, -1}} {
		_, err := EvaluateSpend(context.Background(), u, tr, sp, nil)
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "spend 1 is -5, want finite and not negative") {
			t.Errorf("EvaluateSpend of spends %v: %v, want ErrInvalid naming spend 1", sp, err)
		}
		if _, err := p.CheckSpend(context.Background(), u, nil, tr, sp, nil); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "spend 1 is -5, want finite and not negative") {
			t.Errorf("CheckSpend of spends %v: %v, want ErrInvalid naming spend 1", sp, err)
		}
	}
	bad := &Model{Learner: TwoModel, Outcome: Spend, SpendTreated: m.SpendTreated}
	if _, err := bad.Uplift(x); !errors.Is(err, ErrInvalid) {
		t.Errorf("spend model without its control model: %v", err)
	}
}
