package pipeline

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"reflect"
	"slices"
	"time"

	"github.com/clientele-go/clientele/internal/english"
	"github.com/clientele-go/clientele/referral/attribution"
	"github.com/clientele-go/clientele/scoring"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
)

func init() {
	beam.RegisterCoder(reflect.TypeOf(attribution.Path{}), encodePath, decodePath)
	beam.RegisterCoder(reflect.TypeOf((*pathSet)(nil)), encodePathSet, decodePathSet)
	register.Combiner3[*pathSet, attribution.Path, *pathSet](&pathsFn{})
	register.DoFn2x2[[]byte, func(**pathSet) bool, []byte, error](&attributeFn{})
	register.Iter1[*pathSet]()
}

// Attribution shares the conversions and value of a PCollection of attribution.Path
// among channels with each of the models (keyed by a name of the caller's choice). The
// paths' sufficient statistic, their distinct touch sequences with summed
// conversions, nulls and value, is combined across workers (MergeAccumulators adds the
// counts), and each model is solved once on it with attribution.Attribute; for Markov
// models the chain built from the distinct paths is exactly the chain of all the
// paths (its transition weights are sums over paths). The one []byte returned is JSON,
// model name to channel to attribution.Credit (decode with DecodeCredits). Credits agree
// with Attribute over the original paths to rounding, since counts are summed in
// another order. A model that does not validate is an error wrapping ErrInvalid; a bad
// path (one attribution.Attribute refuses) fails the pipeline with an error naming it
// and wrapping attribution.ErrInvalid, checked as it arrives, before its counts are
// summed with another's.
func Attribution(s beam.Scope, models map[string]attribution.CreditRule, paths beam.PCollection) (beam.PCollection, error) {
	var w []modelWire
	for _, name := range slices.Sorted(maps.Keys(models)) {
		mw, err := wireModel(name, models[name])
		if err != nil {
			return beam.PCollection{}, err
		}
		w = append(w, mw)
	}
	s = s.Scope("clientele.Attribution")
	set := beam.Combine(s, &pathsFn{}, paths)
	// The gathered paths come as a side input of an Impulse: a global Combine of no
	// paths emits nothing in Beam's Go SDK, and no paths still have credits (none).
	return beam.ParDo(s, &attributeFn{Models: w}, beam.Impulse(s), beam.SideInput{Input: set}), nil
}

// modelWire is a model as it travels: its type's name and its fields as JSON.
type modelWire struct {
	Name   string
	Kind   string
	Params json.RawMessage
}

func wireModel(name string, m attribution.CreditRule) (modelWire, error) {
	if m == nil {
		return modelWire{}, fmt.Errorf("%w: model %q is nil", ErrInvalid, name)
	}
	if _, err := attribution.Attribute([]attribution.Path{{Touches: []string{"a"}, Conversions: 1}}, m); err != nil {
		return modelWire{}, fmt.Errorf("%w: model %q: %w", ErrInvalid, name, err)
	}
	p, err := json.Marshal(m)
	if err != nil {
		return modelWire{}, fmt.Errorf("%w: model %q: %w", ErrInvalid, name, err)
	}
	return modelWire{Name: name, Kind: reflect.TypeOf(m).Name(), Params: p}, nil
}

func (w modelWire) model() (attribution.CreditRule, error) {
	var m attribution.CreditRule
	var err error
	switch w.Kind {
	case "FirstTouch":
		m = attribution.FirstTouch{}
	case "LastTouch":
		var x attribution.LastTouch
		err, m = json.Unmarshal(w.Params, &x), &x
	case "Linear":
		m = attribution.Linear{}
	case "PositionBased":
		var x attribution.PositionBased
		err, m = json.Unmarshal(w.Params, &x), &x
	case "TimeDecay":
		var x attribution.TimeDecay
		err, m = json.Unmarshal(w.Params, &x), &x
	case "Markov":
		var x attribution.Markov
		err, m = json.Unmarshal(w.Params, &x), &x
	case "Shapley":
		var x attribution.Shapley
		err, m = json.Unmarshal(w.Params, &x), &x
	default:
		return nil, fmt.Errorf("%w: model %q of unknown kind %q", ErrInvalid, w.Name, w.Kind)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: model %q: %w", ErrInvalid, w.Name, err)
	}
	return deref(m), nil
}

