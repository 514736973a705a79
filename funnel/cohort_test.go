package funnel

import (
	"cmp"
	"errors"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
	_ "time/tzdata"

	"github.com/RoaringBitmap/roaring/v2"
	gocmp "github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"
)

// civilPeriod returns the period of t in loc by calendar arithmetic on dates, independently
// of the calendar type: days, Monday-weeks or months since 1970-01-01.
func civilPeriod(t time.Time, by Period, loc *time.Location) int64 {
	y, m, d := t.In(loc).Date()
	date := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	days := int64(date.Sub(time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)) / (24 * time.Hour))
	switch by {
	case Week:
		back := (int(date.Weekday()) + 6) % 7 // days since Monday
		return (days - int64(back) + 3) / 7
	case Month:
		return int64(y)*12 + int64(m) - 1
	}
	return days
}

// ny is a zone with daylight saving time (the tz database is linked into the tests by
// time/tzdata, so that machines without one load it too).
var ny = func() *time.Location {
	loc, err := time.LoadLocation("America/New_York")
	if err != nil {
		panic(err)
	}
	return loc
}()

// genCohorts draws a cohort table's description and events of six profiles over four
// months, grouped by profile, each profile's in random time order.
func genCohorts(t *rapid.T) (Cohorts, []Event) {
	c := Cohorts{
		Start:     Step{Name: rapid.SampledFrom([]string{"", "a"}).Draw(t, "start")},
		Return:    Step{Name: rapid.SampledFrom([]string{"", "b"}).Draw(t, "return")},
		By:        Period(rapid.IntRange(0, 2).Draw(t, "by")),
		Periods:   rapid.IntRange(0, 6).Draw(t, "periods"),
		Retention: RetentionRule(rapid.IntRange(0, 1).Draw(t, "rule")),
	}
	if rapid.Bool().Draw(t, "ny") {
		c.Location = ny
	}
	if rapid.Bool().Draw(t, "brackets?") {
		c.Brackets = []Bracket{{1, 1}, {2, 4}}
	}
	base := time.Date(2025, 1, 27, 0, 0, 0, 0, time.UTC)
	var evs []Event
	for p := 1; p <= 6; p++ {
		for range rapid.IntRange(0, 6).Draw(t, "n") {
			hours := rapid.IntRange(0, 24*120).Draw(t, "hours")
			evs = append(evs, Event{Profile: uint32(p), Time: base.Add(time.Duration(hours) * time.Hour), Name: rapid.SampledFrom([]string{"a", "b", "c"}).Draw(t, "name")})
		}
	}
	return c, evs
}

