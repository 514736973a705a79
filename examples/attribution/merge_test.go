package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unsafe"
)

// TestReadCSVMergesRows: rows of one path become one journey with the rows' sums, in the
// order paths are first seen, and every path holds the same copy of a channel's name,
// so that memory follows the distinct paths, not the rows. A path with ages is another
// path than the same touches with other ages or none.
func TestReadCSVMergesRows(t *testing.T) {
	in := "path,conversions,nulls,value\n" +
		"search > email,1,2,10\n" +
		"social,0,5,0\n" +
		"search>email,2,0,5.5\n" + // the same path, written tighter
		"search@2h > email@0s,1,0,3\n" +
		"  search >  email ,0,1,0\n" +
		"search@2h > email@0s,1,1,4\n" +
		"search@1h > email@0s,0,1,0\n" +
		"social,1,0,7\n"
	rows, _, err := readCSV(strings.NewReader(in), false, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		path             string
		conv, nulls, val float64
	}{
		{"search > email", 3, 3, 15.5},
		{"social", 1, 5, 7},
		{"search@2h > email@0s", 2, 1, 7},
		{"search@1h > email@0s", 0, 1, 0},
	}
	if len(rows) != len(want) {
		t.Fatalf("%d journeys, want %d (one per distinct path): %v", len(rows), len(want), rows)
	}
	for i, w := range want {
		if r := rows[i]; r.String() != w.path || r.Conversions != w.conv || r.Nulls != w.nulls || r.Value != w.val {
			t.Errorf("journey %d = %v %g,%g,%g; want %s %g,%g,%g", i, r, r.Conversions, r.Nulls, r.Value, w.path, w.conv, w.nulls, w.val)
		}
	}
	if rows[2].Ages[0] != 2*time.Hour {
		t.Errorf("ages of %v lost", rows[2])
	}
	// Interned: one copy of "search" for every path that starts with it.
	for _, r := range rows[2:] {
		if unsafe.StringData(r.Touches[0]) != unsafe.StringData(rows[0].Touches[0]) {
			t.Errorf("%v holds its own copy of %q", r, r.Touches[0])
		}
	}
}

// TestMergedReportIsTheSummedFile: a file listing a path on many rows reports what the
// file with those rows summed into one does, figure for figure.
func TestMergedReportIsTheSummedFile(t *testing.T) {
	var split, summed strings.Builder
	split.WriteString("path,conversions,nulls,value\n")
	summed.WriteString("path,conversions,nulls,value\n")
	for i := 0; i < 40; i++ {
		split.WriteString("a > b > c,1,2,2.5\nb > c,0,3,0\nd > a,2,1,4\n")
	}
	summed.WriteString("a > b > c,40,80,100\nb > c,0,120,0\nd > a,80,40,160\n")
	report := func(name, csv string) string {
		file := filepath.Join(t.TempDir(), name)
		if err := os.WriteFile(file, []byte(csv), 0o600); err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		if err := run(&out, file, 0, false, "direct"); err != nil {
			t.Fatal(err)
		}
		_, body, _ := strings.Cut(out.String(), ": ") // past the file's name
		return body
	}
	if a, b := report("split.csv", split.String()), report("summed.csv", summed.String()); a != b {
		t.Errorf("rows listed apart:\n%s\nsummed:\n%s", a, b)
	}
}
