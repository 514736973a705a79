package main

import (
	"io"
	"strings"
	"testing"
)

// endless is a stream of n bytes of 'a' without a newline, counting what is read.
type endless struct{ n, read int }

func (e *endless) Read(p []byte) (int, error) {
	if e.read >= e.n {
		return 0, io.EOF
	}
	k := min(len(p), e.n-e.read)
	for i := range k {
		p[i] = 'a'
	}
	e.read += k
	return k, nil
}

// TestEndlessLine: a file without newlines is refused once its first line passes the
// bound, having read little more than that. encoding/csv kept the record whole: a 50
// MB line took 190 MB, and the file's size set the memory taken.
func TestEndlessLine(t *testing.T) {
	for _, quote := range []string{"", `"`} {
		e := &endless{n: 64 << 20}
		_, _, err := readCSV(io.MultiReader(strings.NewReader("path,conversions,nulls,value\n"+quote), e), false, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "line 2: line longer than 1048576 bytes") {
			t.Errorf("%q: error %v, want line 2 too long", quote, err)
		}
		if e.read > 4<<20 {
			t.Errorf("%q: read %d MB of the line before refusing it", quote, e.read>>20)
		}
	}
}
