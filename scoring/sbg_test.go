package scoring

import (
	"encoding/csv"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

// The two cohorts of Fader & Hardie (2007), table 1: customers of a "regular" and a
// "high end" plan still active after 0..7 renewal opportunities.
var (
	sbgRegular = []float64{1000, 631, 468, 382, 326, 289, 262, 241}
	sbgHighEnd = []float64{1000, 869, 743, 653, 593, 551, 517, 491}
)

// sbgGolden reads testdata/sbg/golden.csv (see its README) as cohort → quantity →
// index → value.
func sbgGolden(t *testing.T) map[string]map[string]map[int]float64 {
	t.Helper()
	data, err := os.ReadFile("testdata/sbg/golden.csv")
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, l := range strings.Split(string(data), "\n") {
		if !strings.HasPrefix(l, "#") && l != "" {
			lines = append(lines, l)
		}
	}
	recs, err := csv.NewReader(strings.NewReader(strings.Join(lines, "\n"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]map[int]float64{}
	for _, r := range recs[1:] {
		i, err1 := strconv.Atoi(r[2])
		v, err2 := strconv.ParseFloat(r[3], 64)
		if err1 != nil || err2 != nil {
			t.Fatalf("golden row %v", r)
		}
		if out[r[0]] == nil {
			out[r[0]] = map[string]map[int]float64{}
		}
		if out[r[0]][r[1]] == nil {
			out[r[0]][r[1]] = map[int]float64{}
		}
		out[r[0]][r[1]][i] = v
	}
	return out
}

func relDiff(a, b float64) float64 { return math.Abs(a-b) / math.Max(math.Abs(b), 1e-300) }

// TestSBGGolden checks the fit of both published cohorts, and the curves and DERL at
// the fitted parameters, against the independent SciPy computation, and the
// estimates against the figures printed in Fader & Hardie (2007).
func TestSBGGolden(t *testing.T) {
	g := sbgGolden(t)
	published := map[string][2]float64{"regular": {0.704, 1.182}, "highend": {0.668, 3.806}}
	for name, s := range map[string][]float64{"regular": sbgRegular, "highend": sbgHighEnd} {
		m, err := FitSBG(s, nil)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		want := g[name]
		if d := relDiff(m.Gamma, want["gamma"][0]); d > 1e-5 {
			t.Errorf("%s: gamma %.8g, SciPy %.8g", name, m.Gamma, want["gamma"][0])
		}
		if d := relDiff(m.Delta, want["delta"][0]); d > 1e-5 {
			t.Errorf("%s: delta %.8g, SciPy %.8g", name, m.Delta, want["delta"][0])
		}
		if d := math.Abs(m.LogLik - want["loglik"][0]); d > 1e-6 {
			t.Errorf("%s: log-likelihood %.10g, SciPy %.10g", name, m.LogLik, want["loglik"][0])
		}
		if p := published[name]; math.Abs(m.Gamma-p[0]) > 5e-4 || math.Abs(m.Delta-p[1]) > 5e-4 {
			t.Errorf("%s: (%.4f, %.4f), published (%.3f, %.3f)", name, m.Gamma, m.Delta, p[0], p[1])
		}
		if len(m.Fit.StdErr) != 2 {
			t.Errorf("%s: no standard errors", name)
		}
		// Curves at SciPy's parameters, so that only the formulas are compared.
		at := &SBG{Gamma: want["gamma"][0], Delta: want["delta"][0]}
		for i, v := range want["survival"] {
			if d := relDiff(at.Survival(i), v); d > 1e-9 {
				t.Errorf("%s: S(%d) %.12g, SciPy %.12g", name, i, at.Survival(i), v)
			}
		}
		for i, v := range want["retention"] {
			if d := relDiff(at.Retention(i), v); d > 1e-9 {
				t.Errorf("%s: r(%d) %.12g, SciPy %.12g", name, i, at.Retention(i), v)
			}
		}
		for n, v := range want["derl_d10"] {
			if d := relDiff(at.DERL(0.10, n), v); d > 1e-8 {
				t.Errorf("%s: DERL(0.1, %d) %.12g, SciPy %.12g", name, n, at.DERL(0.10, n), v)
			}
		}
	}
}

// TestSBGProperties holds the closed forms against simple references for random
// parameters: S(t) is the product of the retention rates; the retention rate rises;
// DERL is the directly summed discounted survival.
func TestSBGProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		m := &SBG{
			Gamma: rapid.Float64Range(0.05, 20).Draw(t, "gamma"),
			Delta: rapid.Float64Range(0.05, 20).Draw(t, "delta"),
		}
		prod := 1.0
		for i := 1; i <= 30; i++ {
			prod *= m.Retention(i)
			if d := relDiff(m.Survival(i), prod); d > 1e-10 {
				t.Fatalf("S(%d) = %v, product of retention rates %v", i, m.Survival(i), prod)
			}
			if i > 1 && m.Retention(i) < m.Retention(i-1) {
				t.Fatalf("retention falls from %v to %v at %d", m.Retention(i-1), m.Retention(i), i)
			}
		}
		d := rapid.Float64Range(0.02, 1).Draw(t, "d")
		n := rapid.IntRange(0, 20).Draw(t, "renewals")
		var sum float64
		cond := 1.0
		for k := 0; k < 200000; k++ {
			ti := float64(n + 1 + k)
			cond *= (m.Delta + ti - 1) / (m.Gamma + m.Delta + ti - 1)
			term := cond / math.Pow(1+d, float64(k))
			sum += term
			if term < 1e-16*sum {
				break
			}
		}
		if got := m.DERL(d, n); relDiff(got, sum) > 1e-7 {
			t.Fatalf("DERL(%v, %d) = %v, direct sum %v", d, n, got, sum)
		}
	})
}

