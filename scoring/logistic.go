package scoring

import (
	"encoding/json"
	"fmt"
	"math"
	"runtime"
	"slices"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"

	"github.com/clientele-go/clientele/internal/english"
)

// LogisticOptions tune FitLogistic. The zero value (or nil) fits with an L2 penalty of 1
// and every row weighted 1.
type LogisticOptions struct {
	// Lambda is the L2 penalty on the standardised coefficients (not the intercept)
	// [1]. The penalty keeps coefficients finite when a feature separates the classes,
	// and shrinks noisy ones.
	Lambda float64
	// Unpenalized fits plain maximum likelihood (Lambda is then ignored); the fit
	// fails with ErrNoConvergence if the classes are separable.
	Unpenalized bool
	// Weights are optional per-row weights (for example to balance classes), finite,
	// >= 0 and totalling less than a float64 holds; nil means 1 for every row. An
	// unpenalised fit does not depend on their scale (weights w and c·w give the same
	// coefficients); a penalised one weighs the data against Lambda, which does not
	// scale with them.
	Weights []float64
	// Names are optional feature names, recorded in the model.
	Names []string
	// MaxIterations bounds the Newton iterations [100].
	MaxIterations int
	// Workers evaluate the likelihood in parallel [runtime.GOMAXPROCS(0)].
	Workers int
}

// Logistic is a fitted L2-regularised logistic regression: P(y | x) =
// 1/(1+exp(-(Intercept + Σ Coef_j (x_j - Mean_j)/Scale_j))). Features are
// standardised so that one penalty suits features of any scale, and the coefficients
// are comparable as effect sizes. A Logistic is safe for concurrent use once fitted;
// a nil *Logistic's methods fail with ErrInvalid.
type Logistic struct {
	Names       []string  // feature names, if given
	Mean, Scale []float64 // standardisation of each feature
	Intercept   float64
	Coef        []float64 // coefficients on the standardised features
	Lambda      float64   // L2 penalty used
	LogLik      float64   // unpenalised log-likelihood of the training data at the fit
	N           float64   // total weight of the training rows
	Iterations  int       // Newton iterations
	// StdErr holds, for an unpenalised fit, the standard errors of Intercept
	// (StdErr[0]) and of each Coef (StdErr[1+j]): the square roots of the diagonal of
	// the inverse information matrix at the maximum (Wald), weights counting as
	// frequencies. They are on the standardised scale, as the coefficients are: a raw
	// slope and its error are Coef[j]/Scale[j] and StdErr[1+j]/Scale[j], and Intercept
	// is the log-odds at the mean of the features. A penalised fit has none (nil): its
	// coefficients are shrunk towards 0, and errors from the penalised information
	// would claim a certainty the data do not give.
	StdErr []float64
}

// FitLogistic fits P(y | x) by penalised maximum likelihood with Newton's method
// (iteratively reweighted least squares): gonum's optimize.Newton with a backtracking
// line search, the solver the likelihood fits use; the objective is concave, so the
// maximum is unique. Rows of x are feature vectors of equal length; y holds both classes.
func FitLogistic(x [][]float64, y []bool, opt *LogisticOptions) (*Logistic, error) {
	m, fit, o, err := prepareLogistic(x, y, opt)
	if err != nil {
		return nil, err
	}
	beta, iters, err := fit.newtonFrom(o.MaxIterations, fit.pilot(o.MaxIterations))
	m.Iterations = iters
	if err != nil {
		return nil, err
	}
	m.Intercept, m.Coef = beta[0], beta[1:]
	// Back to the caller's weights (see prepareLogistic): the log-likelihood and the
	// total weight are 2^-shift times the fit's, the standard errors 2^(shift/2).
	m.LogLik = math.Ldexp(fit.objective(beta)+fit.lambda/2*floats.Dot(beta[1:], beta[1:]), -fit.shift)
	if o.Unpenalized {
		if m.StdErr, err = fit.stdErr(beta); err != nil {
			return nil, err
		}
		for j := range m.StdErr {
			m.StdErr[j] *= math.Exp(float64(fit.shift) * math.Ln2 / 2)
		}
	}
	for _, v := range fit.w {
		m.N += v
	}
	m.N = math.Ldexp(m.N, -fit.shift)
	return m, nil
}

