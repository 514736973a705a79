package funnel

import (
	"fmt"
	"iter"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"pgregory.net/rapid"
)

var propNames = []string{"a", "b", "c", "d", "x"}

// genSpec draws a small Spec over the names a..d (x never matches a step).
func genSpec(t *rapid.T) Spec {
	n := rapid.IntRange(1, 4).Draw(t, "steps")
	steps := make([]Step, n)
	for i := range steps {
		switch rapid.IntRange(0, 3).Draw(t, "kind") {
		case 0: // two names: one event may match several steps
			a, b := rapid.SampledFrom(propNames[:4]).Draw(t, "n1"), rapid.SampledFrom(propNames[:4]).Draw(t, "n2")
			steps[i] = Step{Name: a + "|" + b, Match: func(e Event) bool { return e.Name == a || e.Name == b }}
		default:
			steps[i] = Step{Name: rapid.SampledFrom(propNames[:4]).Draw(t, "name")}
		}
		if i > 0 && i < n-1 {
			steps[i].Optional = rapid.IntRange(0, 3).Draw(t, "optional") == 0
		}
		if i > 0 && rapid.IntRange(0, 3).Draw(t, "within?") == 0 {
			steps[i].Within = time.Duration(rapid.IntRange(0, 3).Draw(t, "within")) * time.Second
		}
	}
	s := Spec{Steps: steps, Window: time.Duration(rapid.SampledFrom([]int{0, 1, 2, 3, 5}).Draw(t, "window")) * time.Second}
	if rapid.IntRange(0, 5).Draw(t, "anyorder?") == 0 {
		for i := range s.Steps {
			s.Steps[i].Optional, s.Steps[i].Within = false, 0
		}
		s.Mode = AnyOrder
	} else {
		s.Mode = Mode(rapid.IntRange(0, 31).Draw(t, "mode"))
		if s.Mode&StrictOrder == 0 {
			s.Mode &^= AllowReentry
		}
		if n >= 2 && rapid.IntRange(0, 3).Draw(t, "exclude?") == 0 {
			var req []int
			for i, st := range s.Steps {
				if !st.Optional {
					req = append(req, i)
				}
			}
			from := rapid.IntRange(0, len(req)-2).Draw(t, "from")
			to := rapid.IntRange(from+1, len(req)-1).Draw(t, "to")
			s.Exclude = []Exclusion{{Event: Step{Name: rapid.SampledFrom(propNames).Draw(t, "excl")}, From: req[from], To: req[to]}}
		}
	}
	if rapid.Bool().Draw(t, "breakdown?") {
		b := &Breakdown{Prop: "ch", Attribution: Attribution(rapid.IntRange(0, 2).Draw(t, "attr"))}
		if b.Attribution == AtStep {
			if s.Mode&AnyOrder != 0 {
				b.Attribution = DeepestStep
			} else {
				b.Step = rapid.IntRange(0, n-1).Draw(t, "atstep")
			}
		}
		s.Breakdown = b
	}
	return s
}

func genEvents(t *rapid.T, profiles int) []Event {
	var evs []Event
	for p := 1; p <= profiles; p++ {
		k := rapid.IntRange(0, 7).Draw(t, "events")
		for range k {
			e := Event{
				Profile: uint32(p),
				Time:    at(int64(rapid.IntRange(0, 8).Draw(t, "t"))),
				Name:    rapid.SampledFrom(propNames).Draw(t, "name"),
			}
			if ch := rapid.SampledFrom([]string{"web", "store", ""}).Draw(t, "ch"); ch != "" {
				e.Props = map[string]string{"ch": ch} // else the property is missing
			}
			evs = append(evs, e)
		}
	}
	// Shuffle: Run must not depend on input order beyond ties.
	perm := rapid.Permutation(evs).Draw(t, "perm")
	return perm
}

// profileRows builds one profile's rows the way Run does.
func profileRows(p *plan, evs []Event) []row {
	rows := make([]row, len(evs))
	for i, e := range evs {
		steps, excl := p.masks(e)
		rows[i] = row{t: e.Time.UnixNano(), steps: steps, excl: excl, idx: int32(i)}
	}
	sortRows(rows)
	return rows
}

// batchOf appends events to a new Batch.
// sameForms checks that the stream and batch forms of an analysis give res, the slice
// form's result on events, when given the events grouped by profile as a store feeds
// them.
func sameForms[R any](t interface{ Fatal(...any) }, events []Event, res R, seq func(iter.Seq[Event]) (R, error), batch func(*Batch) (R, error), opts ...cmp.Option) {
	grouped := slices.Clone(events)
	slices.SortStableFunc(grouped, func(a, b Event) int { return int(a.Profile) - int(b.Profile) })
	sres, err := seq(slices.Values(grouped))
	if err != nil {
		t.Fatal(err)
	}
	bres, err := batch(batchOf(t, grouped))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(res, sres, opts...); diff != "" {
		t.Fatal("stream differs from slice (-slice +stream):\n" + diff)
	}
	if diff := cmp.Diff(res, bres, opts...); diff != "" {
		t.Fatal("batch differs from slice (-slice +batch):\n" + diff)
	}
}

