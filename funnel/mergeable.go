package funnel

import (
	"encoding"
	"fmt"
	"iter"

	"github.com/clientele-go/clientele/internal/frame"
)

// Partial is the mergeable state of one analysis over one shard of profiles, R being
// what the analysis computes: *Result (Spec), *Table (Cohorts), *TrendResult (Trend),
// *StickinessResult (Stickiness) or *Correlations (Correlate).
//
// Every analysis makes its partials the same way: NewPartial returns the empty one,
// Partial, PartialSeq and PartialBatch compute one over a slice, a stream grouped by
// profile or a Batch, and Run, RunSeq and RunBatch are the Result of that. The contract
// is the same for all of them:
//
//   - a shard holds every event of each of its profiles, and shards hold disjoint sets
//     of profiles. Every partial holds the profiles it counted as bitmaps (about a bit
//     a profile for dense ids), and Merge refuses a profile in both partials (a retried
//     shard merged twice, a partial merged into itself, overlapping shards) with
//     ErrInvalid naming how many, at the cost of a few Intersects of bitmaps. The one
//     exception: a partial of Trend or Stickiness decoded from version 1 (written
//     before those partials held their profiles) knows none of them, so what it
//     counted merges on the caller's promise of disjointness, and that much of a shard
//     merged twice counts twice;
//   - Merge adds another shard's partial: the Result of merged partials equals the
//     Result of one pass over all the events, whatever the split and the order of
//     merging;
//   - MarshalBinary encodes a partial so that shards can run on different machines;
//     UnmarshalBinary decodes into the empty partial of the same analysis (its
//     NewPartial), since the Match functions and the Location are not encoded. It
//     reads what earlier releases wrote too: the partials of Spec and Cohorts are
//     written as version 2 (which records whether any event was seen), those of Trend
//     and Stickiness as version 2 (which records the profiles counted), and version 1
//     is read; a release that reads only version 1 refuses version 2 with ErrCorrupt
//     naming it, so upgrade the machines that decode and merge before those that
//     encode.
//
// Partials of different analyses or of different specs (step names, windows, modes,
// periods, properties...) refuse to merge or decode with ErrMismatch, but for fields
// the analysis ignores (the Retention of bracket Cohorts); the Match functions cannot
// be compared, so that much is the caller's promise. Damaged bytes
// fail with ErrCorrupt naming the offset. On any error the partial is unchanged. The
// zero Partial was made by no analysis: its methods fail with ErrInvalid.
//
// A partial holds at most a few words per profile (profile sets, times to convert),
// nothing per event. It is not safe for concurrent mutation.
type Partial[R any] struct {
	st state[R]
}

// state is an analysis's concrete partial: funnelPartial, cohortPartial, trendPartial,
// stickinessPartial or correlationPartial. Its UnmarshalBinary checks the bytes against
// its own fingerprint and leaves it unchanged on error.
type state[R any] interface {
	encoding.BinaryMarshaler
	encoding.BinaryUnmarshaler
	// mergeFrom adds other, a state of the same R (hence of the same kind).
	mergeFrom(other state[R]) error
	compute() (R, error)
	// kind names the analysis in messages ("trend partial").
	kind() string
}

// wrap returns st in a Partial, or err.
func wrap[R any, S state[R]](st S, err error) (*Partial[R], error) {
	if err != nil {
		return nil, err
	}
	return &Partial[R]{st: st}, nil
}

func (p *Partial[R]) check(what string) error {
	if p == nil || p.st == nil {
		return fmt.Errorf("%w: %s of a Partial not made by an analysis's NewPartial", ErrInvalid, what)
	}
	return nil
}

// Merge adds other's profiles to p (see Partial for the contract).
func (p *Partial[R]) Merge(other *Partial[R]) error {
	if err := p.check("Merge"); err != nil {
		return err
	}
	if err := other.check("Merge"); err != nil {
		return err
	}
	return p.st.mergeFrom(other.st)
}

// Result computes the analysis's figures from the partial.
func (p *Partial[R]) Result() (R, error) {
	if err := p.check("Result"); err != nil {
		var zero R
		return zero, err
	}
	return p.st.compute()
}

// MarshalBinary encodes the partial: a frame of the SDK's checksummed framing (see
// codec.go) whose magic names the analysis, holding a fingerprint of the spec and the
// state.
func (p *Partial[R]) MarshalBinary() ([]byte, error) {
	if err := p.check("MarshalBinary"); err != nil {
		return nil, err
	}
	return p.st.MarshalBinary()
}

