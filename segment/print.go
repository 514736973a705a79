package segment

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// where a node is printed, which decides whether it needs parentheses.
type printCtx uint8

const (
	inTop printCtx = iota
	inOr
	inAnd
	inNot
)

// format prints n in canonical form; Parse(format(n)) yields n again.
func format(n node) string {
	var b strings.Builder
	writeNode(&b, n, inTop)
	return b.String()
}

func writeNode(b *strings.Builder, n node, ctx printCtx) {
	switch n := n.(type) {
	case *orNode:
		// OR binds loosest: parenthesise it everywhere but at the top. A nested OR
		// inside an OR keeps its parentheses so that the tree survives a round trip.
		writeList(b, n.kids, " OR ", inOr, ctx != inTop)
	case *andNode:
		writeList(b, n.kids, " AND ", inAnd, ctx == inAnd || ctx == inNot)
	case *notNode:
		b.WriteString("NOT ")
		writeNode(b, n.kid, inNot)
	case *traitNode:
		writeName(b, n.key, n.key == "segment")
		b.WriteByte(':')
		writeName(b, n.value, false)
	case *segNode:
		b.WriteString("segment:")
		writeName(b, n.name, false)
	case *inNode:
		writeName(b, n.field, false)
		b.WriteString(" IN (")
		for i, v := range n.values {
			if i > 0 {
				b.WriteString(", ")
			}
			writeName(b, v, false)
		}
		b.WriteByte(')')
	case *cmpNode:
		writeName(b, n.field, false)
		writeComparison(b, n.op, n.n, n.n2)
	case *actNode:
		b.WriteString(fnName[n.fn])
		b.WriteByte('(')
		writeName(b, n.event, false)
		if n.days > 0 {
			b.WriteString(", ")
			b.WriteString(strconv.Itoa(n.days))
			b.WriteByte('d')
		}
		b.WriteByte(')')
		if n.fn == fnCount || n.fn == fnDays {
			writeComparison(b, n.op, n.n, n.n2)
		}
	}
}

func writeList(b *strings.Builder, kids []node, sep string, ctx printCtx, paren bool) {
	if paren {
		b.WriteByte('(')
	}
	for i, k := range kids {
		if i > 0 {
			b.WriteString(sep)
		}
		writeNode(b, k, ctx)
	}
	if paren {
		b.WriteByte(')')
	}
}

func writeComparison(b *strings.Builder, op cmpOp, n, n2 int64) {
	b.WriteByte(' ')
	b.WriteString(opText[op])
	b.WriteByte(' ')
	b.WriteString(strconv.FormatInt(n, 10))
	if op == opBetween {
		b.WriteString(" AND ")
		b.WriteString(strconv.FormatInt(n2, 10))
	}
}

// writeName writes s bare when the lexer would read it back as the same word, and
// quoted otherwise (empty, keywords, characters outside words, or a trait key spelled
// "segment", which bare would mean a segment reference).
func writeName(b *strings.Builder, s string, forceQuote bool) {
	if forceQuote || !isBareWord(s) {
		b.WriteString(strconv.Quote(s))
		return
	}
	b.WriteString(s)
}

func isBareWord(s string) bool {
	if s == "" || !utf8.ValidString(s) || isKeyword(s) {
		return false
	}
	for _, r := range s {
		if !isWordRune(r) {
			return false
		}
	}
	return true
}
