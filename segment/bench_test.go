package segment

import (
	"bytes"
	"cmp"
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	bsiroaring "github.com/RoaringBitmap/roaring/v2/BitSliceIndexing"
	"github.com/clientele-go/clientele/internal/benchsize"
)

// Benchmarks on synthetic data: N profiles; tags t:a..t:d and each of 30 days of visits
// hold a random 10% of them; spend is a uniform value in [0, 1,000,000) for every
// profile. Fixtures are built once per process (sync.Once), and only when a benchmark
// asks, so a plain `go test` never builds them. The naive baseline is the same data as
// maps of sets, evaluated by visiting members; it runs at 1 million profiles (at 10
// million it takes seconds per operation), beside the index at the same size, so that
// the ratio is read on the same data.

const benchDays = 30

var benchNow = dayStart(20000).Add(12 * time.Hour) // the last of the 30 days

type fixture struct {
	n       int
	x       *Index
	tags    map[string][]uint32 // sorted members
	spend   []int64             // by profile
	days    [][]uint32          // sorted members per day, oldest first
	mapTags map[string]map[uint32]struct{}
	mapDays []map[uint32]struct{}
}

// sample returns a random 10% of [0, n), sorted.
func sample(r *rand.Rand, n int) []uint32 {
	out := make([]uint32, 0, n/9)
	for p := range n {
		if r.IntN(10) == 0 {
			out = append(out, uint32(p))
		}
	}
	return out
}

func buildFixture(n int, maps bool) *fixture {
	r := rand.New(rand.NewPCG(uint64(n), 42))
	f := &fixture{n: n, x: mustIndex(WithNumber("spend", MergeSum)), tags: map[string][]uint32{}}
	for _, t := range []string{"a", "b", "c", "d"} {
		ps := sample(r, n)
		f.tags["t:"+t] = ps
		f.x.Tag("t:"+t, ps...)
	}
	f.spend = make([]int64, n)
	all := make([]uint32, n)
	for p := range f.spend {
		f.spend[p] = r.Int64N(1_000_000)
		all[p] = uint32(p)
	}
	if err := f.x.SetNumbers("spend", all, f.spend); err != nil {
		panic(err)
	}
	ev := f.x.event("visit")
	for d := range benchDays {
		ps := sample(r, n)
		f.days = append(f.days, ps)
		day := ev.at(20000 - benchDays + 1 + int32(d))
		day.present.AddMany(ps)
	}
	f.x.known.AddRange(0, uint64(n))
	if maps {
		f.mapTags = map[string]map[uint32]struct{}{}
		for t, ps := range f.tags {
			f.mapTags[t] = setOf(ps)
		}
		for _, ps := range f.days {
			f.mapDays = append(f.mapDays, setOf(ps))
		}
	}
	return f
}

func setOf(ps []uint32) map[uint32]struct{} {
	m := make(map[uint32]struct{}, len(ps))
	for _, p := range ps {
		m[p] = struct{}{}
	}
	return m
}

var (
	// Under -short (CI's benchmark smoke, which only checks that the benchmarks run) the
	// fixtures hold 100,000 and 10,000 profiles.
	fixture10M = sync.OnceValue(func() *fixture { return buildFixture(benchsize.Of(10_000_000, 100_000), false) })
	fixture1M  = sync.OnceValue(func() *fixture { return buildFixture(benchsize.Of(1_000_000, 10_000), true) })
)

const threeTerm = "(t:a OR t:b) AND NOT t:c"

// loop runs op b.N times and reports CPU time per operation beside wall time; it
// returns the CPU nanoseconds per operation.
func loop(b *testing.B, op func()) float64 {
	runtime.GC() // the fixture's garbage is not this benchmark's cost
	var cpu time.Duration
	first := true
	for b.Loop() {
		if first {
			cpu, first = cpuTime(), false
		}
		op()
	}
	perOp := float64(cpuTime()-cpu) / float64(b.N)
	b.ReportMetric(perOp, "cpu-ns/op")
	return perOp
}

// reportRecords reports records per second of wall time and of CPU time.
func reportRecords(b *testing.B, n int, cpuPerOp float64) {
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(float64(n)/(cpuPerOp/1e9), "records/cpu-s")
}

func benchEval(b *testing.B, f *fixture, expr string) {
	q := mustParse(b, expr)
	loop(b, func() {
		if _, err := f.x.Eval(context.Background(), benchNow, q, nil); err != nil {
			b.Fatal(err)
		}
	})
}

