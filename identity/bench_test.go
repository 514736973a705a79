package identity_test

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/clientele-go/clientele/identity"
	"github.com/clientele-go/clientele/internal/benchsize"
)

// The scale is 10 million events over 3 million people; that takes minutes and
// gigabytes on the shared 2-core machine, so routine runs use a tenth of it:
//
//	go test -run '^$' -bench . -benchtime 1x ./identity/ -identity.events 10000000
var benchEventsFlag = flag.Int("identity.events", 0, "events in the identity benchmarks' stream (people = 0.3 × events); 0: 1,000,000, or 20,000 under -short")

// benchEvents is -identity.events, by default a million events, or 20,000 under -short
// (CI's benchmark smoke, which only checks that the benchmarks run).
func benchEvents() int {
	if *benchEventsFlag > 0 {
		return *benchEventsFlag
	}
	return benchsize.Of(1_000_000, 20_000)
}

// stream is a synthetic event stream of two identifiers per event. People arrive over
// time; an event is a newcomer's first one (30%), a recent arrival's (50%, from the
// last 50,000) or a returning customer's (20%, anyone seen). Each person has one to
// three anonymous ids and one or two devices; 60% an e-mail (a quarter of them two), 50%
// a phone, 40% a user id; 1% share a family device and 1% of values are junk ("null").
// Pairs follow what channels record together (anonymous id + device most often, then
// user id with anonymous id, device or e-mail, phone with e-mail or device).
type stream struct {
	blob   string   // all identifier values, concatenated
	ids    []sid    // identifiers: value in blob, kind
	people []uint32 // person -> first identifier; people[p+1] ends it
	events []uint32 // two identifiers per event
	// The events' values again, in event order, as a host reads them from its input: a
	// benchmark that picked values from blob at random would time cache misses that a
	// host that has just decoded an event does not have.
	evBlob string
	evIDs  []sid
}

type sid struct {
	off  uint32
	n    uint8
	kind uint8
}

var kinds = []string{"user_id", "email", "phone", "device_id", "anonymous_id"}

const (
	kUser = iota
	kEmail
	kPhone
	kDevice
	kAnon
)

func (s *stream) event(i int) (identity.ID, identity.ID) {
	a, c := s.evIDs[2*i], s.evIDs[2*i+1]
	return identity.ID{Kind: kinds[a.kind], Value: s.evBlob[a.off : a.off+uint32(a.n)]},
		identity.ID{Kind: kinds[c.kind], Value: s.evBlob[c.off : c.off+uint32(c.n)]}
}

// pair returns event i as a slice for Link's variadic argument.
func (s *stream) pair(i int) []identity.ID {
	a, c := s.event(i)
	return []identity.ID{a, c}
}

var (
	streams  = map[int]*stream{}
	streamMu sync.Mutex
)

func getStream(events int) *stream {
	streamMu.Lock()
	defer streamMu.Unlock()
	if s, ok := streams[events]; ok {
		return s
	}
	s := newStream(events, 42)
	streams[events] = s
	return s
}

