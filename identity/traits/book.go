package traits

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/clientele-go/clientele/identity"
	"github.com/clientele-go/clientele/internal/english"
)

// MergeRule says which value of a trait a profile keeps when its identifiers hold several.
type MergeRule uint8

const (
	// MostRecent keeps the value observed last.
	MostRecent MergeRule = iota + 1
	// MostTrusted keeps the value from the most trusted source (Policy.Ranking; an
	// unranked source is trusted least), the most recent among that source's values.
	MostTrusted
	// FirstSeen keeps the value observed first.
	FirstSeen
	// Union keeps every distinct value, each with its first observation. Values are
	// the same when they look the same: when they are canonically equivalent once
	// white space is trimmed and each inner run of it (a doubled space, a tab, a
	// no-break or ideographic space) is one space, and invisible characters are left
	// out: the zero-width space, word joiner, byte order mark, soft hyphen and
	// bidirectional marks anywhere, a zero-width joiner or non-joiner where it changes
	// nothing shown (between Latin letters, next to a space; it counts after a virama,
	// between Arabic-script letters, and a joiner between emoji). " gold " is "gold",
	// "Jane\u00a0 Doe" is "Jane Doe", and "José" with é composed is "José" with e and a
	// combining accent. The spelling first observed is the one listed; no value is
	// rewritten.
	Union
)

// Policy gives each trait its rule.
type Policy struct {
	// Rules by trait name; a trait not listed takes Default.
	Rules map[string]MergeRule
	// Default is the rule of unlisted traits; 0 means MostRecent.
	Default MergeRule
	// Ranking lists sources, most trusted first.
	Ranking []string
	// Canonical, if set, turns an observation's identifier into the form the resolver
	// stores (the kind's normaliser, such as lower-cased e-mails), so that observations
	// made with raw values find their profile. Nil means identifiers are given as
	// stored.
	Canonical func(identity.ID) identity.ID
}

// Observation is one trait value seen with one identifier.
type Observation struct {
	ID     identity.ID
	Trait  string
	Value  string
	Source string
	At     time.Time
}

// Lineage says where a surviving value came from.
type Lineage struct {
	ID     identity.ID
	Source string
	At     time.Time
}

// Value is a trait's surviving value in a profile. Under Union, Values lists every
// distinct value in the order first seen, as first spelt, and Lineage the first
// observation of each;
// under the other rules Values and Lineage have one entry.
type Value struct {
	Values  []string
	Lineage []Lineage
}

// Members is what a Book needs of a resolver: the identifiers a profile holds now.
// *identity.Resolver and *identity.View (a past state) implement it.
type Members interface {
	Identifiers(profile uint32) []identity.ID
}

// Limits on an observation, so that memory grows with the data and not with one call.
const (
	MaxTraitLen  = 64
	MaxSourceLen = 64
	MaxValueLen  = 4096
)

// The longest identifier kind and value any identity.Resolver holds (its kinds are at
// most 64 bytes, Rules.MaxValueLen at most 65535): an observation of a longer one could
// never be found by Traits, and would only hold memory.
const (
	maxIDKindLen  = 64
	maxIDValueLen = 65535
)

// The times an observation may carry: those whose UnixNano is defined.
var (
	minTime = time.Unix(0, math.MinInt64)
	maxTime = time.Unix(0, math.MaxInt64)
)

// obs is an observation as kept: its total order is (at, seq), seq the order of
// arrival, so that equal times are decided by which was observed later.
type obs struct {
	value, source string
	key           string // under Union, what values are compared by (unionKey, in key.go)
	at            int64
	seq           uint64
	rank          int
	id            identity.ID
}

// later reports whether x comes after y in time (ties: arrival order).
func (x *obs) later(y *obs) bool {
	return x.at > y.at || (x.at == y.at && x.seq > y.seq)
}

