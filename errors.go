package clientele

import "errors"

// ErrInvalid means an argument is malformed, such as a duration ParseDuration cannot
// read. It is wrapped with what and where; test for it with errors.Is.
var ErrInvalid = errors.New("clientele: invalid input")
