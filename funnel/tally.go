package funnel

import (
	"math/bits"
	"slices"
	"sync"
)

// tally accumulates the outcomes of the profiles of one breakdown group. Its memory is
// a few words per profile that entered the funnel; nothing is kept per event.
type tally struct {
	unique, total []int64
	ids           []idSet  // per step: profiles that reached it
	fromPrev      []chunks // per step: nanoseconds from the conversion's previous step
	fromFirst     []chunks // per step from 2 on: nanoseconds from the conversion's first step (for step 1 it is fromPrev)
	open          chunks   // entered, did not convert: time of the latest first-step event
}

func newTally(n int) *tally {
	return &tally{
		unique: make([]int64, n), total: make([]int64, n),
		ids: make([]idSet, n), fromPrev: make([]chunks, n), fromFirst: make([]chunks, n),
	}
}

// add records one profile's outcome, whose times o.at are set.
func (t *tally) add(profile uint32, o *outcome, n int) {
	if o.level == 0 && o.reached == 0 {
		return
	}
	// Only the bits set are visited: most profiles reach one or two steps.
	for m := o.reached; m != 0; m &= m - 1 {
		s := bits.TrailingZeros32(m)
		t.unique[s]++
		t.ids[s].add(profile)
	}
	for _, m := range o.passes {
		for ; m != 0; m &= m - 1 {
			t.total[bits.TrailingZeros32(m)]++
		}
	}
	prev := -1
	for s := range o.level {
		if o.path[s] < 0 {
			continue
		}
		if prev >= 0 {
			t.fromPrev[s].add(o.at[s] - o.at[prev])
			// The first step is never optional, so at step 1 the previous step is
			// the first: one list serves both (a third of all durations kept).
			if s > 1 {
				t.fromFirst[s].add(o.at[s] - o.at[0])
			}
		}
		prev = s
	}
	if o.level < n {
		t.open.add(o.origin)
	}
}

// timesFromFirst returns the list of step s's times from the first step.
func (t *tally) timesFromFirst(s int) *chunks {
	if s == 1 {
		return &t.fromPrev[1]
	}
	return &t.fromFirst[s]
}

// merge adds u's counts to t's, sharing u's duration blocks, which must not be
// appended to after; u is only read.
func (t *tally) merge(u *tally) {
	for s := range t.unique {
		t.unique[s] += u.unique[s]
		t.total[s] += u.total[s]
		t.ids[s].merge(&u.ids[s])
		t.fromPrev[s].merge(&u.fromPrev[s])
		t.fromFirst[s].merge(&u.fromFirst[s])
	}
	t.open.merge(&u.open)
}

// chunks is an append-only list of int64 (durations, times) kept in fixed-size blocks:
// growing it never copies, and merging two lists only joins their block lists. It is
// not generic: with a type parameter add was compiled as a call through a dictionary,
// too large to inline, and adding cost three times as much.
type chunks struct {
	blocks [][]int64
	n      int
}

const chunkSize = 1 << 13

// add appends v; its common case, room in the last block, is inlined into the scan.
func (c *chunks) add(v int64) {
	if k := len(c.blocks) - 1; k >= 0 && len(c.blocks[k]) < cap(c.blocks[k]) {
		c.blocks[k] = append(c.blocks[k], v)
		c.n++
		return
	}
	c.addBlock(v)
}

// addBlock appends v in a new block, out of line so that add stays small.
//
//go:noinline
func (c *chunks) addBlock(v int64) {
	c.blocks = append(c.blocks, append(newBlock(), v))
	c.n++
}

// merge appends o's blocks. The blocks are shared, each capped at its length, so that
// neither list's later appends can reach into the other's.
func (c *chunks) merge(o *chunks) {
	for _, b := range o.blocks {
		if len(b) > 0 {
			c.blocks = append(c.blocks, b[:len(b):len(b)])
		}
	}
	c.n += o.n
}

func (c *chunks) all() []int64 {
	out := make([]int64, 0, c.n)
	for _, b := range c.blocks {
		out = append(out, b...)
	}
	return out
}

func chunksOf(vs []int64) chunks {
	return chunks{blocks: [][]int64{slices.Clip(vs)}, n: len(vs)}
}

// blockPool holds duration blocks (cap chunkSize) that Run, RunSeq and RunBatch took
// back from their partials once the Result had copied the durations out, for the next
// computation to fill. Fresh blocks were a third of the memory a funnel over a batch
// allocates, and each new page of it is a page fault: on the 2-vCPU VM of BENCHMARKS.md
// a fault costs the faulting core several microseconds the other core cannot overlap.
var blockPool sync.Pool // of *[]int64

// newBlock returns an empty block of capacity chunkSize, a recycled one if there is one.
func newBlock() []int64 {
	if p, ok := blockPool.Get().(*[]int64); ok {
		return (*p)[:0]
	}
	return make([]int64, 0, chunkSize)
}

// recycle hands c's blocks of full capacity to blockPool and empties c. Only the
// owner of every reference to the blocks may call it: a list that shared its blocks
// (merge, or a Result's open attempts) must not be recycled while they are read.
func (c *chunks) recycle() {
	for _, b := range c.blocks {
		if cap(b) != chunkSize {
			continue // a block capped by merge, or decoded: not one of ours
		}
		b = b[:0]
		blockPool.Put(&b)
	}
	*c = chunks{}
}
