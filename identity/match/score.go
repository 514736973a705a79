package match

import (
	"fmt"
	"math"
)

// Scored is a candidate pair with its match weight in bits: log2 of the posterior odds
// that A and B are the same person.
type Scored struct {
	A, B   int32
	Weight float64
}

// Term is one bar of a waterfall: what one piece of evidence adds to a pair's match
// weight, in bits (log2 of its Bayes factor).
type Term struct {
	// Comparison is the comparison's name, "prior", or the comparison's name with
	// " (term frequency)" for the adjustment of an exact agreement on a value.
	Comparison string
	// Level is the level the pair fell in: a Level's String, "else" or "null".
	Level string
	// Left and Right are the two normalised values compared.
	Left, Right string
	Weight      float64
}

// Probability turns a match weight w into the probability of a match, 2^w / (1 + 2^w).
func Probability(w float64) float64 { return 1 / (1 + math.Exp2(-w)) }

// Waterfall explains the match weight of records a and b: the prior's log odds, then
// one term per comparison, log2(M/U) of the level the pair fell in (0 for a missing
// value), then for each exact agreement on a term-frequency comparison the adjustment
// log2(U[exact] / tf(value)) (Winkler's frequency-based weight, as Splink computes it).
// The match weight is the sum of the terms: Fellegi & Sunter's (1969) likelihood ratio
// under independence given match status, as posterior log odds.
func (l *Linker) Waterfall(m *Model, a, b int) ([]Term, error) {
	if l == nil {
		return nil, errNilLinker
	}
	if err := m.fits(l); err != nil {
		return nil, err
	}
	if a < 0 || b < 0 || a >= l.n || b >= l.n {
		return nil, fmt.Errorf("%w: waterfall of records %d and %d: an index is out of range for Len() = %d", ErrInvalid, a, b, l.n)
	}
	terms := []Term{{Comparison: "prior", Level: "prior", Weight: math.Log2(m.Prior / (1 - m.Prior))}}
	for k, c := range l.cols {
		lv := c.level(int32(a), int32(b))
		t := Term{Comparison: c.label(), Left: c.vals[a], Right: c.vals[b]}
		switch {
		case lv == null:
			t.Level = "null"
		case int(lv) == len(c.Levels):
			t.Level = "else"
		default:
			t.Level = c.Levels[lv].String()
		}
		if lv != null {
			t.Weight = math.Log2(m.M[k][lv] / m.U[k][lv])
		}
		terms = append(terms, t)
		if lv == 0 && c.TermFrequency {
			terms = append(terms, Term{Comparison: c.label() + " (term frequency)", Level: t.Level,
				Left: t.Left, Right: t.Right, Weight: math.Log2(m.U[k][0] / c.tf[a])})
		}
	}
	return terms, nil
}

// weights precomputes log2(M/U) per comparison and level.
func (m *Model) weights() [][]float64 {
	w := make([][]float64, len(m.M))
	for k := range m.M {
		w[k] = make([]float64, len(m.M[k]))
		for lv := range w[k] {
			w[k][lv] = math.Log2(m.M[k][lv] / m.U[k][lv])
		}
	}
	return w
}

// Predict scores the candidate pairs of Settings.Blocking and returns those whose match
// weight is at least minWeight (math.Inf(-1) for all), in generation order, with what
// generation skipped. A pair whose every comparison is null (records with nothing to
// compare) carries no evidence and is never returned. It fails with ErrInvalid when the
// Settings have no blocking rule: there are no candidate pairs, and an empty result
// would read as "nobody matches".
func (l *Linker) Predict(m *Model, minWeight float64) ([]Scored, PairStats, error) {
	if l == nil {
		return nil, PairStats{}, errNilLinker
	}
	if err := m.fits(l); err != nil {
		return nil, PairStats{}, err
	}
	if math.IsNaN(minWeight) {
		return nil, PairStats{}, fmt.Errorf("%w: predict: minWeight is NaN", ErrInvalid)
	}
	if len(l.keys) == 0 {
		return nil, PairStats{}, fmt.Errorf("%w: predict: Settings.Blocking has no rules, so there are no candidate pairs to score (training sessions do not generate them)", ErrInvalid)
	}
	w := m.weights()
	prior := math.Log2(m.Prior / (1 - m.Prior))
	var out []Scored
	st := l.pairs(l.settings.Blocking, l.keys, func(p pair) bool {
		s, ok := l.score(w, m, prior, p.A, p.B)
		if ok && s >= minWeight {
			out = append(out, Scored{p.A, p.B, s})
		}
		return true
	})
	return out, st, nil
}

// score is the sum Waterfall documents, without building the terms; ok is false when
// every comparison is null.
func (l *Linker) score(w [][]float64, m *Model, prior float64, a, b int32) (float64, bool) {
	s, any := prior, false
	for k, c := range l.cols {
		lv := c.level(a, b)
		if lv == null {
			continue
		}
		any = true
		s += w[k][lv]
		if lv == 0 && c.TermFrequency {
			s += math.Log2(m.U[k][0] / c.tf[a])
		}
	}
	return s, any
}
