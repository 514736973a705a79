package funnel

import (
	"errors"
	"math"
	"strconv"
	"testing"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"gonum.org/v1/gonum/stat/distuv"

	"github.com/clientele-go/clientele/internal/golden"
	"pgregory.net/rapid"
)

// TestSampleSizeGolden checks SampleSize against testdata/samplesize/golden.csv, the
// same closed form with SciPy's normal quantiles (golden.py).
func TestSampleSizeGolden(t *testing.T) {
	for _, rec := range golden.Rows(t, "testdata/samplesize/golden.csv") {
		var v [4]float64
		for i := range v {
			v[i], _ = strconv.ParseFloat(rec[i], 64)
		}
		want, _ := strconv.ParseInt(rec[4], 10, 64)
		got, err := SampleSize(v[0], v[1], v[2], v[3])
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("base %v lift %v alpha %v power %v: %d, SciPy's %d", v[0], v[1], v[2], v[3], got, want)
		}
	}
	if _, err := SampleSize(0.5, 1, 0.05, 0.8); !errors.Is(err, ErrInvalid) {
		t.Error(err)
	}
	// A lift too small for any int64 count: the size must not wrap to a negative one.
	if n, err := SampleSize(1e-9, 1e-9, 0.05, 0.8); !errors.Is(err, ErrInvalid) {
		t.Errorf("SampleSize(1e-9, 1e-9) = %d, %v; want ErrInvalid", n, err)
	}
}

// TestSampleSizeMonotoneInPower: asking for less power never takes more profiles, and
// the size returned reaches the power asked for (by the formula's normal
// approximation) where one fewer does not. Below about alpha/2 the closed form's
// bracket turns negative and its square grew as the power fell: 2,400 profiles for a
// power of 0.001 against 1 for 0.025.
func TestSampleSizeMonotoneInPower(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		base := rapid.Float64Range(0.01, 0.9).Draw(t, "base")
		lift := rapid.Float64Range(0.05, 0.1).Draw(t, "lift")
		alpha := rapid.Float64Range(0.001, 0.2).Draw(t, "alpha")
		lo := rapid.Float64Range(1e-9, 0.99).Draw(t, "power")
		hi := rapid.Float64Range(lo, 0.99).Draw(t, "more power")
		a, err := SampleSize(base, lift, alpha, lo)
		if err != nil {
			t.Fatal(err)
		}
		b, err := SampleSize(base, lift, alpha, hi)
		if err != nil {
			t.Fatal(err)
		}
		if a < 1 || a > b {
			t.Fatalf("power %v needs %d, power %v needs %d", lo, a, hi, b)
		}
		p1, p2 := base, base*(1+lift)
		pbar := (p1 + p2) / 2
		power := func(n int64) float64 {
			za := distuv.UnitNormal.Quantile(1 - alpha/2)
			return distuv.UnitNormal.CDF((math.Abs(p2-p1)*math.Sqrt(float64(n)) - za*math.Sqrt(2*pbar*(1-pbar))) / math.Sqrt(p1*(1-p1)+p2*(1-p2)))
		}
		if got := power(a); got < lo*(1-1e-9) {
			t.Fatalf("%d profiles reach power %v, not %v", a, got, lo)
		}
		if a > 1 && power(a-1) >= lo*(1+1e-9) {
			t.Fatalf("%d profiles reach power %v already, %d asked for %v", a-1, power(a-1), a, lo)
		}
	})
}

