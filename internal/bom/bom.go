// Package bom skips the UTF-8 byte order mark (EF BB BF) that spreadsheets (Excel's
// "CSV UTF-8"), Windows editors and PowerShell write at the start of a text file, for
// the SDK's readers of CSV files. Left in, it becomes part of the first field: a header
// line is not recognised as one and the first row's id, channel or date is another
// value than the same text further down. Skip drops the mark at the start of a stream,
// Field at the start of a row's first field (files each with one, joined with cat), and
// Rows, for encoding/csv, does Skip's work and moves a later row's mark past a quote or
// a comment character, where encoding/csv would refuse it or read the comment as a row.
package bom

import (
	"bufio"
	"bytes"
	"io"
)

// mark is the UTF-8 encoding of U+FEFF.
var mark = []byte{0xEF, 0xBB, 0xBF}

// Skip returns a reader of r's bytes without a leading byte order mark. It reads
// nothing from r until its first Read, so that a reader made before a stream is
// consumed (an iterator not yet ranged over) does not block on it. The returned reader
// buffers r; only a mark at the very start is skipped.
func Skip(r io.Reader) io.Reader {
	return &skipper{r: r}
}

type skipper struct {
	r  io.Reader
	br *bufio.Reader
}

func (s *skipper) Read(p []byte) (int, error) {
	if s.br == nil {
		s.br = bufio.NewReader(s.r)
		if b, _ := s.br.Peek(len(mark)); bytes.Equal(b, mark) {
			_, _ = s.br.Discard(len(mark))
		}
	}
	return s.br.Read(p)
}

// Field returns s without a leading byte order mark, and the bytes it dropped (3 or
// 0), for a reader to apply to the first field of every row: files that each start
// with a mark, joined with cat, hold one at the start of later lines too, where Skip
// does not look, and there it made the line's id or channel another value than the
// same text elsewhere, silently.
func Field(s string) (string, int) {
	if len(s) >= len(mark) && s[0] == mark[0] && s[1] == mark[1] && s[2] == mark[2] {
		return s[len(mark):], len(mark)
	}
	return s, 0
}
