package main

import (
	"strings"
	"testing"
	"time"
)

// TestDefaultInputElsewhere: run outside the repository's root, the default -in is
// missing; the error says where to run from.
func TestDefaultInputElsewhere(t *testing.T) {
	t.Chdir(t.TempDir())
	_, err := openInput("examples/ingest/testdata/events.jsonl", true)
	if err == nil || !strings.Contains(err.Error(), "run there, or give -in") {
		t.Errorf("err = %v, want it to say where to run from", err)
	}
	if _, err := openInput("missing.csv", false); err == nil || strings.Contains(err.Error(), "-in") {
		t.Errorf("a path given with -in: err = %v, want os.Open's error alone", err)
	}
}

// testNow is the run's clock in the tests: after the calls of their inputs (2025), as
// the clock of a run over an export is. A call dated after it is warned of.
var testNow = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
