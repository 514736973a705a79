package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/clientele-go/clientele/funnel"
	"github.com/clientele-go/clientele/identity"
	"github.com/clientele-go/clientele/scoring"
)

// An input flag whose path matches no file fails the run, naming the flag and the
// path: textio read it as no lines, and a mistyped -events (or the default paths, in a
// run from another directory than beam/) gave every table empty and exited 0.
func TestMissingInputFails(t *testing.T) {
	dir := t.TempDir()
	ev, tx, lk := writeInput(t, dir, "events.jsonl", ""), writeInput(t, dir, "tx.csv", ""), writeInput(t, dir, "links.jsonl", "")
	missing := filepath.Join(dir, "nosuch.jsonl")
	end := time.Date(2025, 12, 31, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		flag string
		path *string
	}{{"events", eventsPath}, {"transactions", txPath}, {"links", linksPath}} {
		*eventsPath, *txPath, *linksPath, *out = ev, tx, lk, filepath.Join(dir, "out")
		*c.path = missing
		_, err := build(end)
		if !errors.Is(err, errNoInput) || !strings.Contains(err.Error(), "-"+c.flag+" "+missing) {
			t.Errorf("-%s %s: build() = %v, want %v naming the flag and the path", c.flag, missing, err, errNoInput)
		}
	}
	*eventsPath, *txPath, *linksPath = ev, tx, lk
	if _, err := build(end); err != nil {
		t.Errorf("every input present: %v", err)
	}
	// Remote paths are matched by a step of the pipeline; the step on a local path:
	if err := (&requireInput{Flag: "events", Path: missing}).ProcessElement(t.Context(), nil); !errors.Is(err, errNoInput) {
		t.Errorf("requireInput on %s = %v, want %v", missing, err, errNoInput)
	}
	if err := (&requireInput{Flag: "events", Path: filepath.Join(dir, "*.jsonl")}).ProcessElement(t.Context(), nil); err != nil {
		t.Errorf("requireInput on a glob with matches: %v", err)
	}
}

// A bad line's error names its line number as well as its file: the quote, cut to 80
// characters, was all that found line 5,000 of a file whose lines all begin alike.
func TestBadLineNamesItsNumber(t *testing.T) {
	dir := t.TempDir()
	var lines []string
	for i := range 6000 {
		lines = append(lines, `{"profile":`+strings.Repeat("1", 1+i%9)+`,"time":"2025-01-06T00:00:00Z","event":"visit","properties":{"channel":"email"}}`)
	}
	bad := lines[4999][:len(lines[4999])-5]
	lines[4999] = bad
	for name, c := range map[string]struct{ sep, bom string }{"lf": {"\n", ""}, "crlf": {"\r\n", ""}, "bom": {"\n", bom}} {
		text := c.bom + strings.Join(lines, c.sep) + c.sep
		file := writeInput(t, dir, name+".jsonl", text)
		line := bad
		if c.sep == "\r\n" {
			line += "\r" // the runner splits at "\n" only
		}
		err := parseEvent(file, line, func(funnel.Event) {})
		if err == nil || !strings.HasPrefix(err.Error(), "road: "+file+":5000: event ") {
			t.Errorf("%s: %v, want it to name %s:5000", name, err, file)
		}
	}
	// The first line, after a byte order mark, is line 1.
	file := writeInput(t, dir, "first.csv", bom+"7,2025-02-30,19.99\n8,2025-02-01,1\n")
	if err := parseTransaction(file, bom+"7,2025-02-30,19.99", func(scoring.Transaction) {}); err == nil || !strings.HasPrefix(err.Error(), "road: "+file+":1: transaction ") {
		t.Errorf("transaction: %v, want it to name %s:1", err, file)
	}
	file = writeInput(t, dir, "links.jsonl", "{}\n{\"source\":\"web\"}")
	if err := parseLink(file, `{"source":"web"}`, func(identity.Event) {}); err == nil || !strings.HasPrefix(err.Error(), "road: "+file+":2: link ") {
		t.Errorf("link: %v, want it to name %s:2", err, file)
	}
	// A file that cannot be read again is named alone.
	if got := at(filepath.Join(dir, "gone.jsonl"), "x"); got != filepath.Join(dir, "gone.jsonl") {
		t.Errorf("at(a missing file) = %q", got)
	}
}

