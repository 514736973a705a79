package pipeline

import (
	"context"
	"os"
	"slices"
	"strconv"
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/runners/prism"

	"github.com/clientele-go/clientele/funnel"
)

func init() {
	register.DoFn2x0[int, func(funnel.Event)](&genFn{})
	register.Emitter1[funnel.Event]()
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

// BenchmarkFunnelPrism runs generate -> Profiles (one shuffle) -> Funnel on Prism;
// BenchmarkFunnelInProcess is the baseline, Spec.Run over the same events in memory
// (generated outside the timing).
func BenchmarkFunnelPrism(b *testing.B) {
	n := benchProfiles(b)
	var blocks []int
	for i := 0; i*benchBlock < n; i++ {
		blocks = append(blocks, i)
	}
	b.ResetTimer()
	for range b.N {
		p, s := beam.NewPipelineWithRoot()
		events := beam.ParDo(s, &genFn{Profiles: benchBlock}, beam.Reshuffle(s, beam.CreateList(s, blocks)))
		out, err := Funnel(s, benchSpec, Profiles(s, events))
		if err != nil {
			b.Fatal(err)
		}
		collect(s, "bench", out)
		if _, err := prism.Execute(context.Background(), p); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(len(blocks)*benchBlock), "profiles")
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
	b.ReportMetric(float64(len(events)), "events")
	b.ResetTimer()
	for range b.N {
		if _, err := benchSpec.Run(slices.Clone(events)); err != nil {
			b.Fatal(err)
		}
	}
}
