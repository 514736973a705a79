package funnel_test

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/clientele-go/clientele/funnel"
	"github.com/clientele-go/clientele/internal/zerocheck"
)

// TestNilBatch calls every method of every analysis that takes a *Batch with nil: each
// fails with ErrInvalid instead of panicking. The methods are found by reflection, so
// that one added later is held to it too.
func TestNilBatch(t *testing.T) {
	steps := []funnel.Step{{Name: "visit"}, {Name: "buy"}}
	analyses := []any{
		funnel.Spec{Steps: steps},
		funnel.Cohorts{Start: steps[0], Return: steps[0], By: funnel.Week, Periods: 4},
		funnel.Trend{Spec: funnel.Spec{Steps: steps}},
		funnel.Correlate{Spec: funnel.Spec{Steps: steps}},
		funnel.Stickiness{Event: steps[0], By: funnel.Week},
		funnel.Sequence{Pattern: "(?1)(?2)", Conditions: steps},
		funnel.Paths{From: steps[0], Depth: 3, TopN: 5},
		funnel.Lifecycle{By: funnel.Week},
	}
	batchT := reflect.TypeFor[*funnel.Batch]()
	found := 0
	for _, a := range analyses {
		v := reflect.ValueOf(a)
		for i := range v.NumMethod() {
			m, name := v.Method(i), reflect.TypeOf(a).Method(i).Name
			if m.Type().NumIn() == 0 || m.Type().In(0) != batchT {
				continue
			}
			found++
			args := []reflect.Value{reflect.Zero(batchT)}
			for j := 1; j < m.Type().NumIn(); j++ {
				args = append(args, reflect.Zero(m.Type().In(j)))
			}
			var out []reflect.Value
			func() {
				defer func() {
					if p := recover(); p != nil {
						t.Errorf("%T.%s(nil) panicked: %v", a, name, p)
					}
				}()
				out = m.Call(args)
			}()
			if out == nil {
				continue
			}
			if err, _ := out[len(out)-1].Interface().(error); !errors.Is(err, funnel.ErrInvalid) {
				t.Errorf("%T.%s(nil) = %v, want ErrInvalid", a, name, err)
			}
		}
	}
	if found < 13 {
		t.Errorf("found %d methods taking a *Batch, want at least 13", found)
	}
}

// TestZeroJourneys calls every method of zero and nil Journeys: none panics, and those
// that return an error fail with ErrInvalid; the queries answer as for no profiles.
func TestZeroJourneys(t *testing.T) {
	zerocheck.Methods(t, new(funnel.Journeys), funnel.ErrInvalid, "Journeys")
	at := time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)
	for _, j := range []*funnel.Journeys{new(funnel.Journeys), nil} {
		if j.Profiles() != 0 || j.StageAt(at, 1) != funnel.Stranger || !j.Reached(at, funnel.Customer).IsEmpty() {
			t.Error("zero Journeys answer something")
		}
		for s, b := range j.Stages(at) {
			if b == nil || !b.IsEmpty() {
				t.Errorf("Stages[%d] = %v, want empty", s, b)
			}
		}
	}
}

// TestZeroSequenceResultMerges: the zero SequenceResult is the empty result, ready to be
// merged into; a nil other, and a nil receiver (which panicked), fail with ErrInvalid
// naming the type. zerocheck holds Merge to that for zero and plausible arguments too.
func TestZeroSequenceResultMerges(t *testing.T) {
	zerocheck.Methods(t, new(funnel.SequenceResult), funnel.ErrInvalid, "SequenceResult", "Merge")
	q := funnel.Sequence{Pattern: "(?1)(?2)", Conditions: []funnel.Step{{Name: "a"}, {Name: "b"}}}
	t0 := time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)
	r, err := q.Run([]funnel.Event{{Profile: 1, Time: t0, Name: "a"}, {Profile: 1, Time: t0.Add(time.Minute), Name: "b"}})
	if err != nil {
		t.Fatal(err)
	}
	var total funnel.SequenceResult
	if err := total.Merge(nil); !errors.Is(err, funnel.ErrInvalid) {
		t.Errorf("Merge(nil) = %v, want ErrInvalid", err)
	}
	if err := total.Merge(&funnel.SequenceResult{}); err != nil {
		t.Errorf("Merge(zero) = %v", err)
	}
	if err := total.Merge(r); err != nil {
		t.Errorf("Merge(%+v) = %v", r, err)
	}
	if total.Profiles != r.Profiles || total.Count != r.Count || !total.Matched.Equals(r.Matched) {
		t.Errorf("zero merged with %+v = %+v", r, total)
	}
	var none *funnel.SequenceResult
	if err := none.Merge(r); !errors.Is(err, funnel.ErrInvalid) {
		t.Errorf("nil receiver Merge = %v, want ErrInvalid", err)
	}
}

