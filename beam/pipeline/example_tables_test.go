package pipeline_test

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	"github.com/clientele-go/clientele/beam/pipeline"
	"github.com/clientele-go/clientele/funnel"
	"github.com/clientele-go/clientele/referral/attribution"
	"github.com/clientele-go/clientele/scoring"
)

func init() {
	register.Function2x1(showProfile)
	register.Function1x2(showFunnel)
	register.Function1x2(showCohorts)
	register.Function1x2(showLifecycle)
	register.Function1x2(showModels)
	register.Function2x0(showScore)
	register.Emitter1[string]()
	register.Function1x1(showSummary)
	register.Function1x2(showCredits)
	register.Function1x2(showShard)
}

// exampleEvents: three profiles visit, two sign up, one buys.
func exampleEvents() []funnel.Event {
	ev := func(p uint32, days int, name string) funnel.Event {
		return funnel.Event{Profile: p, Time: morning.Add(time.Duration(days) * 24 * time.Hour), Name: name}
	}
	return []funnel.Event{
		ev(1, 0, "visit"), ev(1, 1, "signup"), ev(1, 9, "purchase"), ev(1, 16, "visit"),
		ev(2, 0, "visit"), ev(2, 2, "signup"),
		ev(3, 7, "visit"),
	}
}

func showProfile(b []byte, emit func(string)) error {
	for es, err := range pipeline.ProfileEvents(b) {
		if err != nil {
			return err
		}
		var names []string
		for _, e := range es {
			names = append(names, e.Name)
		}
		emit(fmt.Sprintf("profile %d: %s", es[0].Profile, strings.Join(names, ", ")))
	}
	return nil
}

// Profiles gathers each profile's events on one worker, canonically ordered, a range
// of profiles an element; ProfileEvents iterates over an element's profiles, for a
// host's own per-profile DoFn.
func ExampleProfiles() {
	p, s := beam.NewPipelineWithRoot()
	profiles := pipeline.Profiles(s, beam.CreateList(s, exampleEvents()))
	show(s, beam.ParDo(s, showProfile, profiles))
	execute(p)
	// Output:
	// profile 1: visit, signup, purchase, visit
	// profile 2: visit, signup
	// profile 3: visit
}

var exampleSpec = funnel.Spec{Steps: []funnel.Step{{Name: "visit"}, {Name: "signup"}, {Name: "purchase"}}, Window: 30 * 24 * time.Hour}

func showFunnel(b []byte) (string, error) {
	pt, err := exampleSpec.NewPartial() // a partial of the spec the pipeline ran, to decode into
	if err != nil {
		return "", err
	}
	if err := pt.UnmarshalBinary(b); err != nil {
		return "", err
	}
	res, err := pt.Result()
	if err != nil {
		return "", err
	}
	var lines []string
	for _, st := range res.Steps {
		lines = append(lines, fmt.Sprintf("%-8s %d", st.Name, st.Unique))
	}
	return strings.Join(lines, "\n"), nil
}

// Funnel merges each worker's funnel.Partial; the result is the in-process table.
func ExampleFunnel() {
	p, s := beam.NewPipelineWithRoot()
	out, err := pipeline.Funnel(s, exampleSpec, pipeline.Profiles(s, beam.CreateList(s, exampleEvents())))
	if err != nil {
		fmt.Println(err)
		return
	}
	show(s, beam.ParDo(s, showFunnel, out))
	execute(p)
	// Output:
	// visit    3
	// signup   2
	// purchase 1
}

var exampleCohorts = funnel.Cohorts{Start: funnel.Step{Name: "visit"}, Return: funnel.Step{Name: "visit"}, By: funnel.Week, Periods: 3,
	AsOf: morning.Add(28 * 24 * time.Hour)}

func showCohorts(b []byte) (string, error) {
	cp, err := exampleCohorts.NewPartial()
	if err != nil {
		return "", err
	}
	if err := cp.UnmarshalBinary(b); err != nil {
		return "", err
	}
	tab, err := cp.Result()
	if err != nil {
		return "", err
	}
	var lines []string
	for _, c := range tab.Cohorts {
		lines = append(lines, fmt.Sprintf("week of %s: %d people, retained %v", c.Start.Format("2006-01-02"), c.Size, c.Retained))
	}
	return strings.Join(lines, "\n"), nil
}

