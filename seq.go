package clientele

import "iter"

// Values adapts a reader's sequence of values and errors to the plain sequence that
// the SDK's consumers take: it yields seq's values until seq yields a non-nil error,
// which it stores in *errp and stops at. Readers yield iter.Seq2[T, error] (a bad row
// is an error in its place); functions that consume values take iter.Seq[T] (they
// have no error to report per row), so a file streams into a computation without
// being collected first:
//
//	var err error
//	summaries, serr := scoring.Summarize(clientele.Values(scoring.ReadTransactions(f, nil), &err), opts)
//	if err = errors.Join(err, serr); err != nil { ... }
//
// Check *errp after the consumer returns: a consumer that stops early leaves it as it
// was. *errp is set only when seq yields an error, so a caller may set it to nil
// first. A lenient reader that yields errors for rows it skips and goes on is read
// with a range over seq instead, which sees every error. errp must not be nil.
func Values[T any](seq iter.Seq2[T, error], errp *error) iter.Seq[T] {
	return func(yield func(T) bool) {
		for v, err := range seq {
			if err != nil {
				*errp = err
				return
			}
			if !yield(v) {
				return
			}
		}
	}
}
