package segment

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/clientele-go/clientele/internal/english"
)

// Index holds tags and traits, numeric fields and behaviour of profiles as roaring
// bitmaps, and the saved segments defined over them. Profiles are uint32 keys.
//
// One of four functions makes an Index, by where it comes from: [NewIndex] an empty
// one; [Load] the snapshot saved under a name in a [Store] (the pair of
// [Index.SaveTo]); [Open] a snapshot file, read or mapped (close it to release the
// mapping); [ReadSnapshot] snapshot bytes the host got elsewhere, used without copying
// (the pair of [Index.WriteTo]).
//
// The zero Index, and a nil *Index (the one those functions return with an error), hold
// no bitmaps and are not ready for use, but do not panic: their methods that return an
// error fail with ErrInvalid saying so, the queries without one answer as an empty index
// does (Profiles is empty, Number and Members find nothing), and the writes without one
// (Tag, SetNumber, Record, ...) change nothing.
//
// An Index is safe for concurrent use. Writes (Tag, SetNumber, Record, ApplyMerge, ...)
// take an exclusive lock for as long as they touch bitmaps; queries share a read lock,
// so they see either all or none of each write. Record buffers activity and applies it
// in sorted batches; every query first applies what is buffered, so a query sees every
// Record call that returned before it began.
type Index struct {
	mu        sync.RWMutex
	loc       *time.Location
	retention int   // days of behaviour kept; 0 keeps all
	horizon   int32 // days before horizon were expired into eventLog.older
	known     *roaring.Bitmap
	traits    map[string]map[string]*roaring.Bitmap // key → value → profiles
	numbers   map[string]*numField
	events    map[string]*eventLog
	saved     map[string]*saved
	seq       int64 // write sequence for MergeLast fields
	mapping   *mapping

	// forgotten collects the profiles Forget erased while a Refresh is between its
	// evaluation and its commit: non-nil only then, set by that Refresh (under the read
	// lock, the only writer being the one Refresh refreshMu admits) and read by Forget
	// under the write lock, so that the members Refresh commits hold none of them.
	forgotten *roaring.Bitmap

	refreshMu sync.Mutex // serialises Refresh, whose evaluation runs under the read lock, and Close with it

	forceAdder bool // tests and benchmarks: count windows with the bit-sliced adder only

	version atomic.Uint64 // bumped by every change; lets Watch skip idle rounds

	pendMu  sync.Mutex // guards pending and spare; never held while waiting for mu
	pending *recBuf
	spare   *recBuf
	npend   atomic.Int64
}

// numField is a numeric field: its values, and for MergeLast the write sequence of
// each profile's value.
type numField struct {
	rule MergeRule
	v    *bsi
	seq  *bsi
}

// noHorizon marks an index from which no day has been expired.
const noHorizon = math.MinInt32

// NewIndex returns an empty index configured by opts. An option with a bad value
// (see each With function) is ErrInvalid naming the option and the value, and no index
// is made.
func NewIndex(opts ...Option) (*Index, error) {
	c, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	x := &Index{
		loc:       c.loc,
		retention: c.retention,
		horizon:   noHorizon,
		known:     roaring.New(),
		traits:    map[string]map[string]*roaring.Bitmap{},
		numbers:   map[string]*numField{},
		events:    map[string]*eventLog{},
		saved:     map[string]*saved{},
		pending:   &recBuf{},
	}
	for f, rule := range c.numbers {
		x.declareNumber(f, rule)
	}
	for _, k := range c.traits {
		x.traitKey(k)
	}
	for _, e := range c.events {
		x.event(e)
	}
	return x, nil
}

// lock takes the write lock and applies buffered activity, so that the writer sees
// (and orders itself after) every Record that returned before it.
func (x *Index) lock() {
	x.mu.Lock()
	x.applyPending()
}

// rlock takes the read lock after applying buffered activity.
func (x *Index) rlock() {
	if x.npend.Load() > 0 {
		x.lock()
		x.mu.Unlock()
	}
	x.mu.RLock()
}

func (x *Index) changed() { x.version.Add(1) }

// splitTag splits "key:value" at its first colon; a tag without one is "tag:<tag>".
// zero reports whether x is the zero or a nil Index (see Index): NewIndex and the
// snapshot readers always set known. The exported methods check it first, once per
// call.
func (x *Index) zero() bool {
	return x == nil || x.known == nil
}

func splitTag(tag string) (key, value string) {
	if k, v, ok := strings.Cut(tag, ":"); ok {
		return k, v
	}
	return "tag", tag
}

