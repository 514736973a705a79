// Package longline bounds the lines of a text stream. encoding/csv keeps a record
// whole, so a reader of a file without newlines (a binary, one long JSON document, a
// quote never closed) held the file in memory before it could say the line was wrong:
// wrapped in a Reader, it fails once a line passes the bound, naming the line.
package longline

import (
	"bytes"
	"errors"
	"fmt"
	"io"
)

// Max is the usual bound, the one scoring.ReadTransactions holds its lines to: a
// journey of a thousand touches is a few kilobytes.
const Max = 1 << 20

// ErrTooLong is the error of a line past the bound: a Reader's error is one, and says
// which line.
var ErrTooLong = errors.New("line too long")

// tooLong is a Reader's error, "line 3 is longer than 1048576 bytes", which is
// ErrTooLong.
type tooLong struct{ line, max int }

func (e tooLong) Error() string {
	return fmt.Sprintf("line %d is longer than %d bytes", e.line, e.max)
}

func (e tooLong) Is(target error) bool { return target == ErrTooLong }

// Reader reads r, failing once a line (the bytes between two newlines) is over max
// bytes.
type Reader struct {
	r     io.Reader
	max   int
	run   int // bytes since the last newline
	lines int // newlines read
}

// New returns a Reader of r whose lines are at most max bytes.
func New(r io.Reader, max int) *Reader {
	return &Reader{r: r, max: max}
}

func (l *Reader) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	for b := p[:n]; ; {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			i = len(b)
		}
		if l.run+i > l.max {
			return 0, tooLong{l.lines + 1, l.max}
		}
		if i == len(b) {
			l.run += i
			return n, err
		}
		l.run = 0
		l.lines++
		b = b[i+1:]
	}
}
