package pipeline

import (
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"math"
	"reflect"
	"slices"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	"github.com/clientele-go/clientele/identity"
)

func init() {
	beam.RegisterCoder(reflect.TypeOf((*bucketCounts)(nil)), encodeBucketCounts, decodeBucketCounts)
	register.DoFn5x1[identity.Event, func(string, string), func(string, []byte), func(identity.Event), func(int64), error](&prepareFn{})
	register.DoFn5x1[string, func(*[]byte) bool, func(*string) bool, int, func(string, []byte), error](&labelFn{})
	register.DoFn5x1[string, func(*[]byte) bool, func(int64, []byte), func(string, []byte), func(identity.Event), error](&replayFn{})
	register.Function3x0(creationBucket)
	register.Combiner3[*bucketCounts, int64, []byte](&offsetsFn{})
	register.DoFn4x1[int64, func(*[]byte) bool, []byte, func(string, []byte), error](&numberFn{})
	register.DoFn7x1[string, func(*[]byte) bool, func(*[]byte) bool, func(Assignment), func(identity.Merge), func(identity.Split), func(Move), error](&rewriteFn{})
	register.Iter1[[]byte]()
	register.Emitter2[string, []byte]()
	register.Emitter2[int64, []byte]()
	register.Emitter1[int64]()
	register.Emitter1[Assignment]()
	register.Emitter1[identity.Merge]()
	register.Emitter1[identity.Split]()
	register.Emitter1[Move]()
	register.Emitter1[identity.Event]()
}

// Resolve resolves identities from a PCollection of identity.Event (identifiers seen
// together) with the rules registered under rules (RegisterRules), and returns every
// identifier's profile, the merges and quarantine splits, and the keys that moved.
//
// How: each event's identifiers are normalised and checked against the block lists
// by the identity package itself (Resolver.Canonical), and the event becomes a star
// of edges between them. Connected components of that graph are found by
// large-star/small-star rounds (Kiveris et al. 2014), unrolled opts.Rounds times into
// the pipeline and then checked to be final. Every component's events are then
// gathered on one worker, sorted as SortLinks sorts them, and replayed through an
// identity.Resolver with the same rules, which applies the per-kind limits, priority
// and hot-identifier quarantine exactly as in process. The events that link nothing
// come out in Resolution.Unlinked, and a 1 for each event whose match weight is not
// finite in Resolution.NonFinite. Last, the keys each replay
// issued are renumbered into the dense keys one resolver would have issued, in the
// order of the events that created them (a count per hour of event time, then a rank
// within the hour).
//
// Guarantee: the result equals identity.Resolver (with the same HMAC key, if any) fed
// the events in SortLinks order (time, source, match, identifiers) with Link or
// LinkMatch, skipping events it refuses (Unlinked and NonFinite): the same profile
// for every identifier, the same keys, the same merges and splits. It holds for any
// rules, because the limits and quarantine only ever keep apart identifiers that the
// graph connects, so no decision looks outside a component. Events at distinct
// instants are in time order, so only events at one instant take the canonical order
// instead of the input's. The price is that a component's events are replayed on one
// worker, in order: a component as large as the input (a shared value not on a block
// list, before the quarantine has cut it) is replayed by one worker as in process.
//
// An event with a Match (a probabilistic match) is replayed with LinkMatch, so its
// merges carry the match weight as the resolver's OnMerge reports do. Under
// ResolveOptions.HMAC the replay stores digests, as identity.WithHMAC does; the
// events themselves travel to the replay with their identifiers as given.
//
// A graph whose components need more rounds than opts.Rounds makes the pipeline fail
// with an error naming the rounds, never a wrong answer. Rules or a key that are not
// registered are an error wrapping ErrInvalid.
func Resolve(s beam.Scope, rules string, links beam.PCollection, opts *ResolveOptions) (Resolution, error) {
	var key string
	if opts != nil {
		key = opts.HMAC
	}
	if err := checkNames(rules, key); err != nil {
		return Resolution{}, err
	}
	if _, err := resolverFor(rules, ""); err != nil {
		return Resolution{}, err // rules that identity.New refuses
	}
	rounds := DefaultRounds
	if opts != nil && opts.Rounds != 0 {
		rounds = opts.Rounds
	}
	if rounds < 1 || rounds > 64 {
		return Resolution{}, fmt.Errorf("%w: ResolveOptions.Rounds %d outside 1..64", ErrInvalid, rounds)
	}
	s = s.Scope("clientele.Resolve")
	edges, events, unlinked, nonFinite := beam.ParDo4(s, &prepareFn{Rules: rules, Key: key}, links)
	final, violations := components(s, edges, rounds)
	labelled := beam.ParDo(s, &labelFn{Rounds: rounds}, beam.CoGroupByKey(s, events, final),
		beam.SideInput{Input: violations})
	creations, results, refused := beam.ParDo3(s, &replayFn{Rules: rules, Key: key}, beam.GroupByKey(s, labelled))
	offsets := beam.Combine(s, &offsetsFn{}, beam.ParDo(s, creationBucket, creations))
	pairs := beam.ParDo(s, &numberFn{}, beam.GroupByKey(s, creations), beam.SideInput{Input: offsets})
	a, m, sp, mv := beam.ParDo4(s, &rewriteFn{}, beam.CoGroupByKey(s, pairs, results))
	return Resolution{Assignments: a, Merges: m, Splits: sp, Moves: mv, Unlinked: beam.Flatten(s, unlinked, refused), NonFinite: nonFinite}, nil
}

