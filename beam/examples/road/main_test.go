package main

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/runners/prism"

	"github.com/clientele-go/clientele/beam/pipeline"
	"github.com/clientele-go/clientele/identity"
)

// TestRoadOnSampleData runs the example on its committed sample data on Prism and
// checks the tables against figures of the data: 3,000 profiles visited, every table
// written.
func TestRoadOnSampleData(t *testing.T) {
	beam.Init()
	*eventsPath, *txPath, *linksPath, *out = "testdata/events.jsonl", "testdata/transactions.csv", "testdata/links.jsonl", t.TempDir()
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
		"identities.txt":  "of which probabilistic matches",
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
	checkIdentities(t)
}

// checkIdentities: identities.csv is what identity.Resolver with the default rules,
// fed the links in pipeline.SortLinks order, holds.
func checkIdentities(t *testing.T) {
	raw, err := os.ReadFile(*linksPath)
	if err != nil {
		t.Fatal(err)
	}
	var links []identity.Event
	for _, line := range strings.Split(string(raw), "\n") {
		if err := parseLink(line, func(e identity.Event) { links = append(links, e) }); err != nil {
			t.Fatal(err)
		}
	}
	pipeline.SortLinks(links)
	r, err := identity.New(identity.DefaultRules())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, e := range links {
		if e.Match != nil {
			r.LinkMatch(ctx, e.At, e.Source, *e.Match, e.IDs...)
		} else {
			r.Link(ctx, e.At, e.Source, e.IDs...)
		}
	}
	var want []string
	for k := uint32(1); r.Current(k) != 0; k++ {
		if r.Current(k) != k {
			continue
		}
		for _, id := range r.Identifiers(k) {
			line, err := assignmentLine(pipeline.Assignment{ID: id, Profile: k})
			if err != nil {
				t.Fatal(err)
			}
			want = append(want, line)
		}
	}
	b, err := os.ReadFile(filepath.Join(*out, "identities.csv"))
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Split(strings.TrimSpace(string(b)), "\n")
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("identities.csv: %d lines, the resolver holds %d identifiers; first lines %q, want %q", len(got), len(want), got[:min(3, len(got))], want[:min(3, len(want))])
	}
}
