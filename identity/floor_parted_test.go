package identity_test

import (
	"fmt"
	"hash/maphash"
	"math/bits"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
)

// parted is the floor's work (floor_test.go) arranged for a whole batch at once, as a
// backfill has it, to measure what a redesign of the bulk path's interning could reach
// (issue #18). floor interns one identifier after another in one table far larger than
// the caches, so nearly every lookup waits on memory. parted is a radix-partitioned
// grouping, as hash joins partition their inputs (Manegold, Boncz, Kersten, "Optimizing
// main-memory join on modern hardware", IEEE TKDE 14(4), 2002):
//
//  1. it hashes every identifier of the batch (both cores, each half of the batch);
//  2. scatters them, values copied along, by the hash's top bits into buckets of a few
//     thousand, in batch order within each (both cores);
//  3. groups each bucket's occurrences by identifier (hash, then value) in a table of
//     the bucket's own, which with the bucket's entries and values stays in the core's
//     L2 cache (both cores, a bucket at a time), numbering the bucket's identifiers;
//  4. numbers the identifiers in order of first occurrence in the batch, as Link does,
//     appending each new value to the arena (the caller's core, reading in order);
//  5. gives every occurrence its identifier's node, and turns each bucket's table into
//     the lasting index, its slots holding node numbers (both cores);
//  6. unites each event's two, as floor does (the caller's core).
//
// The bucket tables together are the batch's identifier index (the top bits choose the
// table), so nothing is built twice. It leaves out what floor leaves out, and a batch on
// a resolver already holding identifiers (step 3 would probe the bucket's lasting table
// first): a first backfill, the case issue #18 is about. Offsets are 32-bit: a batch
// holds at most 4 GB of values.
type parted struct {
	seed maphash.Seed
	// hash is the identifiers' hash; the tests replace it with a weak one, to make
	// collisions common.
	hash func(seed maphash.Seed, kind uint8, value string) uint64

	hs     []uint64 // per occurrence
	ents   []pent   // occurrences, grouped by bucket, in batch order within one
	vals   []byte   // their values, bucket by bucket
	starts []int    // bucket k is ents[starts[k]:starts[k+1]]
	first  []uint32 // per occurrence: 1 + its number in its bucket if it is its identifier's first, else 0
	nodes  [][]uint32
	node   []uint32 // per occurrence: its identifier's node
	tables [][]uint32

	arena []byte
	count uint32 // identifiers
	f     *floor // parent, size and hist, as floor keeps them
}

// pent is an occurrence in its bucket: its hash, its index in the batch, its value in
// vals, and its identifier's number in the bucket.
type pent struct {
	h    uint64
	j    uint32
	off  uint32
	loc  uint32
	n    uint8
	kind uint8
}

func floorHash(seed maphash.Seed, kind uint8, value string) uint64 {
	return maphash.String(seed, value) ^ uint64(kind)*0x9e3779b97f4a7c15
}

// newParted returns a parted for a batch of occ occurrences and capacity identifiers.
// The batch's own buffers are allocated and written here, as a bulk path would keep
// them from one batch to the next: a fresh buffer's first writes fault its pages in,
// a cost of the first batch only.
func newParted(capacity, occ int) *parted {
	f := &floor{
		parent: make([]uint32, 0, capacity),
		size:   make([]uint32, 0, capacity),
		hist:   make([]uint64, 0, 3*capacity),
	}
	p := &parted{seed: maphash.MakeSeed(), hash: floorHash, f: f, arena: make([]byte, 0, 46*capacity)}
	p.hs = touched(make([]uint64, occ))
	p.ents = touched(make([]pent, occ))
	p.first = touched(make([]uint32, occ))
	p.node = touched(make([]uint32, occ))
	p.vals = touched(make([]byte, 0, 48*occ))
	return p
}

// touched writes every page of s's backing array.
func touched[T any](s []T) []T {
	var zero T
	full := s[:cap(s)]
	for i := range full {
		full[i] = zero
	}
	return s
}

// bucketBits chooses about 4,096 occurrences a bucket: its entries, values and table
// stay in a core's L2 cache.
func bucketBits(occ int) int {
	return max(0, min(12, bits.Len(uint(occ/4096))))
}