// UnmarshalBinary decodes a partial written by MarshalBinary into p, which must be the
// empty partial of the same analysis and spec (its NewPartial) or one computed by it:
// bytes of another analysis or spec fail with ErrMismatch, damaged bytes with
// ErrCorrupt naming the offset, a zero Partial with ErrInvalid. On error p is
// unchanged.
func (p *Partial[R]) UnmarshalBinary(data []byte) error {
	if err := p.check("UnmarshalBinary"); err != nil {
		return err
	}
	if len(data) >= frame.MagicSize {
		// Another analysis's magic counts only in an intact frame: one bit flipped in a
		// magic can make another's (CLTFUNP and CLTFUNT), and damage is ErrCorrupt.
		magic := string(data[:frame.MagicSize])
		if other, ok := partialKinds[magic]; ok && other != p.st.kind() {
			if _, _, err := frame.Open(data, magic); err == nil {
				return fmt.Errorf("%w: decode %s: the bytes are a %s", ErrMismatch, p.st.kind(), other)
			}
		}
	}
	return p.st.UnmarshalBinary(data)
}

// partialKinds names the analysis each partial's magic belongs to, so that the bytes
// of one analysis given to another's partial are named as such rather than as damage.
var partialKinds = map[string]string{
	partialMagic:     funnelKind,
	cohortMagic:      cohortKind,
	trendMagic:       trendKind,
	stickinessMagic:  stickinessKind,
	correlationMagic: correlationKind,
}

const (
	funnelKind      = "funnel partial"
	cohortKind      = "cohort partial"
	trendKind       = "trend partial"
	stickinessKind  = "stickiness partial"
	correlationKind = "correlation partial"
)

// same returns other as the concrete state S of p, or ErrMismatch: states of one R are
// all of one kind, so this fails only for a state of another package-internal kind.
func same[S any, R any](p state[R], other state[R]) (S, error) {
	o, ok := other.(S)
	if !ok {
		var zero S
		return zero, fmt.Errorf("%w: merge a %s into a %s", ErrMismatch, other.kind(), p.kind())
	}
	return o, nil
}

// The analyses' partials. Each analysis's Partial, PartialSeq and PartialBatch read
// their events as its Run, RunSeq and RunBatch do.

// NewPartial returns the empty partial of s: the value that UnmarshalBinary decodes a
// partial of s into, and that Merge adds others to.
func (s Spec) NewPartial() (*Partial[*Result], error) { return wrap[*Result](s.newState()) }

// Partial computes the funnel's partial over events, which must hold every event of
// each of their profiles.
func (s Spec) Partial(events []Event) (*Partial[*Result], error) {
	return wrap[*Result](s.partial(events))
}

// PartialSeq computes the funnel's partial over a stream grouped by profile (see
// RunSeq) that holds every event of each of its profiles: how a machine that reads its
// shard as a stream takes part in a sharded computation.
func (s Spec) PartialSeq(events iter.Seq[Event]) (*Partial[*Result], error) {
	return wrap[*Result](s.partialSeq(events))
}

// PartialBatch computes the funnel's partial over a batch that holds every event of
// each of its profiles.
func (s Spec) PartialBatch(b *Batch) (*Partial[*Result], error) {
	if b == nil {
		return nil, errNilBatch
	}
	return wrap[*Result](s.partialBatch(b))
}

// NewPartial returns the empty partial of c: the value that UnmarshalBinary decodes a
// partial of c into, and that Merge adds others to.
func (c Cohorts) NewPartial() (*Partial[*Table], error) { return wrap[*Table](c.newState()) }

// Partial computes the cohort table's partial over events, which must hold every event
// of each of their profiles.
func (c Cohorts) Partial(events []Event) (*Partial[*Table], error) {
	return wrap[*Table](c.partial(events))
}

// PartialSeq computes the cohort table's partial over a stream grouped by profile (see
// RunSeq) that holds every event of each of its profiles.
func (c Cohorts) PartialSeq(events iter.Seq[Event]) (*Partial[*Table], error) {
	return wrap[*Table](c.partialSeq(events))
}

// PartialBatch computes the cohort table's partial over a batch that holds every event
// of each of its profiles.
func (c Cohorts) PartialBatch(b *Batch) (*Partial[*Table], error) {
	if b == nil {
		return nil, errNilBatch
	}
	return wrap[*Table](c.partialBatch(b))
}

// NewPartial returns the empty partial of tr: the value that UnmarshalBinary decodes a
// partial of tr into, and that Merge adds others to.
func (tr Trend) NewPartial() (*Partial[*TrendResult], error) {
	return wrap[*TrendResult](tr.newState())
}

// Partial computes the trend's partial over events, which must hold every event of
// each of their profiles.
func (tr Trend) Partial(events []Event) (*Partial[*TrendResult], error) {
	return wrap[*TrendResult](tr.partial(events))
}

