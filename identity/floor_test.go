package identity_test

import (
	"fmt"
	"hash/maphash"
	"runtime"
	"testing"
	"time"
)

// floor is about the least work a two-core bulk link of the stream must do: one core
// interns each identifier (a hash, a probe of an open-addressing table whose slots hold
// the hash's high half, the lookups of a group of identifiers started together so their
// cache misses overlap, a comparison with the stored value, an append for a new one) and
// hands the events on as pairs of numbers; the other unites them (union-find with path
// halving and union by size) and appends one history entry of three words an event.
// Nothing is validated or normalised, nothing limited, no member recorded, no profile
// key or count kept. LinkSeq does all of this and that too, so its events/s is read as a
// fraction of floor's on the same machine in the same run (issue #18's targets were set
// without it): a rough ceiling, not a baseline to beat.
type floor struct {
	seed  maphash.Seed
	slots []uint64 // 0: empty; else the value's tag<<32 | its entry's offset in arena + 1
	// arena holds each identifier as an entry: its node (4 bytes), kind, length, value.
	arena []byte
	mask  uint32
	nodes uint32

	parent, size []uint32
	hist         []uint64
}

func newFloor(capacity int) *floor {
	n := 1
	for n < 2*capacity {
		n <<= 1
	}
	return &floor{
		seed:   maphash.MakeSeed(),
		slots:  make([]uint64, n),
		mask:   uint32(n - 1),
		arena:  make([]byte, 0, 46*capacity),
		parent: make([]uint32, 0, capacity),
		size:   make([]uint32, 0, capacity),
		hist:   make([]uint64, 0, 3*capacity),
	}
}

// intern returns the node of (kind, value), whose hash is h, adding it if new.
func (f *floor) intern(kind uint8, value string, h uint64) uint32 {
	tag := h >> 32
	for i := uint32(h) & f.mask; ; i = (i + 1) & f.mask {
		s := f.slots[i]
		if s == 0 {
			node := f.nodes
			f.nodes++
			f.slots[i] = tag<<32 | uint64(len(f.arena)+1)
			f.arena = append(f.arena, byte(node), byte(node>>8), byte(node>>16), byte(node>>24), kind, uint8(len(value)))
			f.arena = append(f.arena, value...)
			return node
		}
		if s>>32 != tag {
			continue
		}
		e := f.arena[uint32(s)-1:]
		if e[4] == kind && int(e[5]) == len(value) && string(e[6:6+len(value)]) == value {
			return uint32(e[0]) | uint32(e[1])<<8 | uint32(e[2])<<16 | uint32(e[3])<<24
		}
	}
}

// warm loads the slot of h and the first entry it points to, so that a group's cache
// misses overlap (the loads are independent); it returns a value to keep them live.
func (f *floor) warm(h uint64) byte {
	s := f.slots[uint32(h)&f.mask]
	if s == 0 || s>>32 != h>>32 {
		return 0
	}
	return f.arena[uint32(s)-1]
}

func (f *floor) find(x uint32) uint32 {
	for f.parent[x] != x {
		f.parent[x] = f.parent[f.parent[x]]
		x = f.parent[x]
	}
	return x
}

func (f *floor) unite(a, b uint32, at int64) {
	for uint32(len(f.parent)) <= max(a, b) {
		f.parent = append(f.parent, uint32(len(f.parent)))
		f.size = append(f.size, 1)
	}
	ra, rb := f.find(a), f.find(b)
	if ra != rb {
		if f.size[ra] < f.size[rb] {
			ra, rb = rb, ra
		}
		f.parent[rb] = ra
		f.size[ra] += f.size[rb]
	}
	f.hist = append(f.hist, uint64(at), uint64(a)<<32|uint64(b), uint64(ra))
}

var floorSink byte

// BenchmarkLinkFloor runs floor on the stream, its interning on a second goroutine
// a chunk of events ahead of the unions, so both cores work as LinkSeq's do.
func BenchmarkLinkFloor(b *testing.B) {
	s := getStream(benchEvents())
	n := len(s.events) / 2
	b.Run(fmt.Sprintf("events=%d", n), func(b *testing.B) {
		timeFloor(b, n, func() func() uint32 {
			f := newFloor(n)
			const chunk = 1024
			work := make(chan []uint32, 64)
			free := make(chan []uint32, 64)
			for range cap(free) {
				free <- make([]uint32, 0, 2*chunk)
			}
			return func() uint32 {
				go func() {
					var hs [2 * chunk]uint64
					var sink byte
					for lo := 0; lo < n; lo += chunk {
						hi := min(n, lo+chunk)
						out := (<-free)[:0]
						ev := s.evIDs[2*lo : 2*hi]
						for j, id := range ev {
							hs[j] = maphash.String(f.seed, s.evBlob[id.off:id.off+uint32(id.n)]) ^ uint64(id.kind)*0x9e3779b97f4a7c15
						}
						const group = 32
						for g := 0; g < len(ev); g += group {
							ge := min(len(ev), g+group)
							for j := g; j < ge; j++ {
								sink ^= f.warm(hs[j])
							}
							for j := g; j < ge; j++ {
								id := ev[j]
								out = append(out, f.intern(id.kind, s.evBlob[id.off:id.off+uint32(id.n)], hs[j]))
							}
						}
						work <- out
					}
					floorSink = sink
					close(work)
				}()
				at := t0.UnixNano()
				for ids := range work {
					for j := 0; j < len(ids); j += 2 {
						f.unite(ids[j], ids[j+1], at)
					}
					free <- ids
				}
				return f.nodes
			}
		})
	})
}

// timeFloor times a floor benchmark b.N times: setup, untimed, returns link, which links
// the stream's n events on the calling goroutine (locked to its thread, whose CPU time
// is the caller's) and any it starts, and returns how many identifiers it interned.
func timeFloor(b *testing.B, n int, setup func() (link func() uint32)) {
	for range b.N {
		b.StopTimer()
		link := setup()
		b.StartTimer()
		runtime.LockOSThread()
		cpu0, thread0 := cpuTime(), threadTime()
		sys0, faults0 := kernel()
		start := time.Now()
		ids := link()
		elapsed, cpu, thread := time.Since(start), cpuTime()-cpu0, threadTime()-thread0
		runtime.UnlockOSThread()
		b.StopTimer()
		reportKernel(b, n, sys0, faults0)
		b.ReportMetric(float64(n)/elapsed.Seconds(), "events/s")
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(n), "cpu-ns/event")
		b.ReportMetric(float64(thread.Nanoseconds())/float64(n), "caller-cpu-ns/event")
		b.ReportMetric(float64(ids), "identifiers")
	}
}
