package match

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/clientele-go/clientele/internal/english"
)

// Model holds the parameters of a Fellegi-Sunter model (Fellegi & Sunter 1969) for a
// Linker's comparisons: Prior = P(two records of a random pair are the same person),
// and per comparison k and level l (the last, index len(Levels), the else level)
// M[k][l] = P(level l | match) and U[k][l] = P(level l | non-match).
type Model struct {
	Prior float64
	M, U  [][]float64
}

// TrainOptions tune Train; nil means the defaults.
type TrainOptions struct {
	// Sessions are the blocking rules of the EM training sessions; nil or empty means
	// Settings.Blocking. Each session runs EM on the candidate pairs of one rule and
	// estimates m only for the comparisons on fields the rule does not block on (the
	// others agree by construction there, so their m would be biased), as Splink does;
	// each comparison's m is the mean over the sessions that estimated it. A session
	// may block on any field the Settings name, by a comparison or a blocking rule; one
	// on a field no comparison reads estimates every comparison.
	Sessions []BlockingRule
	// RandomPairs is the number of random record pairs from which each comparison's u
	// is estimated, since almost every random pair is a non-match; they are drawn among
	// the records holding the comparison's field. 0 means 1,000,000.
	RandomPairs int
	// Seed makes the random pairs reproducible.
	Seed uint64
	// FitU re-estimates u by EM in each session too (Winkler 1988) instead of keeping
	// the random-pair estimate; the random-pair u is then the starting point. The
	// classes can then trade places at the same likelihood (label switching), and are
	// traded back so that the match class agrees more; on pairs all alike EM ends with
	// m = u, and the session is left out (see Train).
	FitU bool
	// MaxIter bounds EM iterations per session (0 means 1000); Tol is the largest
	// parameter change at which EM stops (0 means 1e-6). A session stops as soon as
	// its parameters move by at most Tol, so the cap costs nothing on sessions that
	// settle; it stops the slow ones, which TrainReport then reports as not converged.
	MaxIter int
	Tol     float64
	// Report, when not nil, is filled in with how each session's EM went (pairs,
	// iterations, convergence, lambda, the comparisons estimated, and why a session
	// was left out): Train's log, as data. nil reports nothing and costs nothing. It
	// is an output, so it is not part of an options value read from JSON.
	Report *TrainReport `json:"-"`
}

// defaultMaxIter is TrainOptions.MaxIter's default. EM's convergence is linear, and slow
// where the classes overlap: on names blocked with a city, 100,000 people's sessions
// took about 550 iterations (examples/quickstart), and fake_1000's birth-date session
// with FitU 412, where a cap of 100 left their weights where EM happened to stop.
const defaultMaxIter = 1000

