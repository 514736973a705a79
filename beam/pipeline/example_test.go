package pipeline_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/runners/prism"

	"github.com/clientele-go/clientele/beam/pipeline"
	"github.com/clientele-go/clientele/identity"
)

// The examples run on Prism in loopback mode (workers are goroutines of this process).
// Each gathers what it prints into one sorted string, so that the output does not
// depend on how Prism split the work.

func init() {
	register.Combiner3[[]string, string, string](&linesFn{})
	register.Function1x0(printLines)
	register.Function1x1(showAssignment)
	register.Function1x1(showMerge)
	register.Function1x1(showMove)
	pipeline.RegisterRules("uk", ukRules)
}

type linesFn struct{}

func (linesFn) CreateAccumulator() []string               { return nil }
func (linesFn) AddInput(a []string, line string) []string { return append(a, line) }
func (linesFn) MergeAccumulators(a, b []string) []string  { return append(a, b...) }
func (linesFn) ExtractOutput(a []string) string           { slices.Sort(a); return strings.Join(a, "\n") }
func printLines(lines string)                             { fmt.Println(lines) }
func showAssignment(a pipeline.Assignment) string {
	return fmt.Sprintf("profile %d: %s", a.Profile, a.ID)
}
func showMove(m pipeline.Move) string {
	return fmt.Sprintf("state of key %d moves to %d", m.Key, m.Current)
}
func showMerge(m identity.Merge) string {
	return fmt.Sprintf("merge at %s (%s): %v into %d", m.At.Format("15:04"), m.Cause, m.Absorbed, m.Survivor)
}

// show prints the lines (PCollections of string) sorted, once the pipeline has run.
func show(s beam.Scope, lines ...beam.PCollection) {
	beam.ParDo0(s, printLines, beam.Combine(s, &linesFn{}, beam.Flatten(s, lines...)))
}

func execute(p *beam.Pipeline) {
	if _, err := prism.Execute(context.Background(), p); err != nil {
		fmt.Println(err)
	}
}

var morning = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// A visitor browses anonymously; a user logs in elsewhere and buys in the store with
// the same e-mail spelled differently and a phone; then the user logs in on the first
// visitor's device, which merges the two profiles. "null" is dropped; a second visitor
// stays apart.
func ExampleResolve() {
	id := func(kind, value string) identity.ID { return identity.ID{Kind: kind, Value: value} }
	events := []identity.Event{
		{At: morning, Source: "web", IDs: []identity.ID{id("anonymous_id", "a1"), id("device_id", "d1")}},
		{At: morning.Add(time.Minute), Source: "web", IDs: []identity.ID{id("anonymous_id", "a2"), id("device_id", "null")}},
		{At: morning.Add(time.Hour), Source: "web", IDs: []identity.ID{id("user_id", "u1"), id("email", "Ann@Example.com")}},
		{At: morning.Add(2 * time.Hour), Source: "store", IDs: []identity.ID{id("email", " ann@example.com"), id("phone", "+1 415 555 0100")}},
		{At: morning.Add(3 * time.Hour), Source: "web", IDs: []identity.ID{id("user_id", "u1"), id("anonymous_id", "a1")}},
	}
	p, s := beam.NewPipelineWithRoot()
	res, err := pipeline.Resolve(s, "default", beam.CreateList(s, events), nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	show(s, beam.ParDo(s, showAssignment, res.Assignments), beam.ParDo(s, showMerge, res.Merges), beam.ParDo(s, showMove, res.Moves))
	execute(p)
	// Output:
	// merge at 12:00 (web): [3] into 1
	// profile 1: anonymous_id:a1
	// profile 1: device_id:d1
	// profile 1: email:ann@example.com
	// profile 1: phone:+14155550100
	// profile 1: user_id:u1
	// profile 2: anonymous_id:a2
	// state of key 3 moves to 1
}

// ukRules are the default rules for a host whose customers write British phone
// numbers without the country code.
func ukRules() identity.Rules {
	r := identity.DefaultRules()
	phone := r.Kinds["phone"]
	phone.Normalize = identity.PhoneNormalizer("44")
	r.Kinds["phone"] = phone
	return r
}

// Rules hold normaliser functions, which cannot be sent to workers: a pipeline names
// them, and every worker builds them from the function registered under the name (in
// an init function, so that workers running the same binary have it too).
func ExampleRegisterRules() {
	// In init: pipeline.RegisterRules("uk", ukRules)
	events := []identity.Event{
		{At: morning, Source: "store", IDs: []identity.ID{{Kind: "phone", Value: "020 7946 0958"}, {Kind: "email", Value: "bo@example.co.uk"}}},
		{At: morning.Add(time.Hour), Source: "call_centre", IDs: []identity.ID{{Kind: "phone", Value: "+44 20 7946 0958"}, {Kind: "user_id", Value: "u7"}}},
	}
	p, s := beam.NewPipelineWithRoot()
	res, err := pipeline.Resolve(s, "uk", beam.CreateList(s, events), nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	show(s, beam.ParDo(s, showAssignment, res.Assignments))
	execute(p)
	// Output:
	// profile 1: email:bo@example.co.uk
	// profile 1: phone:+442079460958
	// profile 1: user_id:u7
}

// SortLinks gives the order in which Resolve replays events; an in-process resolver
// fed this order computes what the pipeline computes.
func ExampleSortLinks() {
	events := []identity.Event{
		{At: morning.Add(time.Hour), Source: "web", IDs: []identity.ID{{Kind: "anonymous_id", Value: "a1"}}},
		{At: morning, Source: "web", IDs: []identity.ID{{Kind: "anonymous_id", Value: "a2"}}},
		{At: morning, Source: "store", IDs: []identity.ID{{Kind: "phone", Value: "+14155550100"}}},
	}
	pipeline.SortLinks(events)
	r, _ := identity.New(identity.DefaultRules())
	for _, e := range events {
		p, _ := r.Link(context.Background(), e.At, e.Source, e.IDs...)
		fmt.Println(e.At.Format("15:04"), e.Source, e.IDs[0], "-> profile", p)
	}
	// Output:
	// 09:00 store phone:+14155550100 -> profile 1
	// 09:00 web anonymous_id:a2 -> profile 2
	// 10:00 web anonymous_id:a1 -> profile 3
}
