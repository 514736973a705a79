package identity

const (
	pageBits = 16
	pageSize = 1 << pageBits
	pageMask = pageSize - 1
)

// column is a growable array kept in pages of pageSize elements. Growing it never copies
// what it holds and never reserves more than one page beyond its length: an append-grown
// slice holds up to twice what it uses and copies everything at each doubling, which at
// tens of millions of identifiers costs both memory per identifier and long pauses. The
// first page grows like a slice, so that small resolvers stay small.
type column[T any] struct {
	pages [][]T
	n     uint32
}

func (c *column[T]) len() uint32 { return c.n }

func (c *column[T]) at(i uint32) T { return c.pages[i>>pageBits][i&pageMask] }

func (c *column[T]) set(i uint32, v T) { c.pages[i>>pageBits][i&pageMask] = v }

func (c *column[T]) ref(i uint32) *T { return &c.pages[i>>pageBits][i&pageMask] }

// push appends v and returns its index.
func (c *column[T]) push(v T) uint32 {
	i := c.n
	p := int(i >> pageBits)
	if p == len(c.pages) {
		capacity := pageSize
		if p == 0 {
			capacity = 64
		}
		c.pages = append(c.pages, make([]T, 0, capacity))
	}
	c.pages[p] = append(c.pages[p], v)
	c.n++
	return i
}

// bytes is the memory the column holds, for Stats.
func (c *column[T]) bytes(elem int) int {
	n := 0
	for _, p := range c.pages {
		n += cap(p) * elem
	}
	return n
}

// truncate keeps the first n elements, as if the others had never been pushed.
func (c *column[T]) truncate(n uint32) {
	if n >= c.n {
		return
	}
	need := int((n + pageMask) >> pageBits)
	clear(c.pages[need:])
	c.pages = c.pages[:need]
	if need > 0 {
		last := need - 1
		c.pages[last] = c.pages[last][:n-uint32(last)<<pageBits]
	}
	c.n = n
}
