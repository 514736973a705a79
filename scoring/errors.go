package scoring

import (
	"errors"
	"fmt"
	"strings"

	"github.com/clientele-go/clientele/internal/errtext"
)

// Errors reported by the package. They are wrapped with context (which row, which field,
// which parameter); test for them with errors.Is.
var (
	// ErrInvalid means an argument is out of range: a negative or inconsistent customer row
	// (recency greater than T, recency without repeat purchases), a NaN or infinite value,
	// a negative horizon, mismatched lengths.
	ErrInvalid = errors.New("scoring: invalid input")
	// ErrTooFew means there is not enough data to fit a model: fewer customers than
	// MinCustomers, or no repeat purchase at all (the likelihood then has no maximum).
	ErrTooFew = errors.New("scoring: too few customers to fit")
	// ErrBurst means a fit of BG/NBD, MBG/NBD or Pareto/NBD met customers whose repeat
	// purchases are all at recency 0, at the instant of the first purchase, and could
	// not be fitted because of them. A customer's likelihood is a density in the
	// purchase times, λ^x·e^(-λ t_x) times the chance of being alive after them:
	// bounded for t_x > 0, but at t_x = 0 it grows without bound with the purchase
	// rate λ. In BG/NBD (Fader, Hardie & Lee 2005, eq. 6) and MBG/NBD (Batislam,
	// Denizel & Filiztekin 2007, eq. 4) such a row's term holds Γ(r+x)/Γ(r)·α^-x, which
	// grows like r·α^-x as r and α go to 0 together; in Pareto/NBD (Schmittlein,
	// Morrison & Colombo 1987; Fader & Hardie 2005, eq. 19) it grows like λ^x, and
	// where nobody bought after the first instant the supremum lies at λ, μ → ∞:
	// everyone buys at once and is gone. These are singularities, not limiting models
	// (Diagnostics.Boundary): the parameters along them are wherever the optimiser
	// stops (12 such customers among 300 drew BG/NBD's r from 0.2 to 0.05, alpha held
	// at the edge of the space).
	//
	// So the fits refuse a base in which every repeat purchase was a burst, and a base
	// with some where the fit fails or its alpha (Pareto/NBD's alpha or beta) falls
	// more than e^4 ≈ 55 times below the data's time scale; a fit that ends away from
	// them, at a local maximum or at a limit such as no dropout, stands. Summarize
	// makes no bursts (a period's purchases count once, so a repeat purchase comes at
	// least a period after the first): count the first period's purchases as one
	// (Frequency and Recency 0), or give each repeat purchase its age. FitGammaGamma,
	// which reads only Frequency and Monetary, takes such rows. ErrBurst wraps
	// ErrInvalid.
	ErrBurst = fmt.Errorf("%w: repeat purchases at the instant of the first", ErrInvalid)
	// ErrNoConvergence means the optimiser did not reach a maximum of the likelihood
	// from any starting point. The error is a *ConvergenceError carrying the last
	// parameters.
	ErrNoConvergence = errors.New("scoring: fit did not converge")
	// ErrSyntax means a transaction file could not be parsed; the error names the line
	// and column.
	ErrSyntax = errors.New("scoring: syntax error")
	// ErrTooManyBad means a Lenient read of transactions met more than MaxBadLines bad
	// lines and stopped, which usually means the wrong separator, columns or time
	// layout rather than a few bad rows. It wraps ErrSyntax, so errors.Is(err,
	// ErrSyntax) holds too; a lenient reader tells it from the bad lines it skips with
	// errors.Is(err, ErrTooManyBad).
	ErrTooManyBad = fmt.Errorf("%w: too many bad lines", ErrSyntax)
	// ErrModel means a serialised model is malformed, of another kind, or has invalid
	// parameters.
	ErrModel = errors.New("scoring: invalid model")
)

// ConvergenceError reports a fit that did not converge: the model, the optimiser's
// last parameters (natural scale, in the model's parameter order) and why it stopped.
// It matches ErrNoConvergence under errors.Is.
type ConvergenceError struct {
	Model  string    // "BG/NBD", "Pareto/NBD", ...
	Names  []string  // parameter names
	Params []float64 // last parameters of the best start
	Reason string    // the optimiser's status or the parameter that ran off
}

// Error names the model, the reason and the last parameters.
func (e *ConvergenceError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "scoring: %s fit did not converge (%s); last parameters", e.Model, e.Reason)
	for i, p := range e.Params {
		fmt.Fprintf(&b, " %s=%.6g", e.Names[i], p)
	}
	return b.String()
}

// Is makes errors.Is(err, ErrNoConvergence) true.
func (e *ConvergenceError) Is(target error) bool { return target == ErrNoConvergence }

// errorf is fmt.Errorf with the "scoring: " prefix in front, taken out of any wrapped
// error of the package, so that every message opens with the package's name and names
// it once however deeply errors are wrapped ("scoring: summary 0 (profile 1): invalid
// input: ..." rather than "summary 0 (profile 1): scoring: invalid input: ..."); see
// errtext.Errorf.
func errorf(format string, args ...any) error {
	return errtext.Errorf("scoring: ", format, args...)
}