func newStream(events int, seed uint64) *stream {
	rng := rand.New(rand.NewPCG(seed, 7))
	people := events * 3 / 10
	s := &stream{}
	blob := make([]byte, 0, people*140)
	add := func(kind uint8, v []byte) {
		s.ids = append(s.ids, sid{off: uint32(len(blob)), n: uint8(len(v)), kind: kind})
		blob = append(blob, v...)
	}
	var b []byte
	families := max(1, people/300)
	for p := range people {
		s.people = append(s.people, uint32(len(s.ids)))
		for range 1 + rng.IntN(3) {
			b = fmt.Appendf(b[:0], "%08x-%04x-4%03x-%04x-%012x", rng.Uint32(), rng.Uint32()&0xffff, rng.Uint32()&0xfff, rng.Uint32()&0xffff, rng.Uint64()&0xffffffffffff)
			add(kAnon, b)
		}
		for range 1 + rng.IntN(2) {
			if rng.IntN(100) == 0 {
				b = fmt.Appendf(b[:0], "dev-family-%06d", rng.IntN(families))
			} else {
				b = fmt.Appendf(b[:0], "dev-%016x", rng.Uint64())
			}
			add(kDevice, b)
		}
		if rng.IntN(10) < 6 {
			for range 1 + rng.IntN(4)/3 {
				b = fmt.Appendf(b[:0], "%s.%s%d@%s", names[rng.IntN(len(names))], names[rng.IntN(len(names))], rng.IntN(100000), domains[rng.IntN(len(domains))])
				add(kEmail, b)
			}
		}
		if rng.IntN(2) == 0 {
			b = fmt.Appendf(b[:0], "+86 1%d%d %04d %04d", 3+rng.IntN(7), rng.IntN(10), rng.IntN(10000), rng.IntN(10000))
			add(kPhone, b)
		}
		if rng.IntN(10) < 4 {
			b = strconv.AppendInt(append(b[:0], 'u'), int64(p+1), 10)
			add(kUser, b)
		}
	}
	s.people = append(s.people, uint32(len(s.ids)))
	junk := uint32(len(s.ids))
	add(kEmail, []byte("null"))
	add(kDevice, []byte("undefined"))
	s.blob = string(blob)

	pairs := [][2]uint8{{kAnon, kDevice}, {kAnon, kDevice}, {kAnon, kDevice}, {kAnon, kDevice}, {kAnon, kDevice}, {kAnon, kDevice}, {kAnon, kDevice},
		{kAnon, kUser}, {kAnon, kUser}, {kAnon, kUser}, {kDevice, kUser}, {kDevice, kUser}, {kEmail, kUser}, {kEmail, kUser},
		{kEmail, kAnon}, {kEmail, kAnon}, {kPhone, kEmail}, {kPhone, kEmail}, {kPhone, kDevice}, {kEmail, kDevice}}
	arrived := 0
	pick := func(p int, kind uint8) (uint32, bool) {
		lo, hi := s.people[p], s.people[p+1]
		var got []uint32
		for i := lo; i < hi; i++ {
			if s.ids[i].kind == kind {
				got = append(got, i)
			}
		}
		if len(got) == 0 {
			return 0, false
		}
		return got[rng.IntN(len(got))], true
	}
	for range events {
		var p int
		switch u := rng.IntN(10); {
		case (u < 3 || arrived == 0) && arrived < people:
			p = arrived
			arrived++
		case u < 8:
			p = max(0, arrived-1-rng.IntN(min(arrived, 50_000)))
		default:
			p = rng.IntN(arrived)
		}
		pair := pairs[rng.IntN(len(pairs))]
		a, ok1 := pick(p, pair[0])
		c, ok2 := pick(p, pair[1])
		if !ok1 || !ok2 {
			lo, hi := s.people[p], s.people[p+1]
			a, c = lo+uint32(rng.IntN(int(hi-lo))), lo+uint32(rng.IntN(int(hi-lo)))
		}
		if rng.IntN(100) == 0 {
			c = junk + uint32(rng.IntN(2))
		}
		s.events = append(s.events, a, c)
	}
	ev := make([]byte, 0, len(s.events)*32)
	for _, i := range s.events {
		d := s.ids[i]
		s.evIDs = append(s.evIDs, sid{off: uint32(len(ev)), n: d.n, kind: d.kind})
		ev = append(ev, s.blob[d.off:d.off+uint32(d.n)]...)
	}
	s.evBlob = string(ev)
	return s
}

var (
	names   = []string{"li", "wang", "zhang", "liu", "chen", "anna", "ben", "chloe", "david", "emma"}
	domains = []string{"gmail.com", "qq.com", "163.com", "outlook.com", "example.com"}
)

// naive is the baseline: a map from identifier to profile and a map-of-sets per
// profile, merging the smaller set into the larger. No rules, no history.
type naive struct {
	of       map[identity.ID]int
	profiles []map[identity.ID]struct{}
}

