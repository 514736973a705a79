package attribution

import (
	"container/heap"
	"errors"

	"github.com/clientele-go/clientele/internal/stats"
	"gonum.org/v1/gonum/mat"
)

// removalEffectsFactored computes removal effects at any order from one factorisation of
// each strongly connected component instead of a solve of the chain per channel.
// Removing channel c kills the set D of states holding it. By the strong Markov property
// at the first visit to D, the conversion probability lost is φ·h_D, with h the
// conversion probability from each state and φ(d) the probability that the walk from
// the start first enters D at d. Counting the visits to each d' in D by where D was
// entered first gives n_D = φ N_DD, with n the expected visits from the start (the
// start distribution times the fundamental matrix N = (I-Q)^-1) and N_DD the expected
// visits to d' from d (the block of N on D): so the loss is n_D N_DD^-1 h_D (at order 1,
// D = {c}, this is removalEffectsFirstOrder's h(c) n(c)/N(c,c)). Value is the same
// with the expected value g in place of h. h, g and n come from one solve of the chain;
// N_DD from the inverses of the components (N(d,d') of one component is its inverse's
// entry, as a walk that leaves a component never returns) and, for d' in a component
// downstream of d's, from carrying d's row of N forward, only through the components
// reached from d and only as far as the last component holding a state of D. A
// channel costs about |D|³/3 for the small solve instead of a solve of the whole chain.
//
// The factorisation is used only where it is estimated to pay: components of at most
// maxFactorStates states whose inverses fit in maxFactorStates² floats together, and
// cheaper to invert than solving the chain again per channel; and a channel whose D
// is so large that |D|³ outweighs a solve of the chain is solved again as before.
// always (tests) uses the factorisation whenever it fits in memory, for every channel.
func (m Markov) removalEffectsFactored(j *journeys, always bool) ([]Credit, error) {
	ch, err := buildChain(j, m.order())
	if err != nil {
		return nil, err
	}
	s, err := newSolver(ch)
	if err != nil {
		return nil, err
	}
	base, err := s.solve(-1)
	if err != nil {
		return nil, err
	}
	perRemoval := s.work // a solve of the chain without one channel costs about as much
	re := make([]Credit, len(j.names))
	active := 0
	for c := range j.names {
		if len(ch.statesOf[c]) > 0 {
			active++
		}
	}
	var floats, invert, carry float64 // carry: the most one row of N costs to carry forward
	carry = float64(ch.n + len(ch.col))
	for _, comp := range s.comps {
		if m := float64(len(comp)); m > 1 {
			if m > maxFactorStates {
				floats = maxFactorStates*maxFactorStates + 1
			}
			floats += m * m
			invert += m * m * m
			carry += m * m
		}
	}
	if floats > maxFactorStates*maxFactorStates || (!always && invert >= float64(active-1)*perRemoval) {
		for c := range j.names {
			if err := s.removeAndSolve(c, base, re); err != nil {
				return nil, err
			}
		}
		return re, nil
	}
	f, err := factor(s)
	if err != nil {
		return nil, err
	}
	for c := range j.names {
		D := ch.statesOf[c]
		if len(D) == 0 {
			continue
		}
		if !always && f.cost(D, carry) >= perRemoval {
			if err := s.removeAndSolve(c, base, re); err != nil {
				return nil, err
			}
			continue
		}
		lost, err := f.lost(D)
		if err != nil {
			return nil, err
		}
		if base.Conversions > 0 {
			re[c].Conversions = stats.Clamp01(lost.Conversions / base.Conversions)
		}
		if base.Value > 0 {
			re[c].Value = stats.Clamp01(lost.Value / base.Value)
		}
	}
	return re, nil
}

// factored holds a chain's components' inverses and what one solve of it gives.
type factored struct {
	ch     *chain
	comps  [][]int32   // as solver.comps: successors first
	compOf []int32     // state -> index of its component
	local  []int32     // state -> its index within its component
	inv    [][]float64 // component -> (I - Q_CC)^-1, row-major
	h, g   []float64   // per state: P(conversion), expected value
	visits []float64   // per state: expected visits from the start, n

	// Scratch for carrying one row of N forward.
	row     []float64
	touched []int32
	queued  []bool
	pending compHeap
}

// factor inverts each component of s's chain and records the solve s last made (of the
// whole chain) and the expected visits from the start.
func factor(s *solver) (*factored, error) {
	ch := s.ch
	f := &factored{
		ch:     ch,
		comps:  s.comps,
		compOf: make([]int32, ch.n),
		local:  make([]int32, ch.n),
		inv:    make([][]float64, len(s.comps)),
		h:      append([]float64(nil), s.u...),
		g:      append([]float64(nil), s.v...),
		row:    make([]float64, ch.n),
		queued: make([]bool, len(s.comps)),
	}
	for k, comp := range s.comps {
		for i, st := range comp {
			f.compOf[st] = int32(k)
			f.local[st] = int32(i)
		}
	}
	for k, comp := range s.comps {
		m := len(comp)
		a := mat.NewDense(m, m, nil)
		for i, st := range comp {
			a.Set(i, i, 1)
			for x := ch.rowOff[st]; x < ch.rowOff[st+1]; x++ {
				if t := ch.col[x]; f.compOf[t] == int32(k) {
					a.Set(i, int(f.local[t]), a.At(i, int(f.local[t]))-ch.p[x])
				}
			}
		}
		if m == 1 {
			f.inv[k] = []float64{1 / a.At(0, 0)}
			continue
		}
		var inv mat.Dense
		if err := inv.Inverse(a); err != nil {
			// I - Q of an absorbing chain is non-singular; a condition error means the
			// weights are degenerate beyond what float64 resolves, as in solveDense.
			var c mat.Condition
			if !errors.As(err, &c) {
				return nil, errorf("markov inverse of %d states: %w", m, err)
			}
		}
		f.inv[k] = inv.RawMatrix().Data
		if inv.RawMatrix().Stride != m {
			f.inv[k] = mat.DenseCopyOf(&inv).RawMatrix().Data
		}
	}
	f.visits = append([]float64(nil), ch.start...)
	for k := len(f.comps) - 1; k >= 0; k-- { // predecessors first
		f.carry(f.visits, k, 0, nil)
	}
	return f, nil
}

