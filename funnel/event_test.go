package funnel

import "testing"

// TestNanoBounds holds the constant bounds of accepted times to the dates they stand for.
func TestNanoBounds(t *testing.T) {
	if minNano != minTime.UnixNano() || maxNano != maxTime.UnixNano() {
		t.Fatalf("minNano %d maxNano %d; the dates give %d and %d", minNano, maxNano, minTime.UnixNano(), maxTime.UnixNano())
	}
}