func (x *Index) traitKey(key string) map[string]*roaring.Bitmap {
	m := x.traits[key]
	if m == nil {
		m = map[string]*roaring.Bitmap{}
		x.traits[key] = m
	}
	return m
}

func (x *Index) trait(key, value string) *roaring.Bitmap {
	m := x.traitKey(key)
	b := m[value]
	if b == nil {
		b = roaring.New()
		m[value] = b
	}
	return b
}

// Tag adds the profiles to a tag or trait value. tag is "key:value" (plan:pro,
// city:shanghai), queried as key:value; a tag without a colon ("churned") is stored as
// tag:churned. The key "segment" is reserved for references to saved segments; a trait
// of that key must be quoted in queries ("segment":x). A profile may carry several
// values of one key; SetTrait keeps one.
//
// The empty tag and a tag with an empty key (":x") change nothing, as Tag has no error
// to report them with: no query can name them (Parse refuses the empty key), so they
// could only hold profiles nothing selects. "tag:" is the empty value of the key tag.
// A Tag of no profiles changes nothing either: a value nobody holds is not kept (see
// Untag).
func (x *Index) Tag(tag string, profiles ...uint32) {
	key, value := splitTag(tag)
	if x.zero() || tag == "" || key == "" || len(profiles) == 0 {
		return
	}
	x.lock()
	defer x.mu.Unlock()
	x.trait(key, value).AddMany(profiles)
	x.known.AddMany(profiles)
	x.changed()
}

// Untag removes the profiles from a tag or trait value (see Tag for its form).
func (x *Index) Untag(tag string, profiles ...uint32) {
	key, value := splitTag(tag)
	if x.zero() || tag == "" || key == "" {
		return // nothing to remove: Tag kept none of these
	}
	x.lock()
	defer x.mu.Unlock()
	if b := x.traits[key][value]; b != nil {
		for _, p := range profiles {
			b.Remove(p)
		}
		if b.IsEmpty() {
			// A value held by no one goes, as Forget's do: snapshots write every value
			// as text, and the value itself (an e-mail address) may be what the host
			// meant to remove. No query answers differently for an empty value.
			delete(x.traits[key], value)
		}
		x.changed()
	}
}

// SetTrait gives the profiles the value for a categorical trait key, removing them from
// the key's other values: after SetTrait("plan", "pro", p), p is on plan:pro only. An
// empty key, or no profiles, changes nothing (see Tag).
func (x *Index) SetTrait(key, value string, profiles ...uint32) {
	if x.zero() || key == "" || len(profiles) == 0 {
		return
	}
	set := roaring.BitmapOf(profiles...)
	x.lock()
	defer x.mu.Unlock()
	values := x.traitKey(key)
	for v, b := range values {
		if v != value {
			b.AndNot(set)
			if b.IsEmpty() {
				delete(values, v) // as Untag does
			}
		}
	}
	x.trait(key, value).Or(set)
	x.known.Or(set)
	x.changed()
}

func (x *Index) field(name string) *numField {
	f := x.numbers[name]
	if f == nil {
		f = &numField{v: newBSI(true)}
		x.numbers[name] = f
	}
	return f
}

// SetNumber sets a numeric field of a profile (spend in cents, age, a model's score
// scaled to an integer). Fields are held as bit-sliced indexes, so comparisons cost a
// few bitmap operations per bit of the values' width, whatever the number of profiles.
//
// The empty field changes nothing, as with Tag's empty key: SetNumber has no error to
// report it with, and no query can name it (Parse refuses `"" > 3`), so it could only
// hold values nothing selects. SetNumbers, which returns an error, refuses it.
func (x *Index) SetNumber(field string, profile uint32, v int64) {
	if x.zero() || field == "" {
		return
	}
	x.lock()
	defer x.mu.Unlock()
	f := x.field(field)
	f.v.set(profile, v)
	if f.seq != nil {
		x.seq++
		f.seq.set(profile, x.seq)
	}
	x.known.Add(profile)
	x.changed()
}

