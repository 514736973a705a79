package uplift

import (
	"fmt"
	"math"
	"sync"

	"gonum.org/v1/gonum/mat"

	"github.com/clientele-go/clientele/internal/english"
)

// Linear is a fitted ridge regression, E[y | x] = Intercept + Σ Coef_j (x_j -
// Mean_j)/Scale_j. Features are standardised, as scoring.Logistic's are, so that one
// penalty suits features of any scale. The X-learner's effect models are Linear. A
// Linear is safe for concurrent use; a nil *Linear's Predict fails with ErrInvalid.
type Linear struct {
	Mean, Scale []float64 // standardisation of each feature (Scale 1 for a constant one)
	Intercept   float64
	Coef        []float64 // coefficients on the standardised features
	Lambda      float64   // L2 penalty used
	N           int       // training rows
}

// Predict returns E[y | x]. It fails if x has the wrong length or a non-finite value.
func (l *Linear) Predict(x []float64) (float64, error) {
	if l == nil {
		return 0, fmt.Errorf("%w: nil linear model", ErrInvalid)
	}
	if len(x) != len(l.Coef) {
		return 0, fmt.Errorf("%w: %s, model has %d", ErrInvalid, english.Count(len(x), "feature"), len(l.Coef))
	}
	if err := checkRows([][]float64{x}, len(l.Coef)); err != nil {
		return 0, err
	}
	return l.index().eta(x), nil
}

func (l *Linear) index() index { return newIndex(l.Mean, l.Scale, l.Intercept, l.Coef) }

// fitLinear fits the ridge regression of y on the rows idx of x: it minimises
// ½ Σ (y_i - β₀ - β·z_i)² + λ/2 |β|², z_i the standardised row (Hoerl & Kennard 1970;
// Hastie, Tibshirani & Friedman 2009, eq. 3.41, with the intercept unpenalised), by the
// normal equations (ZᵀZ + λI')β = Zᵀy solved by Cholesky. The cross-products are
// accumulated in one pass over the rows, on workers goroutines, each row's z built in a
// buffer, so the design is never copied. mean and scale standardise the features; the
// caller passes those the base models computed on the same rows, or nil to have them
// computed. y(i) is row i's outcome, called once per row.
func fitLinear(x [][]float64, idx []int, y func(i int) float64, mean, scale []float64, lambda float64, workers int) (*Linear, error) {
	if mean == nil {
		mean, scale = standardise(x, idx)
		for j, s := range scale {
			if math.IsInf(s, 0) || math.IsInf(mean[j], 0) {
				return nil, fmt.Errorf("%w: linear model: feature %d spans more than a float64 holds; rescale it", ErrInvalid, j)
			}
		}
	}
	d := len(mean)
	dim := d + 1
	inv := make([]float64, d)
	for j, s := range scale {
		inv[j] = 1 / s
	}
	acc := make([]float64, dim*dim+dim)
	var mu sync.Mutex
	var wg sync.WaitGroup
	chunk := (len(idx) + workers - 1) / workers
	for lo := 0; lo < len(idx); lo += chunk {
		part := idx[lo:min(lo+chunk, len(idx))]
		wg.Go(func() {
			local := make([]float64, len(acc))
			h, g := local[:dim*dim], local[dim*dim:]
			z := make([]float64, dim)
			z[0] = 1
			for _, i := range part {
				for j, v := range x[i][:d] {
					z[1+j] = (v - mean[j]) * inv[j]
				}
				yi := y(i)
				for j, zj := range z {
					g[j] += yi * zj
					row := h[j*dim+j : (j+1)*dim]
					zz := z[j:]
					zz = zz[:len(row)]
					for k, v := range zz {
						row[k] += zj * v
					}
				}
			}
			mu.Lock()
			for k, v := range local {
				acc[k] += v
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	a := mat.NewSymDense(dim, nil)
	for j := range dim {
		for k := j; k < dim; k++ {
			v := acc[j*dim+k]
			if j == k && j > 0 {
				v += lambda
			}
			a.SetSym(j, k, v)
		}
	}
	var chol mat.Cholesky
	if !chol.Factorize(a) {
		return nil, fmt.Errorf("%w: linear model of %d rows: the features are collinear; a ridge penalty (FitOptions.Lambda) fits them", ErrInvalid, len(idx))
	}
	var beta mat.VecDense
	if err := chol.SolveVecTo(&beta, mat.NewVecDense(dim, acc[dim*dim:])); err != nil {
		return nil, fmt.Errorf("%w: linear model: %v", ErrInvalid, err)
	}
	b := beta.RawVector().Data
	return &Linear{Mean: mean, Scale: scale, Intercept: b[0], Coef: b[1:], Lambda: lambda, N: len(idx)}, nil
}

// standardise returns the mean and (population) standard deviation of each feature
// over the rows idx, a deviation of 0 (a constant feature) taken as 1, as
// scoring.FitLogistic does.
func standardise(x [][]float64, idx []int) ([]float64, []float64) {
	d := len(x[idx[0]])
	mean, sd := make([]float64, d), make([]float64, d)
	for _, i := range idx {
		for j, v := range x[i] {
			mean[j] += v
		}
	}
	n := float64(len(idx))
	for j := range mean {
		mean[j] /= n
	}
	// The squares are of deviations divided by the largest, so that a feature of
	// finite values beyond 1e154 does not square to +Inf: its scale came out +Inf and
	// the feature silently dropped out of the model.
	top := make([]float64, d)
	for _, i := range idx {
		for j, v := range x[i] {
			top[j] = math.Max(top[j], math.Abs(v-mean[j]))
		}
	}
	for _, i := range idx {
		for j, v := range x[i] {
			if top[j] > 0 && !math.IsInf(top[j], 0) {
				u := (v - mean[j]) / top[j]
				sd[j] += u * u
			}
		}
	}
	for j := range sd {
		sd[j] = top[j] * math.Sqrt(sd[j]/n)
		if math.IsInf(top[j], 0) {
			sd[j] = top[j]
		}
		if sd[j] <= 1e-12*math.Max(1, math.Abs(mean[j])) {
			sd[j] = 1
		}
	}
	return mean, sd
}
