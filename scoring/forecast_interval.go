package scoring

import (
	"math"
	"runtime"
	"slices"
	"sync"

	"github.com/clientele-go/clientele/internal/stats"
	"gonum.org/v1/gonum/mat"
)

// PeriodInterval is one period of Forecast or Tracking with its intervals: the
// purchases expected in the period and from the origin to its end.
type PeriodInterval struct {
	End                  float64 // end of the period, in the model's time unit from the origin
	Expected, Cumulative Interval
}

// Forecast returns the intervals of Forecast(m, cs, periods, length) for the model
// the Intervals were made of: each period's expected purchases of the base cs and
// the cumulative purchases to its end. The method is the Intervals' own (delta or
// bootstrap); the whole forecast is computed once per parameter point (2k+1 points by
// the delta method, one per replicate by the bootstrap), not once per period.
func (iv *Intervals) Forecast(cs []Customer, periods int, length float64) ([]PeriodInterval, error) {
	if err := iv.check(); err != nil {
		return nil, err
	}
	if _, err := Forecast(iv.model, cs, periods, length); err != nil {
		return nil, err
	}
	return iv.periods(periods, func(m Model) []ForecastPeriod {
		f, _ := Forecast(m, cs, periods, length)
		return f
	}), nil
}

// Tracking returns the intervals of Tracking(m, births, periods, length), the
// cumulative tracking plot, as Forecast does for Forecast.
func (iv *Intervals) Tracking(births []float64, periods int, length float64) ([]PeriodInterval, error) {
	if err := iv.check(); err != nil {
		return nil, err
	}
	if _, err := Tracking(iv.model, births, periods, length); err != nil {
		return nil, err
	}
	return iv.periods(periods, func(m Model) []ForecastPeriod {
		f, _ := Tracking(m, births, periods, length)
		return f
	}), nil
}

// periods returns the intervals of the per-period and cumulative values of f.
func (iv *Intervals) periods(periods int, f func(m Model) []ForecastPeriod) []PeriodInterval {
	var ends []float64
	vec := func(u []float64) []float64 {
		m := iv.model
		if u != nil {
			m, _ = iv.models(u)
		}
		fp := f(m)
		out := make([]float64, 2*periods)
		for k, p := range fp {
			out[k], out[periods+k] = p.Expected, p.Cumulative
			if u == nil {
				ends = append(ends, p.End)
			}
		}
		return out
	}
	all := paramIntervals(iv.Level, iv.u, iv.cov, iv.draws, positiveScale, vec)
	out := make([]PeriodInterval, periods)
	for k := range out {
		out[k] = PeriodInterval{End: ends[k], Expected: all[k], Cumulative: all[periods+k]}
	}
	return out
}

// paramIntervals is paramInterval for a vector of predictions f(u) (f(nil) at the
// estimate u), all on the scale sc: by the delta method each prediction's gradient
// comes from the same 2k evaluations of f by central differences (the step gonum's
// fd uses for them, the cube root of the machine epsilon), and by the bootstrap from
// one evaluation per draw.
func paramIntervals(level float64, u []float64, cov *mat.SymDense, draws [][]float64, sc scale, f func(u []float64) []float64) []Interval {
	est := f(nil)
	out := make([]Interval, len(est))
	for k, e := range est {
		out[k] = Interval{Estimate: e, Lo: e, Hi: e}
	}
	if cov != nil {
		const h = 6.0554544523933395e-06
		grads := make([][]float64, len(est))
		for k := range grads {
			grads[k] = make([]float64, len(u))
		}
		// The 2k evaluations run on all cores, as paramInterval's (fd's Concurrent).
		var wg sync.WaitGroup
		sem := make(chan struct{}, runtime.GOMAXPROCS(0))
		for i := range u {
			wg.Go(func() {
				sem <- struct{}{}
				defer func() { <-sem }()
				up, um := slices.Clone(u), slices.Clone(u)
				up[i] += h
				um[i] -= h
				fp, fm := f(up), f(um)
				for k := range est {
					grads[k][i] = (sc.to(fp[k]) - sc.to(fm[k])) / (2 * h)
				}
			})
		}
		wg.Wait()
		z := stats.ZCrit(level)
		for k, e := range est {
			// As in paramInterval: a prediction at the edge of its range does not move.
			if !finite(e) || e <= 0 || (sc == probScale && e >= 1) {
				continue
			}
			g := mat.NewVecDense(len(u), grads[k])
			v := mat.Inner(g, cov, g)
			if !(v >= 0) || math.IsInf(v, 1) {
				continue
			}
			c, half := sc.to(e), z*math.Sqrt(v)
			out[k].Lo, out[k].Hi = math.Min(sc.from(c-half), e), math.Max(sc.from(c+half), e)
		}
		return out
	}
	vals := make([][]float64, len(est))
	for _, d := range draws {
		for k, v := range f(d) {
			if !math.IsNaN(v) {
				vals[k] = append(vals[k], v)
			}
		}
	}
	for k := range est {
		if len(vals[k]) == 0 {
			continue
		}
		slices.Sort(vals[k])
		out[k].Lo = quantileSorted(vals[k], (1-level)/2)
		out[k].Hi = quantileSorted(vals[k], (1+level)/2)
	}
	return out
}