// deref turns the pointers the decoder filled back into the values the SDK's closed
// set of models holds.
func deref(m attribution.CreditRule) attribution.CreditRule {
	switch x := m.(type) {
	case *attribution.LastTouch:
		return *x
	case *attribution.PositionBased:
		return *x
	case *attribution.TimeDecay:
		return *x
	case *attribution.Markov:
		return *x
	case *attribution.Shapley:
		return *x
	}
	return m
}

// pathSet is the distinct paths with summed counts.
type pathSet struct {
	index map[string]int
	paths []attribution.Path
}

// pathKey is p's touches and ages, each touch with its length before it, so that two
// paths share a key only when they have the same touches and ages. (Touches joined
// by a NUL byte, as they were, gave ["a\x00b"] and ["a", "b"] one key, and summed
// the second path's counts into the first's channels.)
func pathKey(p *attribution.Path) string {
	b := binary.AppendUvarint(nil, uint64(len(p.Touches)))
	for _, t := range p.Touches {
		b = appendString(b, t)
	}
	if p.Ages != nil {
		b = append(b, 1)
		for _, a := range p.Ages {
			b = binary.AppendVarint(b, int64(a))
		}
	}
	return string(b)
}

// comparePaths orders paths by touches, then ages (none first), the order in which
// sorted hands them to the SDK.
func comparePaths(a, b attribution.Path) int {
	if c := slices.Compare(a.Touches, b.Touches); c != 0 {
		return c
	}
	if (a.Ages == nil) != (b.Ages == nil) {
		if a.Ages == nil {
			return -1
		}
		return 1
	}
	return slices.Compare(a.Ages, b.Ages)
}

// checkPath refuses a path the SDK refuses, before its counts are summed into
// another's: a negative count, or a value without conversions, added to a good path
// with the same touches made a sum the SDK accepts, so the pipeline answered where
// attribution.Attribute over the same paths refuses. The SDK itself says what is
// wrong (Attribute over the path alone); the checks before it only spare good paths
// that call.
func checkPath(p attribution.Path) error {
	bad := len(p.Touches) == 0 || slices.Contains(p.Touches, "") ||
		!(p.Conversions >= 0 && p.Nulls >= 0 && p.Value >= 0) ||
		math.IsInf(p.Conversions+p.Nulls+p.Value, 0) ||
		p.Conversions > attribution.MaxCount || p.Nulls > attribution.MaxCount ||
		p.Value > scoring.MaxAmount || p.Value > scoring.MaxAmount*p.Conversions ||
		(p.Value > 0 && p.Conversions == 0) ||
		(p.Ages != nil && (len(p.Ages) != len(p.Touches) || slices.Min(p.Ages) < 0))
	if !bad {
		return nil
	}
	if _, err := attribution.Attribute([]attribution.Path{p}, attribution.FirstTouch{}); err != nil {
		return fmt.Errorf("pipeline: attribution: path %s: %w", english.Name(p.String(), 200), err)
	}
	return nil
}

func (ps *pathSet) add(p attribution.Path) {
	k := pathKey(&p)
	if i, ok := ps.index[k]; ok {
		q := &ps.paths[i]
		q.Conversions += p.Conversions
		q.Nulls += p.Nulls
		q.Value += p.Value
		return
	}
	ps.index[k] = len(ps.paths)
	ps.paths = append(ps.paths, attribution.Path{Touches: slices.Clone(p.Touches), Conversions: p.Conversions,
		Nulls: p.Nulls, Value: p.Value, Ages: slices.Clone(p.Ages)})
}