// Train estimates a Model without labels: u from random pairs, then m (and u, with
// FitU) by EM on the candidate pairs of each session, then the prior from the sessions'
// estimated match counts, each divided by its rule's recall (the probability under the
// model that a match agrees exactly on the rule's fields) and by the number of all
// pairs. It fails with ErrInvalid when an option is negative (or Tol not finite), a
// session's rule is malformed or a comparison is estimated by no session. With
// TrainOptions.Report set it also says, per session, how many pairs EM ran on, how
// many iterations it took, whether it converged or stopped at MaxIter, the lambda it
// found, the comparisons it estimated and, for a session left out, why.
//
// The match class is the one that agrees more: a pair agreeing at the most similar
// level of every comparison a session estimates (of those whose most similar level
// some pair of the session is at) must weigh more than 0 bits under its estimates. With FitU, EM may end with the classes traded (the likelihood does not
// tell them apart) and they are traded back. A session whose EM still finds no such
// class is left out, as one without pairs is, and says so in the error when it leaves
// a comparison unestimated: its pairs all look alike (with FitU: one pair, or records
// all the same) or hold no two records of one person, and what EM calls matches there are
// non-matches that agree less often than random pairs, whose m would make agreeing
// evidence against a match.
func (l *Linker) Train(opts *TrainOptions) (*Model, error) {
	var o TrainOptions
	if opts != nil {
		o = *opts
	}
	// The report is emptied first, so that one reused from an earlier call holds
	// nothing stale when this one fails before running a session.
	if o.Report != nil {
		*o.Report = TrainReport{}
	}
	if l == nil {
		return nil, errNilLinker
	}
	// An empty list is the default too, as nil is: a caller building the list with
	// append, or decoding "sessions": [] from a configuration, means "no sessions of
	// my own", and a linker with blocking rules has sessions to train on.
	if len(o.Sessions) == 0 {
		o.Sessions = l.settings.Blocking
	}
	if len(o.Sessions) == 0 {
		return nil, fmt.Errorf("%w: no training sessions and no blocking rules", ErrInvalid)
	}
	// Negative values are refused, as Settings refuses a negative MaxBlock: taking them
	// for "the default" would train a model the caller did not ask for without a word.
	if o.RandomPairs < 0 || o.MaxIter < 0 || o.Tol < 0 || math.IsNaN(o.Tol) || math.IsInf(o.Tol, 0) {
		return nil, fmt.Errorf("%w: train: RandomPairs %d, MaxIter %d or Tol %v out of range (0 means the default)", ErrInvalid, o.RandomPairs, o.MaxIter, o.Tol)
	}
	if o.RandomPairs == 0 {
		o.RandomPairs = 1_000_000
	}
	if o.MaxIter == 0 {
		o.MaxIter = defaultMaxIter
	}
	if o.Tol == 0 {
		o.Tol = 1e-6
	}
	if l.n < 2 {
		return nil, fmt.Errorf("%w: train: %s, need at least 2", ErrInvalid, english.Count(l.n, "record"))
	}
	K := len(l.cols)
	levels := make([]int, K)
	for k, c := range l.cols {
		levels[k] = len(c.Levels) + 1
	}
	u := l.randomU(o.RandomPairs, o.Seed)
	mSum := make([][]float64, K)
	for k := range mSum {
		mSum[k] = make([]float64, levels[k])
	}
	uSum := make([][]float64, K)
	for k := range uSum {
		uSum[k] = make([]float64, levels[k])
	}
	estimated := make([]int, K)
	type session struct {
		matches float64
		fields  []string
	}
	var sessions []session
	empty := make([]PairStats, len(o.Sessions)) // of sessions that found no pairs, for the error
	// valued[si][k]: session si found a pair with a value on both sides for comparison
	// k (nil: it found no pairs). EM learns nothing of k from a session without one and
	// would hand back its starting guess as m, weighing an agreement at many bits on no
	// evidence (a field only one export holds, blocked so that pairs span the exports).
	valued := make([][]bool, len(o.Sessions))
	// unseparated[si]: the separation (bits) of session si when its EM told no match
	// class from the non-matches, NaN otherwise.
	unseparated := make([]float64, len(o.Sessions))
	for si := range unseparated {
		unseparated[si] = math.NaN()
	}
	if o.Report != nil {
		o.Report.Sessions = make([]SessionReport, 0, len(o.Sessions))
	}
	// report records a session's outcome when the caller asked for a report; the
	// rule's fields are copied so that the report does not alias the options.
	report := func(sr SessionReport) {
		if o.Report != nil {
			sr.Fields = slices.Clone(sr.Fields)
			o.Report.Sessions = append(o.Report.Sessions, sr)
		}
	}
	g := make([]int8, K)
	for si, rule := range o.Sessions {
		keys, err := l.blockKeys(rule, l.fieldOf)
		if err != nil {
			return nil, fmt.Errorf("%w: training session %d: %v", ErrInvalid, si, err)
		}
		p := newPatterns(K)
		var n float64
		st := l.pairs([]BlockingRule{rule}, [][]string{keys}, func(pr pair) bool {
			l.comparisonVector(pr.A, pr.B, g)
			p.add(g, 1)
			n++
			return true
		})
		if n == 0 {
			empty[si] = st
			report(SessionReport{Session: si, Fields: rule.Fields, Stats: st, LeftOut: NoPairs})
			continue
		}
		valued[si] = make([]bool, K)
		for i := range p.counts {
			for k, lv := range p.vecs[i*K : (i+1)*K] {
				valued[si][k] = valued[si][k] || lv != null
			}
		}
		active := make([]bool, K)
		for k, c := range l.cols {
			active[k] = !slices.Contains(rule.Fields, c.Field) && valued[si][k]
		}
		m := initialM(levels)
		su := make([][]float64, K)
		for k := range su {
			su[k] = slices.Clone(u[k])
		}
		lambda, iters, change := em(p, levels, active, m, su, 0.5, o.FitU, o.MaxIter, o.Tol)
		sep := separation(p, m, su, active)
		if o.Report != nil {
			sr := SessionReport{Session: si, Fields: rule.Fields, Stats: st,
				Iterations: iters, Change: change, Converged: change <= o.Tol, Lambda: lambda, Separation: sep}
			for k, c := range l.cols {
				if active[k] {
					sr.Estimated = append(sr.Estimated, c.label())
				}
			}
			switch {
			case sr.Estimated == nil:
				sr.LeftOut = NoComparison
			case !(sep > 0):
				sr.LeftOut = NoMatchClass
			}
			report(sr)
		}
		// A session whose match class does not agree more than its non-match class
		// has learnt no weights: its pairs all look alike (one pair, or records that
		// are all the same), or hold no two records of one person, so that EM's
		// "match" class is some of the non-matches, agreeing less often than random
		// pairs do. Its m would make an agreement evidence against a match, and its
		// lambda, the share of matches it found, is no count of matches for the prior;
		// a session with no active comparison learnt nothing either, and its lambda is
		// still the start. It is left out, as a session without pairs is.
		if !(sep > 0) {
			unseparated[si] = sep
			continue
		}
		for k := range K {
			if !active[k] {
				continue
			}
			estimated[k]++
			for lv := range m[k] {
				mSum[k][lv] += m[k][lv]
				uSum[k][lv] += su[k][lv]
			}
		}
		sessions = append(sessions, session{lambda * n, rule.Fields})
	}
	model := &Model{M: make([][]float64, K), U: make([][]float64, K)}
	for k := range K {
		if estimated[k] == 0 {
			return nil, fmt.Errorf("%w: comparison %q is estimated by no training session: %s; add a session (TrainOptions.Sessions) whose rule does not block on %s and finds pairs of records that both hold it",
				ErrInvalid, l.cols[k].label(), whyNot(o.Sessions, empty, valued, unseparated, k, l.cols[k].Field, l.settings.MaxBlock), l.cols[k].Field)
		}
		model.M[k] = make([]float64, levels[k])
		model.U[k] = u[k]
		for lv := range mSum[k] {
			model.M[k][lv] = mSum[k][lv] / float64(estimated[k])
		}
		if o.FitU {
			model.U[k] = make([]float64, levels[k])
			for lv := range uSum[k] {
				model.U[k][lv] = uSum[k][lv] / float64(estimated[k])
			}
		}
	}
	all := float64(l.n) * float64(l.n-1) / 2
	prior := 0.0
	for _, s := range sessions {
		recall := 1.0
		for _, f := range s.fields {
			for k, c := range l.cols {
				if c.Field == f && c.Levels[0].Kind == Exact {
					recall *= model.M[k][0]
					break
				}
			}
		}
		prior += s.matches / recall / all
	}
	model.Prior = min(max(prior/float64(max(len(sessions), 1)), 1e-12), 0.5)
	return model, nil
}

