package scoring

import (
	"math"
	"testing"

	"pgregory.net/rapid"
)

// Properties of the purchase distributions: P(X(t) = n) sums to 1 over n, and its mean
// is the expectation computed by the separate closed forms (2F1 for BG/NBD, the
// Pareto/NBD's own expression), for new customers and conditional on a history.

func drawCustomer(t *rapid.T) Customer {
	T := rapid.Float64Range(0, 80).Draw(t, "T")
	x := rapid.IntRange(0, 30).Draw(t, "x")
	if x == 0 || T == 0 {
		return Customer{T: T}
	}
	return Customer{Frequency: x, Recency: T * rapid.Float64Range(0.01, 1).Draw(t, "recency share"), T: T}
}

// checkDistribution sums pmf(n) until the tail is negligible and compares the total
// with 1 and the mean with want.
func checkDistribution(t *rapid.T, what string, pmf func(n int) float64, wantMean float64) {
	var sum, mean float64
	n := 0
	for ; n < 20000; n++ {
		p := pmf(n)
		if p < 0 || p > 1 || math.IsNaN(p) {
			t.Fatalf("%s: P(%d) = %v", what, n, p)
		}
		sum += p
		mean += float64(n) * p
		if 1-sum < 1e-13 && float64(n) > 2*wantMean+10 {
			break
		}
	}
	if math.Abs(sum-1) > 1e-7 {
		t.Fatalf("%s: probabilities sum to %.12f over 0..%d", what, sum, n)
	}
	if math.Abs(mean-wantMean) > 1e-5*math.Max(1, wantMean) {
		t.Fatalf("%s: mean of the distribution %.9g, expectation %.9g", what, mean, wantMean)
	}
}

func TestBetaGeoDistributionSumsToOne(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		r, alpha := drawRate(t)
		a := rapid.Float64Range(0.3, 3).Draw(t, "a")
		b := rapid.Float64Range(0.5, 6).Draw(t, "b")
		h := rapid.Float64Range(0.5, 52).Draw(t, "t")
		c := drawCustomer(t)
		bg := &BGNBD{R: r, Alpha: alpha, A: a, B: b}
		checkDistribution(t, "BG/NBD new", func(n int) float64 { return bg.PurchaseProbNew(h, n) }, bg.ExpectedPurchasesNew(h))
		checkDistribution(t, "BG/NBD conditional", func(n int) float64 { return bg.PurchaseProb(h, n, c) }, bg.ExpectedPurchases(h, c))
		mbg := &MBGNBD{R: r, Alpha: alpha, A: a, B: b}
		checkDistribution(t, "MBG/NBD new", func(n int) float64 { return mbg.PurchaseProbNew(h, n) }, mbg.ExpectedPurchasesNew(h))
		checkDistribution(t, "MBG/NBD conditional", func(n int) float64 { return mbg.PurchaseProb(h, n, c) }, mbg.ExpectedPurchases(h, c))
	})
}

func TestParetoDistributionSumsToOne(t *testing.T) {
	rapid.Check(t, limitChecks(checksFor(40), func(t *rapid.T) {
		r, alpha := drawRate(t)
		m := &ParetoNBD{R: r, Alpha: alpha, S: rapid.Float64Range(0.3, 3).Draw(t, "s"), Beta: rapid.Float64Range(1, 40).Draw(t, "beta")}
		h := rapid.Float64Range(0.5, 52).Draw(t, "t")
		c := drawCustomer(t)
		checkDistribution(t, "Pareto/NBD new", func(n int) float64 { return m.PurchaseProbNew(h, n) }, m.ExpectedPurchasesNew(h))
		checkDistribution(t, "Pareto/NBD conditional", func(n int) float64 { return m.PurchaseProb(h, n, c) }, m.ExpectedPurchases(h, c))
	}))
}

func TestBGBBDistributionSumsToOne(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		m := &BGBB{
			Alpha: rapid.Float64Range(0.2, 5).Draw(t, "alpha"), Beta: rapid.Float64Range(0.2, 5).Draw(t, "beta"),
			Gamma: rapid.Float64Range(0.2, 5).Draw(t, "gamma"), Delta: rapid.Float64Range(0.2, 5).Draw(t, "delta"),
		}
		n := rapid.IntRange(0, 30).Draw(t, "n")
		x := rapid.IntRange(0, n).Draw(t, "x")
		tx := 0
		if x > 0 {
			tx = rapid.IntRange(x, n).Draw(t, "t_x")
		}
		c := Opportunities{Frequency: x, Recency: tx, N: n}
		future := rapid.IntRange(0, 40).Draw(t, "future")
		checkDistribution(t, "BG/BB new", func(k int) float64 { return m.PurchaseProbNew(future, k) }, m.ExpectedPurchasesNew(future))
		checkDistribution(t, "BG/BB conditional", func(k int) float64 { return m.PurchaseProb(future, k, c) }, m.ExpectedPurchases(future, c))
		if p := m.PAlive(c); !(p >= 0 && p <= 1) {
			t.Fatalf("P(alive) = %v", p)
		}
	})
}