// The experiment's rates are the groups' counts among the funnel's profiles (reference:
// bitmaps intersected by hand), and the confidence sequence, valid at every sample size,
// is never narrower than the fixed-sample Wald and Newcombe intervals at the same level,
// within the [-1, 1] a difference of proportions lives in.
func TestCompareGroupsReference(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(2, 400).Draw(t, "profiles")
		var events []Event
		control, treatment := roaring.New(), roaring.New()
		for p := uint32(1); p <= uint32(n); p++ {
			events = append(events, Event{Profile: p, Time: at(0), Name: "a"})
			if rapid.IntRange(0, 2).Draw(t, "convert") == 0 {
				events = append(events, Event{Profile: p, Time: at(5), Name: "b"})
			}
			switch rapid.IntRange(0, 2).Draw(t, "group") {
			case 0:
				control.Add(p)
			case 1:
				treatment.Add(p)
			}
		}
		res, err := Spec{Steps: named("a", "b")}.Run(events)
		if err != nil {
			t.Fatal(err)
		}
		ex, err := CompareGroups(res, control, treatment, nil)
		if control.IsEmpty() || treatment.IsEmpty() {
			if err == nil {
				t.Fatal("an empty group compared")
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		conv := res.Steps[1].Converted
		if ex.Control.K != int64(roaring.And(conv, control).GetCardinality()) || ex.Control.N != int64(control.GetCardinality()) ||
			ex.Treatment.K != int64(roaring.And(conv, treatment).GetCardinality()) || ex.Treatment.N != int64(treatment.GetCardinality()) {
			t.Fatalf("%+v", ex)
		}
		pc, pt := float64(ex.Control.K)/float64(ex.Control.N), float64(ex.Treatment.K)/float64(ex.Treatment.N)
		wald := 1.959963984540054 * math.Sqrt(pc*(1-pc)/float64(ex.Control.N)+pt*(1-pt)/float64(ex.Treatment.N))
		if ex.SeqLo > max(-1, pt-pc-wald)+1e-12 || ex.SeqHi < min(1, pt-pc+wald)-1e-12 {
			t.Fatalf("sequence [%v, %v] narrower than Wald ±%v around %v", ex.SeqLo, ex.SeqHi, wald, pt-pc)
		}
		checkSequence(t, ex)
	})
	if _, err := CompareGroups(&Result{Steps: make([]StepResult, 1)}, roaring.BitmapOf(1), roaring.BitmapOf(1), nil); !errors.Is(err, ErrInvalid) {
		t.Error(err)
	}
}

// checkSequence holds an experiment's confidence sequence to [-1, 1] and to containing
// the fixed-sample interval.
func checkSequence(t interface {
	Helper()
	Fatalf(string, ...any)
}, ex *Experiment) {
	t.Helper()
	c := ex.Comparison
	if !(-1 <= ex.SeqLo && ex.SeqLo <= c.Lo && c.Hi <= ex.SeqHi && ex.SeqHi <= 1) {
		t.Fatalf("%d/%d vs %d/%d: sequence [%v, %v] does not contain the fixed interval [%v, %v] within [-1, 1]",
			ex.Control.K, ex.Control.N, ex.Treatment.K, ex.Treatment.N, ex.SeqLo, ex.SeqHi, c.Lo, c.Hi)
	}
}

// TestSequenceAtTheBoundaries compares groups that convert all or none, and tiny groups:
// the plug-in variance is then zero (the sequence would be a point, certainty from a
// profile or two) or the boundary reaches far past ±1.
func TestSequenceAtTheBoundaries(t *testing.T) {
	for _, c := range [][4]int64{{1, 2, 0, 2}, {5, 5, 5, 5}, {0, 5, 0, 5}, {1, 1, 0, 1}, {0, 1000, 0, 1000}, {1000, 1000, 999, 1000}} {
		cr, err := NewRate(c[0], c[1], Wilson, 0.95)
		if err != nil {
			t.Fatal(err)
		}
		tr, err := NewRate(c[2], c[3], Wilson, 0.95)
		if err != nil {
			t.Fatal(err)
		}
		ex, err := compareRates(cr, tr, ExperimentOptions{Level: 0.95, Planned: 10_000}, c[1], c[3])
		if err != nil {
			t.Fatal(err)
		}
		checkSequence(t, ex)
		if ex.SeqHi-ex.SeqLo <= 0 {
			t.Errorf("%v: sequence [%v, %v] is a point", c, ex.SeqLo, ex.SeqHi)
		}
	}
}

