package funnel

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"pgregory.net/rapid"
)

// ClickHouse's test 00222_sequence_aggregate_function_family: one group of twelve rows
// (time 0..11 seconds, data 0,0,0,0,1,2,0,0,0,0,1,1) and conditions data = 0, 1, 2, 3,
// or (the last two queries of each family) data = 1, 2. Each row is a pattern with the
// sequenceMatch and sequenceCount its .sql asserts (the .reference holds only 1s, the
// assertions' truth). count() is 12.
var ch00222 = []struct {
	pattern string
	conds   []int // the data value each condition asks for
	match   bool
	count   int64
}{
	{"", all4, true, 12},
	{".", all4, true, 12},
	{".*", all4, true, 12},
	{"(?1)", all4, true, 8},
	{"(?2)", all4, true, 3},
	{"(?3)", all4, true, 1},
	{"(?4)", all4, false, 0},
	{"(?1)(?1)", all4, true, 4},
	{"(?1)(?1)(?1)", all4, true, 2},
	{"(?1)(?1)(?1)(?1)", all4, true, 2},
	{"(?1)(?1)(?1)(?1)(?1)", all4, false, 0},
	{"(?1)(?1)(?1)(?1)(?2)", all4, true, 2},
	{"(?1)(?t>10)(?2)", all4, true, 1},
	{"(?1)(?t>11)(?2)", all4, false, 0},
	{"(?1)(?t<11)(?2)", all4, true, 2},
	{"(?1)(?t<3)(?3)", all4, true, 1},
	{"(?1)(?t<=2)(?3)", all4, true, 1},
	{"(?1)(?t<2)(?3)", all4, false, 0},
	{"(?2)(?t>=7)(?2)", all4, true, 1},
	{"(?2)(?t>7)(?2)", all4, false, 0},
	{"(?2)(?3)(?1)", all4, true, 1},
	{"(?1)(?t==2)(?2)", []int{1, 2}, false, 0},
	{"(?1)(?t==1)(?2)", []int{1, 2}, true, 1},
}

var all4 = []int{0, 1, 2, 3}

func ch00222Events() []Event {
	data := []int{0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 1, 1}
	evs := make([]Event, len(data))
	for i, d := range data {
		evs[i] = Event{Profile: 1, Time: at(int64(i)), Name: fmt.Sprint(d)}
	}
	return evs
}

func dataConds(values []int) []Step {
	steps := make([]Step, len(values))
	for i, v := range values {
		steps[i] = Step{Name: fmt.Sprint(v)}
	}
	return steps
}

func TestSequenceClickHouse00222(t *testing.T) {
	evs := ch00222Events()
	b := batchOf(t, evs)
	for _, c := range ch00222 {
		q := Sequence{Pattern: c.pattern, Conditions: dataConds(c.conds)}
		m, err := q.Match(evs)
		if err != nil {
			t.Fatalf("%q: %v", c.pattern, err)
		}
		n, err := q.Count(evs)
		if err != nil {
			t.Fatalf("%q: %v", c.pattern, err)
		}
		if m != c.match || n != c.count {
			t.Errorf("%q: sequenceMatch %v sequenceCount %d, ClickHouse %v %d", c.pattern, m, n, c.match, c.count)
		}
		// The per-profile forms agree with the one-group form.
		for form, run := range map[string]func() (*SequenceResult, error){
			"slice": func() (*SequenceResult, error) { return q.Run(evs) },
			"seq":   func() (*SequenceResult, error) { return q.RunSeq(slices.Values(evs)) },
			"batch": func() (*SequenceResult, error) { return q.RunBatch(b) },
		} {
			res, err := run()
			if err != nil {
				t.Fatalf("%q %s: %v", c.pattern, form, err)
			}
			if res.Profiles != 1 || res.Matched.Contains(1) != c.match || res.Count != c.count || res.Histogram[c.count] != 1 {
				t.Errorf("%q %s: %+v, want match %v count %d", c.pattern, form, res, c.match, c.count)
			}
		}
	}
}

