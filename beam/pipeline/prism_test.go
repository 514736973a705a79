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

// collect sends col's elements to the test under key (unique per test).
func collect(s beam.Scope, key string, col beam.PCollection) {
	collected.Delete(key)
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
	before := mergeCount.Load()
	if _, err := prism.Execute(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	return mergeCount.Load() - before
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