func benchCount(b *testing.B, f *fixture, expr string) {
	q := mustParse(b, expr)
	loop(b, func() {
		if _, err := f.x.Count(context.Background(), benchNow, q, nil); err != nil {
			b.Fatal(err)
		}
	})
}

func BenchmarkEvalThreeTerm10M(b *testing.B)  { benchEval(b, fixture10M(), threeTerm) }
func BenchmarkCountThreeTerm10M(b *testing.B) { benchCount(b, fixture10M(), threeTerm) }
func BenchmarkEvalThreeTerm1M(b *testing.B)   { benchEval(b, fixture1M(), threeTerm) }

// BenchmarkBaselineThreeTerm1M is the naive evaluation of (a OR b) AND NOT c over maps.
func BenchmarkBaselineThreeTerm1M(b *testing.B) {
	f := fixture1M()
	ta, tb, tc := f.mapTags["t:a"], f.mapTags["t:b"], f.mapTags["t:c"]
	loop(b, func() {
		out := map[uint32]struct{}{}
		for _, s := range []map[uint32]struct{}{ta, tb} {
			for p := range s {
				if _, no := tc[p]; !no {
					out[p] = struct{}{}
				}
			}
		}
		if len(out) == 0 {
			b.Fatal("empty")
		}
	})
}

const numericRange = "spend BETWEEN 250000 AND 749999"

func BenchmarkNumericRange10M(b *testing.B) { benchEval(b, fixture10M(), numericRange) }
func BenchmarkNumericRange1M(b *testing.B)  { benchEval(b, fixture1M(), numericRange) }

// BenchmarkNumericRangeRoaringBSI1M is the same range with roaring's BitSliceIndexing,
// whose CompareValue tests each profile of the found set (all cores).
func BenchmarkNumericRangeRoaringBSI1M(b *testing.B) {
	f := fixture1M()
	idx := bsiroaring.NewDefaultBSI()
	for p, v := range f.spend {
		idx.SetValue(uint64(p), v)
	}
	loop(b, func() {
		if idx.CompareValue(0, bsiroaring.RANGE, 250000, 749999, nil).IsEmpty() {
			b.Fatal("empty")
		}
	})
}

// BenchmarkBaselineNumericRange1M scans every profile's value.
func BenchmarkBaselineNumericRange1M(b *testing.B) {
	f := fixture1M()
	values := make(map[uint32]int64, len(f.spend))
	for p, v := range f.spend {
		values[uint32(p)] = v
	}
	loop(b, func() {
		out := map[uint32]struct{}{}
		for p, v := range values {
			if v >= 250000 && v <= 749999 {
				out[p] = struct{}{}
			}
		}
		if len(out) == 0 {
			b.Fatal("empty")
		}
	})
}

func benchTop(b *testing.B, f *fixture) {
	loop(b, func() {
		if _, err := f.x.Top("spend", 100, nil); err != nil {
			b.Fatal(err)
		}
	})
}

func BenchmarkTop100_10M(b *testing.B) { benchTop(b, fixture10M()) }
func BenchmarkTop100_1M(b *testing.B)  { benchTop(b, fixture1M()) }

// BenchmarkBaselineTop100_1M sorts every profile by value.
func BenchmarkBaselineTop100_1M(b *testing.B) {
	f := fixture1M()
	loop(b, func() {
		ps := make([]uint32, f.n)
		for i := range ps {
			ps[i] = uint32(i)
		}
		slices.SortFunc(ps, func(a, c uint32) int { return cmp.Compare(f.spend[c], f.spend[a]) })
		_ = ps[:100]
	})
}

const userRule = "count(visit, 30d) >= 2"

func BenchmarkUserRule10M(b *testing.B)     { benchEval(b, fixture10M(), userRule) }
func BenchmarkUserRuleDays10M(b *testing.B) { benchEval(b, fixture10M(), "days(visit, 30d) >= 2") }
func BenchmarkUserRule1M(b *testing.B)      { benchEval(b, fixture1M(), userRule) }

// BenchmarkUserRuleWithinTag10M is the rule inside an AND: the days are cut to the
// tag's 10% first.
func BenchmarkUserRuleWithinTag10M(b *testing.B) {
	benchEval(b, fixture10M(), "t:a AND count(visit, 30d) >= 2")
}

