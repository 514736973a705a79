package bom

import (
	"bufio"
	"bytes"
	"io"
	"unicode/utf8"
)

// Rows returns a reader of r's bytes for an encoding/csv reader whose separator is comma
// and whose comment character is comment (0: none). Like Skip it drops a mark at the
// very start. A later row that starts with a mark, a file joined with cat after
// another, is left as it is, for Field to drop from the first field, unless a quote or
// the comment character follows the mark: then the mark is moved after that character,
// so that encoding/csv reads a quoted field (the mark leading its text, where Field
// drops it) or a comment line. Left before the quote, the mark made the row an error,
// "bare \" in non-quoted-field", and before the comment character a row of the comment.
//
// Rows follows encoding/csv's rules (strict quotes, no TrimLeadingSpace) to know where
// each row starts: a mark on a line that continues a quoted field is text and stays.
// A row encoding/csv refuses ends at its line's end, as encoding/csv goes on from
// there. Bytes keep their offsets: a moved quote is where its mark was, and a field's
// column plus the bytes Field drops is where the field's text starts in r.
//
// It reads nothing from r until its first Read, and buffers r.
func Rows(r io.Reader, comma, comment rune) io.Reader {
	s := &rows{r: r, comma: comma, comment: comment}
	s.multi = comma >= utf8.RuneSelf || comment >= utf8.RuneSelf
	if comment != 0 {
		s.commentBytes = utf8.AppendRune(nil, comment)
	}
	for _, c := range []byte{'\n', '"'} {
		s.special[c] = true
	}
	if comma < utf8.RuneSelf {
		s.special[comma] = true
	}
	return s
}

// The states of a row's lexer, after the bytes read so far.
const (
	atRow        uint8 = iota // a row starts at the next byte
	atField                   // a field starts at the next byte
	inBare                    // in an unquoted field
	inQuoted                  // in a quoted field
	afterQuote                // a quote in a quoted field: its end, or the first of a doubled one
	afterQuoteCR              // a quoted field's end and a carriage return: a line end if \n follows
	toLineEnd                 // a comment, or a row encoding/csv refuses: the rest of the line is dropped
)

// rows is the reader Rows returns: a buffer of r, the lexer's state, and the bytes a
// moved mark holds back.
type rows struct {
	r              io.Reader
	br             *bufio.Reader
	comma, comment rune
	commentBytes   []byte
	multi          bool      // comma or comment is not ASCII: runes are decoded where they decide
	special        [256]bool // the bytes that end an unquoted field's run of plain bytes
	state          uint8
	rune           [utf8.UTFMax]byte // a rune being read where it decides the state
	runeLen        int
	midLine        bool                  // the lexer is past a line's start: line cannot take the rest
	held           [utf8.UTFMax + 3]byte // a moved quote or comment character and the mark
	out            []byte                // held bytes not yet returned: a moved quote or comment, then the mark
}

func (s *rows) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if s.br == nil {
		s.br = bufio.NewReaderSize(s.r, 16<<10)
		if b, _ := s.br.Peek(len(mark)); bytes.Equal(b, mark) {
			_, _ = s.br.Discard(len(mark))
		}
	}
	n := 0
	for n < len(p) {
		if len(s.out) > 0 {
			k := copy(p[n:], s.out)
			s.out, n = s.out[k:], n+k
			continue
		}
		if s.state == atRow && s.runeLen == 0 {
			// Deciding needs the bytes after the mark: a stream that has sent some but
			// not all of them is waited for only when nothing else can be returned.
			if n > 0 && s.br.Buffered() < len(mark)+max(1, len(s.commentBytes)) {
				return n, nil
			}
			if s.move() {
				continue
			}
		}
		if s.br.Buffered() == 0 {
			if n > 0 {
				return n, nil
			}
			if _, err := s.br.Peek(1); err != nil {
				return n, err
			}
		}
		chunk, _ := s.br.Peek(min(s.br.Buffered(), len(p)-n))
		k := s.scan(chunk)
		copy(p[n:], chunk[:k])
		_, _ = s.br.Discard(k)
		n += k
	}
	return n, nil
}