// slot is what one identifier keeps of one trait: the value that wins under the
// trait's rule among its own observations (a profile's value is then the winner among
// its identifiers' winners, since each rule picks the best under a total order), or
// for Union each distinct value's first observation.
type slot struct {
	best  *obs
	union []*obs // first observation of each value, in no order (Traits sorts)
	// index finds a value in union once it holds more than indexFrom values. Observe
	// searched union and kept it sorted by inserting: one call cost time linear in
	// the values held, so a Union trait fed many distinct values (pages seen, user
	// agents) took quadratic time, 3 s for 40,000 values of one identifier.
	index map[string]int
}

// indexFrom is the number of Union values from which a slot keeps an index: below it
// a scan is as fast, and most slots (a few tags) never pay for a map.
const indexFrom = 16

// find returns the position in s.union of the value whose key is key, or -1.
func (s *slot) find(key string) int {
	if s.index != nil {
		if i, ok := s.index[key]; ok {
			return i
		}
		return -1
	}
	return slices.IndexFunc(s.union, func(x *obs) bool { return x.key == key })
}

// Book holds trait observations per identifier. It is safe for concurrent use. Make one
// with NewBook, which checks the policy. The zero Book is ready to use: it is the Book
// NewBook(Policy{}) makes (every trait MostRecent, no ranking, no Canonical). A nil
// *Book (the one NewBook returns with an error) holds nothing: Observe fails with
// ErrInvalid, Forget does nothing and Traits returns an empty map.
type Book struct {
	mu     sync.RWMutex
	policy Policy
	rank   map[string]int
	seq    uint64
	slots  map[identity.ID]map[string]*slot
}

// NewBook checks a policy and returns an empty Book. It copies what it needs: changing
// the policy's map or slice afterwards has no effect on the Book.
func NewBook(p Policy) (*Book, error) {
	// The Book reads its rules under its own lock; a map still shared with the host could
	// change under it (a data race), and a rule changed after observations were kept
	// under the old one would mix the two.
	p.Rules, p.Ranking = maps.Clone(p.Rules), slices.Clone(p.Ranking)
	if p.Default == 0 {
		p.Default = MostRecent
	}
	for name, r := range p.Rules {
		if r < MostRecent || r > Union {
			return nil, fmt.Errorf("%w: trait %q: unknown rule %d", ErrInvalid, name, r)
		}
	}
	if p.Default < MostRecent || p.Default > Union {
		return nil, fmt.Errorf("%w: unknown default rule %d", ErrInvalid, p.Default)
	}
	rank := map[string]int{}
	for i, s := range p.Ranking {
		if _, dup := rank[s]; dup {
			return nil, fmt.Errorf("%w: source %q ranked twice", ErrInvalid, s)
		}
		rank[s] = i
	}
	return &Book{policy: p, rank: rank, slots: map[identity.ID]map[string]*slot{}}, nil
}

func (b *Book) rule(trait string) MergeRule {
	if r, ok := b.policy.Rules[trait]; ok {
		return r
	}
	if b.policy.Default == 0 {
		return MostRecent // the zero Book's, as NewBook's default
	}
	return b.policy.Default
}

// shownID is id as identity's messages show an identifier: "kind:value", the kind and
// the value each as english.Name shows a name from data, quoted when it holds a
// character that is not printable. Written raw (ID.String, which is for people), an
// identifier value with a newline forged a line of the host's log, and an escape
// sequence reached its terminal. The widths are the longest a resolver holds, so an
// identifier Observe would keep is shown whole.
func shownID(id identity.ID) string {
	return english.Name(id.Kind, maxIDKindLen) + ":" + english.Name(id.Value, maxIDValueLen)
}