func newNaive() *naive {
	return &naive{of: map[identity.ID]int{}, profiles: []map[identity.ID]struct{}{nil}}
}

func (n *naive) link(a, b identity.ID) int {
	pa, oka := n.of[a]
	pb, okb := n.of[b]
	switch {
	case !oka && !okb:
		pa = len(n.profiles)
		n.profiles = append(n.profiles, map[identity.ID]struct{}{a: {}, b: {}})
		n.of[a], n.of[b] = pa, pa
	case !okb:
		n.profiles[pa][b] = struct{}{}
		n.of[b] = pa
	case !oka:
		n.profiles[pb][a] = struct{}{}
		n.of[a] = pb
		pa = pb
	case pa != pb:
		if len(n.profiles[pa]) < len(n.profiles[pb]) {
			pa, pb = pb, pa
		}
		for id := range n.profiles[pb] {
			n.profiles[pa][id] = struct{}{}
			n.of[id] = pa
		}
		n.profiles[pb] = nil
	}
	return pa
}

// unionFind is the peers' algorithm (bench/identity/peers.py) in Go, the least work any
// exact linker does: a map from identifier to a dense id, presized to the identifiers
// the stream holds, and union by size with path halving. No validation, normalisation,
// rules, history or profile numbers: its rate on a machine is a floor under the memory
// latency there, against which LinkSeq's figures are read (BENCHMARKS.md).
type unionFind struct {
	of     map[identity.ID]uint32
	parent []uint32
	size   []uint32
}

func newUnionFind(capacity int) *unionFind {
	return &unionFind{
		of:     make(map[identity.ID]uint32, capacity),
		parent: make([]uint32, 0, capacity),
		size:   make([]uint32, 0, capacity),
	}
}

func (u *unionFind) intern(id identity.ID) uint32 {
	if x, ok := u.of[id]; ok {
		return x
	}
	x := uint32(len(u.parent))
	u.of[id] = x
	u.parent = append(u.parent, x)
	u.size = append(u.size, 1)
	return x
}

func (u *unionFind) find(x uint32) uint32 {
	for u.parent[x] != x {
		u.parent[x] = u.parent[u.parent[x]]
		x = u.parent[x]
	}
	return x
}

func (u *unionFind) link(a, b identity.ID) {
	ra, rb := u.find(u.intern(a)), u.find(u.intern(b))
	if ra == rb {
		return
	}
	if u.size[ra] < u.size[rb] {
		ra, rb = rb, ra
	}
	u.parent[rb] = ra
	u.size[ra] += u.size[rb]
}

// cpuTime returns the CPU time the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// kernel returns the process's CPU time in the kernel and its count of minor page
// faults. On the virtual machines the benchmarks run on, a fault (the first write to a
// page the kernel has not yet given the process) costs about 10 µs, 2.5 ns a byte
// (measured 2026-12-06: 7 µs with MADV_HUGEPAGE), so a run that grows into memory the
// process has not used before (the first of a fresh process) spends a large share of
// its CPU there, and one that reuses the heap of an earlier run almost none; these
// metrics tell the two apart.
func kernel() (time.Duration, int64) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, 0
	}
	return time.Duration(ru.Stime.Nano()), ru.Minflt
}

// reportKernel reports the kernel's share of n events' work since sys0 and faults0,
// read by kernel.
func reportKernel(b *testing.B, n int, sys0 time.Duration, faults0 int64) {
	sys, faults := kernel()
	b.ReportMetric(float64((sys-sys0).Nanoseconds())/float64(n), "sys-ns/event")
	b.ReportMetric(float64(faults-faults0)/float64(n), "faults/event")
}

