package scoring

import "math"

// The starting point of the BG/NBD, MBG/NBD and Pareto/NBD fits on large bases is the
// maximum of the same likelihood on the data coarsened: recency and age rounded to
// the centre of a grid of cells of 1/pilotGrid of the oldest customer's age (the
// frequency kept exact), which merges the distinct histories into a few thousand
// rows. That maximum is within a few per cent of the full one (rounding the times
// changes each log-likelihood term by O(h²), Sheppard's correction, so the estimates
// move by a small fraction of a cell's relative width), which is inside the region
// where Newton's method converges quadratically: the full fit then takes 3 or 4
// iterations instead of 7 or 8, each a pass over every distinct history, while the
// pilot's iterations cost a third or less of one. See BENCHMARKS.md (issue #15, start) for the
// counts before and after, and for the moment-based start that was tried and not
// adopted because it lands only within a factor of two.
//
// The pilot runs only on at least pilotMinRows distinct histories, and only when it
// is at most a third their size. On CDNOW's 1,016 histories a pilot on 335 rows cuts
// the full BG/NBD fit from 8 iterations to 3 but costs more than it saves (2.0 ms of
// CPU against 1.5 ms: a second fit's fixed costs), while on 32,473 histories it
// halves the BG/NBD fit and makes Pareto/NBD's 2.5 times cheaper.
const (
	pilotGrid    = 32 // cells along the age axis; 16 when 32 leaves too many rows
	pilotMinRows = 2000
)

// coarsen returns g with recency and age rounded to cells of width h: each to the
// centre of its cell, so that t_x <= T still holds and t_x > 0 for a repeat buyer.
func (g *grouped) coarsen(h float64) *grouped {
	cs := make([]Customer, g.rows())
	for j := range cs {
		x := g.xs[g.xi[j]]
		T := (math.Floor(g.ts[g.ti[j]]/h) + 0.5) * h
		c := Customer{Frequency: x, T: T}
		if x > 0 {
			c.Recency = math.Min((math.Floor(g.txs[g.txi[j]]/h)+0.5)*h, T)
		}
		cs[j] = c
	}
	return groupCustomers(cs, g.w)
}

// pilot returns the coarsened data on which a pilot fit is worth running, or nil.
func (g *grouped) pilot() *grouped {
	if g.rows() < pilotMinRows {
		return nil
	}
	var maxT float64
	for _, T := range g.ts {
		maxT = math.Max(maxT, T)
	}
	if !(maxT > 0) || math.IsInf(maxT, 0) {
		return nil
	}
	for _, cells := range []float64{pilotGrid, pilotGrid / 2} {
		if c := g.coarsen(maxT / cells); 3*c.rows() <= g.rows() {
			return c
		}
	}
	return nil
}

// withPilot fits the problem build makes of the coarsened data (when g.pilot finds it
// worth it) and returns lk and starts with that estimate first. A pilot that fails
// is ignored: the fit then begins with the usual starts. A pilot that ends at the
// boundary is used too (the full fit then reaches the boundary in a few iterations
// instead of creeping there, which on Pareto/NBD bases without dropout cost tens of
// seconds); so that the boundary is where it would be without the pilot, the
// returned lk measures its scale parameters against the usual first start, the
// data's time scale (likelihood.ref), not against the pilot's estimate; and since the
// pilot has already compared the usual starts, a full fit that converges from the
// pilot's estimate ends there (likelihood.piloted). The pilot is
// held to the same options (penalizer, iteration limit) and reports its progress
// under the model's name followed by " (pilot)".
func withPilot(g *grouped, lk likelihood, build func(*grouped) (likelihood, [][]float64), starts [][]float64, o FitOptions) (likelihood, [][]float64, pilotInfo) {
	c := g.pilot()
	if c == nil || len(starts) == 0 {
		return lk, starts, pilotInfo{}
	}
	plk, ps := build(c)
	po := o
	if o.Progress != nil {
		model := plk.model + " (pilot)"
		po.Progress = func(_ string, it int, ll float64) { o.Progress(model, it, ll) }
	}
	theta, _, d, err := maximise(plk, ps, po)
	info := pilotInfo{rows: c.rows(), evaluations: d.Evaluations}
	if err != nil {
		return lk, starts, info
	}
	lk.ref, lk.piloted = starts[0], true
	return lk, append([][]float64{theta}, starts...), info
}

// pilotInfo is what Diagnostics records of a pilot fit.
type pilotInfo struct{ rows, evaluations int }

// fitGrouped fits the problem build makes of g, from a pilot's estimate when g is
// large enough for one (withPilot).
func fitGrouped(g *grouped, build func(*grouped) (likelihood, [][]float64), o FitOptions) ([]float64, float64, Diagnostics, error) {
	lk, starts := build(g)
	lk, starts, pi := withPilot(g, lk, build, starts, o)
	theta, ll, d, err := maximise(lk, starts, o)
	d.PilotRows, d.PilotEvaluations = pi.rows, pi.evaluations
	return theta, ll, d, err
}