// link interns and unites the events of ids (two identifiers each, values in blob).
func (p *parted) link(blob string, ids []sid, at int64) {
	occ := len(ids)
	b := bucketBits(occ)
	nb := 1 << b
	bucket := func(h uint64) int {
		if b == 0 {
			return 0 // a shift by 64 would keep the top bit
		}
		return int(h >> (64 - b))
	}
	p.hs, p.ents, p.first, p.node = grown(p.hs, occ), grown(p.ents, occ), grown(p.first, occ), grown(p.node, occ)
	clear(p.first)
	p.tables = make([][]uint32, nb)
	p.nodes = make([][]uint32, nb)
	const workers = 2
	var counts, sizes [workers][]int
	half := (occ + 1) / 2
	both := func(work func(w, lo, hi int)) {
		var wg sync.WaitGroup
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				work(w, min(occ, w*half), min(occ, (w+1)*half))
			}()
		}
		wg.Wait()
	}
	// buckets runs work on every bucket, both cores taking the next one free.
	buckets := func(work func(k int)) {
		var next atomic.Int64
		both(func(int, int, int) {
			for k := int(next.Add(1) - 1); k < nb; k = int(next.Add(1) - 1) {
				work(k)
			}
		})
	}
	// 1. Hash, and count each half's occurrences and value bytes per bucket.
	both(func(w, lo, hi int) {
		c, z := make([]int, nb), make([]int, nb)
		for j := lo; j < hi; j++ {
			id := ids[j]
			h := p.hash(p.seed, id.kind, blob[id.off:id.off+uint32(id.n)])
			p.hs[j] = h
			k := bucket(h)
			c[k]++
			z[k] += int(id.n)
		}
		counts[w], sizes[w] = c, z
	})
	// 2. Scatter: within a bucket, the first half's occurrences precede the second's,
	// so each bucket holds its occurrences in batch order.
	p.starts = make([]int, nb+1)
	var offs, voffs [workers][]int
	for w := range workers {
		offs[w], voffs[w] = make([]int, nb), make([]int, nb)
	}
	pos, vpos := 0, 0
	for k := range nb {
		p.starts[k] = pos
		for w := range workers {
			offs[w][k], voffs[w][k] = pos, vpos
			pos += counts[w][k]
			vpos += sizes[w][k]
		}
	}
	p.starts[nb] = pos
	p.vals = grown(p.vals, vpos)
	both(func(w, lo, hi int) {
		o, vo := offs[w], voffs[w]
		for j := lo; j < hi; j++ {
			h := p.hs[j]
			k := bucket(h)
			id := ids[j]
			p.ents[o[k]] = pent{h: h, j: uint32(j), off: uint32(vo[k]), n: id.n, kind: id.kind}
			copy(p.vals[vo[k]:], blob[id.off:id.off+uint32(id.n)])
			o[k]++
			vo[k] += int(id.n)
		}
	})
	// 3. Group each bucket's occurrences by identifier, in a table of its own.
	buckets(func(k int) {
		es := p.ents[p.starts[k]:p.starts[k+1]]
		size := 1 << bits.Len(uint(2*len(es)))
		t := make([]uint32, size)
		mask := uint32(size - 1)
		var loc uint32
		for i := range es {
			e := &es[i]
			v := p.vals[e.off : e.off+uint32(e.n)]
			for s := uint32(e.h) & mask; ; s = (s + 1) & mask {
				u := t[s]
				if u == 0 {
					t[s] = uint32(i + 1)
					e.loc = loc
					loc++
					p.first[e.j] = loc
					break
				}
				if f := &es[u-1]; f.h == e.h && f.kind == e.kind && string(p.vals[f.off:f.off+uint32(f.n)]) == string(v) {
					e.loc = f.loc
					break
				}
			}
		}
		p.tables[k], p.nodes[k] = t, make([]uint32, loc)
	})
	// 4. Number the identifiers in order of first occurrence.
	for j, loc := range p.first {
		if loc != 0 {
			id := ids[j]
			p.nodes[bucket(p.hs[j])][loc-1] = p.add(id.kind, blob[id.off:id.off+uint32(id.n)])
		}
	}
	// 5. Every occurrence's node, and the tables' slots as node numbers (+1; 0 stays
	// empty).
	buckets(func(k int) {
		es, nodes, t := p.ents[p.starts[k]:p.starts[k+1]], p.nodes[k], p.tables[k]
		for _, e := range es {
			p.node[e.j] = nodes[e.loc]
		}
		for s, u := range t {
			if u != 0 {
				t[s] = nodes[es[u-1].loc] + 1
			}
		}
	})
	// 6. Unite each event's two.
	for j := 0; j+1 < occ; j += 2 {
		p.f.unite(p.node[j], p.node[j+1], at)
	}
}