func batchOf(t interface{ Fatal(...any) }, evs []Event) *Batch {
	b := &Batch{}
	for _, e := range evs {
		if err := b.Append(e); err != nil {
			t.Fatal(err)
		}
	}
	return b
}

// tableOpts and resultOpts compare cohort tables and funnel results, bitmaps by content,
// locations by name (as CompareRetention does) and recorded lists (kept in the order
// profiles were matched) as multisets.
var (
	tableOpts = []cmp.Option{cmpopts.EquateEmpty(), cmp.Comparer(func(a, b *roaring.Bitmap) bool { return a.Equals(b) }),
		cmp.Comparer(func(a, b *time.Location) bool { return a.String() == b.String() })}
	resultOpts = append([]cmp.Option{cmp.AllowUnexported(Result{}), cmp.Comparer(func(a, b chunks) bool {
		x, y := a.all(), b.all()
		slices.Sort(x)
		slices.Sort(y)
		return slices.Equal(x, y)
	})}, tableOpts...)
)

func byProfile(evs []Event) map[uint32][]Event {
	m := map[uint32][]Event{}
	for _, e := range evs {
		m[e.Profile] = append(m[e.Profile], e)
	}
	return m
}

// TestRunMatchesBruteForce holds Run against the reference model that enumerates every
// candidate conversion: per-step unique and total counts, converted and dropped
// profiles, times between steps and breakdown groups.
func TestRunMatchesBruteForce(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := genSpec(t)
		evs := genEvents(t, 4)
		p, err := s.compile()
		if err != nil {
			t.Fatalf("spec %+v: %v", s, err)
		}
		res, err := s.Run(evs)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]*expect{}
		total := newExpect(p.n)
		for prof, pe := range byProfile(evs) {
			// Run's order within a profile: time, then input order.
			slices.SortStableFunc(pe, func(a, b Event) int { return a.Time.Compare(b.Time) })
			rows := profileRows(p, pe)
			o := bruteProfile(p, rows)
			if o.level == 0 {
				continue
			}
			total.add(prof, o, rows)
			if b := s.Breakdown; b != nil {
				r := -1
				switch b.Attribution {
				case FirstStep:
					r = o.path[0]
				case DeepestStep:
					r = o.path[o.level-1]
				case AtStep:
					r = o.path[b.Step]
				}
				key := ""
				if r >= 0 {
					key = pe[rows[r].idx].Props["ch"]
				}
				if want[key] == nil {
					want[key] = newExpect(p.n)
				}
				want[key].add(prof, o, rows)
			}
		}
		total.finish(s.Steps)
		for _, w := range want {
			w.finish(s.Steps)
		}
		check := func(label string, got *Result, w *expect) {
			if diff := cmp.Diff(w, summarize(got), cmpopts.EquateEmpty()); diff != "" {
				t.Fatalf("%s: spec %s\nevents %s\n(-brute +Run):\n%s", label, describe(s), describeEvents(evs), diff)
			}
		}
		check("all", res, total)
		if s.Breakdown != nil {
			if len(res.Breakdown) != len(want) {
				t.Fatalf("Run has %d breakdown groups, brute force %d", len(res.Breakdown), len(want))
			}
			for k, w := range want {
				g := res.Breakdown[k]
				if g == nil {
					t.Fatalf("group %q missing from Run's breakdown", k)
				}
				check("group "+k, g, w)
			}
		}
	})
}

type expect struct {
	Unique, Total         []int64
	Converted, Dropped    [][]uint32
	FromPrev, FromFirst   [][]time.Duration
	Converters, Censoring int
}

func newExpect(n int) *expect {
	e := &expect{Unique: make([]int64, n), Total: make([]int64, n), Converted: make([][]uint32, n), Dropped: make([][]uint32, n),
		FromPrev: make([][]time.Duration, n), FromFirst: make([][]time.Duration, n)}
	return e
}

