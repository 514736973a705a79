// Package match links records of one person that share no exact identifier: the call
// centre's "Jon Smyth, 07700 900132" and the web shop's "John Smith, 07700 900123". It
// is probabilistic record linkage after Fellegi & Sunter (1969), with the m and u
// probabilities estimated without labels by expectation-maximisation (Winkler 1988), as
// Splink does it.
//
//	l, _ := match.New(records, match.Settings{Comparisons: ..., Blocking: ...})
//	model, _ := l.Train(nil)                       // unsupervised: EM, u from random pairs
//	pairs, stats, _ := l.Predict(model, 0)         // candidate pairs with weight >= 0 bits
//	people, _ := match.Cluster(l.Len(), pairs, []float64{0, 5, 10})
//	terms, _ := l.Waterfall(model, a, b)           // why a and b match, term by term
//
// Records are compared field by field, once normalised: Unicode NFC without format
// characters (so "José" from a Mac and from Windows is one name), width, case and white
// space folded (so "ＳＷ１Ａ　１ＡＡ", typed in an input method's full-width mode, is the
// postcode "SW1A 1AA", and the half-width "ﾀﾅｶ" the name "タナカ"), and placeholders
// such as "n/a" or "NULL", and values that show nothing, taken for missing values
// (Record).
// Phones compare as their digits, or, given the country calling code of numbers
// written without one (Settings.CallingCode), in international form, so that
// "07700 900123" and "+44 7700 900123" agree. Phones, postcodes and birth dates read
// the decimal digits of any script as ASCII digits, and any dash as "-": "١٩٩٠-٠١-٠٢"
// typed on an Arabic keyboard and "１９９０－０１－０２" typed full width are the birth date
// 1990-01-02.
// A Comparison puts each pair in a level (exact,
// Jaro-Winkler or Damerau-Levenshtein within a threshold, dates within N days, else, or
// null when a value is missing); a Model holds, per level, m = P(level | same person)
// and u = P(level | different people), and a pair's match weight is the prior log odds
// plus the sum over comparisons of log2(m/u), in bits: each bit doubles the odds.
// Term-frequency adjustment lowers the weight of agreeing on a common value (a frequent
// surname, a default phone number shared by thousands).
//
// Train starts EM at one point whatever the data, and no option sets another: m with
// most of its mass on the most similar levels, u from random pairs, half of a
// session's pairs matches. The likelihood does not say which class is the matches;
// the package takes the one that agrees more, as pairs of one person do. With
// TrainOptions.FitU, EM (Winkler 1988) may end with the classes traded, at the same
// likelihood, and they are traded back; a training session whose EM finds no class
// agreeing more (records without duplicates; with FitU, a single pair or records all
// alike) is left out, and Train fails with ErrInvalid, saying so, when that leaves a
// comparison unestimated, rather than return weights that count an agreement against
// a match. TrainOptions.Report asks Train for a TrainReport, its training log as data:
// per session the pairs, EM's iterations, whether it converged or stopped at MaxIter,
// the lambda found, the comparisons estimated and why a session was left out.
//
// Only candidate pairs are compared: those agreeing exactly on the fields of a
// BlockingRule. A block is expanded only up to Settings.MaxBlock records and a call
// generates at most Settings.MaxPairs pairs; what is left out is counted in PairStats,
// so memory is bounded whatever the records hold.
//
// Clustering turns matched pairs into people (connected components) at several
// thresholds at once, and Evaluate grades a clustering against labels: pairwise
// precision, recall and F1, B-cubed and the adjusted Rand index. On Splink's fake_1000
// (testdata; 1,000 records of 181 people with typos) the unsupervised model reaches a
// pairwise F1 of 0.98 where exact e-mail linking reaches 0.70 (BENCHMARKS.md).
//
// # Conventions
//
// The SDK's shared names (CONVENTIONS.md): bad input is ErrInvalid, in errors.go, each
// message naming "match:" once; a fitted model is a Model, as in scoring and uplift;
// a rule deciding one thing is named for it (BlockingRule).
package match
