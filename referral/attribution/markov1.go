package attribution

import (
	"errors"

	"github.com/clientele-go/clientele/internal/stats"
	"gonum.org/v1/gonum/mat"
)

// maxFactorStates is the largest strongly connected component whose fundamental
// matrix removalEffectsFirstOrder inverts: m² floats (128 MiB at 4,096 states) and
// about m³ operations (0.55 s at 1,000 states, 3.2 s at 2,000). A larger component is
// solved once per channel removed, as for higher orders.
const maxFactorStates = 4096

// removalEffectsFirstOrder computes first-order removal effects from one solve of the
// chain instead of one per channel. At order 1 a channel is one state c, and by the
// strong Markov property at the first visit to c, the probability of converting from s
// without passing through c is h(s) - F(s,c)·h(c), with h the conversion probability
// and F(s,c) the probability of ever reaching c from s. Summed over the start
// distribution, removing c loses h(c)·F(start,c), where F(start,c) = n(c)/N(c,c): n(c)
// is the expected number of visits to c from the start (the start distribution times
// the fundamental matrix N = (I-Q)^-1) and N(c,c) the expected visits to c from c
// (Kemeny & Snell, Finite Markov Chains, thm. 3.5.4). Value is the same with the
// expected value g in place of h. N(c,c) depends only on c's strongly connected
// component, as a walk that leaves it never returns; so each component's N is inverted
// once, and n is carried from component to component, predecessors first.
func removalEffectsFirstOrder(j *journeys) ([]Credit, error) {
	ch, err := buildChain(j, 1)
	if err != nil {
		return nil, err
	}
	s, err := newSolver(ch)
	if err != nil {
		return nil, err
	}
	for _, comp := range s.comps {
		if len(comp) > maxFactorStates {
			return Markov{Order: 1}.removalEffectsDense(j, denseSolveLimit)
		}
	}
	base, err := s.solve(-1) // s.u and s.v are now h and g
	if err != nil {
		return nil, err
	}
	visits := append([]float64(nil), ch.start...) // n, complete once a component's predecessors are done
	diag := make([]float64, ch.n)                 // N(c,c)
	pos := make(map[int32]int)
	for k := len(s.comps) - 1; k >= 0; k-- { // predecessors first
		comp := s.comps[k]
		if len(comp) == 1 {
			st := comp[0]
			self := 0.0
			for x := ch.rowOff[st]; x < ch.rowOff[st+1]; x++ {
				if ch.col[x] == st {
					self += ch.p[x]
				}
			}
			diag[st] = 1 / (1 - self)
			visits[st] *= diag[st]
		} else if err := componentVisits(ch, comp, pos, visits, diag); err != nil {
			return nil, err
		}
		// Carry the component's visits to its successors outside it.
		for _, st := range comp {
			for x := ch.rowOff[st]; x < ch.rowOff[st+1]; x++ {
				if t := ch.col[x]; !inComp(comp, t) {
					visits[t] += visits[st] * ch.p[x]
				}
			}
		}
	}
	re := make([]Credit, len(j.names))
	for c := range j.names {
		reach := visits[c] / diag[c] // F(start, c)
		if base.Conversions > 0 {
			re[c].Conversions = stats.Clamp01(s.u[c] * reach / base.Conversions)
		}
		if base.Value > 0 {
			re[c].Value = stats.Clamp01(s.v[c] * reach / base.Value)
		}
	}
	return re, nil
}

// componentVisits inverts I - Q over one strongly connected component, records its
// diagonal in diag, and turns the visits carried into the component (in visits) into
// the expected visits to each of its states: visits_C N_C.
func componentVisits(ch *chain, comp []int32, pos map[int32]int, visits, diag []float64) error {
	clear(pos)
	for i, st := range comp {
		pos[st] = i
	}
	m := len(comp)
	a := mat.NewDense(m, m, nil)
	for i, st := range comp {
		a.Set(i, i, 1)
		for x := ch.rowOff[st]; x < ch.rowOff[st+1]; x++ {
			if k, in := pos[ch.col[x]]; in {
				a.Set(i, k, a.At(i, k)-ch.p[x])
			}
		}
	}
	var inv mat.Dense
	if err := inv.Inverse(a); err != nil {
		// I - Q of an absorbing chain is non-singular; a condition error means the
		// weights are degenerate beyond what float64 resolves, as in solveDense.
		var c mat.Condition
		if !errors.As(err, &c) {
			return errorf("markov inverse of %d states: %w", m, err)
		}
	}
	in := make([]float64, m)
	for i, st := range comp {
		in[i] = visits[st]
	}
	for k, st := range comp {
		var v float64
		for i := range m {
			v += in[i] * inv.At(i, k)
		}
		visits[st] = v
		diag[st] = inv.At(k, k)
	}
	return nil
}

// inComp reports whether st is in comp, whose states are ascending.
func inComp(comp []int32, st int32) bool {
	lo, hi := 0, len(comp)
	for lo < hi {
		mid := (lo + hi) / 2
		if comp[mid] < st {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo < len(comp) && comp[lo] == st
}
