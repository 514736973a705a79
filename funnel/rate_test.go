package funnel

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"
)

// TestRatesAgainstPublishedTables: a funnel whose step counts are Newcombe's (1998)
// worked examples must report his printed intervals ("Two-sided confidence intervals
// for the single proportion", Table I: Wilson score, method 3; exact Clopper-Pearson,
// method 5), and Compare his difference intervals ("Interval estimation for the
// difference between independent proportions", Table II, method 10).
func TestRatesAgainstPublishedTables(t *testing.T) {
	for _, c := range []struct {
		k, n                 int64
		wLo, wHi, exLo, exHi float64
	}{
		{81, 263, 0.2553, 0.3662, 0.2527, 0.3676},
		{15, 148, 0.0624, 0.1605, 0.0578, 0.1617},
		{0, 20, 0, 0.1611, 0, 0.1684},
		{1, 29, 0.0061, 0.1718, 0.0009, 0.1776},
	} {
		res := funnelWith(t, c.k, c.n)
		w := res.Steps[1].FromPrevious
		if w.K != c.k || w.N != c.n || !near4(w.Lo, c.wLo) || !near4(w.Hi, c.wHi) {
			t.Errorf("%d/%d Wilson = %+v, Newcombe prints [%.4f, %.4f]", c.k, c.n, w, c.wLo, c.wHi)
		}
		e, err := res.Conversion(0, 1, ClopperPearson, 0.95)
		if err != nil {
			t.Fatal(err)
		}
		if !near4(e.Lo, c.exLo) || !near4(e.Hi, c.exHi) {
			t.Errorf("%d/%d Clopper-Pearson = [%.4f, %.4f], Newcombe prints [%.4f, %.4f]", c.k, c.n, e.Lo, e.Hi, c.exLo, c.exHi)
		}
	}
	// Newcombe's θ = p1 - p2 with group 1 as B.
	for _, c := range []struct {
		k1, n1, k2, n2 int64
		lo, hi         float64
	}{
		{56, 70, 48, 80, 0.0524, 0.3339},
		{9, 10, 3, 10, 0.1705, 0.8090},
		{5, 56, 0, 29, -0.0381, 0.1926},
	} {
		a, b := funnelWith(t, c.k2, c.n2), funnelWith(t, c.k1, c.n1)
		cmp, err := Compare(a.Steps[1].FromFirst, b.Steps[1].FromFirst, 0.95)
		if err != nil {
			t.Fatal(err)
		}
		if !near4(cmp.Lo, c.lo) || !near4(cmp.Hi, c.hi) || cmp.P <= 0 || cmp.P >= 1 {
			t.Errorf("%d/%d vs %d/%d: %+v, Newcombe prints [%.4f, %.4f]", c.k1, c.n1, c.k2, c.n2, cmp, c.lo, c.hi)
		}
	}
}

// funnelWith runs a two-step funnel in which n profiles enter and k convert.
func funnelWith(t *testing.T, k, n int64) *Result {
	t.Helper()
	var evs []Event
	for p := range n {
		evs = append(evs, Event{Profile: uint32(p + 1), Time: at(p), Name: "visit"})
		if p < k {
			evs = append(evs, Event{Profile: uint32(p + 1), Time: at(p + 1), Name: "buy"})
		}
	}
	res, err := Spec{Steps: named("visit", "buy"), Window: time.Hour}.Run(evs)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func near4(got, want float64) bool { return math.Abs(got-want) <= 0.00005+1e-12 }

func TestBadSpecs(t *testing.T) {
	ok := named("a", "b", "c")
	opt := named("a", "b", "c")
	opt[0].Optional = true
	for name, s := range map[string]Spec{
		"no steps":           {},
		"negative window":    {Steps: ok, Window: -time.Second},
		"optional first":     {Steps: opt},
		"reentry alone":      {Steps: ok, Mode: AllowReentry},
		"any order + strict": {Steps: ok, Mode: AnyOrder | StrictOrder},
		"exclusion reversed": {Steps: ok, Exclude: []Exclusion{{Event: Step{Name: "x"}, From: 2, To: 1}}},
		"breakdown step":     {Steps: ok, Breakdown: &Breakdown{Prop: "p", Attribution: AtStep, Step: 3}},
		"nameless step":      {Steps: []Step{{}}},
		"too many steps":     {Steps: make([]Step, 33)},
	} {
		if _, err := s.Run(nil); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: err = %v, want ErrInvalid", name, err)
		}
	}
	s := Spec{Steps: ok}
	if _, err := s.Run([]Event{{Profile: 1, Name: "a"}}); !errors.Is(err, ErrTimeRange) {
		t.Errorf("zero time: err = %v, want ErrTimeRange", err)
	}
	if _, err := s.Run([]Event{{Profile: 1, Name: "a", Time: time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)}}); !errors.Is(err, ErrTimeRange) {
		t.Errorf("year 3000: err = %v, want ErrTimeRange", err)
	}
	// Two events 300 years apart: each fits in int64 nanoseconds, their difference
	// does not, so the range is narrower than int64's.
	far := []Event{
		{Profile: 1, Name: "a", Time: time.Date(1700, 1, 1, 0, 0, 0, 0, time.UTC)},
		{Profile: 1, Name: "b", Time: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)},
	}
	if _, err := s.Run(far); !errors.Is(err, ErrTimeRange) {
		t.Errorf("year 1700: err = %v, want ErrTimeRange", err)
	}
	raw := &Batch{Profile: []uint32{1, 1}, Time: []int64{math.MinInt64 + 1, math.MaxInt64 - 1}, Event: []uint32{0, 1}, Names: []string{"a", "b"}}
	if _, err := s.RunBatch(raw); !errors.Is(err, ErrTimeRange) || !strings.Contains(err.Error(), "batch event 0") {
		t.Errorf("raw batch times 584 years apart: err = %v, want ErrTimeRange naming event 0", err)
	}
	s.AsOf = at(5)
	if _, err := s.Run([]Event{{Profile: 1, Name: "a", Time: at(6)}}); !errors.Is(err, ErrTimeRange) {
		t.Errorf("event after AsOf: err = %v, want ErrTimeRange", err)
	}
	// A stream that comes back to a profile it left.
	seq := func(yield func(Event) bool) {
		for _, p := range []uint32{1, 2, 1} {
			if !yield(Event{Profile: p, Time: at(1), Name: "a"}) {
				return
			}
		}
	}
	if _, err := (Spec{Steps: ok}).RunSeq(seq); !errors.Is(err, ErrUnsorted) {
		t.Errorf("regrouped stream: err = %v, want ErrUnsorted", err)
	}
	b := &Batch{}
	for _, p := range []uint32{3, 1, 3} {
		b.Append(Event{Profile: p, Time: at(1), Name: "a"})
	}
	if _, err := (Spec{Steps: ok}).RunBatch(b); !errors.Is(err, ErrUnsorted) {
		t.Errorf("regrouped batch: err = %v, want ErrUnsorted", err)
	}
}
