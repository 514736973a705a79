package loyalty_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clientele-go/clientele/referral/loyalty"
)

// benchRules: points by category, a returns window, end-of-month expiry, three tiers.
func benchRules() loyalty.Rules {
	r := shopRules()
	r.Tiers = tierRules().Tiers
	r.Window, r.Grace = 365*24*time.Hour, 30*24*time.Hour
	return r
}

func benchLedger(b *testing.B) *loyalty.Ledger {
	l, _ := countedLedger(b)
	return l
}

// countingStore counts the appends that reach the file store: events per append is
// how much group commit gathered.
type countingStore struct {
	*loyalty.FileStore
	appends atomic.Int64
}

func (c *countingStore) Append(recs ...loyalty.Record) error {
	c.appends.Add(1)
	return c.FileStore.Append(recs...)
}

func countedLedger(b *testing.B) (*loyalty.Ledger, *countingStore) {
	fs, err := loyalty.OpenFileStore(filepath.Join(b.TempDir(), "loyalty.wal"), nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { fs.Close() })
	cs := &countingStore{FileStore: fs}
	l, err := loyalty.Open(cs, benchRules())
	if err != nil {
		b.Fatal(err)
	}
	return l, cs
}

// earnAt is the i-th order of the benchmarks: 50,000 members buying in turn, a
// second apart, so that every member's events come in time order.
func earnAt(i int64) (time.Time, uint32) {
	return day(1).Add(time.Duration(i) * time.Second), uint32(i%50000 + 1)
}

func report(b *testing.B, cpu time.Duration) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/event")
}

// BenchmarkEarnConcurrent is the target: earn events from many concurrent
// callers (256 or 1,024 on two CPUs), each durable on return, to the file store, where
// group commit gathers the events decided during one fsync into the next. A shared
// counter dates the events, so each member's come in time order unless a goroutine
// stalls for 50,000 events while another records the same member's next order: that
// one is refused (ErrInvalid, out of order), counted as "refused" and not retried.
func BenchmarkEarnConcurrent(b *testing.B) {
	for _, perCPU := range []int{128, 512} {
		b.Run(fmt.Sprintf("callers=%d", perCPU*runtime.GOMAXPROCS(0)), func(b *testing.B) {
			l, cs := countedLedger(b)
			ctx := context.Background()
			var n, refused atomic.Int64
			b.SetParallelism(perCPU)
			cpu := cpuTime()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := n.Add(1)
					at, m := earnAt(i)
					_, err := l.Earn(ctx, at, fmt.Sprint("e", i), m, fmt.Sprint("O", i), 1000+i%5000)
					if errors.Is(err, loyalty.ErrInvalid) {
						refused.Add(1)
					} else if err != nil {
						b.Error(err)
						return
					}
				}
			})
			report(b, cpu)
			b.ReportMetric(float64(refused.Load()), "refused")
			b.ReportMetric(float64(b.N)/float64(max(cs.appends.Load(), 1)), "events/append")
		})
	}
}

// BenchmarkApplyBatch hands 8192 events at a time to Apply (a bulk import or a queue
// consumer), which commits them in chunks while it decides the next.
func BenchmarkApplyBatch(b *testing.B) {
	l := benchLedger(b)
	const size = 8192
	batch := make([]loyalty.Record, size)
	var i int64
	cpu := cpuTime()
	b.ResetTimer()
	for done := 0; done < b.N; done += size {
		for k := range batch {
			i++
			at, m := earnAt(i)
			batch[k] = loyalty.Record{Kind: loyalty.KindEarn, Key: fmt.Sprint("e", i), At: at, Member: m, Order: fmt.Sprint("O", i), Amount: 1000 + i%5000}
		}
		if err := l.Apply(context.Background(), batch[:min(size, b.N-done)]...); err != nil {
			b.Fatal(err)
		}
	}
	report(b, cpu)
}

