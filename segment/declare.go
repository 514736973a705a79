package segment

import (
	"fmt"
	"slices"
)

// DeclareEvents declares event names on an index that exists already, as WithEvents
// does for NewIndex, so that queries may name them before any is recorded. It serves an
// index read from a snapshot (Load, Open and ReadSnapshot take no options) whose host
// declares names the snapshot does not hold. Events are known by name alone, so a name
// declared here is the same event as one recorded, declared with WithEvents or read
// from a snapshot: declaring a known name changes nothing. A declared name is written
// to every snapshot like a recorded event and stays known, so that the saved segments
// naming it still resolve when the snapshot is read, whatever the reader declares. An
// empty name is ErrInvalid, and then nothing is declared.
func (x *Index) DeclareEvents(names ...string) error {
	if x.zero() {
		return errZeroIndex
	}
	for i, n := range names {
		if n == "" {
			return fmt.Errorf("%w: DeclareEvents: name %d of %d is empty; nothing declared", ErrInvalid, i+1, len(names))
		}
	}
	x.lock()
	defer x.mu.Unlock()
	for _, n := range names {
		x.event(n)
	}
	return nil
}

// DeclareTraits declares trait keys (the part before ":" in plan:pro; "tag" for bare
// tags) on an index that exists already, as WithTraits does for NewIndex, so that
// queries may name them at once; they match no one until a profile carries a value.
// Trait keys are known by name alone, like events: declaring a known key, one tagged,
// declared with WithTraits or read from a snapshot, changes nothing. A declared key is
// written to every snapshot and stays known, so that the saved segments naming it
// still resolve when the snapshot is read. An empty key is ErrInvalid, as WithTraits
// refuses it, and then nothing is declared.
func (x *Index) DeclareTraits(keys ...string) error {
	if x.zero() {
		return errZeroIndex
	}
	if i := slices.Index(keys, ""); i >= 0 {
		return fmt.Errorf("%w: DeclareTraits: key %d of %d is empty; nothing declared", ErrInvalid, i+1, len(keys))
	}
	x.lock()
	defer x.mu.Unlock()
	for _, k := range keys {
		x.traitKey(k)
	}
	return nil
}

// DeclareNumber declares a numeric field and the rule by which ApplyMerge combines its
// values on an index that exists already, as WithNumber does for NewIndex, so that
// queries may name the field at once; it matches no one until a value is set. A
// field's rule is fixed once the field exists, since the values and merges so far were
// made by it (and MergeLast needs a write sequence for every value): declaring a field
// the index has with the same rule changes nothing, and with another rule is ErrInvalid
// naming both, the field keeping its rule. A field SetNumber made without a
// declaration has MergeSurvivor. The declaration, rule included, is written to every
// snapshot. An empty field or a rule that is not one of the MergeRule constants is
// ErrInvalid, as WithNumber refuses them, and nothing is declared.
func (x *Index) DeclareNumber(field string, rule MergeRule) error {
	if x.zero() {
		return errZeroIndex
	}
	if why := badNumber(field, rule); why != "" {
		return fmt.Errorf("%w: DeclareNumber(%q, %v): %s; nothing declared", ErrInvalid, field, rule, why)
	}
	x.lock()
	defer x.mu.Unlock()
	if f := x.numbers[field]; f != nil {
		if f.rule != rule {
			return fmt.Errorf("%w: DeclareNumber(%q, %v): the field has rule %v already; nothing declared", ErrInvalid, field, rule, f.rule)
		}
		return nil
	}
	x.declareNumber(field, rule)
	return nil
}

// badNumber says what is wrong with declaring field with rule whatever the index
// holds, or returns "": the one check of WithNumber and DeclareNumber.
func badNumber(field string, rule MergeRule) string {
	switch {
	case field == "":
		return "empty field name"
	case rule > MergeLast:
		return "unknown merge rule"
	}
	return ""
}

// declareNumber adds a field that has no values yet; NewIndex's and DeclareNumber's
// one way to do so, so that both make the same field (and the same snapshot).
func (x *Index) declareNumber(field string, rule MergeRule) {
	f := x.field(field)
	f.rule = rule
	if rule == MergeLast {
		f.seq = newBSI(false)
	}
}

// Events returns the names of the events q names (did, count, days, first, lapsed...),
// sorted, each once: the events an index must know before it accepts q. A host that
// receives a definition an index with other declarations accepted (another replica's)
// declares them with DeclareEvents before it saves it.
func (q *Query) Events() []string {
	var names []string
	var walk func(n node)
	walk = func(n node) {
		if a, ok := n.(*actNode); ok {
			names = append(names, a.event)
		}
		eachOperand(n, walk)
	}
	if q != nil && q.root != nil {
		walk(q.root)
	}
	slices.Sort(names)
	return slices.Compact(names)
}
