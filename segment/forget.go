package segment

import (
	"fmt"

	"github.com/RoaringBitmap/roaring/v2"
)

// Forget erases profiles from the index, as when identity reports that a person was
// forgotten (call it with identity's Forgotten.Profiles from OnForget): every tag and
// trait value, every numeric field's value and every day of activity (including the
// days retention has folded into who was active before them) of the profiles is
// dropped, and they leave Profiles, so that no query finds them. It is ApplyMerge
// with no survivor. A trait value held by no one once they are gone is dropped with
// them, since the value itself (an e-mail address) may be what is being erased.
// Forgetting a profile the index does not know changes nothing; a zero profile fails
// with ErrInvalid and nothing is forgotten.
//
// Saved segments' memberships are left as of the last Refresh, as for ApplyMerge's
// absorbed profiles: the next Refresh reports a forgotten member as exited, which is
// how the host learns to erase it from the tools it forwards changes to, and from then
// on Members no longer lists it. Until that Refresh, Members, and a snapshot written by
// WriteTo or SaveTo, still hold the key (only the key, in those segments' members):
// Refresh before writing a snapshot that must hold no trace of it. The index keeps no
// log; its state persists only in snapshots, so the next snapshot lacks the forgotten
// profiles, but a snapshot written before Forget still holds them: the host must
// replace or delete it, as with any copy.
func (x *Index) Forget(profiles ...uint32) error {
	if x.zero() {
		return errZeroIndex
	}
	for _, p := range profiles {
		if p == 0 {
			return fmt.Errorf("%w: forget profile 0: profiles are non-zero", ErrInvalid)
		}
	}
	gone := roaring.BitmapOf(profiles...)
	if gone.IsEmpty() {
		return nil
	}
	x.lock()
	defer x.mu.Unlock()
	if !x.known.Intersects(gone) {
		return nil
	}
	for _, values := range x.traits {
		for v, b := range values {
			if b.Intersects(gone) {
				b.AndNot(gone)
				if b.IsEmpty() {
					delete(values, v)
				}
			}
		}
	}
	for _, f := range x.numbers {
		if f.v.exist.Intersects(gone) {
			f.v.clear(gone)
			f.v.trim()
			if f.seq != nil {
				f.seq.clear(gone)
				f.seq.trim()
			}
		}
	}
	for _, ev := range x.events {
		ev.older.AndNot(gone)
		for _, d := range ev.days {
			if !d.present.Intersects(gone) {
				continue
			}
			d.present.AndNot(gone)
			if d.extra != nil {
				d.extra.clear(gone)
				d.extra.trim()
			}
		}
	}
	x.known.AndNot(gone)
	x.changed()
	return nil
}
