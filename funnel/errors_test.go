package funnel_test

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clientele-go/clientele/funnel"
)

// TestErrorPaths drives the error paths of the public functions: each error must wrap
// the package's sentinel that names its kind, and carry "funnel:" exactly once.
func TestErrorPaths(t *testing.T) {
	t0 := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	ok := funnel.Spec{Steps: []funnel.Step{{Name: "a"}, {Name: "b"}}, Window: time.Hour}
	evs := []funnel.Event{{Profile: 1, Time: t0, Name: "a"}, {Profile: 1, Time: t0.Add(time.Minute), Name: "b"}}
	unsorted := []funnel.Event{{Profile: 2, Time: t0, Name: "a"}, {Profile: 1, Time: t0, Name: "a"}, {Profile: 2, Time: t0, Name: "b"}}
	res, err := ok.Run(evs)
	if err != nil {
		t.Fatal(err)
	}
	pt, err := ok.Partial(evs)
	if err != nil {
		t.Fatal(err)
	}
	other, err := funnel.Spec{Steps: []funnel.Step{{Name: "x"}}, Window: time.Hour}.Partial(evs)
	if err != nil {
		t.Fatal(err)
	}
	enc, err := pt.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	lc := funnel.Lifecycle{}
	fresh := func() *funnel.Partial[*funnel.Result] {
		p, err := ok.NewPartial()
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	emptyJourneys, err := lc.NewJourneys()
	if err != nil {
		t.Fatal(err)
	}
	emptyCohorts, err := funnel.Cohorts{}.NewPartial()
	if err != nil {
		t.Fatal(err)
	}
	emptyTrend, err := funnel.Trend{Spec: ok}.NewPartial()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		err  error
		want error
	}{
		{"Run with no steps", second(funnel.Spec{}.Run(evs)), funnel.ErrInvalid},
		{"Run with a negative window", second(funnel.Spec{Steps: ok.Steps, Window: -time.Hour}.Run(evs)), funnel.ErrInvalid},
		{"Validate an optional first step", funnel.Spec{Steps: []funnel.Step{{Name: "a", Optional: true}, {Name: "b"}}, Window: time.Hour}.Validate(), funnel.ErrInvalid},
		{"RunSeq on ungrouped profiles", second(ok.RunSeq(slices.Values(unsorted))), funnel.ErrUnsorted},
		{"Run on the zero time", second(ok.Run([]funnel.Event{{Profile: 1, Name: "a"}})), funnel.ErrTimeRange},
		{"Batch.Append of the zero time", new(funnel.Batch).Append(funnel.Event{Profile: 1, Name: "a"}), funnel.ErrTimeRange},
		{"Conversion of steps out of range", second(res.Conversion(0, 5, funnel.Wilson, 0.95)), funnel.ErrInvalid},
		{"NewRate with k > n", second(funnel.NewRate(3, 2, funnel.Wilson, 0.95)), funnel.ErrInvalid},
		{"NewRate with level 1", second(funnel.NewRate(1, 2, funnel.Wilson, 1)), funnel.ErrInvalid},
		{"NewRate with an unknown method", second(funnel.NewRate(1, 2, funnel.Method(99), 0.95)), funnel.ErrInvalid},
		{"Compare with an empty variant", second(funnel.Compare(funnel.Rate{K: 0, N: 0}, funnel.Rate{K: 1, N: 2}, 0.95)), funnel.ErrInvalid},
		{"Compare with level NaN", second(funnel.Compare(funnel.Rate{K: 1, N: 2}, funnel.Rate{K: 1, N: 2}, math.NaN())), funnel.ErrInvalid},
		{"Merge partials of different specs", pt.Merge(other), funnel.ErrMismatch},
		{"UnmarshalBinary of garbage", fresh().UnmarshalBinary([]byte("not a partial")), funnel.ErrCorrupt},
		{"UnmarshalBinary of a truncated partial", fresh().UnmarshalBinary(enc[:len(enc)-3]), funnel.ErrCorrupt},
		{"UnmarshalBinary into a Partial of another Spec", other.UnmarshalBinary(enc), funnel.ErrMismatch},
		{"UnmarshalBinary into a Partial not made by a Spec", new(funnel.Partial[*funnel.Result]).UnmarshalBinary(enc), funnel.ErrInvalid},
		{"Merge into a Partial not made by a Spec", new(funnel.Partial[*funnel.Result]).Merge(pt), funnel.ErrInvalid},
		{"Merge a Partial not made by a Spec", pt.Merge(new(funnel.Partial[*funnel.Result])), funnel.ErrInvalid},
		{"Result of a Partial not made by a Spec", second(new(funnel.Partial[*funnel.Result]).Result()), funnel.ErrInvalid},
		{"MarshalBinary of a Partial not made by a Spec", second(new(funnel.Partial[*funnel.Result]).MarshalBinary()), funnel.ErrInvalid},
		{"Spec.NewPartial of no steps", second(funnel.Spec{}.NewPartial()), funnel.ErrInvalid},
		{"Batch.UnmarshalBinary of garbage", new(funnel.Batch).UnmarshalBinary([]byte{1, 2, 3}), funnel.ErrCorrupt},
		{"Journeys.UnmarshalBinary of garbage", emptyJourneys.UnmarshalBinary([]byte("x")), funnel.ErrCorrupt},
		{"Journeys.UnmarshalBinary into Journeys not made by a Lifecycle", new(funnel.Journeys).UnmarshalBinary([]byte("x")), funnel.ErrInvalid},
		{"Lifecycle.RunSeq on ungrouped profiles", second(lc.RunSeq(slices.Values(unsorted))), funnel.ErrUnsorted},
		{"a cohort Partial's UnmarshalBinary of garbage", emptyCohorts.UnmarshalBinary([]byte("x")), funnel.ErrCorrupt},
		{"a cohort Partial's UnmarshalBinary of a funnel's partial", emptyCohorts.UnmarshalBinary(enc), funnel.ErrMismatch},
		{"UnmarshalBinary into a cohort Partial not made by a Cohorts", new(funnel.Partial[*funnel.Table]).UnmarshalBinary([]byte("x")), funnel.ErrInvalid},
		{"a trend Partial's UnmarshalBinary of garbage", emptyTrend.UnmarshalBinary([]byte("x")), funnel.ErrCorrupt},
		{"a trend Partial's UnmarshalBinary of a funnel's partial", emptyTrend.UnmarshalBinary(enc), funnel.ErrMismatch},
		{"UnmarshalBinary into a trend Partial not made by a Trend", new(funnel.Partial[*funnel.TrendResult]).UnmarshalBinary([]byte("x")), funnel.ErrInvalid},
		{"TimeToConvert with level 2", second(res.TimeToConvert(2)), funnel.ErrInvalid},
	} {
		checkErr(t, c.name, c.err, c.want, "funnel:")
	}
}

func second[T any](_ T, err error) error { return err }

// checkErr holds err to wrapping want and naming the package exactly once.
func checkErr(t *testing.T, name string, err, want error, prefix string) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Errorf("%s: err = %v, want %v", name, err, want)
		return
	}
	if n := strings.Count(err.Error(), prefix); n != 1 || !strings.HasPrefix(err.Error(), prefix+" ") {
		t.Errorf("%s: %q carries %q %d times, or not at the start", name, err, prefix, n)
	}
}

// A mode with bits that name no mode is refused with those bits, and String shows them
// apart from the known ones.
func TestUnknownModeBits(t *testing.T) {
	m := funnel.StrictDeduplication | funnel.StrictOrder | funnel.AnyOrder | 1<<6
	if got, want := m.String(), "strict_deduplication|strict_order|any_order|0x40"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	err := funnel.Spec{Steps: []funnel.Step{{Name: "a"}, {Name: "b"}}, Mode: m}.Validate()
	if !errors.Is(err, funnel.ErrInvalid) || !strings.Contains(err.Error(), "mode 99 has unknown bits 0x40 (known: strict_deduplication,") {
		t.Errorf("Validate() = %v", err)
	}
}
