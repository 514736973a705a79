package funnel

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"
)

// drawPlan draws the plan of a kernel property: up to MaxSteps steps (often few, where
// passes repeat), and no window, one of a few ticks (at most narrow, below most gaps) or
// one wider than every gap.
func drawPlan(t *rapid.T, narrow int64) *plan {
	n := rapid.IntRange(1, MaxSteps).Draw(t, "steps")
	if rapid.Bool().Draw(t, "few steps") {
		n = rapid.IntRange(1, 4).Draw(t, "steps")
	}
	p := &plan{n: n}
	switch rapid.IntRange(0, 2).Draw(t, "window kind") {
	case 1:
		p.window = rapid.Int64Range(1, narrow).Draw(t, "window")
	case 2:
		p.window = maxNano - minNano
	}
	return p
}

// TestPassPlainEqualsPass: the branch-free pass and the general one find the same
// outcome (level, steps reached in every pass, the first pass's conversion and origin)
// for every entry list a plain funnel can give the kernel: times that never decrease,
// ties across steps, any window (none, within a few ticks, wider than every gap),
// times at both ends of the accepted range.
func TestPassPlainEqualsPass(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p := drawPlan(t, 5)
		n := p.n
		var ts int64
		switch rapid.IntRange(0, 2).Draw(t, "start") {
		case 0:
			ts = minNano
		case 1:
			ts = maxNano - 100
		}
		ents := make([]entry, rapid.IntRange(0, 40).Draw(t, "entries"))
		for i := range ents {
			ts += rapid.Int64Range(0, 2).Draw(t, "gap")
			ents[i] = entry{t: ts, step: int8(rapid.IntRange(0, min(n, 5)-1).Draw(t, "step")), row: int32(i)}
		}
		var plain, general outcome
		for _, c := range []struct {
			out  *outcome
			pass func(k *kernel) func(int) (int, uint32, int, int64)
		}{
			{&plain, func(k *kernel) func(int) (int, uint32, int, int64) { return k.passPlain }},
			{&general, func(k *kernel) func(int) (int, uint32, int, int64) { return k.pass }},
		} {
			k := &kernel{p: p, ents: ents}
			c.out.reset()
			k.matchWith(c.out, c.pass(k))
		}
		if diff := cmp.Diff(general, plain, cmp.AllowUnexported(outcome{})); diff != "" {
			t.Fatalf("n %d window %d entries %v: (-pass +passPlain):\n%s", n, p.window, ents, diff)
		}
	})
}

// TestMatchColumnsEqualsMatch: a profile read straight from the columns (times
// strictly increasing, each event at most one step, some at none) has the outcome of
// the kernel over its entries, pass after pass, path for path.
func TestMatchColumnsEqualsMatch(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p := drawPlan(t, 6)
		n := p.n
		// Name id k matches step k; ids n and above match none.
		slots := make([]uint8, n+2)
		for id := range slots {
			slots[id] = slotOf(0)
			if id < n {
				slots[id] = slotOf(1 << id)
			}
		}
		ts := rapid.SampledFrom([]int64{minNano, 0, maxNano - 200}).Draw(t, "start")
		times := make([]int64, rapid.IntRange(0, 40).Draw(t, "events"))
		events := make([]uint32, len(times))
		var ents []entry
		for i := range times {
			ts += rapid.Int64Range(1, 3).Draw(t, "gap")
			times[i] = ts
			events[i] = uint32(rapid.IntRange(0, min(n, 5)+1).Draw(t, "event"))
			if s := slots[events[i]]; s != noStep {
				ents = append(ents, entry{t: ts, step: int8(s), row: int32(i)})
			}
		}
		var want, got outcome
		want.reset()
		got.reset()
		k := &kernel{p: p, ents: ents}
		k.match(&want)
		k.matchColumns(&got, times, events, slots)
		if diff := cmp.Diff(want, got, cmp.AllowUnexported(outcome{})); diff != "" {
			t.Fatalf("n %d window %d times %v events %v: (-match +matchColumns):\n%s", n, p.window, times, events, diff)
		}
	})
}
