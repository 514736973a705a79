package pipeline

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"reflect"
	"slices"
	"sync"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"

	"github.com/clientele-go/clientele/identity"
)

func init() {
	beam.RegisterCoder(reflect.TypeOf(identity.Event{}), encodeLink, decodeLink)
	beam.RegisterCoder(reflect.TypeOf(Assignment{}), encodeAssignment, decodeAssignment)
	beam.RegisterCoder(reflect.TypeOf(identity.Merge{}), encodeMerge, decodeMerge)
	beam.RegisterCoder(reflect.TypeOf(identity.Split{}), encodeSplit, decodeSplit)
	beam.RegisterCoder(reflect.TypeOf(Move{}), encodeMove, decodeMove)
	RegisterRules("default", identity.DefaultRules)
	RegisterRules("none", func() identity.Rules { return identity.Rules{} })
}

// Assignment is one identifier and the profile that holds it, as identity.Resolver's
// Lookup would answer: the identifier as stored (normalised), the profile's current key.
type Assignment struct {
	ID      identity.ID
	Profile uint32
}

// Move says that state kept under Key belongs to Current now (identity.Resolver's
// Current(Key)): Key was absorbed by a merge, or a quarantine split its profile.
type Move struct {
	Key, Current uint32
}

// Resolution is what Resolve produces. Keys are the dense keys identity.Resolver
// issues (from 1, in the order the events created them).
type Resolution struct {
	// Assignments holds an Assignment for every identifier the events linked.
	Assignments beam.PCollection
	// Merges holds the identity.Merge reports the resolver's OnMerge would make, one
	// per event that merged profiles (in no order; At and the keys say which came first).
	Merges beam.PCollection
	// Splits holds the identity.Split reports of quarantines (OnSplit): a hot
	// identifier split off the profile it had joined.
	Splits beam.PCollection
	// Moves holds a Move for every key issued whose Current is another key: remap
	// state kept under old keys (funnel, segment, referral) with it.
	Moves beam.PCollection
	// Unlinked holds, as given (not digested under ResolveOptions.HMAC), every event
	// that linked nothing: one identity.Resolver's Link (LinkMatch) refuses with
	// identity.ErrInvalid (an empty kind, a time outside 1678-2262) or to which it
	// returns key 0, having dropped every identifier (a
	// value that is empty, on a block list or that its kind's normaliser cannot read,
	// as an e-mail address without "@"). Such events change nothing; count them to
	// tell a user how much of the input was not used.
	Unlinked beam.PCollection
	// NonFinite holds an int64 1 for every event whose Match weight is NaN or ±Inf,
	// which LinkMatch refuses and which therefore links nothing, like the events in
	// Unlinked; it cannot be one of them because the events' coder refuses such a
	// weight (it would break the order the replay sorts by). Count them (stats.Sum or
	// stats.CountElms) to tell a user how many links were dropped for their weight:
	// they were skipped without a count. Such an event can only reach Resolve from a
	// step fused with it (a parser that makes the events), since no coder carries it.
	NonFinite beam.PCollection
}

// ResolveOptions tune Resolve. The zero value (or nil) is the default.
type ResolveOptions struct {
	// Rounds is the number of large-star/small-star rounds unrolled into the pipeline
	// (default 20). A graph that needs more makes the pipeline fail rather than give
	// a wrong answer; see Resolve.
	Rounds int
	// HMAC names a key registered with RegisterKey: identifiers are then stored as
	// identity.WithHMAC stores them, as HMAC-SHA256 digests under that key, so that
	// the assignments and splits carry digests, as the in-process resolver's
	// Identifiers do, and the graph's shuffles carry digests rather than the values.
	// Empty: values are stored normalised.
	HMAC string
}

// DefaultRounds is the number of connected-component rounds Resolve unrolls by
// default. Each round at least halves the longest chain of identifiers whose labels
// increase along it (Kiveris et al. 2014, Lemma 4), so 20 rounds resolve components
// whose shortest paths span up to 2^20 hops, far more than any identity graph's.
const DefaultRounds = 20

var rulesByName sync.Map // string -> func() identity.Rules

// RegisterRules names a function that returns identity rules, so that Resolve can use
// them on remote workers: Rules hold normaliser functions, which cannot travel, so a
// pipeline names its rules and every worker (running the same binary) builds them.
// Call it from an init function. "default" (identity.DefaultRules) and "none" (the
// zero Rules: plain connected components) are registered already; registering a name
// again replaces it.
func RegisterRules(name string, rules func() identity.Rules) {
	rulesByName.Store(name, rules)
}

