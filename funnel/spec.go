package funnel

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// MaxSteps is the most steps a Spec may have (ClickHouse's windowFunnel allows 32 too).
const MaxSteps = 32

// Mode is a bit set of options that change how a conversion is matched. The first five
// are ClickHouse's windowFunnel modes and mean what they mean there; see the package
// documentation for the exact rules.
type Mode uint8

const (
	// StrictDeduplication stops the search at an event that repeats a step the profile
	// already reached (for steps after the first).
	StrictDeduplication Mode = 1 << iota
	// StrictOrder stops the search at an event that matches no step, at a step whose
	// previous step was never reached, and at a return to the first step after the
	// profile got past it.
	StrictOrder
	// StrictIncrease requires each step strictly later than the previous one.
	StrictIncrease
	// StrictOnce lets one event serve as at most one step of a conversion.
	StrictOnce
	// AllowReentry, with StrictOrder, ignores a return to the first step instead of
	// stopping the search there.
	AllowReentry
	// AnyOrder counts the steps done within one window in any order: "step k" means
	// "k of the steps". It combines with none of the other modes.
	AnyOrder
)

var modeNames = [...]string{"strict_deduplication", "strict_order", "strict_increase", "strict_once", "allow_reentry", "any_order"}

// unknown is m's bits that name no mode.
func (m Mode) unknown() Mode { return m >> len(modeNames) << len(modeNames) }

// ParseMode reads a set of modes as String writes them: ClickHouse's names
// ("strict_order", "strict_once", ...) joined by "|" or ",", or "default" (or nothing)
// for none, so that a host can take a mode from a query string or a configuration
// file. An unknown name is ErrInvalid naming it; whether the modes combine is Run's to
// check, as for a Mode set in code.
func ParseMode(s string) (Mode, error) {
	var m Mode
	if s = strings.TrimSpace(s); s == "" || s == "default" {
		return 0, nil
	}
	for name := range strings.FieldsFuncSeq(s, func(r rune) bool { return r == '|' || r == ',' }) {
		i := slices.Index(modeNames[:], strings.TrimSpace(name))
		if i < 0 {
			return 0, fmt.Errorf("%w: mode %q: want %s, joined by | or ,", ErrInvalid, name, strings.Join(modeNames[:], ", "))
		}
		m |= 1 << i
	}
	return m, nil
}

// String names the set modes as ClickHouse spells them, joined by "|".
func (m Mode) String() string {
	var parts []string
	for i, n := range modeNames {
		if m&(1<<i) != 0 {
			parts = append(parts, n)
		}
	}
	if unknown := m.unknown(); unknown != 0 {
		parts = append(parts, fmt.Sprintf("%#x", uint8(unknown)))
	}
	if len(parts) == 0 {
		return "default"
	}
	return strings.Join(parts, "|")
}

// Spec describes a funnel: its steps in order, the window within which a conversion
// must complete (measured from the first step's event, inclusive; zero means no limit),
// and the matching mode. A Spec is a plain value, safe to share between goroutines as
// long as its Match functions are.
type Spec struct {
	Steps  []Step
	Window time.Duration
	Mode   Mode
	// Exclude lists events that void a conversion when they happen strictly between the
	// conversion's events for two steps.
	Exclude []Exclusion
	// Breakdown, when set, splits every count by the value of an event property.
	Breakdown *Breakdown
	// AsOf is the instant observation ends, for time-to-convert: profiles whose window
	// is still open then are censored. Zero means the latest event's time.
	AsOf time.Time
}

// Exclusion voids a conversion in which an event matching Event happens strictly after
// (in time) the conversion's event for step From and strictly before its event for step
// To. From and To are 0-based step indexes of required steps, From < To.
type Exclusion struct {
	Event    Step
	From, To int
}

// Attribution says which event of a conversion gives a profile its breakdown value.
type Attribution uint8

const (
	// FirstStep takes the value on the conversion's first-step event.
	FirstStep Attribution = iota
	// DeepestStep takes the value on the event of the deepest step the profile reached.
	DeepestStep
	// AtStep takes the value on the conversion's event for Breakdown.Step; profiles
	// that never reached that step fall in the "" group.
	AtStep
)

// Breakdown splits a funnel by the value of the event property Prop, each profile in
// exactly one group chosen by Attribution. A missing property is the value "".
type Breakdown struct {
	Prop        string
	Attribution Attribution
	Step        int // for AtStep: 0-based step index
}

