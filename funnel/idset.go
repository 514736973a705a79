package funnel

import (
	"slices"

	"github.com/RoaringBitmap/roaring/v2"
)

// idSet collects profile ids into a roaring bitmap, the memory being the bitmap's
// (about a bit a profile when ids are dense) rather than four bytes a profile.
//
// Ids first gather in a short buffer that AddMany empties into the bitmap. A batch
// scan's ids ascend within each worker, though, and AddMany costs about 70
// instructions an id (a container call and a store back per id), a twelfth of a funnel
// over a batch. So once a full buffer shows ids that ascend densely (a buffer's worth
// within one block of 2^16 ids: a roaring container's span), the set opens a window:
// the block's ids as a dense bitmap of 8 KB, an id set with one OR, that joins the
// bitmap as one container when an id of another block comes. A window that closes with
// few ids means the ids jump between blocks; the set then keeps to the buffer. Only a
// set that has seen a dense buffer holds a window, so the 8 KB is never more than eight
// bytes an id: a breakdown into thousands of small groups costs what it did.
type idSet struct {
	bm      *roaring.Bitmap
	pending []uint32
	win     *idWindow // nil: none open
	sparse  bool      // a window closed with few ids: keep to pending
}

// idWindow is one block's ids as a dense bitmap.
type idWindow struct {
	key   uint32 // the block: its ids >> 16
	words [1 << 10]uint64
}

const (
	idSetFlush = 1 << 10
	// windowMin is the fewest ids a window must have gathered when it closes for the
	// set to open the next one: closing copies and clears 8 KB a few times, about what
	// AddMany spends on this many ids.
	windowMin = 1 << 9
)

// add adds id: into the open window if it is the window's block (about a dozen
// instructions), else by addSlow.
func (c *idSet) add(id uint32) {
	if w := c.win; w != nil && id>>16 == w.key {
		w.words[uint16(id)>>6] |= 1 << (id & 63)
		return
	}
	c.addSlow(id)
}

// addSlow adds an id that falls outside the open window, if any. It is kept out of
// line so that add stays small.
//
//go:noinline
func (c *idSet) addSlow(id uint32) {
	if w := c.win; w != nil {
		if c.closeWindow() < windowMin {
			c.win, c.sparse = nil, true
		} else {
			w.key = id >> 16
			c.add(id)
			return
		}
	}
	c.pending = append(c.pending, id)
	if len(c.pending) == idSetFlush {
		c.flush()
	}
}

// flush empties the buffer into the bitmap and, if its ids ascend within one block,
// opens a window on that block.
func (c *idSet) flush() {
	if len(c.pending) == 0 {
		return
	}
	if c.bm == nil {
		c.bm = roaring.New()
	}
	c.bm.AddMany(c.pending)
	first, last := c.pending[0], c.pending[len(c.pending)-1]
	if !c.sparse && c.win == nil && len(c.pending) == idSetFlush && first>>16 == last>>16 && slices.IsSorted(c.pending) {
		c.win = &idWindow{key: last >> 16}
	}
	c.pending = c.pending[:0]
}

// closeWindow adds the open window's ids to the bitmap, empties the window and
// returns how many ids it held.
func (c *idSet) closeWindow() int {
	w := c.win
	x := w.bitmap()
	if c.bm == nil {
		c.bm = roaring.New()
	}
	c.bm.Or(x)
	clear(w.words[:])
	return int(x.GetCardinality())
}

// bitmap returns a new bitmap of w's ids (empty if it has none).
func (w *idWindow) bitmap() *roaring.Bitmap {
	bm := roaring.FromDense(w.words[:], true) // the block at key 0
	if w.key != 0 {
		bm = roaring.AddOffset64(bm, int64(w.key)<<16)
	}
	return bm
}

// merge adds o's ids to c's; o is only read.
func (c *idSet) merge(o *idSet) {
	if o.bm != nil {
		if c.bm == nil {
			c.bm = o.bm.Clone()
		} else {
			c.bm.Or(o.bm)
		}
	}
	if o.win != nil {
		if c.bm == nil {
			c.bm = roaring.New()
		}
		c.bm.Or(o.win.bitmap())
	}
	for _, id := range o.pending {
		c.add(id)
	}
}

// bitmap returns a new bitmap of c's ids, sharing nothing with c.
func (c *idSet) bitmap() *roaring.Bitmap {
	bm := roaring.New()
	if c.bm != nil {
		bm = c.bm.Clone()
	}
	if c.win != nil {
		bm.Or(c.win.bitmap())
	}
	bm.AddMany(c.pending)
	return bm
}

// settle moves the ids of c's window and buffer into its bitmap and closes the
// window, so that parts returns the bitmap alone: a partial that takes merge after
// merge would otherwise build its window's bitmap again for each. The ids stay the
// same; the set only stops gathering a block into a window until a buffer of
// ascending ids opens one again, which a merge's adds do not need.
func (c *idSet) settle() {
	if c.win != nil {
		c.closeWindow()
		c.win = nil
	}
	c.flush()
}

// parts appends to dst the bitmaps that together hold c's ids, to be only read: its
// bitmap itself, not a copy, and one built of its window and buffer if it has them (at
// most a block of 2^16 ids and a buffer, so building it costs a bounded few µs).
func (c *idSet) parts(dst []*roaring.Bitmap) []*roaring.Bitmap {
	if c.bm != nil && !c.bm.IsEmpty() {
		dst = append(dst, c.bm)
	}
	if c.win == nil && len(c.pending) == 0 {
		return dst
	}
	extra := roaring.New()
	if c.win != nil {
		extra = c.win.bitmap()
	}
	extra.AddMany(c.pending)
	if !extra.IsEmpty() {
		dst = append(dst, extra)
	}
	return dst
}

// overlap returns how many ids are in one of the sets a and in one of the sets b, the
// sets being only read. It is for checking that two partials hold disjoint profiles
// (see Partial), on every merge, so it only asks Intersects, which copies nothing,
// and counts only when there is an overlap. a is the receiver of merges (settled, so
// one bitmap a set) and b the shard merged into it.
func overlap(a, b []*idSet) uint64 {
	var pa, pb []*roaring.Bitmap
	for _, s := range a {
		pa = s.parts(pa)
	}
	for _, s := range b {
		pb = s.parts(pb)
	}
	return overlapBitmaps(pa, pb)
}

// overlapBitmaps returns how many ids are in one of pa and in one of pb (see overlap).
//
// Pair by pair, the cost grows with the product of the two sides' sets: each pair
// walks both bitmaps where their containers share keys, and a breakdown's groups all
// share the same keys (in the bench, seven groups a side checked pair by pair cost
// about as much as the merge). So with more than a couple of sets on b's side, b's
// are joined into one union first, one pass over the shard; each of a's then meets
// it once, and where the union's containers are dense (bitmap containers) an
// Intersects costs a lookup per id of a's set: a pass over a's ids in all.
func overlapBitmaps(pa, pb []*roaring.Bitmap) uint64 {
	if len(pa) == 0 || len(pb) == 0 {
		return 0
	}
	if len(pb) > 1 && len(pa)*len(pb) > 4 {
		pb = []*roaring.Bitmap{roaring.FastOr(pb...)}
	}
	hit := false
	for _, x := range pa {
		for _, y := range pb {
			if x.Intersects(y) {
				hit = true
			}
		}
	}
	if !hit {
		return 0
	}
	return roaring.FastOr(pa...).AndCardinality(roaring.FastOr(pb...))
}
