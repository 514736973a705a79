package pipeline

import (
	"cmp"
	"context"
	"log/slog"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/runners/prism"
)

func TestMain(m *testing.M) {
	// Prism logs every job's progress at INFO; keep warnings and errors.
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	beam.Init()
	os.Exit(m.Run())
}

func init() {
	register.DoFn1x0[[]byte](&collectFn{})
	register.DoFn1x1[beam.T, beam.T](&stallFn{})
}

// collected holds what collectFn saw, by key: the tests run Prism in loopback mode,
// so its workers are goroutines of the test process.
var collected sync.Map // string -> *[][]byte

var collectMu sync.Mutex

type collectFn struct{ Key string }

func (f *collectFn) ProcessElement(b []byte) {
	collectMu.Lock()
	defer collectMu.Unlock()
	v, _ := collected.LoadOrStore(f.Key, new([][]byte))
	p := v.(*[][]byte)
	*p = append(*p, slices.Clone(b))
}

// pending holds the keys collect registered since the last run began: the outputs of
// the pipeline being built, which runMerging clears before it runs the pipeline again.
var pending []string

// collect sends col's elements to the test under key (unique per test).
func collect(s beam.Scope, key string, col beam.PCollection) {
	collected.Delete(key)
	pending = append(pending, key)
	beam.ParDo0(s, &collectFn{Key: key}, col)
}

func got(t *testing.T, key string) [][]byte {
	t.Helper()
	v, ok := collected.Load(key)
	if !ok {
		return nil
	}
	return *v.(*[][]byte)
}

// only returns the single element collected under key.
func only(t *testing.T, key string) []byte {
	t.Helper()
	g := got(t, key)
	if len(g) != 1 {
		t.Fatalf("%s: %d elements, want 1", key, len(g))
	}
	return g[0]
}

// run executes p on Prism and reports how many MergeAccumulators calls it made.
func run(t *testing.T, p *beam.Pipeline) int64 {
	t.Helper()
	pending = pending[:0]
	before := mergeCount.Load()
	if _, err := prism.Execute(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	return mergeCount.Load() - before
}

// mergeRuns is how many times runMerging runs a pipeline whose runs merge nothing.
const mergeRuns = 3

// runMerging runs p as run does and fails the test unless its combiners merged
// accumulators, so that a test comparing a pipeline with the SDK in process covers the
// merge path (the one a cluster takes). Prism splits a bundle, which makes the merges,
// only when it sees no progress between two of its ticks; on a machine at load 10 a run
// once saw none. So a run without merges is repeated, up to mergeRuns runs, each
// starting from no collected output: the test reads the last run's, which merged.
func runMerging(t *testing.T, p *beam.Pipeline) {
	t.Helper()
	keys := slices.Clone(pending)
	for i := 1; ; i++ {
		for _, k := range keys {
			collected.Delete(k)
		}
		if run(t, p) > 0 {
			return
		}
		if i == mergeRuns {
			t.Errorf("no MergeAccumulators calls in %d runs: the test did not exercise merging", i)
			return
		}
		t.Logf("run %d made no MergeAccumulators calls (Prism split no bundle); running again", i)
	}
}

// stallFn passes elements through, pausing for longer than Prism's progress tick
// (100ms) at the 50th element of each bundle. Prism splits a bundle that makes no
// progress between two ticks, so a stage into which stallFn is fused runs as several
// bundles, each with its own accumulator: the combiners' MergeAccumulators then runs,
// as it does on a large job on a real cluster. Without it Prism gives a small test's
// stage one bundle and merges nothing.
type stallFn struct {
	At int // the element of each bundle to pause at; 0 means the 50th
	n  int
}

func (f *stallFn) StartBundle() { f.n = 0 }

func (f *stallFn) ProcessElement(x beam.T) beam.T {
	f.n++
	if f.n == cmp.Or(f.At, 50) {
		time.Sleep(350 * time.Millisecond)
	}
	return x
}

// stall fuses a stallFn after col.
func stall(s beam.Scope, col beam.PCollection) beam.PCollection {
	return beam.ParDo(s, &stallFn{}, col)
}

// stallAt is stall pausing at the at-th element, for a collection of few, large
// elements (Profiles: one per 256 profiles).
func stallAt(s beam.Scope, col beam.PCollection, at int) beam.PCollection {
	return beam.ParDo(s, &stallFn{At: at}, col)
}
