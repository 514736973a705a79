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

	"gonum.org/v1/gonum/diff/fd"
	"pgregory.net/rapid"
)

// covariateBase reads testdata/covariates/<model>.csv: customers with purchase
// covariates (z1, z2) and dropout covariate z1, simulated by golden.py.
func covariateBase(t testing.TB, model string) ([]Customer, [][]float64, [][]float64) {
	t.Helper()
	f, err := os.Open("testdata/covariates/" + model + ".csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var cs []Customer
	var zp, zd [][]float64
	for _, r := range recs[1:] {
		v := make([]float64, 5)
		for i := range v {
			if v[i], err = strconv.ParseFloat(r[i], 64); err != nil {
				t.Fatal(err)
			}
		}
		cs = append(cs, Customer{Frequency: int(v[0]), Recency: v[1], T: v[2]})
		zp = append(zp, []float64{v[3], v[4]})
		zd = append(zd, []float64{v[3]})
	}
	return cs, zp, zd
}

func covariateGolden(t *testing.T) map[string]map[string]float64 {
	t.Helper()
	data, err := os.ReadFile("testdata/covariates/golden.csv")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]float64{}
	for _, l := range strings.Split(string(data), "\n") {
		f := strings.Split(l, ",")
		if strings.HasPrefix(l, "#") || len(f) != 3 || f[0] == "model" {
			continue
		}
		v, err := strconv.ParseFloat(f[2], 64)
		if err != nil {
			t.Fatal(err)
		}
		if out[f[0]] == nil {
			out[f[0]] = map[string]float64{}
		}
		out[f[0]][f[1]] = v
	}
	return out
}

// effectTheta returns the engine's θ for effects γ: e^γ.
func effectTheta(base []float64, effects ...float64) []float64 {
	out := append([]float64{}, base...)
	for _, g := range effects {
		out = append(out, math.Exp(g))
	}
	return out
}

// TestCovariatesGolden compares the log-likelihood at the true parameters and the
// maximum-likelihood fit with SciPy's, on the bases golden.py simulated.
func TestCovariatesGolden(t *testing.T) {
	g := covariateGolden(t)
	for _, model := range []string{"bgnbd", "pareto"} {
		t.Run(model, func(t *testing.T) {
			cs, zp, zd := covariateBase(t, model)
			want := g[model]
			d, err := newCovariateData("golden", cs, zp, zd)
			if err != nil {
				t.Fatal(err)
			}
			var eval func(theta, grad []float64) float64
			var truth []float64
			if model == "bgnbd" {
				eval, truth = d.betaGeoEval(1), effectTheta([]float64{0.6, 6, 0.8, 2.5}, 0.6, -0.3, 0.5)
			} else {
				eval, truth = d.paretoEval(1), effectTheta([]float64{0.55, 10, 0.6, 12}, 0.6, -0.3, 0.5)
			}
			if ll := eval(truth, nil); relDiff(ll, want["loglik_true"]) > 1e-9 {
				t.Errorf("log-likelihood at the truth %.12g, SciPy %.12g", ll, want["loglik_true"])
			}
			var est []float64
			var ll float64
			var se []float64
			if model == "bgnbd" {
				m, err := FitBGNBDCovariates(cs, zp, zd, nil)
				if err != nil {
					t.Fatal(err)
				}
				est, ll, se = append([]float64{m.R, m.Alpha, m.A, m.B}, append(m.Purchase, m.Dropout...)...), m.LogLik, m.Fit.StdErr
			} else {
				m, err := FitParetoNBDCovariates(cs, zp, zd, nil)
				if err != nil {
					t.Fatal(err)
				}
				est, ll, se = append([]float64{m.R, m.Alpha, m.S, m.Beta}, append(m.Purchase, m.Dropout...)...), m.LogLik, m.Fit.StdErr
			}
			if math.Abs(ll-want["loglik"]) > 1e-5 {
				t.Errorf("maximum log-likelihood %.10g, SciPy %.10g", ll, want["loglik"])
			}
			names := []string{"r", "alpha", "a", "b", "purchase0", "purchase1", "dropout0"}
			if model == "pareto" {
				names[2], names[3] = "s", "beta"
			}
			if len(se) != len(names) {
				t.Fatalf("standard errors %v", se)
			}
			t.Logf("log-likelihood %.10g, SciPy %.10g", ll, want["loglik"])
			for i, n := range names {
				t.Logf("%-9s %.8g ± %.3g, SciPy %.8g", n, est[i], se[i], want[n])
				// Within a thousandth of a standard error: both sit at the same maximum.
				if d := math.Abs(est[i] - want[n]); d > 1e-3*se[i] {
					t.Errorf("%s = %.8g, SciPy %.8g (%.2g standard errors apart)", n, est[i], want[n], d/se[i])
				}
			}
		})
	}
}

