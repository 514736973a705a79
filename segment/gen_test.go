package segment

import (
	"errors"
	"math"
	"slices"
	"strconv"
	"time"

	"pgregory.net/rapid"
)

// Generators shared by the property tests: a small vocabulary, so that random queries
// hit the random data, plus a few names the index has never seen.

var (
	genKeys    = []string{"plan", "tag", "city"}
	genValues  = []string{"pro", "free", "team", "new york", "and", ""}
	genFields  = []string{"spend", "score.p_alive", "age"}
	genEvents  = []string{"visit", "purchase", "page view"}
	genRules   = map[string]MergeRule{"spend": MergeSum, "score.p_alive": MergeLast, "age": MergeMax}
	genToday   = int32(20400) // 2025-11-08
	genHorizon = 12           // days of activity before genToday
)

func genProfile() *rapid.Generator[uint32] {
	return rapid.OneOf(
		rapid.Uint32Range(0, 40),
		rapid.SampledFrom([]uint32{65535, 65536, 1 << 20, math.MaxUint32 - 1, math.MaxUint32}),
	)
}

func genNumber() *rapid.Generator[int64] {
	return rapid.OneOf(
		rapid.Int64Range(-20, 20),
		rapid.Int64Range(-1000, 100000),
		rapid.SampledFrom([]int64{math.MinInt64, math.MinInt64 + 1, math.MaxInt64, math.MaxInt64 - 1, -1, 0, 1, 1 << 40, -(1 << 40)}),
		rapid.Int64(),
	)
}

func genDay() *rapid.Generator[int32] {
	return rapid.Int32Range(genToday-int32(genHorizon), genToday+2)
}

// dayInstant returns an instant on day d, at a generated time of day.
func dayInstant(t *rapid.T, d int32) time.Time {
	sec := rapid.Int64Range(0, 86399).Draw(t, "second")
	return time.Unix(int64(d)*86400+sec, 0).UTC()
}

func genComparison(t *rapid.T) (cmpOp, int64, int64) {
	op := cmpOp(rapid.IntRange(int(opEQ), int(opBetween)).Draw(t, "op"))
	n := genNumber().Draw(t, "n")
	n2 := int64(0)
	if op == opBetween {
		n2 = genNumber().Draw(t, "n2")
	}
	return op, n, n2
}

func genCountComparison(t *rapid.T) (cmpOp, int64, int64) {
	op := cmpOp(rapid.IntRange(int(opEQ), int(opBetween)).Draw(t, "op"))
	n := rapid.Int64Range(-1, 6).Draw(t, "n")
	return op, n, rapid.Int64Range(-1, 8).Draw(t, "n2")
}

// genLeaf draws a predicate over the vocabulary; unknown says whether names outside it
// may appear.
func genLeaf(t *rapid.T, unknown bool, segments []string) node {
	name := func(label string, vocab []string) string {
		if unknown && rapid.IntRange(0, 8).Draw(t, label+"?") == 0 {
			return "nosuch"
		}
		return rapid.SampledFrom(vocab).Draw(t, label)
	}
	kinds := 6
	if len(segments) > 0 {
		kinds = 7
	}
	switch rapid.IntRange(0, kinds-1).Draw(t, "leaf") {
	case 0:
		return &traitNode{key: name("key", genKeys), value: rapid.SampledFrom(genValues).Draw(t, "value")}
	case 1:
		vals := rapid.SliceOfN(rapid.SampledFrom(genValues), 1, 3).Draw(t, "values")
		return &inNode{field: name("key", genKeys), values: vals, valAt: make([]Pos, len(vals))}
	case 2:
		nums := rapid.SliceOfN(genNumber(), 1, 3).Draw(t, "nums")
		vals := make([]string, len(nums))
		for i, v := range nums {
			vals[i] = strconv.FormatInt(v, 10)
		}
		return &inNode{field: name("field", genFields), values: vals, valAt: make([]Pos, len(vals))}
	case 3:
		op, n, n2 := genComparison(t)
		return &cmpNode{field: name("field", genFields), op: op, n: n, n2: n2}
	case 4, 5:
		fn := fnKind(rapid.IntRange(int(fnDid), int(fnDays)).Draw(t, "fn"))
		a := &actNode{fn: fn, event: name("event", genEvents), days: rapid.IntRange(1, genHorizon+3).Draw(t, "days")}
		if fn == fnDid && rapid.Bool().Draw(t, "ever") {
			a.days = 0
		}
		if fn == fnCount || fn == fnDays {
			a.op, a.n, a.n2 = genCountComparison(t)
		}
		return a
	default:
		return &segNode{name: rapid.SampledFrom(segments).Draw(t, "segment")}
	}
}

// genQuery draws a random expression tree of bounded depth.
func genQuery(t *rapid.T, depth int, unknown bool, segments []string) node {
	if depth == 0 || rapid.IntRange(0, 2).Draw(t, "stop") == 0 {
		return genLeaf(t, unknown, segments)
	}
	switch rapid.IntRange(0, 2).Draw(t, "op") {
	case 0:
		return &notNode{kid: genQuery(t, depth-1, unknown, segments)}
	case 1:
		n := rapid.IntRange(2, 4).Draw(t, "kids")
		kids := make([]node, n)
		for i := range kids {
			kids[i] = genQuery(t, depth-1, unknown, segments)
		}
		return &andNode{kids: kids}
	default:
		n := rapid.IntRange(2, 4).Draw(t, "kids")
		kids := make([]node, n)
		for i := range kids {
			kids[i] = genQuery(t, depth-1, unknown, segments)
		}
		return &orNode{kids: kids}
	}
}