// Cohorts merges each worker's cohort table's funnel.Partial into the retention table.
func ExampleCohorts() {
	p, s := beam.NewPipelineWithRoot()
	out, err := pipeline.Cohorts(s, exampleCohorts, pipeline.Profiles(s, beam.CreateList(s, exampleEvents())))
	if err != nil {
		fmt.Println(err)
		return
	}
	show(s, beam.ParDo(s, showCohorts, out))
	execute(p)
	// Output:
	// week of 2026-03-02: 2 people, retained [2 0 1 0]
	// week of 2026-03-09: 1 people, retained [1 0 0 0]
}

var exampleLifecycle = funnel.Lifecycle{Visit: funnel.Step{Name: "visit"}, Purchase: funnel.Step{Name: "purchase"},
	UserVisits: 2, UserSpan: 30 * 24 * time.Hour, DormantAfter: 60 * 24 * time.Hour, ChurnedAfter: 180 * 24 * time.Hour, By: funnel.Month}

func showLifecycle(b []byte) (string, error) {
	j, err := exampleLifecycle.NewJourneys()
	if err != nil {
		return "", err
	}
	if err := j.UnmarshalBinary(b); err != nil {
		return "", err
	}
	var lines []string
	for s, bm := range j.Stages(morning.Add(20 * 24 * time.Hour)) {
		if !bm.IsEmpty() {
			lines = append(lines, fmt.Sprintf("%v: %v", funnel.Stage(s), bm.ToArray()))
		}
	}
	return strings.Join(lines, "\n"), nil
}

// Lifecycle merges each worker's journeys; ask the merged funnel.Journeys for stages,
// growth or transitions.
func ExampleLifecycle() {
	p, s := beam.NewPipelineWithRoot()
	out, err := pipeline.Lifecycle(s, exampleLifecycle, pipeline.Profiles(s, beam.CreateList(s, exampleEvents())))
	if err != nil {
		fmt.Println(err)
		return
	}
	show(s, beam.ParDo(s, showLifecycle, out))
	execute(p)
	// Output:
	// visitor: [2 3]
	// customer: [1]
}

// SortCanonical puts events in the order the pipeline gives each profile's events, so
// that the in-process SDK fed the sorted slice computes what the pipeline computes.
func ExampleSortCanonical() {
	events := []funnel.Event{
		{Profile: 2, Time: morning, Name: "visit"},
		{Profile: 1, Time: morning, Name: "visit"},
		{Profile: 1, Time: morning, Name: "signup"},
	}
	pipeline.SortCanonical(events)
	for _, e := range events {
		fmt.Println(e.Profile, e.Name)
	}
	// Output:
	// 1 signup
	// 1 visit
	// 2 visit
}

// exampleTransactions: 40 customers, each buying every few weeks for a while.
func exampleTransactions() []scoring.Transaction {
	var txs []scoring.Transaction
	for c := uint32(1); c <= 40; c++ {
		for k := range 1 + c%5 {
			txs = append(txs, scoring.Transaction{Profile: c, Time: morning.Add(time.Duration(int(c)%7+int(k)*(10+int(c)%20)) * 24 * time.Hour),
				Amount: float64(10 + c%9*5 + k)})
		}
	}
	return txs
}

var exampleCLV = pipeline.CLVOptions{
	Summary: scoring.SummaryOptions{End: morning.Add(150 * 24 * time.Hour)},
	Value:   scoring.CLVOptions{Horizon: 52},
}

func showSummary(s scoring.Summary) string {
	return fmt.Sprintf("customer %2d: %d repeat purchases", s.Profile, int(s.Customer.Frequency))
}

// Summaries turns each customer's transactions into a scoring.Summary.
func ExampleSummaries() {
	p, s := beam.NewPipelineWithRoot()
	sums, err := pipeline.Summaries(s, exampleCLV, beam.CreateList(s, exampleTransactions()[:6]))
	if err != nil {
		fmt.Println(err)
		return
	}
	show(s, beam.ParDo(s, showSummary, sums))
	execute(p)
	// Output:
	// customer  1: 1 repeat purchases
	// customer  2: 2 repeat purchases
	// customer  3: 0 repeat purchases
}

func showModels(b []byte) (string, error) {
	m, gg, err := pipeline.DecodeModels(b)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("fitted %T and Gamma-Gamma (p > 0: %v)", m, gg.P > 0), nil
}

func showScore(sc pipeline.Score, emit func(string)) {
	if sc.Profile <= 3 {
		emit(fmt.Sprintf("customer %d: P(alive) %.2f", sc.Profile, sc.PAlive))
	}
}