func TestSequenceInvalid(t *testing.T) {
	conds := dataConds([]int{0, 1})
	for _, p := range []string{"(?3)", "(?0)", "(?", "(?1", "(?t<5)(?t>1)", "(?1)(?t!3)", "(?1)(?t<)", "x", "(?1)(?t<99999999999999999999)", "(?-1)"} {
		if err := (Sequence{Pattern: p, Conditions: conds}).Validate(); !errors.Is(err, ErrInvalid) {
			t.Errorf("%q: %v, want ErrInvalid", p, err)
		}
	}
	for _, q := range []Sequence{{Pattern: "(?1)"}, {Pattern: "(?1)", Conditions: []Step{{}}}, {Pattern: "(?1)", Conditions: conds, Unit: -1}, {Pattern: strings.Repeat(".", 2000), Conditions: conds}} {
		if err := q.Validate(); !errors.Is(err, ErrInvalid) {
			t.Errorf("%+v: %v, want ErrInvalid", q.Pattern, err)
		}
	}
	// Time conditions count Unit; a huge count is as good as infinite.
	evs := []Event{{Profile: 1, Time: at(0), Name: "0"}, {Profile: 1, Time: at(90), Name: "1"}}
	for _, c := range []struct {
		q    Sequence
		want bool
	}{
		{Sequence{Pattern: "(?1)(?t<=1)(?2)", Conditions: conds, Unit: time.Minute}, false},
		{Sequence{Pattern: "(?1)(?t<=2)(?2)", Conditions: conds, Unit: time.Minute}, true},
		{Sequence{Pattern: "(?1)(?t<=9999999999999999999)(?2)", Conditions: conds, Unit: time.Hour}, true},
	} {
		if got, err := c.q.Match(evs); err != nil || got != c.want {
			t.Errorf("%q unit %v: %v %v, want %v", c.q.Pattern, c.q.Unit, got, err, c.want)
		}
	}
}

// A pattern whose search backtracks without end is refused, not run for ever: twenty
// .* to spread over 200 events before a time condition that fails (C(200, 20) ways;
// the last event is one only the pattern's last element could take, since a search
// whose events run out stops there, as ClickHouse's does).
func TestSequenceStepLimit(t *testing.T) {
	var evs []Event
	for i := range 200 {
		evs = append(evs, Event{Profile: 1, Time: at(int64(i)), Name: "0"})
	}
	evs = append(evs, Event{Profile: 1, Time: at(500), Name: "1"}, Event{Profile: 1, Time: at(1000), Name: "2"})
	q := Sequence{Pattern: strings.Repeat("(?1).*", 20) + "(?2)(?t<10)(?3)", Conditions: dataConds([]int{0, 1, 2}), MaxSteps: 100_000}
	_, err := q.Count(evs) // without the limit, it runs past the test binary's timeout
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "steps") {
		t.Fatalf("got %v, want the step limit", err)
	}
	if _, err := q.RunBatch(batchOf(t, evs)); !errors.Is(err, ErrInvalid) {
		t.Fatalf("batch: got %v, want the step limit", err)
	}
}

// genPattern draws a pattern over conds conditions without time conditions and its
// translation into a Go regular expression over letters, where letter 'a'+m stands
// for an event meeting the set m of conditions; .* becomes the lazy .*?, as a
// backtracking search tries the shortest run first.
func genPattern(t *rapid.T, conds int) (pattern, re string) {
	var p, r strings.Builder
	for range rapid.IntRange(0, 5).Draw(t, "len") {
		switch rapid.IntRange(0, 3).Draw(t, "elem") {
		case 0:
			p.WriteString(".*")
			r.WriteString(".*?")
		case 1:
			p.WriteString(".")
			r.WriteString(".")
		default:
			c := rapid.IntRange(0, conds-1).Draw(t, "cond")
			fmt.Fprintf(&p, "(?%d)", c+1)
			r.WriteString("[")
			for m := 1; m < 1<<conds; m++ {
				if m&(1<<c) != 0 {
					r.WriteByte(byte('a' + m))
				}
			}
			r.WriteString("]")
		}
	}
	return p.String(), r.String()
}

// genMasks draws a profile's events as sets of conditions met, one per second.
func genMasks(t *rapid.T, conds int) []Event {
	n := rapid.IntRange(0, 12).Draw(t, "events")
	evs := make([]Event, n)
	for i := range evs {
		m := rapid.IntRange(0, 1<<conds-1).Draw(t, "mask")
		evs[i] = Event{Profile: 1, Time: at(int64(rapid.IntRange(0, 3).Draw(t, "gap")) + int64(i)*4), Name: fmt.Sprint(m)}
	}
	return evs
}

