package pipeline

import (
	"cmp"
	"encoding"
	"reflect"
	"slices"
	"sync/atomic"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	"github.com/clientele-go/clientele/funnel"
)

func init() {
	register.Combiner3[*funnelAcc, []byte, []byte](&funnelFn{})
	register.Combiner3[*cohortAcc, []byte, []byte](&cohortFn{})
	register.Combiner3[*journeysAcc, []byte, []byte](&lifecycleFn{})
	beam.RegisterCoder(reflect.TypeOf((*funnelAcc)(nil)), encodeFunnelAcc, decodeFunnelAcc)
	beam.RegisterCoder(reflect.TypeOf((*cohortAcc)(nil)), encodeCohortAcc, decodeCohortAcc)
	beam.RegisterCoder(reflect.TypeOf((*journeysAcc)(nil)), encodeJourneysAcc, decodeJourneysAcc)
}

// Funnel computes the funnel spec over profiles (the output of Profiles). It returns a
// PCollection holding one []byte: the merged funnel.Partial[*funnel.Result], encoded by MarshalBinary;
// decode it with spec.NewPartial and UnmarshalBinary and call Result. Each worker runs
// spec.PartialSeq over the profiles that land on it and the partials merge with
// Partial.Merge. Steps, exclusions and breakdowns are matched by name (see the package
// documentation); a spec that does not validate or has a Match function is an error
// wrapping ErrInvalid.
func Funnel(s beam.Scope, spec funnel.Spec, profiles beam.PCollection) (beam.PCollection, error) {
	w, err := wireSpec(spec)
	if err != nil {
		return beam.PCollection{}, err
	}
	s = s.Scope("clientele.Funnel")
	empty, err := (&funnelFn{Spec: w}).ExtractOutput(&funnelAcc{})
	if err != nil {
		return beam.PCollection{}, err
	}
	return single(s, beam.Combine(s, &funnelFn{Spec: w}, profiles), empty), nil
}

// Cohorts computes the cohort retention table c over profiles. The one []byte it
// returns is the merged funnel.Partial[*funnel.Table]; decode it with c.NewPartial and
// UnmarshalBinary and call Result.
func Cohorts(s beam.Scope, c funnel.Cohorts, profiles beam.PCollection) (beam.PCollection, error) {
	w, err := wireCohorts(c)
	if err != nil {
		return beam.PCollection{}, err
	}
	s = s.Scope("clientele.Cohorts")
	empty, err := (&cohortFn{Cohorts: w}).ExtractOutput(&cohortAcc{})
	if err != nil {
		return beam.PCollection{}, err
	}
	return single(s, beam.Combine(s, &cohortFn{Cohorts: w}, profiles), empty), nil
}

// Lifecycle builds every profile's journey on the ladder of l over profiles. The one
// []byte it returns is the merged funnel.Journeys (advocates settled across workers);
// decode it with l.NewJourneys and UnmarshalBinary and ask it for Growth, Stages or Transitions. The
// referrer is read from each event's "referrer" property (a Referrer function cannot
// travel to workers).
func Lifecycle(s beam.Scope, l funnel.Lifecycle, profiles beam.PCollection) (beam.PCollection, error) {
	w, err := wireLifecycle(l)
	if err != nil {
		return beam.PCollection{}, err
	}
	s = s.Scope("clientele.Lifecycle")
	empty, err := (&lifecycleFn{Lifecycle: w}).ExtractOutput(&journeysAcc{})
	if err != nil {
		return beam.PCollection{}, err
	}
	return single(s, beam.Combine(s, &lifecycleFn{Lifecycle: w}, profiles), empty), nil
}

// mergeCount counts MergeAccumulators calls in this process, so that tests on a
// loopback runner can check that merges happened.
var mergeCount atomic.Int64

// The SDK's partials that the funnel and cohort combiners hold.
type (
	funnelPartial = funnel.Partial[*funnel.Result]
	cohortPartial = funnel.Partial[*funnel.Table]
)