// TestCohortsMatchReference holds cohort tables against a direct count: every profile's
// cohort and return periods by date arithmetic, then every cell by its definition.
func TestCohortsMatchReference(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		c, evs := genCohorts(t)
		got, err := c.Run(evs)
		if err != nil {
			t.Fatal(err)
		}
		loc := c.Location
		if loc == nil {
			loc = time.UTC
		}
		want := map[int64][]int64{}
		members := map[int64][]uint32{}
		for prof, pe := range byProfile(evs) {
			var start time.Time
			for _, e := range pe {
				if (c.Start.Name == "" || e.Name == c.Start.Name) && (start.IsZero() || e.Time.Before(start)) {
					start = e.Time
				}
			}
			if start.IsZero() {
				continue
			}
			coh := civilPeriod(start, c.By, loc)
			var offs []int64
			for _, e := range pe {
				if (c.Return.Name == "" || e.Name == c.Return.Name) && !e.Time.Before(start) {
					if k := civilPeriod(e.Time, c.By, loc) - coh; k > 0 {
						offs = append(offs, k)
					}
				}
			}
			cols := [][2]int64{}
			if len(c.Brackets) > 0 {
				for _, b := range c.Brackets {
					cols = append(cols, [2]int64{int64(b.From), int64(b.To)})
				}
			} else {
				for k := 0; k <= c.Periods; k++ {
					cols = append(cols, [2]int64{int64(k), int64(k)})
				}
			}
			if want[coh] == nil {
				want[coh] = make([]int64, len(cols)+1)
			}
			want[coh][0]++
			members[coh] = append(members[coh], prof)
			for i, col := range cols {
				hit := col[1] == 0
				for _, k := range offs {
					if (k >= col[0] && k <= col[1]) || (c.Retention == OnOrAfter && len(c.Brackets) == 0 && k >= col[0]) {
						hit = true
					}
				}
				if hit {
					want[coh][i+1]++
				}
			}
		}
		if len(got.Cohorts) != len(want) {
			t.Fatalf("%d cohorts, want %d", len(got.Cohorts), len(want))
		}
		for _, row := range got.Cohorts {
			k := civilPeriod(row.Start, c.By, loc)
			w := want[k]
			if w == nil {
				t.Fatalf("cohort %v not expected", row.Start)
			}
			if diff := gocmp.Diff(w, append([]int64{row.Size}, row.Retained...)); diff != "" {
				t.Fatalf("cohort %v (-want +got):\n%s", row.Start, diff)
			}
			slices.Sort(members[k])
			if !row.Profiles.Equals(roaring.BitmapOf(members[k]...)) {
				t.Fatalf("cohort %v members %v, want %v", row.Start, row.Profiles.ToArray(), members[k])
			}
		}
		// Shards merged after a round trip through bytes give the same table.
		var merged *Partial[*Table]
		for shard := range 3 {
			var part []Event
			for _, e := range evs {
				if int(e.Profile)%3 == shard {
					part = append(part, e)
				}
			}
			cp, err := c.Partial(part)
			if err != nil {
				t.Fatal(err)
			}
			data, err := cp.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			back, err := decodeCohortPartial(c, data)
			if err != nil {
				t.Fatal(err)
			}
			if merged == nil {
				merged = back
			} else if err := merged.Merge(back); err != nil {
				t.Fatal(err)
			}
		}
		if diff := gocmp.Diff(got, result(merged), tableOpts...); diff != "" {
			t.Fatalf("merged shards differ (-single +merged):\n%s", diff)
		}
	})
}

// TestCohortFormsAgree: a slice, a stream grouped by profile and a columnar Batch give
// the same table, and a stream whose profile reappears is refused.
func TestCohortFormsAgree(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		c, evs := genCohorts(t)
		want, err := c.Run(rapid.Permutation(evs).Draw(t, "shuffled"))
		if err != nil {
			t.Fatal(err)
		}
		seq, err := c.RunSeq(slices.Values(evs))
		if err != nil {
			t.Fatal(err)
		}
		b := batchOf(t, evs)
		batch, err := c.RunBatch(b)
		if err != nil {
			t.Fatal(err)
		}
		if diff := gocmp.Diff(want, seq, tableOpts...); diff != "" {
			t.Fatalf("RunSeq differs (-Run +RunSeq):\n%s", diff)
		}
		if diff := gocmp.Diff(want, batch, tableOpts...); diff != "" {
			t.Fatalf("RunBatch differs (-Run +RunBatch):\n%s", diff)
		}
		// Two streamed shards, split at a profile boundary, merged: the same.
		cut := profileCut(evs)
		left, err := c.PartialSeq(slices.Values(evs[:cut]))
		if err != nil {
			t.Fatal(err)
		}
		right, err := c.PartialSeq(slices.Values(evs[cut:]))
		if err != nil {
			t.Fatal(err)
		}
		if err := left.Merge(right); err != nil {
			t.Fatal(err)
		}
		if diff := gocmp.Diff(want, result(left), tableOpts...); diff != "" {
			t.Fatalf("merged PartialSeq shards differ (-Run +merged):\n%s", diff)
		}
		if len(evs) > 0 && evs[0].Profile != evs[len(evs)-1].Profile {
			again := append(slices.Clone(evs), evs[0])
			if _, err := c.RunSeq(slices.Values(again)); !errors.Is(err, ErrUnsorted) {
				t.Fatalf("profile %d again at the end: %v, want ErrUnsorted", evs[0].Profile, err)
			}
		}
	})
}