// node is the graph's name for a canonical identifier. A kind holding a 0 byte could
// make two identifiers one node; that only joins components, which the replay keeps
// exact (a component may be larger than needed, never smaller).
func node(id identity.ID) string { return id.Kind + "\x00" + id.Value }

// prepare returns the nodes of an event's identifiers that the resolver would link,
// or none when it would refuse the event or drop every identifier.
func prepare(r *identity.Resolver, e identity.Event) []string {
	if e.Match != nil && (math.IsNaN(e.Match.Weight) || math.IsInf(e.Match.Weight, 0)) {
		return nil // LinkMatch refuses the whole event
	}
	var nodes []string
	for _, id := range e.IDs {
		c, err := r.Canonical(id)
		if errors.Is(err, identity.ErrInvalid) {
			return nil // Link refuses the whole event
		}
		if err == nil {
			nodes = append(nodes, node(c))
		}
	}
	return nodes
}

// prepareFn turns an event into edges (a star from its first linkable identifier) and
// the event keyed by that identifier, or, when it links nothing, emits it as unlinked
// (or a 1 as nonFinite, when its match weight is NaN or ±Inf).
type prepareFn struct {
	Rules, Key string
	r          *identity.Resolver
}

func (f *prepareFn) Setup() error {
	var err error
	f.r, err = resolverFor(f.Rules, f.Key)
	return err
}

func (f *prepareFn) ProcessElement(e identity.Event, edge func(string, string), event func(string, []byte), unlinked func(identity.Event), nonFinite func(int64)) error {
	nodes := prepare(f.r, e)
	if len(nodes) == 0 {
		// An event whose match weight is not finite is counted, not sent on: the
		// links' coder refuses it, so that it cannot travel on to Unlinked (nor have
		// come in encoded, only from a step fused with this one).
		if e.Match != nil && (math.IsNaN(e.Match.Weight) || math.IsInf(e.Match.Weight, 0)) {
			nonFinite(1)
		} else {
			unlinked(e)
		}
		return nil
	}
	for _, n := range nodes[1:] {
		if n != nodes[0] {
			edge(n, nodes[0])
		}
	}
	event(nodes[0], encodeLink(e))
	return nil
}

// labelFn sends each event to its component, named by its smallest node: the parent
// of the event's node in the final star forest, or the node itself if it is a centre.
type labelFn struct{ Rounds int }

