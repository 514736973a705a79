package segment

import (
	"strconv"
	"strings"

	"github.com/clientele-go/clientele/internal/english"
	"github.com/clientele-go/clientele/internal/textdist"
)

// checker resolves a query's names against the index before anything is evaluated, so
// that a bad query fails whole, with the position of the first problem, and an
// evaluation that starts cannot fail half-way.
type checker struct {
	x       *Index
	today   int32
	haveNow bool           // check windows against the retention horizon at today
	stack   []string       // saved segments being expanded, outermost first
	height  map[string]int // saved segments already checked in this pass, by height
}

func (x *Index) newChecker(today int32, haveNow bool) *checker {
	return &checker{x: x, today: today, haveNow: haveNow, height: map[string]int{}}
}

// in returns the innermost saved segment being checked, for error messages.
func (c *checker) in() string {
	if len(c.stack) == 0 {
		return ""
	}
	return c.stack[len(c.stack)-1]
}

func (c *checker) fail(at Pos, err error, format string, args ...any) error {
	e := exprErr(at, err, format, args...)
	e.Segment = c.in()
	return e
}

// maxExpandedDepth bounds nesting with saved segments expanded.
const maxExpandedDepth = 4 * MaxDepth

// check checks n, found at the given depth, and returns its height: the number of
// levels below it with saved segments expanded.
func (c *checker) check(n node, depth int) (int, error) {
	if depth > maxExpandedDepth {
		return 0, c.fail(n.position(), ErrTooDeep, "expression with its saved segments expanded nests deeper than %d levels", maxExpandedDepth)
	}
	x := c.x
	switch n := n.(type) {
	case *andNode:
		return c.checkAll(n.kids, depth)
	case *orNode:
		return c.checkAll(n.kids, depth)
	case *notNode:
		h, err := c.check(n.kid, depth+1)
		return h + 1, err
	case *traitNode:
		if _, ok := x.traits[n.key]; ok {
			return 0, nil
		}
		if _, ok := x.numbers[n.key]; ok {
			return 0, c.fail(n.at, ErrType, "%q is a numeric field, not a trait; compare it, as in %s >= 100", n.key, quoteName(n.key))
		}
		return 0, c.fail(n.at, ErrUnknownField, "unknown trait key %q%s", n.key, suggest(nearest(n.key, x.traits), nearest(n.key, x.numbers)))
	case *segNode:
		return c.segment(n, depth)
	case *inNode:
		if _, ok := x.numbers[n.field]; ok {
			for i, v := range n.values {
				if !isInteger(v) {
					return 0, c.fail(n.valAt[i], ErrType, "%q is not an integer, and %q is a numeric field", v, n.field)
				}
				if _, err := strconv.ParseInt(v, 10, 64); err != nil {
					return 0, c.fail(n.valAt[i], ErrType, "%s is out of the int64 range of numeric field %q", v, n.field)
				}
			}
			return 0, nil
		}
		if _, ok := x.traits[n.field]; ok {
			return 0, nil
		}
		return 0, c.fail(n.at, ErrUnknownField, "unknown field %q (neither a trait key nor a numeric field)%s", n.field, suggest(nearest(n.field, x.traits), nearest(n.field, x.numbers)))
	case *cmpNode:
		if _, ok := x.numbers[n.field]; ok {
			return 0, nil
		}
		if _, ok := x.traits[n.field]; ok {
			return 0, c.fail(n.at, ErrType, "%q is a trait key, not a numeric field; use %s:value or IN", n.field, quoteName(n.field))
		}
		return 0, c.fail(n.at, ErrUnknownField, "unknown numeric field %q%s", n.field, suggest(nearest(n.field, x.numbers), nearest(n.field, x.traits)))
	case *actNode:
		return 0, c.window(n)
	}
	return 0, nil
}

