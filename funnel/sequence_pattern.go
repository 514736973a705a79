package funnel

import (
	"fmt"
	"math"
	"time"
)

// seqOp is one element of a compiled sequence pattern.
type seqOp uint8

const (
	opEvent seqOp = iota // (?N): the next event meets condition N
	opAny                // .: any next event
	opStar               // .*: any run of events, shortest first
	opLE                 // (?t<=N) and the other time conditions: see sequence.go
	opLT
	opGE
	opGT
	opEQ
)

func (o seqOp) timed() bool { return o >= opLE }

// seqAction is an element of a compiled pattern: the condition's index for opEvent,
// the duration in nanoseconds for a time condition.
type seqAction struct {
	op  seqOp
	arg int64
}

// maxPatternActions bounds a pattern's length, so that the automaton's work per event
// (one step per element) is bounded whatever the caller passes.
const maxPatternActions = 1024

// seqProgram is a parsed pattern. acts starts with the implicit leading .* that makes
// a pattern match anywhere in the sequence, as in ClickHouse.
type seqProgram struct {
	acts    []seqAction
	hasTime bool
	used    uint32 // the conditions the pattern names
}

// parsePattern parses ClickHouse's sequence pattern language (see Sequence) for conds
// conditions; a number in a time condition counts units of unit.
func parsePattern(pattern string, conds int, unit time.Duration) (*seqProgram, error) {
	pg := &seqProgram{acts: []seqAction{{op: opStar}}}
	bad := func(at int, format string, a ...any) (*seqProgram, error) {
		return nil, fmt.Errorf("%w: sequence pattern %q at byte %d: %s", ErrInvalid, pattern, at, fmt.Sprintf(format, a...))
	}
	for i := 0; i < len(pattern); {
		if len(pg.acts) > maxPatternActions {
			return bad(i, "more than %d elements", maxPatternActions)
		}
		start := i
		switch {
		case hasAt(pattern, i, "(?t"):
			i += 3
			var op seqOp
			switch {
			case hasAt(pattern, i, "<="):
				op, i = opLE, i+2
			case hasAt(pattern, i, "<"):
				op, i = opLT, i+1
			case hasAt(pattern, i, ">="):
				op, i = opGE, i+2
			case hasAt(pattern, i, ">"):
				op, i = opGT, i+1
			case hasAt(pattern, i, "=="):
				op, i = opEQ, i+2
			default:
				return bad(i, "unknown time condition (want <, <=, >, >= or ==)")
			}
			v, j, ok := readUint(pattern, i)
			if !ok {
				return bad(i, "expected a number")
			}
			i = j
			if !hasAt(pattern, i, ")") {
				return bad(i, "expected )")
			}
			i++
			if pg.acts[len(pg.acts)-1].op.timed() {
				// ClickHouse refuses two time conditions in a row: the second would have
				// no event to measure from.
				return bad(start, "a time condition must follow an event, . or .*")
			}
			// A duration beyond what int64 nanoseconds hold is longer than any two
			// timestamps apart (1900-2189): it is as good as infinite.
			d := int64(math.MaxInt64)
			if unit > 0 && v <= uint64(math.MaxInt64/int64(unit)) {
				d = int64(v) * int64(unit)
			}
			pg.acts = append(pg.acts, seqAction{op: op, arg: d})
			pg.hasTime = true
		case hasAt(pattern, i, "(?"):
			i += 2
			v, j, ok := readUint(pattern, i)
			if !ok {
				return bad(i, "expected a condition number")
			}
			if v < 1 || v > uint64(conds) {
				return bad(i, "condition %d outside 1..%d", v, conds)
			}
			i = j
			if !hasAt(pattern, i, ")") {
				return bad(i, "expected )")
			}
			i++
			pg.acts = append(pg.acts, seqAction{op: opEvent, arg: int64(v - 1)})
			pg.used |= 1 << (v - 1)
		case hasAt(pattern, i, ".*"):
			pg.acts = append(pg.acts, seqAction{op: opStar})
			i += 2
		case pattern[i] == '.':
			pg.acts = append(pg.acts, seqAction{op: opAny})
			i++
		default:
			return bad(i, "unexpected %q (want (?N), (?t op N), . or .*)", pattern[i])
		}
	}
	return pg, nil
}

func hasAt(s string, i int, prefix string) bool {
	return len(s)-i >= len(prefix) && s[i:i+len(prefix)] == prefix
}

// readUint reads a decimal number of at most 19 digits at s[i:], returning it and the
// index after it.
func readUint(s string, i int) (v uint64, j int, ok bool) {
	for j = i; j < len(s) && s[j] >= '0' && s[j] <= '9'; j++ {
		if j-i == 19 {
			return 0, j, false
		}
		v = v*10 + uint64(s[j]-'0')
	}
	return v, j, j > i
}