func (f *labelFn) ProcessElement(n string, events func(*[]byte) bool, parents func(*string) bool, violations int, emit func(string, []byte)) error {
	if violations > 0 {
		return fmt.Errorf("pipeline: resolve: the identity graph's components were not final after %d rounds (%d nodes not in a star); raise ResolveOptions.Rounds", f.Rounds, violations)
	}
	label := n
	var p string
	for parents(&p) {
		label = p
	}
	var e []byte
	for events(&e) {
		emit(label, e)
	}
	return nil
}

// creation is a key a replay issued: the component, the event that created it (its
// encoding, which orders events as SortLinks does) and the key the replay gave it.
type creation struct {
	label string
	pos   []byte
	key   uint32
}

func encodeCreation(c creation) []byte {
	b := appendString(nil, c.label)
	b = appendString(b, string(c.pos))
	return binary.AppendUvarint(b, uint64(c.key))
}

func decodeCreation(b []byte) (creation, error) {
	d := decoder{b: b}
	c := creation{label: d.str(), pos: d.bytes(), key: d.u32("key")}
	return c, d.done("key creation")
}

// bucketOf is the hour of event time of a creation: keys are counted per hour, then
// ranked within it.
func bucketOf(pos []byte) int64 {
	sec := int64(binary.BigEndian.Uint64(pos) ^ 1<<63)
	b := sec / 3600
	if sec%3600 < 0 {
		b--
	}
	return b
}

// result is what one component's replay found, under the replay's own keys.
type result struct {
	assignments []Assignment
	merges      []identity.Merge
	splits      []identity.Split
	moves       []Move
}

func encodeResult(r result) []byte {
	var b []byte
	for _, part := range [][][]byte{
		mapSlice(r.assignments, encodeAssignment), mapSlice(r.merges, encodeMerge),
		mapSlice(r.splits, encodeSplit), mapSlice(r.moves, encodeMove),
	} {
		b = binary.AppendUvarint(b, uint64(len(part)))
		for _, x := range part {
			b = appendString(b, string(x))
		}
	}
	return b
}

func mapSlice[T any](xs []T, f func(T) []byte) [][]byte {
	out := make([][]byte, len(xs))
	for i, x := range xs {
		out[i] = f(x)
	}
	return out
}

func decodeParts[T any](d *decoder, f func([]byte) (T, error)) []T {
	var out []T
	for range d.count(1) {
		x, err := f(d.bytes())
		if err != nil && d.err == nil {
			d.err = err
		}
		out = append(out, x)
	}
	return out
}

func decodeResult(b []byte) (result, error) {
	d := decoder{b: b}
	r := result{
		assignments: decodeParts(&d, decodeAssignment),
		merges:      decodeParts(&d, decodeMerge),
		splits:      decodeParts(&d, decodeSplit),
		moves:       decodeParts(&d, decodeMove),
	}
	return r, d.done("component result")
}

// replayer replays components through one resolver, one component after another:
// components share no identifier, so a resolver holding several answers for each as
// if it held that one alone, and a bundle pays for one resolver, not one per
// component. Its keys are local: renumbering makes them global.
type replayer struct {
	rules  string
	key    string // HMAC key name, "" for none
	r      *identity.Resolver
	next   uint32 // the next key the resolver will issue
	merges []identity.Merge
	splits []identity.Split
}

// replayReset bounds a replayer's resolver: past this many identifiers, the next
// component starts a fresh one.
const replayReset = 1 << 20

func (p *replayer) reset() error {
	r, err := resolverFor(p.rules, p.key,
		identity.OnMerge(func(m identity.Merge) { p.merges = append(p.merges, m) }),
		identity.OnSplit(func(s identity.Split) { p.splits = append(p.splits, s) }))
	if err != nil {
		return err
	}
	p.r, p.next = r, 1
	return nil
}

