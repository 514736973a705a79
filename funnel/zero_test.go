package funnel_test

import (
	"errors"
	"reflect"
	"testing"
	"time"

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
// merged into, and a nil other changes nothing.
func TestZeroSequenceResultMerges(t *testing.T) {
	q := funnel.Sequence{Pattern: "(?1)(?2)", Conditions: []funnel.Step{{Name: "a"}, {Name: "b"}}}
	t0 := time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)
	r, err := q.Run([]funnel.Event{{Profile: 1, Time: t0, Name: "a"}, {Profile: 1, Time: t0.Add(time.Minute), Name: "b"}})
	if err != nil {
		t.Fatal(err)
	}
	var total funnel.SequenceResult
	total.Merge(nil)
	total.Merge(&funnel.SequenceResult{})
	total.Merge(r)
	if total.Profiles != r.Profiles || total.Count != r.Count || !total.Matched.Equals(r.Matched) {
		t.Errorf("zero merged with %+v = %+v", r, total)
	}
}