// prepareLogistic checks the input, applies the defaults and returns the model with its
// standardisation, and the likelihood to maximise.
func prepareLogistic(x [][]float64, y []bool, opt *LogisticOptions) (*Logistic, *logisticFit, LogisticOptions, error) {
	var o LogisticOptions
	if opt != nil {
		o = *opt
	}
	if o.Lambda == 0 {
		o.Lambda = 1
	}
	if o.Unpenalized {
		o.Lambda = 0
	}
	if o.MaxIterations <= 0 {
		o.MaxIterations = 100
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	d, err := checkDesign(x, y, o)
	if err != nil {
		return nil, nil, o, err
	}
	m := &Logistic{Names: slices.Clone(o.Names), Lambda: o.Lambda}
	m.Mean, m.Scale = standardisation(x, d)
	for j, s := range m.Scale {
		if math.IsInf(s, 0) {
			return nil, nil, o, fmt.Errorf("%w: feature %d spans more than a float64 holds (values beyond ±8.9e307 of both signs); rescale it", ErrInvalid, j)
		}
	}
	if o.Unpenalized {
		for j, s := range m.Scale {
			if s == 0 {
				return nil, nil, o, fmt.Errorf("%w: feature %d is constant; an unpenalised fit cannot separate it from the intercept", ErrInvalid, j)
			}
		}
	}
	for j := range m.Scale {
		if m.Scale[j] == 0 {
			m.Scale[j] = 1
		}
	}
	// Weights are scaled by the power of two (weightShift) that makes them one or two
	// per row of positive weight, and the penalty with them, so that the objective is
	// the caller's times 2^shift exactly: the tolerances of the fit (a gradient of
	// 1e-9 of the total weight, a Newton decrement of 1e-13 of the objective, each at
	// least an absolute one) then mean the same at any scale. On weights of 1e-12 they
	// were absolute, and an unpenalised fit stopped at its start (every slope 0).
	w := make([]float64, len(y))
	shift := 0
	if o.Weights == nil {
		for i := range w {
			w[i] = 1
		}
	} else {
		var total float64
		rows := 0
		for _, v := range o.Weights {
			total += v
			if v > 0 {
				rows++
			}
		}
		shift = weightShift(total, rows)
		for i, v := range o.Weights {
			w[i] = math.Ldexp(v, shift)
		}
	}
	return m, &logisticFit{z: m.design(x), y: y, w: w, dim: d + 1, lambda: math.Ldexp(o.Lambda, shift), workers: o.Workers, shift: shift}, o, nil
}

func checkDesign(x [][]float64, y []bool, o LogisticOptions) (int, error) {
	if len(x) != len(y) {
		return 0, fmt.Errorf("%w: %s, %s", ErrInvalid, english.Count(len(x), "feature row"), english.Count(len(y), "outcome"))
	}
	if len(x) == 0 {
		return 0, fmt.Errorf("%w: no rows", ErrTooFew)
	}
	if !finite(o.Lambda) || o.Lambda < 0 {
		return 0, fmt.Errorf("%w: lambda %v", ErrInvalid, o.Lambda)
	}
	if o.Weights != nil && len(o.Weights) != len(y) {
		return 0, fmt.Errorf("%w: %s for %s", ErrInvalid, english.Count(len(o.Weights), "weight"), english.Count(len(y), "row"))
	}
	d := len(x[0])
	if o.Names != nil && len(o.Names) != d {
		return 0, fmt.Errorf("%w: %s for %s", ErrInvalid, english.Count(len(o.Names), "name"), english.Count(d, "feature"))
	}
	var pos, neg float64
	for i, row := range x {
		if len(row) != d {
			return 0, fmt.Errorf("%w: row %d has %s, row 0 has %d", ErrInvalid, i, english.Count(len(row), "feature"), d)
		}
		for j, v := range row {
			if !finite(v) {
				return 0, fmt.Errorf("%w: row %d, feature %d is %v", ErrInvalid, i, j, v)
			}
		}
		w := 1.0
		if o.Weights != nil {
			w = o.Weights[i]
			if !finite(w) || w < 0 {
				return 0, fmt.Errorf("%w: row %d has weight %v", ErrInvalid, i, w)
			}
		}
		if y[i] {
			pos += w
		} else {
			neg += w
		}
	}
	if pos == 0 || neg == 0 {
		return 0, fmt.Errorf("%w: outcomes of one class only (%g positive, %g negative weight)", ErrTooFew, pos, neg)
	}
	if err := checkTotalWeight("logistic", "weights", pos+neg); err != nil {
		return 0, err
	}
	return d, nil
}

// standardisation returns each feature's mean and (population) standard deviation.
// The squares are of deviations divided by the largest one, so that a feature whose
// values are finite but large (beyond 1e154) does not square to +Inf: its scale came
// out +Inf, the feature silently dropped out of the model, and the model could not be
// encoded. The deviation itself overflows only for values beyond ±8.9e307 of both
// signs, which leaves the scale +Inf (prepareLogistic refuses it).
func standardisation(x [][]float64, d int) ([]float64, []float64) {
	mean, sd, top := make([]float64, d), make([]float64, d), make([]float64, d)
	n := float64(len(x))
	for _, row := range x {
		for j, v := range row {
			mean[j] += v / n
		}
	}
	for _, row := range x {
		for j, v := range row {
			top[j] = math.Max(top[j], math.Abs(v-mean[j]))
		}
	}
	for _, row := range x {
		for j, v := range row {
			if top[j] > 0 && !math.IsInf(top[j], 0) {
				u := (v - mean[j]) / top[j]
				sd[j] += u * u / n
			}
		}
	}
	for j := range sd {
		sd[j] = top[j] * math.Sqrt(sd[j])
		if math.IsInf(top[j], 0) {
			sd[j] = top[j]
		}
		// A spread below rounding noise is a constant feature.
		if sd[j] <= 1e-12*math.Max(1, math.Abs(mean[j])) {
			sd[j] = 0
		}
	}
	return mean, sd
}

// design returns the standardised rows with a leading 1, flattened.
func (m *Logistic) design(x [][]float64) []float64 {
	dim := len(m.Mean) + 1
	z := make([]float64, len(x)*dim)
	for i, row := range x {
		z[i*dim] = 1
		for j, v := range row {
			z[i*dim+1+j] = (v - m.Mean[j]) / m.Scale[j]
		}
	}
	return z
}

// Predict returns P(y = true | x). It fails if x has the wrong length or a non-finite
// value.
func (m *Logistic) Predict(x []float64) (float64, error) {
	if m == nil {
		return 0, fmt.Errorf("%w: nil logistic model", ErrInvalid)
	}
	if len(x) != len(m.Coef) {
		return 0, fmt.Errorf("%w: %s, model has %d", ErrInvalid, english.Count(len(x), "feature"), len(m.Coef))
	}
	eta := m.Intercept
	for j, v := range x {
		if !finite(v) {
			return 0, fmt.Errorf("%w: feature %d is %v", ErrInvalid, j, v)
		}
		eta += m.Coef[j] * (v - m.Mean[j]) / m.Scale[j]
	}
	return sigmoid(eta), nil
}

type logisticFit struct {
	z       []float64 // n × dim, row-major
	y       []bool
	w       []float64
	dim     int
	lambda  float64
	workers int
	shift   int // w and lambda are the caller's times 2^shift (prepareLogistic)
}

// objective returns the penalised log-likelihood Σ w (y η - log(1+e^η)) - λ/2 |β₁..|².
func (f *logisticFit) objective(beta []float64) float64 {
	var acc [1]float64
	parallelSum(len(f.y), f.workers, 1, acc[:], func(lo, hi int, a []float64) {
		var s float64
		for i := lo; i < hi; i++ {
			eta := floats.Dot(f.z[i*f.dim:(i+1)*f.dim], beta)
			s -= f.w[i] * softplus(eta)
			if f.y[i] {
				s += f.w[i] * eta
			}
		}
		a[0] += s
	})
	return acc[0] - f.lambda/2*floats.Dot(beta[1:], beta[1:])
}

// derivatives returns the gradient and the negative Hessian (the information) of the
// penalised log-likelihood.
func (f *logisticFit) derivatives(beta []float64) ([]float64, *mat.SymDense) {
	dim := f.dim
	acc := make([]float64, dim+dim*dim)
	parallelSum(len(f.y), f.workers, len(acc), acc, func(lo, hi int, a []float64) {
		// Accumulate locally and add once: the chunk's slice is written only at the end.
		local := make([]float64, len(a))
		g, h := local[:dim], local[dim:]
		defer func() {
			for i, v := range local {
				a[i] += v
			}
		}()
		for i := lo; i < hi; i++ {
			zi := f.z[i*dim : (i+1)*dim]
			p := sigmoid(floats.Dot(zi, beta))
			r := -p
			if f.y[i] {
				r = 1 - p
			}
			wr, ww := f.w[i]*r, f.w[i]*p*(1-p)
			for j, v := range zi {
				g[j] += wr * v
				row := h[j*dim : (j+1)*dim]
				for k := j; k < dim; k++ {
					row[k] += ww * v * zi[k]
				}
			}
		}
	})
	g := acc[:dim]
	info := mat.NewSymDense(dim, nil)
	for j := range dim {
		for k := j; k < dim; k++ {
			v := acc[dim+j*dim+k]
			if j == k && j > 0 {
				v += f.lambda
			}
			info.SetSym(j, k, v)
		}
	}
	for j := 1; j < dim; j++ {
		g[j] -= f.lambda * beta[j]
	}
	return g, info
}

// stdErr returns the Wald standard errors at beta: sqrt of the diagonal of the inverse
// information, (Σ w p(1-p) z zᵀ)⁻¹ (McCullagh & Nelder 1989, ch. 4).
func (f *logisticFit) stdErr(beta []float64) ([]float64, error) {
	_, info := f.derivatives(beta)
	var chol mat.Cholesky
	var inv mat.SymDense
	if !chol.Factorize(info) || chol.InverseTo(&inv) != nil {
		return nil, &ConvergenceError{Model: "logistic", Names: coefNames(f.dim), Params: beta, Reason: "information matrix at the fit not invertible: no standard errors"}
	}
	se := make([]float64, f.dim)
	for j := range se {
		se[j] = math.Sqrt(inv.At(j, j))
	}
	return se, nil
}

// separated reports, for an unpenalised fit, classes that the fitted linear predictor
// separates perfectly (every positive above 0, every negative below): scaling the
// coefficients up would then raise the likelihood without bound, so there is no
// maximum, and the "converged" coefficients are only where the gradient underflowed.
func (f *logisticFit) separated(beta []float64) error {
	if f.lambda > 0 {
		return nil
	}
	for i, yi := range f.y {
		eta := floats.Dot(f.z[i*f.dim:(i+1)*f.dim], beta)
		if f.w[i] > 0 && ((yi && eta <= 0) || (!yi && eta >= 0)) {
			return nil
		}
	}
	return &ConvergenceError{Model: "logistic", Names: coefNames(f.dim), Params: beta, Reason: "the features separate the classes perfectly; use a penalty"}
}

func coefNames(dim int) []string {
	names := []string{"intercept"}
	for j := 1; j < dim; j++ {
		names = append(names, fmt.Sprintf("coef[%d]", j-1))
	}
	return names
}

type logisticJSON struct {
	Model      string    `json:"model"`
	Version    int       `json:"version"`
	Names      []string  `json:"names,omitempty"`
	Mean       []float64 `json:"mean"`
	Scale      []float64 `json:"scale"`
	Intercept  float64   `json:"intercept"`
	Coef       []float64 `json:"coef"`
	Lambda     float64   `json:"lambda"`
	LogLik     float64   `json:"log_lik"`
	N          float64   `json:"n"`
	Iterations int       `json:"iterations"`
	StdErr     []float64 `json:"std_err,omitempty"`
}

// MarshalJSON encodes the model, its standardisation and its fit.
func (m *Logistic) MarshalJSON() ([]byte, error) {
	if m == nil {
		return nil, fmt.Errorf("%w: nil logistic model", ErrInvalid)
	}
	for _, v := range [][]float64{m.Mean, m.Scale, m.Coef, m.StdErr, {m.Intercept, m.Lambda, m.LogLik, m.N}} {
		if !allFinite(v) {
			return nil, fmt.Errorf("%w: logistic model has a non-finite value", ErrModel)
		}
	}
	return json.Marshal(logisticJSON{Model: "logistic", Version: modelVersion, Names: m.Names, Mean: m.Mean, Scale: m.Scale,
		Intercept: m.Intercept, Coef: m.Coef, Lambda: m.Lambda, LogLik: m.LogLik, N: m.N, Iterations: m.Iterations, StdErr: m.StdErr})
}

// UnmarshalJSON decodes and checks a model written by MarshalJSON; on error m is
// unchanged.
func (m *Logistic) UnmarshalJSON(data []byte) error {
	if m == nil {
		return fmt.Errorf("%w: nil logistic model", ErrInvalid)
	}
	var j logisticJSON
	if err := strictUnmarshal(data, &j); err != nil {
		return fmt.Errorf("%w: logistic: %v", ErrModel, err)
	}
	d := len(j.Coef)
	switch {
	case j.Model != "logistic" || j.Version != modelVersion:
		return fmt.Errorf("%w: document holds %q version %d, want logistic version %d", ErrModel, j.Model, j.Version, modelVersion)
	case len(j.Mean) != d || len(j.Scale) != d || (j.Names != nil && len(j.Names) != d):
		return fmt.Errorf("%w: logistic: %d coefficients, %d means, %d scales, %d names", ErrModel, d, len(j.Mean), len(j.Scale), len(j.Names))
	case !allFinite(j.Mean) || !allFinite(j.Coef) || !allFinite([]float64{j.Intercept, j.Lambda, j.LogLik, j.N}) || j.Lambda < 0 || j.N < 0 || j.Iterations < 0:
		return fmt.Errorf("%w: logistic: non-finite or negative value", ErrModel)
	}
	for _, s := range j.Scale {
		if !finite(s) || s <= 0 {
			return fmt.Errorf("%w: logistic: scale %v must be positive", ErrModel, s)
		}
	}
	if j.StdErr != nil {
		if len(j.StdErr) != d+1 {
			return fmt.Errorf("%w: logistic: %d standard errors for %d coefficients and the intercept", ErrModel, len(j.StdErr), d)
		}
		for _, v := range j.StdErr {
			if !finite(v) || v < 0 {
				return fmt.Errorf("%w: logistic: standard error %v must be finite and not negative", ErrModel, v)
			}
		}
	}
	*m = Logistic{Names: j.Names, Mean: j.Mean, Scale: j.Scale, Intercept: j.Intercept, Coef: j.Coef,
		Lambda: j.Lambda, LogLik: j.LogLik, N: j.N, Iterations: j.Iterations, StdErr: j.StdErr}
	return nil
}