// replay links one component's events (encoded) in SortLinks order and returns the
// keys they created and what the component holds at the end; it hands unlinked the
// events that linked nothing (the resolver refused them), when it is not nil.
func (p *replayer) replay(label string, events [][]byte, unlinked func(identity.Event)) ([]creation, result, error) {
	if p.r == nil || p.r.Stats().Identifiers > replayReset {
		if err := p.reset(); err != nil {
			return nil, result{}, err
		}
	}
	p.merges, p.splits = p.merges[:0], p.splits[:0]
	slices.SortFunc(events, bytes.Compare)
	var made []creation
	for _, b := range events {
		e, err := decodeLink(b)
		if err != nil {
			return nil, result{}, err
		}
		var k uint32
		if e.Match != nil {
			k, err = p.r.LinkMatch(context.Background(), e.At, e.Source, *e.Match, e.IDs...)
		} else {
			k, err = p.r.Link(context.Background(), e.At, e.Source, e.IDs...)
		}
		if err != nil && !errors.Is(err, identity.ErrInvalid) {
			return nil, result{}, fmt.Errorf("pipeline: resolve: %w", err)
		}
		if (err != nil || k == 0) && unlinked != nil {
			unlinked(e) // refused (a time or source Link does not take), or nothing linked
		}
		if err != nil {
			continue // Link refused the event and changed nothing
		}
		for p.r.Current(p.next) != 0 {
			made = append(made, creation{label: label, pos: b, key: p.next})
			p.next++
		}
	}
	var res result
	for _, c := range made {
		switch cur := p.r.Current(c.key); cur {
		case c.key:
			for _, id := range p.r.Identifiers(c.key) {
				res.assignments = append(res.assignments, Assignment{ID: id, Profile: c.key})
			}
		default:
			res.moves = append(res.moves, Move{Key: c.key, Current: cur})
		}
	}
	res.merges = slices.Clone(p.merges)
	res.splits = slices.Clone(p.splits)
	return made, res, nil
}

// replayFn replays each component and emits its key creations by hour and its result
// by component.
type replayFn struct {
	Rules, Key string
	p          *replayer
}

func (f *replayFn) Setup() { f.p = &replayer{rules: f.Rules, key: f.Key} }

func (f *replayFn) ProcessElement(label string, next func(*[]byte) bool, created func(int64, []byte), results func(string, []byte), unlinked func(identity.Event)) error {
	var events [][]byte
	var b []byte
	for next(&b) {
		events = append(events, slices.Clone(b))
	}
	made, res, err := f.p.replay(label, events, unlinked)
	if err != nil {
		return err
	}
	for _, c := range made {
		created(bucketOf(c.pos), encodeCreation(c))
	}
	if len(made) > 0 {
		results(label, encodeResult(res))
	}
	return nil
}

func creationBucket(bucket int64, _ []byte, emit func(int64)) { emit(bucket) }

// bucketCounts counts key creations per hour; its output is the offsets table: each
// hour's first key minus one, the number of keys created in earlier hours.
type bucketCounts struct{ n map[int64]uint64 }

func encodeBucketCounts(c *bucketCounts) []byte {
	var b []byte
	for _, k := range slices.Sorted(maps.Keys(c.n)) {
		b = binary.AppendVarint(b, k)
		b = binary.AppendUvarint(b, c.n[k])
	}
	return b
}

func decodeBucketCounts(b []byte) (*bucketCounts, error) {
	d := decoder{b: b}
	c := &bucketCounts{n: map[int64]uint64{}}
	for d.err == nil && d.off < len(b) {
		k := d.varint()
		c.n[k] += d.uvarint()
	}
	return c, d.done("key counts")
}

type offsetsFn struct{}

func (offsetsFn) CreateAccumulator() *bucketCounts { return &bucketCounts{n: map[int64]uint64{}} }

func (offsetsFn) AddInput(c *bucketCounts, bucket int64) *bucketCounts {
	c.n[bucket]++
	return c
}

func (offsetsFn) MergeAccumulators(a, b *bucketCounts) *bucketCounts {
	for k, n := range b.n {
		a.n[k] += n
	}
	mergeCount.Add(1)
	return a
}

