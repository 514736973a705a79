package main

import (
	"strings"
	"testing"
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
