package referral

import (
	"errors"
	"testing"
	"time"
)

// Caller-sized work is bounded (issue 14): Cohorts(..., 1<<40, ...) used to allocate
// until the process died.
func TestCallerSizedWork(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	signups := []Signup{{Profile: 1, At: start}, {Profile: 2, At: start.Add(time.Hour), Referrer: 1}}
	if _, err := ViralGrowth(signups, nil, start, 24*time.Hour, 1<<40, 0.95); !errors.Is(err, ErrInvalid) {
		t.Errorf("Cohorts of 2^40 periods = %v, want ErrInvalid", err)
	}
	if got, err := ViralGrowth(signups, nil, start, 24*time.Hour, 3, 0.95); err != nil || len(got) != 3 {
		t.Errorf("Cohorts of 3 periods: %d cohorts, %v", len(got), err)
	}
}