func maskConds(conds int) []Step {
	steps := make([]Step, conds)
	for c := range steps {
		steps[c] = Step{Name: fmt.Sprintf("c%d", c), Match: func(e Event) bool {
			var m int
			fmt.Sscan(e.Name, &m)
			return m&(1<<c) != 0
		}}
	}
	return steps
}

// refCount is the reference model of sequenceCount for a pattern without time
// conditions: Go's regexp, which returns the match a backtracking search would find,
// applied at each position where the previous match ended.
func refCount(re *regexp.Regexp, s string) int64 {
	var n int64
	for at := 0; at < len(s); {
		loc := re.FindStringIndex(s[at:])
		if loc == nil {
			break
		}
		n++
		if loc[1] == 0 {
			at++
		} else {
			at += loc[1]
		}
	}
	return n
}

// Without time conditions, sequenceMatch is a regular expression search and
// sequenceCount a run of anchored searches (the reference model: Go's regexp on the
// kept events spelled as letters). With every .* written (?t>=0) instead (a time
// condition that always holds and so behaves as .*), Match goes through the
// backtracking search rather than the automaton and must agree.
func TestSequenceMatchesRegexp(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		conds := rapid.IntRange(1, 3).Draw(t, "conds")
		pattern, re := genPattern(t, conds)
		evs := genMasks(t, conds)
		var s strings.Builder
		for _, e := range evs {
			var m int
			fmt.Sscan(e.Name, &m)
			if m != 0 {
				s.WriteByte(byte('a' + m))
			}
		}
		q := Sequence{Pattern: pattern, Conditions: maskConds(conds)}
		gotMatch, err := q.Match(evs)
		if err != nil {
			t.Fatal(err)
		}
		gotCount, err := q.Count(evs)
		if err != nil {
			t.Fatal(err)
		}
		wantMatch := regexp.MustCompile(re).MatchString(s.String())
		wantCount := refCount(regexp.MustCompile("^(?s:.*?)(?:"+re+")"), s.String())
		if gotMatch != wantMatch || gotCount != wantCount {
			t.Fatalf("%q on %q (regexp %q): match %v count %d, want %v %d", pattern, s.String(), re, gotMatch, gotCount, wantMatch, wantCount)
		}
		timed := strings.ReplaceAll(pattern, ".*", "(?t>=0)")
		tq := Sequence{Pattern: timed, Conditions: q.Conditions}
		if tq.Validate() != nil {
			return // two time conditions in a row, which ClickHouse refuses
		}
		if m, _ := tq.Match(evs); m != wantMatch {
			t.Fatalf("%q on %q: backtracking match %v, want %v", timed, s.String(), m, wantMatch)
		}
		if n, _ := tq.Count(evs); n != wantCount {
			t.Fatalf("%q on %q: count %d, want %d", timed, s.String(), n, wantCount)
		}
	})
}

// FuzzSequencePattern: whatever the pattern, parsing returns a program or ErrInvalid,
// and a parsed pattern runs on the 00222 events within its step bound.
func FuzzSequencePattern(f *testing.F) {
	for _, c := range ch00222 {
		f.Add(c.pattern)
	}
	f.Add("(?1)(?t<=3600)(?2)")
	f.Add("(?t")
	f.Add("(?1)(?t>=18446744073709551615)")
	f.Add(".*.*.*(?4)")
	evs := ch00222Events()
	f.Fuzz(func(t *testing.T, pattern string) {
		q := Sequence{Pattern: pattern, Conditions: dataConds(all4), MaxSteps: 10_000}
		if err := q.Validate(); err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("%q: %v is not ErrInvalid", pattern, err)
			}
			return
		}
		if _, err := q.Match(evs); err != nil && !errors.Is(err, ErrInvalid) {
			t.Fatal(err)
		}
		if _, err := q.Count(evs); err != nil && !errors.Is(err, ErrInvalid) {
			t.Fatal(err)
		}
	})
}

