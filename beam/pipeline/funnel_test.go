package pipeline

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/clientele-go/clientele/funnel"
)

const day = 24 * time.Hour

var resultOpts = []cmp.Option{
	cmpopts.IgnoreUnexported(funnel.Result{}), cmpopts.EquateEmpty(),
	cmp.Comparer(func(a, b *roaring.Bitmap) bool { return a.Equals(b) }),
	// funnel.Table.Location: a time.Location's fields are unexported; by name, as
	// funnel.CompareRetention compares them.
	cmp.Comparer(func(a, b *time.Location) bool { return a.String() == b.String() }),
}

// specs covers every mode, per-step windows, optional steps, exclusions and each kind
// of breakdown.
func specs() map[string]funnel.Spec {
	steps := func(names ...string) []funnel.Step {
		var s []funnel.Step
		for _, n := range names {
			s = append(s, funnel.Step{Name: n})
		}
		return s
	}
	within := steps("visit", "signup", "purchase")
	within[2].Within = 14 * day
	optional := steps("visit", "signup", "cart", "purchase")
	optional[2].Optional = true
	asOf := time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC)
	return map[string]funnel.Spec{
		"default":       {Steps: steps("visit", "signup", "purchase"), Window: 30 * day},
		"dedup":         {Steps: steps("visit", "purchase", "purchase"), Window: 60 * day, Mode: funnel.StrictDeduplication},
		"order":         {Steps: steps("visit", "signup", "purchase"), Window: 60 * day, Mode: funnel.StrictOrder},
		"reentry":       {Steps: steps("visit", "signup", "purchase"), Mode: funnel.StrictOrder | funnel.AllowReentry},
		"increase_once": {Steps: steps("visit", "visit", "purchase"), Window: 90 * day, Mode: funnel.StrictIncrease | funnel.StrictOnce},
		"anyorder":      {Steps: steps("signup", "cart", "purchase"), Window: 30 * day, Mode: funnel.AnyOrder},
		"within":        {Steps: within, Window: 60 * day, AsOf: asOf},
		"optional":      {Steps: optional, Window: 60 * day},
		"exclude": {Steps: steps("visit", "signup", "purchase"), Window: 60 * day,
			Exclude: []funnel.Exclusion{{Event: funnel.Step{Name: "refund"}, From: 1, To: 2}}},
		"first_touch": {Steps: steps("visit", "purchase"), Window: 60 * day, Breakdown: &funnel.Breakdown{Prop: "channel"}},
		"last_touch":  {Steps: steps("visit", "signup", "purchase"), Breakdown: &funnel.Breakdown{Prop: "campaign", Attribution: funnel.DeepestStep}},
		"at_step":     {Steps: steps("visit", "signup", "purchase"), Window: 60 * day, Breakdown: &funnel.Breakdown{Prop: "channel", Attribution: funnel.AtStep, Step: 1}},
	}
}

// The events are many enough that Prism processes them in several bundles, so that
// accumulators are encoded, shuffled and merged (the test checks that merges happened):
// 6,000 profiles are 24 elements of Profiles, and stallAt pauses at the 4th of each
// bundle.
const testProfiles = 6000