// TestSharedProfilesMessage checks the count of profiles in both groups reads well for
// one profile and for several.
func TestSharedProfilesMessage(t *testing.T) {
	res := &Result{Steps: make([]StepResult, 1)}
	for _, c := range []struct {
		control, treatment *roaring.Bitmap
		want               string
	}{
		{roaring.BitmapOf(1, 2), roaring.BitmapOf(2, 3), "funnel: invalid input: 1 profile is in both groups"},
		{roaring.BitmapOf(1, 2), roaring.BitmapOf(1, 2), "funnel: invalid input: 2 profiles are in both groups"},
	} {
		if _, err := CompareGroups(res, c.control, c.treatment, nil); err == nil || err.Error() != c.want {
			t.Errorf("CompareGroups(%v, %v) = %v, want %q", c.control, c.treatment, err, c.want)
		}
	}
	tab := func(p ...uint32) *Table {
		return &Table{Columns: []string{"0"}, Cohorts: []Cohort{{Size: int64(len(p)), Retained: []int64{0}, Complete: []bool{true}, Profiles: roaring.BitmapOf(p...)}}}
	}
	want := "funnel: invalid input: 1 profile is in both groups' cohorts"
	if _, err := CompareRetention(tab(1, 2), tab(2, 3), 0, nil); err == nil || err.Error() != want {
		t.Errorf("CompareRetention = %v, want %q", err, want)
	}
}

// TestEmptyArmNamesTheGroup: an experiment one of whose groups has no rate must say
// which group and why, not "compare 0/1 with 0/0: a variant with no trials".
func TestEmptyArmNamesTheGroup(t *testing.T) {
	events := []Event{{Profile: 1, Time: at(0), Name: "a"}, {Profile: 1, Time: at(5), Name: "b"}}
	res, err := Spec{Steps: named("a", "b")}.Run(events)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		control, treatment *roaring.Bitmap
		want               string
	}{
		{roaring.BitmapOf(1), roaring.BitmapOf(7, 8), "funnel: invalid input: the treatment group has no rate to compare: none of its profiles (2) entered the funnel"},
		{roaring.New(), roaring.BitmapOf(1), "funnel: invalid input: the control group is empty: no rate to compare"},
	} {
		if _, err := CompareGroups(res, c.control, c.treatment, nil); err == nil || err.Error() != c.want {
			t.Errorf("CompareGroups(%v, %v) = %v, want %q", c.control, c.treatment, err, c.want)
		}
	}
	co := Cohorts{Start: Step{Name: "a"}, By: Day, Periods: 1}
	early, err := co.Run([]Event{{Profile: 1, Time: at(0), Name: "a"}, {Profile: 1, Time: at(3 * 86400), Name: "a"}})
	if err != nil {
		t.Fatal(err)
	}
	late, err := co.Run([]Event{{Profile: 2, Time: at(0), Name: "a"}})
	if err != nil {
		t.Fatal(err)
	}
	want := "funnel: invalid input: the treatment group has no rate to compare: no cohort of its table has a complete cell in column 1"
	if _, err := CompareRetention(early, late, 1, nil); err == nil || err.Error() != want {
		t.Errorf("CompareRetention = %v, want %q", err, want)
	}
}