// TestSequenceResultMergeRefuses: Merge refuses what it cannot add honestly, with the
// sentinel the rest of the package uses, and leaves the receiver unchanged: a nil
// receiver or other, the receiver itself, a profile matched in both (a shard merged
// twice), figures that disagree (which silently went into the sum), a sum past int64
// (which wrapped) and a result of another Sequence (which merged into nonsense).
// A result built by hand names no Sequence and merges with any.
func TestSequenceResultMergeRefuses(t *testing.T) {
	q := Sequence{Pattern: "(?1)(?2)", Conditions: dataConds([]int{1, 2})}
	run := func(q Sequence, evs ...Event) *SequenceResult {
		t.Helper()
		r, err := q.Run(evs)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	ev := func(p uint32, sec int64, name string) Event { return Event{Profile: p, Time: at(sec), Name: name} }
	fresh := func() *SequenceResult { return run(q, ev(1, 0, "1"), ev(1, 1, "2"), ev(2, 0, "2")) }
	hand := func(profiles, count int64, hist []int64, matched ...uint32) *SequenceResult {
		return &SequenceResult{Profiles: profiles, Count: count, Histogram: hist, Matched: roaring.BitmapOf(matched...)}
	}
	for _, c := range []struct {
		name  string
		recv  *SequenceResult
		other *SequenceResult
		want  error
	}{
		{"nil other", fresh(), nil, ErrInvalid},
		{"nil receiver", nil, fresh(), ErrInvalid},
		{"a shard merged twice", fresh(), fresh(), ErrInvalid},
		// Profile 2 counts, but does not match: Merge saw only Matched, and added it
		// again.
		{"a shard of no match merged twice", run(q, ev(2, 0, "2")), run(q, ev(2, 0, "2")), ErrInvalid},
		{"shards sharing an unmatched profile", fresh(), run(q, ev(2, 5, "1"), ev(3, 0, "1"), ev(3, 1, "2")), ErrInvalid},
		{"a profile of the receiver matched by hand", fresh(), hand(1, 1, []int64{0, 1}, 2), ErrInvalid},
		{"Profiles lowered after the Run", fresh(), func() *SequenceResult {
			r := run(q, ev(5, 0, "1"), ev(5, 1, "2"), ev(6, 0, "1"))
			r.Profiles, r.Histogram = 1, []int64{0, 1}
			return r
		}(), ErrInvalid},
		{"negative Profiles", fresh(), hand(-1, 0, nil), ErrInvalid},
		{"negative Count", fresh(), hand(0, -1, nil), ErrInvalid},
		{"negative Histogram", fresh(), hand(0, 0, []int64{1, -1}), ErrInvalid},
		{"Histogram short of Profiles", fresh(), hand(3, 0, []int64{2}), ErrInvalid},
		{"Count not the Histogram's", fresh(), hand(2, 3, []int64{1, 1}), ErrInvalid},
		{"more Matched than Profiles", fresh(), hand(1, 1, []int64{0, 1}, 7, 8), ErrInvalid},
		{"Histogram overflowing", fresh(), hand(0, 0, []int64{math.MaxInt64, math.MaxInt64}), ErrInvalid},
		{"Count overflowing", fresh(), hand(2, 0, []int64{1, 0, 0, math.MaxInt64 / 2}), ErrInvalid},
		{"sum overflowing", fresh(), hand(math.MaxInt64, 0, []int64{math.MaxInt64}), ErrInvalid},
		{"inconsistent receiver", hand(5, 0, nil), fresh(), ErrInvalid},
		{"another pattern", fresh(), run(Sequence{Pattern: "(?2)(?1)", Conditions: q.Conditions}, ev(3, 0, "2"), ev(3, 1, "1")), ErrMismatch},
		{"other conditions", fresh(), run(Sequence{Pattern: q.Pattern, Conditions: dataConds([]int{1, 3})}, ev(3, 0, "1")), ErrMismatch},
		{"another unit", fresh(), run(Sequence{Pattern: q.Pattern, Conditions: q.Conditions, Unit: time.Minute}, ev(3, 0, "1")), ErrMismatch},
	} {
		var before *SequenceResult
		if c.recv != nil {
			before = cloneSequenceResult(c.recv)
		}
		err := c.recv.Merge(c.other)
		if !errors.Is(err, c.want) || !strings.Contains(err.Error(), "SequenceResult") {
			t.Errorf("%s: Merge = %v, want %v naming SequenceResult", c.name, err, c.want)
		}
		if c.recv != nil && !sameSequenceResult(c.recv, before) {
			t.Errorf("%s: the failed Merge changed the receiver from %+v to %+v", c.name, before, c.recv)
		}
	}
	self := fresh()
	if err := self.Merge(self); !errors.Is(err, ErrInvalid) {
		t.Errorf("Merge into itself = %v, want ErrInvalid", err)
	}
	empty := &SequenceResult{}
	if err := empty.Merge(empty); !errors.Is(err, ErrInvalid) {
		t.Errorf("the empty result merged into itself = %v, want ErrInvalid", err)
	}

	// Disjoint shards of one Sequence, MaxSteps aside (it only decides whether a run
	// fails), merge; so does a consistent result built by hand, whatever computed it.
	total := fresh()
	for _, other := range []*SequenceResult{
		run(Sequence{Pattern: q.Pattern, Conditions: q.Conditions, MaxSteps: 10, Unit: time.Second}, ev(3, 0, "1"), ev(3, 1, "2")),
		hand(2, 2, []int64{0, 2, 0}, 9),
		hand(0, 0, nil),
		{},
	} {
		if err := total.Merge(other); err != nil {
			t.Fatalf("Merge(%+v) = %v", other, err)
		}
	}
	want := &SequenceResult{Profiles: 5, Count: 4, Histogram: []int64{1, 4, 0}, Matched: roaring.BitmapOf(1, 3, 9), seq: q.fingerprint(), counted: roaring.BitmapOf(1, 2, 3, 9)}
	if !sameSequenceResult(total, want) {
		t.Errorf("merged %+v, want %+v", total, want)
	}
	// A hand-built receiver takes the Sequence of what it merges, and then holds to it.
	byHand := hand(1, 0, []int64{1})
	if err := byHand.Merge(fresh()); err != nil {
		t.Fatal(err)
	}
	if err := byHand.Merge(run(Sequence{Pattern: "(?1)", Conditions: q.Conditions}, ev(4, 0, "1"))); !errors.Is(err, ErrMismatch) {
		t.Errorf("a result of another Sequence into one that took the first's = %v, want ErrMismatch", err)
	}
}

// sameSequenceResult reports whether a and b hold the same figures, Sequence and
// counted profiles (a nil bitmap being the empty one).
func sameSequenceResult(a, b *SequenceResult) bool {
	ids := func(bm *roaring.Bitmap) []uint32 {
		if bm == nil {
			return nil
		}
		return bm.ToArray()
	}
	return a.Profiles == b.Profiles && a.Count == b.Count && slices.Equal(a.Histogram, b.Histogram) &&
		slices.Equal(ids(a.Matched), ids(b.Matched)) && slices.Equal(ids(a.counted), ids(b.counted)) && a.seq == b.seq
}

// cloneSequenceResult returns a deep copy of r, unexported fields included.
func cloneSequenceResult(r *SequenceResult) *SequenceResult {
	c := *r
	c.Histogram = slices.Clone(r.Histogram)
	if r.Matched != nil {
		c.Matched = r.Matched.Clone()
	}
	if r.counted != nil {
		c.counted = r.counted.Clone()
	}
	return &c
}

// TestSequenceResultMergeModel: Run, RunSeq or RunBatch over any partition of profiles
// into shards, merged in any order into the zero result, equal the model built from the
// one-group Match and Count of each profile's events (themselves held to Go's regexp
// above) and one Run over all the events, the profiles counted included. Any shard
// merged again is refused, leaving the total unchanged, when it counted a profile,
// matched or not (only a matched one was refused before); a shard of no profile adds
// nothing, and merges again.
func TestSequenceResultMergeModel(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		conds := rapid.IntRange(1, 3).Draw(t, "conds")
		pattern, _ := genPattern(t, conds)
		q := Sequence{Pattern: pattern, Conditions: maskConds(conds)}
		nshards := rapid.IntRange(1, 4).Draw(t, "shards")
		shards := make([][]Event, nshards)
		var all []Event
		want := &SequenceResult{Matched: roaring.New(), seq: q.fingerprint(), counted: roaring.New()}
		for p := uint32(1); p <= uint32(rapid.IntRange(0, 6).Draw(t, "profiles")); p++ {
			evs := genMasks(t, conds)
			if len(evs) == 0 {
				continue
			}
			for i := range evs {
				evs[i].Profile = p
			}
			s := rapid.IntRange(0, nshards-1).Draw(t, "shard")
			shards[s] = append(shards[s], evs...)
			all = append(all, evs...)
			m, err := q.Match(evs)
			if err != nil {
				t.Fatal(err)
			}
			n, err := q.Count(evs)
			if err != nil {
				t.Fatal(err)
			}
			want.Profiles++
			want.counted.Add(p)
			if m {
				want.Matched.Add(p)
			}
			want.Count += n
			for int64(len(want.Histogram)) <= n {
				want.Histogram = append(want.Histogram, 0)
			}
			want.Histogram[n]++
		}
		results := make([]*SequenceResult, nshards)
		for i, evs := range shards {
			results[i] = runSequenceForm(t, q, evs)
		}
		order := make([]int, nshards)
		for i := range order {
			order[i] = i
		}
		var total SequenceResult
		for _, i := range rapid.Permutation(order).Draw(t, "order") {
			if err := total.Merge(results[i]); err != nil {
				t.Fatalf("merge shard %d: %v", i, err)
			}
		}
		if !sameSequenceResult(&total, want) {
			t.Fatalf("merged %+v, model %+v", &total, want)
		}
		one, err := q.Run(all)
		if err != nil {
			t.Fatal(err)
		}
		if !sameSequenceResult(&total, one) {
			t.Fatalf("merged %+v, one Run over all %+v", &total, one)
		}
		again := results[rapid.IntRange(0, nshards-1).Draw(t, "again")]
		err = total.Merge(again)
		if again.Profiles > 0 && !errors.Is(err, ErrInvalid) {
			t.Fatalf("a shard counting %d (%d matched) merged twice = %v, want ErrInvalid", again.Profiles, again.Matched.GetCardinality(), err)
		}
		if again.Profiles == 0 && err != nil {
			t.Fatalf("a shard of no profile merged twice = %v", err)
		}
		if !sameSequenceResult(&total, want) {
			t.Fatalf("merging a shard again changed the total to %+v", &total)
		}
	})
}

