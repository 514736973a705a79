package funnel

import (
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"pgregory.net/rapid"
)

func sec(n float64) time.Duration { return time.Duration(n * float64(time.Second)) }

// TestKaplanMeierHandComputed: six profiles, converting at 1, 3, 3 and 5 s, censored at
// 2 and 4 s. By hand: S(1) = 5/6; at 3 s four are at risk and two convert, so
// S(3) = 5/6 · 2/4 = 5/12; at 5 s the last one at risk converts, S(5) = 0. Greenwood:
// Var S(3) = (5/12)² (1/(6·5) + 2/(4·2)) = (5/12)² · 17/60.
func TestKaplanMeierHandComputed(t *testing.T) {
	obs := []observation{{sec(3), true}, {sec(1), true}, {sec(2), false}, {sec(3), true}, {sec(4), false}, {sec(5), true}}
	sv, err := kaplanMeierOf(obs, 0.95)
	if err != nil {
		t.Fatal(err)
	}
	wantT := []time.Duration{sec(1), sec(3), sec(5)}
	wantN := []int64{6, 4, 1}
	wantD := []int64{1, 2, 1}
	wantS := []float64{5.0 / 6, 5.0 / 12, 0}
	if len(sv.Time) != 3 {
		t.Fatalf("%d event times, want 3: %+v", len(sv.Time), sv)
	}
	for i := range wantT {
		if sv.Time[i] != wantT[i] || sv.AtRisk[i] != wantN[i] || sv.Events[i] != wantD[i] || math.Abs(sv.S[i]-wantS[i]) > 1e-12 {
			t.Errorf("row %d: (%v, %d at risk, %d events, S %.6f), want (%v, %d, %d, %.6f)", i, sv.Time[i], sv.AtRisk[i], sv.Events[i], sv.S[i], wantT[i], wantN[i], wantD[i], wantS[i])
		}
	}
	if want := 5.0 / 12 * math.Sqrt(17.0/60); math.Abs(sv.SE[1]-want) > 1e-12 {
		t.Errorf("Greenwood SE at 3 s = %.6f, want %.6f", sv.SE[1], want)
	}
	if got := sv.Converted(sec(3.5)); math.Abs(got-7.0/12) > 1e-12 {
		t.Errorf("converted by 3.5 s = %.6f, want 7/12", got)
	}
	if got := sv.At(sec(0.5)); got != 1 {
		t.Errorf("S before the first conversion = %v, want 1", got)
	}
}

// TestKaplanMeierPublished: the 6-MP arm of Freireich et al. (1963), weeks in remission
// (Gehan 1965), the textbook example of Kaplan-Meier with censoring. The figures are
// those R's survfit(conf.type = "log-log") prints, as reproduced in survival analysis
// texts (e.g. Kleinbaum & Klein, "Survival Analysis", ch. 2); testdata/km_6mp.py
// recomputes them with NumPy and SciPy.
func TestKaplanMeierPublished(t *testing.T) {
	events := []float64{6, 6, 6, 7, 10, 13, 16, 22, 23}
	censored := []float64{6, 9, 10, 11, 17, 19, 20, 25, 32, 32, 34, 35}
	var obs []observation
	for _, w := range events {
		obs = append(obs, observation{sec(w), true})
	}
	for _, w := range censored {
		obs = append(obs, observation{sec(w), false})
	}
	sv, err := kaplanMeierOf(obs, 0.95)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		t             float64
		n, d          int64
		s, se, lo, hi float64
	}{
		{6, 21, 3, 0.8571, 0.0764, 0.6197, 0.9516},
		{7, 17, 1, 0.8067, 0.0869, 0.5631, 0.9228},
		{10, 15, 1, 0.7529, 0.0963, 0.5032, 0.8894},
		{13, 12, 1, 0.6902, 0.1068, 0.4316, 0.8491},
		{16, 11, 1, 0.6275, 0.1141, 0.3675, 0.8049},
		{22, 7, 1, 0.5378, 0.1282, 0.2678, 0.7468},
		{23, 6, 1, 0.4482, 0.1346, 0.1881, 0.6801},
	}
	if len(sv.Time) != len(want) {
		t.Fatalf("%d event times, want %d", len(sv.Time), len(want))
	}
	r4 := func(v float64) float64 { return math.Round(v*1e4) / 1e4 }
	for i, w := range want {
		if sv.Time[i] != sec(w.t) || sv.AtRisk[i] != w.n || sv.Events[i] != w.d ||
			r4(sv.S[i]) != w.s || r4(sv.SE[i]) != w.se || r4(sv.Lo[i]) != w.lo || r4(sv.Hi[i]) != w.hi {
			t.Errorf("week %v: n %d d %d S %.4f SE %.4f [%.4f, %.4f]; published n %d d %d S %.4f SE %.4f [%.4f, %.4f]",
				w.t, sv.AtRisk[i], sv.Events[i], sv.S[i], sv.SE[i], sv.Lo[i], sv.Hi[i], w.n, w.d, w.s, w.se, w.lo, w.hi)
		}
	}
}

