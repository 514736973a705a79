package attribution

import (
	"errors"
	"testing"
)

// Shapley{Samples: 1<<40} used to run forever (issue 14); samples are bounded.
func TestShapleySamplesBounded(t *testing.T) {
	if err := (Shapley{Game: SubsetRate, Samples: 1 << 40}).validate(); !errors.Is(err, ErrInvalid) {
		t.Errorf("Shapley with 2^40 samples = %v, want ErrInvalid", err)
	}
	if err := (Shapley{Game: SubsetRate, Samples: MaxShapleySamples}).validate(); err != nil {
		t.Errorf("Shapley with MaxShapleySamples samples: %v", err)
	}
}