// threadTime returns the CPU time of the calling OS thread (Linux RUSAGE_THREAD; 0
// elsewhere). A benchmark that locks its goroutine to its thread measures with it the
// critical path of a bulk link, the decisions that run on the calling goroutine, apart
// from the preparation that runs beside them on the other core: on an idle two-core
// machine the wall time approaches the larger of this and half the process's CPU time,
// which the load of a shared machine inflates far less than the wall clock.
func threadTime() time.Duration {
	const rusageThread = 1
	var ru syscall.Rusage
	if err := syscall.Getrusage(rusageThread, &ru); err != nil || runtime.GOOS != "linux" {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func heapAlloc() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// linkStream links the whole stream into what setup builds and reports events/s
// overall and over the second half (warm), and heap bytes per identifier held.
func linkStream(b *testing.B, s *stream, setup func() (link func(a, c identity.ID), held func() int)) {
	b.StopTimer()
	n := len(s.events) / 2
	for range b.N {
		before := heapAlloc()
		link, held := setup()
		b.StartTimer()
		runtime.LockOSThread()
		cpu0, thread0 := cpuTime(), threadTime()
		sys0, faults0 := kernel()
		start := time.Now()
		var half time.Time
		for i := range n {
			if i == n/2 {
				half = time.Now()
			}
			link(s.event(i))
		}
		end := time.Now()
		cpu, thread := cpuTime()-cpu0, threadTime()-thread0
		runtime.UnlockOSThread()
		b.StopTimer()
		reportKernel(b, n, sys0, faults0)
		if thread > 0 {
			b.ReportMetric(float64(thread.Nanoseconds())/float64(n), "caller-cpu-ns/event")
		}
		// CPU time (user and system, every thread of the process: both cores' work and
		// the collector's) is what the machine's load does not inflate as it does the
		// wall clock; events per CPU-second is the rate an idle machine would approach.
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(n), "cpu-ns/event")
		bytes := heapAlloc() - before
		b.ReportMetric(float64(n)/end.Sub(start).Seconds(), "events/s")
		b.ReportMetric(float64(n-n/2)/end.Sub(half).Seconds(), "warm-events/s")
		if c := held(); c > 0 {
			b.ReportMetric(float64(bytes)/float64(c), "B/identifier")
			b.ReportMetric(float64(c), "identifiers")
		}
		runtime.KeepAlive(link)
	}
}

// BenchmarkLink links the stream with no store (the history in memory only) and with a
// MemStore (every record also encoded and copied).
func BenchmarkLink(b *testing.B) {
	s := getStream(benchEvents())
	for _, bc := range []struct {
		name  string
		rules identity.Rules
		store bool
	}{{"DefaultRules", identity.DefaultRules(), false}, {"ZeroRules", identity.Rules{}, false}, {"DefaultRules+MemStore", identity.DefaultRules(), true}} {
		b.Run(fmt.Sprintf("%s/events=%d", bc.name, len(s.events)/2), func(b *testing.B) {
			linkStream(b, s, func() (func(a, c identity.ID), func() int) {
				var opts []identity.Option
				if bc.store {
					opts = append(opts, identity.WithStore(&identity.MemStore{}))
				}
				r, err := identity.New(bc.rules, opts...)
				if err != nil {
					b.Fatal(err)
				}
				return func(a, c identity.ID) {
					if _, err := r.Link(ctx, t0, "web", a, c); err != nil {
						b.Fatal(err)
					}
				}, func() int { return r.Stats().Identifiers }
			})
		})
	}
}

// BenchmarkLinkNaive is the baseline: the same stream into map-of-sets.
func BenchmarkLinkNaive(b *testing.B) {
	s := getStream(benchEvents())
	b.Run(fmt.Sprintf("events=%d", len(s.events)/2), func(b *testing.B) {
		linkStream(b, s, func() (func(a, c identity.ID), func() int) {
			n := newNaive()
			return func(a, c identity.ID) { n.link(a, c) }, func() int { return len(n.of) }
		})
	})
}

// BenchmarkLinkUnionFind times unionFind on the stream: the floor LinkSeq is read
// against, not a baseline it must beat by a margin.
func BenchmarkLinkUnionFind(b *testing.B) {
	s := getStream(benchEvents())
	b.Run(fmt.Sprintf("events=%d", len(s.events)/2), func(b *testing.B) {
		linkStream(b, s, func() (func(a, c identity.ID), func() int) {
			u := newUnionFind(len(s.ids))
			return u.link, func() int { return len(u.parent) }
		})
	})
}

// resident returns a small stream (its working set fits in the caches) and a resolver
// and a naive baseline that have linked it.
func resident() (*stream, int, *identity.Resolver, *naive) {
	s := newStream(20_000, 3)
	n := len(s.events) / 2
	r, _ := identity.New(identity.DefaultRules())
	nv := newNaive()
	for i := range n {
		r.Link(ctx, t0, "web", s.pair(i)...)
		nv.link(s.event(i))
	}
	return s, n, r, nv
}

// The working set of a small base fits in the caches: this is the cost of Link's own
// work, without the memory latency that dominates at millions of identifiers.
func BenchmarkLinkCacheResident(b *testing.B) {
	s, n, r, _ := resident()
	b.ResetTimer()
	for i := range b.N {
		a, c := s.event(i % n)
		if _, err := r.Link(ctx, t0, "web", a, c); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLinkCacheResidentNaive(b *testing.B) {
	s, n, _, nv := resident()
	b.ResetTimer()
	for i := range b.N {
		nv.link(s.event(i % n))
	}
}

// linkedStream returns the benchmarks' stream, its number of events, and a resolver
// that has linked them all: what the Lookup benchmarks query.
func linkedStream() (*stream, int, *identity.Resolver) {
	s := getStream(benchEvents())
	r, _ := identity.New(identity.DefaultRules())
	n := len(s.events) / 2
	for i := range n {
		r.Link(ctx, t0, "web", s.pair(i)...)
	}
	return s, n, r
}

// BenchmarkLookup looks up the stream's identifiers, in stream order, in a resolver
// that has linked the whole stream.
func BenchmarkLookup(b *testing.B) {
	s, n, r := linkedStream()
	b.Run(fmt.Sprintf("identifiers=%d", r.Stats().Identifiers), func(b *testing.B) {
		found := 0
		for i := range b.N {
			a, _ := s.event(i % n)
			if _, ok := r.Lookup(a); ok {
				found++
			}
		}
		if found == 0 {
			b.Fatal("nothing found")
		}
	})
}

// BenchmarkLookupMany resolves the same identifiers as BenchmarkLookup, 256 per call:
// the cost per identifier when the cache misses of a group overlap.
func BenchmarkLookupMany(b *testing.B) {
	s, n, r := linkedStream()
	b.Run(fmt.Sprintf("identifiers=%d", r.Stats().Identifiers), func(b *testing.B) {
		const batch = 256
		ids := make([]identity.ID, 0, batch)
		keys := make([]uint32, 0, batch)
		found := 0
		for done := 0; done < b.N; done += batch {
			ids = ids[:0]
			for i := done; i < min(done+batch, b.N); i++ {
				a, _ := s.event(i % n)
				ids = append(ids, a)
			}
			keys = r.LookupMany(keys[:0], ids...)
			for _, k := range keys {
				if k != 0 {
					found++
				}
			}
		}
		if found == 0 {
			b.Fatal("nothing found")
		}
	})
}

// BenchmarkLookupNaive is the baseline: a Go map from identifier to profile (no
// normalisation).
func BenchmarkLookupNaive(b *testing.B) {
	s := getStream(benchEvents())
	nv := newNaive()
	n := len(s.events) / 2
	for i := range n {
		nv.link(s.event(i))
	}
	b.Run(fmt.Sprintf("identifiers=%d", len(nv.of)), func(b *testing.B) {
		found := 0
		for i := range b.N {
			a, _ := s.event(i % n)
			if _, ok := nv.of[a]; ok {
				found++
			}
		}
		if found == 0 {
			b.Fatal("nothing found")
		}
	})
}

// BenchmarkReplay opens a FileStore holding one record per event of the stream and
// rebuilds the resolver from it.
func BenchmarkReplay(b *testing.B) {
	s := getStream(benchEvents())
	path := filepath.Join(b.TempDir(), "identity.log")
	fs, err := identity.OpenFileStore(path, &identity.FileOptions{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	r, _ := identity.New(identity.DefaultRules(), identity.WithStore(fs))
	n := len(s.events) / 2
	for i := range n {
		if _, err := r.Link(ctx, t0, "web", s.pair(i)...); err != nil {
			b.Fatal(err)
		}
	}
	fs.Close()
	want := r.Stats()
	r = nil
	b.Run(fmt.Sprintf("records=%d", want.Records), func(b *testing.B) {
		for range b.N {
			fs, err := identity.OpenFileStore(path, nil)
			if err != nil {
				b.Fatal(err)
			}
			r, err := identity.New(identity.DefaultRules(), identity.WithStore(fs))
			if err != nil {
				b.Fatal(err)
			}
			if got := r.Stats(); got.Profiles != want.Profiles || got.Identifiers != want.Identifiers {
				b.Fatalf("replay gives %+v, want %+v", got, want)
			}
			fs.Close()
		}
		b.ReportMetric(float64(want.Records)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
	})
}

// BenchmarkReplayRelink is the baseline replay avoids: linking every event again.
func BenchmarkReplayRelink(b *testing.B) {
	s := getStream(benchEvents())
	n := len(s.events) / 2
	b.Run(fmt.Sprintf("events=%d", n), func(b *testing.B) {
		for range b.N {
			r, _ := identity.New(identity.DefaultRules())
			for i := range n {
				r.Link(ctx, t0, "web", s.pair(i)...)
			}
		}
		b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
	})
}

// BenchmarkLookupCacheResident is Lookup's own cost: a small base that fits in the caches.
func BenchmarkLookupCacheResident(b *testing.B) {
	s, n, r, _ := resident()
	b.ResetTimer()
	for i := range b.N {
		a, _ := s.event(i % n)
		r.Lookup(a)
	}
}

func BenchmarkLookupCacheResidentNaive(b *testing.B) {
	s, n, _, nv := resident()
	b.ResetTimer()
	for i := range b.N {
		a, _ := s.event(i % n)
		_ = nv.of[a]
	}
}

// BenchmarkLinkBatch links the same stream as BenchmarkLink through LinkBatch, 4,096
// events a call (the decisions are sequential; validation and normalisation run on
// every core first).
func BenchmarkLinkBatch(b *testing.B) {
	s := getStream(benchEvents())
	n := len(s.events) / 2
	for _, mode := range []string{"", "+capacity"} {
		b.Run(fmt.Sprintf("DefaultRules%s/events=%d", mode, n), func(b *testing.B) {
			var opts []identity.Option
			if mode == "+capacity" {
				opts = append(opts, identity.WithCapacity(n)) // as BenchmarkLinkSeq
			}
			linkBatchStream(b, s, n, opts...)
		})
	}
}

// linkBatchStream links the first n events of s through LinkBatch, 4,096 a call.
func linkBatchStream(b *testing.B, s *stream, n int, opts ...identity.Option) {
	linkStream(b, s, func() (func(a, c identity.ID), func() int) {
		r, err := identity.New(identity.DefaultRules(), opts...)
		if err != nil {
			b.Fatal(err)
		}
		batch := make([]identity.Event, 0, 4096)
		ids := make([]identity.ID, 0, 2*4096)
		var dst []uint32
		seen := 0
		return func(a, c identity.ID) {
			ids = append(ids, a, c)
			batch = append(batch, identity.Event{At: t0, Source: "web", IDs: ids[len(ids)-2 : len(ids) : len(ids)]})
			seen++
			if len(batch) == cap(batch) || seen == n {
				if dst, err = r.LinkBatch(ctx, dst[:0], batch); err != nil {
					b.Fatal(err)
				}
				batch, ids = batch[:0], ids[:0]
			}
		}, func() int { return r.Stats().Identifiers }
	})
}

// BenchmarkLinkSeq links the same stream through LinkSeq, from an iterator that decodes
// each event into a reused IDs slice as a host reading its history would.
//
// DefaultRules is the default: the second core prepares events and owns the identifier
// table (it looks identifiers up and interns the new ones ahead of the decisions).
// DefaultRules+capacity is the same with the resolver sized up front
// (identity.WithCapacity of as many identifiers as events), so that the identifier
// index never doubles.
// DefaultRules+lookupsInDecisions has the second core prepare events only, the
// decisions looking identifiers up themselves (the previous design), and
// DefaultRules+prepareFirst has the batch's preparation done on both cores before its
// decisions instead of beside them (identity.SetPrepareAhead(false)), to measure what
// each overlap gains on the machine at hand.
func BenchmarkLinkSeq(b *testing.B) {
	s := getStream(benchEvents())
	n := len(s.events) / 2
	for _, mode := range []string{"", "+capacity", "+lookupsInDecisions", "+prepareFirst"} {
		b.Run(fmt.Sprintf("DefaultRules%s/events=%d", mode, n), func(b *testing.B) {
			defer identity.SetPrepareAhead(identity.SetPrepareAhead(mode != "+prepareFirst"))
			defer identity.SetAhead(mode == "" || mode == "+capacity", 4096, 64)()
			var opts []identity.Option
			if mode == "+capacity" {
				// The host's hint: as many identifiers as events (the stream holds
				// about that many, 2 an event, half of them new).
				opts = append(opts, identity.WithCapacity(n))
			}
			linkSeqStream(b, s, n, opts...)
		})
	}
}

// helpers adds up the CPU time of LinkBatch's helper goroutines, each measured on
// the thread it locks itself to.
var helpers struct {
	sync.Mutex
	cpu time.Duration
}

func init() {
	identity.SetHelperCPU(func(add time.Duration) time.Duration {
		if add == 0 {
			return threadTime()
		}
		helpers.Lock()
		helpers.cpu += add
		helpers.Unlock()
		return 0
	})
}

func helperTime() time.Duration {
	helpers.Lock()
	defer helpers.Unlock()
	return helpers.cpu
}

// linkSeqStream links the first n events of s through LinkSeq b.N times.
func linkSeqStream(b *testing.B, s *stream, n int, opts ...identity.Option) {
	for range b.N {
		b.StopTimer()
		before := heapAlloc()
		r, err := identity.New(identity.DefaultRules(), opts...)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		runtime.LockOSThread()
		cpu0, thread0, helper0 := cpuTime(), threadTime(), helperTime()
		sys0, faults0 := kernel()
		start := time.Now()
		var ids []identity.ID
		linked, err := r.LinkSeq(ctx, func(yield func(identity.Event) bool) {
			for i := range n {
				a, c := s.event(i)
				ids = append(ids[:0], a, c)
				if !yield(identity.Event{At: t0, Source: "web", IDs: ids}) {
					return
				}
			}
		})
		elapsed, cpu, thread := time.Since(start), cpuTime()-cpu0, threadTime()-thread0
		runtime.UnlockOSThread()
		b.StopTimer()
		reportKernel(b, n, sys0, faults0)
		if thread > 0 {
			b.ReportMetric(float64(thread.Nanoseconds())/float64(n), "caller-cpu-ns/event")
			b.ReportMetric(float64((helperTime()-helper0).Nanoseconds())/float64(n), "helper-cpu-ns/event")
		}
		if err != nil || linked != n {
			b.Fatalf("linked %d of %d: %v", linked, n, err)
		}
		held := r.Stats().Identifiers
		b.ReportMetric(float64(n)/elapsed.Seconds(), "events/s")
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(n), "cpu-ns/event")
		b.ReportMetric(float64(heapAlloc()-before)/float64(held), "B/identifier")
		b.ReportMetric(float64(held), "identifiers")
		runtime.KeepAlive(r)
	}
}
