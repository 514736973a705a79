package match

import (
	"errors"
	"fmt"
)

// ErrInvalid means an argument is malformed: a record field that is not UTF-8 or is
// longer than MaxFieldLen, a birth date that is not YYYY-MM-DD, a comparison or blocking
// rule naming an unknown field, a threshold out of range, a model whose shape does not
// fit the linker, Predict without blocking rules, a pair of NaN weight, a Cluster of
// more than MaxClusterLabels labels. It is wrapped with what and where (record index,
// field, comparison); the call changes nothing.
var ErrInvalid = errors.New("match: invalid input")

// errNilLinker is what the methods of a nil *Linker return: the one New returns with an
// error, whose error was not checked, a caller's mistake that must get an error rather
// than a panic. Made once, so that the check costs no allocation.
var errNilLinker = fmt.Errorf("%w: nil Linker: make one with New", ErrInvalid)