// whyNot says, session by session, why none estimated comparison k, of field (a
// session estimates every comparison on a field it does not block on, given a pair with
// a value of it on both sides): it blocks on the field, or its pairs all lack a value of
// it, or its EM found no matches (unseparated[si] is not NaN), or it found no pairs,
// because no two records agree on its fields or because the blocks where they do are
// over MaxBlock (a value shared by thousands of records, such as "test@test.com"). A
// person reading Train's error needs the cause, not a list of
// possibilities.
func whyNot(rules []BlockingRule, empty []PairStats, valued [][]bool, unseparated []float64, k int, field string, maxBlock int) string {
	var b strings.Builder
	for si, rule := range rules {
		if si > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "session %d (%s) ", si, strings.Join(rule.Fields, ", "))
		switch st := empty[si]; {
		case slices.Contains(rule.Fields, field):
			fmt.Fprintf(&b, "blocks on %s", field)
		case valued[si] != nil && !valued[si][k]:
			fmt.Fprintf(&b, "found no pair with a value of %s on both sides", field)
		case !math.IsNaN(unseparated[si]):
			fmt.Fprintf(&b, "found no matches: EM's match class agrees no more than its non-matches (a pair agreeing on every comparison it estimates would weigh %.3g bits), so its pairs all look alike or hold no two records of one person", unseparated[si])
		case len(st.Blocked) > 0:
			over := make([]string, len(st.Blocked))
			for i, k := range st.Blocked {
				over[i] = strings.TrimPrefix(k, "rule 0: ") // the session's one rule
			}
			fmt.Fprintf(&b, "found no pairs, skipping blocks over MaxBlock %d (%s)", maxBlock, strings.Join(over, ", "))
		default:
			b.WriteString("found no pairs: no two records agree on its fields")
		}
	}
	return b.String()
}