// lineNumber equals a split of the whole text at "\n", for lines longer than its
// buffer as well as shorter.
func TestLineNumberProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		text := rapid.StringOfN(rapid.SampledFrom([]rune("ab\r\n")), 0, 120, -1).Draw(t, "text")
		parts := strings.Split(text, "\n")
		if text == "" || strings.HasSuffix(text, "\n") {
			parts = parts[:len(parts)-1] // the "\n" ends the last line; no empty line after it
		}
		line := rapid.OneOf(rapid.SampledFrom(append(parts, "")), rapid.StringOfN(rapid.SampledFrom([]rune("ab\r")), 0, 40, -1)).Draw(t, "line")
		want := 0
		for i, p := range parts {
			if p == line {
				want = i + 1
				break
			}
		}
		if got := lineNumber(strings.NewReader(text), line, 16); got != want {
			t.Fatalf("lineNumber(%q, %q) = %d, want %d", text, line, got, want)
		}
	})
}

// An event outside the years the funnel package takes is refused at its line, not in a
// merge of the pipeline that named it by its place in a batch.
func TestEventTimeRange(t *testing.T) {
	dir := t.TempDir()
	lines := []string{
		`{"profile":5,"time":"1900-01-01T00:00:00Z","event":"visit"}`,
		`{"profile":5,"time":"2189-12-31T23:59:59Z","event":"visit"}`,
		`{"profile":5,"time":"1899-12-31T23:59:59Z","event":"visit"}`,
		`{"profile":5,"time":"0001-01-01T00:00:01Z","event":"visit"}`,
		`{"profile":5,"time":"2190-01-01T00:00:00Z","event":"visit"}`,
		`{"profile":5,"time":"2189-12-31T23:59:59-01:00","event":"visit"}`,
	}
	file := writeInput(t, dir, "ev.jsonl", strings.Join(lines, "\n"))
	for i, l := range lines {
		n := 0
		err := parseEvent(file, l, func(funnel.Event) { n++ })
		if i < 2 {
			if err != nil || n != 1 {
				t.Errorf("line %d, in range: %v, %d events", i+1, err, n)
			}
			continue
		}
		if !errors.Is(err, funnel.ErrTimeRange) || !strings.HasPrefix(err.Error(), fmt.Sprintf("road: %s:%d: event ", file, i+1)) || n != 0 {
			t.Errorf("line %d, out of range: %v, %d events; want %v at %s:%d", i+1, err, n, funnel.ErrTimeRange, file, i+1)
		}
	}
}

// Errors before the runner starts (a missing input, a bad -end) are printed as they
// are, on stderr, and the run exits 1: log.Fatal, which beam.Init routes through the
// runner's structured logger, printed them as time=... level=INFO msg="...".
func TestStartErrorsArePlain(t *testing.T) {
	if args := os.Getenv("ROAD_TEST_MAIN"); args != "" {
		os.Args = append([]string{"road"}, strings.Split(args, " ")...)
		main()
		return
	}
	dir := t.TempDir()
	missing := filepath.Join(dir, "nosuch.jsonl")
	for _, c := range []struct{ args, want string }{
		{"-events " + missing + " -transactions " + missing + " -links testdata/links.jsonl -out " + dir,
			"road: -events " + missing + ": no such file\nroad: -transactions " + missing + ": no such file\n"},
		{"-end 2025-13-01 -out " + dir, `road: -end: parsing time "2025-13-01": month out of range` + "\n"},
	} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestStartErrorsArePlain$")
		cmd.Env = append(os.Environ(), "ROAD_TEST_MAIN="+c.args)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		err := cmd.Run()
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 1 || stderr.String() != c.want {
			t.Errorf("road %s: %v, stderr %q, want exit 1 and %q", c.args, err, stderr.String(), c.want)
		}
	}
}