// TestCompareRetentionRefusesAnotherRule: an On table and an OnOrAfter one have the
// same columns, and CompareRetention compared them: a treatment counted "returned on
// or after day 1" against a control counted "returned on day 1" showed a lift the
// rules made. The table records its rule now (from Run and from a decoded Partial
// alike), and tables of two rules are ErrInvalid naming both; bracket tables, which
// ignore the rule, compare whatever it was set to.
func TestCompareRetentionRefusesAnotherRule(t *testing.T) {
	group := func(first uint32) []Event {
		var ev []Event
		for p := first; p < first+40; p++ {
			ev = append(ev, Event{Profile: p, Time: at(0), Name: "a"})
			ev = append(ev, Event{Profile: p, Time: at(int64(1+p%3) * 86400), Name: "a"})
		}
		return append(ev, Event{Profile: first + 100, Time: at(10 * 86400), Name: "z"})
	}
	control, treatment := group(1), group(1001)
	on := Cohorts{Start: Step{Name: "a"}, Return: Step{Name: "a"}, By: Day, Periods: 2}
	after := on
	after.Retention = OnOrAfter
	onTab, afterTab := runTable(t, on, control), decodedTable(t, after, treatment)
	if onTab.Retention != On || afterTab.Retention != OnOrAfter {
		t.Fatalf("recorded rules %v and %v, want On and OnOrAfter", onTab.Retention, afterTab.Retention)
	}
	want := "funnel: invalid input: tables of different retention rules (control On, treatment OnOrAfter): make both with the same Cohorts"
	if _, err := CompareRetention(onTab, afterTab, 1, nil); !errors.Is(err, ErrInvalid) || err.Error() != want {
		t.Errorf("CompareRetention(On, OnOrAfter) = %v, want %q", err, want)
	}
	if _, err := CompareRetention(onTab, decodedTable(t, on, treatment), 1, nil); err != nil {
		t.Errorf("CompareRetention(On, On) = %v", err)
	}
	br := Cohorts{Start: Step{Name: "a"}, Return: Step{Name: "a"}, By: Day, Brackets: []Bracket{{1, 2}}}
	brAfter := br
	brAfter.Retention = OnOrAfter
	b1, b2 := runTable(t, br, control), runTable(t, brAfter, treatment)
	if b1.Retention != On || b2.Retention != On {
		t.Errorf("bracket tables record %v and %v, want On", b1.Retention, b2.Retention)
	}
	if _, err := CompareRetention(b1, b2, 0, nil); err != nil {
		t.Errorf("CompareRetention of bracket tables = %v", err)
	}
}

// TestCompareRetentionRefusesOtherSteps: two tables of the same period, columns and
// rule, counted over different Start or Return steps ("returned to buy" against
// "returned to visit"), compared as if one experiment's arms: the table did not
// record its steps. It records their names now (from Run and from a decoded Partial
// alike), and tables of different steps are ErrInvalid naming both.
func TestCompareRetentionRefusesOtherSteps(t *testing.T) {
	group := func(first uint32) []Event {
		var ev []Event
		for p := first; p < first+40; p++ {
			ev = append(ev, Event{Profile: p, Time: at(0), Name: "a"})
			ev = append(ev, Event{Profile: p, Time: at(int64(1+p%3) * 86400), Name: []string{"a", "b"}[p%2]})
		}
		return append(ev, Event{Profile: first + 100, Time: at(10 * 86400), Name: "z"})
	}
	control, treatment := group(1), group(1001)
	base := Cohorts{Start: Step{Name: "a"}, Return: Step{Name: "a"}, By: Day, Periods: 2}
	otherReturn := base
	otherReturn.Return = Step{Name: "b"}
	otherStart := base
	otherStart.Start = Step{} // every event
	baseTab := runTable(t, base, control)
	if baseTab.StartName != "a" || baseTab.ReturnName != "a" {
		t.Errorf("table records steps %q and %q, want \"a\" and \"a\"", baseTab.StartName, baseTab.ReturnName)
	}
	for _, tc := range []struct {
		name      string
		treatment *Table
		want      string
	}{
		{"another Return", decodedTable(t, otherReturn, treatment),
			`funnel: invalid input: tables of different steps (control Start "a" and Return "a", treatment Start "a" and Return "b"): make both with the same Cohorts`},
		{"another Start", runTable(t, otherStart, treatment),
			`funnel: invalid input: tables of different steps (control Start "a" and Return "a", treatment Start "" and Return "a"): make both with the same Cohorts`},
	} {
		if _, err := CompareRetention(baseTab, tc.treatment, 1, nil); !errors.Is(err, ErrInvalid) || err == nil || err.Error() != tc.want {
			t.Errorf("%s: CompareRetention = %v, want %q", tc.name, err, tc.want)
		}
	}
	// The same steps, through a decoded partial: compared.
	if _, err := CompareRetention(baseTab, decodedTable(t, base, treatment), 1, nil); err != nil {
		t.Errorf("CompareRetention of tables of the same Cohorts = %v", err)
	}
}

