package segment

import (
	"errors"
	"fmt"

	"github.com/clientele-go/clientele/internal/errtext"
)

// Errors reported by the package. They are wrapped with context (the position in an
// expression, the field, the byte offset in a snapshot); test for them with errors.Is.
var (
	// ErrSyntax means an expression does not follow the grammar.
	ErrSyntax = errors.New("segment: syntax error")
	// ErrTooDeep means an expression nests deeper than MaxDepth, or deeper than
	// 4×MaxDepth with the saved segments it references expanded.
	ErrTooDeep = errors.New("segment: expression nested too deeply")
	// ErrUnknownField means a query names a trait key, numeric field or event that the
	// index has never seen nor had declared. It is an ErrNotFound.
	ErrUnknownField error = &notFound{"segment: unknown field"}
	// ErrUnknownSegment means a query references, or Delete names, a saved segment that
	// does not exist. It is an ErrNotFound.
	ErrUnknownSegment error = &notFound{"segment: unknown segment"}
	// ErrType means a name is used as the wrong kind: a numeric comparison on a trait
	// key, a trait value of a numeric field, a non-integer in a numeric IN list.
	ErrType = errors.New("segment: type mismatch")
	// ErrCycle means saving a segment would make it reference itself.
	ErrCycle = errors.New("segment: segment reference cycle")
	// ErrInUse means a saved segment cannot be deleted because another references it.
	ErrInUse = errors.New("segment: segment in use")
	// ErrRetention means a behavioural window reaches before the history the index
	// retains (see WithRetention), so its answer would be wrong.
	ErrRetention = errors.New("segment: window reaches before retained history")
	// ErrInvalid means an argument is out of range: an empty segment name, slices of
	// different lengths, a negative k, a Store blob name that is not allowed.
	ErrInvalid = errors.New("segment: invalid input")
	// ErrBudget means an evaluation ran out of its Budget (terms, daily bitmaps read or
	// bitmap operations); the message says which.
	ErrBudget = errors.New("segment: over budget")
	// ErrCorrupt means a snapshot or a serialized bitmap is damaged or malformed.
	ErrCorrupt = errors.New("segment: corrupt data")
	// ErrNotFound means something named does not exist: a Store blob, and (as the
	// ErrUnknownField and ErrUnknownSegment that wrap it) a field or saved segment.
	ErrNotFound = errors.New("segment: not found")
)

// errZeroIndex is what the methods of a zero or nil Index (and FileStore) return: a caller's mistake (an
// Index declared rather than made, or the nil one NewIndex, Load, Open or ReadSnapshot
// returned with an error that was not checked), which must get an error rather than a
// panic. Made once, so that the check costs no allocation.
var (
	errZeroIndex     = fmt.Errorf("%w: zero or nil Index: make one with NewIndex, Load, Open or ReadSnapshot", ErrInvalid)
	errZeroFileStore = fmt.Errorf("%w: zero or nil FileStore: make one with OpenFileStore", ErrInvalid)
)

// notFound is a sentinel that is also ErrNotFound, so that errors.Is(err, ErrNotFound)
// holds for every name that does not exist (CONVENTIONS.md), while the message and
// the finer sentinel stay what they were.
type notFound struct{ msg string }

func (e *notFound) Error() string { return e.msg }
func (e *notFound) Unwrap() error { return ErrNotFound }

// ExprError reports a problem at a position of an expression: a syntax error, or a name
// that the index cannot resolve. Err is one of the sentinel errors above.
type ExprError struct {
	Pos
	Segment string // the saved segment whose definition holds the error, if any
	Msg     string
	Err     error
}

// Error returns the message with the position (and saved segment) where it applies.
func (e *ExprError) Error() string {
	where := ""
	if e.Segment != "" {
		where = fmt.Sprintf(" in segment %q", e.Segment)
	}
	return fmt.Sprintf("segment: %s%s at line %d, column %d: %s", kindOf(e.Err), where, e.Line, e.Column, e.Msg)
}

// Unwrap returns the sentinel error.
func (e *ExprError) Unwrap() error { return e.Err }

func kindOf(err error) string {
	switch {
	case errors.Is(err, ErrSyntax), errors.Is(err, ErrTooDeep):
		return "parse"
	default:
		return "query"
	}
}

func exprErr(at Pos, err error, format string, args ...any) *ExprError {
	return &ExprError{Pos: at, Msg: fmt.Sprintf(format, args...), Err: err}
}

// errorf is fmt.Errorf with the "segment: " prefix in front, taken out of the errors
// it wraps, so that every message opens with the package's name and names it once
// however deeply errors are wrapped (internal/errtext).
func errorf(format string, args ...any) error {
	return errtext.Errorf("segment: ", format, args...)
}