// grown returns s resliced to n elements, reallocated if its capacity is short.
func grown[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

func (p *parted) add(kind uint8, v string) uint32 {
	n := p.count
	p.count++
	p.arena = append(p.arena, byte(n), byte(n>>8), byte(n>>16), byte(n>>24), kind, uint8(len(v)))
	p.arena = append(p.arena, v...)
	return n
}

// TestPartedNumbersAsAMap checks parted against a map from identifier to node, numbered
// in order of first occurrence, with the real hash and with a weak one under which
// unrelated identifiers collide.
func TestPartedNumbersAsAMap(t *testing.T) {
	s := newStream(30_000, 3)
	weak := func(_ maphash.Seed, kind uint8, v string) uint64 {
		return uint64(len(v))<<56 | uint64(kind)<<40 | uint64(v[len(v)-1])
	}
	for name, hash := range map[string]func(maphash.Seed, uint8, string) uint64{"maphash": floorHash, "weak": weak} {
		t.Run(name, func(t *testing.T) {
			p := newParted(0, 0)
			p.hash = hash
			p.link(s.evBlob, s.evIDs, 1)
			want := map[string]uint32{}
			for j, id := range s.evIDs {
				key := string(id.kind) + s.evBlob[id.off:id.off+uint32(id.n)]
				n, ok := want[key]
				if !ok {
					n = uint32(len(want))
					want[key] = n
				}
				if p.node[j] != n {
					t.Fatalf("occurrence %d (%q): node %d, want %d", j, key, p.node[j], n)
				}
			}
			hashes := map[uint64]bool{}
			for _, h := range p.hs {
				hashes[h] = true
			}
			if name == "weak" && len(hashes) >= len(want)/2 {
				t.Fatalf("the weak hash gave %d identifiers %d hashes: too few collisions to test them", len(want), len(hashes))
			}
			if int(p.count) != len(want) {
				t.Fatalf("%d nodes, want %d", p.count, len(want))
			}
			// Every identifier is in its bucket's table once, under its node.
			keys := make([]string, len(want))
			for key, n := range want {
				keys[n] = key
			}
			seen := make([]bool, len(want))
			b := bucketBits(len(s.evIDs))
			for k, tb := range p.tables {
				for _, u := range tb {
					if u == 0 {
						continue
					}
					n := u - 1
					if int(n) >= len(keys) || seen[n] {
						t.Fatalf("table %d holds node %d twice or out of range", k, n)
					}
					seen[n] = true
					if h := p.hash(p.seed, keys[n][0], keys[n][1:]); b > 0 && int(h>>(64-b)) != k {
						t.Fatalf("node %d (%q) is in table %d, its hash in %d", n, keys[n], k, h>>(64-b))
					}
				}
			}
			for n, ok := range seen {
				if !ok {
					t.Fatalf("node %d (%q) is in no table", n, keys[n])
				}
			}
		})
	}
}

// BenchmarkLinkFloorParted runs parted on the stream, as BenchmarkLinkFloor runs floor:
// the ceiling of a bulk path whose interning is partitioned this way, against the
// ceiling of the path LinkSeq takes. Read the figures of a process that ran another
// benchmark first (as -bench . does): the first run of a process writes memory the
// kernel has not given it yet, and its page faults (about 10 µs each on the virtual
// machines measured, see kernel) then dominate what is measured.
func BenchmarkLinkFloorParted(b *testing.B) {
	s := getStream(benchEvents())
	n := len(s.events) / 2
	b.Run(fmt.Sprintf("events=%d", n), func(b *testing.B) {
		timeFloor(b, n, func() func() uint32 {
			p := newParted(n, 2*n)
			runtime.GC()
			return func() uint32 {
				p.link(s.evBlob, s.evIDs, t0.UnixNano())
				return p.count
			}
		})
	})
}
