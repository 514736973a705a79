package attribution

import (
	"fmt"
	"github.com/clientele-go/clientele/internal/stats"
)

// Markov is data-driven attribution by removal effect (Anderl, Becker, von Wangenheim &
// Schumann 2016): the journeys become an absorbing Markov chain whose transient states
// are the channels (for Order k > 1, the k-tuples of consecutive channels) between a
// start state and two absorbing states, conversion and null. A channel's removal effect
// is the fraction of the chain's conversion probability lost when every state holding
// the channel is removed, its inflow redirected to null. Each channel earns the total
// conversions times its removal effect divided by the sum of all removal effects; value
// is shared the same way by the removal effects of expected value, where a conversion
// from a state is worth the mean value of the journeys that ended there.
//
// The chain follows ChannelAttribution's markov_model (R and Python, version 2), whose
// simulations converge to what this type computes exactly:
//   - transition weights are journey counts: each journey adds Conversions+Nulls to every
//     transition along it, Conversions to last-state→conversion and Nulls to
//     last-state→null; probabilities are row-normalised weights.
//   - repeated consecutive states collapse into one visit ("a > a > b" is start → a → b),
//     so the chain has no self-loops. A self-loop would not change any absorption
//     probability anyway; collapsing matches the reference's transition matrix.
//   - for Order k the states of a journey are its sliding windows of k touches, after
//     which repeats collapse; a journey shorter than k is a single state of its own
//     shorter tuple.
//
// Absorption probabilities are solved exactly, not simulated: [Markov] condenses the
// chain's strongly connected components and solves each component's linear system,
// successors first. ChannelAttribution's simulation in addition treats a
// simulated journey longer than the longest observed one as a non-conversion (max_step);
// the exact chain has no such truncation, which is the limit its estimates approach as
// max_step and the number of simulations grow.
//
// Cost: at order 1 the removal effects come from one solve of the chain and one
// inversion of I - Q over each strongly connected component of channels (journeys
// that loop make them): about m³ operations and m² floats for a component of m
// states, 17 ms for a loop through 300 channels and 0.55 s through 1,000. Higher
// orders do the same where it is estimated to pay: each component inverted once, then
// about |D|³/3 per channel for the |D| states holding it (27-50 ms instead of 0.6-1.1 s
// for order 2 over a ring of 100 looping channels, 400 states). Otherwise (a
// first-order component of more than 4,096 states, or a higher order where factorising
// does not pay) the chain is solved again for each channel removed: about m³ per
// channel for a loop, 0.9 s at 300 states and 9 s at 1,000, growing as the cube.
//
// Order must be 0 (meaning 1) to 4.
type Markov struct {
	Order int
}

// MaxMarkovOrder is the highest Order a [Markov] model accepts.
const MaxMarkovOrder = 4

func (m Markov) order() int {
	if m.Order == 0 {
		return 1
	}
	return m.Order
}

func (m Markov) validate() error {
	if m.Order < 0 || m.Order > MaxMarkovOrder {
		return fmt.Errorf("%w: markov order %d: want 1 to %d", ErrInvalid, m.Order, MaxMarkovOrder)
	}
	return nil
}

func (m Markov) credit(j *journeys) ([]Credit, error) {
	re, err := m.removalEffects(j)
	if err != nil {
		return nil, err
	}
	return j.shareOut(re), nil
}

// RemovalEffects returns each channel's removal effect: Conversions holds the fraction
// of the chain's conversion probability lost when the channel is removed, Value the
// fraction of its expected conversion value. Both lie in [0, 1]; they do not sum to 1
// (a channel on every converting path has removal effect 1). Paths are checked as
// [Attribute] checks them.
func (m Markov) RemovalEffects(paths []Path) (map[string]Credit, error) {
	return byChannel(paths, m.validate, m.removalEffects)
}

func (m Markov) removalEffects(j *journeys) ([]Credit, error) {
	if m.order() == 1 {
		return removalEffectsFirstOrder(j)
	}
	return m.removalEffectsFactored(j, false)
}

