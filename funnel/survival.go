package funnel

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"time"

	"github.com/clientele-go/clientele/internal/stats"
)

// Survival is a Kaplan-Meier curve of time to convert: at each distinct conversion time
// Time[i], AtRisk[i] profiles were still unconverted and followed, Events[i] converted,
// and S[i] estimates the share not yet converted just after Time[i]. A censored profile
// counts as at risk up to and including its censoring time, as Kaplan & Meier (1958) do
// when a conversion and a censoring share an instant. The zero Survival, and a nil
// *Survival, is the curve of no conversions: S is 1 at every time. A curve built by
// hand needs only Time and S, of one length (see At).
type Survival struct {
	Time           []time.Duration
	AtRisk, Events []int64
	S              []float64
	// SE is Greenwood's standard error of S; Lo and Hi bound S pointwise at Level by the
	// log-log transform (Kalbfleisch & Prentice 1980, eq. 1.10), which keeps the band
	// inside [0, 1].
	SE, Lo, Hi []float64
	Level      float64
}

func checkLevel(level float64) error {
	if !(level > 0 && level < 1) {
		return fmt.Errorf("%w: confidence level %v outside (0, 1)", ErrInvalid, level)
	}
	return nil
}

// kaplanMeier computes the curve from the sorted times of conversions (events) and of
// censorings, walking the two lists together: S(t) = Π_{t_i <= t} (1 - d_i/n_i) (Kaplan
// & Meier 1958, eq. 2.1), and Greenwood's Var S(t) = S(t)² Σ_{t_i <= t} d_i / (n_i (n_i -
// d_i)).
func kaplanMeier(events, censored []time.Duration, level float64) *Survival {
	z := stats.ZCrit(level)
	sv := &Survival{Level: level}
	s, green := 1.0, 0.0
	atRisk := int64(len(events) + len(censored))
	for i, j := 0, 0; i < len(events) || j < len(censored); {
		var t time.Duration
		switch {
		case i == len(events):
			t = censored[j]
		case j == len(censored):
			t = events[i]
		default:
			t = min(events[i], censored[j])
		}
		var d, c int64
		for ; i < len(events) && events[i] == t; i++ {
			d++
		}
		for ; j < len(censored) && censored[j] == t; j++ {
			c++
		}
		if d > 0 {
			s *= 1 - float64(d)/float64(atRisk)
			if atRisk > d {
				green += float64(d) / float64(atRisk*(atRisk-d))
			}
			se := s * math.Sqrt(green)
			lo, hi := 0.0, 1.0
			if s > 0 && s < 1 {
				// log(-log S) ± z·σ, σ² = Greenwood sum / (log S)².
				sigma := math.Sqrt(green) / math.Abs(math.Log(s))
				ll := math.Log(-math.Log(s))
				lo, hi = math.Exp(-math.Exp(ll+z*sigma)), math.Exp(-math.Exp(ll-z*sigma))
			} else if s == 0 {
				hi = 0
			}
			sv.Time = append(sv.Time, t)
			sv.AtRisk = append(sv.AtRisk, atRisk)
			sv.Events = append(sv.Events, d)
			sv.S = append(sv.S, s)
			sv.SE = append(sv.SE, se)
			sv.Lo = append(sv.Lo, lo)
			sv.Hi = append(sv.Hi, hi)
		}
		atRisk -= d + c
	}
	return sv
}

// At returns S(t): the estimated share of profiles not yet converted after t. It reads
// only Time, which must ascend (as TimeToConvert's curves do; out of order, the answer
// is meaningless though nothing fails; of equal times, the last counts), and S. A
// curve whose S and Time differ in length (built by hand: TimeToConvert's never do)
// has no S(t) to give, and At answers NaN at every t: a float cannot carry an error,
// and NaN fails every comparison and spoils every sum it enters, where an S read at
// another time would pass as an answer.
func (sv *Survival) At(t time.Duration) float64 {
	if sv == nil {
		return 1 // no conversions, as the zero Survival
	}
	if len(sv.S) != len(sv.Time) {
		return math.NaN()
	}
	// i counts the times at or before t: S after the last of them, the last of equal
	// times in a curve built by hand that repeats one (S after every factor up to t).
	i := sort.Search(len(sv.Time), func(i int) bool { return sv.Time[i] > t })
	if i == 0 {
		return 1
	}
	return sv.S[i-1]
}

// Converted returns 1 - S(t): the estimated share of profiles converted by t (NaN
// where At is).
func (sv *Survival) Converted(t time.Duration) float64 { return 1 - sv.At(t) }

// TimeToConvert returns the Kaplan-Meier curve of the time from the first step to the
// last. Profiles that converted are events; those that entered and did not are
// censored at their follow-up time: from their latest first-step event to the end of
// observation (Result.End), or the window if that is shorter. A profile still inside
// its window is thereby counted as not converted yet, not as lost. Over no events (End
// the zero time) the curve is empty.
func (r *Result) TimeToConvert(level float64) (*Survival, error) {
	if r == nil {
		return nil, fmt.Errorf("%w: time to convert of a nil *Result", ErrInvalid)
	}
	if err := checkLevel(level); err != nil {
		return nil, err
	}
	var censored []time.Duration
	if r.open.n > 0 {
		// A profile entered, so an event was seen and End is set: the zero End (whose
		// UnixNano is undefined) has no one to censor.
		censored = censoredTimes(&r.open, r.End.UnixNano(), int64(r.window))
	}
	if len(censored) > 0 && censored[0] < 0 {
		return nil, fmt.Errorf("%w: a profile entered at %v, after the end of observation %v", ErrInvalid, r.End.Add(-censored[0]), r.End)
	}
	return kaplanMeier(r.converted, censored, level), nil
}

// censoredTimes returns, sorted, the follow-up time of each profile that entered at
// one of origins and did not convert by end: end - origin, capped at the window.
func censoredTimes(origins *chunks, end, window int64) []time.Duration {
	// Sort the origins, then walk them from the latest: follow-up time falls as the
	// origin rises, so that walk yields the times in ascending order.
	c := make([]time.Duration, origins.n)
	sortBlocks(c, origins.blocks, nil)
	slices.Reverse(c)
	for i, v := range c {
		d := end - int64(v)
		if window > 0 && d > window {
			d = window
		}
		c[i] = time.Duration(d)
	}
	return c
}