// carry turns the visits carried into component k (in y, at its states) into the
// expected visits to each of its states, then carries them along the transitions out
// of it into components of index at least stop, pushing those onto pending if not nil.
func (f *factored) carry(y []float64, k int, stop int32, pending *compHeap) {
	ch, comp, inv := f.ch, f.comps[k], f.inv[k]
	m := len(comp)
	if m == 1 {
		y[comp[0]] *= inv[0]
	} else {
		in := make([]float64, m)
		for i, st := range comp {
			in[i], y[st] = y[st], 0
		}
		for i, w := range in {
			if w == 0 {
				continue
			}
			r := inv[i*m : (i+1)*m]
			for x, st := range comp {
				y[st] += w * r[x]
			}
		}
		if pending != nil {
			f.touched = append(f.touched, comp...)
		}
	}
	for _, st := range comp {
		w := y[st]
		if w == 0 {
			continue
		}
		for x := ch.rowOff[st]; x < ch.rowOff[st+1]; x++ {
			t := ch.col[x]
			kt := f.compOf[t]
			if kt == int32(k) || kt < stop {
				continue
			}
			y[t] += w * ch.p[x]
			if pending != nil {
				f.touched = append(f.touched, t)
				if !f.queued[kt] {
					f.queued[kt] = true
					heap.Push(pending, kt)
				}
			}
		}
	}
}

// cost estimates what lost(D) costs: the solve of |D| unknowns, and carrying forward
// the rows of N of the states of D that some state of D is downstream of (each at most
// carry).
func (f *factored) cost(D []int32, carry float64) float64 {
	d := float64(len(D))
	stop := f.stop(D)
	var cross float64
	for _, st := range D {
		if f.compOf[st] > stop {
			cross++
		}
	}
	return d*d*d/3 + d*d + cross*carry
}

// stop is the index of the last component (successors first) holding a state of D.
func (f *factored) stop(D []int32) int32 {
	stop := f.compOf[D[0]]
	for _, st := range D {
		stop = min(stop, f.compOf[st])
	}
	return stop
}

// lost returns the conversions and value the chain loses from the start when the
// states D are removed: n_D N_DD^-1 [h_D g_D].
func (f *factored) lost(D []int32) (Credit, error) {
	nd := len(D)
	stop := f.stop(D)
	// nt holds N_DD transposed, so that nt φ = n_D is φ N_DD = n_D.
	nt := mat.NewDense(nd, nd, nil)
	for i, d := range D {
		kd := f.compOf[d]
		if kd == stop {
			// Nothing of D lies downstream of d's component: N(d, d') is zero outside it.
			for x, e := range D {
				if f.compOf[e] == kd {
					m := len(f.comps[kd])
					nt.Set(x, i, f.inv[kd][int(f.local[d])*m+int(f.local[e])])
				}
			}
			continue
		}
		f.rowOf(d, stop)
		for x, e := range D {
			nt.Set(x, i, f.row[e])
		}
		for _, st := range f.touched {
			f.row[st] = 0
		}
		f.touched = f.touched[:0]
	}
	nD := mat.NewVecDense(nd, nil)
	for i, d := range D {
		nD.SetVec(i, f.visits[d])
	}
	var phi mat.VecDense
	if err := phi.SolveVec(nt, nD); err != nil {
		var c mat.Condition
		if !errors.As(err, &c) {
			return Credit{}, errorf("markov solve of %d removed states: %w", nd, err)
		}
	}
	var out Credit
	for i, d := range D {
		out.Conversions += phi.AtVec(i) * f.h[d]
		out.Value += phi.AtVec(i) * f.g[d]
	}
	return out, nil
}

// rowOf leaves in f.row the row of N of state d (the expected visits from d) at every
// state of the components reached from d of index at least stop, listing in f.touched
// the states it wrote.
func (f *factored) rowOf(d int32, stop int32) {
	f.row[d] = 1
	f.touched = append(f.touched, d)
	f.pending = f.pending[:0]
	kd := f.compOf[d]
	f.queued[kd] = true
	heap.Push(&f.pending, kd)
	// Components are taken predecessors first (highest index first), so each has
	// received all it will before it is carried on.
	for f.pending.Len() > 0 {
		k := heap.Pop(&f.pending).(int32)
		f.queued[k] = false
		f.carry(f.row, int(k), stop, &f.pending)
	}
}

// compHeap is a max-heap of component indices.
type compHeap []int32

func (h compHeap) Len() int           { return len(h) }
func (h compHeap) Less(i, j int) bool { return h[i] > h[j] }
func (h compHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *compHeap) Push(x any)        { *h = append(*h, x.(int32)) }
func (h *compHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
