package segment

import (
	"time"

	"github.com/clientele-go/clientele"

	"strconv"
	"strings"
)

// Limits of the query language.
const (
	// MaxDepth bounds how deeply an expression nests (parentheses and NOT). With the
	// saved segments it references expanded, a query may nest 4×MaxDepth levels.
	MaxDepth = 64
	// MaxExprLen bounds the length of an expression in bytes.
	MaxExprLen = 64 << 10
	// MaxWindow bounds a behavioural window in days (about a century).
	MaxWindow = 36600
)

var keywords = []string{"AND", "OR", "NOT", "IN", "BETWEEN"}

func isKeyword(s string) bool {
	for _, k := range keywords {
		if strings.EqualFold(s, k) {
			return true
		}
	}
	return false
}

func fnOf(word string) fnKind {
	for k, name := range fnName {
		if name != "" && strings.EqualFold(word, name) {
			return fnKind(k)
		}
	}
	return 0
}

// Parse parses a segment expression (the grammar is in the package documentation).
// Errors are *ExprError values wrapping ErrSyntax or ErrTooDeep, with the line and
// column where the input went wrong. Parse checks only the syntax, which includes that
// no key, field, event or segment name is empty (the index keeps nothing under one); an
// Index checks names and types when it evaluates or saves the query.
func Parse(expr string) (*Query, error) {
	if len(expr) > MaxExprLen {
		return nil, exprErr(Pos{Offset: MaxExprLen, Line: 1, Column: 1}, ErrSyntax, "expression of %d bytes is longer than the limit of %d", len(expr), MaxExprLen)
	}
	p := &parser{lex: lexer{src: expr, line: 1, col: 1}}
	if err := p.advance(); err != nil {
		return nil, err
	}
	if p.tok.kind == tEOF {
		return nil, exprErr(p.tok.at, ErrSyntax, "empty expression")
	}
	root, err := p.expr()
	if err != nil {
		return nil, err
	}
	if p.tok.kind != tEOF {
		return nil, p.unexpected("AND, OR or end of input")
	}
	return &Query{root: root}, nil
}

type parser struct {
	lex   lexer
	tok   token
	depth int
}

func (p *parser) advance() error {
	t, err := p.lex.next()
	if err != nil {
		return err
	}
	p.tok = t
	return nil
}

func (p *parser) unexpected(want string) error {
	return exprErr(p.tok.at, ErrSyntax, "expected %s, found %s", want, p.tok.describe())
}

// isKW reports whether the current token is the keyword kw.
func (p *parser) isKW(kw string) bool {
	return p.tok.kind == tWord && strings.EqualFold(p.tok.text, kw)
}

func (p *parser) expect(k tokKind, want string) error {
	if p.tok.kind != k {
		return p.unexpected(want)
	}
	return p.advance()
}

// expr = term { "OR" term } .
func (p *parser) expr() (node, error) {
	return p.chain("OR", p.term, func(at Pos, kids []node) node { return &orNode{at: at, kids: kids} })
}

// term = factor { "AND" factor } .
func (p *parser) term() (node, error) {
	return p.chain("AND", p.factor, func(at Pos, kids []node) node { return &andNode{at: at, kids: kids} })
}

// chain parses operand { kw operand }, building a node of two or more operands with
// build, or returning a single operand as it is.
func (p *parser) chain(kw string, operand func() (node, error), build func(Pos, []node) node) (node, error) {
	first, err := operand()
	if err != nil {
		return nil, err
	}
	if !p.isKW(kw) {
		return first, nil
	}
	kids := []node{first}
	for p.isKW(kw) {
		if err := p.advance(); err != nil {
			return nil, err
		}
		n, err := operand()
		if err != nil {
			return nil, err
		}
		kids = append(kids, n)
	}
	return build(first.position(), kids), nil
}

// factor = "NOT" factor | "(" expr ")" | predicate .
func (p *parser) factor() (node, error) {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > MaxDepth {
		return nil, exprErr(p.tok.at, ErrTooDeep, "expression nests deeper than %d levels", MaxDepth)
	}
	at := p.tok.at
	switch {
	case p.isKW("NOT"):
		if err := p.advance(); err != nil {
			return nil, err
		}
		kid, err := p.factor()
		if err != nil {
			return nil, err
		}
		return &notNode{at: at, kid: kid}, nil
	case p.tok.kind == tLParen:
		if err := p.advance(); err != nil {
			return nil, err
		}
		n, err := p.expr()
		if err != nil {
			return nil, err
		}
		if err := p.expect(tRParen, `")"`); err != nil {
			return nil, err
		}
		return n, nil
	case p.tok.kind == tWord && !isKeyword(p.tok.text), p.tok.kind == tString:
		return p.predicate()
	default:
		return nil, p.unexpected("a condition")
	}
}