// TestCohortCompleteness: a cell is complete once its period has ended.
func TestCohortCompleteness(t *testing.T) {
	d := func(day int) time.Time { return time.Date(2025, 3, day, 12, 0, 0, 0, time.UTC) }
	evs := []Event{
		{Profile: 1, Time: d(1), Name: "visit"}, {Profile: 1, Time: d(2), Name: "visit"},
		{Profile: 2, Time: d(3), Name: "visit"},
	}
	tab, err := Cohorts{By: Day, Periods: 2}.Run(evs)
	if err != nil {
		t.Fatal(err)
	}
	// End is 3 March noon: for the 1 March cohort day 1 (2 March) has ended, day 2
	// (3 March) has not.
	c := tab.Cohorts[0]
	if !c.Complete[1] || c.Complete[2] || c.Retained[1] != 1 {
		t.Fatalf("cohort 1 March: %+v", c)
	}
	r, err := tab.Rate(1, Wilson, 0.95)
	if err != nil || r.K != 1 || r.N != 1 {
		t.Fatalf("day-1 rate %+v, %v; want 1 of 1 (the 3 March cohort's day 1 is not over)", r, err)
	}
}

func TestRetentionClickHouseSemantics(t *testing.T) {
	evs := chEvents(1, "b", 2, "a", 3, "c")
	got := Retention(evs, named("a", "b", "d", "c")...)
	if want := []bool{true, true, false, true}; !slices.Equal(got, want) {
		t.Errorf("retention = %v, want %v (order does not matter)", got, want)
	}
	if got := Retention(evs, named("d", "a")...); !slices.Equal(got, []bool{false, false}) {
		t.Errorf("retention without the first condition = %v, want all false", got)
	}
}

// TestCohortBatchScan: a batch large enough for several workers, each reading ranges
// of profiles straight from the columns, gives the table of the slice form, in any
// period, zone and rule and with the profiles in descending order; a damaged batch is
// refused naming the event, as Batch.profiles names it.
func TestCohortBatchScan(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	base := time.Date(2024, 12, 20, 0, 0, 0, 0, time.UTC)
	rapid.Check(t, func(t *rapid.T) {
		c, _ := genCohorts(t)
		c.Periods = rapid.IntRange(0, 70).Draw(t, "periods") // more than a word of periods
		rng := rand.New(rand.NewPCG(rapid.Uint64().Draw(t, "seed"), 5))
		var evs []Event
		for p := uint32(1); len(evs) < 4096+rng.IntN(6000); p++ {
			for range 1 + rng.IntN(8) {
				tm := base.Add(time.Duration(rng.IntN(400*24)) * time.Hour)
				evs = append(evs, Event{Profile: p, Time: tm, Name: []string{"a", "b", "c"}[rng.IntN(3)]})
			}
		}
		want, err := c.Run(evs)
		if err != nil {
			t.Fatal(err)
		}
		got, err := c.RunBatch(batchOf(t, evs))
		if err != nil {
			t.Fatal(err)
		}
		if diff := gocmp.Diff(want, got, tableOpts...); diff != "" {
			t.Fatalf("RunBatch differs (-Run +RunBatch):\n%s", diff)
		}
		slices.SortStableFunc(evs, func(x, y Event) int { return cmp.Compare(y.Profile, x.Profile) })
		got, err = c.RunBatch(batchOf(t, evs))
		if err != nil {
			t.Fatal(err)
		}
		if diff := gocmp.Diff(want, got, tableOpts...); diff != "" {
			t.Fatalf("descending profiles differ (-Run +RunBatch):\n%s", diff)
		}
	})
	c := Cohorts{Start: Step{Name: "a"}, Return: Step{Name: "b"}, By: Day, Periods: 3}
	for _, tc := range []struct {
		name   string
		damage func(b *Batch)
		asOf   time.Time
		want   error
		where  string
	}{
		{"name id", func(b *Batch) { b.Event[17000] = 3 }, time.Time{}, ErrCorrupt, "batch event 17000"},
		{"time", func(b *Batch) { b.Time[16001] = math.MaxInt64 }, time.Time{}, ErrTimeRange, "batch event 16001"},
		{"first of two", func(b *Batch) { b.Time[15000] = math.MinInt64; b.Event[3] = 9 }, time.Time{}, ErrCorrupt, "batch event 3"},
		{"regrouped", func(b *Batch) { b.Profile[17999] = 1 }, time.Time{}, ErrUnsorted, "profile 1"},
		// Rows 9000 on repeat profiles 0-2999: at 4 workers a cut between ranges falls at
		// row 9000, so every range ascends and only the check across cuts sees it.
		{"repeated across a cut", func(b *Batch) {
			for i := 9000; i < b.Len(); i++ {
				b.Profile[i] -= 3000
			}
		}, time.Time{}, ErrUnsorted, "profile 0"},
		{"columns", func(b *Batch) { b.Time = b.Time[:10] }, time.Time{}, ErrInvalid, "different lengths"},
		{"property", func(b *Batch) {
			b.Values = []string{""}
			b.Props = map[string][]uint32{"ch": make([]uint32, b.Len())}
			b.Props["ch"][12345] = 7
		}, time.Time{}, ErrCorrupt, "batch event 12345"},
		{"after AsOf", func(b *Batch) { b.Time[9000] = at(86400).UnixNano() }, at(3600), ErrTimeRange, "batch event 9000"},
	} {
		b := bigBatch()
		tc.damage(b)
		c.AsOf = tc.asOf
		_, err := c.RunBatch(b)
		if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.where) {
			t.Errorf("%s: err = %v, want %v naming %q", tc.name, err, tc.want, tc.where)
		}
	}
}

