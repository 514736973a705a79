package funnel

import "slices"

// tally accumulates the outcomes of the profiles of one breakdown group. Its memory is
// a few words per profile that entered the funnel; nothing is kept per event.
type tally struct {
	unique, total []int64
	ids           []chunks[uint32] // per step: profiles that reached it, in arrival order
	fromPrev      []chunks[int64]  // per step: nanoseconds from the conversion's previous step
	fromFirst     []chunks[int64]  // per step: nanoseconds from the conversion's first step
	open          chunks[int64]    // entered, did not convert: time of the latest first-step event
}

func newTally(n int) *tally {
	return &tally{
		unique: make([]int64, n), total: make([]int64, n),
		ids: make([]chunks[uint32], n), fromPrev: make([]chunks[int64], n), fromFirst: make([]chunks[int64], n),
	}
}

// add records one profile's outcome. rows are the profile's rows, for times.
func (t *tally) add(profile uint32, o *outcome, rows []row, n int) {
	if o.level == 0 && o.reached == 0 {
		return
	}
	for s := range n {
		if o.reached&(1<<s) != 0 {
			t.unique[s]++
			t.ids[s].add(profile)
		}
	}
	for _, m := range o.passes {
		for s := range n {
			if m&(1<<s) != 0 {
				t.total[s]++
			}
		}
	}
	prev := -1
	for s := range o.level {
		r := o.path[s]
		if r < 0 {
			continue
		}
		if prev >= 0 {
			t.fromPrev[s].add(rows[r].t - rows[o.path[prev]].t)
			t.fromFirst[s].add(rows[r].t - rows[o.path[0]].t)
		}
		prev = s
	}
	if o.level < n {
		t.open.add(o.origin)
	}
}

// merge adds u's counts to t's, sharing u's memory: u must not be read after.
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

// clone copies t deeply enough that merging into the copy leaves t alone.
func (t *tally) clone() *tally {
	c := newTally(len(t.unique))
	c.merge(t)
	return c
}

// chunks is an append-only list kept in fixed-size blocks: growing it never copies, and
// merging two lists only joins their block lists.
type chunks[T any] struct {
	blocks [][]T
	n      int
}

const chunkSize = 1 << 13

func (c *chunks[T]) add(v T) {
	k := len(c.blocks) - 1
	if k < 0 || len(c.blocks[k]) == cap(c.blocks[k]) {
		c.blocks = append(c.blocks, make([]T, 0, chunkSize))
		k++
	}
	c.blocks[k] = append(c.blocks[k], v)
	c.n++
}

// merge appends o's blocks. The blocks are shared, each capped at its length, so that
// neither list's later appends can reach into the other's.
func (c *chunks[T]) merge(o *chunks[T]) {
	for _, b := range o.blocks {
		if len(b) > 0 {
			c.blocks = append(c.blocks, b[:len(b):len(b)])
		}
	}
	c.n += o.n
}

func (c *chunks[T]) all() []T {
	out := make([]T, 0, c.n)
	for _, b := range c.blocks {
		out = append(out, b...)
	}
	return out
}

func chunksOf[T any](vs []T) chunks[T] {
	return chunks[T]{blocks: [][]T{slices.Clip(vs)}, n: len(vs)}
}
