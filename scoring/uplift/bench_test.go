package uplift

import (
	"math"
	"sync"
	"testing"

	"github.com/clientele-go/clientele/internal/benchsize"
	"github.com/clientele-go/clientele/internal/synth"
)

// Benchmarks of fitting and scoring (BENCHMARKS.md records the figures), beside a naive
// baseline. Run with: go test -run '^$' -bench . -benchtime 3x ./scoring/uplift/
// The target (issue #20) is fit and score 1M profiles × 20 features in under 2 s.

// million is the benchmarks' campaign: a million people, 20,000 under -short (CI's
// benchmark smoke).
var million = sync.OnceValue(func() *synth.Campaign {
	return synth.SimulateCampaign(synth.CampaignParams{People: benchsize.Of(1_000_000, 20_000), Seed: 1})
})

func BenchmarkFitScore1M(b *testing.B) {
	benchFitScore(b, func(c *synth.Campaign, o *FitOptions) (*Model, error) {
		return Fit(c.X, c.Treated, c.Converted, o)
	})
}

// BenchmarkFitSpend1M fits the spend learners (ridge regressions, one pass over the rows
// per linear model) and scores the same million.
func BenchmarkFitSpend1M(b *testing.B) {
	benchFitScore(b, func(c *synth.Campaign, o *FitOptions) (*Model, error) {
		return FitSpend(c.X, c.Treated, c.Spend, o)
	})
}

// benchFitScore fits each learner to the million with fit and scores them.
func benchFitScore(b *testing.B, fit func(c *synth.Campaign, o *FitOptions) (*Model, error)) {
	c := million()
	for _, l := range []Learner{TwoModel, ClassTransformation, XLearner} {
		b.Run(l.String(), func(b *testing.B) {
			b.ReportAllocs()
			defer reportCPU(b)()
			for b.Loop() {
				m, err := fit(c, &FitOptions{Learner: l})
				if err != nil {
					b.Fatal(err)
				}
				if _, err := m.Uplift(c.X); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkFitScore1MNaive is the two-model learner done naively: each arm's penalised
// logistic regression by Newton's method row by row on one goroutine, with the full
// Hessian accumulated per row and solved by Gaussian elimination, then each profile
// scored by two sigmoids of its standardised features.
func BenchmarkFitScore1MNaive(b *testing.B) {
	c := million()
	b.ReportAllocs()
	defer reportCPU(b)()
	for b.Loop() {
		naiveTwoModel(c.X, c.Treated, c.Converted)
	}
}

// reportCPU starts counting the process's CPU time; the function it returns reports
// it per iteration as cpu-ms/op (on both cores together).
func reportCPU(b *testing.B) func() {
	start := cpuTime()
	return func() {
		b.ReportMetric(float64(cpuTime()-start)/float64(b.N)/1e6, "cpu-ms/op")
	}
}

// naiveTwoModel returns the two-model uplift of every row, fitted and scored naively.
func naiveTwoModel(x [][]float64, treated, converted []bool) []float64 {
	var fits [2]naiveLogistic
	for arm := range 2 {
		var xs [][]float64
		var ys []bool
		for i, t := range treated {
			if t == (arm == 1) {
				xs, ys = append(xs, x[i]), append(ys, converted[i])
			}
		}
		fits[arm] = fitNaive(xs, ys, 1)
	}
	u := make([]float64, len(x))
	for i, row := range x {
		u[i] = fits[1].prob(row) - fits[0].prob(row)
	}
	return u
}

type naiveLogistic struct{ mean, sd, beta []float64 }

func (m naiveLogistic) prob(row []float64) float64 {
	eta := m.beta[0]
	for j, v := range row {
		eta += m.beta[1+j] * (v - m.mean[j]) / m.sd[j]
	}
	return 1 / (1 + math.Exp(-eta))
}

// fitNaive maximises Σ y η - log(1+e^η) - λ/2 |β₁..|² on standardised features
// (scoring.FitLogistic's objective) by full Newton steps.
func fitNaive(x [][]float64, y []bool, lambda float64) naiveLogistic {
	n, d := len(x), len(x[0])
	m := naiveLogistic{mean: make([]float64, d), sd: make([]float64, d), beta: make([]float64, d+1)}
	for _, row := range x {
		for j, v := range row {
			m.mean[j] += v / float64(n)
		}
	}
	for _, row := range x {
		for j, v := range row {
			m.sd[j] += (v - m.mean[j]) * (v - m.mean[j]) / float64(n)
		}
	}
	for j := range m.sd {
		m.sd[j] = math.Sqrt(m.sd[j])
	}
	z := make([]float64, d+1)
	for range 50 {
		g := make([]float64, d+1)
		h := make([][]float64, d+1)
		for j := range h {
			h[j] = make([]float64, d+2)
		}
		for i, row := range x {
			z[0] = 1
			for j, v := range row {
				z[1+j] = (v - m.mean[j]) / m.sd[j]
			}
			eta := 0.0
			for j := range z {
				eta += m.beta[j] * z[j]
			}
			p := 1 / (1 + math.Exp(-eta))
			r := -p
			if y[i] {
				r = 1 - p
			}
			for j := range z {
				g[j] += r * z[j]
				for k := range z {
					h[j][k] += p * (1 - p) * z[j] * z[k]
				}
			}
		}
		for j := 1; j <= d; j++ {
			g[j] -= lambda * m.beta[j]
			h[j][j] += lambda
		}
		for j := range h {
			h[j][d+1] = g[j]
		}
		step := gaussSolve(h)
		var size float64
		for j := range step {
			m.beta[j] += step[j]
			size = math.Max(size, math.Abs(step[j]))
		}
		if size < 1e-10 {
			break
		}
	}
	return m
}

// gaussSolve solves the augmented system a (rows [A | b]) by Gaussian elimination with
// partial pivoting.
func gaussSolve(a [][]float64) []float64 {
	n := len(a)
	for c := range n {
		p := c
		for r := c + 1; r < n; r++ {
			if math.Abs(a[r][c]) > math.Abs(a[p][c]) {
				p = r
			}
		}
		a[c], a[p] = a[p], a[c]
		for r := c + 1; r < n; r++ {
			f := a[r][c] / a[c][c]
			for k := c; k <= n; k++ {
				a[r][k] -= f * a[c][k]
			}
		}
	}
	x := make([]float64, n)
	for r := n - 1; r >= 0; r-- {
		s := a[r][n]
		for k := r + 1; k < n; k++ {
			s -= a[r][k] * x[k]
		}
		x[r] = s / a[r][r]
	}
	return x
}

// The naive baseline computes the same model: its scores match the learner's.
func TestNaiveMatchesTwoModel(t *testing.T) {
	c := synth.SimulateCampaign(synth.CampaignParams{People: scaled(20_000), Seed: 9})
	m, err := Fit(c.X, c.Treated, c.Converted, nil)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := m.Uplift(c.X)
	for i, v := range naiveTwoModel(c.X, c.Treated, c.Converted) {
		if math.Abs(v-u[i]) > 1e-6 {
			t.Fatalf("row %d: naive %v, learner %v", i, v, u[i])
		}
	}
}
