package pipeline

import (
	"errors"
	"testing"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/google/go-cmp/cmp"

	"github.com/clientele-go/clientele/funnel"
	"github.com/clientele-go/clientele/referral/attribution"
	"github.com/clientele-go/clientele/scoring"
)

// No events, paths or transactions: every transform documented to return one element
// returns one, the in-process SDK's answer on no input (the empty table, no credits,
// too few customers to fit). Beam's Go SDK emits nothing from a global Combine of an
// empty PCollection, and each of these returned no element at all, so that the road
// example wrote no table and then printed the one a previous run had left.
func TestEmptyInputsGiveOneElement(t *testing.T) {
	spec := funnel.Spec{Steps: []funnel.Step{{Name: "visit"}, {Name: "purchase"}}, Window: 30 * day}
	cohorts := funnel.Cohorts{Start: funnel.Step{Name: "visit"}, Return: funnel.Step{Name: "visit"}, By: funnel.Month, Periods: 3}
	life := funnel.Lifecycle{By: funnel.Month}
	models := map[string]attribution.CreditRule{"linear": attribution.Linear{}, "markov": attribution.Markov{}}
	opt := CLVOptions{Summary: scoring.SummaryOptions{End: time.Date(2025, 12, 31, 0, 0, 0, 0, time.UTC)}, Value: scoring.CLVOptions{Horizon: 52}}

	p, s := beam.NewPipelineWithRoot()
	profiles := Profiles(s, beam.CreateList(s, []funnel.Event{}))
	f, err := Funnel(s, spec, profiles)
	if err != nil {
		t.Fatal(err)
	}
	collect(s, "empty/funnel", f)
	c, err := Cohorts(s, cohorts, profiles)
	if err != nil {
		t.Fatal(err)
	}
	collect(s, "empty/cohorts", c)
	l, err := Lifecycle(s, life, profiles)
	if err != nil {
		t.Fatal(err)
	}
	collect(s, "empty/lifecycle", l)
	a, err := Attribution(s, models, beam.CreateList(s, []attribution.Path{}))
	if err != nil {
		t.Fatal(err)
	}
	collect(s, "empty/attribution", a)
	sums, err := Summaries(s, opt, beam.CreateList(s, []scoring.Transaction{}))
	if err != nil {
		t.Fatal(err)
	}
	v, err := CustomerValue(s, opt, sums)
	if err != nil {
		t.Fatal(err)
	}
	collect(s, "empty/clv", v.Model)
	run(t, p)

	wantF, err := spec.Run(nil)
	if err != nil {
		t.Fatal(err)
	}
	pf, err := decodeInto(spec.NewPartial, only(t, "empty/funnel"))
	if err != nil {
		t.Fatal(err)
	}
	if gotF, err := pf.Result(); err != nil || !cmp.Equal(wantF, gotF, resultOpts...) {
		t.Errorf("funnel of no events: %v, %+v, want %+v", err, gotF, wantF)
	}
	wantC, err := cohorts.Run(nil)
	if err != nil {
		t.Fatal(err)
	}
	pc, err := decodeInto(cohorts.NewPartial, only(t, "empty/cohorts"))
	if err != nil {
		t.Fatal(err)
	}
	if gotC, err := pc.Result(); err != nil || !cmp.Equal(wantC, gotC, resultOpts...) {
		t.Errorf("cohorts of no events: %v, %+v, want %+v", err, gotC, wantC)
	}
	j, err := decodeInto(life.NewJourneys, only(t, "empty/lifecycle"))
	if err != nil {
		t.Fatal(err)
	}
	if g, err := j.Growth(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)); err != nil || len(g) != 3 || g[0].Active != 0 {
		t.Errorf("growth of no events: %v, %+v, want 3 empty months", err, g)
	}
	credits, err := DecodeCredits(only(t, "empty/attribution"))
	if err != nil || len(credits) != len(models) || len(credits["markov"]) != 0 {
		t.Errorf("credits of no paths: %v, %v, want no channel for each model", err, credits)
	}
	if _, _, err := DecodeModels(only(t, "empty/clv")); !errors.Is(err, scoring.ErrTooFew) {
		t.Errorf("models of no customers: %v, want ErrTooFew", err)
	}
}
