package segment

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"
)

func dayStart(d int32) time.Time { return time.Unix(int64(d)*86400, 0).UTC() }

// TestEvalMatchesModel holds Eval and Count of random expressions over random data
// against the map-of-sets model, errors included.
func TestEvalMatchesModel(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var opts []Option
		if rapid.Bool().Draw(t, "retention") {
			opts = append(opts, WithRetention(rapid.IntRange(3, genHorizon).Draw(t, "days")))
		}
		x, m := scenario(t, opts...)
		var segs []string
		for i := range rapid.IntRange(0, 3).Draw(t, "segments") {
			name := fmt.Sprintf("s%d", i)
			n := genQuery(t, 2, false, segs)
			err := x.Save(name, &Query{root: n})
			if want := m.check(n, 0, false); !sameErr(want, err) {
				t.Fatalf("Save(%s): got %v, want %v", format(n), err, want)
			}
			if err == nil {
				m.saved[name] = n
				segs = append(segs, name)
			}
		}
		for i := range 6 {
			n := genQuery(t, 3, i == 0, segs)
			today := genToday + rapid.Int32Range(-3, 3).Draw(t, "today shift")
			now := dayStart(today).Add(time.Duration(rapid.Int64Range(0, 86399).Draw(t, "sec")) * time.Second)
			q := &Query{root: n}
			got, err := x.Eval(context.Background(), now, q, nil)
			want := m.check(n, today, true)
			if !sameErr(want, err) {
				t.Fatalf("Eval(%s): error %v, want %v", q, err, want)
			}
			count, cerr := x.Count(context.Background(), now, q, nil)
			if !sameErr(want, cerr) {
				t.Fatalf("Count(%s): error %v, want %v", q, cerr, want)
			}
			if want != nil {
				continue
			}
			ref := m.eval(n, today)
			if diff := cmp.Diff(sortedKeys(ref), got.ToArray()); diff != "" {
				t.Fatalf("Eval(%s) (-model +index):\n%s", q, diff)
			}
			x.forceAdder = true
			added, _ := x.Eval(context.Background(), now, q, nil)
			x.forceAdder = false
			if diff := cmp.Diff(sortedKeys(ref), added.ToArray()); diff != "" {
				t.Fatalf("Eval(%s) with the adder (-model +index):\n%s", q, diff)
			}
			if count != uint64(len(ref)) {
				t.Fatalf("Count(%s) = %d, want %d", q, count, len(ref))
			}
		}
	})
}

// TestExampleQueryEvaluates evaluates the example on a hand-built base.
func TestExampleQueryEvaluates(t *testing.T) {
	x := mustIndex(WithTraits("tag"))
	now := time.Date(2026, 11, 23, 15, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	x.Tag("plan:pro", 1, 2, 3, 4, 5)
	x.Tag("plan:free", 6)
	x.Tag("churned", 2)
	for p, v := range map[uint32]int64{1: 150, 2: 500, 3: 100, 4: 99, 5: 300, 6: 1000} {
		x.SetNumber("spend", p, v)
		x.SetNumber("score.p_alive", p, 900)
	}
	x.SetNumber("score.p_alive", 5, 700) // not > 700
	x.Record(now.Add(-1*day), 1, "visit")
	x.Record(now.Add(-29*day), 1, "visit") // the 30th day of the window
	x.Record(now.Add(-2*day), 3, "visit")
	x.Record(now.Add(-30*day), 3, "visit") // just outside 30d
	x.Record(now.Add(-89*day), 3, "purchase")
	x.Record(now, 4, "visit")
	x.Record(now, 4, "visit")
	x.Record(now, 5, "visit")
	x.Record(now, 5, "visit")
	q, err := Parse("plan:pro AND NOT tag:churned AND spend >= 100 AND (count(visit, 30d) >= 2 OR did(purchase, 90d)) AND score.p_alive > 700")
	if err != nil {
		t.Fatal(err)
	}
	got, err := x.Eval(context.Background(), now, q, nil)
	if err != nil {
		t.Fatal(err)
	}
	// 1: two visits on the window's first and last-but-one days; 3: purchase 89 days
	// ago; 2 churned; 4 spends 99; 5 scores 700; 6 is on the free plan.
	if diff := cmp.Diff([]uint32{1, 3}, got.ToArray()); diff != "" {
		t.Errorf("example query (-want +got):\n%s", diff)
	}
	if n, err := x.Count(context.Background(), now, q, nil); err != nil || n != 2 {
		t.Errorf("Count = %d, %v; want 2", n, err)
	}
}

// TestWindowBoundaries pins down which days a window of D days covers: the D days
// ending with now's day, in the index's location, whatever the time of day.
func TestWindowBoundaries(t *testing.T) {
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Skip("no time zone database:", err)
	}
	cases := []struct {
		name  string
		loc   *time.Location
		event time.Time
		now   time.Time
		want  bool // did(visit, 7d)
	}{
		{"same instant", time.UTC, date(2026, 3, 10, 12, 0), date(2026, 3, 10, 12, 0), true},
		{"later the same day", time.UTC, date(2026, 3, 10, 23, 59), date(2026, 3, 10, 0, 0), true},
		{"first day of window", time.UTC, date(2026, 3, 4, 0, 0), date(2026, 3, 10, 23, 59), true},
		{"day before window", time.UTC, date(2026, 3, 3, 23, 59), date(2026, 3, 10, 0, 0), false},
		{"tomorrow never counts", time.UTC, date(2026, 3, 11, 0, 0), date(2026, 3, 10, 23, 59), false},
		// 2026-03-03 20:00 UTC is 2026-03-04 04:00 in Shanghai: inside the window there.
		{"location shifts the day in", shanghai, date(2026, 3, 3, 20, 0), date(2026, 3, 10, 0, 0), true},
		{"location shifts the day out", shanghai, date(2026, 3, 3, 15, 59), date(2026, 3, 10, 0, 0), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			x := mustIndex(WithLocation(c.loc))
			x.Record(c.event, 7, "visit")
			got, err := x.Eval(context.Background(), c.now, mustParse(t, "did(visit, 7d)"), nil)
			if err != nil {
				t.Fatal(err)
			}
			if got.Contains(7) != c.want {
				t.Errorf("did(visit, 7d) at %v for an event at %v = %v, want %v", c.now, c.event, got.Contains(7), c.want)
			}
		})
	}
}