// PartialSeq computes the trend's partial over a stream grouped by profile (see
// Spec.RunSeq) that holds every event of each of its profiles.
func (tr Trend) PartialSeq(events iter.Seq[Event]) (*Partial[*TrendResult], error) {
	return wrap[*TrendResult](tr.partialSeq(events))
}

// PartialBatch computes the trend's partial over a batch that holds every event of
// each of its profiles.
func (tr Trend) PartialBatch(b *Batch) (*Partial[*TrendResult], error) {
	if b == nil {
		return nil, errNilBatch
	}
	return wrap[*TrendResult](tr.partialBatch(b))
}

// NewPartial returns the empty partial of sk: the value that UnmarshalBinary decodes a
// partial of sk into, and that Merge adds others to.
func (sk Stickiness) NewPartial() (*Partial[*StickinessResult], error) {
	return wrap[*StickinessResult](sk.newState())
}

// Partial computes the stickiness's partial over events, which must hold every event of
// each of their profiles.
func (sk Stickiness) Partial(events []Event) (*Partial[*StickinessResult], error) {
	return wrap[*StickinessResult](sk.partial(events))
}

// PartialSeq computes the stickiness's partial over a stream grouped by profile (see
// Spec.RunSeq) that holds every event of each of its profiles.
func (sk Stickiness) PartialSeq(events iter.Seq[Event]) (*Partial[*StickinessResult], error) {
	return wrap[*StickinessResult](sk.partialSeq(events))
}

// PartialBatch computes the stickiness's partial over a batch that holds every event of
// each of its profiles.
func (sk Stickiness) PartialBatch(b *Batch) (*Partial[*StickinessResult], error) {
	if b == nil {
		return nil, errNilBatch
	}
	return wrap[*StickinessResult](sk.partialBatch(b))
}

// NewPartial returns the empty partial of c: the value that UnmarshalBinary decodes a
// partial of c into, and that Merge adds others to. Props are part of the encoding;
// Segments, Level and MinProfiles apply when Result runs, so the partial that computes
// the Result must be made by a Correlate that has them.
func (c Correlate) NewPartial() (*Partial[*Correlations], error) {
	return wrap[*Correlations](c.newState())
}

// Partial computes the correlation's partial over events, which must hold every event
// of each of their profiles.
func (c Correlate) Partial(events []Event) (*Partial[*Correlations], error) {
	return wrap[*Correlations](c.partial(events))
}

// PartialSeq computes the correlation's partial over a stream grouped by profile (see
// Spec.RunSeq) that holds every event of each of its profiles.
func (c Correlate) PartialSeq(events iter.Seq[Event]) (*Partial[*Correlations], error) {
	return wrap[*Correlations](c.partialSeq(events))
}

// PartialBatch computes the correlation's partial over a batch that holds every event
// of each of its profiles.
func (c Correlate) PartialBatch(b *Batch) (*Partial[*Correlations], error) {
	if b == nil {
		return nil, errNilBatch
	}
	return wrap[*Correlations](c.partialBatch(b))
}

// The states behind Partial.

func (pt *funnelPartial) kind() string              { return funnelKind }
func (pt *funnelPartial) compute() (*Result, error) { return pt.Result(), nil }
func (pt *funnelPartial) mergeFrom(other state[*Result]) error {
	o, err := same[*funnelPartial](pt, other)
	if err != nil {
		return err
	}
	return pt.Merge(o)
}

func (cp *cohortPartial) kind() string             { return cohortKind }
func (cp *cohortPartial) compute() (*Table, error) { return cp.Table(), nil }
func (cp *cohortPartial) mergeFrom(other state[*Table]) error {
	o, err := same[*cohortPartial](cp, other)
	if err != nil {
		return err
	}
	return cp.Merge(o)
}

func (tp *trendPartial) kind() string                   { return trendKind }
func (tp *trendPartial) compute() (*TrendResult, error) { return tp.Result(), nil }
func (tp *trendPartial) mergeFrom(other state[*TrendResult]) error {
	o, err := same[*trendPartial](tp, other)
	if err != nil {
		return err
	}
	return tp.Merge(o)
}

func (sp *stickinessPartial) kind() string                        { return stickinessKind }
func (sp *stickinessPartial) compute() (*StickinessResult, error) { return sp.Result(), nil }
func (sp *stickinessPartial) mergeFrom(other state[*StickinessResult]) error {
	o, err := same[*stickinessPartial](sp, other)
	if err != nil {
		return err
	}
	return sp.Merge(o)
}

func (cp *correlationPartial) kind() string                    { return correlationKind }
func (cp *correlationPartial) compute() (*Correlations, error) { return cp.Result() }
func (cp *correlationPartial) mergeFrom(other state[*Correlations]) error {
	o, err := same[*correlationPartial](cp, other)
	if err != nil {
		return err
	}
	return cp.Merge(o)
}
