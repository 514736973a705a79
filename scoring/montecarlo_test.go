package scoring

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"pgregory.net/rapid"
)

// Conditional expectations against simulation. By the law of total expectation, if a
// model is right then for every simulated customer E[future - E[X(T,T+t) | history]] = 0,
// and likewise for P(alive) against being alive and P(X = 0) against buying nothing. The
// sums over a simulated base must then agree within a few standard deviations, which
// are estimated from the same simulation. The simulators follow the papers' generative
// stories, not the formulas under test.

// agreement checks that Σ predicted and Σ actual differ by at most 5 standard
// deviations. The variance is estimated as Σ (actual - predicted)², but not below
// Σ p(1-p) over the predictions p below 1: when events are rare every residual is
// small and the estimate alone would call an unlucky zero count impossible (the
// outcomes are indicators, whose variance is p(1-p), or counts, whose variance is
// about p when p is small).
func agreement(t *rapid.T, what string, predicted, actual []float64) {
	var sp, sa, ss, floor float64
	for i, p := range predicted {
		sp += p
		sa += actual[i]
		ss += (actual[i] - p) * (actual[i] - p)
		floor += p * math.Max(0, 1-p)
	}
	if sd := math.Sqrt(math.Max(ss, floor)); math.Abs(sp-sa) > 5*sd+1e-9 {
		t.Fatalf("%s: predicted %.2f, simulated %.2f (%.1f standard deviations apart)", what, sp, sa, math.Abs(sp-sa)/sd)
	}
}

// checkModelAgainstSimulation compares a model's conditional and new-customer
// predictions with simulated customers.
func checkModelAgainstSimulation(t *rapid.T, name string, m Model, sim func(rng *rand.Rand, T, horizon float64) simCustomer) {
	rng := rand.New(rand.NewPCG(rapid.Uint64().Draw(t, "seed"), 11))
	const n = 4000
	horizon := rapid.Float64Range(4, 52).Draw(t, "horizon")
	var pred, act, pAlive, alive, p0, zero []float64
	for range n {
		c := sim(rng, math.Round(age(rng, 10, 52)), horizon)
		pred = append(pred, m.ExpectedPurchases(horizon, c.Customer))
		act = append(act, float64(c.future))
		pAlive = append(pAlive, m.PAlive(c.Customer))
		alive = append(alive, b2f(c.alive))
		p0 = append(p0, m.PurchaseProb(horizon, 0, c.Customer))
		zero = append(zero, b2f(c.future == 0))
	}
	agreement(t, name+" E[X(T,T+t) | history]", pred, act)
	agreement(t, name+" P(alive)", pAlive, alive)
	agreement(t, name+" P(X(T,T+t)=0 | history)", p0, zero)

	// New customers: the mean and the first few probabilities of X(t).
	var newPred, newAct []float64
	counts := map[int]float64{}
	e := m.ExpectedPurchasesNew(horizon)
	for range n {
		c := sim(rng, 0, horizon)
		newPred = append(newPred, e)
		newAct = append(newAct, float64(c.future))
		counts[c.future]++
	}
	agreement(t, name+" E[X(t)] new", newPred, newAct)
	for k := range 3 {
		p := m.PurchaseProbNew(horizon, k)
		sd := math.Sqrt(p * (1 - p) / n)
		if math.Abs(counts[k]/n-p) > 5*sd+1e-9 {
			t.Fatalf("%s: P(X(%.1f)=%d) = %.4f, simulated %.4f", name, horizon, k, p, counts[k]/n)
		}
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// betaGeoAgainstSimulation draws BG/NBD (mbg false) or MBG/NBD parameters and checks
// the model's predictions against simulated customers.
func betaGeoAgainstSimulation(mbg bool) func(*rapid.T) {
	return limitChecks(checksFor(20), func(t *rapid.T) {
		r, alpha := drawRate(t)
		a, b := rapid.Float64Range(0.3, 3).Draw(t, "a"), rapid.Float64Range(0.5, 6).Draw(t, "b")
		var m Model = &BGNBD{R: r, Alpha: alpha, A: a, B: b}
		if mbg {
			m = &MBGNBD{R: r, Alpha: alpha, A: a, B: b}
		}
		checkModelAgainstSimulation(t, fmt.Sprintf("%T(%.3g, %.3g, %.3g, %.3g)", m, r, alpha, a, b), m,
			func(rng *rand.Rand, T, h float64) simCustomer { return simBetaGeo(rng, r, alpha, a, b, mbg, T, h) })
	})
}

func TestBGNBDAgainstSimulation(t *testing.T)  { rapid.Check(t, betaGeoAgainstSimulation(false)) }
func TestMBGNBDAgainstSimulation(t *testing.T) { rapid.Check(t, betaGeoAgainstSimulation(true)) }

func TestParetoNBDAgainstSimulation(t *testing.T) {
	rapid.Check(t, limitChecks(checksFor(10), func(t *rapid.T) {
		r, alpha := drawRate(t)
		s, beta := rapid.Float64Range(0.3, 3).Draw(t, "s"), rapid.Float64Range(2, 40).Draw(t, "beta")
		checkModelAgainstSimulation(t, fmt.Sprintf("Pareto/NBD(%.3g, %.3g, %.3g, %.3g)", r, alpha, s, beta), &ParetoNBD{R: r, Alpha: alpha, S: s, Beta: beta},
			func(rng *rand.Rand, T, h float64) simCustomer { return simPareto(rng, r, alpha, s, beta, T, h) })
	}))
}

func TestBGBBAgainstSimulation(t *testing.T) {
	rapid.Check(t, limitChecks(checksFor(20), func(t *rapid.T) {
		m := &BGBB{
			Alpha: rapid.Float64Range(0.3, 4).Draw(t, "alpha"), Beta: rapid.Float64Range(0.3, 4).Draw(t, "beta"),
			Gamma: rapid.Float64Range(0.3, 4).Draw(t, "gamma"), Delta: rapid.Float64Range(0.3, 6).Draw(t, "delta"),
		}
		rng := rand.New(rand.NewPCG(rapid.Uint64().Draw(t, "seed"), 12))
		n := rapid.IntRange(1, 12).Draw(t, "n")
		horizon := rapid.IntRange(1, 12).Draw(t, "horizon")
		var pred, act, pAlive, alive, p0, zero []float64
		for range 4000 {
			o, future, isAlive := simBGBB(rng, m.Alpha, m.Beta, m.Gamma, m.Delta, n, horizon)
			pred = append(pred, m.ExpectedPurchases(horizon, o))
			act = append(act, float64(future))
			pAlive = append(pAlive, m.PAlive(o))
			alive = append(alive, b2f(isAlive))
			p0 = append(p0, m.PurchaseProb(horizon, 0, o))
			zero = append(zero, b2f(future == 0))
		}
		agreement(t, "BG/BB E[X(n,n+n*) | history]", pred, act)
		agreement(t, "BG/BB P(alive at n+1)", pAlive, alive)
		agreement(t, "BG/BB P(X(n,n+n*)=0 | history)", p0, zero)
	}))
}