func date(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, time.UTC)
}

func mustParse(t interface{ Fatal(...any) }, s string) *Query {
	q, err := Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

// TestBadQueriesChangeNothing checks the errors of bad queries and that they leave the
// index as it was.
func TestBadQueriesChangeNothing(t *testing.T) {
	x := mustIndex(WithRetention(30))
	x.Tag("plan:pro", 1)
	x.SetNumber("spend", 1, 10)
	x.Record(date(2026, 1, 10, 0, 0), 1, "visit")
	if err := x.Save("pro", mustParse(t, "plan:pro")); err != nil {
		t.Fatal(err)
	}
	now := date(2026, 1, 10, 0, 0)
	cases := []struct {
		expr string
		want error
		col  int
	}{
		{"plan:pro AND spnd > 3", ErrUnknownField, 14},
		{"plan > 3", ErrType, 1},
		{"spend:high", ErrType, 1},
		{"spend IN (1, x)", ErrType, 14},
		{"segment:nosuch", ErrUnknownSegment, 1},
		{"did(click, 7d)", ErrUnknownField, 5},
		{"count(visit, 31d) >= 2", ErrRetention, 1},
	}
	for _, c := range cases {
		_, err := x.Eval(context.Background(), now, mustParse(t, c.expr), nil)
		var ee *ExprError
		if !errors.Is(err, c.want) || !errors.As(err, &ee) || ee.Column != c.col {
			t.Errorf("Eval(%q) = %v, want %v at column %d", c.expr, err, c.want, c.col)
		}
		if err := x.Save("bad", mustParse(t, c.expr)); !errors.Is(err, c.want) {
			t.Errorf("Save(%q) = %v, want %v", c.expr, err, c.want)
		}
	}
	if err := x.Save("loop", mustParse(t, "segment:loop")); !errors.Is(err, ErrCycle) {
		t.Errorf("self reference of a new segment: %v", err)
	}
	if err := x.Save("pro", mustParse(t, "plan:pro AND NOT segment:pro")); !errors.Is(err, ErrCycle) {
		t.Errorf("cycle: %v", err)
	}
	if got := x.Segments(); !cmp.Equal(got, []string{"pro"}) {
		t.Errorf("segments after failed saves: %v", got)
	}
	if q, _ := x.Definition("pro"); q.String() != "plan:pro" {
		t.Errorf("definition changed by a failed save: %v", q)
	}
}

// An unknown name is reported with the nearest known one, within two edits and under
// half its length, of the kind the place expects first; ties go to the first in byte
// order, so the message is the same on every run.
func TestUnknownNameSuggestions(t *testing.T) {
	x := mustIndex(WithTraits("plan", "city"), WithNumber("spend", MergeSum), WithNumber("age", MergeLast), WithEvents("visit", "purchase", "vista", "vizit"))
	if err := x.Save("vip", mustParse(t, "spend > 100")); err != nil {
		t.Fatal(err)
	}
	now := date(2026, 1, 10, 0, 0)
	cases := []struct{ expr, want string }{
		{"count(visits, 30d) >= 2", `column 7: unknown event "visits" (did you mean visit?)`},
		{"did(purchse)", `unknown event "purchse" (did you mean purchase?)`},
		{"did(vistt)", `unknown event "vistt" (did you mean visit?)`}, // visit and vista are one edit away: the first in byte order
		{"did(zzzzzz)", `unknown event "zzzzzz"`},
		{"pln:pro", `unknown trait key "pln" (did you mean plan?)`},
		{"spnd:high", `unknown trait key "spnd" (did you mean spend?)`}, // no trait near: the numeric field
		{"spend_total > 1", `unknown numeric field "spend_total"`},
		{"ag >= 18", `unknown numeric field "ag"`}, // 1 edit is half of 2 runes: no guess
		{"citi IN (paris)", `unknown field "citi" (neither a trait key nor a numeric field) (did you mean city?)`},
		{"segment:vp", `unknown segment "vp"`},
		{"segment:vpi", `unknown segment "vpi" (did you mean vip?)`},
		{"did(" + strings.Repeat("v", 100) + ")", `unknown event "` + strings.Repeat("v", 100) + `"`},
	}
	for _, c := range cases {
		_, err := x.Eval(context.Background(), now, mustParse(t, c.expr), nil)
		if !errors.Is(err, ErrUnknownField) && !errors.Is(err, ErrUnknownSegment) || !strings.HasSuffix(err.Error(), c.want) {
			t.Errorf("Eval(%q) = %v, want ...%s", c.expr, err, c.want)
		}
	}
	if _, err := x.Breakdown(x.Profiles(), "plna"); !errors.Is(err, ErrUnknownField) || !strings.HasSuffix(err.Error(), `"plna" (did you mean plan?)`) {
		t.Errorf("Breakdown by plna: %v", err)
	}
	if _, err := x.Top("spnd", 3, nil); !errors.Is(err, ErrUnknownField) || !strings.HasSuffix(err.Error(), `"spnd" (did you mean spend?)`) {
		t.Errorf("Top of spnd: %v", err)
	}
}

// TestDayWhereMidnightIsSkipped records in Atlantic/Azores, whose clocks go from 00:00
// to 01:00 on the last Sunday of March: that Sunday has no midnight, and time.Date
// gives 23:00 of the Saturday for it. An event at 23:30 on the Saturday must stay on
// the Saturday even when the Sunday was bucketed first.
func TestDayWhereMidnightIsSkipped(t *testing.T) {
	azores, err := time.LoadLocation("Atlantic/Azores")
	if err != nil {
		t.Skip("no time zone database:", err)
	}
	sunday := time.Date(2026, 3, 29, 12, 0, 0, 0, azores)
	saturday := time.Date(2026, 3, 28, 23, 30, 0, 0, azores)
	if time.Date(2026, 3, 29, 0, 0, 0, 0, azores).Day() != 28 {
		t.Log("time.Date no longer normalises the skipped midnight backwards")
	}
	x := mustIndex(WithLocation(azores))
	x.RecordBatch([]Activity{{Event: "visit", Profile: 1, At: sunday}, {Event: "visit", Profile: 2, At: saturday}})
	for _, c := range []struct {
		now  time.Time
		want *roaring.Bitmap
	}{{saturday, roaring.BitmapOf(2)}, {sunday, roaring.BitmapOf(1)}} {
		got, err := x.Eval(context.Background(), c.now, mustParse(t, "did(visit, 1d)"), nil)
		if err != nil {
			t.Fatal(err)
		}
		if !got.Equals(c.want) {
			t.Errorf("visited on %s: %v, want %v", c.now.Format("Mon 2006-01-02"), got, c.want)
		}
	}
	if got := dayTime(dayOf(sunday, azores), azores); !got.Equal(time.Date(2026, 3, 29, 1, 0, 0, 0, azores)) || got.Day() != 29 {
		t.Errorf("the Sunday begins at %v, want 01:00 that day", got)
	}
}
