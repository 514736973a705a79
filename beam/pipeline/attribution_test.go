package pipeline

import (
	"errors"
	"maps"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/clientele-go/clientele/referral/attribution"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
)

func attributionModels() map[string]attribution.CreditRule {
	return map[string]attribution.CreditRule{
		"first":    attribution.FirstTouch{},
		"last":     attribution.LastTouch{Direct: "direct"},
		"linear":   attribution.Linear{},
		"position": attribution.PositionBased{First: 0.3, Last: 0.5},
		"decay":    attribution.TimeDecay{HalfLifeTouches: 2},
		"markov1":  attribution.Markov{},
		"markov2":  attribution.Markov{Order: 2},
		"shapley":  attribution.Shapley{Game: attribution.SubsetRate},
	}
}

func TestAttributionEqualsInProcess(t *testing.T) {
	paths := genPaths(5, 40000)
	models := attributionModels()
	p, s := beam.NewPipelineWithRoot()
	out, err := Attribution(s, models, stall(s, beam.Reshuffle(s, beam.CreateList(s, paths))))
	if err != nil {
		t.Fatal(err)
	}
	collect(s, "attribution", out)
	runMerging(t, p)
	credits, err := DecodeCredits(only(t, "attribution"))
	if err != nil {
		t.Fatal(err)
	}
	for name, m := range models {
		want, err := attribution.Attribute(paths, m)
		if err != nil {
			t.Fatal(name, err)
		}
		g := credits[name]
		if len(g) != len(want) {
			t.Errorf("%s: %d channels, want %d", name, len(g), len(want))
		}
		for ch, w := range want {
			if !near(w.Conversions, g[ch].Conversions, 1e-9) || !near(w.Value, g[ch].Value, 1e-9) {
				t.Errorf("%s %s: %+v, want %+v", name, ch, g[ch], w)
			}
		}
	}
}

func TestAttributionRefusesBadModels(t *testing.T) {
	_, s := beam.NewPipelineWithRoot()
	paths := beam.CreateList(s, genPaths(1, 3))
	for _, m := range []attribution.CreditRule{nil, attribution.Markov{Order: 9}, attribution.PositionBased{First: 0.9, Last: 0.9}} {
		if _, err := Attribution(s, map[string]attribution.CreditRule{"m": m}, paths); !errors.Is(err, ErrInvalid) {
			t.Errorf("%#v: %v, want ErrInvalid", m, err)
		}
	}
}