// TestBGBBClosedFormMean checks the summed expectation against the closed form of
// Fader, Hardie & Shang (2010), eq. 9 (valid for gamma != 1).
func TestBGBBClosedFormMean(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		a, b := rapid.Float64Range(0.2, 5).Draw(t, "alpha"), rapid.Float64Range(0.2, 5).Draw(t, "beta")
		g, d := rapid.Float64Range(0.2, 5).Draw(t, "gamma"), rapid.Float64Range(0.2, 5).Draw(t, "delta")
		if math.Abs(g-1) < 1e-3 {
			t.Skip("closed form singular at gamma = 1")
		}
		n := rapid.IntRange(0, 100).Draw(t, "n")
		nf := float64(n)
		closed := a / (a + b) * d / (g - 1) * (1 - math.Exp(lgamma(g+d)-lgamma(g+d+nf)+lgamma(1+d+nf)-lgamma(1+d)))
		got := (&BGBB{Alpha: a, Beta: b, Gamma: g, Delta: d}).ExpectedPurchasesNew(n)
		if math.Abs(got-closed) > 1e-9*math.Max(1, closed) {
			t.Fatalf("E[X(%d)] = %.12g, closed form %.12g", n, got, closed)
		}
	})
}

// TestBetaGeoMeanNearAEqualsOne checks the removable singularity of the BG/NBD mean at
// a = 1 against values just beside it.
func TestBetaGeoMeanNearAEqualsOne(t *testing.T) {
	for _, a := range []float64{1, 1 + 1e-6, 1 - 1e-6, 1 + 1e-12} {
		at := betaGeo{0.5, 4, a, 2}.mean(20)
		lo, hi := betaGeo{0.5, 4, 0.999, 2}.mean(20), betaGeo{0.5, 4, 1.001, 2}.mean(20)
		if !(math.Min(lo, hi)-1e-9 <= at && at <= math.Max(lo, hi)+1e-9) || math.Abs(at-(lo+hi)/2) > 1e-5 {
			t.Errorf("a = %v: mean %.10f, neighbours %.10f and %.10f", a, at, lo, hi)
		}
	}
}

// TestSurvivalSumClosedForm checks the closed form used beyond a thousand
// opportunities against the term-by-term sum.
func TestSurvivalSumClosedForm(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		g, d := rapid.Float64Range(0.2, 5).Draw(t, "gamma"), rapid.Float64Range(0.2, 50).Draw(t, "delta")
		if rapid.Bool().Draw(t, "gamma one") {
			g = 1
		}
		n := rapid.IntRange(1001, 5000).Draw(t, "n")
		var sum float64
		surv := 1.0
		for i := range n {
			y := d + float64(i)
			surv *= y / (g + y)
			sum += surv
		}
		if got := survivalSum(g, d, n); math.Abs(got-sum) > 1e-8*math.Max(1, sum) {
			t.Fatalf("closed form %.12g, sum %.12g", got, sum)
		}
	})
}

// At a + b = 1 the closed form of E[X(t)] is 0·∞; it must still equal the mean of the
// distribution (it returned 0 there, and NaN before that).
func TestBetaGeoMeanAtUnitAPlusB(t *testing.T) {
	for _, ab := range [][2]float64{{0.5, 0.5}, {0.3, 0.7}, {0.5, 0.5 + 3e-6}} {
		bg := &BGNBD{R: 1, Alpha: 2, A: ab[0], B: ab[1]}
		var mean, sum float64
		for n := 0; n < 200000 && 1-sum > 1e-14; n++ {
			p := bg.PurchaseProbNew(1, n)
			sum += p
			mean += float64(n) * p
		}
		if got := bg.ExpectedPurchasesNew(1); math.Abs(got-mean) > 1e-6*math.Max(1, mean) {
			t.Errorf("a=%v b=%v: E[X(1)] = %.10g, mean of P(X(1)=n) %.10g", ab[0], ab[1], got, mean)
		}
	}
}
