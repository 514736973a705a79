package scoring

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/clientele-go/clientele/internal/benchsize"
	"gonum.org/v1/gonum/diff/fd"
	"gonum.org/v1/gonum/mat"
)

// Benchmarks of the interval computations and the covariate fit, each beside a naive
// baseline. Run with: go test -run '^$' -bench 'Interval|Covariate' -benchtime 3x ./scoring/

// BenchmarkIntervalsDeltaCDNOW makes delta-method intervals on CDNOW and the
// interval of the base's purchases in the next year. (A per-customer interval costs
// 2k = 8 evaluations of the prediction either way.)
func BenchmarkIntervalsDeltaCDNOW(b *testing.B) {
	cs := cdnowCustomers(b)
	m, err := FitBGNBD(cs, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		iv, err := NewIntervals(m, nil, cs, nil)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := iv.BasePurchases(52, cs); err != nil {
			b.Fatal(err)
		}
	}
}

// The naive delta method: the covariance from second differences of the per-customer
// likelihood (no grouping, no analytic gradient), and the base's purchases summed
// customer by customer.
func BenchmarkIntervalsDeltaCDNOWNaive(b *testing.B) {
	cs := cdnowCustomers(b)
	m, err := FitBGNBD(cs, nil)
	if err != nil {
		b.Fatal(err)
	}
	lk := naiveBGNBD(cs)
	u := []float64{math.Log(m.R), math.Log(m.Alpha), math.Log(m.A), math.Log(m.B)}
	b.ResetTimer()
	for b.Loop() {
		info := mat.NewSymDense(4, nil)
		fd.Hessian(info, func(u []float64) float64 { return -lk.eval(expAll(u), nil) }, u, &fd.Settings{Formula: fd.Central})
		var ch mat.Cholesky
		if !ch.Factorize(info) {
			b.Fatal("information not positive definite")
		}
		var cov mat.SymDense
		if err := ch.InverseTo(&cov); err != nil {
			b.Fatal(err)
		}
		iv := &Intervals{Level: 0.9, model: m, fam: betaGeoFamily(0), u: u, cov: &cov}
		iv.interval(positiveScale, func(m Model, _ *GammaGamma) float64 {
			var s float64
			for _, c := range cs {
				s += m.ExpectedPurchases(52, c)
			}
			return s
		})
	}
}

// BenchmarkIntervalsBootstrapCDNOW: 20 replicates of BG/NBD on CDNOW, on every core.
func BenchmarkIntervalsBootstrapCDNOW(b *testing.B) { benchBootstrap(b, 0) }

// The naive bootstrap: the same replicates one after another.
func BenchmarkIntervalsBootstrapCDNOWNaive(b *testing.B) { benchBootstrap(b, 1) }

func benchBootstrap(b *testing.B, workers int) {
	cs := cdnowCustomers(b)
	m, err := FitBGNBD(cs, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := NewIntervals(m, nil, cs, &IntervalOptions{Method: Bootstrap, Replicates: 20, Workers: workers}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFitBGNBDCovariates fits BG/NBD with two purchase and one dropout covariate
// to 10,000 customers with the analytic gradient.
func BenchmarkFitBGNBDCovariates10k(b *testing.B) {
	cs, zp, zd := simulateCovariateBase(rand.New(rand.NewPCG(3, 4)), false, []float64{0.6, 6, 0.8, 2.5}, []float64{0.6, -0.3}, 0.5, benchsize.Of(10_000, 1_000))
	b.ResetTimer()
	for b.Loop() {
		if _, err := FitBGNBDCovariates(cs, zp, zd, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// The naive covariate fit: the same likelihood with its gradient by central
// differences, as a covariate model without a derived gradient would be fitted.
func BenchmarkFitBGNBDCovariates10kNaive(b *testing.B) {
	cs, zp, zd := simulateCovariateBase(rand.New(rand.NewPCG(3, 4)), false, []float64{0.6, 6, 0.8, 2.5}, []float64{0.6, -0.3}, 0.5, benchsize.Of(10_000, 1_000))
	d, err := newCovariateData("BG/NBD", cs, zp, zd)
	if err != nil {
		b.Fatal(err)
	}
	o := (*FitOptions)(nil).withDefaults()
	b.ResetTimer()
	for b.Loop() {
		lk := likelihood{model: "BG/NBD with covariates", names: d.names(bgnbdNames), n: float64(len(cs)), rows: len(cs), eval: d.betaGeoEval(o.Workers)}
		starts := covariateStarts(d, func() ([]float64, [][]float64) {
			m, err := FitBGNBD(cs, nil)
			if err != nil {
				b.Fatal(err)
			}
			return []float64{m.R, m.Alpha, m.A, m.B}, nil
		})
		if _, _, _, err := maximise(lk, starts, o); err != nil {
			b.Fatal(err)
		}
	}
}