// TestAttributionAgreesOnAnyPaths holds the gathering of paths (pathsFn, then
// attributeFn, which a pipeline runs) to attribution.Attribute over the same paths:
// the same credits, or both refuse. The paths are drawn to reach what summing distinct
// paths could hide: channels holding NUL bytes (["a\x00b"] and ["a", "b"] once shared
// a key, and so their counts), and bad counts beside good paths of the same touches
// (a negative count or a value without conversions, summed into a good path, made a
// path the SDK accepts).
func TestAttributionAgreesOnAnyPaths(t *testing.T) {
	models := attributionModels()
	rapid.Check(t, func(t *rapid.T) {
		channel := rapid.SampledFrom([]string{"a", "b", "a\x00b", "\x00", "b\x00", "email"})
		count := rapid.SampledFrom([]float64{0, 1, 2, 0.5})
		if rapid.Bool().Draw(t, "bad counts") {
			count = rapid.SampledFrom([]float64{0, 1, 2, -1})
		}
		withAges := rapid.Bool().Draw(t, "ages")
		paths := rapid.SliceOfN(rapid.Custom(func(t *rapid.T) attribution.Path {
			p := attribution.Path{
				Touches:     rapid.SliceOfN(channel, 1, 3).Draw(t, "touches"),
				Conversions: count.Draw(t, "conversions"),
				Nulls:       count.Draw(t, "nulls"),
				Value:       count.Draw(t, "value"),
			}
			if withAges {
				for range p.Touches {
					p.Ages = append(p.Ages, time.Duration(rapid.IntRange(0, 2).Draw(t, "age"))*time.Hour)
				}
			}
			return p
		}), 1, 12).Draw(t, "paths")

		var f pathsFn
		ps, err := f.CreateAccumulator(), error(nil)
		for _, p := range paths {
			if ps, err = f.AddInput(ps, p); err != nil {
				break
			}
		}
		var got map[string]map[string]attribution.Credit
		if err == nil {
			var b []byte
			b, err = (&attributeFn{Models: wireModels(t, models)}).ProcessElement(nil, func(x **pathSet) bool {
				if ps == nil {
					return false
				}
				*x, ps = ps, nil
				return true
			})
			if err == nil {
				if got, err = DecodeCredits(b); err != nil {
					t.Fatal(err)
				}
			}
		}
		for _, name := range slices.Sorted(maps.Keys(models)) {
			want, werr := attribution.Attribute(paths, models[name])
			if (werr != nil) != (err != nil) {
				t.Fatalf("%s: the pipeline's error %v, the SDK's %v", name, err, werr)
			}
			if werr != nil {
				continue
			}
			g := got[name]
			if len(g) != len(want) {
				t.Fatalf("%s: %d channels %v, want %d %v", name, len(g), g, len(want), want)
			}
			for ch, w := range want {
				// Relative to the totals: a channel's share of nothing may be 0 in one
				// order of summing and 1e-17 in another.
				if math.Abs(w.Conversions-g[ch].Conversions) > 1e-9*(1+total(paths).Conversions) ||
					math.Abs(w.Value-g[ch].Value) > 1e-9*(1+total(paths).Value) {
					t.Fatalf("%s %q: %+v, want %+v", name, ch, g[ch], w)
				}
			}
		}
	})
}

// A bad path fails the gathering with the SDK's reason and the path itself.
func TestAttributionNamesABadPath(t *testing.T) {
	var f pathsFn
	ps, err := f.AddInput(f.CreateAccumulator(), attribution.Path{Touches: []string{"email", "search"}, Conversions: 1, Value: 5})
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.AddInput(ps, attribution.Path{Touches: []string{"email", "search"}, Value: 5})
	if want := "pipeline: attribution: path email > search: attribution: invalid input: path 0: value 5 without conversions"; err == nil || err.Error() != want || !errors.Is(err, attribution.ErrInvalid) {
		t.Errorf("AddInput of a value without conversions: %v, want %s", err, want)
	}
	// Figures past the library's bounds (attribution.MaxCount, scoring.MaxAmount) are
	// refused as they arrive, not only when the gathered paths are credited.
	for _, p := range []attribution.Path{
		{Touches: []string{"email"}, Conversions: 1, Value: 1e300},
		{Touches: []string{"email"}, Conversions: 2e12},
		{Touches: []string{"email"}, Conversions: 1, Nulls: 2e12},
		{Touches: []string{"email"}, Conversions: 1e-300, Value: 1},
	} {
		if _, err := f.AddInput(f.CreateAccumulator(), p); !errors.Is(err, attribution.ErrInvalid) || !strings.Contains(err.Error(), "path email:") {
			t.Errorf("AddInput of %+v: %v, want ErrInvalid naming the path", p, err)
		}
	}
}

// total sums the paths' conversions and values.
func total(paths []attribution.Path) attribution.Credit {
	var c attribution.Credit
	for _, p := range paths {
		c.Conversions += p.Conversions
		c.Value += p.Value
	}
	return c
}

func wireModels(t *rapid.T, models map[string]attribution.CreditRule) []modelWire {
	var w []modelWire
	for _, name := range slices.Sorted(maps.Keys(models)) {
		mw, err := wireModel(name, models[name])
		if err != nil {
			t.Fatal(err)
		}
		w = append(w, mw)
	}
	return w
}