// TestTimeToConvertCensorsOpenWindows: a profile still inside its window when
// observation ends is censored at its follow-up time, one whose window closed at the
// window, and converters are events at their time to convert.
func TestTimeToConvertCensorsOpenWindows(t *testing.T) {
	s := Spec{Steps: named("visit", "buy"), Window: 10 * time.Second, AsOf: at(100)}
	evs := []Event{
		{Profile: 1, Time: at(10), Name: "visit"}, {Profile: 1, Time: at(12), Name: "buy"}, // converts in 2 s
		{Profile: 2, Time: at(97), Name: "visit"},                                          // window open: followed 3 s
		{Profile: 3, Time: at(20), Name: "visit"},                                          // window closed: followed 10 s
		{Profile: 4, Time: at(30), Name: "visit"}, {Profile: 4, Time: at(35), Name: "buy"}, // converts in 5 s
	}
	res, err := s.Run(evs)
	if err != nil {
		t.Fatal(err)
	}
	sv, err := res.TimeToConvert(0.95)
	if err != nil {
		t.Fatal(err)
	}
	// At 2 s: 4 at risk, 1 converts (3/4). The 3 s censoring leaves 2 at risk at 5 s,
	// one converts: S = 3/4 · 1/2. Counting the open profile as a failure at 3 s would
	// have given 3/4 · 2/3 · ... instead.
	if len(sv.Time) != 2 || sv.AtRisk[0] != 4 || sv.AtRisk[1] != 2 || math.Abs(sv.S[1]-3.0/8) > 1e-12 {
		t.Fatalf("curve %+v, want events at 2 s (4 at risk) and 5 s (2 at risk), S = 3/8", sv)
	}
	if !res.End.Equal(at(100)) {
		t.Errorf("End = %v, want AsOf", res.End)
	}
}

func TestKaplanMeierBadInput(t *testing.T) {
	if _, err := kaplanMeierOf(nil, 1); err == nil {
		t.Error("level 1 accepted")
	}
	if _, err := kaplanMeierOf([]observation{{-1, true}}, 0.9); err == nil {
		t.Error("negative time accepted")
	}
}

// TestTimeToConvertMatchesObservations: on enough profiles to take the radix sort, the
// curve TimeToConvert builds from the recorded origins equals the curve of kaplanMeierOf over
// observations derived directly: converters at their time to convert, every other
// profile that entered censored at End minus its latest visit, capped at the window.
func TestTimeToConvertMatchesObservations(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		window := time.Duration(rapid.IntRange(1, 40).Draw(t, "window")) * time.Second
		s := Spec{Steps: named("visit", "buy"), Window: window}
		profiles := rapid.IntRange(1, 300).Draw(t, "profiles")
		if rapid.Bool().Draw(t, "many") {
			profiles += 4500 // past the radix sort's threshold of open profiles
		}
		seed := rapid.Uint64().Draw(t, "seed")
		rng := rand.New(rand.NewPCG(seed, 1))
		var evs []Event
		for p := range uint32(profiles) {
			for range 1 + rng.IntN(3) {
				name := "visit"
				if rng.IntN(3) == 0 {
					name = "buy"
				}
				evs = append(evs, Event{Profile: p, Time: at(rng.Int64N(100)), Name: name})
			}
		}
		res, err := s.Run(evs)
		if err != nil {
			t.Fatal(err)
		}
		latest := map[uint32]time.Time{}
		for _, e := range evs {
			if e.Name == "visit" && e.Time.After(latest[e.Profile]) {
				latest[e.Profile] = e.Time
			}
		}
		var obs []observation
		for _, d := range res.Steps[1].TimeFromFirst {
			obs = append(obs, observation{Time: d, Converted: true})
		}
		for p, v := range latest {
			if !res.Steps[1].Converted.Contains(p) {
				obs = append(obs, observation{Time: min(res.End.Sub(v), window)})
			}
		}
		want, err := kaplanMeierOf(obs, 0.9)
		if err != nil {
			t.Fatal(err)
		}
		got, err := res.TimeToConvert(0.9)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("(-observations +TimeToConvert):\n%s", diff)
		}
	})
}

// observation is one profile's time to convert: Converted, or followed for Time without
// converting (censored: still inside its window when observation ended, or its window
// closed).
type observation struct {
	Time      time.Duration
	Converted bool
}

// kaplanMeierOf is kaplanMeier over observations in any order, as the published examples
// list them.
func kaplanMeierOf(obs []observation, level float64) (*Survival, error) {
	if err := checkLevel(level); err != nil {
		return nil, err
	}
	var events, censored []time.Duration
	for i, o := range obs {
		if o.Time < 0 {
			return nil, fmt.Errorf("%w: observation %d has negative time %v", ErrInvalid, i, o.Time)
		}
		if o.Converted {
			events = append(events, o.Time)
		} else {
			censored = append(censored, o.Time)
		}
	}
	slices.Sort(events)
	slices.Sort(censored)
	return kaplanMeier(events, censored, level), nil
}

