package pipeline

import (
	"context"
	"encoding/binary"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/runners/prism"

	"github.com/clientele-go/clientele/funnel"
)

func init() {
	register.DoFn2x0[int, func(funnel.Event)](&genFn{})
	register.Emitter1[funnel.Event]()
	register.Function1x2(keyByProfile)
	register.Function2x1(gatherProfile)
	register.Iter1[funnel.Event]()
}

// genFn generates the events of one block of profiles inside the pipeline, so that a
// benchmark's input is not shipped in the pipeline's definition.
type genFn struct{ Profiles int }

func (f *genFn) ProcessElement(block int, emit func(funnel.Event)) {
	for _, e := range genEvents(uint64(block), f.Profiles) {
		e.Profile += uint32(block * f.Profiles)
		emit(e)
	}
}

// benchProfiles is the number of profiles of the benchmarks (about 4.6 events each):
// 20,000 by default so that a -bench run stays short; CLIENTELE_BEAM_PROFILES raises it
// (2,200,000 gives about 10^7 events).
func benchProfiles(b *testing.B) int {
	if v := os.Getenv("CLIENTELE_BEAM_PROFILES"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			b.Fatal(err)
		}
		return n
	}
	return 20000
}

const benchBlock = 10000

var benchSpec = funnel.Spec{Steps: []funnel.Step{{Name: "visit"}, {Name: "signup"}, {Name: "purchase"}}, Window: 30 * day}

// benchBlocks returns the generator's blocks for n profiles and how many events they
// make (generated here and dropped, so that the figures can be per event).
func benchBlocks(n int) (blocks []int, events int) {
	for i := 0; i*benchBlock < n; i++ {
		blocks = append(blocks, i)
		events += len(genEvents(uint64(i), benchBlock))
	}
	return blocks, events
}

// reportPerEvent reports wall and CPU time per event and the process's peak resident
// memory per event (Prism runs in the test process, so it counts the runner, the
// workers and the Go runtime's slack; run one benchmark per process to read it).
func reportPerEvent(b *testing.B, events int, wall, cpu time.Duration) {
	n := float64(events) * float64(b.N)
	b.ReportMetric(float64(events), "events")
	b.ReportMetric(float64(wall.Nanoseconds())/n, "ns/event")
	b.ReportMetric(float64(cpu.Nanoseconds())/n, "cpu-ns/event")
	b.ReportMetric(peakRSS()/float64(events), "peak-rss-B/event")
}

// BenchmarkFunnelPrism runs generate -> Profiles (one shuffle of batches, one element
// per range of 256 profiles) -> Funnel on Prism; BenchmarkFunnelPrismNaive is the same
// pipeline with one shuffle element per event (what Profiles did before), and
// BenchmarkFunnelInProcess the in-memory baseline, Spec.Run over the same events
// (generated outside the timing).
func BenchmarkFunnelPrism(b *testing.B) {
	benchFunnelPrism(b, Profiles)
}

func BenchmarkFunnelPrismNaive(b *testing.B) {
	benchFunnelPrism(b, profilesPerEvent)
}

func benchFunnelPrism(b *testing.B, profiles func(beam.Scope, beam.PCollection) beam.PCollection) {
	blocks, events := benchBlocks(benchProfiles(b))
	b.ResetTimer()
	cpu0, start := cpuTime(), time.Now()
	for range b.N {
		p, s := beam.NewPipelineWithRoot()
		evs := beam.ParDo(s, &genFn{Profiles: benchBlock}, beam.Reshuffle(s, beam.CreateList(s, blocks)))
		out, err := Funnel(s, benchSpec, profiles(s, evs))
		if err != nil {
			b.Fatal(err)
		}
		collect(s, "bench", out)
		if _, err := prism.Execute(context.Background(), p); err != nil {
			b.Fatal(err)
		}
	}
	wall, cpu := time.Since(start), cpuTime()-cpu0
	b.StopTimer()
	reportPerEvent(b, events, wall, cpu)
}

func BenchmarkFunnelInProcess(b *testing.B) {
	n := benchProfiles(b)
	var events []funnel.Event
	for i := 0; i*benchBlock < n; i++ {
		for _, e := range genEvents(uint64(i), benchBlock) {
			e.Profile += uint32(i * benchBlock)
			events = append(events, e)
		}
	}
	b.ResetTimer()
	cpu0, start := cpuTime(), time.Now()
	for range b.N {
		if _, err := benchSpec.Run(slices.Clone(events)); err != nil {
			b.Fatal(err)
		}
	}
	wall, cpu := time.Since(start), cpuTime()-cpu0
	b.StopTimer()
	reportPerEvent(b, len(events), wall, cpu)
}

// profilesPerEvent is Profiles as it was before events travelled in batches: every
// event its own shuffle element keyed by its profile, one output element per profile.
// It is the naive baseline of BenchmarkFunnelPrism.
func profilesPerEvent(s beam.Scope, events beam.PCollection) beam.PCollection {
	s = s.Scope("profilesPerEvent")
	return beam.ParDo(s, gatherProfile, beam.GroupByKey(s, beam.ParDo(s, keyByProfile, events)))
}

func keyByProfile(e funnel.Event) (uint32, funnel.Event) { return e.Profile, e }

func gatherProfile(_ uint32, events func(*funnel.Event) bool) []byte {
	var es []funnel.Event
	var e funnel.Event
	for events(&e) {
		es = append(es, e)
	}
	SortCanonical(es)
	b := binary.AppendUvarint(nil, uint64(len(es)))
	for _, e := range es {
		b = appendEvent(b, e)
	}
	return b
}
