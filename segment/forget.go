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
// with no survivor, but for saved segments (below). A trait value held by no one once
// they are gone is dropped with them, since the value itself (an e-mail address) may
// be what is being erased, and so is a day of an event on which no one else was
// active; the trait key and the event stay, so that queries naming them still
// resolve. Forgetting a profile the index does not know changes nothing but saved
// segments' members, which may still hold it (an ApplyMerge's absorbed profile, until
// the next Refresh); a zero profile fails with ErrInvalid and nothing is forgotten.
//
// The profiles also leave every saved segment's members at once, so that Members and
// the next snapshot hold no trace of them, and no Refresh reports them: not the next
// one, as an exit, nor one already under way, whose evaluation began before Forget.
// An exit would name the erased profile in a Change after the erasure, to be logged
// or forwarded like any other, and would tell the tools changes are forwarded to that
// the person left an audience, when the host must tell them to erase the person: that
// is the host's to do, from OnForget, with the same keys, at once rather than at a
// later Refresh. A host that wants to know which audiences to erase them from reads
// Members before calling Forget. A Change's Size counts members without them.
//
// The index keeps no log; its state persists only in snapshots, so the next snapshot
// lacks the forgotten profiles, but a snapshot written before Forget still holds them:
// the host must replace or delete it, as with any copy.
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
	if x.forgotten != nil {
		x.forgotten.Or(gone) // for the Refresh under way to leave out of what it commits
	}
	// Members first: they may still hold a key the index no longer knows, the absorbed
	// profile of an ApplyMerge whose exit the next Refresh would report.
	for _, sv := range x.saved {
		if sv.members.Intersects(gone) {
			sv.members.AndNot(gone)
			x.changed()
		}
	}
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
		kept := ev.days[:0]
		for _, d := range ev.days {
			if d.present.Intersects(gone) {
				d.present.AndNot(gone)
				if d.extra != nil {
					d.extra.clear(gone)
					d.extra.trim()
					if d.extra.exist.IsEmpty() {
						d.extra = nil // as for a day on which no one repeated the event
					}
				}
			}
			// A day no one else was active on goes: queries answer the same without
			// it, and it would cost every window over it a read from the Budget and a
			// bitmap in every snapshot.
			if !d.present.IsEmpty() {
				kept = append(kept, d)
			}
		}
		clear(ev.days[len(kept):])
		ev.days = kept
	}
	x.known.AndNot(gone)
	x.changed()
	return nil
}