// BenchmarkEarnFsyncEach is the naive baseline: one caller, one fsync per event.
func BenchmarkEarnFsyncEach(b *testing.B) {
	l := benchLedger(b)
	ctx := context.Background()
	cpu := cpuTime()
	b.ResetTimer()
	for i := range int64(b.N) {
		at, m := earnAt(i)
		if _, err := l.Earn(ctx, at, fmt.Sprint("e", i), m, fmt.Sprint("O", i), 1000); err != nil {
			b.Fatal(err)
		}
	}
	report(b, cpu)
}

// busyMember builds a ledger whose member 1 has a year of history: 200 orders, 60
// spends, 10 refunds, 12 bonuses (and 999 other members with a few orders each).
func busyMember(b *testing.B) (*loyalty.Ledger, *refLedger, *refTiers) {
	ctx := context.Background()
	rules := benchRules()
	l, err := loyalty.Open(&loyalty.MemStore{}, rules)
	if err != nil {
		b.Fatal(err)
	}
	ref := &refLedger{rules: rules}
	refT := &refTiers{rules: rules}
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 200 {
		at := start.Add(time.Duration(i) * 43 * time.Hour)
		amt := int64(2000 + 37*i%9000)
		rec, err := l.Earn(ctx, at, fmt.Sprint("e", i), 1, fmt.Sprint("O", i), amt)
		if err != nil {
			b.Fatal(err)
		}
		ev := loyalty.Record{Kind: loyalty.KindEarn, Key: rec.Key, At: at, Member: 1, Order: rec.Order, Amount: amt}
		ref.events = append(ref.events, ev)
		refT.orders = append(refT.orders, &refTierOrder{member: 1, at: at, amount: amt, points: rec.Points})
		if i%3 == 0 {
			sp := at.Add(time.Hour)
			if avail := l.Balance(sp, 1).Available; avail > 0 {
				ev := loyalty.Record{Kind: loyalty.KindSpend, Key: fmt.Sprint("s", i), At: sp, Member: 1, Points: avail / 2}
				if avail/2 > 0 {
					if err := l.Apply(ctx, ev); err != nil {
						b.Fatal(err)
					}
					ref.events = append(ref.events, ev)
				}
			}
		}
	}
	for m := uint32(2); m <= 1000; m++ {
		for k := range 5 {
			l.Earn(ctx, start.AddDate(0, k, 0), fmt.Sprint("x", m, "-", k), m, fmt.Sprint("X", m, "-", k), 5000)
		}
	}
	return l, ref, refT
}

// BenchmarkBalance: a member's balance as of an instant spread over its year, from
// memory. Target: < 10 µs.
func BenchmarkBalance(b *testing.B) {
	l, _, _ := busyMember(b)
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	cpu := cpuTime()
	b.ResetTimer()
	var sink int64
	for i := range b.N {
		sink += l.Balance(start.Add(time.Duration(i*7919%8760)*time.Hour), 1).Available
	}
	b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
	_ = sink
}

// BenchmarkBalanceNaive is the baseline: the reference model, which replays the
// member's history from the start for every query.
func BenchmarkBalanceNaive(b *testing.B) {
	_, ref, _ := busyMember(b)
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	cpu := cpuTime()
	b.ResetTimer()
	for i := range b.N {
		ref.balance(1, start.Add(time.Duration(i*7919%8760)*time.Hour))
	}
	b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
}

// BenchmarkTier: a member's tier as of a random instant. Target: < 10 µs.
func BenchmarkTier(b *testing.B) {
	l, _, _ := busyMember(b)
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	cpu := cpuTime()
	b.ResetTimer()
	var sink int
	for i := range b.N {
		sink += l.Tier(start.Add(time.Duration(i*7919%8760)*time.Hour), 1).Level
	}
	b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
	_ = sink
}

// BenchmarkTierNaive is the baseline: the hour-by-hour reference up to the instant.
func BenchmarkTierNaive(b *testing.B) {
	_, _, ref := busyMember(b)
	cpu := cpuTime()
	b.ResetTimer()
	for i := range b.N {
		h := ref.levels(1, 1+i*7919%8760)
		_ = h[len(h)-1]
	}
	b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
}
