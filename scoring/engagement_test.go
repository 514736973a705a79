package scoring

import (
	"errors"
	"math"
	"sync"
	"testing"
	"time"

	"pgregory.net/rapid"
)

func TestEngagementMatchesReference(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
		half := time.Duration(rapid.IntRange(1, 60).Draw(t, "half-life days")) * 24 * time.Hour
		e, err := NewEngagement(half)
		if err != nil {
			t.Fatal(err)
		}
		type action struct {
			at time.Time
			w  float64
		}
		events := map[uint32][]action{}
		for range rapid.IntRange(0, 50).Draw(t, "n") {
			p := uint32(rapid.IntRange(1, 4).Draw(t, "profile"))
			a := action{start.Add(time.Duration(rapid.IntRange(0, 90*24).Draw(t, "hour")) * time.Hour), float64(rapid.IntRange(0, 5).Draw(t, "weight"))}
			events[p] = append(events[p], a)
			if err := e.Add(a.at, p, a.w); err != nil {
				t.Fatal(err)
			}
		}
		now := start.Add(time.Duration(rapid.IntRange(0, 120*24).Draw(t, "now hour")) * time.Hour)
		seen := 0
		for p, got := range e.Scores(now) {
			seen++
			// Reference: the definition, read at now or, if later, at the latest action.
			at := now
			for _, a := range events[p] {
				if a.at.After(at) {
					at = a.at
				}
			}
			var want float64
			for _, a := range events[p] {
				want += a.w * math.Pow(2, -at.Sub(a.at).Hours()/half.Hours())
			}
			if math.Abs(got-want) > 1e-9*math.Max(1, want) || math.Abs(e.Score(now, p)-got) > 0 {
				t.Fatalf("profile %d: score %.12f, want %.12f", p, got, want)
			}
		}
		if seen != len(events) {
			t.Fatalf("%d profiles scored, %d seen", seen, len(events))
		}
	})
}

func TestEngagementHalfLife(t *testing.T) {
	e, _ := NewEngagement(DefaultHalfLife)
	at := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	if err := e.Add(at, 9, 4); err != nil {
		t.Fatal(err)
	}
	if got := e.Score(at.Add(DefaultHalfLife), 9); math.Abs(got-2) > 1e-12 {
		t.Errorf("after one half-life: %v, want 2", got)
	}
	if got := e.Score(at.Add(2*DefaultHalfLife), 9); math.Abs(got-1) > 1e-12 {
		t.Errorf("after two half-lives: %v, want 1", got)
	}
	if e.Score(at, 10) != 0 {
		t.Error("unknown profile has a score")
	}
	if err := e.Add(at, 9, math.NaN()); err == nil {
		t.Error("NaN weight accepted")
	}
}

func TestEngagementConcurrent(t *testing.T) {
	e, _ := NewEngagement(time.Hour)
	at := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 500 {
				_ = e.Add(at.Add(time.Duration(g*i)*time.Second), uint32(i%7+1), 1)
				_ = e.Score(at, uint32(i%7+1))
			}
		})
	}
	wg.Wait()
	var total float64
	for _, s := range e.Scores(at) {
		total += s
	}
	if !(total > 0) {
		t.Errorf("total %v", total)
	}
}

// TestEngagementNeverNaN: two finite weights near the largest float64 summed to +Inf,
// and the score read a day later was +Inf·0, NaN. The second action is now refused
// and the score stays finite at every instant.
func TestEngagementNeverNaN(t *testing.T) {
	e, err := NewEngagement(time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := e.Add(at, 1, math.MaxFloat64); err != nil {
		t.Fatal(err)
	}
	if err := e.Add(at, 1, math.MaxFloat64); !errors.Is(err, ErrInvalid) {
		t.Errorf("second action of weight MaxFloat64: %v, want ErrInvalid", err)
	}
	if err := e.Add(at.Add(-time.Minute), 1, math.MaxFloat64); !errors.Is(err, ErrInvalid) {
		t.Errorf("earlier action of weight MaxFloat64: %v, want ErrInvalid", err)
	}
	for _, now := range []time.Time{at, at.Add(24 * time.Hour), at.Add(1e6 * time.Hour)} {
		if s := e.Score(now, 1); math.IsNaN(s) || math.IsInf(s, 0) || s < 0 {
			t.Errorf("score at %v is %v", now, s)
		}
	}
	for p, s := range e.Scores(at.Add(24 * time.Hour)) {
		if math.IsNaN(s) || math.IsInf(s, 0) {
			t.Errorf("Scores: profile %d has %v", p, s)
		}
	}
}
