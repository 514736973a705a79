package segment

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/RoaringBitmap/roaring/v2"
)

// Overlap describes two audiences A and B: their sizes, intersection and union,
// computed with AndCardinality without building either set. It is a plain value.
type Overlap struct {
	A, B, Both, Either uint64
}

// OverlapOf measures the overlap of a and b, which it does not modify. A nil bitmap is
// an empty audience.
func OverlapOf(a, b *roaring.Bitmap) Overlap {
	if a == nil {
		a = roaring.New()
	}
	if b == nil {
		b = roaring.New()
	}
	o := Overlap{A: a.GetCardinality(), B: b.GetCardinality(), Both: a.AndCardinality(b)}
	o.Either = o.A + o.B - o.Both
	return o
}

// Jaccard returns |A ∩ B| / |A ∪ B| (Jaccard 1901), 0 when both are empty.
func (o Overlap) Jaccard() float64 {
	if o.Either == 0 {
		return 0
	}
	return float64(o.Both) / float64(o.Either)
}

// Share is the part of an audience that carries one value of a trait.
type Share struct {
	Value    string
	None     bool    // the members with no value of the key (Value is then "")
	Count    uint64  // members of the audience with the value
	Fraction float64 // Count / audience size
}

// Breakdown splits an audience by the values of a trait key, largest share first (ties
// by value). A profile with several values of the key counts under each; members with
// none are reported last, in a Share with None set, if there are any.
func (x *Index) Breakdown(audience *roaring.Bitmap, key string) ([]Share, error) {
	if x.zero() {
		return nil, errZeroIndex
	}
	if audience == nil {
		return nil, fmt.Errorf("%w: breakdown by %q: nil audience (pass Profiles() for everyone)", ErrInvalid, key)
	}
	x.rlock()
	defer x.mu.RUnlock()
	values, ok := x.traits[key]
	if !ok {
		return nil, fmt.Errorf("%w: breakdown by %q%s", ErrUnknownField, key, suggest(nearest(key, x.traits)))
	}
	size := audience.GetCardinality()
	frac := func(n uint64) float64 {
		if size == 0 {
			return 0
		}
		return float64(n) / float64(size)
	}
	var out []Share
	withSome := make([]*roaring.Bitmap, 0, len(values))
	for v, b := range values {
		if n := audience.AndCardinality(b); n > 0 {
			out = append(out, Share{Value: v, Count: n, Fraction: frac(n)})
			withSome = append(withSome, b)
		}
	}
	slices.SortFunc(out, func(a, b Share) int {
		if c := cmp.Compare(b.Count, a.Count); c != 0 {
			return c
		}
		return cmp.Compare(a.Value, b.Value)
	})
	if missing := size - audience.AndCardinality(roaring.FastOr(withSome...)); missing > 0 {
		out = append(out, Share{None: true, Count: missing, Fraction: frac(missing)})
	}
	return out, nil
}

// Lift says how much more common a trait value is in an audience than in the whole
// base (every profile the index knows): Lift = (InAudience/|audience|) / (InBase/|base|).
// A lift of 3 means members are three times as likely as the average profile to carry
// the value; it is the first line of a user portrait.
type Lift struct {
	Key, Value string
	InAudience uint64  // members carrying the value
	InBase     uint64  // profiles carrying the value
	Lift       float64 // the ratio of the two rates
}

// Distinguish returns the k trait values with the highest lift in audience, among those
// carried by at least minSupport members (small counts make wild lifts; a support of a
// few dozen is a sensible floor). Ties go to the larger InAudience, then key and value.
func (x *Index) Distinguish(audience *roaring.Bitmap, k int, minSupport uint64) ([]Lift, error) {
	if x.zero() {
		return nil, errZeroIndex
	}
	switch {
	case k < 0:
		return nil, fmt.Errorf("%w: distinguish: k = %d", ErrInvalid, k)
	case audience == nil:
		return nil, fmt.Errorf("%w: distinguish: nil audience (pass Profiles() for everyone)", ErrInvalid)
	}
	x.rlock()
	defer x.mu.RUnlock()
	size := audience.AndCardinality(x.known)
	base := x.known.GetCardinality()
	if size == 0 || k == 0 {
		return nil, nil
	}
	var out []Lift
	for key, values := range x.traits {
		for v, b := range values {
			in := audience.AndCardinality(b)
			if in == 0 || in < minSupport {
				continue
			}
			all := b.GetCardinality()
			out = append(out, Lift{Key: key, Value: v, InAudience: in, InBase: all,
				Lift: (float64(in) / float64(size)) / (float64(all) / float64(base))})
		}
	}
	slices.SortFunc(out, func(a, b Lift) int {
		if c := cmp.Compare(b.Lift, a.Lift); c != 0 {
			return c
		}
		if c := cmp.Compare(b.InAudience, a.InAudience); c != 0 {
			return c
		}
		if c := cmp.Compare(a.Key, b.Key); c != 0 {
			return c
		}
		return cmp.Compare(a.Value, b.Value)
	})
	if len(out) > k {
		out = out[:k]
	}
	return out, nil
}
