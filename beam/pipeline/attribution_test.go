package pipeline

import (
	"errors"
	"testing"

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