// removalEffectsDense is removalEffects solving components of at most dense states by
// LU and larger ones by Gauss-Seidel (the tests force either path).
func (m Markov) removalEffectsDense(j *journeys, dense int) ([]Credit, error) {
	ch, err := buildChain(j, m.order())
	if err != nil {
		return nil, err
	}
	s, err := newSolver(ch)
	if err != nil {
		return nil, err
	}
	s.dense = dense
	base, err := s.solve(-1)
	if err != nil {
		return nil, err
	}
	re := make([]Credit, len(j.names))
	for c := range j.names {
		if err := s.removeAndSolve(c, base, re); err != nil {
			return nil, err
		}
	}
	return re, nil
}

// removeAndSolve sets re[c] to channel c's removal effect by solving the chain again
// without c's states, given the chain's conversions and value from the start (base).
func (s *solver) removeAndSolve(c int, base Credit, re []Credit) error {
	if len(s.ch.statesOf[c]) == 0 {
		return nil // only on journeys of zero weight: the chain never visits it
	}
	r, err := s.solve(c)
	if err != nil {
		return err
	}
	if base.Conversions > 0 {
		re[c].Conversions = stats.Clamp01(1 - r.Conversions/base.Conversions)
	}
	if base.Value > 0 {
		re[c].Value = stats.Clamp01(1 - r.Value/base.Value)
	}
	return nil
}

// chain is the absorbing Markov chain of a set of journeys: transient states 0..n-1,
// transitions in compressed sparse rows, and for each state the probability of moving
// to conversion (conv) and the expected value that move brings (val).
type chain struct {
	n        int
	start    []float64 // probability that a journey starts in each state
	rowOff   []int     // transitions of state s are col/p[rowOff[s]:rowOff[s+1]]
	col      []int32
	p        []float64
	conv     []float64 // P(s -> conversion)
	val      []float64 // P(s -> conversion) times the mean value of conversions from s
	statesOf [][]int32 // channel -> the states that hold it
}

// buildChain turns journeys into the chain of order k, as the Markov doc describes.
func buildChain(j *journeys, k int) (*chain, error) {
	nc := len(j.names)
	if k > 1 && nc >= 1<<16-1 {
		return nil, fmt.Errorf("%w: markov order %d over %d channels: at most %d channels for orders above 1", ErrInvalid, k, nc, 1<<16-2)
	}
	// The states of a journey, repeats collapsed, into a reused buffer. Tuples of
	// order k > 1 are numbered on first sight.
	var (
		tuples  map[uint64]int32
		members [][]int32 // state -> its tuple of channels (order > 1)
		n       = nc
	)
	if k > 1 {
		tuples = make(map[uint64]int32)
		n = 0
	}
	stateOf := func(t []int32) int32 {
		var key uint64
		for _, c := range t {
			key = key<<16 | uint64(c+1)
		}
		s, ok := tuples[key]
		if !ok {
			s = int32(n)
			n++
			tuples[key] = s
			members = append(members, append([]int32(nil), t...))
		}
		return s
	}
	var buf []int32
	sequence := func(t []int32) []int32 {
		buf = buf[:0]
		if k == 1 {
			for _, c := range t {
				if len(buf) == 0 || buf[len(buf)-1] != c {
					buf = append(buf, c)
				}
			}
			return buf
		}
		if len(t) <= k {
			return append(buf, stateOf(t))
		}
		for w := 0; w+k <= len(t); w++ {
			if s := stateOf(t[w : w+k]); len(buf) == 0 || buf[len(buf)-1] != s {
				buf = append(buf, s)
			}
		}
		return buf
	}
	if k > 1 {
		// Pass 1 numbers the states, so that pass 2 knows how many there are.
		for i := range j.paths {
			if p := &j.paths[i]; p.Conversions+p.Nulls > 0 {
				sequence(j.touches(i))
			}
		}
	}
	ch := &chain{
		n:        n,
		start:    make([]float64, n),
		conv:     make([]float64, n),
		val:      make([]float64, n),
		statesOf: make([][]int32, nc),
	}
	// The channels of each state, each listed once.
	if k == 1 {
		for c := range nc {
			ch.statesOf[c] = []int32{int32(c)}
		}
	} else {
		for s, t := range members {
			for i, c := range t {
				if !contains(t[:i], c) {
					ch.statesOf[c] = append(ch.statesOf[c], int32(s))
				}
			}
		}
	}
	// Pass 2: count transitions.
	null := make([]float64, n)
	edges := newEdgeCounter(n)
	var startTotal float64
	for i := range j.paths {
		p := &j.paths[i]
		w := p.Conversions + p.Nulls
		if w == 0 {
			continue
		}
		s := sequence(j.touches(i))
		ch.start[s[0]] += w
		startTotal += w
		for x := 1; x < len(s); x++ {
			edges.add(s[x-1], s[x], w)
		}
		end := s[len(s)-1]
		ch.conv[end] += p.Conversions
		null[end] += p.Nulls
		ch.val[end] += p.Value
	}
	for s := range ch.start {
		if startTotal > 0 {
			ch.start[s] /= startTotal
		}
	}
	ch.rowOff, ch.col, ch.p = edges.rows()
	// Normalise each row over its transitions and both absorbing states. A state's
	// value term val/total equals P(s -> conversion) times the mean value of a
	// conversion from s, since the mean is val/conv.
	for s := range n {
		total := ch.conv[s] + null[s]
		for x := ch.rowOff[s]; x < ch.rowOff[s+1]; x++ {
			total += ch.p[x]
		}
		if total == 0 {
			continue // a state no weighted journey visits
		}
		for x := ch.rowOff[s]; x < ch.rowOff[s+1]; x++ {
			ch.p[x] /= total
		}
		ch.conv[s] /= total
		ch.val[s] /= total
	}
	return ch, nil
}