// runSequenceForm runs q over evs by Run, RunSeq or RunBatch, as drawn.
func runSequenceForm(t *rapid.T, q Sequence, evs []Event) *SequenceResult {
	var r *SequenceResult
	var err error
	switch form := rapid.IntRange(0, 2).Draw(t, "form"); form {
	case 0:
		r, err = q.Run(evs)
	case 1:
		// RunSeq wants a profile's events together.
		evs = slices.Clone(evs)
		slices.SortStableFunc(evs, func(a, b Event) int { return cmp.Compare(a.Profile, b.Profile) })
		r, err = q.RunSeq(slices.Values(evs))
	default:
		r, err = q.RunBatch(batchOf(t, evs))
	}
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestSequenceResultMergeOverlap: shards that may share profiles (a profile's events
// all in two shards, or divided between them), merged in a drawn sequence that may
// repeat shards, against a model of sets: a merge is refused with ErrInvalid, leaving
// the total unchanged, exactly when its shard counted a profile that a merge already
// accepted counted; the total then equals one Run over the events of the accepted
// shards. Before, only a profile matched in both was refused, and the others counted
// twice.
func TestSequenceResultMergeOverlap(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		conds := rapid.IntRange(1, 3).Draw(t, "conds")
		pattern, _ := genPattern(t, conds)
		q := Sequence{Pattern: pattern, Conditions: maskConds(conds)}
		nshards := rapid.IntRange(1, 4).Draw(t, "shards")
		shards := make([][]Event, nshards)
		profiles := make([]map[uint32]bool, nshards) // the model: each shard's profiles
		for i := range profiles {
			profiles[i] = map[uint32]bool{}
		}
		for p := uint32(1); p <= uint32(rapid.IntRange(0, 6).Draw(t, "profiles")); p++ {
			evs := genMasks(t, conds)
			for i := range evs {
				evs[i].Profile = p
			}
			// Each event goes to one shard or, for a profile in several, to each of
			// them: whole, or divided.
			in := rapid.SliceOfNDistinct(rapid.IntRange(0, nshards-1), 1, nshards, rapid.ID[int]).Draw(t, "in")
			whole := rapid.Bool().Draw(t, "whole")
			for _, e := range evs {
				for _, s := range in {
					if !whole && len(in) > 1 && rapid.IntRange(0, 1).Draw(t, "take") == 0 {
						continue
					}
					shards[s] = append(shards[s], e)
					profiles[s][p] = true
				}
			}
		}
		results := make([]*SequenceResult, nshards)
		for i, evs := range shards {
			results[i] = runSequenceForm(t, q, evs)
		}
		var total SequenceResult
		seen := map[uint32]bool{}
		var accepted []Event
		for _, i := range rapid.SliceOfN(rapid.IntRange(0, nshards-1), 0, 2*nshards).Draw(t, "merges") {
			overlaps := false
			for p := range profiles[i] {
				overlaps = overlaps || seen[p]
			}
			before := cloneSequenceResult(&total)
			err := total.Merge(results[i])
			switch {
			case overlaps && !errors.Is(err, ErrInvalid):
				t.Fatalf("merge shard %d, sharing a profile with those merged: %v, want ErrInvalid", i, err)
			case overlaps && !sameSequenceResult(&total, before):
				t.Fatalf("a refused merge of shard %d changed the total from %+v to %+v", i, before, &total)
			case !overlaps && err != nil:
				t.Fatalf("merge shard %d, disjoint from those merged: %v", i, err)
			case !overlaps:
				for p := range profiles[i] {
					seen[p] = true
				}
				accepted = append(accepted, shards[i]...)
			}
		}
		want, err := q.Run(accepted)
		if err != nil {
			t.Fatal(err)
		}
		if total.seq == "" { // nothing merged: the zero result names no Sequence
			want.seq = ""
		}
		if !sameSequenceResult(&total, want) {
			t.Fatalf("merged %+v, one Run over the accepted shards %+v", &total, want)
		}
	})
}