// move moves a mark at the start of a row after the quote or comment character that
// follows it, and reports whether it did.
func (s *rows) move() bool {
	b, _ := s.br.Peek(len(mark) + max(1, len(s.commentBytes)))
	if len(b) <= len(mark) || !bytes.Equal(b[:len(mark)], mark) {
		return false
	}
	after := b[len(mark):]
	var lead []byte
	switch {
	case after[0] == '"':
		lead, s.state = after[:1], inQuoted
	case s.comment != 0 && bytes.HasPrefix(after, s.commentBytes):
		lead, s.state = s.commentBytes, toLineEnd
	default:
		return false
	}
	s.out = append(append(s.held[:0], lead...), mark...)
	s.midLine = true
	_, _ = s.br.Discard(len(mark) + len(lead))
	return true
}

// scan runs the lexer over chunk and returns how many of its bytes to pass on: all of
// them, or those up to a row's start where a mark may follow, for move to see.
func (s *rows) scan(chunk []byte) int {
	// Up to a mark after a line end, for move to see. A line end is in every row, so the
	// mark is looked for: bytes.Index of "\n\uFEFF" stopped at each one.
	for off := 0; ; {
		j := bytes.Index(chunk[off:], mark)
		if j < 0 {
			break
		}
		if off+j > 0 && chunk[off+j-1] == '\n' {
			chunk = chunk[:off+j]
			break
		}
		off += j + 1
	}
	if n, ok := s.skim(chunk); ok {
		return n
	}
	for i := 0; i < len(chunk); {
		if j := bytes.IndexByte(chunk[i:], '\n'); j >= 0 && !s.midLine && !s.multi {
			s.line(chunk[i : i+j])
			i += j + 1
		} else {
			i = s.stepLine(chunk, i)
			if s.midLine {
				return len(chunk)
			}
		}
		if s.state == atRow && (i == len(chunk) || chunk[i] == mark[0]) {
			return i
		}
	}
	return len(chunk)
}

// line runs the lexer over one whole line, without its line end, from its start in the
// state atRow or inQuoted, a quote at a time with bytes.IndexByte: stepping through
// every byte made scoring.ReadTransactions a quarter slower on a file with a quoted
// field a row. The separator and the comment character are ASCII. Between two quotes,
// every separator outside a quoted field ends a field, so a quote opens a field if the
// byte before it is the separator; any other quote outside a quoted field, and text
// after a closing one, make encoding/csv refuse the row and go on at the next line.
func (s *rows) line(l []byte) {
	comma := byte(s.comma)
	pos := 0
	quoted := s.state == inQuoted
	if !quoted && len(l) > 0 && s.comment != 0 && l[0] == byte(s.comment) {
		s.state = atRow
		return
	}
	for {
		if quoted {
			k := bytes.IndexByte(l[pos:], '"')
			if k < 0 {
				s.state = inQuoted // a line end inside a quoted field
				return
			}
			next := pos + k + 1
			switch {
			case next < len(l) && l[next] == '"':
				pos = next + 1 // a doubled quote
				continue
			case next < len(l) && l[next] == comma:
				pos, quoted = next+1, false
				continue
			}
			s.state = atRow // the row's end, or text after the quote: the row is refused
			return
		}
		if pos < len(l) && l[pos] == '"' {
			pos, quoted = pos+1, true
			continue
		}
		k := bytes.IndexByte(l[pos:], '"')
		if k < 0 || l[pos+k-1] != comma { // k > 0: l[pos] is no quote
			s.state = atRow // no quoted field ahead, or a bare quote
			return
		}
		pos, quoted = pos+k+1, true
	}
}

