package funnel

import (
	"bytes"
	"errors"
	"iter"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"
)

// refSpan is the reference model of a profile's canonical conversion, from Level
// alone: it reached level L first at T, the earliest instant by which its events reach
// L, and its conversion started at S, the latest instant from which the events in
// [S, T] still reach L.
func refSpan(s Spec, evs []Event) (level int, S, T time.Time) {
	level = s.Level(evs)
	if level == 0 {
		return 0, S, T
	}
	within := func(lo, hi time.Time) []Event {
		var out []Event
		for _, e := range evs {
			if !e.Time.Before(lo) && !e.Time.After(hi) {
				out = append(out, e)
			}
		}
		return out
	}
	var times []time.Time
	for _, e := range evs {
		times = append(times, e.Time)
	}
	slices.SortFunc(times, func(a, b time.Time) int { return a.Compare(b) })
	for _, t := range times {
		if s.Level(within(times[0], t)) >= level {
			T = t
			break
		}
	}
	for i := len(times) - 1; i >= 0; i-- {
		if !times[i].After(T) && s.Level(within(times[i], T)) >= level {
			S = times[i]
			break
		}
	}
	return level, S, T
}

// refPeriodStart is the reference model of a period's start: the instant's calendar
// day, its week's Monday or its month's first day, at midnight in loc.
func refPeriodStart(t time.Time, by Period, loc *time.Location) time.Time {
	t = t.In(loc)
	y, m, d := t.Date()
	switch by {
	case Week:
		back := (int(t.Weekday()) + 6) % 7
		return time.Date(y, m, d-back, 0, 0, 0, 0, loc)
	case Month:
		return time.Date(y, m, 1, 0, 0, 0, 0, loc)
	}
	return time.Date(y, m, d, 0, 0, 0, 0, loc)
}

type refTrendPeriod struct {
	steps []int64
	times []time.Duration
}

// Each period's counts and times to convert equal the reference model's, on the three
// input forms and after a split into two shards whose partials go through
// MarshalBinary, Partial[*TrendResult].UnmarshalBinary and Merge.
func TestTrendReference(t *testing.T) {
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Skip(err)
	}
	rapid.Check(t, func(t *rapid.T) {
		var steps []Step
		for range rapid.IntRange(1, 3).Draw(t, "steps") {
			steps = append(steps, Step{Name: rapid.SampledFrom([]string{"a", "b", "c"}).Draw(t, "step")})
		}
		tr := Trend{
			Spec:     Spec{Steps: steps, Window: time.Duration(rapid.SampledFrom([]int{0, 20, 60}).Draw(t, "window")) * time.Hour},
			By:       Period(rapid.IntRange(0, 2).Draw(t, "by")),
			Location: rapid.SampledFrom([]*time.Location{time.UTC, tokyo}).Draw(t, "loc"),
		}
		base := time.Date(2025, 1, 27, 0, 0, 0, 0, time.UTC)
		var events []Event
		for range rapid.IntRange(0, 40).Draw(t, "events") {
			events = append(events, Event{
				Profile: uint32(rapid.IntRange(1, 8).Draw(t, "profile")),
				Time:    base.Add(time.Duration(rapid.IntRange(0, 24*40).Draw(t, "hour")) * time.Hour),
				Name:    rapid.SampledFrom([]string{"a", "b", "c", "x"}).Draw(t, "name"),
			})
		}
		byProf := map[uint32][]Event{}
		for _, e := range events {
			byProf[e.Profile] = append(byProf[e.Profile], e)
		}
		want := map[time.Time]*refTrendPeriod{}
		for _, evs := range byProf {
			level, S, T := refSpan(tr.Spec, evs)
			if level == 0 {
				continue
			}
			k := refPeriodStart(S, tr.By, tr.Location)
			w := want[k]
			if w == nil {
				w = &refTrendPeriod{steps: make([]int64, len(steps))}
				want[k] = w
			}
			for s := range level {
				w.steps[s]++
			}
			if level == len(steps) {
				w.times = append(w.times, T.Sub(S))
			}
		}
		res, err := tr.Run(events)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Periods) != len(want) {
			t.Fatalf("%d periods, reference %d", len(res.Periods), len(want))
		}
		for _, pd := range res.Periods {
			w := want[pd.Start]
			if w == nil {
				t.Fatalf("period %v not in the reference", pd.Start)
			}
			for s, r := range pd.Steps {
				if r.K != w.steps[s] || r.N != w.steps[0] {
					t.Fatalf("period %v step %d: %d of %d, reference %d of %d", pd.Start, s, r.K, r.N, w.steps[s], w.steps[0])
				}
			}
			slices.Sort(w.times)
			if pd.TimeToConvert.N != int64(len(w.times)) || len(w.times) > 0 && pd.TimeToConvert.Median != Durations(w.times).Median() {
				t.Fatalf("period %v: time to convert %+v, reference %v", pd.Start, pd.TimeToConvert, w.times)
			}
			if ttc := pd.TimeToConvert; ttc.N > 0 && (ttc.Lo > ttc.Median || ttc.Median > ttc.Hi) {
				t.Fatalf("period %v: median outside its interval %+v", pd.Start, ttc)
			}
		}
		sameForms(t, events, res, func(e iter.Seq[Event]) (*TrendResult, error) { return tr.RunSeq(e) },
			func(b *Batch) (*TrendResult, error) { return tr.RunBatch(b) }, locEqual)
		// Two shards, by profile parity, through the encoding.
		var odd, even []Event
		for _, e := range events {
			if e.Profile%2 == 1 {
				odd = append(odd, e)
			} else {
				even = append(even, e)
			}
		}
		merged := decodedTrend(t, tr, odd)
		if err := merged.Merge(decodedTrend(t, tr, even)); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(res, result(merged), locEqual); diff != "" {
			t.Fatalf("merged shards differ (-one pass +merged):\n%s", diff)
		}
	})
}