var keysByName sync.Map // string -> func() ([]byte, error)

// RegisterKey names a function that returns an HMAC key, for ResolveOptions.HMAC. The
// key itself never enters the pipeline (whose description runners keep and show):
// each worker, running the same binary, calls the function once per stage it runs, so
// it may read the key from the worker's environment or a secret manager. Call it
// from an init function; registering a name again replaces it.
func RegisterKey(name string, key func() ([]byte, error)) {
	keysByName.Store(name, key)
}

// checkNames reports whether the rules and the key (if any) are registered.
func checkNames(rules, key string) error {
	if _, ok := rulesByName.Load(rules); !ok {
		return fmt.Errorf("%w: identity rules %q are not registered (RegisterRules)", ErrInvalid, rules)
	}
	if _, ok := keysByName.Load(key); key != "" && !ok {
		return fmt.Errorf("%w: HMAC key %q is not registered (RegisterKey)", ErrInvalid, key)
	}
	return nil
}

// resolverFor builds a resolver with the named rules and HMAC key ("" for none) and
// the further options.
func resolverFor(rules, key string, more ...identity.Option) (*identity.Resolver, error) {
	if err := checkNames(rules, key); err != nil {
		return nil, err
	}
	f, _ := rulesByName.Load(rules)
	if key != "" {
		kf, _ := keysByName.Load(key)
		k, err := kf.(func() ([]byte, error))()
		if err != nil {
			return nil, fmt.Errorf("pipeline: HMAC key %q: %w", key, err)
		}
		more = append(more, identity.WithHMAC(k))
	}
	r, err := identity.New(f.(func() identity.Rules)(), more...)
	if err != nil {
		return nil, fmt.Errorf("%w: identity rules %q: %w", ErrInvalid, rules, err)
	}
	return r, nil
}

// encodeLink writes an event so that its bytes order events as the pipeline replays
// them: the instant (seconds with the sign bit flipped, big-endian, then nanoseconds),
// then the source, then the match (a 0 byte for none; a 1 byte and the weight, its
// bits mapped so that they compare as the weights do), then each identifier's kind
// and value as given, every string written so that bytes compare as the strings do (a
// 0 byte is escaped as 0x00 0xff and a string ends with 0x00 0x00, below any byte of a
// longer string). The encoding is injective, so equal bytes mean equal events.
func encodeLink(e identity.Event) []byte {
	b := make([]byte, 12, 12+len(e.Source)+2+9+24*len(e.IDs))
	binary.BigEndian.PutUint64(b, uint64(e.At.Unix())^1<<63)
	binary.BigEndian.PutUint32(b[8:], uint32(e.At.Nanosecond()))
	b = appendOrdered(b, e.Source)
	if e.Match == nil {
		b = append(b, 0)
	} else {
		b = binary.BigEndian.AppendUint64(append(b, 1), orderedBits(e.Match.Weight))
	}
	for _, id := range e.IDs {
		b = appendOrdered(appendOrdered(b, id.Kind), id.Value)
	}
	return b
}

// orderedBits maps a float's bits to an unsigned integer that orders as the floats do
// (negative floats have every bit flipped, others only the sign bit); unordered
// reverses it.
func orderedBits(f float64) uint64 {
	u := math.Float64bits(f)
	if u>>63 == 1 {
		return ^u
	}
	return u | 1<<63
}

func unordered(u uint64) float64 {
	if u>>63 == 1 {
		return math.Float64frombits(u &^ (1 << 63))
	}
	return math.Float64frombits(^u)
}

func appendOrdered(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		b = append(b, s[i])
		if s[i] == 0 {
			b = append(b, 0xff)
		}
	}
	return append(b, 0, 0)
}

// ordered reads a string written by appendOrdered.
func (d *decoder) ordered() string {
	if d.err != nil {
		return ""
	}
	var out []byte
	for i := d.off; i+1 < len(d.b); i++ {
		if d.b[i] != 0 {
			continue
		}
		switch d.b[i+1] {
		case 0:
			out = append(out, d.b[d.off:i]...)
			d.off = i + 2
			return string(out)
		case 0xff:
			out = append(out, d.b[d.off:i+1]...)
			d.off = i + 2
			i++
		default:
			d.fail("bad escape")
			return ""
		}
	}
	d.fail("unterminated string")
	return ""
}