// traitKey refuses the empty key of a trait condition (`"":x`, `"" IN (x)`): Index.Tag,
// which has no error to return, keeps nothing under it (Tag(":x") and Tag("") change
// nothing), so the condition could only ever select no one, silently; a query naming
// it is a mistake of its author, reported here with its place. fieldName, eventName and
// the segment reference refuse the other empty names alike.
func traitKey(head token, what string) error {
	if head.text == "" {
		return exprErr(head.at, ErrSyntax, "empty name before %s (Tag keeps nothing under an empty key)", what)
	}
	return nil
}

// fieldName refuses the empty field of a comparison (`"" > 3`, `"" BETWEEN 1 AND 2`):
// SetNumber keeps nothing under it, and SetNumbers refuses it.
func fieldName(head token, what string) error {
	if head.text == "" {
		return exprErr(head.at, ErrSyntax, "empty name before %s (SetNumber keeps nothing under an empty field)", what)
	}
	return nil
}

// eventName refuses the empty event of a behavioural function (did(""), count("", 7d)
// > 1): Record keeps nothing under it, and RecordBatch refuses it.
func eventName(fn fnKind, name string, at Pos) error {
	if name == "" {
		return exprErr(at, ErrSyntax, "empty event name in %s (Record keeps nothing under an empty event)", fnName[fn])
	}
	return nil
}

// predicate parses the conditions that start with a name.
func (p *parser) predicate() (node, error) {
	head := p.tok
	if err := p.advance(); err != nil {
		return nil, err
	}
	if fn := fnOf(head.text); head.kind == tWord && fn != 0 && p.tok.kind == tLParen {
		return p.function(head, fn)
	}
	switch {
	case p.tok.kind == tColon:
		if err := p.advance(); err != nil {
			return nil, err
		}
		value, valueAt, err := p.name("a value after \":\"")
		if err != nil {
			return nil, err
		}
		if head.kind == tWord && head.text == "segment" {
			if value == "" {
				return nil, exprErr(valueAt, ErrSyntax, "empty segment name after \"segment:\" (Save refuses an empty name)")
			}
			return &segNode{at: head.at, name: value}, nil
		}
		if err := traitKey(head, `":"`); err != nil {
			return nil, err
		}
		return &traitNode{at: head.at, key: head.text, value: value}, nil
	case p.isKW("IN"):
		return p.in(head)
	case p.isKW("NOT"):
		at := p.tok.at
		if err := p.advance(); err != nil {
			return nil, err
		}
		if !p.isKW("IN") {
			return nil, p.unexpected(`IN after "NOT"`)
		}
		in, err := p.in(head)
		if err != nil {
			return nil, err
		}
		return &notNode{at: at, kid: in}, nil
	case p.tok.kind == tOp, p.isKW("BETWEEN"):
		if err := fieldName(head, p.tok.describe()); err != nil {
			return nil, err
		}
		eq := p.tok.kind == tOp && (p.tok.op == opEQ || p.tok.op == opNE)
		op, n, n2, err := p.comparison()
		if err != nil {
			if t := p.tok; eq && (t.kind == tString || t.kind == tWord && !isInteger(t.text)) {
				// plan = pro: the SQL habit for a trait value.
				return nil, exprErr(t.at, ErrSyntax, "expected an integer, found %s (a trait value is written %s:%s)",
					t.describe(), quoteName(head.text), quoteName(t.text))
			}
			return nil, err
		}
		return &cmpNode{at: head.at, field: head.text, op: op, n: n, n2: n2}, nil
	default:
		return nil, p.unexpected(`":", IN, BETWEEN or a comparison after ` + strconv.Quote(head.text))
	}
}

// name accepts a word or a string as a name or value.
func (p *parser) name(want string) (string, Pos, error) {
	t := p.tok
	if t.kind != tWord && t.kind != tString {
		return "", t.at, p.unexpected(want)
	}
	return t.text, t.at, p.advance()
}