// plan is a validated Spec in the form the matchers use.
type plan struct {
	spec     Spec
	n        int
	window   int64 // nanoseconds; 0 = unbounded
	mode     Mode
	within   []int64 // per step; 0 = unbounded
	optional uint32
	preds    [][]int // preds[s]: steps a conversion may come from into s
	excl     []Exclusion
	// simple: no feature that needs more than one partial conversion per step (see
	// kernel.go); the fast matcher applies.
	simple bool
}

// Validate reports whether s is usable, naming the first problem found.
func (s Spec) Validate() error {
	_, err := s.compile()
	return err
}

func (s Spec) compile() (*plan, error) {
	n := len(s.Steps)
	bad := func(format string, a ...any) (*plan, error) {
		return nil, fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, a...))
	}
	switch {
	case n == 0:
		return bad("no steps")
	case n > MaxSteps:
		return bad("%d steps, at most %d", n, MaxSteps)
	case s.Window < 0:
		return bad("negative window %v", s.Window)
	case s.Mode.unknown() != 0:
		return bad("mode %d has unknown bits %#x (known: %s)", uint8(s.Mode), uint8(s.Mode.unknown()), strings.Join(modeNames[:], ", "))
	case s.Mode&AllowReentry != 0 && s.Mode&StrictOrder == 0:
		return bad("allow_reentry requires strict_order (as in ClickHouse)")
	case s.Mode&AnyOrder != 0 && s.Mode != AnyOrder:
		return bad("any_order combines with no other mode, got %v", s.Mode)
	}
	p := &plan{spec: s, n: n, window: int64(s.Window), mode: s.Mode, within: make([]int64, n), preds: make([][]int, n)}
	for i, st := range s.Steps {
		if st.Match == nil && st.Name == "" {
			return bad("%s has neither Name nor Match", st.label(i))
		}
		if st.Within < 0 {
			return bad("%s: negative Within %v", st.label(i), st.Within)
		}
		if st.Optional && (i == 0 || i == n-1) {
			return bad("%s: the first and the last step cannot be optional", st.label(i))
		}
		if s.Mode&AnyOrder != 0 && (st.Optional || st.Within != 0) {
			return bad("%s: optional steps and per-step windows need an ordered funnel", st.label(i))
		}
		p.within[i] = int64(st.Within)
		if st.Optional {
			p.optional |= 1 << i
		}
		// A conversion reaches step i from step i-1, or from further back over a run
		// of optional steps.
		for j := i - 1; j >= 0; j-- {
			p.preds[i] = append(p.preds[i], j)
			if p.optional&(1<<j) == 0 {
				break
			}
		}
	}
	for k, x := range s.Exclude {
		switch {
		case s.Mode&AnyOrder != 0:
			return bad("exclusion %d: exclusions need an ordered funnel", k)
		case x.Event.Match == nil && x.Event.Name == "":
			return bad("exclusion %d has neither Name nor Match", k)
		case x.From < 0 || x.To >= n || x.From >= x.To:
			return bad("exclusion %d: steps %d..%d not an ordered pair of steps 0..%d", k, x.From, x.To, n-1)
		case p.optional&(1<<x.From|1<<x.To) != 0:
			return bad("exclusion %d: steps %d and %d must be required steps", k, x.From, x.To)
		}
	}
	if len(s.Exclude) > 32 {
		return bad("%d exclusions, at most 32", len(s.Exclude))
	}
	p.excl = s.Exclude
	if b := s.Breakdown; b != nil {
		switch {
		case b.Attribution > AtStep:
			return bad("unknown attribution %d", b.Attribution)
		case b.Attribution == AtStep && (b.Step < 0 || b.Step >= n):
			return bad("breakdown step %d outside 0..%d", b.Step, n-1)
		case b.Attribution == AtStep && s.Mode&AnyOrder != 0:
			return bad("breakdown at a step needs an ordered funnel")
		}
	}
	if !s.AsOf.IsZero() {
		if _, err := nanos(s.AsOf); err != nil {
			return nil, errorf("AsOf: %w", err)
		}
	}
	p.simple = s.Mode&(AnyOrder|StrictIncrease|StrictOnce) == 0 && len(s.Exclude) == 0 && p.optional == 0
	for _, w := range p.within {
		if w != 0 {
			p.simple = false
		}
	}
	return p, nil
}

// allSteps is the mask of every step.
func (p *plan) allSteps() uint32 {
	if p.n == 32 {
		return ^uint32(0)
	}
	return 1<<p.n - 1
}

// masks returns which steps and which exclusions e matches.
func (p *plan) masks(e Event) (steps, excl uint32) {
	for i, st := range p.spec.Steps {
		if st.matches(e) {
			steps |= 1 << i
		}
	}
	for i, x := range p.excl {
		if x.Event.matches(e) {
			excl |= 1 << i
		}
	}
	return steps, excl
}
