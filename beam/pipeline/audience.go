package pipeline

import (
	"encoding/binary"
	"fmt"
	"reflect"
	"strings"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	"github.com/clientele-go/clientele/funnel"
	"github.com/clientele-go/clientele/segment"
)

func init() {
	beam.RegisterCoder(reflect.TypeOf(Trait{}), encodeTrait, decodeTrait)
	beam.RegisterCoder(reflect.TypeOf(Shard{}), encodeShard, decodeShard)
	beam.RegisterCoder(reflect.TypeOf((*roaring.Bitmap)(nil)), encodeBitmap, decodeBitmap)
	register.DoFn2x0[funnel.Event, func(string, uint32)](&eventTermsFn{})
	register.DoFn2x0[Trait, func(string, uint32)](&traitTermsFn{})
	register.Combiner2[*roaring.Bitmap, uint32](&orFn{})
	register.DoFn3x0[string, *roaring.Bitmap, func(string, []byte)](&routeFn{})
	register.DoFn3x1[string, func(*[]byte) bool, func(Shard), error](&combineTermsFn{})
	register.Emitter2[string, uint32]()
	register.Emitter2[string, []byte]()
	register.Emitter1[Shard]()
	register.Iter1[[]byte]()
}

// ShardBits is the log2 of a shard's width: shard k holds profiles k<<20 to
// (k+1)<<20-1, as Pilosa and FeatureBase shard their columns, so that no worker holds
// a bitmap wider than a million profiles and shards combine independently.
const ShardBits = 20

// Trait is a profile's value for a categorical trait key (segment's key:value). Give
// each profile at most one value per key: a shuffle cannot tell which of two came
// last, so a profile listed with two values is a member of both (segment.Index.SetTrait
// keeps the last).
type Trait struct {
	Profile    uint32
	Key, Value string
}

// Audience is a set of profiles defined by terms, all of which (All) or any of which
// a profile must meet. A term is "key:value" (the profile has that trait value) or
// "did(event)" (the profile did the event at least once), with segment's query
// language's meaning.
type Audience struct {
	Name  string
	All   bool
	Terms []string
}

// Query returns the audience as a segment query, for evaluating it in process.
func (a Audience) Query() string {
	op := " OR "
	if a.All {
		op = " AND "
	}
	return strings.Join(a.Terms, op)
}

// Shard is one shard of an audience: the members among profiles shard<<ShardBits to
// (shard+1)<<ShardBits-1, as a roaring bitmap in the portable format (of the profile
// keys themselves, so that the OR of an audience's shards is the audience).
type Shard struct {
	Audience string
	Shard    uint32
	Bitmap   []byte
}

type term struct {
	event      bool
	key, value string // key is the event name for did(event)
}

func parseTerm(s string) (term, error) {
	if rest, ok := strings.CutPrefix(s, "did("); ok && strings.HasSuffix(rest, ")") {
		name := strings.TrimSuffix(rest, ")")
		if name == "" || strings.ContainsAny(name, "(),") {
			return term{}, fmt.Errorf("%w: audience term %q: bad event name", ErrInvalid, s)
		}
		return term{event: true, key: name}, nil
	}
	k, v, ok := strings.Cut(s, ":")
	if !ok || k == "" || v == "" || strings.ContainsAny(s, "() ,") {
		return term{}, fmt.Errorf("%w: audience term %q: want key:value or did(event)", ErrInvalid, s)
	}
	return term{key: k, value: v}, nil
}

// Audiences builds the audiences from events (funnel.Event; a PCollection of events or
// an empty one) and traits (Trait). Each term's members are gathered per shard, the
// workers' partial bitmaps combined by OR (a CombineFn whose MergeAccumulators is
// roaring's Or), then each audience's terms are combined per shard by AND or OR. It
// returns a PCollection of Shard, one per audience and non-empty shard.
func Audiences(s beam.Scope, audiences []Audience, events, traits beam.PCollection) (beam.PCollection, error) {
	var eventTerms, traitTerms []string
	uses := map[string][]string{} // term -> the routes of the audiences that use it
	names := map[string]bool{}
	for _, a := range audiences {
		if a.Name == "" || strings.ContainsRune(a.Name, 0) || len(a.Terms) == 0 || names[a.Name] {
			return beam.PCollection{}, fmt.Errorf("%w: audience %q: needs a unique name and terms", ErrInvalid, a.Name)
		}
		names[a.Name] = true
		op := "or"
		if a.All {
			op = "and"
		}
		// The route carries the audience, its operator and its number of distinct
		// terms, so that an AND can tell a shard where some term has no members.
		route := fmt.Sprintf("%s\x00%s\x00%d", a.Name, op, distinct(a.Terms))
		seen := map[string]bool{}
		for _, ts := range a.Terms {
			t, err := parseTerm(ts)
			if err != nil {
				return beam.PCollection{}, fmt.Errorf("audience %q: %w", a.Name, err)
			}
			if seen[ts] {
				continue
			}
			seen[ts] = true
			if _, ok := uses[ts]; !ok {
				if t.event {
					eventTerms = append(eventTerms, t.key)
				} else {
					traitTerms = append(traitTerms, ts)
				}
			}
			uses[ts] = append(uses[ts], route)
		}
	}
	s = s.Scope("clientele.Audiences")
	members := beam.ParDo(s, &eventTermsFn{Names: eventTerms}, events)
	tmembers := beam.ParDo(s, &traitTermsFn{Terms: traitTerms}, traits)
	// Event terms (did(...)) and trait terms (key:value) never share a key, so each
	// source is combined on its own, where its members are produced.
	bitmaps := beam.Flatten(s, beam.CombinePerKey(s, &orFn{}, members), beam.CombinePerKey(s, &orFn{}, tmembers))
	routed := beam.ParDo(s, &routeFn{Uses: uses}, bitmaps)
	return beam.ParDo(s, &combineTermsFn{}, beam.GroupByKey(s, routed)), nil
}