// SetNumbers sets a numeric field of many profiles at once: profiles[i] gets values[i].
// It is much faster than SetNumber in a loop. When a profile appears more than once the
// last of its values wins. The slices must have the same length and the field must
// not be empty (no query can name it; see SetNumber), else ErrInvalid, and nothing
// changes; they are not modified.
func (x *Index) SetNumbers(field string, profiles []uint32, values []int64) error {
	if x.zero() {
		return errZeroIndex
	}
	if field == "" {
		return fmt.Errorf("%w: SetNumbers %q: empty field name, which no query can name", ErrInvalid, field)
	}
	if len(profiles) != len(values) {
		return fmt.Errorf("%w: SetNumbers %q: %s but %s", ErrInvalid, field, english.Count(len(profiles), "profile"), english.Count(len(values), "value"))
	}
	type pv struct {
		p uint32
		v int64
	}
	pairs := make([]pv, len(profiles))
	for i, p := range profiles {
		pairs[i] = pv{p, values[i]}
	}
	slices.SortStableFunc(pairs, func(a, b pv) int { return cmp.Compare(a.p, b.p) })
	cols := make([]uint32, 0, len(pairs))
	vals := make([]int64, 0, len(pairs))
	for i, e := range pairs {
		if i+1 < len(pairs) && pairs[i+1].p == e.p {
			continue // a later value for the same profile wins
		}
		cols = append(cols, e.p)
		vals = append(vals, e.v)
	}
	x.lock()
	defer x.mu.Unlock()
	f := x.field(field)
	f.v.setMany(cols, vals)
	if f.seq != nil {
		x.seq++
		seqs := make([]int64, len(cols))
		for i := range seqs {
			seqs[i] = x.seq
		}
		f.seq.setMany(cols, seqs)
	}
	x.known.AddMany(cols)
	x.changed()
	return nil
}

// ClearNumber removes the field's value from the profiles. The empty field changes
// nothing: SetNumber keeps nothing under it.
func (x *Index) ClearNumber(field string, profiles ...uint32) {
	if x.zero() {
		return
	}
	set := roaring.BitmapOf(profiles...)
	x.lock()
	defer x.mu.Unlock()
	if f := x.numbers[field]; f != nil {
		f.v.clear(set)
		f.v.trim()
		if f.seq != nil {
			f.seq.clear(set)
		}
		x.changed()
	}
}

// Number returns a profile's value of a numeric field, and whether it has one.
func (x *Index) Number(field string, profile uint32) (int64, bool) {
	if x.zero() {
		return 0, false
	}
	x.rlock()
	defer x.mu.RUnlock()
	if f := x.numbers[field]; f != nil {
		return f.v.get(profile)
	}
	return 0, false
}

// Top returns the k profiles of within (all profiles when within is nil) with the
// largest values of field, ties going to the smaller profile key. It walks the bit
// slices from the top (O'Neil & Quass 1997, Algorithm 4.4) and visits single profiles
// only in the last group of ties.
func (x *Index) Top(field string, k int, within *roaring.Bitmap) (*roaring.Bitmap, error) {
	return x.topK(field, k, within, true)
}

// Bottom is Top for the smallest values.
func (x *Index) Bottom(field string, k int, within *roaring.Bitmap) (*roaring.Bitmap, error) {
	return x.topK(field, k, within, false)
}

func (x *Index) topK(field string, k int, within *roaring.Bitmap, largest bool) (*roaring.Bitmap, error) {
	if x.zero() {
		return nil, errZeroIndex
	}
	if k < 0 {
		op := "top"
		if !largest {
			op = "bottom"
		}
		return nil, fmt.Errorf("%w: %s %d of %q: k must be 0 or more", ErrInvalid, op, k, field)
	}
	x.rlock()
	defer x.mu.RUnlock()
	f := x.numbers[field]
	if f == nil {
		return nil, fmt.Errorf("%w: numeric field %q%s", ErrUnknownField, field, suggest(nearest(field, x.numbers)))
	}
	return x.out(f.v.top(k, within, largest), true), nil
}

// Profiles returns every profile the index has seen in a Tag, SetTrait, SetNumber(s),
// Record or as an ApplyMerge survivor. Untag and ClearNumber do not forget a profile;
// ApplyMerge removes the absorbed ones, and Forget the forgotten ones. NOT complements
// within this set.
func (x *Index) Profiles() *roaring.Bitmap {
	if x.zero() {
		return roaring.New()
	}
	x.rlock()
	defer x.mu.RUnlock()
	return x.out(x.known, false)
}

// out prepares a bitmap for the caller: a copy if the index still owns it, and never
// sharing memory with a mapped snapshot (which Close may unmap).
func (x *Index) out(b *roaring.Bitmap, owned bool) *roaring.Bitmap {
	if !owned {
		return b.Clone()
	}
	if x.mapping != nil {
		b.CloneCopyOnWriteContainers()
	}
	return b
}