// A table over no events has the zero End in every form (it was the Unix epoch,
// 1970-01-01, a time an event could have); with AsOf it is AsOf, and with events the
// latest event's time.
func TestCohortEmptyEnd(t *testing.T) {
	c := Cohorts{Start: Step{Name: "a"}, Return: Step{Name: "b"}, By: Day, Periods: 2}
	empty, _ := c.NewPartial()
	forms := map[string]func(Cohorts) (*Table, error){
		"slice":   func(c Cohorts) (*Table, error) { return c.Run(nil) },
		"seq":     func(c Cohorts) (*Table, error) { return c.RunSeq(func(func(Event) bool) {}) },
		"batch":   func(c Cohorts) (*Table, error) { return c.RunBatch(&Batch{}) },
		"partial": func(Cohorts) (*Table, error) { return empty.Result() },
	}
	for name, run := range forms {
		tb, err := run(c)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !tb.End.IsZero() || len(tb.Cohorts) != 0 {
			t.Errorf("%s over no events: End %v, %d cohorts; want the zero time and none", name, tb.End, len(tb.Cohorts))
		}
	}
	asOf := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	withAsOf := c
	withAsOf.AsOf = asOf
	if tb, err := withAsOf.Run(nil); err != nil || !tb.End.Equal(asOf) {
		t.Errorf("over no events with AsOf: %v, %v; want End %v", tb, err, asOf)
	}
	last := time.Date(2026, 2, 3, 4, 5, 6, 0, time.UTC)
	tb, err := c.Run([]Event{{Profile: 1, Time: last.Add(-time.Hour), Name: "a"}, {Profile: 1, Time: last, Name: "x"}})
	if err != nil || !tb.End.Equal(last) {
		t.Errorf("with events: %v, %v; want End %v", tb, err, last)
	}
}