func distinct(ts []string) int {
	m := map[string]bool{}
	for _, t := range ts {
		m[t] = true
	}
	return len(m)
}

func shardKey(term string, profile uint32) string {
	return fmt.Sprintf("%s\x00%d", term, profile>>ShardBits)
}

// eventTermsFn emits (did(event) and shard, profile) for events named in Names.
type eventTermsFn struct {
	Names []string
	set   map[string]bool
}

func (f *eventTermsFn) ProcessElement(e funnel.Event, emit func(string, uint32)) {
	if f.set == nil {
		f.set = map[string]bool{}
		for _, n := range f.Names {
			f.set[n] = true
		}
	}
	if f.set[e.Name] && e.Profile != 0 {
		emit(shardKey("did("+e.Name+")", e.Profile), e.Profile)
	}
}

// traitTermsFn emits (key:value and shard, profile) for traits named in Terms.
type traitTermsFn struct {
	Terms []string
	set   map[string]bool
}

func (f *traitTermsFn) ProcessElement(t Trait, emit func(string, uint32)) {
	if f.set == nil {
		f.set = map[string]bool{}
		for _, n := range f.Terms {
			f.set[n] = true
		}
	}
	if ts := t.Key + ":" + t.Value; f.set[ts] && t.Profile != 0 {
		emit(shardKey(ts, t.Profile), t.Profile)
	}
}

// orFn gathers profiles into a bitmap; MergeAccumulators is roaring's Or.
type orFn struct{}

func (orFn) CreateAccumulator() *roaring.Bitmap { return roaring.New() }
func (orFn) AddInput(b *roaring.Bitmap, p uint32) *roaring.Bitmap {
	b.Add(p)
	return b
}
func (orFn) MergeAccumulators(a, b *roaring.Bitmap) *roaring.Bitmap {
	mergeCount.Add(1)
	a.Or(b)
	return a
}

// routeFn sends a term's shard bitmap to every audience that uses the term, keyed by
// audience and shard, tagged with the term.
type routeFn struct {
	Uses map[string][]string
}

func (f *routeFn) ProcessElement(key string, b *roaring.Bitmap, emit func(string, []byte)) {
	ts, shard, _ := strings.Cut(key, "\x00")
	raw, err := b.ToBytes()
	if err != nil {
		return // ToBytes fails only on a write error, which a byte buffer never has
	}
	for _, u := range f.Uses[ts] {
		v := appendString(nil, ts)
		emit(u+"\x00"+shard, append(v, raw...))
	}
}

// combineTermsFn combines one audience's term bitmaps in one shard.
type combineTermsFn struct{}

func (combineTermsFn) ProcessElement(key string, parts func(*[]byte) bool, emit func(Shard)) error {
	f := strings.Split(key, "\x00")
	if len(f) != 4 {
		return fmt.Errorf("%w: audience key %q", ErrInvalid, key)
	}
	var want int
	fmt.Sscan(f[2], &want)
	var shard uint32
	fmt.Sscan(f[3], &shard)
	var out *roaring.Bitmap
	terms := 0
	var v []byte
	for parts(&v) {
		if len(v) == 0 {
			continue
		}
		d := decoder{b: v}
		d.str()
		if d.err != nil {
			return d.err
		}
		b, err := segment.DecodeBitmap(v[d.off:])
		if err != nil {
			return fmt.Errorf("%w: audience %q shard %d: %w", ErrInvalid, f[0], shard, err)
		}
		terms++
		switch {
		case out == nil:
			out = b
		case f[1] == "and":
			out.And(b)
		default:
			out.Or(b)
		}
	}
	if out == nil || (f[1] == "and" && terms < want) || out.IsEmpty() {
		return nil
	}
	raw, err := out.ToBytes()
	if err != nil {
		return err
	}
	emit(Shard{Audience: f[0], Shard: shard, Bitmap: raw})
	return nil
}

func encodeTrait(t Trait) []byte {
	b := binary.AppendUvarint(nil, uint64(t.Profile))
	return appendString(appendString(b, t.Key), t.Value)
}

func decodeTrait(b []byte) (Trait, error) {
	d := decoder{b: b}
	t := Trait{Profile: d.u32("profile"), Key: d.str(), Value: d.str()}
	return t, d.done("trait")
}

func encodeShard(s Shard) []byte {
	b := appendString(nil, s.Audience)
	b = binary.AppendUvarint(b, uint64(s.Shard))
	return appendString(b, string(s.Bitmap))
}

func decodeShard(b []byte) (Shard, error) {
	d := decoder{b: b}
	s := Shard{Audience: d.str(), Shard: d.u32("shard"), Bitmap: []byte(d.str())}
	return s, d.done("shard")
}

func encodeBitmap(b *roaring.Bitmap) ([]byte, error) { return b.ToBytes() }

func decodeBitmap(raw []byte) (*roaring.Bitmap, error) {
	b, err := segment.DecodeBitmap(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: bitmap: %w", ErrInvalid, err)
	}
	return b, nil
}
