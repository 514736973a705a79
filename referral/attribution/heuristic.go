package attribution

import (
	"fmt"
	"math"
	"time"
)

// FirstTouch gives each conversion to the first channel of its path.
type FirstTouch struct{}

// LastTouch gives each conversion to the last channel of its path. With Direct set, it
// is the "last non-direct" model: the last touch that is not the Direct channel earns
// the conversion, and Direct earns it only on paths made of nothing else.
type LastTouch struct {
	Direct string
}

// Linear shares each conversion equally among the touches of its path. A channel that
// touched a path twice earns twice: "a > a > b" gives a 2/3 and b 1/3, as
// ChannelAttribution's linear_touch does.
type Linear struct{}

// PositionBased is the U-shaped model: the first touch earns First, the last touch
// Last, and the touches between share the rest equally. The zero value means Google's
// 40/20/40 (First = Last = 0.4). A path of one touch gives it everything; a path of two
// splits in proportion First:Last. First and Last must be non-negative, with a sum of
// at most 1.
type PositionBased struct {
	First, Last float64
}

// TimeDecay weights each touch by 2^(-age/half-life) and shares each conversion in
// proportion to the weights (Google Analytics' time-decay model). With HalfLife set the
// ages come from [Path].Ages, which every path must then carry. With HalfLifeTouches set
// instead, a touch's age is its number of touches before the last one, so that plain
// "a > b > c" paths can be used. Exactly one of the two must be positive.
type TimeDecay struct {
	HalfLife        time.Duration
	HalfLifeTouches float64
}

func (FirstTouch) validate() error { return nil }
func (LastTouch) validate() error  { return nil }
func (Linear) validate() error     { return nil }

func (m PositionBased) validate() error {
	f, l := m.shares()
	if !(f >= 0 && l >= 0 && f+l <= 1+1e-12) {
		return fmt.Errorf("%w: position-based First %v, Last %v: want non-negative shares with a sum of at most 1", ErrInvalid, m.First, m.Last)
	}
	return nil
}

func (m PositionBased) shares() (first, last float64) {
	if m.First == 0 && m.Last == 0 {
		return 0.4, 0.4
	}
	return m.First, m.Last
}

func (m TimeDecay) validate() error {
	if (m.HalfLife > 0) == (m.HalfLifeTouches > 0) || m.HalfLife < 0 || m.HalfLifeTouches < 0 || math.IsNaN(m.HalfLifeTouches) || math.IsInf(m.HalfLifeTouches, 0) {
		return fmt.Errorf("%w: time decay HalfLife %v, HalfLifeTouches %v: exactly one must be positive", ErrInvalid, m.HalfLife, m.HalfLifeTouches)
	}
	return nil
}

// spread is the heart of every rule-based model: it calls weigh for each path with
// its touches and a scratch slice to fill with weights summing to 1, and shares the
// path's conversions and value accordingly.
func spread(j *journeys, weigh func(i int, touches []int32, w []float64) error) ([]Credit, error) {
	out := make([]Credit, len(j.names))
	var w []float64
	for i := range j.paths {
		p := &j.paths[i]
		if p.Conversions == 0 {
			continue
		}
		t := j.touches(i)
		w = w[:0]
		for range t {
			w = append(w, 0)
		}
		if err := weigh(i, t, w); err != nil {
			return nil, err
		}
		for k, c := range t {
			out[c].Conversions += w[k] * p.Conversions
			out[c].Value += w[k] * p.Value
		}
	}
	return out, nil
}

func (FirstTouch) credit(j *journeys) ([]Credit, error) {
	return spread(j, func(_ int, _ []int32, w []float64) error { w[0] = 1; return nil })
}

func (m LastTouch) credit(j *journeys) ([]Credit, error) {
	direct, hasDirect := int32(-1), false
	if m.Direct != "" {
		direct, hasDirect = j.index[m.Direct]
	}
	return spread(j, func(_ int, t []int32, w []float64) error {
		k := len(t) - 1
		if hasDirect {
			for k > 0 && t[k] == direct {
				k--
			}
		}
		w[k] = 1
		return nil
	})
}

func (Linear) credit(j *journeys) ([]Credit, error) {
	return spread(j, func(_ int, _ []int32, w []float64) error {
		for k := range w {
			w[k] = 1 / float64(len(w))
		}
		return nil
	})
}

func (m PositionBased) credit(j *journeys) ([]Credit, error) {
	first, last := m.shares()
	return spread(j, func(_ int, _ []int32, w []float64) error {
		n := len(w)
		switch {
		case n == 1:
			w[0] = 1
		case n == 2 && first+last == 0:
			w[0], w[1] = 0.5, 0.5
		case n == 2:
			w[0], w[1] = first/(first+last), last/(first+last)
		default:
			mid := (1 - first - last) / float64(n-2)
			for k := range w {
				w[k] = mid
			}
			w[0], w[n-1] = first, last
		}
		return nil
	})
}

func (m TimeDecay) credit(j *journeys) ([]Credit, error) {
	return spread(j, func(i int, _ []int32, w []float64) error {
		n := len(w)
		ages := j.paths[i].Ages
		if m.HalfLife > 0 && ages == nil {
			return fmt.Errorf("%w: path %d: time decay with a HalfLife in time needs Ages", ErrInvalid, i)
		}
		// Ages are relative to the end of the path; subtracting the youngest keeps the
		// weights representable for very old paths without changing their ratios.
		youngest := math.Inf(1)
		age := func(k int) float64 {
			if m.HalfLife > 0 {
				return float64(ages[k]) / float64(m.HalfLife)
			}
			return float64(n-1-k) / m.HalfLifeTouches
		}
		for k := range w {
			youngest = math.Min(youngest, age(k))
		}
		sum := 0.0
		for k := range w {
			w[k] = math.Exp2(-(age(k) - youngest))
			sum += w[k]
		}
		for k := range w {
			w[k] /= sum
		}
		return nil
	})
}