// TestCompareRetentionRefusesAnotherLocation: a daily table cut in UTC and one cut in
// America/New_York have the same columns, rule and steps, and CompareRetention compared
// them, though their days begin hours apart: column 1 of one is not column 1 of the
// other. The table records its location now (from Run, RunBatch and a decoded Partial
// alike; time.UTC for a nil Cohorts.Location), and tables of two zones are ErrInvalid
// naming both. Zones are compared by name: two loads of one zone, and nil against UTC,
// compare.
func TestCompareRetentionRefusesAnotherLocation(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip(err) // no zoneinfo on this machine
	}
	ny2, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	group := func(first uint32) []Event {
		var ev []Event
		for p := first; p < first+40; p++ {
			ev = append(ev, Event{Profile: p, Time: at(0), Name: "a"})
			ev = append(ev, Event{Profile: p, Time: at(int64(1+p%3)*86400 + int64(p%24)*3600), Name: "a"})
		}
		return append(ev, Event{Profile: first + 100, Time: at(10 * 86400), Name: "z"})
	}
	control, treatment := group(1), group(1001)
	utc := Cohorts{Start: Step{Name: "a"}, Return: Step{Name: "a"}, By: Day, Periods: 2}
	east := utc
	east.Location = ny
	east2 := utc
	east2.Location = ny2
	utcTab, eastTab := runTable(t, utc, control), decodedTable(t, east, treatment)
	if utcTab.Location != time.UTC || eastTab.Location != ny || batchTable(t, east, control).Location != ny {
		t.Errorf("tables record %v, %v, want UTC and America/New_York", utcTab.Location, eastTab.Location)
	}
	const want = `funnel: invalid input: tables of different time zones (control "UTC", treatment "America/New_York"): make both with the same Cohorts`
	for name, tabs := range map[string][2]*Table{
		"Run, decoded": {utcTab, eastTab},
		"RunBatch":     {batchTable(t, utc, control), batchTable(t, east, treatment)},
	} {
		if _, err := CompareRetention(tabs[0], tabs[1], 1, nil); !errors.Is(err, ErrInvalid) || err.Error() != want {
			t.Errorf("%s: CompareRetention(UTC, New York) = %v, want %q", name, err, want)
		}
	}
	// One zone loaded twice (two pointers), and a hand-built table's nil against UTC.
	if _, err := CompareRetention(batchTable(t, east, control), decodedTable(t, east2, treatment), 1, nil); err != nil {
		t.Errorf("CompareRetention of two loads of New York = %v", err)
	}
	byHand := *runTable(t, utc, treatment)
	byHand.Location = nil
	if _, err := CompareRetention(utcTab, &byHand, 1, nil); err != nil {
		t.Errorf("CompareRetention(UTC, nil) = %v", err)
	}
}

// runTable, batchTable and decodedTable count c's table of ev by Run, by RunBatch and
// through a partial's encoding (as a distributed run hands it over), failing the test
// on an error.
func runTable(t *testing.T, c Cohorts, ev []Event) *Table {
	t.Helper()
	tab, err := c.Run(ev)
	if err != nil {
		t.Fatal(err)
	}
	return tab
}

func batchTable(t *testing.T, c Cohorts, ev []Event) *Table {
	t.Helper()
	var b Batch
	for _, e := range ev {
		if err := b.Append(e); err != nil {
			t.Fatal(err)
		}
	}
	tab, err := c.RunBatch(&b)
	if err != nil {
		t.Fatal(err)
	}
	return tab
}

func decodedTable(t *testing.T, c Cohorts, ev []Event) *Table {
	t.Helper()
	p, err := c.Partial(ev)
	if err != nil {
		t.Fatal(err)
	}
	b, err := p.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	q, err := c.NewPartial()
	if err != nil {
		t.Fatal(err)
	}
	if err := q.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	tab, err := q.Result()
	if err != nil {
		t.Fatal(err)
	}
	return tab
}
