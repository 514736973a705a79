package scoring

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/diff/fd"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/mathext"
	"pgregory.net/rapid"
)

// TestBetaGeoHessianMatchesFD holds the hand-derived gradient and Hessian of the
// BG/NBD and MBG/NBD log-likelihood in the log-parameters against gonum's central
// differences of the log-likelihood (gradient) and of the analytic gradient (Hessian),
// on random bases and parameters.
func TestBetaGeoHessianMatchesFD(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(1, 200).Draw(t, "n")
		cs := make([]Customer, n)
		for i := range cs {
			T := rapid.Float64Range(0, 60).Draw(t, "T")
			cs[i] = Customer{T: T}
			if x := rapid.IntRange(0, 12).Draw(t, "x"); x > 0 && T > 0 {
				cs[i].Frequency, cs[i].Recency = x, T*rapid.Float64Range(0, 1).Draw(t, "tx/T")
			}
		}
		shift := rapid.IntRange(0, 1).Draw(t, "shift")
		l := newBetaGeoLikelihood(groupCustomers(cs, nil), shift, rapid.IntRange(1, 3).Draw(t, "workers"))
		u := []float64{rapid.Float64Range(-4, 3).Draw(t, "log r"), rapid.Float64Range(-3, 5).Draw(t, "log alpha"),
			rapid.Float64Range(-4, 3).Draw(t, "log a"), rapid.Float64Range(-4, 4).Draw(t, "log b")}
		checkHessian(t, u, l.eval, l.evalHess)
	})
}

// TestTrigamma holds trigamma against the central difference of gonum's digamma and
// the known values ψ'(1) = π²/6 and ψ'(1/2) = π²/2.
func TestTrigamma(t *testing.T) {
	if got := trigamma(1); math.Abs(got-math.Pi*math.Pi/6) > 1e-12 {
		t.Errorf("trigamma(1) = %.15g, want π²/6", got)
	}
	if got := trigamma(0.5); math.Abs(got-math.Pi*math.Pi/2) > 1e-11 {
		t.Errorf("trigamma(1/2) = %.15g, want π²/2", got)
	}
	rapid.Check(t, func(t *rapid.T) {
		x := math.Exp(rapid.Float64Range(-5, 8).Draw(t, "log x"))
		h := 1e-4 * x
		want := (mathext.Digamma(x+h) - mathext.Digamma(x-h)) / (2 * h)
		if got := trigamma(x); math.Abs(got-want) > 1e-6*want {
			t.Fatalf("trigamma(%v) = %v, central difference of digamma %v", x, got, want)
		}
	})
}

// checkHessian holds the gradient and Hessian that evalHess returns at the log
// parameters u against gonum's central differences of eval's log-likelihood and of its
// gradient, and evalHess's log-likelihood against eval's.
func checkHessian(t *rapid.T, u []float64, eval func(theta, grad []float64) float64, evalHess func(theta, grad, hess []float64) float64) {
	k := len(u)
	grad, hess := make([]float64, k), make([]float64, k*k)
	ll := evalHess(expAll(u), grad, hess)
	if want := eval(expAll(u), nil); math.Abs(ll-want) > 1e-9*math.Max(1, math.Abs(want)) {
		t.Fatalf("log-likelihood %v with the Hessian, %v without", ll, want)
	}
	fdGrad := make([]float64, k)
	fd.Gradient(fdGrad, func(u []float64) float64 { return eval(expAll(u), nil) }, u, &fd.Settings{Formula: fd.Central})
	jac := mat.NewDense(k, k, nil)
	fd.Jacobian(jac, func(g, u []float64) { eval(expAll(u), g) }, u, &fd.JacobianSettings{Formula: fd.Central})
	scale := 0.0
	for i := range k {
		scale = max(scale, math.Abs(fdGrad[i]))
		for j := range k {
			scale = max(scale, math.Abs(jac.At(i, j)))
		}
	}
	tol := 1e-5 * math.Max(scale, 1)
	for i := range k {
		if math.Abs(grad[i]-fdGrad[i]) > tol {
			t.Fatalf("gradient %v, central differences %v", grad, fdGrad)
		}
		for j := range k {
			if math.Abs(hess[k*i+j]-jac.At(i, j)) > tol {
				t.Fatalf("Hessian[%d][%d] = %v, central differences %v\n%v\n%v", i, j, hess[k*i+j], jac.At(i, j), hess, mat.Formatted(jac))
			}
		}
	}
}
