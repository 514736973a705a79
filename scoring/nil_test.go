package scoring_test

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/clientele-go/clientele/scoring"
)

// argFor returns an argument of type t that passes the methods' own checks, so that
// a method reaches its receiver rather than returning early on a zero argument.
func argFor(t reflect.Type) reflect.Value {
	switch t {
	case reflect.TypeFor[float64]():
		return reflect.ValueOf(1.0)
	case reflect.TypeFor[int]():
		return reflect.ValueOf(1)
	case reflect.TypeFor[uint32]():
		return reflect.ValueOf(uint32(1))
	case reflect.TypeFor[string]():
		return reflect.ValueOf("a")
	case reflect.TypeFor[[]byte]():
		return reflect.ValueOf([]byte(`{"model":"BG/NBD","params":{"r":1,"alpha":1,"a":1,"b":1}}`))
	case reflect.TypeFor[time.Time]():
		return reflect.ValueOf(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	case reflect.TypeFor[scoring.Customer]():
		return reflect.ValueOf(scoring.Customer{Frequency: 1, Recency: 1, T: 2, Monetary: 10})
	case reflect.TypeFor[[]scoring.Customer]():
		return reflect.ValueOf([]scoring.Customer{{Frequency: 1, Recency: 1, T: 2, Monetary: 10}})
	case reflect.TypeFor[scoring.Opportunities]():
		return reflect.ValueOf(scoring.Opportunities{Frequency: 1, Recency: 1, N: 2, Weight: 1})
	case reflect.TypeFor[[]scoring.Opportunities]():
		return reflect.ValueOf([]scoring.Opportunities{{Frequency: 1, Recency: 1, N: 2, Weight: 1}})
	case reflect.TypeFor[[]float64]():
		return reflect.ValueOf([]float64{1})
	}
	return reflect.Zero(t)
}

// TestNilModelsDoNotPanic: a nil *Logistic panicked in Predict, and so did every
// other model's methods on a nil pointer a caller kept after a failed fit (and the
// intervals' and Engagement's on a zero value made without their constructor).
// Every exported method answers instead: those that return an error ErrInvalid, the
// others the value their doc gives for input they cannot score.
func TestNilModelsDoNotPanic(t *testing.T) {
	values := []any{
		(*scoring.BGNBD)(nil), (*scoring.MBGNBD)(nil), (*scoring.ParetoNBD)(nil),
		(*scoring.BGBB)(nil), (*scoring.SBG)(nil), (*scoring.GammaGamma)(nil), (*scoring.Logistic)(nil),
		(*scoring.BGNBDCovariates)(nil), (*scoring.ParetoNBDCovariates)(nil),
		(*scoring.Intervals)(nil), (*scoring.BGBBIntervals)(nil), (*scoring.SBGIntervals)(nil), (*scoring.CovariateIntervals)(nil),
		(*scoring.Lookalike)(nil), (*scoring.Engagement)(nil), (*scoring.Keys)(nil),
		// Zero values of types whose fields only their constructors can set.
		new(scoring.Intervals), new(scoring.BGBBIntervals), new(scoring.SBGIntervals), new(scoring.CovariateIntervals),
		new(scoring.Engagement),
	}
	errType := reflect.TypeFor[error]()
	for _, v := range values {
		rv := reflect.ValueOf(v)
		kind := "nil"
		if !rv.IsNil() {
			kind = "zero"
		}
		for i := range rv.NumMethod() {
			meth := rv.Type().Method(i)
			name := fmt.Sprintf("%s %T.%s", kind, v, meth.Name)
			args := make([]reflect.Value, meth.Type.NumIn()-1)
			for j := range args {
				args[j] = argFor(meth.Type.In(j + 1))
			}
			func() {
				defer func() {
					if r := recover(); r != nil {
						t.Errorf("%s panicked: %v", name, r)
					}
				}()
				out := rv.Method(i).Call(args)
				if n := len(out); n > 0 && meth.Type.Out(n-1) == errType {
					err, _ := out[n-1].Interface().(error)
					if !errors.Is(err, scoring.ErrInvalid) {
						t.Errorf("%s: %v, want ErrInvalid", name, err)
					}
				}
				// The figures of methods that return no error are those the docs give:
				// NaN for sBG's (its DERL's invalid answer), 0 for the others'.
				_, sbg := v.(*scoring.SBG)
				_, sbgIv := v.(*scoring.SBGIntervals)
				if len(out) == 1 && out[0].Kind() == reflect.Float64 {
					if f := out[0].Float(); sbg && !math.IsNaN(f) || !sbg && f != 0 {
						t.Errorf("%s = %v", name, f)
					}
				}
				if len(out) == 1 && sbgIv && !math.IsNaN(out[0].Interface().(scoring.Interval).Estimate) {
					t.Errorf("%s = %+v, want NaN", name, out[0])
				}
				// A sequence is drained, as a caller would.
				if len(out) == 1 && out[0].Kind() == reflect.Func && out[0].Type().NumIn() == 1 {
					yield := reflect.MakeFunc(out[0].Type().In(0), func([]reflect.Value) []reflect.Value {
						return []reflect.Value{reflect.ValueOf(true)}
					})
					out[0].Call([]reflect.Value{yield})
				}
			}()
		}
	}
}

// TestModelsOfBadParametersDoNotPanic: a model built by hand with a parameter 0,
// negative, NaN or infinite panicked in gonum's incomplete beta
// (ExpectedPurchasesNew, PurchaseProbNew: "cephes: parameter out of bounds") and
// returned NaN elsewhere, where the Model doc promises 0, never NaN. Such a model now
// answers as for invalid input: 0, and NaN for sBG.
func TestModelsOfBadParametersDoNotPanic(t *testing.T) {
	c := scoring.Customer{Frequency: 2, Recency: 3, T: 5}
	o := scoring.Opportunities{Frequency: 1, Recency: 1, N: 2}
	for _, bad := range []float64{0, -1, math.NaN(), math.Inf(1)} {
		for k := range 4 {
			p := [4]float64{1, 1, 1, 1}
			p[k] = bad
			name := fmt.Sprintf("parameter %d = %v", k, bad)
			check := func(what string, want float64, f func() float64) {
				t.Helper()
				defer func() {
					if r := recover(); r != nil {
						t.Errorf("%s, %s panicked: %v", name, what, r)
					}
				}()
				if got := f(); !(got == want || math.IsNaN(want) && math.IsNaN(got)) {
					t.Errorf("%s, %s = %v, want %v", name, what, got, want)
				}
			}
			for _, m := range []scoring.Model{&scoring.BGNBD{R: p[0], Alpha: p[1], A: p[2], B: p[3]}, &scoring.MBGNBD{R: p[0], Alpha: p[1], A: p[2], B: p[3]},
				&scoring.ParetoNBD{R: p[0], Alpha: p[1], S: p[2], Beta: p[3]}} {
				check(fmt.Sprintf("%T.ExpectedPurchases", m), 0, func() float64 { return m.ExpectedPurchases(1, c) })
				check(fmt.Sprintf("%T.PAlive", m), 0, func() float64 { return m.PAlive(c) })
				check(fmt.Sprintf("%T.PurchaseProb", m), 0, func() float64 { return m.PurchaseProb(1, 1, c) })
				check(fmt.Sprintf("%T.ExpectedPurchasesNew", m), 0, func() float64 { return m.ExpectedPurchasesNew(1) })
				check(fmt.Sprintf("%T.PurchaseProbNew", m), 0, func() float64 { return m.PurchaseProbNew(1, 1) })
			}
			b := &scoring.BGBB{Alpha: p[0], Beta: p[1], Gamma: p[2], Delta: p[3]}
			check("BGBB.ExpectedPurchases", 0, func() float64 { return b.ExpectedPurchases(1, o) })
			check("BGBB.PAlive", 0, func() float64 { return b.PAlive(o) })
			check("BGBB.PurchaseProb", 0, func() float64 { return b.PurchaseProb(1, 1, o) })
			check("BGBB.ExpectedPurchasesNew", 0, func() float64 { return b.ExpectedPurchasesNew(2) })
			check("BGBB.PurchaseProbNew", 0, func() float64 { return b.PurchaseProbNew(2, 1) })
			if k < 3 {
				g := &scoring.GammaGamma{P: p[0], Q: p[1], Gamma: p[2]}
				check("GammaGamma.ExpectedSpend", 0, func() float64 { return g.ExpectedSpend(scoring.Customer{Frequency: 1, Recency: 1, T: 2, Monetary: 3}) })
			}
			if k < 2 {
				s := &scoring.SBG{Gamma: p[0], Delta: p[1]}
				check("SBG.Survival", math.NaN(), func() float64 { return s.Survival(2) })
				check("SBG.Retention", math.NaN(), func() float64 { return s.Retention(2) })
				check("SBG.DERL", math.NaN(), func() float64 { return s.DERL(0.1, 1) })
			}
		}
	}
}