// BenchmarkBaselineUserRule1M counts visits per profile over the 30 day sets.
func BenchmarkBaselineUserRule1M(b *testing.B) {
	f := fixture1M()
	loop(b, func() {
		counts := map[uint32]int{}
		for _, day := range f.mapDays {
			for p := range day {
				counts[p]++
			}
		}
		out := map[uint32]struct{}{}
		for p, c := range counts {
			if c >= 2 {
				out[p] = struct{}{}
			}
		}
		if len(out) == 0 {
			b.Fatal("empty")
		}
	})
}

// recordBatch returns a batch of n activities over 10 million profiles and 30 days.
func recordBatch(n int) []Activity {
	r := rand.New(rand.NewPCG(7, 7))
	batch := make([]Activity, n)
	for i := range batch {
		batch[i] = Activity{Event: "visit", Profile: r.Uint32N(10_000_000), At: benchNow.Add(-time.Duration(r.IntN(benchDays*24)) * time.Hour)}
	}
	return batch
}

// recordN is the record benchmarks' batch: a million activities, 10,000 under -short.
func recordN() int { return benchsize.Of(1_000_000, 10_000) }

// BenchmarkRecordBatch reports records per second for batches of one million.
func BenchmarkRecordBatch(b *testing.B) {
	batch := recordBatch(recordN())
	cpu := loop(b, func() {
		x := mustIndex()
		x.RecordBatch(batch)
	})
	reportRecords(b, len(batch), cpu)
}

// BenchmarkRecordBuffered is one million single Record calls, buffered by the index.
func BenchmarkRecordBuffered(b *testing.B) {
	batch := recordBatch(recordN())
	cpu := loop(b, func() {
		x := mustIndex()
		for _, a := range batch {
			x.Record(a.At, a.Profile, a.Event)
		}
		x.Profiles() // applies what is buffered
	})
	reportRecords(b, len(batch), cpu)
}

// BenchmarkBaselineRecord adds the same batch to per-day maps of counts.
func BenchmarkBaselineRecord(b *testing.B) {
	batch := recordBatch(recordN())
	cpu := loop(b, func() {
		days := map[int32]map[uint32]int{}
		for _, a := range batch {
			d := dayOf(a.At, time.UTC)
			if days[d] == nil {
				days[d] = map[uint32]int{}
			}
			days[d][a.Profile]++
		}
	})
	reportRecords(b, len(batch), cpu)
}

// snapshot10MBytes is the 10M fixture's snapshot, encoded once.
var snapshot10MBytes = sync.OnceValues(func() ([]byte, error) {
	var buf bytes.Buffer
	_, err := fixture10M().x.WriteTo(&buf)
	return buf.Bytes(), err
})

// snapshot10M writes the 10M fixture's snapshot to a file in b's temporary directory,
// which the testing package removes: a directory of the process's own was left behind
// in the system's temporary directory, 65 MB a run.
func snapshot10M(b *testing.B) (string, error) {
	data, err := snapshot10MBytes()
	if err != nil {
		return "", err
	}
	path := filepath.Join(b.TempDir(), "10M.snap")
	return path, os.WriteFile(path, data, 0o644)
}

// BenchmarkOpen10M maps the 10M snapshot (checksum and every bitmap validated).
func BenchmarkOpen10M(b *testing.B) {
	path, err := snapshot10M(b)
	if err != nil {
		b.Fatal(err)
	}
	st, _ := os.Stat(path)
	b.SetBytes(st.Size())
	loop(b, func() {
		x, err := Open(path, &OpenOptions{Map: true})
		if err != nil {
			b.Fatal(err)
		}
		x.mapping.release() // what Close does, without copying out: x is not used again
	})
}

// BenchmarkBaselineOpen10M reads the same snapshot the plain way: every bitmap copied
// out of the file with roaring's ReadFrom.
func BenchmarkBaselineOpen10M(b *testing.B) {
	path, err := snapshot10M(b)
	if err != nil {
		b.Fatal(err)
	}
	x, err := Open(path, &OpenOptions{Map: true})
	if err != nil {
		b.Fatal(err)
	}
	count := 0 // the bitmaps lie one after another from the header on
	x.eachBitmap(func(*roaring.Bitmap) { count++ })
	x.Close()
	st, _ := os.Stat(path)
	b.SetBytes(st.Size())
	loop(b, func() {
		data, err := os.ReadFile(path)
		if err != nil {
			b.Fatal(err)
		}
		off := int64(snapHeader)
		for range count {
			bm := roaring.New()
			n, err := bm.ReadFrom(bytes.NewReader(data[off:]))
			if err != nil {
				b.Fatal(err)
			}
			off += n
		}
	})
}
