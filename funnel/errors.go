package funnel

import (
	"errors"
	"fmt"
	"strings"

	"github.com/clientele-go/clientele/internal/english"
	"github.com/clientele-go/clientele/internal/errtext"
	"github.com/clientele-go/clientele/internal/stats"
)

// Errors reported by the package. They are wrapped with context (which step, which
// event, which byte offset); check them with errors.Is.
var (
	// ErrInvalid means an argument is unusable: a Spec, Cohorts or Lifecycle with no
	// steps, a negative window, an optional first step or a mode combination that means
	// nothing; counts or a confidence level out of range for a Rate.
	ErrInvalid = errors.New("funnel: invalid input")
	// ErrUnsorted means input that was promised grouped by profile was not: a profile's
	// events reappear after another profile's, or a profile is in two of the shards
	// whose journeys are merged.
	ErrUnsorted = errors.New("funnel: input not grouped by profile")
	// ErrTimeRange means a timestamp outside the years 1900-2189 (where every
	// difference of two timestamps fits in a time.Duration), the zero time.Time, or a
	// timestamp after the instant the observation was said to end.
	ErrTimeRange = errors.New("funnel: timestamp out of range")
	// ErrCorrupt means encoded bytes (a Batch, a Partial or Journeys) are damaged or
	// not ours.
	ErrCorrupt = errors.New("funnel: corrupt encoding")
	// ErrMismatch means two partial results (or two sets of journeys, or two
	// SequenceResults) were computed by different analyses or different specs (or
	// lifecycles, or Sequences) and cannot be merged.
	ErrMismatch = errors.New("funnel: partials of different specs")
)

// statsErr rewraps an error of internal/stats, which is always bad input, around
// ErrInvalid: callers test for the package's own sentinel, and the message keeps what
// was wrong without the internal package's prefix.
func statsErr(what string, err error) error {
	return fmt.Errorf("%w: %s: %s", ErrInvalid, what, strings.TrimPrefix(err.Error(), stats.ErrInput.Error()+": "))
}

// errorf is fmt.Errorf with the "funnel: " prefix in front, taken out of any wrapped
// error of the package, so that every message opens with the package's name and names
// it once however deeply errors are wrapped ("funnel: summary 0 (profile 1): invalid
// input: ..." rather than "summary 0 (profile 1): funnel: invalid input: ..."); see
// errtext.Errorf.
func errorf(format string, args ...any) error {
	return errtext.Errorf("funnel: ", format, args...)
}

// mismatchErr is the ErrMismatch of two fingerprints (the text by which a partial or
// journeys record the spec that made them), got where want was expected.
func mismatchErr(got, want string) error {
	return fmt.Errorf("%w: %s versus %s", ErrMismatch, shownFingerprint(got), shownFingerprint(want))
}

// shownFingerprint is a fingerprint as a message shows it: as it is when printable,
// quoted with Go's escapes when not, as identity shows identifiers. The fingerprint an
// encoding opens with is the caller's data once decoded, damaged or made up under a
// valid frame: printed as it was, a newline forged a line of the host's log, an escape
// sequence reached its terminal. One wider than 65,536 columns, far beyond what a spec
// makes, is cut, its length after it, so that a fingerprint of megabytes of damaged
// bytes is not copied whole into the message.
func shownFingerprint(fp string) string { return english.Name(fp, 1<<16) }

// overlapErr refuses to merge two partials of an analysis (kind) that share n
// profiles: the contract (see Partial) is that shards hold disjoint profiles, and a
// profile counted in both would count twice.
func overlapErr(kind string, n uint64) error {
	return fmt.Errorf("%w: merge a %s: %d %s in both partials; shards must hold disjoint profiles (was a shard merged twice?)", ErrInvalid, kind, n, english.Plural(n, "profile is", "profiles are"))
}

var (
	// errNilBatch is what every RunBatch and PartialBatch returns for a nil *Batch, a
	// caller's mistake that must get an error rather than a panic (the empty batch is
	// &Batch{}). Made once, so that the check costs no allocation.
	errNilBatch = fmt.Errorf("%w: nil *Batch (the empty batch is &Batch{})", ErrInvalid)
	// errZeroJourneys is what MarshalBinary and UnmarshalBinary return for Journeys no
	// Lifecycle made (the zero value, or nil): they have no rules to encode or decode by.
	errZeroJourneys = fmt.Errorf("%w: Journeys not made by Lifecycle.RunBatch, Run or NewJourneys", ErrInvalid)
)