// funnelAcc and its kin are the combiners' accumulators; named types, so that Beam
// can register them and their coders.
type (
	funnelAcc   struct{ accum[*funnelPartial] }
	cohortAcc   struct{ accum[*cohortPartial] }
	journeysAcc struct{ accum[[]*funnel.Journeys] }
)

func marshalPartial(p *funnelPartial) ([]byte, error) { return p.MarshalBinary() }
func marshalCohort(p *cohortPartial) ([]byte, error) {
	return p.MarshalBinary()
}

// marshalJourneys merges the parts (the SDK's MergeJourneys) and encodes the result.
// Journeys are kept as parts until then because each merge copies every journey.
func marshalJourneys(parts []*funnel.Journeys) ([]byte, error) {
	j, err := funnel.MergeJourneys(parts...)
	if err != nil {
		return nil, err
	}
	return j.MarshalBinary()
}

func encodeFunnelAcc(a *funnelAcc) ([]byte, error) { return encodeAccum(&a.accum, marshalPartial) }
func decodeFunnelAcc(b []byte) (*funnelAcc, error) {
	a, err := decodeAccum[*funnelPartial](b)
	if err != nil {
		return nil, err
	}
	return &funnelAcc{*a}, nil
}
func encodeCohortAcc(a *cohortAcc) ([]byte, error) { return encodeAccum(&a.accum, marshalCohort) }
func decodeCohortAcc(b []byte) (*cohortAcc, error) {
	a, err := decodeAccum[*cohortPartial](b)
	if err != nil {
		return nil, err
	}
	return &cohortAcc{*a}, nil
}
func encodeJourneysAcc(a *journeysAcc) ([]byte, error) {
	return encodeAccum(&a.accum, marshalJourneys)
}
func decodeJourneysAcc(b []byte) (*journeysAcc, error) {
	a, err := decodeAccum[[]*funnel.Journeys](b)
	if err != nil {
		return nil, err
	}
	return &journeysAcc{*a}, nil
}

// funnelFn combines profiles into a funnel's partial.
type funnelFn struct {
	Spec  specWire
	k     *kind[*funnelPartial]
	flush int // buffered events that trigger a pass of the SDK; 0 means flushAt
}

func (f *funnelFn) kind() kind[*funnelPartial] {
	if f.k == nil {
		spec := f.Spec.spec()
		f.k = &kind[*funnelPartial]{
			flushAt: cmp.Or(f.flush, flushAt),
			build:   func(es []funnel.Event) (*funnelPartial, error) { return spec.PartialSeq(slices.Values(es)) },
			merge:   func(a, b *funnelPartial) (*funnelPartial, error) { return a, a.Merge(b) },
			encode:  marshalPartial,
			decode:  func(b []byte) (*funnelPartial, error) { return decodeInto(spec.NewPartial, b) },
		}
	}
	return *f.k
}

func (f *funnelFn) CreateAccumulator() *funnelAcc { return &funnelAcc{} }

func (f *funnelFn) AddInput(a *funnelAcc, profile []byte) (*funnelAcc, error) {
	if err := f.kind().add(&a.accum, profile); err != nil {
		return nil, errorf("funnel", err)
	}
	return a, nil
}

func (f *funnelFn) MergeAccumulators(a, b *funnelAcc) (*funnelAcc, error) {
	if _, err := f.kind().mergeAcc(&a.accum, &b.accum); err != nil {
		return nil, errorf("funnel", err)
	}
	mergeCount.Add(1)
	return a, nil
}

func (f *funnelFn) ExtractOutput(a *funnelAcc) ([]byte, error) {
	b, err := f.kind().output(&a.accum)
	if err != nil {
		return nil, errorf("funnel", err)
	}
	return b, nil
}

// cohortFn combines profiles into a cohort table's partial.
type cohortFn struct {
	Cohorts cohortsWire
	k       *kind[*cohortPartial]
	flush   int // as funnelFn's
}