func TestFunnelsEqualInProcess(t *testing.T) {
	events := genEvents(1, testProfiles)
	sorted := slices.Clone(events)
	SortCanonical(sorted)

	p, s := beam.NewPipelineWithRoot()
	profiles := stallAt(s, Profiles(s, beam.CreateList(s, events)), 4)
	all := specs()
	for name, spec := range all {
		out, err := Funnel(s, spec, profiles)
		if err != nil {
			t.Fatal(name, err)
		}
		collect(s, "funnel/"+name, out)
	}
	cohorts := funnel.Cohorts{Start: funnel.Step{Name: "signup"}, Return: funnel.Step{Name: "purchase"}, By: funnel.Week, Periods: 8}
	brackets := funnel.Cohorts{Return: funnel.Step{Name: "visit"}, By: funnel.Month, Retention: funnel.OnOrAfter,
		Brackets: []funnel.Bracket{{From: 1, To: 1}, {From: 2, To: 3}}, Location: mustLocation(t, "Europe/Paris")}
	for name, c := range map[string]funnel.Cohorts{"weekly": cohorts, "brackets": brackets} {
		out, err := Cohorts(s, c, profiles)
		if err != nil {
			t.Fatal(name, err)
		}
		collect(s, "cohorts/"+name, out)
	}
	life := funnel.Lifecycle{By: funnel.Week}
	lout, err := Lifecycle(s, life, profiles)
	if err != nil {
		t.Fatal(err)
	}
	collect(s, "lifecycle", lout)
	runMerging(t, p)

	for name, spec := range all {
		want, err := spec.Run(sorted)
		if err != nil {
			t.Fatal(name, err)
		}
		pt, err := decodeInto(spec.NewPartial, only(t, "funnel/"+name))
		if err != nil {
			t.Fatal(name, err)
		}
		gotR, err := pt.Result()
		if err != nil {
			t.Fatal(name, err)
		}
		if diff := cmp.Diff(want, gotR, resultOpts...); diff != "" {
			t.Errorf("funnel %s: pipeline differs from Spec.Run (-want +got):\n%s", name, diff)
		}
		ws, err1 := want.TimeToConvert(0.95)
		gs, err2 := gotR.TimeToConvert(0.95)
		if (err1 == nil) != (err2 == nil) || (err1 == nil && !cmp.Equal(ws, gs, cmpopts.EquateEmpty(), cmpopts.IgnoreUnexported())) {
			t.Errorf("funnel %s: time to convert differs: %v %v", name, err1, err2)
		}
	}
	for name, c := range map[string]funnel.Cohorts{"weekly": cohorts, "brackets": brackets} {
		want, err := c.Run(sorted)
		if err != nil {
			t.Fatal(err)
		}
		cp, err := decodeInto(c.NewPartial, only(t, "cohorts/"+name))
		if err != nil {
			t.Fatal(err)
		}
		gotT, err := cp.Result()
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, gotT, resultOpts...); diff != "" {
			t.Errorf("cohorts %s: pipeline differs from Cohorts.Run (-want +got):\n%s", name, diff)
		}
	}
	wantJ, err := life.Run(sorted)
	if err != nil {
		t.Fatal(err)
	}
	gotJ, err := decodeInto(life.NewJourneys, only(t, "lifecycle"))
	if err != nil {
		t.Fatal(err)
	}
	from, to := time.Date(2025, 1, 6, 0, 0, 0, 0, time.UTC), time.Date(2025, 9, 1, 0, 0, 0, 0, time.UTC)
	wg, err := wantJ.Growth(from, to)
	if err != nil {
		t.Fatal(err)
	}
	gg, err := gotJ.Growth(from, to)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(wg, gg); diff != "" {
		t.Errorf("growth accounting differs (-want +got):\n%s", diff)
	}
	if w, g := wantJ.Transitions(from, to), gotJ.Transitions(from, to); w != g {
		t.Errorf("transitions differ: %v versus %v", w, g)
	}
	for _, at := range []time.Time{from.Add(30 * day), to} {
		w, g := wantJ.Stages(at), gotJ.Stages(at)
		for i := range w {
			if !w[i].Equals(g[i]) {
				t.Errorf("stage %v at %v: %d profiles versus %d", funnel.Stage(i), at, w[i].GetCardinality(), g[i].GetCardinality())
			}
		}
	}
}

func mustLocation(t *testing.T, name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestSpecsThatCannotTravel(t *testing.T) {
	_, s := beam.NewPipelineWithRoot()
	profiles := beam.Create(s, []byte{0})
	match := funnel.Step{Name: "visit", Match: func(funnel.Event) bool { return true }}
	if _, err := Funnel(s, funnel.Spec{Steps: []funnel.Step{match}}, profiles); !errors.Is(err, ErrInvalid) {
		t.Errorf("Match function: %v, want ErrInvalid", err)
	}
	if _, err := Funnel(s, funnel.Spec{}, profiles); !errors.Is(err, ErrInvalid) {
		t.Errorf("empty spec: %v, want ErrInvalid", err)
	}
	if _, err := Cohorts(s, funnel.Cohorts{Periods: -1}, profiles); !errors.Is(err, ErrInvalid) {
		t.Errorf("bad cohorts: %v, want ErrInvalid", err)
	}
	ref := funnel.Lifecycle{Referrer: func(funnel.Event) (uint32, bool) { return 0, false }}
	if _, err := Lifecycle(s, ref, profiles); !errors.Is(err, ErrInvalid) {
		t.Errorf("Referrer function: %v, want ErrInvalid", err)
	}
	if _, err := Cohorts(s, funnel.Cohorts{Location: time.FixedZone("X", 3600)}, profiles); !errors.Is(err, ErrInvalid) {
		t.Errorf("unnamed location: %v, want ErrInvalid", err)
	}
}
