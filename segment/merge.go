package segment

import (
	"fmt"
	"math"

	"github.com/RoaringBitmap/roaring/v2"
)

// ApplyMerge folds the absorbed profile into the survivor, as when identity reports
// that two keys are one person (call it once for each of identity.Merge's Absorbed):
// every tag and trait value, every day of activity (counts add up) and every numeric
// field move to the survivor, numbers combined by each field's MergeRule (see
// WithNumber); the absorbed key then leaves the index, including Profiles. Merging an
// unknown key changes nothing; a zero key, or a survivor equal to the absorbed, fails
// with ErrInvalid. Saved segments' memberships are left alone, so the next Refresh
// reports the absorbed profile as exited and the survivor as entered where it gained
// membership.
func (x *Index) ApplyMerge(survivor, absorbed uint32) error {
	if x.zero() {
		return errZeroIndex
	}
	if survivor == 0 || absorbed == 0 || survivor == absorbed {
		return fmt.Errorf("%w: merge %d into %d: want two different non-zero profiles", ErrInvalid, absorbed, survivor)
	}
	x.applyMerge(survivor, absorbed)
	return nil
}

// applyMerge folds any number of absorbed profiles into the survivor in one pass over
// the index; an absorbed key equal to the survivor is ignored.
func (x *Index) applyMerge(survivor uint32, absorbed ...uint32) {
	abs := roaring.BitmapOf(absorbed...)
	abs.Remove(survivor)
	if abs.IsEmpty() {
		return
	}
	x.lock()
	defer x.mu.Unlock()
	if !x.known.Intersects(abs) {
		return
	}
	move := func(b *roaring.Bitmap) {
		if b.Intersects(abs) {
			b.AndNot(abs)
			b.Add(survivor)
		}
	}
	for _, values := range x.traits {
		for _, b := range values {
			move(b)
		}
	}
	order := append([]uint32{survivor}, absorbed...)
	for _, f := range x.numbers {
		f.merge(survivor, abs, order)
	}
	for _, ev := range x.events {
		move(ev.older)
		for _, d := range ev.days {
			d.merge(survivor, abs)
		}
	}
	x.known.AndNot(abs)
	x.known.Add(survivor)
	x.changed()
}

// merge combines the values of the profiles in order (survivor first) by the field's
// rule and gives the result to the survivor.
func (f *numField) merge(survivor uint32, abs *roaring.Bitmap, order []uint32) {
	if !f.v.exist.Intersects(abs) {
		return
	}
	var (
		have    bool
		v       int64
		seq, sq int64
		seen    = map[uint32]bool{}
	)
	for _, p := range order {
		if seen[p] || (p != survivor && !abs.Contains(p)) {
			continue
		}
		seen[p] = true
		pv, ok := f.v.get(p)
		if !ok {
			continue
		}
		if f.seq != nil {
			sq, _ = f.seq.get(p)
		}
		switch {
		case !have:
			v, seq = pv, sq
		case f.rule == MergeSum:
			v = addSaturating(v, pv)
		case f.rule == MergeMax:
			v = max(v, pv)
		case f.rule == MergeMin:
			v = min(v, pv)
		case f.rule == MergeLast:
			if sq > seq {
				v, seq = pv, sq
			}
		}
		have = true
	}
	f.v.clear(abs)
	if f.seq != nil {
		f.seq.clear(abs)
	}
	if have {
		f.v.set(survivor, v)
		if f.seq != nil {
			f.seq.set(survivor, seq)
		}
	}
	f.v.trim()
}

// addSaturating adds without wrapping: sums beyond the int64 range stop at its ends.
func addSaturating(a, b int64) int64 {
	s := a + b
	switch {
	case a > 0 && b > 0 && s < 0:
		return math.MaxInt64
	case a < 0 && b < 0 && s >= 0:
		return math.MinInt64
	}
	return s
}

// merge moves the day's activity of abs to the survivor, adding their counts.
func (d *dayBits) merge(survivor uint32, abs *roaring.Bitmap) {
	if !d.present.Intersects(abs) {
		return
	}
	var total int64
	for _, p := range append(abs.ToArray(), survivor) {
		if !d.present.Contains(p) {
			continue
		}
		total++
		if d.extra != nil {
			e, _ := d.extra.get(p)
			total += e
		}
	}
	d.present.AndNot(abs)
	d.present.Add(survivor)
	if d.extra != nil {
		d.extra.clear(abs)
	}
	if total > 1 {
		if d.extra == nil {
			d.extra = newBSI(false)
		}
		d.extra.set(survivor, total-1)
	}
}