// TestBracketPartialsIgnoreRule: brackets ignore Cohorts.Retention (their tables
// record On whatever it is), yet partials of bracket Cohorts that differed only there
// refused to merge and to decode into each other with ErrMismatch, the rule being in
// their fingerprint. They merge now, to the table of one pass; partials of Cohorts
// without brackets, whose figures the rule changes, still refuse.
func TestBracketPartialsIgnoreRule(t *testing.T) {
	var evs []Event
	for p := uint32(1); p <= 30; p++ {
		evs = append(evs, Event{Profile: p, Time: at(int64(p%4) * 86400), Name: "a"})
		evs = append(evs, Event{Profile: p, Time: at(int64(p%4+1+p%5) * 86400), Name: "b"})
	}
	left, right := evs[:30], evs[30:] // profiles 1..15 and 16..30, each whole
	on := Cohorts{Start: Step{Name: "a"}, Return: Step{Name: "b"}, By: Day, Brackets: []Bracket{{1, 2}, {3, 5}}}
	after := on
	after.Retention = OnOrAfter
	want, err := on.Run(evs)
	if err != nil {
		t.Fatal(err)
	}
	for _, pair := range [][2]Cohorts{{on, after}, {after, on}} {
		a, b := pair[0], pair[1]
		pa, err := a.Partial(left)
		if err != nil {
			t.Fatal(err)
		}
		pb, err := b.Partial(right)
		if err != nil {
			t.Fatal(err)
		}
		if err := pa.Merge(pb); err != nil {
			t.Fatalf("merge a %v bracket partial into a %v one: %v", b.Retention, a.Retention, err)
		}
		if diff := gocmp.Diff(want, result(pa), tableOpts...); diff != "" {
			t.Errorf("merged %v and %v bracket partials (-one pass +merged):\n%s", a.Retention, b.Retention, diff)
		}
		// Decoded into the empty partial of the other rule: the same state.
		raw, err := pb.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		back, err := decodeCohortPartial(a, raw)
		if err != nil {
			t.Fatalf("decode a %v bracket partial into a %v one: %v", b.Retention, a.Retention, err)
		}
		wantRight, err := a.Run(right)
		if err != nil {
			t.Fatal(err)
		}
		if diff := gocmp.Diff(wantRight, result(back), tableOpts...); diff != "" {
			t.Errorf("decoded %v bracket partial as %v (-one pass +decoded):\n%s", b.Retention, a.Retention, diff)
		}
	}
	// Without brackets the rule changes the figures: still ErrMismatch.
	plainOn := Cohorts{Start: Step{Name: "a"}, Return: Step{Name: "b"}, By: Day, Periods: 3}
	plainAfter := plainOn
	plainAfter.Retention = OnOrAfter
	pa, err := plainOn.Partial(left)
	if err != nil {
		t.Fatal(err)
	}
	pb, err := plainAfter.Partial(right)
	if err != nil {
		t.Fatal(err)
	}
	if err := pa.Merge(pb); !errors.Is(err, ErrMismatch) {
		t.Errorf("merge an OnOrAfter partial into an On one: %v, want ErrMismatch", err)
	}
	raw, err := pb.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := decodeCohortPartial(plainOn, raw); !errors.Is(err, ErrMismatch) {
		t.Errorf("decode an OnOrAfter partial into an On one: %v, want ErrMismatch", err)
	}
	// Brackets that differ: still ErrMismatch.
	other := on
	other.Brackets = []Bracket{{1, 2}, {3, 6}}
	po, err := other.Partial(right)
	if err != nil {
		t.Fatal(err)
	}
	pa, err = on.Partial(left)
	if err != nil {
		t.Fatal(err)
	}
	if err := pa.Merge(po); !errors.Is(err, ErrMismatch) {
		t.Errorf("merge partials of other brackets: %v, want ErrMismatch", err)
	}
}

// TestBracketPartialsMergeAcrossRules: shards of a bracket table, each computed by
// Cohorts whose Retention (which brackets ignore) is drawn, sent through bytes into the
// empty partial of Cohorts with another drawn Retention and merged in any order, give
// the table of one pass over all the events.
func TestBracketPartialsMergeAcrossRules(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		c, evs := genCohorts(t)
		if len(c.Brackets) == 0 {
			c.Brackets = []Bracket{{1, 1}, {2, 4}}
		}
		withRule := func(label string) Cohorts {
			d := c
			d.Retention = RetentionRule(rapid.IntRange(0, 1).Draw(t, label))
			return d
		}
		whole, err := withRule("whole rule").Run(evs)
		if err != nil {
			t.Fatal(err)
		}
		k := rapid.IntRange(1, 4).Draw(t, "shards")
		shards := make([][]Event, k)
		for _, e := range evs {
			shards[int(e.Profile)%k] = append(shards[int(e.Profile)%k], e)
		}
		var merged *Partial[*Table]
		for _, i := range rapid.Permutation(rangeInts(k)).Draw(t, "order") {
			p, err := withRule("shard rule").Partial(shards[i])
			if err != nil {
				t.Fatal(err)
			}
			raw, err := p.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			back, err := decodeCohortPartial(withRule("decoder rule"), raw)
			if err != nil {
				t.Fatalf("decode shard %d: %v", i, err)
			}
			if merged == nil {
				merged = back
			} else if err := merged.Merge(back); err != nil {
				t.Fatalf("merge shard %d: %v", i, err)
			}
		}
		if diff := gocmp.Diff(whole, result(merged), tableOpts...); diff != "" {
			t.Fatalf("(-one pass +merged shards):\n%s", diff)
		}
	})
}