// locEqual compares locations by identity (time.Location has unexported fields).
var locEqual = cmp.Comparer(func(a, b *time.Location) bool { return a == b })

func decodedTrend(t *rapid.T, tr Trend, events []Event) *Partial[*TrendResult] {
	tp, err := tr.Partial(events)
	if err != nil {
		t.Fatal(err)
	}
	data, err := tp.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	back, err := decodeTrendPartial(tr, data)
	if err != nil {
		t.Fatal(err)
	}
	return back
}

func TestTrendInvalid(t *testing.T) {
	good := Trend{Spec: Spec{Steps: named("a", "b")}, By: Week}
	if _, err := (Trend{Spec: good.Spec, By: 9}).Run(nil); !errors.Is(err, ErrInvalid) {
		t.Error(err)
	}
	if _, err := (Trend{}).Run(nil); !errors.Is(err, ErrInvalid) {
		t.Error(err)
	}
	tp, _ := good.Partial([]Event{{Profile: 1, Time: at(0), Name: "a"}, {Profile: 1, Time: at(5), Name: "b"}})
	data, _ := tp.MarshalBinary()
	other := Trend{Spec: good.Spec, By: Day}
	if _, err := decodeTrendPartial(other, data); !errors.Is(err, ErrMismatch) {
		t.Errorf("another period: %v", err)
	}
	otp, _ := other.Partial(nil)
	if err := tp.Merge(otp); !errors.Is(err, ErrMismatch) {
		t.Errorf("merge: %v", err)
	}
	data[len(data)/2] ^= 1
	if _, err := decodeTrendPartial(good, data); !errors.Is(err, ErrCorrupt) {
		t.Errorf("flipped bit: %v", err)
	}
	unsorted := []Event{{Profile: 1, Time: at(0), Name: "a"}, {Profile: 2, Time: at(0), Name: "a"}, {Profile: 1, Time: at(1), Name: "b"}}
	if _, err := good.RunSeq(slices.Values(unsorted)); !errors.Is(err, ErrUnsorted) {
		t.Error(err)
	}
}

// FuzzTrendDecode: whatever the bytes, Partial[*TrendResult].UnmarshalBinary decodes a
// partial or an error (ErrCorrupt or ErrMismatch), never panics, in both versions it
// reads (bodies framed as version 1 or countedVersion, and version 1 encodings among
// the seeds). What it accepts computes a Result, re-encodes (as countedVersion) to
// bytes that decode to the same Result and re-encode to themselves (not necessarily
// the bytes given: roaring's reader ignores the offset table of the portable format),
// and merges into an empty partial, which then refuses it a second time exactly when
// it knows a profile it counted (one decoded from version 1 knows none).
func FuzzTrendDecode(f *testing.F) {
	tr := Trend{Spec: Spec{Steps: named("a", "b")}, By: Day}
	tp, _ := tr.partial([]Event{
		{Profile: 1, Time: at(0), Name: "a"}, {Profile: 1, Time: at(9), Name: "b"},
		{Profile: 2, Time: at(100000), Name: "a"},
	})
	empty, _ := tr.newState()
	for _, p := range []*trendPartial{tp, empty} {
		addVersionSeeds(f, p.marshal)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		data = framedVersioned(trendMagic, countedVersion, data)
		got, err := decodeTrendPartial(tr, data)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrMismatch) {
				t.Fatalf("error %v is neither ErrCorrupt nor ErrMismatch", err)
			}
			return
		}
		res, err := got.Result()
		if err != nil {
			t.Fatal(err)
		}
		again, err := got.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		back, err := decodeTrendPartial(tr, again)
		if err != nil {
			t.Fatalf("re-encoded partial refused: %v", err)
		}
		if diff := cmp.Diff(res, result(back), locEqual); diff != "" {
			t.Fatalf("re-encoded partial differs:\n%s", diff)
		}
		if third, _ := back.MarshalBinary(); !bytes.Equal(third, again) {
			t.Fatalf("encoding is not a fixed point:\n% x\n% x", again, third)
		}
		merged, _ := tr.NewPartial()
		if err := merged.Merge(got); err != nil {
			t.Fatalf("merge into an empty partial: %v", err)
		}
		if diff := cmp.Diff(res, result(merged), locEqual); diff != "" {
			t.Fatalf("merged into an empty partial, the result differs:\n%s", diff)
		}
		known := got.st.(*trendPartial).counted.bitmap().GetCardinality()
		if err := merged.Merge(got); (err != nil) != (known > 0) || err != nil && !errors.Is(err, ErrInvalid) {
			t.Fatalf("merged a second time, knowing %d of its profiles: %v", known, err)
		}
	})
}