// fieldOf returns the normalised values of a field for a training session's rule: any
// field the Settings name, compared or only blocked on. A session blocking on a field
// no comparison reads is the one that estimates every comparison, and the default
// sessions are Settings.Blocking, which New accepted; only a field the Settings never
// named has no values here, since the records are not kept.
func (l *Linker) fieldOf(f string) ([]string, error) {
	if vs, ok := l.fields[f]; ok {
		return vs, nil
	}
	if _, ok := fieldValue(&Record{}, f); !ok {
		return nil, fmt.Errorf("unknown field %q", f)
	}
	return nil, fmt.Errorf("field %q is named by no comparison or blocking rule of the Settings, so New kept no values to block a training session on", f)
}

// initialM starts EM with most of the match mass on the most similar levels.
func initialM(levels []int) [][]float64 {
	m := make([][]float64, len(levels))
	for k, n := range levels {
		m[k] = make([]float64, n)
		w, s := 1.0, 0.0
		for l := range n - 1 {
			m[k][l] = w
			s += w
			w /= 4
		}
		m[k][n-1] = w / 4
		s += w / 4
		for l := range m[k] {
			m[k][l] /= s
		}
	}
	return m
}

// randomU estimates u, per comparison, from random pairs of distinct records that
// both hold a value of its field (all such pairs when there are at most n): the share
// of each level among them, with half a pair added to every level so that a level no
// random pair reached keeps a small u. u is P(level | non-match) for a comparison that
// is not null, and almost every random pair is a non-match, so the pairs are drawn
// among the field's holders: drawn among all records, a field that few of them hold
// (a passport number, a field of one export only) is rarely held on both sides of a
// pair, and with no such pair every level kept the same u, 1/levels, taking an exact
// agreement on it for weak evidence. Each comparison reads n pairs, as the n pairs of
// all comparisons did; with every record holding the first comparison's field, its
// pairs are the ones drawn before, and with at most n pairs of records in all, every
// comparison's counts are.
func (l *Linker) randomU(n int, seed uint64) [][]float64 {
	u := make([][]float64, len(l.cols))
	for k, c := range l.cols {
		counts := make([]float64, len(c.Levels)+1)
		var held []int32
		for i, v := range c.vals {
			if v != "" {
				held = append(held, int32(i))
			}
		}
		h := len(held)
		if all := int64(h) * int64(h-1) / 2; all <= int64(n) {
			for i, a := range held {
				for _, b := range held[i+1:] {
					counts[c.level(a, b)]++
				}
			}
		} else {
			// One stream per comparison, so that a comparison's u does not depend on
			// the others; the first keeps the stream of the pairs drawn before.
			rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15+uint64(k)))
			for range n {
				i := rng.Int32N(int32(h))
				j := rng.Int32N(int32(h - 1))
				if j >= i {
					j++
				}
				counts[c.level(held[i], held[j])]++
			}
		}
		u[k] = make([]float64, len(counts))
		for lv := range counts {
			counts[lv] += 0.5
		}
		normalizeInto(u[k], counts)
	}
	return u
}

func (m *Model) fits(l *Linker) error {
	if m == nil {
		return fmt.Errorf("%w: nil model", ErrInvalid)
	}
	if !(m.Prior > 0 && m.Prior < 1) {
		return fmt.Errorf("%w: model prior %v not in (0, 1)", ErrInvalid, m.Prior)
	}
	if len(m.M) != len(l.cols) || len(m.U) != len(l.cols) {
		return fmt.Errorf("%w: model has %s in M and %d in U, the linker %s", ErrInvalid, english.Count(len(m.M), "comparison"), len(m.U), english.Count(len(l.cols), "comparison"))
	}
	for k, c := range l.cols {
		if len(m.M[k]) != len(c.Levels)+1 || len(m.U[k]) != len(c.Levels)+1 {
			return fmt.Errorf("%w: model comparison %d (%s) has %s in M and %d in U, want %d (its levels and else)", ErrInvalid, k, c.label(), english.Count(len(m.M[k]), "level"), len(m.U[k]), len(c.Levels)+1)
		}
		for lv := range m.M[k] {
			for _, p := range []float64{m.M[k][lv], m.U[k][lv]} {
				if !(p > 0 && p <= 1) {
					return fmt.Errorf("%w: model comparison %d (%s) level %d: probability %v not in (0, 1]", ErrInvalid, k, c.label(), lv, p)
				}
			}
		}
	}
	return nil
}