// TestSequenceResultMergeNoPanic: Merge of arbitrary results, consistent or not, nil or
// not, built by hand or by Run of different Sequences, the receiver itself or another,
// Histograms in one array or not, never panics; on error the receiver is unchanged and
// the sentinel is ErrInvalid or ErrMismatch; on success the receiver holds the sums,
// and is consistent whenever both were (a merged result merges on). Merge is
// SequenceResult's only method: a method added later must join this property.
func TestSequenceResultMergeNoPanic(t *testing.T) {
	if n := reflect.TypeFor[*SequenceResult]().NumMethod(); n != 1 {
		t.Fatalf("*SequenceResult has %d exported methods; add the new ones to this property", n)
	}
	ev := func(p uint32, sec int64, name string) Event { return Event{Profile: p, Time: at(sec), Name: name} }
	gen := func(t *rapid.T, label string) *SequenceResult {
		switch rapid.IntRange(0, 6).Draw(t, label+" kind") {
		case 0:
			return nil
		case 1, 2: // a Run of one of two Sequences over a few profiles
			q := Sequence{Pattern: rapid.SampledFrom([]string{"(?1)", "(?1)(?2)"}).Draw(t, label+" pattern"), Conditions: dataConds([]int{1, 2})}
			var evs []Event
			for p := range rapid.IntRange(0, 4).Draw(t, label+" profiles") {
				for range rapid.IntRange(1, 3).Draw(t, label+" events") {
					evs = append(evs, ev(uint32(rapid.IntRange(1, 8).Draw(t, label+" profile")), int64(p), rapid.SampledFrom([]string{"1", "2", "3"}).Draw(t, label+" name")))
				}
			}
			// Profiles drawn again may repeat across the two results: a shard merged
			// twice, or overlapping shards.
			r, err := q.Run(evs)
			if err != nil {
				t.Fatal(err)
			}
			return r
		case 3, 4: // consistent, built by hand, with figures near the range of int64
			r := &SequenceResult{}
			for k := range rapid.IntRange(0, 4).Draw(t, label+" len") {
				n := rapid.OneOf(rapid.Int64Range(0, 3), rapid.Int64Range(math.MaxInt64/8, math.MaxInt64/2)).Draw(t, label+" n")
				if n > math.MaxInt64-r.Profiles || k > 0 && n > (math.MaxInt64-r.Count)/int64(k) {
					break
				}
				r.Histogram = append(r.Histogram, n)
				r.Profiles += n
				r.Count += int64(k) * n
			}
			if rapid.Bool().Draw(t, label+" matched") {
				r.Matched = roaring.New()
				for range min(r.Profiles, int64(rapid.IntRange(0, 3).Draw(t, label+" matches"))) {
					r.Matched.Add(uint32(rapid.IntRange(1, 8).Draw(t, label+" id")))
				}
			}
			if rapid.Bool().Draw(t, label+" counted") { // as a merge of Runs and such results holds
				r.counted = roaring.New()
				for range min(r.Profiles, int64(rapid.IntRange(0, 4).Draw(t, label+" counts"))) {
					r.counted.Add(uint32(rapid.IntRange(1, 8).Draw(t, label+" counted id")))
				}
			}
			return r
		default: // anything
			r := &SequenceResult{
				Profiles:  rapid.OneOf(rapid.Int64Range(-2, 5), rapid.Int64()).Draw(t, label+" Profiles"),
				Count:     rapid.OneOf(rapid.Int64Range(-2, 5), rapid.Int64()).Draw(t, label+" Count"),
				Histogram: rapid.SliceOfN(rapid.OneOf(rapid.Int64Range(-2, 5), rapid.Int64()), 0, 4).Draw(t, label+" Histogram"),
			}
			if rapid.Bool().Draw(t, label+" matched") {
				r.Matched = roaring.BitmapOf(rapid.SliceOfN(rapid.Uint32Range(0, 8), 0, 4).Draw(t, label+" ids")...)
			}
			if rapid.Bool().Draw(t, label+" counted") {
				r.counted = roaring.BitmapOf(rapid.SliceOfN(rapid.Uint32Range(0, 8), 0, 4).Draw(t, label+" counted ids")...)
			}
			return r
		}
	}
	copyOf := cloneSequenceResult
	rapid.Check(t, func(t *rapid.T) {
		r := gen(t, "r")
		other := r
		if rapid.IntRange(0, 7).Draw(t, "self") > 0 {
			other = gen(t, "other")
		}
		if rapid.IntRange(0, 4).Draw(t, "share") == 0 {
			// Consistent results whose Histograms are windows on one array, which
			// may overlap, either first.
			h := rapid.SliceOfN(rapid.Int64Range(0, 3), 1, 6).Draw(t, "shared")
			window := func(label string) *SequenceResult {
				lo := rapid.IntRange(0, len(h)).Draw(t, label+" lo")
				w := h[lo:rapid.IntRange(lo, len(h)).Draw(t, label+" hi")]
				res := &SequenceResult{Histogram: w}
				for k, n := range w {
					res.Profiles += n
					res.Count += int64(k) * n
				}
				return res
			}
			r, other = window("r"), window("other")
		}
		var before, otherBefore *SequenceResult
		if r != nil {
			before = copyOf(r)
		}
		if other != nil {
			otherBefore = copyOf(other)
		}
		err := r.Merge(other)
		if other != nil && other != r && !sameSequenceResult(other, otherBefore) {
			t.Fatalf("Merge changed its argument from %+v to %+v", otherBefore, other)
		}
		if err != nil {
			if !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrMismatch) {
				t.Fatalf("Merge = %v, want ErrInvalid or ErrMismatch", err)
			}
			if r != nil && !sameSequenceResult(r, before) {
				t.Fatalf("a refused Merge (%v) changed the receiver from %+v to %+v", err, before, r)
			}
			return
		}
		if r == nil || other == nil || r == other {
			t.Fatalf("Merge of %+v into %+v succeeded", other, before)
		}
		if r.Profiles != before.Profiles+other.Profiles || r.Count != before.Count+other.Count {
			t.Fatalf("%+v merged into %+v = %+v", other, before, r)
		}
		if n := overlapBitmaps(before.known(), other.known()); n > 0 {
			t.Fatalf("%+v merged into %+v, though %d profiles are known counted in both", other, before, n)
		}
		if want := roaring.FastOr(append(before.known(), other.known()...)...); !roaring.FastOr(r.known()...).Equals(want) {
			t.Fatalf("%+v merged into %+v knows the profiles %v counted, want %v", other, before, roaring.FastOr(r.known()...), want)
		}
		if err := r.check("the merged"); err != nil {
			t.Fatalf("%+v merged into %+v: %v", other, before, err)
		}
	})
}

// TestSequenceResultMergeSharedHistogram: results built by hand whose Histograms share
// one array, the receiver's after the other's, merge into the right sums and leave the
// other unchanged, where the sum wrote the receiver's cells before reading the other's
// from the same memory ([2 2] for [2 1]) and changed the other.
func TestSequenceResultMergeSharedHistogram(t *testing.T) {
	h := []int64{1, 1, 0}
	other := &SequenceResult{Profiles: 2, Count: 1, Histogram: h[0:2]}
	r := &SequenceResult{Profiles: 1, Histogram: h[1:2]}
	if err := r.Merge(other); err != nil {
		t.Fatal(err)
	}
	if want := []int64{2, 1}; r.Profiles != 3 || r.Count != 1 || !slices.Equal(r.Histogram, want) {
		t.Errorf("merged %+v, want 3 profiles, 1 match, Histogram %v", r, want)
	}
	if want := []int64{1, 1}; !slices.Equal(other.Histogram, want) {
		t.Errorf("Merge changed the other's Histogram to %v, want %v", other.Histogram, want)
	}
}
