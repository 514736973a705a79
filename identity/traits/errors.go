package traits

import (
	"errors"
	"fmt"
)

// ErrInvalid means an observation or policy is malformed (an empty or over-long trait
// name, an identifier, value or source that is not UTF-8 or is too long, a zero time or one outside
// the years 1678-2262, an unknown rule, a source ranked twice), or that a nil Book was
// used. The call changes nothing.
var ErrInvalid = errors.New("traits: invalid input")

// errNilBook is what Observe on a nil *Book returns: the Book NewBook returns with an
// error, whose error was not checked. Made once, so that the check costs no allocation.
var errNilBook = fmt.Errorf("%w: nil Book: make one with NewBook (or declare a Book: its zero value is ready)", ErrInvalid)
