package segment

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

type tokKind uint8

const (
	tEOF tokKind = iota
	tWord
	tString
	tLParen
	tRParen
	tComma
	tColon
	tOp
)

type token struct {
	kind tokKind
	text string // a word's text, a string's unquoted value
	op   cmpOp  // for tOp
	at   Pos
}

// describe says what a token is, for error messages.
func (t token) describe() string {
	switch t.kind {
	case tEOF:
		return "end of input"
	case tWord:
		return strconv.Quote(t.text)
	case tString:
		return "string " + strconv.Quote(t.text)
	case tOp:
		return strconv.Quote(opText[t.op])
	default:
		return strconv.Quote(punctText[t.kind])
	}
}

var (
	punct     = map[rune]tokKind{'(': tLParen, ')': tRParen, ',': tComma, ':': tColon}
	punctText = map[tokKind]string{tLParen: "(", tRParen: ")", tComma: ",", tColon: ":"}
)

// isWordRune reports whether r may appear in an unquoted word: letters, digits and
// _ . - / @ +, enough for identifiers, numbers, windows, e-mails and paths.
func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("_.-/@+", r)
}

// lexer splits an expression into tokens, tracking line and column.
type lexer struct {
	src  string
	off  int
	line int
	col  int // of src[off], 1-based, in runes
}

func (l *lexer) pos() Pos { return Pos{Offset: l.off, Line: l.line, Column: l.col} }

func (l *lexer) advance(r rune, size int) {
	l.off += size
	if r == '\n' {
		l.line++
		l.col = 1
	} else {
		l.col++
	}
}

// next returns the next token, or an *ExprError wrapping ErrSyntax.
func (l *lexer) next() (token, error) {
	for l.off < len(l.src) {
		r, size := utf8.DecodeRuneInString(l.src[l.off:])
		if !unicode.IsSpace(r) {
			break
		}
		l.advance(r, size)
	}
	at := l.pos()
	if l.off >= len(l.src) {
		return token{kind: tEOF, at: at}, nil
	}
	r, size := utf8.DecodeRuneInString(l.src[l.off:])
	if r == utf8.RuneError && size == 1 {
		return token{}, exprErr(at, ErrSyntax, "invalid UTF-8 byte 0x%02x", l.src[l.off])
	}
	if k, ok := punct[r]; ok {
		l.advance(r, size)
		return token{kind: k, at: at}, nil
	}
	switch r {
	case '=', '!', '<', '>':
		two := l.off+1 < len(l.src) && l.src[l.off+1] == '='
		var op cmpOp
		switch {
		case r == '=':
			op, two = opEQ, false
		case r == '!' && two:
			op = opNE
		case r == '!':
			return token{}, exprErr(at, ErrSyntax, `unexpected "!" (did you mean "!=" or NOT?)`)
		case r == '<' && two:
			op = opLE
		case r == '<':
			op = opLT
		case two:
			op = opGE
		default:
			op = opGT
		}
		l.advance(r, 1)
		if two {
			l.advance('=', 1)
		}
		return token{kind: tOp, op: op, at: at}, nil
	case '"':
		return l.quoted(at)
	case '&':
		return token{}, exprErr(at, ErrSyntax, `unexpected "&" (did you mean AND?)`)
	case '|':
		return token{}, exprErr(at, ErrSyntax, `unexpected "|" (did you mean OR?)`)
	}
	if !isWordRune(r) {
		return token{}, exprErr(at, ErrSyntax, "unexpected character %q", r)
	}
	start := l.off
	for l.off < len(l.src) {
		r, size := utf8.DecodeRuneInString(l.src[l.off:])
		if !isWordRune(r) {
			break
		}
		l.advance(r, size)
	}
	return token{kind: tWord, text: l.src[start:l.off], at: at}, nil
}

// quoted scans a double-quoted string with Go's escapes.
func (l *lexer) quoted(at Pos) (token, error) {
	start := l.off
	l.advance('"', 1)
	for l.off < len(l.src) {
		r, size := utf8.DecodeRuneInString(l.src[l.off:])
		switch {
		case r == utf8.RuneError && size == 1:
			return token{}, exprErr(l.pos(), ErrSyntax, "invalid UTF-8 byte 0x%02x in string", l.src[l.off])
		case r == '\n':
			return token{}, exprErr(at, ErrSyntax, "string not terminated before end of line")
		case r == '\\':
			l.advance(r, size)
			if l.off < len(l.src) {
				r, size = utf8.DecodeRuneInString(l.src[l.off:])
				if r == '\n' {
					return token{}, exprErr(at, ErrSyntax, "string not terminated before end of line")
				}
				l.advance(r, size)
			}
			continue
		case r == '"':
			l.advance(r, size)
			s, err := strconv.Unquote(l.src[start:l.off])
			if err != nil {
				return token{}, exprErr(at, ErrSyntax, "bad string literal %s", l.src[start:l.off])
			}
			if !utf8.ValidString(s) {
				return token{}, exprErr(at, ErrSyntax, "string literal %s is not valid UTF-8", l.src[start:l.off])
			}
			return token{kind: tString, text: s, at: at}, nil
		}
		l.advance(r, size)
	}
	return token{}, exprErr(at, ErrSyntax, "string not terminated")
}
