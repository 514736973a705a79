package uplift

import "errors"

// ErrInvalid means an argument is out of range: mismatched lengths, a NaN or infinite
// feature, a campaign without both arms, a budget with a negative cost. The error says
// what and where; test for it with errors.Is. A base model that cannot be fitted
// reports scoring's error (scoring.ErrNoConvergence) wrapped with the model's name.
var ErrInvalid = errors.New("uplift: invalid input")

// ErrNotFound means a profile named in the input has no value where one is needed:
// a profile of a feature matrix without an RFM score or a purchase summary.
var ErrNotFound = errors.New("uplift: not found")