// drawWriteName draws a name for a write from vocab, or now and then the empty name, which
// the writes refuse or ignore (see Index.SetNumber and Index.Record).
func drawWriteName(t *rapid.T, label string, vocab []string) string {
	if rapid.IntRange(0, 15).Draw(t, label+" empty?") == 0 {
		return ""
	}
	return rapid.SampledFrom(vocab).Draw(t, label)
}

// scenario fills an Index and a model with the same random data.
func scenario(t *rapid.T, opts ...Option) (*Index, *model) {
	opts = append([]Option{WithTraits(genKeys...), WithEvents(genEvents...)}, opts...)
	for f, r := range genRules {
		opts = append(opts, WithNumber(f, r))
	}
	x := mustIndex(opts...)
	m := newModel()
	m.retention = x.retention
	for _, k := range genKeys {
		m.declareTrait(k)
	}
	for _, e := range genEvents {
		m.declareEvent(e)
	}
	for f, r := range genRules {
		m.declareNumber(f)
		m.rules[f] = r
	}
	steps := rapid.IntRange(10, 80).Draw(t, "steps")
	for range steps {
		switch rapid.IntRange(0, 10).Draw(t, "step") {
		case 0:
			tag := rapid.SampledFrom(genKeys).Draw(t, "key") + ":" + rapid.SampledFrom(genValues).Draw(t, "value")
			if rapid.IntRange(0, 4).Draw(t, "bare") == 0 {
				tag = rapid.SampledFrom(genValues).Draw(t, "value")
			}
			ps := rapid.SliceOfN(genProfile(), 0, 8).Draw(t, "profiles")
			x.Tag(tag, ps...)
			m.tag(tag, ps...)
		case 1:
			tag := rapid.SampledFrom(genKeys).Draw(t, "key") + ":" + rapid.SampledFrom(genValues).Draw(t, "value")
			ps := rapid.SliceOfN(genProfile(), 0, 4).Draw(t, "profiles")
			x.Untag(tag, ps...)
			m.untag(tag, ps...)
		case 2:
			k, v := rapid.SampledFrom(genKeys).Draw(t, "key"), rapid.SampledFrom(genValues).Draw(t, "value")
			ps := rapid.SliceOfN(genProfile(), 0, 4).Draw(t, "profiles")
			x.SetTrait(k, v, ps...)
			m.setTrait(k, v, ps...)
		case 3:
			f, p, v := drawWriteName(t, "field", genFields), genProfile().Draw(t, "p"), genNumber().Draw(t, "v")
			x.SetNumber(f, p, v)
			m.setNumber(f, p, v)
		case 4:
			f := drawWriteName(t, "field", genFields)
			ps := rapid.SliceOfN(genProfile(), 0, 10).Draw(t, "profiles")
			vs := make([]int64, len(ps))
			for i := range vs {
				vs[i] = genNumber().Draw(t, "v")
			}
			if err := x.SetNumbers(f, ps, vs); (f == "") != errors.Is(err, ErrInvalid) {
				t.Fatalf("SetNumbers(%q) = %v", f, err)
			}
			m.setNumbers(f, ps, vs) // which, like SetNumbers, refuses the empty field
		case 5:
			f := drawWriteName(t, "field", genFields)
			ps := rapid.SliceOfN(genProfile(), 0, 3).Draw(t, "profiles")
			x.ClearNumber(f, ps...)
			m.clearNumber(f, ps...)
		case 6:
			e, p, d := drawWriteName(t, "event", genEvents), genProfile().Draw(t, "p"), genDay().Draw(t, "day")
			x.Record(dayInstant(t, d), p, e)
			m.record(e, p, d)
		case 7:
			n := rapid.IntRange(0, 30).Draw(t, "batch")
			batch := make([]Activity, n)
			days := make([]int32, n)
			blank := false
			for i := range batch {
				e, p, d := drawWriteName(t, "event", genEvents), genProfile().Draw(t, "p"), genDay().Draw(t, "day")
				batch[i] = Activity{Event: e, Profile: p, At: dayInstant(t, d)}
				days[i] = d
				blank = blank || e == ""
			}
			if err := x.RecordBatch(batch); blank != errors.Is(err, ErrInvalid) {
				t.Fatalf("RecordBatch = %v with an empty event %v", err, blank)
			}
			if !blank { // a batch with an empty event is refused whole
				for i, a := range batch {
					m.record(a.Event, a.Profile, days[i])
				}
			}
		case 8:
			s := genProfile().Draw(t, "survivor")
			abs := rapid.SliceOfN(genProfile(), 0, 3).Draw(t, "absorbed")
			x.applyMerge(s, abs...)
			m.merge(s, abs...)
		case 9:
			d := genDay().Draw(t, "expire at") - 3
			x.Expire(time.Unix(int64(d)*86400, 0))
			m.expire(d)
		case 10:
			ps := rapid.SliceOfN(genProfile(), 0, 3).Draw(t, "forget")
			err := x.Forget(ps...)
			if slices.Contains(ps, 0) != errors.Is(err, ErrInvalid) {
				t.Fatalf("Forget(%v) = %v", ps, err)
			}
			m.forget(ps...) // which, like Forget, refuses a zero profile and changes nothing
		}
	}
	return x, m
}