// in parses IN "(" value { "," value } ")"; the current token is IN.
func (p *parser) in(head token) (node, error) {
	if err := traitKey(head, "IN"); err != nil {
		return nil, err
	}
	if err := p.advance(); err != nil {
		return nil, err
	}
	if err := p.expect(tLParen, `"(" after IN`); err != nil {
		return nil, err
	}
	n := &inNode{at: head.at, field: head.text}
	for {
		v, at, err := p.name("a value in the IN list")
		if err != nil {
			return nil, err
		}
		n.values = append(n.values, v)
		n.valAt = append(n.valAt, at)
		if p.tok.kind == tRParen {
			return n, p.advance()
		}
		if err := p.expect(tComma, `"," or ")" in the IN list`); err != nil {
			return nil, err
		}
	}
}

// comparison = cmp integer | "BETWEEN" integer "AND" integer .
func (p *parser) comparison() (cmpOp, int64, int64, error) {
	if p.tok.kind == tOp {
		op := p.tok.op
		if err := p.advance(); err != nil {
			return 0, 0, 0, err
		}
		n, err := p.integer()
		return op, n, 0, err
	}
	if !p.isKW("BETWEEN") {
		return 0, 0, 0, p.unexpected("a comparison (=, !=, <, <=, >, >=) or BETWEEN")
	}
	if err := p.advance(); err != nil {
		return 0, 0, 0, err
	}
	lo, err := p.integer()
	if err != nil {
		return 0, 0, 0, err
	}
	if !p.isKW("AND") {
		return 0, 0, 0, p.unexpected("AND in BETWEEN ... AND ...")
	}
	if err := p.advance(); err != nil {
		return 0, 0, 0, err
	}
	hi, err := p.integer()
	return opBetween, lo, hi, err
}

// integer = [ "-" ] digit { digit } .
func (p *parser) integer() (int64, error) {
	t := p.tok
	if t.kind != tWord || !isInteger(t.text) {
		if _, err := strconv.ParseFloat(t.text, 64); t.kind == tWord && err == nil && strings.IndexByte("-.0123456789", t.text[0]) >= 0 {
			return 0, exprErr(t.at, ErrSyntax, "expected an integer, found %s (numbers are whole: keep amounts in cents)", t.describe())
		}
		return 0, p.unexpected("an integer")
	}
	n, err := strconv.ParseInt(t.text, 10, 64)
	if err != nil {
		return 0, exprErr(t.at, ErrSyntax, "integer %s is out of the int64 range", t.text)
	}
	return n, p.advance()
}

func isInteger(s string) bool {
	s = strings.TrimPrefix(s, "-")
	if s == "" {
		return false
	}
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// function parses a behavioural function; the current token is "(".
func (p *parser) function(head token, fn fnKind) (node, error) {
	if err := p.advance(); err != nil {
		return nil, err
	}
	event, eventAt, err := p.name("an event name")
	if err != nil {
		return nil, err
	}
	if err := eventName(fn, event, eventAt); err != nil {
		return nil, err
	}
	n := &actNode{at: head.at, fn: fn, event: event, eventAt: eventAt}
	if p.tok.kind == tComma {
		if err := p.advance(); err != nil {
			return nil, err
		}
		if n.days, err = p.window(); err != nil {
			return nil, err
		}
	} else if fn != fnDid {
		return nil, p.unexpected(`"," and a window such as 30d: ` + fnName[fn] + " needs one")
	}
	if err := p.expect(tRParen, `")"`); err != nil {
		return nil, err
	}
	if fn == fnCount || fn == fnDays {
		if n.op, n.n, n.n2, err = p.comparison(); err != nil {
			return nil, err
		}
	}
	return n, nil
}

// window = duration . (clientele.ParseDuration's syntax, a whole number of days)
func (p *parser) window() (int, error) {
	t := p.tok
	bad := func() (int, error) {
		return 0, exprErr(t.at, ErrSyntax, "bad window %s: want whole days or weeks from 1d to %dd, such as 30d or 4w", t.describe(), MaxWindow)
	}
	if t.kind != tWord {
		return bad()
	}
	d, err := clientele.ParseDuration(t.text)
	if err != nil || d%(24*time.Hour) != 0 || d < 24*time.Hour || d > MaxWindow*24*time.Hour {
		return bad()
	}
	return int(d / (24 * time.Hour)), p.advance()
}

// Must is Parse for expressions known to be valid, such as constants in a program: it
// panics if expr does not parse, like regexp.MustCompile.
func Must(expr string) *Query {
	q, err := Parse(expr)
	if err != nil {
		panic(err)
	}
	return q
}
