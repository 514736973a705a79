package scoring

import (
	"fmt"
	"iter"
	"maps"
	"math"
	"slices"
	"sync"
	"time"
)

// DefaultHalfLife is the half-life of an action's weight in an engagement score: an
// action 30 days old counts half as much as one today, one 60 days old a quarter. It
// matches the window in which a visitor must return twice to count as a user.
const DefaultHalfLife = 30 * 24 * time.Hour

// Engagement keeps a recency-weighted activity score per profile: the sum over the
// profile's actions of weight · 2^(-age/HalfLife). Because the decay is exponential,
// one number and one timestamp per profile suffice, actions may arrive in any order,
// and a score read at any later time is exact. It is safe for concurrent use. Make it
// with NewEngagement: a nil or zero Engagement scores nobody and refuses actions
// (ErrInvalid).
type Engagement struct {
	halfLife time.Duration
	mu       sync.Mutex
	state    map[uint32]engagementState
}

type engagementState struct {
	score float64   // value at the instant at
	at    time.Time // latest action seen
}

// NewEngagement returns an empty score table; halfLife must be positive (use
// DefaultHalfLife unless the business has its own rhythm).
func NewEngagement(halfLife time.Duration) (*Engagement, error) {
	if halfLife <= 0 {
		return nil, fmt.Errorf("%w: half-life %v must be positive", ErrInvalid, halfLife)
	}
	return &Engagement{halfLife: halfLife, state: map[uint32]engagementState{}}, nil
}

// decay returns 2^(-d/halfLife).
func (e *Engagement) decay(d time.Duration) float64 {
	return math.Exp2(-d.Seconds() / e.halfLife.Seconds())
}

// Add records an action of the given weight (a visit 1, a purchase 5, ...) at time at
// by profile. Weights must be finite and non-negative, and an action that would take
// the profile's score past the largest float64 is refused (ErrInvalid), leaving the
// score as it was: the sum of two huge weights was +Inf, which read later decayed to
// Inf·0, NaN.
func (e *Engagement) Add(at time.Time, profile uint32, weight float64) error {
	if e == nil || e.state == nil {
		return fmt.Errorf("%w: nil or zero Engagement; make it with NewEngagement", ErrInvalid)
	}
	if !finite(weight) || weight < 0 {
		return fmt.Errorf("%w: engagement weight %v for profile %d: want a finite weight of 0 or more", ErrInvalid, weight, profile)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	s, ok := e.state[profile]
	switch {
	case !ok:
		s = engagementState{score: weight, at: at}
	case at.After(s.at):
		s = engagementState{score: s.score*e.decay(at.Sub(s.at)) + weight, at: at}
	default:
		s.score += weight * e.decay(s.at.Sub(at))
	}
	if math.IsInf(s.score, 0) {
		return fmt.Errorf("%w: engagement weight %v would take profile %d's score past %v", ErrInvalid, weight, profile, math.MaxFloat64)
	}
	e.state[profile] = s
	return nil
}

// Score returns the engagement at now of profile (0 for a profile never seen). A now
// before the profile's latest action reads the score at that action, so that no action
// ever counts for more than its weight.
func (e *Engagement) Score(now time.Time, profile uint32) float64 {
	if e == nil || e.state == nil {
		return 0
	}
	e.mu.Lock()
	s, ok := e.state[profile]
	e.mu.Unlock()
	if !ok {
		return 0
	}
	return e.at(s, now)
}

func (e *Engagement) at(s engagementState, now time.Time) float64 {
	if !now.After(s.at) {
		return s.score
	}
	return s.score * e.decay(now.Sub(s.at))
}

// Scores yields every profile's engagement at now, in increasing profile order, from a
// snapshot taken when iteration starts.
func (e *Engagement) Scores(now time.Time) iter.Seq2[uint32, float64] {
	if e == nil || e.state == nil {
		return func(func(uint32, float64) bool) {}
	}
	return func(yield func(uint32, float64) bool) {
		e.mu.Lock()
		snap := maps.Clone(e.state)
		e.mu.Unlock()
		for _, p := range slices.Sorted(maps.Keys(snap)) {
			if !yield(p, e.at(snap[p], now)) {
				return
			}
		}
	}
}