func (c *checker) window(n *actNode) error {
	x := c.x
	if _, ok := x.events[n.event]; !ok {
		return c.fail(n.eventAt, ErrUnknownField, "unknown event %q%s", n.event, suggest(nearest(n.event, x.events)))
	}
	if n.days == 0 {
		return nil
	}
	if x.retention > 0 && n.days > x.retention {
		return c.fail(n.at, ErrRetention, "window of %s is longer than the retention of %s", english.Count(n.days, "day"), english.Count(x.retention, "day"))
	}
	if c.haveNow && int64(c.today)-int64(n.days)+1 < int64(x.horizon) {
		return c.fail(n.at, ErrRetention, "window of %s ending %s starts before the first retained day %s",
			english.Count(n.days, "day"), dayTime(c.today, x.loc).Format("2006-01-02"), dayTime(x.horizon, x.loc).Format("2006-01-02"))
	}
	return nil
}

func (c *checker) checkAll(kids []node, depth int) (int, error) {
	h := 0
	for _, k := range kids {
		kh, err := c.check(k, depth+1)
		if err != nil {
			return 0, err
		}
		h = max(h, kh)
	}
	return h + 1, nil
}

// segment checks a reference: the segment exists, and expanding it does not lead back
// to a segment being expanded (which only a Save can attempt, since saved segments are
// acyclic). Each saved segment is checked once per pass; its height is remembered.
func (c *checker) segment(n *segNode, depth int) (int, error) {
	for i, s := range c.stack {
		if s == n.name {
			path := append(append([]string(nil), c.stack[i:]...), n.name)
			return 0, c.fail(n.at, ErrCycle, "segment %q would reference itself: %s", n.name, strings.Join(path, " -> "))
		}
	}
	s, ok := c.x.saved[n.name]
	if !ok {
		return 0, c.fail(n.at, ErrUnknownSegment, "unknown segment %q%s", n.name, suggest(nearest(n.name, c.x.saved)))
	}
	if h, ok := c.height[n.name]; ok {
		if depth+1+h > maxExpandedDepth {
			return 0, c.fail(n.at, ErrTooDeep, "expression with its saved segments expanded nests deeper than %d levels", maxExpandedDepth)
		}
		return h + 1, nil
	}
	c.stack = append(c.stack, n.name)
	h, err := c.check(s.q.root, depth+1)
	c.stack = c.stack[:len(c.stack)-1]
	if err != nil {
		return 0, err
	}
	c.height[n.name] = h
	return h + 1, nil
}

// quoteName prints a name as the query language would.
func quoteName(s string) string {
	var b strings.Builder
	writeName(&b, s, false)
	return b.String()
}

// suggestLen bounds the names nearest compares (the distance is quadratic in length),
// and suggestNames the names it searches, so that a failing query costs at most a few
// milliseconds whatever the index holds: an index of more names suggests none.
const (
	suggestLen   = 64
	suggestNames = 10_000
)

// suggest returns ` (did you mean "x"?)` for the first non-empty name of near (each
// the nearest name of one kind, by nearest), or "" when all are empty.
func suggest(near ...string) string {
	for _, s := range near {
		if s != "" {
			return " (did you mean " + quoteName(s) + "?)"
		}
	}
	return ""
}

// nearest returns the key of known nearest to name, or "" when none is within two
// edits and under half of name's length. The edits are the OSA distance's (single
// insertions, deletions, substitutions and adjacent transpositions, which Damerau
// (1964) found behind 80% of misspellings). Ties go to the first key in byte order, so
// a message does not depend on map order.
func nearest[V any](name string, known map[string]V) string {
	const maxEdits = 2
	a := []rune(name)
	if len(a) > suggestLen || len(known) > suggestNames {
		return ""
	}
	near, best := "", maxEdits+1
	for k := range known {
		b := []rune(k)
		if len(b) > suggestLen || abs(len(a)-len(b)) > min(best, maxEdits) {
			continue
		}
		d := textdist.OSA(a, b)
		if d == 0 || d > maxEdits || 2*d >= len(a) || d > best || d == best && k > near {
			continue
		}
		near, best = k, d
	}
	return near
}

func abs(x int) int { return max(x, -x) }