// stepLine runs the lexer over chunk from i to the end of the line, or of the chunk,
// returning where it stopped; midLine says which. It steps through a line begun in
// another chunk, and through every line when a separator or a comment character is not
// ASCII. The runs inside a field are skipped over, with their one transition made here.
func (s *rows) stepLine(chunk []byte, i int) int {
	s.midLine = true
	for ; i < len(chunk); i++ {
		switch s.state {
		case inQuoted:
			// Only a quote ends a quoted field: skip to it.
			j := bytes.IndexByte(chunk[i:], '"')
			if j < 0 {
				return len(chunk)
			}
			i += j
			s.state = afterQuote
			continue
		case toLineEnd:
			j := bytes.IndexByte(chunk[i:], '\n')
			if j < 0 {
				return len(chunk)
			}
			i += j
			s.state = atRow
		case inBare:
			if s.multi {
				s.feed(chunk[i])
				break
			}
			for i < len(chunk) && !s.special[chunk[i]] {
				i++
			}
			if i == len(chunk) {
				return len(chunk)
			}
			switch chunk[i] {
			case '\n':
				s.state = atRow
			case '"':
				s.state = toLineEnd // a bare quote: the row is refused
			default:
				s.state = atField
			}
		default:
			s.feed(chunk[i])
		}
		if chunk[i] == '\n' {
			s.midLine = false
			return i + 1
		}
	}
	return len(chunk)
}

// skim runs the lexer over a chunk without quotes outside a quoted field at the speed
// of bytes.IndexByte, and reports how many bytes it passed over, and whether it could:
// there every line end ends a row, and the state after it follows from the chunk's last
// line alone. Most files quote few fields or none, and a lexer stepping through every
// byte made scoring.ReadTransactions a quarter slower. A last line that may be the
// start of a mark is left for move.
func (s *rows) skim(chunk []byte) (int, bool) {
	if s.multi || s.runeLen > 0 || s.state == inQuoted || s.state == afterQuote || s.state == afterQuoteCR ||
		bytes.IndexByte(chunk, '"') >= 0 {
		return 0, false
	}
	tail := chunk
	if last := bytes.LastIndexByte(chunk, '\n'); last >= 0 {
		s.state, tail = atRow, chunk[last+1:]
		s.midLine = false
		if len(tail) < len(mark) && bytes.HasPrefix(mark, tail) {
			return last + 1, true
		}
	}
	if len(tail) > 0 {
		s.midLine = true
	}
	switch {
	case len(tail) == 0 || s.state == toLineEnd:
	case s.state == atRow && s.comment != 0 && rune(tail[0]) == s.comment:
		s.state = toLineEnd
	case rune(tail[len(tail)-1]) == s.comma:
		s.state = atField
	default:
		s.state = inBare
	}
	return len(chunk), true
}

// feed runs the lexer over one byte, gathering a rune that is not ASCII when the
// separator or the comment character is not.
func (s *rows) feed(c byte) {
	if !s.multi || (s.runeLen == 0 && c < utf8.RuneSelf) || s.state == inQuoted || s.state == toLineEnd {
		s.step(rune(c))
		return
	}
	s.rune[s.runeLen] = c
	s.runeLen++
	if !utf8.FullRune(s.rune[:s.runeLen]) {
		return
	}
	b := s.rune[:s.runeLen]
	s.runeLen = 0
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		s.step(r)
		b = b[size:]
	}
}

// step moves the lexer past one rune, as encoding/csv reads it.
func (s *rows) step(r rune) {
	switch s.state {
	case atRow:
		switch {
		case r == '\n': // an empty line
		case s.comment != 0 && r == s.comment:
			s.state = toLineEnd
		default:
			s.fieldStart(r)
		}
	case atField:
		s.fieldStart(r)
	case inBare:
		switch r {
		case s.comma:
			s.state = atField
		case '\n':
			s.state = atRow
		case '"':
			s.state = toLineEnd // a bare quote: the row is refused
		}
	case inQuoted:
		if r == '"' {
			s.state = afterQuote
		}
	case afterQuote:
		switch r {
		case '"':
			s.state = inQuoted
		case s.comma:
			s.state = atField
		case '\n':
			s.state = atRow
		case '\r':
			s.state = afterQuoteCR
		default:
			s.state = toLineEnd // text after a closing quote: the row is refused
		}
	case afterQuoteCR:
		s.state = toLineEnd
		if r == '\n' {
			s.state = atRow
		}
	case toLineEnd:
		if r == '\n' {
			s.state = atRow
		}
	}
}

func (s *rows) fieldStart(r rune) {
	switch r {
	case '"':
		s.state = inQuoted
	case s.comma:
		s.state = atField
	case '\n':
		s.state = atRow
	default:
		s.state = inBare
	}
}