// Observe records an observation. It fails with ErrInvalid, recording nothing, for an
// empty identifier kind or value, an empty trait name, strings that are not UTF-8 or
// longer than the limits (an identifier's kind 64 bytes and value 65535, the most a
// resolver holds), or a zero time or one outside the years 1678-2262 (as
// identity.Resolver.Link).
//
// A blank Value is no observation: once the rest is checked, Observe records nothing
// and returns nil, under every rule. A value is blank when it shows nothing: when it
// is empty or holds only white space and the characters Union ignores wherever they
// stand (the zero-width space, word joiner, byte order mark, soft hyphen and
// bidirectional marks) or where nothing visible is beside them (the zero-width joiner
// and non-joiner, the variation selectors, the Hangul fillers U+115F, U+1160, U+3164
// and U+FFA0, the combining grapheme joiner, Mongolian's free variation selectors and
// vowel separator, the tag characters, the bidirectional embeddings, overrides and
// isolates, and U+2800 BRAILLE PATTERN BLANK): exactly when its Union key is empty.
// An export's blank cell, one holding only a byte order mark or a zero-width space
// left by a copy, or a Hangul filler or a lone variation selector typed where a form
// refuses an empty name, says the channel does not know the trait, not that it is
// blank, and recorded it would win under MostRecent over the name another channel
// knows, and be listed under Union as a value no one can see. A trait cannot be
// cleared by observing "".
func (b *Book) Observe(o Observation) error {
	if b == nil {
		return errNilBook
	}
	// Each check says which part is wrong and how, so that a host can fix its feed. The
	// identifier is checked first, as the other messages quote it.
	switch {
	case len(o.ID.Kind) > maxIDKindLen:
		return fmt.Errorf("%w: observation: identifier kind of %d bytes, over the %d-byte limit", ErrInvalid, len(o.ID.Kind), maxIDKindLen)
	case len(o.ID.Value) > maxIDValueLen:
		return fmt.Errorf("%w: observation: identifier of kind %q with a value of %d bytes, over the %d-byte limit", ErrInvalid, o.ID.Kind, len(o.ID.Value), maxIDValueLen)
	case !utf8.ValidString(o.ID.Kind) || !utf8.ValidString(o.ID.Value):
		return fmt.Errorf("%w: observation: identifier %q is not valid UTF-8", ErrInvalid, o.ID.String())
	case o.Trait == "":
		return fmt.Errorf("%w: observation of %s: empty trait name", ErrInvalid, shownID(o.ID))
	case len(o.Trait) > MaxTraitLen:
		return fmt.Errorf("%w: observation of %s: trait name of %d bytes, over the %d-byte limit", ErrInvalid, shownID(o.ID), len(o.Trait), MaxTraitLen)
	case !utf8.ValidString(o.Trait):
		return fmt.Errorf("%w: observation of %s: trait name %q is not valid UTF-8", ErrInvalid, shownID(o.ID), o.Trait)
	case o.ID.Kind == "":
		return fmt.Errorf("%w: trait %q: identifier %q has an empty kind", ErrInvalid, o.Trait, o.ID.Value)
	case o.ID.Value == "":
		return fmt.Errorf("%w: trait %q: identifier of kind %q has an empty value", ErrInvalid, o.Trait, o.ID.Kind)
	case len(o.Value) > MaxValueLen:
		return fmt.Errorf("%w: trait %q of %s: value of %d bytes, over the %d-byte limit", ErrInvalid, o.Trait, shownID(o.ID), len(o.Value), MaxValueLen)
	case !utf8.ValidString(o.Value):
		return fmt.Errorf("%w: trait %q of %s: value %q is not valid UTF-8", ErrInvalid, o.Trait, shownID(o.ID), o.Value)
	case len(o.Source) > MaxSourceLen:
		return fmt.Errorf("%w: trait %q of %s: source of %d bytes, over the %d-byte limit", ErrInvalid, o.Trait, shownID(o.ID), len(o.Source), MaxSourceLen)
	case !utf8.ValidString(o.Source):
		return fmt.Errorf("%w: trait %q of %s: source %q is not valid UTF-8", ErrInvalid, o.Trait, shownID(o.ID), o.Source)
	case o.At.IsZero():
		return fmt.Errorf("%w: trait %q of %s: zero time", ErrInvalid, o.Trait, shownID(o.ID))
	case o.At.Before(minTime) || o.At.After(maxTime):
		// Observations are ordered by UnixNano, which wraps outside these years: a value
		// seen in 3000 would otherwise lose to one seen today and report 1830 as its time.
		return fmt.Errorf("%w: trait %q of %s: time %v outside the years 1678-2262", ErrInvalid, o.Trait, shownID(o.ID), o.At)
	}
	if blankValue(o.Value) {
		return nil // a blank cell: see above
	}
	id := o.ID
	if b.policy.Canonical != nil {
		id = b.policy.Canonical(id)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.seq++
	rank, ok := b.rank[o.Source]
	if !ok {
		rank = len(b.policy.Ranking)
	}
	n := &obs{value: o.Value, source: o.Source, at: o.At.UnixNano(), seq: b.seq, rank: rank, id: id}
	traits := b.slots[id]
	if traits == nil {
		if b.slots == nil {
			b.slots = map[identity.ID]map[string]*slot{} // the zero Book's first observation
		}
		traits = map[string]*slot{}
		b.slots[id] = traits
	}
	s := traits[o.Trait]
	if s == nil {
		s = &slot{}
		traits[o.Trait] = s
	}
	r := b.rule(o.Trait)
	if r == Union {
		n.key = unionKey(n.value)
		if i := s.find(n.key); i >= 0 {
			if s.union[i].later(n) {
				s.union[i] = n // an earlier sighting (a backfill) is the value's first, its spelling too
			}
			return nil // else a later sighting of a known value: its first one stands
		}
		s.union = append(s.union, n)
		switch {
		case s.index != nil:
			s.index[n.key] = len(s.union) - 1
		case len(s.union) > indexFrom:
			s.index = make(map[string]int, len(s.union))
			for i, x := range s.union {
				s.index[x.key] = i
			}
		}
		return nil
	}
	if s.best == nil || better(r, n, s.best) {
		s.best = n
	}
	return nil
}

// better reports whether x beats y under rule r (r is not Union).
func better(r MergeRule, x, y *obs) bool {
	switch r {
	case FirstSeen:
		return y.later(x)
	case MostTrusted:
		if x.rank != y.rank {
			return x.rank < y.rank
		}
	}
	return x.later(y)
}

// Forget erases every observation kept under ids, for a person's right to be forgotten.
// ids are as the resolver stores them, what Resolver.Identifiers returns (Policy.Canonical
// is not applied to them). Resolver.Forget erases a profile's identifiers but cannot reach
// the Book, where the values observed with them would stay, and come back with the
// profile of anyone who later brings one of those identifiers again (a new account with
// the same e-mail): call Forget with the profile's identifiers before Resolver.Forget.
func (b *Book) Forget(ids ...identity.ID) {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, id := range ids {
		delete(b.slots, id)
	}
}

// Traits derives the traits of a profile from the observations of the identifiers m
// holds in it now, each by its rule, with lineage. A profile with no observations has
// an empty map, and so does a nil m or a nil Book.
func (b *Book) Traits(m Members, profile uint32) map[string]Value {
	if b == nil || m == nil {
		return map[string]Value{}
	}
	ids := m.Identifiers(profile)
	b.mu.RLock()
	defer b.mu.RUnlock()
	best := map[string]*obs{}
	union := map[string][]*obs{}
	for _, id := range ids {
		for trait, s := range b.slots[id] {
			if s.best != nil {
				if cur := best[trait]; cur == nil || better(b.rule(trait), s.best, cur) {
					best[trait] = s.best
				}
			}
			union[trait] = append(union[trait], s.union...)
		}
	}
	out := make(map[string]Value, len(best)+len(union))
	for trait, o := range best {
		out[trait] = Value{Values: []string{o.value}, Lineage: []Lineage{lineage(o)}}
	}
	for trait, all := range union {
		if len(all) == 0 {
			continue
		}
		slices.SortFunc(all, func(x, y *obs) int {
			if x.later(y) {
				return 1
			}
			return -1
		})
		var v Value
		seen := map[string]bool{}
		for _, o := range all {
			if !seen[o.key] {
				seen[o.key] = true
				v.Values = append(v.Values, o.value)
				v.Lineage = append(v.Lineage, lineage(o))
			}
		}
		out[trait] = v
	}
	return out
}

func lineage(o *obs) Lineage {
	return Lineage{ID: o.id, Source: o.source, At: time.Unix(0, o.at).UTC()}
}
