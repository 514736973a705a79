package attribution

import (
	"errors"
	"fmt"
	"strings"
)

// Errors reported by the package. They are wrapped with what is wrong and where (the
// path index, the line and column); test for them with errors.Is. Every message carries
// the "attribution:" prefix once.
var (
	// ErrInvalid means a path or a credit rule that cannot be used: no touches, an empty
	// channel name, a negative or non-finite count, value without conversions, Ages that
	// do not match the touches, a count over MaxCount or a value over scoring.MaxAmount
	// (on a path, for each conversion, or in total over the paths), a credit rule with
	// parameters out of range, or nil.
	ErrInvalid = errors.New("attribution: invalid input")
	// ErrSyntax means a path string or a paths file that does not parse.
	ErrSyntax = errors.New("attribution: syntax error")
	// ErrNotConverged means the iterative solve of a very large, strongly connected
	// Markov chain did not reach machine precision in its budget of sweeps.
	ErrNotConverged = errors.New("attribution: markov solve did not converge")
)

// errorf is fmt.Errorf for messages that wrap another error: it puts the
// "attribution: " prefix in front unless a wrapped error carries it already, so that
// every message names the package exactly once however deeply errors are wrapped.
func errorf(format string, args ...any) error {
	for _, a := range args {
		if e, ok := a.(error); ok && e != nil && strings.Contains(e.Error(), "attribution: ") {
			return fmt.Errorf(format, args...)
		}
	}
	return fmt.Errorf("attribution: "+format, args...)
}