func (e *expect) add(prof uint32, o bOutcome, rows []row) {
	n := len(e.Unique)
	for s := range n {
		if o.reached&(1<<s) != 0 {
			e.Unique[s]++
			e.Converted[s] = append(e.Converted[s], prof)
		}
		for _, m := range o.passes {
			if m&(1<<s) != 0 {
				e.Total[s]++
			}
		}
	}
	prev := -1
	for s := range o.level {
		if o.path[s] < 0 {
			continue
		}
		if prev >= 0 {
			e.FromPrev[s] = append(e.FromPrev[s], time.Duration(rows[o.path[s]].t-rows[o.path[prev]].t))
			e.FromFirst[s] = append(e.FromFirst[s], time.Duration(rows[o.path[s]].t-rows[o.path[0]].t))
		}
		prev = s
	}
	if o.level == n {
		e.Converters++
	} else {
		e.Censoring++
	}
}

// summarize reads a Result into an expect, normalised for comparison.
func summarize(r *Result) *expect {
	e := newExpect(len(r.Steps))
	for s, st := range r.Steps {
		e.Unique[s], e.Total[s] = st.Unique, st.Total
		e.Converted[s] = st.Converted.ToArray()
		e.Dropped[s] = st.Dropped.ToArray()
		e.FromPrev[s] = []time.Duration(st.TimeFromPrevious)
		e.FromFirst[s] = []time.Duration(st.TimeFromFirst)
	}
	e.Converters, e.Censoring = len(r.converted), r.open.n
	return e
}

// finish sorts the lists and derives Dropped the way a Result holds them.
func (e *expect) finish(steps []Step) {
	base := 0
	for s := range e.Unique {
		slices.Sort(e.Converted[s])
		slices.Sort(e.FromPrev[s])
		slices.Sort(e.FromFirst[s])
		if s > 0 {
			in := map[uint32]bool{}
			for _, p := range e.Converted[s] {
				in[p] = true
			}
			for _, p := range e.Converted[base] {
				if !in[p] {
					e.Dropped[s] = append(e.Dropped[s], p)
				}
			}
		}
		if !steps[s].Optional {
			base = s
		}
	}
}

func describe(s Spec) string {
	var b strings.Builder
	fmt.Fprintf(&b, "window=%v mode=%v", s.Window, s.Mode)
	for _, st := range s.Steps {
		fmt.Fprintf(&b, " [%s opt=%v within=%v]", st.Name, st.Optional, st.Within)
	}
	for _, x := range s.Exclude {
		fmt.Fprintf(&b, " exclude %s between %d and %d", x.Event.Name, x.From, x.To)
	}
	if s.Breakdown != nil {
		fmt.Fprintf(&b, " breakdown %+v", *s.Breakdown)
	}
	return b.String()
}

func describeEvents(evs []Event) string {
	var b strings.Builder
	for _, e := range evs {
		fmt.Fprintf(&b, " p%d@%d:%s/%s", e.Profile, e.Time.Sub(chBase)/time.Second, e.Name, e.Props["ch"])
	}
	return b.String()
}

// TestKernelEqualsEngine: the fast matcher and the exact one agree on every plan the
// fast one accepts, outcome for outcome.
func TestKernelEqualsEngine(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := genSpec(t)
		p, err := s.compile()
		if err != nil || !p.simple {
			t.Skip("not a plain ordered funnel")
		}
		rows := profileRows(p, genEvents(t, 1))
		m := newMatcher(p)
		var a, b outcome
		a.reset()
		b.reset()
		m.k.profile(rows, &a)
		m.gen.profile(rows, &b)
		if diff := cmp.Diff(b, a, cmp.AllowUnexported(outcome{}), cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("spec %s: (-engine +kernel):\n%s", describe(s), diff)
		}
	})
}

// TestClickHouseScanEqualsEngine: ClickHouse's one-state-per-step scan finds the level
// of the exhaustive matcher in every mode but StrictIncrease (whose blind spot is
// ClickHouse's, kept on purpose in Level).
func TestClickHouseScanEqualsEngine(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := genSpec(t)
		s.Exclude, s.Breakdown = nil, nil
		for i := range s.Steps {
			s.Steps[i].Optional, s.Steps[i].Within = false, 0
		}
		s.Mode &^= StrictIncrease | StrictOnce | AnyOrder
		p, err := s.compile()
		if err != nil {
			t.Fatal(err)
		}
		rows := profileRows(p, genEvents(t, 1))
		var o outcome
		o.reset()
		newMatcher(p).gen.profile(rows, &o)
		if got := clickhouseLevel(p, buildEntries(nil, rows, p.n, p.mode&StrictOrder != 0)); got != o.level {
			t.Fatalf("spec %s: ClickHouse scan %d, engine %d", describe(s), got, o.level)
		}
	})
}