func contains(s []int32, v int32) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// edgeCounter sums transition weights: in a dense matrix when the chain is small (the
// usual first-order case, where counting dominates the cost), in a map otherwise.
type edgeCounter struct {
	n     int
	dense []float64
	m     map[uint64]float64
}

const denseEdgeLimit = 512

func newEdgeCounter(n int) *edgeCounter {
	if n <= denseEdgeLimit {
		return &edgeCounter{n: n, dense: make([]float64, n*n)}
	}
	return &edgeCounter{n: n, m: make(map[uint64]float64)}
}

func (e *edgeCounter) add(from, to int32, w float64) {
	if e.dense != nil {
		e.dense[int(from)*e.n+int(to)] += w
		return
	}
	e.m[uint64(from)<<32|uint64(uint32(to))] += w
}

// rows returns the counts in compressed sparse rows, columns ascending.
func (e *edgeCounter) rows() (off []int, col []int32, w []float64) {
	off = make([]int, e.n+1)
	if e.dense != nil {
		for s := range e.n {
			for t, v := range e.dense[s*e.n : (s+1)*e.n] {
				if v != 0 {
					col = append(col, int32(t))
					w = append(w, v)
				}
			}
			off[s+1] = len(col)
		}
		return off, col, w
	}
	for key := range e.m {
		off[key>>32+1]++
	}
	for s := range e.n {
		off[s+1] += off[s]
	}
	col = make([]int32, len(e.m))
	w = make([]float64, len(e.m))
	next := append([]int(nil), off[:e.n]...)
	for key, v := range e.m {
		s := key >> 32
		col[next[s]] = int32(uint32(key))
		w[next[s]] = v
		next[s]++
	}
	for s := range e.n {
		sortRow(col[off[s]:off[s+1]], w[off[s]:off[s+1]])
	}
	return off, col, w
}

// sortRow sorts one row by column (insertion sort: rows are short) so that results do
// not depend on map order.
func sortRow(col []int32, w []float64) {
	for i := 1; i < len(col); i++ {
		for x := i; x > 0 && col[x] < col[x-1]; x-- {
			col[x], col[x-1] = col[x-1], col[x]
			w[x], w[x-1] = w[x-1], w[x]
		}
	}
}