func decodeLink(b []byte) (identity.Event, error) {
	if len(b) < 12 {
		return identity.Event{}, fmt.Errorf("pipeline: decode link: %w: %d bytes", ErrInvalid, len(b))
	}
	sec := int64(binary.BigEndian.Uint64(b) ^ 1<<63)
	ns := binary.BigEndian.Uint32(b[8:])
	if ns >= 1e9 {
		return identity.Event{}, fmt.Errorf("pipeline: decode link: %w: nanoseconds %d", ErrInvalid, ns)
	}
	d := decoder{b: b, off: 12}
	e := identity.Event{At: time.Unix(sec, int64(ns)).UTC(), Source: d.ordered()}
	switch d.byte1() {
	case 0:
	case 1:
		if len(b)-d.off < 8 {
			d.fail("truncated match weight")
			break
		}
		w := unordered(binary.BigEndian.Uint64(b[d.off:]))
		d.off += 8
		if math.IsNaN(w) || math.IsInf(w, 0) {
			d.fail("match weight %v", w) // Link refuses it, so it is never sent
		}
		e.Match = &identity.Match{Weight: w}
	default:
		d.fail("bad match flag")
	}
	for d.err == nil && d.off < len(b) {
		e.IDs = append(e.IDs, identity.ID{Kind: d.ordered(), Value: d.ordered()})
	}
	if err := d.done("link"); err != nil {
		return identity.Event{}, err
	}
	return e, nil
}

// SortLinks sorts events into the order in which Resolve replays each connected
// component's events: by time, then source, then match (events without one first,
// then by weight), then identifiers (kind and value, as given). identity.Resolver fed
// the sorted slice event by event (Link, or LinkMatch for an event with a Match,
// skipping the events it refuses) holds exactly what Resolve computes; events at
// distinct instants are simply in time order.
func SortLinks(events []identity.Event) {
	enc := make([][]byte, len(events))
	idx := make([]int, len(events))
	for i := range events {
		enc[i], idx[i] = encodeLink(events[i]), i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return bytes.Compare(enc[a], enc[b]) })
	sorted := make([]identity.Event, len(events))
	for i, j := range idx {
		sorted[i] = events[j]
	}
	copy(events, sorted)
}

func appendID(b []byte, id identity.ID) []byte {
	return appendString(appendString(b, id.Kind), id.Value)
}

func encodeAssignment(a Assignment) []byte {
	return binary.AppendUvarint(appendID(nil, a.ID), uint64(a.Profile))
}

func decodeAssignment(b []byte) (Assignment, error) {
	d := decoder{b: b}
	a := Assignment{ID: identity.ID{Kind: d.str(), Value: d.str()}, Profile: d.u32("profile")}
	return a, d.done("assignment")
}

func appendKeys(b []byte, keys []uint32) []byte {
	b = binary.AppendUvarint(b, uint64(len(keys)))
	for _, k := range keys {
		b = binary.AppendUvarint(b, uint64(k))
	}
	return b
}

func (d *decoder) keys() []uint32 {
	n := d.count(1)
	if n == 0 {
		return nil
	}
	out := make([]uint32, n)
	for i := range out {
		out[i] = d.u32("key")
	}
	return out
}

func encodeMerge(m identity.Merge) []byte {
	b := binary.AppendUvarint(nil, uint64(m.Survivor))
	b = appendKeys(b, m.Absorbed)
	b = appendTime(b, m.At)
	b = appendString(b, m.Cause)
	if m.Match == nil {
		return append(b, 0)
	}
	return appendFloat(append(b, 1), m.Match.Weight)
}

func decodeMerge(b []byte) (identity.Merge, error) {
	d := decoder{b: b}
	m := identity.Merge{Survivor: d.u32("survivor"), Absorbed: d.keys(), At: d.time(), Cause: d.str()}
	switch d.byte1() {
	case 0:
	case 1:
		m.Match = &identity.Match{Weight: d.float()}
	default:
		d.fail("bad match flag")
	}
	return m, d.done("merge")
}

func encodeSplit(s identity.Split) []byte {
	b := binary.AppendUvarint(nil, uint64(s.Profile))
	b = appendKeys(b, s.Into)
	b = appendID(b, s.ID)
	return appendTime(b, s.At)
}

func decodeSplit(b []byte) (identity.Split, error) {
	d := decoder{b: b}
	s := identity.Split{Profile: d.u32("profile"), Into: d.keys(), ID: identity.ID{Kind: d.str(), Value: d.str()}, At: d.time()}
	return s, d.done("split")
}

func encodeMove(m Move) []byte {
	return binary.AppendUvarint(binary.AppendUvarint(nil, uint64(m.Key)), uint64(m.Current))
}

func decodeMove(b []byte) (Move, error) {
	d := decoder{b: b}
	m := Move{Key: d.u32("key"), Current: d.u32("current")}
	return m, d.done("move")
}
