package main

import (
	"io"
	"strings"
	"testing"
)

// TestEndlessLine: a file without newlines is refused once its first line passes the
// bound, and asked whether it is a file of journeys. encoding/csv kept the record
// whole: a 50 MB line took 190 MB, and the file's size set the memory taken. (That the
// bound stops the read early is internal/longline's test; attribution.ReadPaths has
// one of its own.)
func TestEndlessLine(t *testing.T) {
	for _, quote := range []string{"", `"`} {
		in := "path,conversions,nulls,value\n" + quote + strings.Repeat("a", 2<<20)
		_, _, err := readCSV(strings.NewReader(in), false, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "line 2: line longer than 1048576 bytes") ||
			!strings.Contains(err.Error(), "is it a file of journeys") {
			t.Errorf("%q: error %v, want line 2 too long, and the question", quote, err)
		}
	}
}
