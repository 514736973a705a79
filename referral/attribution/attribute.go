package attribution

import (
	"fmt"
	"slices"
)

// CreditRule says how a conversion's credit is divided among the touches of its path
// (what marketers call an attribution model): one of [FirstTouch], [LastTouch],
// [Linear], [PositionBased], [TimeDecay], [Markov] and [Shapley]. The set is closed;
// rules are plain values and safe for concurrent use.
type CreditRule interface {
	// credit returns each channel's share of the conversions and of the value.
	credit(j *journeys) ([]Credit, error)
	// validate checks the rule's parameters.
	validate() error
}

// Attribute shares the conversions and the conversion value of the paths among the
// channels that touched them, as rule says. Every channel seen on any path has an
// entry, zero when it earns nothing. For every rule the credits add up to the total
// conversions and the total value of the paths (to rounding); they are non-negative for
// every rule but Shapley's SubsetRate game, which debits channels that lower the
// conversion rate.
//
// A path with no touches, an empty channel name, a negative or non-finite count, value
// without conversions, or a figure past its bound (a count over [MaxCount], a value over
// scoring.MaxAmount, or over that for each conversion) is an error wrapping [ErrInvalid]
// that names the path's index, as are paths whose conversions, nulls or value add up past
// the same bound: such figures are mistakes, and were credited as they were, or as
// nothing (Markov, on a path that loops), or as ±Inf (Shapley.Values);
// a rule with parameters out of range, or nil, is an error wrapping [ErrInvalid], and so
// is Shapley's SubsetRate game on paths whose overall rate is lost in the rounding of
// its values (see [Shapley]).
// Attribute does not modify paths.
func Attribute(paths []Path, rule CreditRule) (map[string]Credit, error) {
	if rule == nil {
		return nil, fmt.Errorf("%w: attribute: nil credit rule", ErrInvalid)
	}
	return byChannel(paths, rule.validate, rule.credit)
}

// byChannel validates the rule and the paths, runs f on the interned journeys and
// names its per-channel results.
func byChannel(paths []Path, validate func() error, f func(*journeys) ([]Credit, error)) (map[string]Credit, error) {
	if err := validate(); err != nil {
		return nil, err
	}
	j, err := intern(paths)
	if err != nil {
		return nil, err
	}
	res, err := f(j)
	if err != nil {
		return nil, err
	}
	out := make(map[string]Credit, len(j.names))
	for c, name := range j.names {
		out[name] = res[c]
	}
	return out, nil
}

// journeys holds validated paths with channel names numbered densely, so that the
// models work on integer ids. It refers to the caller's paths without copying them and
// keeps no per-touch array: ids are looked up again as each model walks the paths,
// which costs less than allocating (and having the collector scan) one for a million
// journeys.
type journeys struct {
	paths []Path
	names []string         // channel id -> name, in order of first appearance
	index map[string]int32 // name -> channel id
	conv  float64          // total conversions
	value float64          // total value
	buf   []int32
}

// touches returns path i's channel ids in a buffer reused by the next call.
func (j *journeys) touches(i int) []int32 {
	j.buf = j.buf[:0]
	for _, t := range j.paths[i].Touches {
		j.buf = append(j.buf, j.index[t])
	}
	return j.buf
}

// channelSet returns the distinct channels of path i, in order of first touch, in set's
// storage.
func (j *journeys) channelSet(i int, set []int32) []int32 {
	set = set[:0]
	t := j.touches(i)
	if len(t) <= 64 { // the usual journey: a scan beats a map
		for _, c := range t {
			if !slices.Contains(set, c) {
				set = append(set, c)
			}
		}
		return set
	}
	seen := make(map[int32]bool, len(t))
	for _, c := range t {
		if !seen[c] {
			seen[c] = true
			set = append(set, c)
		}
	}
	return set
}

// shareOut shares the total conversions and value among the channels in proportion to
// their weights (removal effects, Shapley values), each total by its own weights.
func (j *journeys) shareOut(w []Credit) []Credit {
	var sumC, sumV float64
	for _, x := range w {
		sumC += x.Conversions
		sumV += x.Value
	}
	out := make([]Credit, len(w))
	for c, x := range w {
		// The share first: the total times a weight in the total's own unit (a
		// Shapley value of a value game) passes MaxFloat64 where their ratio does not.
		if sumC != 0 {
			out[c].Conversions = j.conv * (x.Conversions / sumC)
		}
		if sumV != 0 {
			out[c].Value = j.value * (x.Value / sumV)
		}
	}
	return out
}

// intern validates the paths and numbers their channels.
func intern(paths []Path) (*journeys, error) {
	j := &journeys{paths: paths, index: make(map[string]int32)}
	var sum totals
	for i := range paths {
		p := &paths[i]
		if _, msg := p.problem(); msg != "" {
			return nil, fmt.Errorf("%w: path %d: %s", ErrInvalid, i, msg)
		}
		// Each path is within the bounds, but the paths need not be: past MaxCount a
		// total of integer counts is no longer sure to be exact (past 2^53 it was
		// not), and the figures are no journeys anyway.
		if _, what := sum.add(p); what != "" {
			return nil, fmt.Errorf("%w: path %d: takes the paths' %s", ErrInvalid, i, what)
		}
		for _, t := range p.Touches {
			if _, ok := j.index[t]; !ok {
				j.index[t] = int32(len(j.names))
				j.names = append(j.names, t)
			}
		}
	}
	j.conv, j.value = sum.conversions, sum.value
	return j, nil
}