// TestZeroAndNilResults calls every method of the zero and the nil Batch, Result, Table,
// Survival and Partial: none panics but those documented to, as indexing a slice does
// (Batch.At out of range) or as writing into nothing does (Intern on a nil *Batch); a
// nil receiver's methods with an error fail with ErrInvalid naming the type; the zero
// values answer as what they are (an empty batch, a funnel of no steps, a table of no
// columns, a curve of no conversions). A nil *Batch's Len, Append, MarshalBinary and
// UnmarshalBinary, a nil *Result's and *Table's methods and a nil *Survival's At
// panicked.
func TestZeroAndNilResults(t *testing.T) {
	zerocheck.MethodsPanicking(t, new(funnel.Batch), funnel.ErrInvalid, "Batch",
		zerocheck.Panics{OnNil: []string{"Intern", "InternValue"}, Always: []string{"At"}},
		"Append", "MarshalBinary", "UnmarshalBinary")
	zerocheck.Methods(t, new(funnel.Result), funnel.ErrInvalid, "Result", "Conversion", "TimeToConvert")
	zerocheck.Methods(t, new(funnel.Table), funnel.ErrInvalid, "Table", "Rate")
	zerocheck.Methods(t, new(funnel.Survival), funnel.ErrInvalid, "Survival")
	zerocheck.Methods(t, new(funnel.Partial[*funnel.Table]), funnel.ErrInvalid, "Partial")

	// Batch: the zero value is the empty batch; nil holds no events.
	var nilBatch *funnel.Batch
	if nilBatch.Len() != 0 {
		t.Errorf("nil Batch Len = %d", nilBatch.Len())
	}
	var zero funnel.Batch
	raw, err := zero.MarshalBinary()
	if err != nil {
		t.Fatalf("zero Batch MarshalBinary: %v", err)
	}
	var back funnel.Batch
	if err := back.UnmarshalBinary(raw); err != nil || back.Len() != 0 {
		t.Errorf("zero Batch round trip: %d events, %v", back.Len(), err)
	}
	if err := nilBatch.UnmarshalBinary(raw); !errors.Is(err, funnel.ErrInvalid) {
		t.Errorf("nil Batch UnmarshalBinary = %v, want ErrInvalid", err)
	}
	at := time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)
	if err := zero.Append(funnel.Event{Profile: 1, Time: at, Name: "a"}); err != nil {
		t.Fatal(err)
	}
	if e := zero.At(0); e.Profile != 1 || !e.Time.Equal(at) || e.Name != "a" {
		t.Errorf("At(0) = %+v", e)
	}
	panics := func(name string, f func()) {
		t.Helper()
		defer func() {
			if recover() == nil {
				t.Errorf("%s did not panic, as documented", name)
			}
		}()
		f()
	}
	panics("At(Len())", func() { zero.At(1) })
	panics("At(-1)", func() { zero.At(-1) })
	panics("nil Batch Intern", func() { nilBatch.Intern("a") })

	// Result: the zero Result is a funnel of no steps, with no one to follow.
	var res funnel.Result
	if _, err := res.Conversion(0, 0, funnel.Wilson, 0.95); !errors.Is(err, funnel.ErrInvalid) {
		t.Errorf("zero Result Conversion = %v, want ErrInvalid", err)
	}
	if sv, err := res.TimeToConvert(0.95); err != nil || len(sv.Time) != 0 || sv.At(time.Hour) != 1 {
		t.Errorf("zero Result TimeToConvert = %+v, %v, want the empty curve", sv, err)
	}
	// CompareGroups of a Result built by hand whose steps hold no bitmaps.
	hand := &funnel.Result{Steps: make([]funnel.StepResult, 2)}
	if _, err := funnel.CompareGroups(hand, roaring.BitmapOf(1), roaring.BitmapOf(2), nil); !errors.Is(err, funnel.ErrInvalid) {
		t.Errorf("CompareGroups of steps without bitmaps = %v, want ErrInvalid", err)
	}

	// Table: the zero Table has no column; one built by hand with short cohorts is
	// refused, not indexed past its end.
	var tab funnel.Table
	if _, err := tab.Rate(0, funnel.Wilson, 0.95); !errors.Is(err, funnel.ErrInvalid) {
		t.Errorf("zero Table Rate = %v, want ErrInvalid", err)
	}
	short := &funnel.Table{Columns: []string{"0", "1"}, Cohorts: []funnel.Cohort{{Size: 2, Retained: []int64{2}, Complete: []bool{true}}}}
	if _, err := short.Rate(1, funnel.Wilson, 0.95); !errors.Is(err, funnel.ErrInvalid) {
		t.Errorf("Rate of a cohort with one cell of two = %v, want ErrInvalid", err)
	}
	if _, err := funnel.CompareRetention(short, short, 1, nil); !errors.Is(err, funnel.ErrInvalid) {
		t.Errorf("CompareRetention of a cohort with one cell of two = %v, want ErrInvalid", err)
	}

	// Survival: zero and nil are the curve of no conversions.
	for _, sv := range []*funnel.Survival{new(funnel.Survival), nil} {
		if sv.At(time.Hour) != 1 || sv.Converted(time.Hour) != 0 {
			t.Errorf("%v: At = %v, Converted = %v, want 1 and 0", sv, sv.At(time.Hour), sv.Converted(time.Hour))
		}
	}
}
