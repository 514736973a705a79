package funnel

import "errors"

// Errors reported by the package. They are wrapped with context (which step, which
// event, which byte offset); check them with errors.Is.
var (
	// ErrSpec means a Spec, Cohorts or Lifecycle is unusable: no steps, a negative
	// window, an optional first step, a mode combination that means nothing.
	ErrSpec = errors.New("funnel: invalid spec")
	// ErrUnsorted means input that was promised grouped by profile was not: a profile's
	// events reappear after another profile's, or a profile is in two of the shards
	// whose journeys are merged.
	ErrUnsorted = errors.New("funnel: input not grouped by profile")
	// ErrTimeRange means a timestamp outside the years 1900-2189 (where every
	// difference of two timestamps fits in a time.Duration), the zero time.Time, or a
	// timestamp after the instant the observation was said to end.
	ErrTimeRange = errors.New("funnel: timestamp out of range")
	// ErrCorrupt means encoded bytes (a Batch, a Partial, a CohortPartial or Journeys)
	// are damaged or not ours.
	ErrCorrupt = errors.New("funnel: corrupt encoding")
	// ErrMismatch means two partial results (or two sets of journeys) were computed by
	// different specs (or lifecycles) and cannot be merged.
	ErrMismatch = errors.New("funnel: partials of different specs")
)
