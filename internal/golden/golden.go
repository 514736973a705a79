// Package golden reads the golden files tests hold results against: CSV tables a
// reference implementation (SciPy, a paper's script) wrote beside a package's tests,
// and the outputs an example's README shows. It also holds stored formats to the bytes
// a test pins for them ([Binary], [SHA256]), so that a format changes only knowingly.
package golden

import (
	"encoding/csv"
	"os"
	"strings"
	"testing"
)

// Rows reads the CSV file at path, where lines opening with # are comments, and returns
// its rows after the header. A file that cannot be read, or has no header, fails t.
func Rows(t testing.TB, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.Comment = '#'
	rows, err := r.ReadAll()
	if err != nil || len(rows) == 0 {
		t.Fatalf("%s: %d rows, %v", path, len(rows), err)
	}
	return rows[1:]
}

// Block returns the first fenced block (```) after the line of the Markdown file at
// path that starts with marker: what an example's README shows as the real output of a
// command, for its test to hold the command to. A file without one fails t.
func Block(t testing.TB, path, marker string) string {
	t.Helper()
	text, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(text), "\n"+marker)
	if ok {
		_, after, ok = strings.Cut(after, "```\n")
	}
	block, _, closed := strings.Cut(after, "```")
	if !ok || !closed {
		t.Fatalf("%s: no fenced block after a line starting %q", path, marker)
	}
	return block
}
