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

// tooLong is a Reader's error, "line 3: line longer than 1048576 bytes" after its kind's
// message, if any; it is ErrTooLong and its kind.
type tooLong struct {
	kind      error
	line, max int
}

func (e *tooLong) Error() string {
	msg := fmt.Sprintf("line %d: line longer than %d bytes", e.line, e.max)
	if e.kind != nil {
		msg = e.kind.Error() + ": " + msg
	}
	return msg
}

func (e *tooLong) Unwrap() []error {
	if e.kind == nil {
		return []error{ErrTooLong}
	}
	return []error{ErrTooLong, e.kind}
}

// Reader reads r, failing once a line (the bytes between two newlines) is over max
// bytes.
type Reader struct {
	r     io.Reader
	kind  error
	max   int
	run   int // bytes since the last newline
	lines int // newlines read
}

// New returns a Reader of r whose lines are at most max bytes. Its error for a longer
// line is ErrTooLong and, unless nil, kind: the caller's sentinel for a malformed input
// (scoring.ErrSyntax, say), whose message leads it.
func New(r io.Reader, max int, kind error) *Reader {
	return &Reader{r: r, max: max, kind: kind}
}

func (l *Reader) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	// From newline to newline with bytes.IndexByte: a loop over every byte was a tenth
	// of scoring's transaction reader's time.
	for b := p[:n]; ; {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			i = len(b)
		}
		if l.run+i > l.max {
			return 0, &tooLong{kind: l.kind, line: l.lines + 1, max: l.max}
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
