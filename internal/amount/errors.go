package amount

import "errors"

// ErrInvalid is Parse's refusal: text that is no amount, or an amount past the largest
// float64. Callers name the field and line it came from.
var ErrInvalid = errors.New("amount: not an amount")
