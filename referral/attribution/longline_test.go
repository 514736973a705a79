package attribution

import (
	"errors"
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

// TestReadPathsEndlessLine: a file without newlines stops the reader once its line
// passes the bound, having read little more than that. encoding/csv kept the record
// whole, so the file's size set the memory taken.
func TestReadPathsEndlessLine(t *testing.T) {
	for _, quote := range []string{"", `"`} {
		e := &endless{n: 64 << 20}
		var errs []error
		for _, err := range ReadPaths(io.MultiReader(strings.NewReader("a > b;1;2\n"+quote), e), &ReadOptions{Lenient: true}) {
			if err != nil {
				errs = append(errs, err)
			}
		}
		if len(errs) != 1 || !errors.Is(errs[0], ErrSyntax) || !strings.Contains(errs[0].Error(), "line 2: line longer than 1048576 bytes") {
			t.Errorf("%q: errors %v, want one: line 2 too long", quote, errs)
		}
		if e.read > 4<<20 {
			t.Errorf("%q: read %d MB of the line before refusing it", quote, e.read>>20)
		}
	}
}
