package scoring

import (
	"math"
	"slices"
	"strings"
)

func pick(v []float64, idx []int) []float64 {
	out := make([]float64, len(idx))
	for k, i := range idx {
		out[k] = v[i]
	}
	return out
}

// restrict returns lk as a function of the parameters whose pin is NaN, the others
// held at exp(pin), and the indices of the free parameters.
func (lk likelihood) restrict(pin []float64) (likelihood, []int) {
	var free []int
	for i, p := range pin {
		if math.IsNaN(p) {
			free = append(free, i)
		}
	}
	if len(free) == len(pin) {
		return lk, free
	}
	sub := lk
	sub.names = nil
	sub.scale, sub.shapeOf, sub.twin = nil, nil, nil
	for _, i := range free {
		sub.names = append(sub.names, lk.names[i])
	}
	full, gfull := make([]float64, len(pin)), make([]float64, len(pin))
	for i, p := range pin {
		if !math.IsNaN(p) {
			full[i] = math.Exp(p)
		}
	}
	if lk.scale != nil {
		sub.scale = make([]bool, len(free))
		for k, i := range free {
			sub.scale[k] = lk.scale[i]
		}
	}
	eval := lk.eval
	sub.eval = func(theta, grad []float64) float64 {
		for k, i := range free {
			full[i] = theta[k]
		}
		var g []float64
		if grad != nil {
			clear(gfull)
			g = gfull
		}
		v := eval(full, g)
		if grad != nil {
			for k, i := range free {
				grad[k] = gfull[i]
			}
		}
		return v
	}
	if lk.hess != nil {
		dim := len(pin)
		hfull := make([]float64, dim*dim)
		hess := lk.hess
		sub.hess = func(theta, grad, h []float64) float64 {
			for k, i := range free {
				full[i] = theta[k]
			}
			v := hess(full, gfull, hfull)
			for k, i := range free {
				grad[k] = gfull[i]
				for m, j := range free {
					h[k*len(free)+m] = hfull[i*dim+j]
				}
			}
			return v
		}
	}
	return sub, free
}

// inward checks a boundary fit at log-parameters u: it returns a held parameter along
// which the likelihood falls towards the boundary by more than flatTolerance per
// customer (the maximum is then not on the boundary), and that gradient, or -1.
func (lk likelihood) inward(u, pin, ref []float64) (int, float64) {
	g := make([]float64, len(u))
	(&objective{lk: lk}).gradient(g, u)
	for i, p := range pin {
		if math.IsNaN(p) {
			continue
		}
		// g is ∂(-LL/n)/∂u; the likelihood rises outward when -g has the sign of p-ref.
		if out := -g[i] * math.Copysign(1, p-ref[i]); out < -flatTolerance || math.IsNaN(out) {
			return i, out
		}
	}
	return -1, 0
}

// boundary describes the parameters held by pin, at the fit's log-parameters u, with
// the references ref they ran off from: a shape's is 0 (the shape 1), a scale's the
// data's time scale, so that a scale held below it (alpha of 0.003 against a time
// scale of 8 weeks) runs off to 0 whatever the sign of its logarithm.
func (lk likelihood) boundary(pin, u, ref []float64) *Boundary {
	b := &Boundary{}
	var limits []string
	for i, p := range pin {
		if math.IsNaN(p) {
			continue
		}
		b.Params = append(b.Params, lk.names[i])
		b.Values = append(b.Values, math.Exp(p))
		key, arrow := lk.names[i]+"+", "∞"
		if p < ref[i] {
			key, arrow = lk.names[i]+"-", "0"
		}
		if lk.twin != nil && lk.twin[i] >= 0 {
			if j := lk.twin[i]; math.Abs(u[j]) > boundLog/2 {
				a, b := lk.names[min(i, j)], lk.names[max(i, j)]
				if u[j]*p > 0 {
					key = a + "," + b + key[len(key)-1:]
				} else {
					// The shapes running off in opposite directions: the key names
					// each with its direction, "a-,b+".
					sa, sb := "+", "-"
					if u[min(i, j)] < 0 {
						sa, sb = "-", "+"
					}
					key = a + sa + "," + b + sb
				}
			}
		}
		l, ok := lk.limits[key]
		if !ok {
			l = lk.names[i] + " → " + arrow
		}
		if !slices.Contains(limits, l) {
			limits = append(limits, l)
		}
	}
	b.Limit = strings.Join(limits, "; ")
	return b
}

// penalised returns lk with c·n·Σθ² taken off its log-likelihood (and 2c·n·θᵢ² off
// each ∂/∂ log θᵢ): the objective of FitOptions.Penalizer, scaled like the rest of the
// log-likelihood by the customers' total weight n.
func (lk likelihood) penalised(c float64) likelihood {
	if c == 0 {
		return lk
	}
	eval := lk.eval
	lk.eval = func(theta, grad []float64) float64 {
		v := eval(theta, grad)
		for i, t := range theta {
			v -= c * lk.n * t * t
			if grad != nil && lk.analytic {
				grad[i] -= 2 * c * lk.n * t * t
			}
		}
		return v
	}
	if hess := lk.hess; hess != nil {
		lk.hess = func(theta, grad, h []float64) float64 {
			v := hess(theta, grad, h)
			for i, t := range theta {
				v -= c * lk.n * t * t
				grad[i] -= 2 * c * lk.n * t * t
				h[i*len(theta)+i] -= 4 * c * lk.n * t * t
			}
			return v
		}
	}
	return lk
}
