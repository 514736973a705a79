package pipeline

import (
	"fmt"
	"time"
	_ "time/tzdata" // workers load the specs' locations by name, whatever their OS has

	"github.com/clientele-go/clientele/funnel"
)

// Beam ships a DoFn's exported fields to the workers as JSON, and functions cannot
// travel. The SDK's specs hold Match and Referrer functions and *time.Location, so each
// travels in a wire form holding what can: step names, durations, modes, and the
// location's name.

type stepWire struct {
	Name     string
	Optional bool          `json:",omitempty"`
	Within   time.Duration `json:",omitempty"`
}

func wireStep(what string, s funnel.Step) (stepWire, error) {
	if s.Match != nil {
		return stepWire{}, fmt.Errorf("%w: %s has a Match function, which cannot be sent to workers; match by Name", ErrInvalid, what)
	}
	return stepWire{Name: s.Name, Optional: s.Optional, Within: s.Within}, nil
}

func (w stepWire) step() funnel.Step {
	return funnel.Step{Name: w.Name, Optional: w.Optional, Within: w.Within}
}

type exclusionWire struct {
	Event    stepWire
	From, To int
}

type specWire struct {
	Steps     []stepWire
	Window    time.Duration
	Mode      funnel.Mode
	Exclude   []exclusionWire   `json:",omitempty"`
	Breakdown *funnel.Breakdown `json:",omitempty"`
	AsOf      time.Time
}

func wireSpec(s funnel.Spec) (specWire, error) {
	if err := s.Validate(); err != nil {
		return specWire{}, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	w := specWire{Window: s.Window, Mode: s.Mode, AsOf: s.AsOf}
	if s.Breakdown != nil {
		b := *s.Breakdown
		w.Breakdown = &b
	}
	for i, st := range s.Steps {
		sw, err := wireStep(fmt.Sprintf("step %d", i+1), st)
		if err != nil {
			return specWire{}, err
		}
		w.Steps = append(w.Steps, sw)
	}
	for i, x := range s.Exclude {
		ew, err := wireStep(fmt.Sprintf("exclusion %d", i+1), x.Event)
		if err != nil {
			return specWire{}, err
		}
		w.Exclude = append(w.Exclude, exclusionWire{Event: ew, From: x.From, To: x.To})
	}
	return w, nil
}

func (w specWire) spec() funnel.Spec {
	s := funnel.Spec{Window: w.Window, Mode: w.Mode, AsOf: w.AsOf, Breakdown: w.Breakdown}
	for _, st := range w.Steps {
		s.Steps = append(s.Steps, st.step())
	}
	for _, x := range w.Exclude {
		s.Exclude = append(s.Exclude, funnel.Exclusion{Event: x.Event.step(), From: x.From, To: x.To})
	}
	return s
}

// location names a location so that a worker can load it; nil is UTC, as in the SDK.
func locationName(loc *time.Location) (string, error) {
	if loc == nil || loc == time.UTC {
		return "", nil
	}
	name := loc.String()
	if l, err := time.LoadLocation(name); err != nil || l.String() != name {
		return "", fmt.Errorf("%w: location %q cannot be loaded by name on a worker", ErrInvalid, name)
	}
	return name, nil
}

func loadLocation(name string) *time.Location {
	if name == "" {
		return nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		// Checked when the wire form was made, and the zone database is embedded.
		return time.UTC
	}
	return loc
}

type cohortsWire struct {
	Start, Return stepWire
	By            funnel.Period
	Periods       int
	Retention     funnel.RetentionRule
	Brackets      []funnel.Bracket `json:",omitempty"`
	Location      string           `json:",omitempty"`
	AsOf          time.Time
}

func wireCohorts(c funnel.Cohorts) (cohortsWire, error) {
	if _, err := c.Run(nil); err != nil {
		return cohortsWire{}, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	start, err := wireStep("cohort start", c.Start)
	if err != nil {
		return cohortsWire{}, err
	}
	ret, err := wireStep("cohort return", c.Return)
	if err != nil {
		return cohortsWire{}, err
	}
	loc, err := locationName(c.Location)
	if err != nil {
		return cohortsWire{}, err
	}
	return cohortsWire{Start: start, Return: ret, By: c.By, Periods: c.Periods, Retention: c.Retention,
		Brackets: c.Brackets, Location: loc, AsOf: c.AsOf}, nil
}

func (w cohortsWire) cohorts() funnel.Cohorts {
	return funnel.Cohorts{Start: w.Start.step(), Return: w.Return.step(), By: w.By, Periods: w.Periods,
		Retention: w.Retention, Brackets: w.Brackets, Location: loadLocation(w.Location), AsOf: w.AsOf}
}

type lifecycleWire struct {
	Visit, Purchase, Active stepWire
	UserVisits              int
	UserSpan                time.Duration
	DormantAfter            time.Duration
	ChurnedAfter            time.Duration
	By                      funnel.Period
	Location                string `json:",omitempty"`
}

func wireLifecycle(l funnel.Lifecycle) (lifecycleWire, error) {
	if l.Referrer != nil {
		return lifecycleWire{}, fmt.Errorf("%w: lifecycle has a Referrer function, which cannot be sent to workers; put the referrer in the events' \"referrer\" property", ErrInvalid)
	}
	if _, err := l.Run(nil); err != nil {
		return lifecycleWire{}, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	var w lifecycleWire
	var err error
	for _, s := range []struct {
		what string
		in   funnel.Step
		out  *stepWire
	}{{"lifecycle visit", l.Visit, &w.Visit}, {"lifecycle purchase", l.Purchase, &w.Purchase}, {"lifecycle active", l.Active, &w.Active}} {
		if *s.out, err = wireStep(s.what, s.in); err != nil {
			return lifecycleWire{}, err
		}
	}
	if w.Location, err = locationName(l.Location); err != nil {
		return lifecycleWire{}, err
	}
	w.UserVisits, w.UserSpan, w.DormantAfter, w.ChurnedAfter, w.By = l.UserVisits, l.UserSpan, l.DormantAfter, l.ChurnedAfter, l.By
	return w, nil
}

func (w lifecycleWire) lifecycle() funnel.Lifecycle {
	return funnel.Lifecycle{Visit: w.Visit.step(), Purchase: w.Purchase.step(), Active: w.Active.step(),
		UserVisits: w.UserVisits, UserSpan: w.UserSpan, DormantAfter: w.DormantAfter, ChurnedAfter: w.ChurnedAfter,
		By: w.By, Location: loadLocation(w.Location)}
}