// TestCovariatesZeroEffects: with every effect 0 the covariate likelihood is the
// plain model's, whatever the covariates, and For gives the plain parameters.
func TestCovariatesZeroEffects(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(MinCustomers, 40).Draw(t, "n")
		cs := make([]Customer, n)
		zp := make([][]float64, n)
		zd := make([][]float64, n)
		for i := range cs {
			T := rapid.Float64Range(0.5, 80).Draw(t, "T")
			x := rapid.IntRange(0, 8).Draw(t, "x")
			cs[i] = Customer{Frequency: x, T: T}
			if x > 0 {
				cs[i].Recency = rapid.Float64Range(0.01, T).Draw(t, "tx")
			}
			zp[i] = []float64{rapid.Float64Range(-3, 3).Draw(t, "zp")}
			zd[i] = []float64{rapid.Float64Range(-3, 3).Draw(t, "zd0"), rapid.Float64Range(-3, 3).Draw(t, "zd1")}
		}
		cs[0].Frequency, cs[0].Recency = 1, cs[0].T/2
		theta := []float64{
			rapid.Float64Range(0.1, 5).Draw(t, "r"), rapid.Float64Range(0.5, 50).Draw(t, "alpha"),
			rapid.Float64Range(0.1, 5).Draw(t, "a|s"), rapid.Float64Range(0.1, 20).Draw(t, "b|beta"),
		}
		d, err := newCovariateData("zero", cs, zp, zd)
		if err != nil {
			t.Fatal(err)
		}
		zero := effectTheta(theta, 0, 0, 0)
		g := groupCustomers(cs, nil)
		plainBG := newBetaGeoLikelihood(g, 0, 1).eval(theta, nil)
		if got := d.betaGeoEval(1)(zero, nil); relDiff(got, plainBG) > 1e-11 {
			t.Fatalf("BG/NBD: covariate log-likelihood %v, plain %v", got, plainBG)
		}
		plainP := newParetoLikelihood(g, 1).eval(theta, nil)
		if got := d.paretoEval(1)(zero, nil); relDiff(got, plainP) > 1e-11 {
			t.Fatalf("Pareto/NBD: covariate log-likelihood %v, plain %v", got, plainP)
		}
		m := &BGNBDCovariates{R: theta[0], Alpha: theta[1], A: theta[2], B: theta[3], Purchase: []float64{0}, Dropout: []float64{0, 0}}
		b, err := m.For(zp[0], zd[0])
		if err != nil || b.R != theta[0] || b.Alpha != theta[1] || b.A != theta[2] || b.B != theta[3] {
			t.Fatalf("For with zero effects: %+v, %v", b, err)
		}
	})
}

// TestCovariatesGradient holds the BG/NBD covariate likelihood's analytic gradient
// against gonum's central differences.
func TestCovariatesGradient(t *testing.T) {
	cs, zp, zd := covariateBase(t, "bgnbd")
	cs, zp, zd = cs[:200], zp[:200], zd[:200]
	d, err := newCovariateData("gradient", cs, zp, zd)
	if err != nil {
		t.Fatal(err)
	}
	eval := d.betaGeoEval(1)
	rapid.Check(t, func(t *rapid.T) {
		u := []float64{
			rapid.Float64Range(-2, 1.5).Draw(t, "log r"), rapid.Float64Range(-1, 4).Draw(t, "log alpha"),
			rapid.Float64Range(-2, 1.5).Draw(t, "log a"), rapid.Float64Range(-1, 3).Draw(t, "log b"),
			rapid.Float64Range(-1, 1).Draw(t, "gp0"), rapid.Float64Range(-1, 1).Draw(t, "gp1"), rapid.Float64Range(-1, 1).Draw(t, "gd0"),
		}
		theta := make([]float64, len(u))
		for i, v := range u {
			theta[i] = math.Exp(v)
		}
		grad := make([]float64, len(u))
		eval(theta, grad)
		num := fd.Gradient(nil, func(u []float64) float64 {
			th := make([]float64, len(u))
			for i, v := range u {
				th[i] = math.Exp(v)
			}
			return eval(th, nil)
		}, u, &fd.Settings{Formula: fd.Central})
		for i := range grad {
			if math.Abs(grad[i]-num[i]) > 1e-5*math.Max(1, math.Abs(num[i])) {
				t.Fatalf("∂/∂u[%d]: analytic %v, central differences %v", i, grad[i], num[i])
			}
		}
	})
}

