package traits

import "errors"

// ErrInvalid means an observation or policy is malformed (an empty or over-long trait
// name, an identifier, value or source that is not UTF-8 or is too long, a zero time or one outside
// the years 1678-2262, an unknown rule, a source ranked twice). The call changes nothing.
var ErrInvalid = errors.New("traits: invalid input")