func (f *cohortFn) kind() kind[*cohortPartial] {
	if f.k == nil {
		c := f.Cohorts.cohorts()
		f.k = &kind[*cohortPartial]{
			flushAt: cmp.Or(f.flush, flushAt),
			build:   func(es []funnel.Event) (*cohortPartial, error) { return c.PartialSeq(slices.Values(es)) },
			merge:   func(a, b *cohortPartial) (*cohortPartial, error) { return a, a.Merge(b) },
			encode:  marshalCohort,
			decode:  func(b []byte) (*cohortPartial, error) { return decodeInto(c.NewPartial, b) },
		}
	}
	return *f.k
}

func (f *cohortFn) CreateAccumulator() *cohortAcc { return &cohortAcc{} }

func (f *cohortFn) AddInput(a *cohortAcc, profile []byte) (*cohortAcc, error) {
	if err := f.kind().add(&a.accum, profile); err != nil {
		return nil, errorf("cohorts", err)
	}
	return a, nil
}

func (f *cohortFn) MergeAccumulators(a, b *cohortAcc) (*cohortAcc, error) {
	if _, err := f.kind().mergeAcc(&a.accum, &b.accum); err != nil {
		return nil, errorf("cohorts", err)
	}
	mergeCount.Add(1)
	return a, nil
}

func (f *cohortFn) ExtractOutput(a *cohortAcc) ([]byte, error) {
	b, err := f.kind().output(&a.accum)
	if err != nil {
		return nil, errorf("cohorts", err)
	}
	return b, nil
}

// lifecycleFn combines profiles into funnel.Journeys, kept as parts until encoded.
type lifecycleFn struct {
	Lifecycle lifecycleWire
	k         *kind[[]*funnel.Journeys]
	flush     int // as funnelFn's
}

func (f *lifecycleFn) kind() kind[[]*funnel.Journeys] {
	if f.k == nil {
		l := f.Lifecycle.lifecycle()
		f.k = &kind[[]*funnel.Journeys]{
			flushAt: cmp.Or(f.flush, flushAt),
			build: func(es []funnel.Event) ([]*funnel.Journeys, error) {
				j, err := l.RunSeq(slices.Values(es))
				return []*funnel.Journeys{j}, err
			},
			merge:  func(a, b []*funnel.Journeys) ([]*funnel.Journeys, error) { return append(a, b...), nil },
			encode: marshalJourneys,
			decode: func(b []byte) ([]*funnel.Journeys, error) {
				j, err := decodeInto(l.NewJourneys, b)
				return []*funnel.Journeys{j}, err
			},
		}
	}
	return *f.k
}

func (f *lifecycleFn) CreateAccumulator() *journeysAcc { return &journeysAcc{} }

func (f *lifecycleFn) AddInput(a *journeysAcc, profile []byte) (*journeysAcc, error) {
	if err := f.kind().add(&a.accum, profile); err != nil {
		return nil, errorf("lifecycle", err)
	}
	return a, nil
}

func (f *lifecycleFn) MergeAccumulators(a, b *journeysAcc) (*journeysAcc, error) {
	if _, err := f.kind().mergeAcc(&a.accum, &b.accum); err != nil {
		return nil, errorf("lifecycle", err)
	}
	mergeCount.Add(1)
	return a, nil
}

func (f *lifecycleFn) ExtractOutput(a *journeysAcc) ([]byte, error) {
	b, err := f.kind().output(&a.accum)
	if err != nil {
		return nil, errorf("lifecycle", err)
	}
	return b, nil
}

// decodeInto decodes b into a value made by newV: a spec's NewPartial or a
// lifecycle's NewJourneys, which check that b was made by the same spec.
func decodeInto[T encoding.BinaryUnmarshaler](newV func() (T, error), b []byte) (T, error) {
	v, err := newV()
	if err != nil {
		return v, err
	}
	return v, v.UnmarshalBinary(b)
}