// simulateCovariateBase draws n customers with purchase covariates (z1, z2) and
// dropout covariate z1 from the Go simulators at the per-customer parameters.
func simulateCovariateBase(rng *rand.Rand, pareto bool, base []float64, gp []float64, gd float64, n int) ([]Customer, [][]float64, [][]float64) {
	cs := make([]Customer, n)
	zp := make([][]float64, n)
	zd := make([][]float64, n)
	for i := range cs {
		z1 := 0.0
		if rng.Float64() < 0.5 {
			z1 = 1
		}
		z2 := rng.NormFloat64()
		T := 26 + 52*rng.Float64()
		al := base[1] * math.Exp(-(gp[0]*z1 + gp[1]*z2))
		var x int
		var tx float64
		if pareto {
			x, tx = drawPareto(rng, base[0], al, base[2], base[3]*math.Exp(-gd*z1), T)
		} else {
			e := math.Exp(gd * z1)
			x, tx = drawBetaGeo(rng, base[0], al, base[2]*e, base[3]*e, false, T)
		}
		cs[i], zp[i], zd[i] = Customer{Frequency: x, Recency: tx, T: T}, []float64{z1, z2}, []float64{z1}
	}
	return cs, zp, zd
}

// TestCovariatesRecovery fits bases simulated in Go with known effects and checks
// that every true parameter lies within three standard errors of its estimate.
func TestCovariatesRecovery(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	gp, gd := []float64{0.6, -0.3}, 0.5
	check := func(name string, est, se, truth []float64) {
		for i := range truth {
			if z := math.Abs(est[i]-truth[i]) / se[i]; !(z <= 3) {
				t.Errorf("%s: parameter %d = %.4f ± %.4f, truth %.4f (%.1f standard errors)", name, i, est[i], se[i], truth[i], z)
			}
		}
	}
	n := 3000
	if raceEnabled || testing.Short() {
		n = 1500
	}
	base := []float64{0.6, 6, 0.8, 2.5}
	cs, zp, zd := simulateCovariateBase(rng, false, base, gp, gd, n)
	m, err := FitBGNBDCovariates(cs, zp, zd, nil)
	if err != nil {
		t.Fatal(err)
	}
	check("BG/NBD", append([]float64{m.R, m.Alpha, m.A, m.B}, append(m.Purchase, m.Dropout...)...), m.Fit.StdErr, append(base, gp[0], gp[1], gd))

	base = []float64{0.55, 10, 0.6, 12}
	cs, zp, zd = simulateCovariateBase(rng, true, base, gp, gd, n/3)
	p, err := FitParetoNBDCovariates(cs, zp, zd, nil)
	if err != nil {
		t.Fatal(err)
	}
	check("Pareto/NBD", append([]float64{p.R, p.Alpha, p.S, p.Beta}, append(p.Purchase, p.Dropout...)...), p.Fit.StdErr, append(base, gp[0], gp[1], gd))
}

func TestCovariatesBadInput(t *testing.T) {
	cs, zp, zd := covariateBase(t, "bgnbd")
	cs, zp, zd = cs[:100], zp[:100], zd[:100]
	short := zp[:99]
	ragged := append([][]float64{{1}}, zp[1:]...)
	nan := append([][]float64{{math.NaN(), 0}}, zp[1:]...)
	for _, tc := range []struct {
		name   string
		zp, zd [][]float64
		opt    *FitOptions
	}{
		{"rows", short, zd, nil},
		{"ragged", ragged, zd, nil},
		{"NaN", nan, zd, nil},
		{"penalizer", zp, zd, &FitOptions{Penalizer: 0.1}},
	} {
		if _, err := FitBGNBDCovariates(cs, tc.zp, tc.zd, tc.opt); !errors.Is(err, ErrInvalid) {
			t.Errorf("BG/NBD %s: %v", tc.name, err)
		}
		if _, err := FitParetoNBDCovariates(cs, tc.zp, tc.zd, tc.opt); !errors.Is(err, ErrInvalid) {
			t.Errorf("Pareto/NBD %s: %v", tc.name, err)
		}
	}
	if _, err := FitBGNBDCovariates(cs[:5], zp[:5], nil, nil); !errors.Is(err, ErrTooFew) {
		t.Errorf("five customers: %v", err)
	}
	m := &BGNBDCovariates{R: 1, Alpha: 1, A: 1, B: 1, Purchase: []float64{1}}
	if _, err := m.For([]float64{1, 2}, nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("For with two covariates for one effect: %v", err)
	}
	if _, err := m.For([]float64{math.Inf(1)}, nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("For with an infinite covariate: %v", err)
	}
	p := &ParetoNBDCovariates{R: 1, Alpha: 1, S: 1, Beta: 1, Dropout: []float64{1}}
	if _, err := p.For(nil, nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("For without the dropout covariate: %v", err)
	}
}
