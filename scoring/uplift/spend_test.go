package uplift

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/clientele-go/clientele/internal/synth"
	"gonum.org/v1/gonum/stat"
)

// spendSet is a two-model spend learner's scores on a fresh simulated campaign, rounded
// to whole currency units so that many rows tie.
func spendSet(t *testing.T) ([]float64, []bool, []float64) {
	train := synth.SimulateCampaign(synth.CampaignParams{People: 20_000, Seed: 21})
	m, err := FitSpend(train.X, train.Treated, train.Spend, nil)
	if err != nil {
		t.Fatal(err)
	}
	test := synth.SimulateCampaign(synth.CampaignParams{People: 1500, Seed: 22, Treated: 0.6})
	s, err := m.Uplift(test.X)
	if err != nil {
		t.Fatal(err)
	}
	for i := range s {
		s[i] = math.Round(s[i])
	}
	return s, test.Treated, test.Spend
}

// TestSpendGolden compares EvaluateSpend with testdata/spend_golden.json, computed by
// testdata/spend_golden.py in NumPy from the same campaign.
func TestSpendGolden(t *testing.T) {
	path := filepath.Join("testdata", "spend.csv")
	if *update {
		s, tr, y := spendSet(t)
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		w := csv.NewWriter(f)
		w.Write([]string{"score", "treated", "spend"})
		for i := range s {
			w.Write([]string{strconv.FormatFloat(s[i], 'g', -1, 64), map[bool]string{false: "0", true: "1"}[tr[i]], strconv.FormatFloat(y[i], 'g', -1, 64)})
		}
		w.Flush()
		if err := errorsJoin(w.Error(), f.Close()); err != nil {
			t.Fatal(err)
		}
		t.Skip("wrote the campaign; now run testdata/spend_golden.py")
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	var s, y []float64
	var tr []bool
	for _, r := range recs[1:] {
		a, err1 := strconv.ParseFloat(r[0], 64)
		b, err2 := strconv.ParseFloat(r[2], 64)
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		s, tr, y = append(s, a), append(tr, r[1] == "1"), append(y, b)
	}
	var want goldenSet
	data, err := os.ReadFile(filepath.Join("testdata", "spend_golden.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &want); err != nil {
		t.Fatal(err)
	}
	for ks, wantK := range want.UpliftAtK {
		k, _ := strconv.ParseFloat(ks, 64)
		ev, err := EvaluateSpend(context.Background(), s, tr, y, &EvalOptions{K: k, Replicates: 2})
		if err != nil {
			t.Fatal(err)
		}
		closeAll(t, "uplift curve x", ev.Uplift.X, want.UpliftX)
		closeAll(t, "uplift curve y", ev.Uplift.Y, want.UpliftY)
		closeAll(t, "qini curve x", ev.Qini.X, want.QiniX)
		closeAll(t, "qini curve y", ev.Qini.Y, want.QiniY)
		closeAll(t, "qini coefficient", []float64{ev.QiniCoefficient.Estimate}, []float64{want.QiniAUC})
		closeAll(t, "auuc", []float64{ev.AUUC.Estimate}, []float64{want.UpliftAUC})
		closeAll(t, "uplift@"+ks, []float64{ev.UpliftAtK.Estimate}, []float64{nan(wantK)})
		for b, w := range want.Bins {
			g := ev.Deciles[b]
			if g.Rows != w.Rows || g.Treated != w.Treated || g.Control != w.Control {
				t.Errorf("bin %d: %+v, want %+v", b, g, w)
			}
			closeAll(t, fmt.Sprintf("bin %d", b), []float64{g.Predicted, g.Observed, g.StdErr}, []float64{nan(w.Predicted), nan(w.Observed), nan(w.StdErr)})
		}
	}
}

func errorsJoin(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// Every spend learner recovers the simulator's true spend uplift well enough to rank
// by it, and its mean; the response is the expected spend when treated.
func TestSpendLearnersRecoverTruth(t *testing.T) {
	train := synth.SimulateCampaign(synth.CampaignParams{People: scaled(100_000), Seed: 1, Treated: 0.4})
	test := synth.SimulateCampaign(synth.CampaignParams{People: scaled(20_000), Seed: 2})
	for _, o := range []FitOptions{{Learner: TwoModel}, {Learner: ClassTransformation}, {Learner: XLearner}, {Learner: XLearner, FitPropensity: true}} {
		m, err := FitSpend(train.X, train.Treated, train.Spend, &o)
		if err != nil {
			t.Fatalf("%s: %v", o.Learner, err)
		}
		u, err := m.Uplift(test.X)
		if err != nil {
			t.Fatal(err)
		}
		r := stat.Correlation(u, test.SpendUplift, nil)
		bias := stat.Mean(u, nil) - stat.Mean(test.SpendUplift, nil)
		t.Logf("%s (fitted g %v): correlation %.3f, mean bias %+.3f (mean true %.3f)", o.Learner, o.FitPropensity, r, bias, stat.Mean(test.SpendUplift, nil))
		if r < 0.4 || math.Abs(bias) > 0.3 {
			t.Errorf("%s: correlation with the true spend uplift %.3f, mean bias %+.3f", o.Learner, r, bias)
		}
		if o.Learner == ClassTransformation {
			continue
		}
		resp, err := m.Response(test.X)
		if err != nil {
			t.Fatal(err)
		}
		truth := make([]float64, len(resp))
		for i := range truth {
			truth[i] = test.Response[i] * test.Basket[i]
		}
		if r := stat.Correlation(resp, truth, nil); r < 0.6 {
			t.Errorf("%s: response correlation %.3f", o.Learner, r)
		}
	}
}

// The spend version of TestQiniZeroEffectCoverage: where the promotion changes nobody's
// spend, a spend model's Qini coefficient on fresh data has a 95% bootstrap interval
// containing 0 for about 95% of campaigns (at most 4 misses of 16, P ≈ 0.7% by chance).
func TestSpendQiniZeroEffectCoverage(t *testing.T) {
	zeroEffectCoverage(t, "spend ", 300, &FitOptions{Learner: XLearner}, fitEvaluateSpend)
}

// fitEvaluateSpend fits a spend model to train and evaluates its uplift on test.
func fitEvaluateSpend(t *testing.T, train, test *synth.Campaign, fo *FitOptions, eo *EvalOptions) *Evaluation {
	t.Helper()
	m, err := FitSpend(train.X, train.Treated, train.Spend, fo)
	if err != nil {
		t.Fatal(err)
	}
	u, err := m.Uplift(test.X)
	if err != nil {
		t.Fatal(err)
	}
	ev, err := EvaluateSpend(context.Background(), u, test.Treated, test.Spend, eo)
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

// With a real effect the spend Qini is positive and excludes 0.
func TestSpendEvaluateFindsEffect(t *testing.T) {
	train := synth.SimulateCampaign(synth.CampaignParams{People: scaled(50_000), Seed: 1})
	test := synth.SimulateCampaign(synth.CampaignParams{People: scaled(50_000), Seed: 2})
	ev := fitEvaluateSpend(t, train, test, nil, nil)
	if q := ev.QiniCoefficient; !(q.Lo > 0) {
		t.Errorf("spend Qini %+.4f [%+.4f, %+.4f] with a real effect", q.Estimate, q.Lo, q.Hi)
	}
}
