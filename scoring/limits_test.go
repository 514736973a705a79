package scoring

import (
	"errors"
	"math"
	"testing"
)

// Caller-sized allocations and unusable models fail with ErrInvalid instead of running out
// of memory or answering NaN (issue 14).
func TestCallerSizedAndBadModels(t *testing.T) {
	m := &BGNBD{R: 0.24, Alpha: 4.4, A: 0.79, B: 2.4}
	cs := []Customer{{Frequency: 2, Recency: 20, T: 30}}
	if _, err := Forecast(m, cs, 1<<40, 1); !errors.Is(err, ErrInvalid) {
		t.Errorf("Forecast of 2^40 periods = %v, want ErrInvalid", err)
	}
	if _, err := Tracking(m, []float64{0, 1}, 1<<40, 1); !errors.Is(err, ErrInvalid) {
		t.Errorf("Tracking of 2^40 periods = %v, want ErrInvalid", err)
	}
	if _, err := CheckHoldout(m, nil, 1<<40); !errors.Is(err, ErrInvalid) {
		t.Errorf("CheckHoldout with max frequency 2^40 = %v, want ErrInvalid", err)
	}
	if _, err := Forecast(m, cs, MaxPeriods+1, 1); !errors.Is(err, ErrInvalid) {
		t.Errorf("Forecast of MaxPeriods+1 periods = %v, want ErrInvalid", err)
	}
	if got, err := Forecast(m, cs, 100, 1); err != nil || len(got) != 100 {
		t.Errorf("Forecast of 100 periods: %d periods, %v", len(got), err)
	}
	for _, bad := range []Model{
		&BGNBD{R: math.NaN(), Alpha: 4.4, A: 0.79, B: 2.4},
		&BGNBD{R: 0.24, Alpha: -4.4, A: 0.79, B: 2.4},
		&MBGNBD{R: 0.24, Alpha: 4.4, A: 0, B: 2.4},
		&ParetoNBD{R: 0.5, Alpha: 10, S: math.Inf(1), Beta: 11},
		(*BGNBD)(nil),
	} {
		if _, err := Predict(bad, cs, 10); !errors.Is(err, ErrInvalid) {
			t.Errorf("Predict with %+v = %v, want ErrInvalid", bad, err)
		}
		if _, err := Forecast(bad, cs, 3, 1); !errors.Is(err, ErrInvalid) {
			t.Errorf("Forecast with %+v = %v, want ErrInvalid", bad, err)
		}
	}
}