// CustomerValue gathers the fits' grouped statistics, fits once, and scores every
// customer with the fitted models as a side input; DecodeModels reads the models.
func ExampleCustomerValue() {
	p, s := beam.NewPipelineWithRoot()
	sums, err := pipeline.Summaries(s, exampleCLV, beam.CreateList(s, exampleTransactions()))
	if err != nil {
		fmt.Println(err)
		return
	}
	clv, err := pipeline.CustomerValue(s, exampleCLV, sums)
	if err != nil {
		fmt.Println(err)
		return
	}
	show(s, beam.ParDo(s, showModels, clv.Model), beam.ParDo(s, showScore, clv.Scores))
	execute(p)
	// Output:
	// customer 1: P(alive) 0.08
	// customer 2: P(alive) 0.05
	// customer 3: P(alive) 0.04
	// fitted *scoring.BGNBD and Gamma-Gamma (p > 0: true)
}

// SortTransactions gives the order in which the pipeline hands a customer's
// transactions to the SDK.
func ExampleSortTransactions() {
	txs := []scoring.Transaction{
		{Profile: 2, Time: morning, Amount: 5},
		{Profile: 1, Time: morning.Add(time.Hour), Amount: 3},
		{Profile: 1, Time: morning, Amount: 9},
	}
	pipeline.SortTransactions(txs)
	for _, t := range txs {
		fmt.Println(t.Profile, t.Time.Format("15:04"), t.Amount)
	}
	// Output:
	// 1 09:00 9
	// 1 10:00 3
	// 2 09:00 5
}

func showCredits(b []byte) (string, error) {
	credits, err := pipeline.DecodeCredits(b)
	if err != nil {
		return "", err
	}
	var lines []string
	for _, model := range slices.Sorted(maps.Keys(credits)) {
		for _, ch := range slices.Sorted(maps.Keys(credits[model])) {
			lines = append(lines, fmt.Sprintf("%s %s %.2f", model, ch, credits[model][ch].Conversions))
		}
	}
	return strings.Join(lines, "\n"), nil
}

// Attribution shares conversions among channels; the paths' distinct touch sequences
// are combined across workers and each model solved once. DecodeCredits reads them.
func ExampleAttribution() {
	paths := []attribution.Path{
		{Touches: []string{"search", "email"}, Conversions: 1},
		{Touches: []string{"social", "email"}, Conversions: 1},
		{Touches: []string{"search"}, Nulls: 1},
	}
	p, s := beam.NewPipelineWithRoot()
	out, err := pipeline.Attribution(s, map[string]attribution.CreditRule{"last": attribution.LastTouch{}, "linear": attribution.Linear{}}, beam.CreateList(s, paths))
	if err != nil {
		fmt.Println(err)
		return
	}
	show(s, beam.ParDo(s, showCredits, out))
	execute(p)
	// Output:
	// last email 2.00
	// last search 0.00
	// last social 0.00
	// linear email 1.00
	// linear search 0.50
	// linear social 0.50
}

func showShard(sh pipeline.Shard) (string, error) {
	bm := roaring.New()
	if _, err := bm.FromBuffer(sh.Bitmap); err != nil {
		return "", err
	}
	return fmt.Sprintf("%s, shard %d: %v", sh.Audience, sh.Shard, bm.ToArray()), nil
}

// Audiences builds per-shard bitmaps of the profiles that meet each audience's terms;
// Audience.Query is the same audience as a segment query, for evaluating in process.
func ExampleAudiences() {
	traits := []pipeline.Trait{{Profile: 1, Key: "plan", Value: "pro"}, {Profile: 2, Key: "plan", Value: "free"}, {Profile: 1 << 20, Key: "plan", Value: "pro"}}
	audiences := []pipeline.Audience{
		{Name: "pro buyers", All: true, Terms: []string{"plan:pro", "did(purchase)"}},
		{Name: "signed up or pro", Terms: []string{"did(signup)", "plan:pro"}},
	}
	fmt.Println(audiences[0].Query())
	p, s := beam.NewPipelineWithRoot()
	out, err := pipeline.Audiences(s, audiences, beam.CreateList(s, exampleEvents()), beam.CreateList(s, traits))
	if err != nil {
		fmt.Println(err)
		return
	}
	show(s, beam.ParDo(s, showShard, out))
	execute(p)
	// Output:
	// plan:pro AND did(purchase)
	// pro buyers, shard 0: [1]
	// signed up or pro, shard 0: [1 2]
	// signed up or pro, shard 1: [1048576]
}