// ExtractOutput turns counts into offsets (the same encoding, sorted by hour).
func (offsetsFn) ExtractOutput(c *bucketCounts) ([]byte, error) {
	var total uint64
	off := &bucketCounts{n: map[int64]uint64{}}
	for _, k := range slices.Sorted(maps.Keys(c.n)) {
		off.n[k] = total
		total += c.n[k]
	}
	if total > 1<<32-1 {
		return nil, fmt.Errorf("pipeline: resolve: %d profile keys, more than a uint32 holds", total)
	}
	return encodeBucketCounts(off), nil
}

// number ranks one hour's creations in SortLinks order of the events that made them
// (a replay issues one event's keys in increasing order) and returns global keys.
func number(made []creation, offset uint64) []uint32 {
	slices.SortFunc(made, func(a, b creation) int {
		if c := bytes.Compare(a.pos, b.pos); c != 0 {
			return c
		}
		return cmp.Compare(a.key, b.key)
	})
	out := make([]uint32, len(made))
	for i := range made {
		out[i] = uint32(offset + uint64(i) + 1)
	}
	return out
}

// numberFn gives one hour's creations their global keys, sent to their components as
// (local key, global key).
type numberFn struct {
	offsets map[int64]uint64
}

func (f *numberFn) ProcessElement(bucket int64, next func(*[]byte) bool, offsets []byte, emit func(string, []byte)) error {
	if f.offsets == nil {
		c, err := decodeBucketCounts(offsets)
		if err != nil {
			return err
		}
		f.offsets = c.n
	}
	var made []creation
	var b []byte
	for next(&b) {
		c, err := decodeCreation(b)
		if err != nil {
			return err
		}
		made = append(made, c)
	}
	for i, g := range number(made, f.offsets[bucket]) {
		emit(made[i].label, binary.AppendUvarint(binary.AppendUvarint(nil, uint64(made[i].key)), uint64(g)))
	}
	return nil
}

// rewrite puts a component's result under global keys.
func rewrite(res result, global map[uint32]uint32) (result, error) {
	var missing error
	g := func(k uint32) uint32 {
		v, ok := global[k]
		if !ok && missing == nil {
			missing = fmt.Errorf("pipeline: resolve: key %d of a component was not numbered", k)
		}
		return v
	}
	gs := func(ks []uint32) []uint32 {
		out := make([]uint32, len(ks))
		for i, k := range ks {
			out[i] = g(k)
		}
		return out
	}
	for i := range res.assignments {
		res.assignments[i].Profile = g(res.assignments[i].Profile)
	}
	for i := range res.merges {
		m := &res.merges[i]
		m.Survivor, m.Absorbed = g(m.Survivor), gs(m.Absorbed)
	}
	for i := range res.splits {
		s := &res.splits[i]
		s.Profile, s.Into = g(s.Profile), gs(s.Into)
	}
	for i := range res.moves {
		m := &res.moves[i]
		m.Key, m.Current = g(m.Key), g(m.Current)
	}
	return res, missing
}

type rewriteFn struct{}

func (rewriteFn) ProcessElement(_ string, pairs, results func(*[]byte) bool,
	assign func(Assignment), merge func(identity.Merge), split func(identity.Split), move func(Move)) error {
	global := map[uint32]uint32{}
	var b []byte
	for pairs(&b) {
		d := decoder{b: b}
		local, g := d.u32("key"), d.u32("key")
		if err := d.done("key pair"); err != nil {
			return err
		}
		global[local] = g
	}
	for results(&b) {
		res, err := decodeResult(b)
		if err != nil {
			return err
		}
		if res, err = rewrite(res, global); err != nil {
			return err
		}
		for _, a := range res.assignments {
			assign(a)
		}
		for _, m := range res.merges {
			merge(m)
		}
		for _, s := range res.splits {
			split(s)
		}
		for _, m := range res.moves {
			move(m)
		}
	}
	return nil
}