// TestMergedPartialsEqualSinglePass: split the profiles into shards, compute each
// shard's Partial, send it through MarshalBinary and UnmarshalBinary, merge in any
// order: the Result equals the single pass over all events.
func TestMergedPartialsEqualSinglePass(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := genSpec(t)
		evs := genEvents(t, 6)
		whole, err := s.Run(evs)
		if err != nil {
			t.Fatal(err)
		}
		k := rapid.IntRange(1, 4).Draw(t, "shards")
		shards := make([][]Event, k)
		for _, e := range evs {
			shards[int(e.Profile)%k] = append(shards[int(e.Profile)%k], e)
		}
		var merged *Partial[*Result]
		for _, i := range rapid.Permutation(rangeInts(k)).Draw(t, "order") {
			pt, err := s.Partial(shards[i])
			if err != nil {
				t.Fatal(err)
			}
			data, err := pt.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			back := *emptyPartial(s)
			if err := back.UnmarshalBinary(data); err != nil {
				t.Fatal(err)
			}
			if merged == nil {
				merged = &back
			} else if err := merged.Merge(&back); err != nil {
				t.Fatal(err)
			}
		}
		got := result(merged)
		if diff := cmp.Diff(whole, got, resultOpts...); diff != "" {
			t.Fatalf("spec %s: (-single pass +merged):\n%s", describe(s), diff)
		}
	})
}

func rangeInts(n int) []int {
	v := make([]int, n)
	for i := range v {
		v[i] = i
	}
	return v
}

// TestFormsAgree: a slice, a stream grouped by profile and a columnar Batch give the
// same Result, breakdowns included (the Batch reads its property columns).
func TestFormsAgree(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := genSpec(t)
		evs := genEvents(t, 5)
		slices.SortStableFunc(evs, func(a, b Event) int { return int(a.Profile) - int(b.Profile) })
		want, err := s.Run(evs)
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.RunSeq(slices.Values(evs))
		if err != nil {
			t.Fatal(err)
		}
		b := batchOf(t, evs)
		got2, err := s.RunBatch(b)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got, resultOpts...); diff != "" {
			t.Fatalf("RunSeq differs (-Run +RunSeq):\n%s", diff)
		}
		if diff := cmp.Diff(want, got2, resultOpts...); diff != "" {
			t.Fatalf("RunBatch differs (-Run +RunBatch):\n%s", diff)
		}
		// Two streamed shards, split at a profile boundary, merged: the same.
		cut := profileCut(evs)
		left, err := s.PartialSeq(slices.Values(evs[:cut]))
		if err != nil {
			t.Fatal(err)
		}
		right, err := s.PartialSeq(slices.Values(evs[cut:]))
		if err != nil {
			t.Fatal(err)
		}
		if err := left.Merge(right); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, result(left), resultOpts...); diff != "" {
			t.Fatalf("merged PartialSeq shards differ (-Run +merged):\n%s", diff)
		}
		// Grouped by profile but not in ascending order: the same.
		desc := slices.Clone(evs)
		slices.SortStableFunc(desc, func(a, b Event) int { return int(b.Profile) - int(a.Profile) })
		got3, err := s.RunBatch(batchOf(t, desc))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got3, resultOpts...); diff != "" {
			t.Fatalf("RunBatch on descending profiles differs (-Run +RunBatch):\n%s", diff)
		}
	})
}

// TestSortBlocks: the radix sort over recorded blocks agrees with slices.Sort, for
// lists long enough to take it, values of any span and sign, and blocks of any length
// (empty ones included), with a scratch buffer reused between calls.
func TestSortBlocks(t *testing.T) {
	var scratch []int64
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(0, 20000).Draw(t, "n")
		bits := rapid.IntRange(0, 64).Draw(t, "bits")
		base := rapid.Int64().Draw(t, "base")
		seed := rapid.Uint64().Draw(t, "seed")
		var src [][]int64
		var want []int64
		x := seed | 1
		for len(want) < n {
			b := make([]int64, min(rapid.IntRange(0, 5000).Draw(t, "block"), n-len(want)))
			for i := range b {
				x ^= x << 13
				x ^= x >> 7
				x ^= x << 17
				v := uint64(0)
				if bits > 0 {
					v = x >> (64 - bits)
				}
				b[i] = int64(uint64(base) + v) // wraps: the span may cross zero
			}
			src = append(src, b)
			want = append(want, b...)
		}
		slices.Sort(want)
		got := make([]int64, n)
		sortBlocks(got, src, &scratch)
		if !slices.Equal(got, want) {
			t.Fatal("radix sort differs from slices.Sort")
		}
	})
}

// profileCut returns an index near the middle of evs, grouped by profile, at which a
// profile's events begin (or len(evs)): where to split them into two shards.
func profileCut(evs []Event) int {
	cut := len(evs) / 2
	for cut > 0 && cut < len(evs) && evs[cut].Profile == evs[cut-1].Profile {
		cut++
	}
	return cut
}
