package match

import "strconv"

// TrainReport says how Train's EM went, session by session: what a training log of
// Splink shows, as data, so that a caller can log it and decide whether to trust the
// model (a session that stopped at MaxIter without converging, one left out). Train
// fills it in when TrainOptions.Report points at one; the Model is the same either way.
type TrainReport struct {
	// Sessions holds one report per training session, in the order of
	// TrainOptions.Sessions (or Settings.Blocking, the default). When Train fails it
	// holds the sessions run before the failure: none for a bad option or linker,
	// all of them when the failure is a comparison that no session estimated, whose
	// reports say why.
	Sessions []SessionReport
}

// SessionReport is what one training session's EM did.
type SessionReport struct {
	// Session is the index of the session's rule in TrainOptions.Sessions (or
	// Settings.Blocking), and Fields the rule's fields.
	Session int
	Fields  []string
	// Stats counts the session's candidate pairs: Stats.Pairs is the number EM ran
	// on, and Skipped and Blocked the pairs left out by Settings.MaxBlock or
	// Settings.MaxPairs, as Predict counts them.
	Stats PairStats
	// Iterations is the number of EM iterations run, from 1 to TrainOptions.MaxIter
	// (1000 by default); 0 when EM did not run (no pairs). Change is the largest
	// parameter change (of lambda, m and, with FitU, u) in the last iteration, and
	// Converged says it was at most TrainOptions.Tol (1e-6 by default): EM stopped
	// because the parameters had settled. Converged false means EM stopped at
	// MaxIter, still moving by Change: the session's m and lambda are where EM was
	// when stopped, not a maximum of the likelihood; a larger MaxIter may settle them.
	Iterations int
	Change     float64
	Converged  bool
	// Lambda is the share of the session's pairs in EM's match class (after the
	// classes are traded back with FitU); Lambda times Stats.Pairs is the session's
	// estimated match count, which feeds the prior unless the session is left out.
	Lambda float64
	// Estimated lists the comparisons (Comparison.Name, or Field when unnamed) whose
	// m (and u, with FitU) EM estimated in this session: those on fields the rule does
	// not block on, of which the session found a pair with a value on both sides. A
	// session kept adds its estimates of them to the model's means; one left out adds
	// nothing.
	Estimated []string
	// Separation is the weight in bits, without the prior, of a pair agreeing at the
	// most similar level of every estimated comparison (of those whose most similar
	// level some pair of the session is at): positive when EM's match class agrees
	// more than its non-matches, the class convention Train holds a session to.
	Separation float64
	// LeftOut says whether the session was left out of the model, and why.
	LeftOut LeftOut
}

// LeftOut says why Train left a training session out of the model (its m, u and
// lambda count for nothing); the zero value, Kept, means it was not left out.
type LeftOut uint8

const (
	// Kept: the session's estimates are in the model.
	Kept LeftOut = iota
	// NoPairs: the session found no candidate pairs (no two records agree on its
	// fields, or the blocks where they do are over Settings.MaxBlock), so EM did not
	// run.
	NoPairs
	// NoComparison: the session estimates no comparison, because its rule blocks on
	// every compared field or its pairs hold no value of the others on both sides; EM
	// learnt nothing and its lambda is still the start.
	NoComparison
	// NoMatchClass: EM's match class agrees no more than its non-matches
	// (SessionReport.Separation <= 0): the session's pairs all look alike (one pair,
	// records all the same with FitU) or hold no two records of one person.
	NoMatchClass
)

// String names the reason as a report line would: "kept", "no pairs", "no
// comparison", "no match class".
func (w LeftOut) String() string {
	switch w {
	case Kept:
		return "kept"
	case NoPairs:
		return "no pairs"
	case NoComparison:
		return "no comparison"
	case NoMatchClass:
		return "no match class"
	}
	return "LeftOut(" + strconv.Itoa(int(w)) + ")"
}
