// Package golden reads the golden files tests hold results against: CSV tables a
// reference implementation (SciPy, a paper's script) wrote beside a package's tests.
package golden

import (
	"encoding/csv"
	"os"
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
