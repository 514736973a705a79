package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/runners/prism"
)

// TestRoadOnSampleData runs the example on its committed sample data on Prism and
// checks the tables against figures of the data: 3,000 profiles visited, every table
// written.
func TestRoadOnSampleData(t *testing.T) {
	beam.Init()
	*eventsPath, *txPath, *out = "testdata/events.jsonl", "testdata/transactions.csv", t.TempDir()
	p, err := build(time.Date(2025, 12, 31, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := prism.Execute(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{
		"funnel.txt":      "visit           3000",
		"cohorts.txt":     "2025-01",
		"growth.txt":      "2025-12",
		"clv.txt":         "BG/NBD r=",
		"attribution.txt": "markov",
	} {
		b, err := os.ReadFile(filepath.Join(*out, name))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), want) {
			t.Errorf("%s lacks %q:\n%s", name, want, b)
		}
	}
	b, err := os.ReadFile(filepath.Join(*out, "clv.csv"))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(*txPath)
	if err != nil {
		t.Fatal(err)
	}
	customers := map[string]bool{}
	for _, line := range strings.Fields(string(raw)) {
		customers[strings.Split(line, ",")[0]] = true
	}
	if n := strings.Count(string(b), "\n"); n != len(customers) {
		t.Errorf("clv.csv has %d lines, want one per customer (%d)", n, len(customers))
	}
}
