package uplift

import (
	"errors"
	"math"
	"testing"

	"github.com/clientele-go/clientele/internal/synth"
	"gonum.org/v1/gonum/stat"
)

// Every learner recovers the simulator's true uplift well enough to rank by it: its
// scores correlate with the truth on fresh people, and their mean is near the mean
// true uplift.
func TestLearnersRecoverTruth(t *testing.T) {
	train := synth.SimulateCampaign(synth.CampaignParams{People: scaled(100_000), Seed: 1, Treated: 0.4})
	test := synth.SimulateCampaign(synth.CampaignParams{People: scaled(20_000), Seed: 2})
	minCorr := 0.6 // 0.71 to 0.78 at 100,000 rows
	if raceEnabled {
		minCorr = 0.5 // a quarter of the rows: 0.58 to 0.74
	}
	for _, o := range []FitOptions{{Learner: TwoModel}, {Learner: ClassTransformation}, {Learner: XLearner}, {Learner: XLearner, FitPropensity: true}} {
		m, err := Fit(train.X, train.Treated, train.Converted, &o)
		if err != nil {
			t.Fatalf("%s: %v", o.Learner, err)
		}
		u, err := m.Uplift(test.X)
		if err != nil {
			t.Fatal(err)
		}
		r := stat.Correlation(u, test.Uplift, nil)
		bias := stat.Mean(u, nil) - stat.Mean(test.Uplift, nil)
		t.Logf("%s (fitted g %v): correlation %.3f, mean bias %+.4f", o.Learner, o.FitPropensity, r, bias)
		if r < minCorr || math.Abs(bias) > 0.01 {
			t.Errorf("%s: correlation with the true uplift %.3f (want ≥ %v), mean bias %+.4f", o.Learner, r, minCorr, bias)
		}
		if o.Learner != ClassTransformation {
			p, err := m.Response(test.X)
			if err != nil {
				t.Fatal(err)
			}
			if r := stat.Correlation(p, test.Response, nil); r < 0.8 {
				t.Errorf("%s: response correlation %.3f", o.Learner, r)
			}
		} else if _, err := m.Response(test.X); !errors.Is(err, ErrInvalid) {
			t.Errorf("class transformation Response: %v, want ErrInvalid", err)
		}
	}
}
