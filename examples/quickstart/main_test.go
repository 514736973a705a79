package main

import (
	"bytes"
	"encoding/xml"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// runSmall runs the quickstart on a small base and returns its text report and page.
func runSmall(t *testing.T) (string, []byte) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "report.html")
	var text, status bytes.Buffer
	if err := run(&text, &status, config{people: 20000, seed: 1, out: out}); err != nil {
		t.Fatalf("run: %v\nstatus:\n%s", err, status.String())
	}
	page, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return text.String(), page
}

func TestQuickstartReport(t *testing.T) {
	text, page := runSmall(t)
	m := regexp.MustCompile(`users \(signed up\)\s+(\d+)\s+([\d.]+)% of people reached`).FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("report does not state the users:\n%s", text)
	}
	if share, _ := strconv.ParseFloat(m[2], 64); share < 1 || share > 4 {
		t.Errorf("users are %.2f%% of people reached, want about 2%%", share)
	}
	checkWellFormed(t, page)
	if n := strings.Count(string(page), "<svg"); n < 1 {
		t.Errorf("report.html has %d charts", n)
	}
	if strings.Contains(string(page), "http://") && !strings.Contains(string(page), `xmlns="http://www.w3.org/2000/svg"`) {
		t.Errorf("report.html refers to an external asset")
	}
}

// checkWellFormed parses the page as XML: every element closed, every entity valid.
func checkWellFormed(t *testing.T, page []byte) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(page))
	d.Strict = true
	for {
		_, err := d.Token()
		if err == io.EOF {
			return
		}
		if err != nil {
			line, col := d.InputPos()
			t.Fatalf("report.html is not well-formed at line %d column %d: %v", line, col, err)
		}
	}
}