// TestSurvivalShortS: a curve built by hand whose S is shorter (or longer) than its
// Time has no S(t) to give: At and Converted answer NaN at every t, where At indexed S
// past its end and panicked. The zero curve and one whose columns agree answer as before.
func TestSurvivalShortS(t *testing.T) {
	times := []time.Duration{sec(1), sec(2), sec(3)}
	for _, sv := range []*Survival{
		{Time: times, S: []float64{0.5}},
		{Time: times},
		{Time: times[:1], S: []float64{0.5, 0.25}},
		{S: []float64{0.5}},
	} {
		for _, at := range []time.Duration{0, sec(1), sec(2.5), sec(3), sec(9)} {
			if got := sv.At(at); !math.IsNaN(got) {
				t.Errorf("Time %v, S %v: At(%v) = %v, want NaN", sv.Time, sv.S, at, got)
			}
			if got := sv.Converted(at); !math.IsNaN(got) {
				t.Errorf("Time %v, S %v: Converted(%v) = %v, want NaN", sv.Time, sv.S, at, got)
			}
		}
	}
	// Columns of one length: only S and Time are needed, as a curve built by hand may
	// leave the others out.
	ok := &Survival{Time: times, S: []float64{0.5, 0.25, 0}}
	for at, want := range map[time.Duration]float64{0: 1, sec(1): 0.5, sec(2.5): 0.25, sec(9): 0} {
		if got := ok.At(at); got != want {
			t.Errorf("At(%v) = %v, want %v", at, got, want)
		}
	}
}

// TestSurvivalAtModel: on arbitrary curves, consistent or not (nil, columns of any
// lengths, Time out of order), At and Converted never panic. Where S and Time agree in
// length and Time ascends, At is the model's S(t): the S of the last time at or before
// t, 1 before the first; where they differ, NaN. At and Converted are Survival's only
// methods: a method added later must join this property.
func TestSurvivalAtModel(t *testing.T) {
	if n := reflect.TypeFor[*Survival]().NumMethod(); n != 2 {
		t.Fatalf("*Survival has %d exported methods; add the new ones to this property", n)
	}
	rapid.Check(t, func(t *rapid.T) {
		if rapid.IntRange(0, 9).Draw(t, "nil") == 0 {
			var sv *Survival
			if sv.At(0) != 1 || sv.Converted(0) != 0 {
				t.Fatal("the nil curve is not the curve of no conversions")
			}
			return
		}
		n := rapid.IntRange(0, 6).Draw(t, "n")
		column := func(name string) int {
			if rapid.Bool().Draw(t, name+" agrees") {
				return n
			}
			return rapid.IntRange(0, 7).Draw(t, name+" length")
		}
		dur := rapid.Custom(func(t *rapid.T) time.Duration {
			return time.Duration(rapid.OneOf(rapid.Int64Range(-3, 10), rapid.Int64()).Draw(t, "d"))
		})
		share := rapid.OneOf(rapid.Float64Range(0, 1), rapid.Float64())
		floats := func(name string) []float64 {
			l := column(name)
			return rapid.SliceOfN(share, l, l).Draw(t, name)
		}
		ints := func(name string) []int64 {
			l := column(name)
			return rapid.SliceOfN(rapid.Int64(), l, l).Draw(t, name)
		}
		sv := &Survival{
			Time:   rapid.SliceOfN(dur, n, n).Draw(t, "Time"),
			S:      floats("S"),
			AtRisk: ints("AtRisk"),
			Events: ints("Events"),
			SE:     floats("SE"),
			Lo:     floats("Lo"),
			Hi:     floats("Hi"),
			Level:  rapid.Float64().Draw(t, "Level"),
		}
		if rapid.Bool().Draw(t, "sorted") {
			slices.Sort(sv.Time)
		}
		for range 4 {
			at := dur.Draw(t, "at")
			got, conv := sv.At(at), sv.Converted(at)
			if math.IsNaN(got) != math.IsNaN(conv) || !math.IsNaN(got) && conv != 1-got {
				t.Fatalf("At(%v) = %v but Converted = %v", at, got, conv)
			}
			switch {
			case len(sv.S) != len(sv.Time):
				if !math.IsNaN(got) {
					t.Fatalf("%d times, %d S: At(%v) = %v, want NaN", len(sv.Time), len(sv.S), at, got)
				}
			case slices.IsSorted(sv.Time):
				want := 1.0
				for i, ti := range sv.Time {
					if ti <= at {
						want = sv.S[i]
					}
				}
				if got != want && !(math.IsNaN(got) && math.IsNaN(want)) {
					t.Fatalf("Time %v, S %v: At(%v) = %v, want %v", sv.Time, sv.S, at, got, want)
				}
			}
		}
	})
}
