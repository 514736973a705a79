package segment

import (
	"context"
	"fmt"

	"github.com/clientele-go/clientele/internal/english"
)

// Budget bounds the work of evaluations, so that a hostile or careless expression (a
// few thousand terms over a century of daily bitmaps) fails fast with ErrBudget instead
// of holding a CPU and the index's read lock for minutes. Each field is what remains;
// evaluation spends it. Zero or negative fields allow nothing.
type Budget struct {
	// Terms is the number of terms of the expression, counting those of every saved
	// segment it references (each once). It is checked before evaluating anything.
	Terms int64
	// Days is the number of daily bitmaps read (behavioural windows, and the estimates
	// that order an AND's operands).
	Days int64
	// Ops is the number of bitmap operations: unions, intersections, differences,
	// bit-slice steps and counter updates.
	Ops int64
}

// DefaultBudget is the budget of an evaluation given none: 1,000 terms, 100,000 daily
// bitmaps (say 50 windows of five years), 1,000,000 bitmap operations. Every query of
// the package's tests and examples, and a count(e, 30d) >= 8 rule, fit in it with room
// to spare: such a rule costs 30 days and under 300 operations.
func DefaultBudget() Budget { return Budget{Terms: 1_000, Days: 100_000, Ops: 1_000_000} }

// EvalOptions tune Eval and Count. The zero value (or nil) means DefaultBudget.
type EvalOptions struct {
	// Budget is spent by the evaluation; nil means a fresh DefaultBudget. Pass the same
	// Budget to several evaluations to bound their total (a request that evaluates every
	// saved segment, say). After ErrBudget, at least one field is negative.
	Budget *Budget
}

// meter charges an evaluation's work to its budget and watches its context. A nil
// meter (Refresh, which the host runs on its own schedule) charges nothing.
type meter struct {
	ctx   context.Context
	b     *Budget
	limit Budget // the budget as it was at the start, for messages
	err   error
	tick  uint32
}

func newMeter(ctx context.Context, opts *EvalOptions) *meter {
	m := &meter{ctx: ctx}
	if opts != nil && opts.Budget != nil {
		m.b = opts.Budget
	} else {
		d := DefaultBudget()
		m.b = &d
	}
	m.limit = *m.b
	return m
}

// spend charges days and ops and reports whether the evaluation may go on. It polls
// the context every 64 calls, and on every call that reads days.
func (m *meter) spend(days, ops int64) bool {
	if m == nil {
		return true
	}
	if m.err != nil {
		return false
	}
	m.b.Days -= days
	m.b.Ops -= ops
	switch {
	case m.b.Days < 0:
		m.err = fmt.Errorf("%w: the query reads more than the %s left in its budget", ErrBudget, english.Count(m.limit.Days, "daily bitmap"))
	case m.b.Ops < 0:
		m.err = fmt.Errorf("%w: the query needs more than the %s left in its budget", ErrBudget, english.Count(m.limit.Ops, "bitmap operation"))
	}
	if m.tick++; m.err == nil && (days > 0 || m.tick&63 == 0) {
		if err := m.ctx.Err(); err != nil {
			m.err = errorf("evaluation stopped: %w", err)
		}
	}
	return m.err == nil
}

// terms charges the terms of root, counting each saved segment it references once.
func (m *meter) terms(x *Index, root node) error {
	seen := map[string]bool{}
	var n int64
	var walk func(node)
	walk = func(k node) {
		if n > m.b.Terms {
			return
		}
		n++
		eachOperand(k, walk)
		switch k := k.(type) {
		case *inNode:
			n += int64(len(k.values)) - 1
		case *segNode:
			if s := x.saved[k.name]; s != nil && !seen[k.name] {
				seen[k.name] = true
				walk(s.q.root)
			}
		}
	}
	walk(root)
	if n > m.b.Terms {
		m.b.Terms -= n
		return fmt.Errorf("%w: the query has more than the %s left in its budget (saved segments expanded)", ErrBudget, english.Count(m.limit.Terms, "term"))
	}
	m.b.Terms -= n
	return nil
}
