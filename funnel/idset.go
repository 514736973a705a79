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