// sorted returns the paths in a fixed order (comparePaths), so that the SDK numbers
// the channels and sums the counts the same way on every run.
func (ps *pathSet) sorted() []attribution.Path {
	return slices.SortedFunc(slices.Values(ps.paths), comparePaths)
}

type pathsFn struct{}

func (pathsFn) CreateAccumulator() *pathSet { return &pathSet{index: map[string]int{}} }

func (pathsFn) AddInput(ps *pathSet, p attribution.Path) (*pathSet, error) {
	if err := checkPath(p); err != nil {
		return nil, err
	}
	ps.add(p)
	return ps, nil
}

func (pathsFn) MergeAccumulators(a, b *pathSet) *pathSet {
	mergeCount.Add(1)
	for _, p := range b.paths {
		a.add(p)
	}
	return a
}

func (pathsFn) ExtractOutput(ps *pathSet) *pathSet { return ps }

// attributeFn solves every model once on the gathered paths: the one pathSet of its
// side input, or none when there were no paths.
type attributeFn struct{ Models []modelWire }

func (f *attributeFn) ProcessElement(_ []byte, sets func(**pathSet) bool) ([]byte, error) {
	ps := pathsFn{}.CreateAccumulator()
	for sets(&ps) { // a global Combine emits at most one element
	}
	paths := ps.sorted()
	out := map[string]map[string]attribution.Credit{}
	for _, w := range f.Models {
		m, err := w.model()
		if err != nil {
			return nil, err
		}
		c, err := attribution.Attribute(paths, m)
		if err != nil {
			return nil, fmt.Errorf("pipeline: attribution %q: %w", w.Name, err)
		}
		out[w.Name] = c
	}
	return json.Marshal(out)
}

// DecodeCredits decodes Attribution's element: model name to channel to credit.
func DecodeCredits(b []byte) (map[string]map[string]attribution.Credit, error) {
	var out map[string]map[string]attribution.Credit
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("%w: credits: %w", ErrInvalid, err)
	}
	return out, nil
}

func appendPath(b []byte, p attribution.Path) []byte {
	b = binary.AppendUvarint(b, uint64(len(p.Touches)))
	for _, t := range p.Touches {
		b = appendString(b, t)
	}
	b = appendFloat(b, p.Conversions)
	b = appendFloat(b, p.Nulls)
	b = appendFloat(b, p.Value)
	if p.Ages == nil {
		return append(b, 0)
	}
	b = append(b, 1)
	b = binary.AppendUvarint(b, uint64(len(p.Ages)))
	for _, a := range p.Ages {
		b = binary.AppendVarint(b, int64(a))
	}
	return b
}

func (d *decoder) path() attribution.Path {
	var p attribution.Path
	n := d.count(1)
	for range n {
		p.Touches = append(p.Touches, d.str())
	}
	p.Conversions, p.Nulls, p.Value = d.float(), d.float(), d.float()
	switch d.byte1() {
	case 0:
	case 1:
		n := d.count(1)
		p.Ages = make([]time.Duration, 0, n)
		for range n {
			p.Ages = append(p.Ages, time.Duration(d.varint()))
		}
	default:
		d.fail("bad ages flag")
	}
	return p
}

func encodePath(p attribution.Path) []byte { return appendPath(nil, p) }

func decodePath(b []byte) (attribution.Path, error) {
	d := decoder{b: b}
	p := d.path()
	return p, d.done("path")
}

func encodePathSet(ps *pathSet) []byte {
	b := binary.AppendUvarint(nil, uint64(len(ps.paths)))
	for _, p := range ps.paths {
		b = appendPath(b, p)
	}
	return b
}

func decodePathSet(b []byte) (*pathSet, error) {
	d := decoder{b: b}
	ps := pathsFn{}.CreateAccumulator()
	for range d.count(26) {
		ps.add(d.path())
	}
	return ps, d.done("path set")
}
