package segment

// A Query is a parsed segment expression. Build one with [Parse]; its String method
// prints it back in canonical form, and Parse(q.String()) yields the same query. A Query
// is immutable and safe for concurrent use.
type Query struct {
	root node
}

// String returns the query in canonical form: keywords in upper case, one space around
// operators, parentheses only where precedence needs them, names quoted only when they
// must be, windows in days.
func (q *Query) String() string {
	if q == nil || q.root == nil {
		return ""
	}
	return format(q.root)
}

// eachOperand calls f with each operand of n: the kids of AND and OR, the one of NOT,
// none of a predicate or a segment reference. The walks over a query share it.
func eachOperand(n node, f func(node)) {
	switch n := n.(type) {
	case *andNode:
		for _, k := range n.kids {
			f(k)
		}
	case *orNode:
		for _, k := range n.kids {
			f(k)
		}
	case *notNode:
		f(n.kid)
	}
}

// MarshalText implements encoding.TextMarshaler with the canonical form.
func (q *Query) MarshalText() ([]byte, error) { return []byte(q.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler by parsing text.
func (q *Query) UnmarshalText(text []byte) error {
	p, err := Parse(string(text))
	if err != nil {
		return err
	}
	*q = *p
	return nil
}

// Pos is a position in an expression: 1-based line and column (counted in runes) and
// the 0-based byte offset.
type Pos struct {
	Offset, Line, Column int
}

// node is an element of the syntax tree. Positions locate errors found after parsing
// (an unknown field) in the source text; they take no part in a node's meaning.
type node interface {
	position() Pos
}

type cmpOp uint8

const (
	opEQ cmpOp = iota + 1
	opNE
	opLT
	opLE
	opGT
	opGE
	opBetween
)

var opText = [...]string{opEQ: "=", opNE: "!=", opLT: "<", opLE: "<=", opGT: ">", opGE: ">=", opBetween: "BETWEEN"}

// holds reports whether v op n (or, for BETWEEN, n <= v <= n2).
func (op cmpOp) holds(v, n, n2 int64) bool {
	switch op {
	case opEQ:
		return v == n
	case opNE:
		return v != n
	case opLT:
		return v < n
	case opLE:
		return v <= n
	case opGT:
		return v > n
	case opGE:
		return v >= n
	default:
		return n <= v && v <= n2
	}
}

// fnKind names a behavioural function.
type fnKind uint8

const (
	fnDid    fnKind = iota + 1 // did(e[, window]): at least once in the window (ever without one)
	fnFirst                    // first(e, window): first time ever within the window
	fnLapsed                   // lapsed(e, window): did e before the window, not within it
	fnCount                    // count(e, window) op n: number of events in the window
	fnDays                     // days(e, window) op n: number of distinct days active in the window
)

var fnName = [...]string{fnDid: "did", fnFirst: "first", fnLapsed: "lapsed", fnCount: "count", fnDays: "days"}

type (
	andNode struct {
		at   Pos
		kids []node // two or more
	}
	orNode struct {
		at   Pos
		kids []node // two or more
	}
	notNode struct {
		at  Pos
		kid node
	}
	// traitNode is key:value, one bitmap of the index.
	traitNode struct {
		at         Pos
		key, value string
	}
	// segNode is segment:name, a reference to a saved segment.
	segNode struct {
		at   Pos
		name string
	}
	// inNode is field IN (v1, v2, ...): a trait key or a numeric field, told apart when
	// the query is checked against an index.
	inNode struct {
		at     Pos
		field  string
		values []string
		valAt  []Pos
	}
	// cmpNode is a numeric comparison field op n, or field BETWEEN n AND n2.
	cmpNode struct {
		at    Pos
		field string
		op    cmpOp
		n, n2 int64
	}
	// actNode is a behavioural function. days is the window length in days (0: no
	// window, did only); op, n and n2 are set for count and days.
	actNode struct {
		at      Pos
		fn      fnKind
		event   string
		eventAt Pos // of the event's name, where an unknown event is reported
		days    int
		op      cmpOp
		n, n2   int64
	}
)

func (n *andNode) position() Pos   { return n.at }
func (n *orNode) position() Pos    { return n.at }
func (n *notNode) position() Pos   { return n.at }
func (n *traitNode) position() Pos { return n.at }
func (n *segNode) position() Pos   { return n.at }
func (n *inNode) position() Pos    { return n.at }
func (n *cmpNode) position() Pos   { return n.at }
func (n *actNode) position() Pos   { return n.at }