// TestSBGRecovery simulates cohorts from the model's story (θ ~ Beta(γ, δ), each
// period a customer churns with probability θ) and checks that the true parameters
// lie within three standard errors of the estimates.
func TestSBGRecovery(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 15))
	for _, truth := range [][2]float64{{0.7, 1.2}, {0.67, 3.8}, {3, 10}} {
		const n, periods = 5000, 10
		s := make([]float64, periods+1)
		for range n {
			theta := betaRand(rng, truth[0], truth[1])
			s[0]++
			for p := 1; p <= periods; p++ {
				if rng.Float64() < theta {
					break
				}
				s[p]++
			}
		}
		m, err := FitSBG(s, nil)
		if err != nil {
			t.Fatalf("truth %v: %v", truth, err)
		}
		for i, est := range []float64{m.Gamma, m.Delta} {
			if z := math.Abs(est-truth[i]) / m.Fit.StdErr[i]; z > 3 {
				t.Errorf("truth %v: %s = %.4f ± %.4f, %.1f standard errors away", truth, sbgNames[i], est, m.Fit.StdErr[i], z)
			}
		}
	}
}

func TestSBGCohorts(t *testing.T) {
	ms, err := FitSBGCohorts([][]float64{sbgRegular, sbgHighEnd}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range [][]float64{sbgRegular, sbgHighEnd} {
		m, err := FitSBG(s, nil)
		if err != nil {
			t.Fatal(err)
		}
		if ms[i].Gamma != m.Gamma || ms[i].Delta != m.Delta {
			t.Errorf("cohort %d: (%v, %v), alone (%v, %v)", i, ms[i].Gamma, ms[i].Delta, m.Gamma, m.Delta)
		}
	}
	_, err = FitSBGCohorts([][]float64{sbgRegular, {100, 120, 50}}, nil)
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "cohort 1") || !strings.Contains(err.Error(), "survivors[1]") {
		t.Errorf("increasing survivors: %v", err)
	}
}

func TestSBGBadInput(t *testing.T) {
	for _, tc := range []struct {
		s    []float64
		want error
	}{
		{nil, ErrInvalid},
		{[]float64{100, 50}, ErrInvalid},
		{[]float64{0, 0, 0}, ErrInvalid},
		{[]float64{100, 50, -1}, ErrInvalid},
		{[]float64{100, math.NaN(), 40}, ErrInvalid},
		{[]float64{math.Inf(1), 50, 40}, ErrInvalid},
		{[]float64{100, 100, 100}, ErrTooFew},
	} {
		if _, err := FitSBG(tc.s, nil); !errors.Is(err, tc.want) {
			t.Errorf("FitSBG(%v) = %v, want %v", tc.s, err, tc.want)
		}
	}
	m := &SBG{Gamma: 1, Delta: 2}
	if v := m.DERL(0, 1); !math.IsNaN(v) {
		t.Errorf("DERL(0, 1) = %v, want NaN", v)
	}
	if v := m.DERL(0.1, -1); !math.IsNaN(v) {
		t.Errorf("DERL(0.1, -1) = %v, want NaN", v)
	}
	if m.Survival(0) != 1 || m.Retention(0) != 0 {
		t.Errorf("S(0) = %v, r(0) = %v", m.Survival(0), m.Retention(0))
	}
}

// TestSBGSameChurnForEveryone: a cohort whose retention does not rise with tenure (here
// it falls) has its likelihood's supremum where γ, δ → ∞ at a fixed mean, every
// customer churning with one probability. Held first, γ fixed that mean so that δ had
// to pass the boundary too, and the fit failed "running off to the boundary in turn"
// (found by TestWeightScaleInvariance on a generated curve). It now ends at the limit,
// with a geometric lifetime's survival.
func TestSBGSameChurnForEveryone(t *testing.T) {
	for i, s := range [][]float64{
		{764669.6850452886, 532210.1007915209, 398392.90590859536, 301279.8559078437, 241635.6204743112, 164403.98228473705, 100936.3984259781},
		// Exactly geometric (churn 0.3): the likelihood is flat towards the limit,
		// and the fit may stop short of it, but not elsewhere.
		{1000, 700, 490, 343, 240.1, 168.07},
	} {
		m, err := FitSBG(s, nil)
		if err != nil {
			t.Fatalf("%v: %v", s, err)
		}
		if b := m.Fit.Boundary; i == 0 && (b == nil || !strings.Contains(b.Limit, "same churn probability")) {
			t.Fatalf("%v: boundary %+v, want the limit of one churn probability", s, b)
		}
		// At the limit S(t) = (1-θ)^t with θ = γ/(γ+δ), the MLE of a geometric
		// lifetime: churned customers over customer-periods at risk.
		var lost, atRisk float64
		for i := 1; i < len(s); i++ {
			lost += s[i-1] - s[i]
			atRisk += s[i-1]
		}
		if theta := m.Gamma / (m.Gamma + m.Delta); math.Abs(theta-lost/atRisk) > 1e-3*lost/atRisk {
			t.Errorf("%v: churn %v, want the geometric MLE %v", s, theta, lost/atRisk)
		}
	}
}
