package funnel

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/clientele-go/clientele/internal/frame"
)

// The decoders name the counts of damaged encodings in English: "1 step count",
// "1 profile counted", never "1 step counts" or "1 profiles". Each case makes a valid
// partial through the public API, damages its state (or, where the encoder cannot
// write the damage, its bytes) and checks the whole message at a count of 1.
func TestCorruptMessagesCountInEnglish(t *testing.T) {
	for _, c := range []struct {
		name string
		run  func(t *testing.T) (want string, err error)
	}{
		{"trend: 1 step count", func(t *testing.T) (string, error) {
			return trendDamaged(t, func(k int64, c *trendCounts, _ *trendPartial) string {
				c.steps = c.steps[:1]
				return fmt.Sprintf("period %d: 1 step count, want 2", k)
			})
		}},
		{"trend: 1 time", func(t *testing.T) (string, error) {
			return trendDamaged(t, func(k int64, c *trendCounts, _ *trendPartial) string {
				c.steps[1] = 2
				return fmt.Sprintf("period %d: 1 time for 2 converters, or out of order", k)
			})
		}},
		{"trend: 1 converter", func(t *testing.T) (string, error) {
			return trendDamaged(t, func(k int64, c *trendCounts, _ *trendPartial) string {
				c.times = nil
				return fmt.Sprintf("period %d: 0 times for 1 converter, or out of order", k)
			})
		}},
		{"trend: 1 profile counted", func(t *testing.T) (string, error) {
			return trendDamaged(t, func(_ int64, _ *trendCounts, tp *trendPartial) string {
				tp.periods = map[int64]*trendCounts{}
				tp.counted = idSet{bm: roaring.BitmapOf(1)}
				return "1 profile counted, more than the 0 that entered"
			})
		}},
		{"cohorts: 1 column", func(t *testing.T) (string, error) {
			return cohortDamaged(t, func(k int64, g *cohortCounts, cp *cohortPartial) string {
				g.retained = g.retained[:1]
				return fmt.Sprintf("cohort %d: 1 column, want %d, or repeated", k, len(cp.plan.cols))
			})
		}},
		{"cohorts: 1 cohort", func(t *testing.T) (string, error) {
			return cohortDamaged(t, func(_ int64, _ *cohortCounts, cp *cohortPartial) string {
				cp.end = noTime
				return "1 cohort, yet no event was seen"
			})
		}},
		{"correlate: 1 profile in both groups", func(t *testing.T) (string, error) {
			return correlateDamaged(t, func(cp *correlationPartial) string {
				cp.non.Add(1)
				return "1 profile both converted and did not"
			})
		}},
		{"correlate: 1 converter, 1 other", func(t *testing.T) (string, error) {
			return correlateDamaged(t, func(cp *correlationPartial) string {
				// Profile 1 converted, 2 did not; the event is counted for a converter
				// the partial no longer holds.
				cp.conv = roaring.New()
				cp.events = map[string][2]int64{"b": {1, 1}}
				return `event "b": 1 converter of 0 and 1 other of 1`
			})
		}},
		{"journeys: 1 streak", func(t *testing.T) (string, error) {
			return journeysDamaged(t, func(jr *journey) { jr.periods = nil }, "profile 7: 1 streak of activity but 0 active periods")
		}},
		{"journeys: 1 period", func(t *testing.T) (string, error) {
			return journeysDamaged(t, func(jr *journey) { jr.streaks = nil }, "profile 7: 0 streaks of activity but 1 active period")
		}},
		{"journeys: an id past 32 bits", func(t *testing.T) (string, error) {
			var l Lifecycle
			j, err := l.Run([]Event{{Profile: 7, Time: at(0), Name: "visit"}})
			if err != nil {
				t.Fatal(err)
			}
			raw, err := j.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			// The fingerprint, one profile, id 7: the id made 2^32. The message names
			// the entry, not "profile 0", which reads as the profile of id 0.
			fp := binary.AppendUvarint(nil, uint64(len(j.r.fp)))
			fp = append(fp, j.r.fp...)
			_, err = decodeJourneys(l, patched(t, raw, slices.Concat(fp, []byte{1, 7}), slices.Concat(fp, []byte{1}, binary.AppendUvarint(nil, 1<<32))))
			return "profile id beyond 32 bits, entry 1 of 1", err
		}},
		{"funnel: 1 duration at step 1", func(t *testing.T) (string, error) {
			s, pt := funnelPartialOf(t)
			raw, err := pt.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			// Step 1's durations are written twice (from the previous step, from the
			// first), which the encoder always writes alike: drop the second list's one.
			d := binary.AppendVarint(nil, int64(5e9))
			twice := slices.Concat([]byte{1}, d, []byte{1}, d)
			once := slices.Concat([]byte{1}, d, []byte{0})
			return `step 2 ("b"): 1 duration from the previous step but 0 durations from the first`,
				emptyPartial(s).UnmarshalBinary(patched(t, raw, twice, once))
		}},
		{"funnel: 1 profile at a step", func(t *testing.T) (string, error) {
			return funnelDamaged(t, func(tl *tally) { tl.ids[0] = idSet{bm: roaring.BitmapOf(1)}; tl.total[0] = 0 },
				`step 1 ("a"): counts disagree (1 profile, 0 passes, 0 durations from the previous step and 0 durations from the first)`)
		}},
		{"funnel: 1 pass", func(t *testing.T) (string, error) {
			return funnelDamaged(t, func(tl *tally) { tl.ids[0] = idSet{bm: roaring.BitmapOf(1, 2)}; tl.total[0] = 1 },
				`step 1 ("a"): counts disagree (2 profiles, 1 pass, 0 durations from the previous step and 0 durations from the first)`)
		}},
		{"funnel: 1 duration", func(t *testing.T) (string, error) {
			return funnelDamaged(t, func(tl *tally) { tl.ids[1] = idSet{bm: roaring.New()}; tl.total[1] = 0 },
				`step 2 ("b"): counts disagree (0 profiles, 0 passes, 1 duration from the previous step and 1 duration from the first)`)
		}},
		{"funnel: 1 profile past the bound", func(t *testing.T) (string, error) {
			// The first step holds as many profiles as a decoded value may (runs of a
			// few kilobytes), so that the second's one passes the bound.
			full := roaring.New()
			full.AddRange(0, MaxDecodedProfiles)
			full.RunOptimize()
			return funnelDamaged(t, func(tl *tally) { tl.ids[0] = idSet{bm: full}; tl.total[0] = MaxDecodedProfiles },
				`step 2 ("b") profiles: 1 profile after 67108864 others, more than the 67108864 one decoded value may hold`)
		}},
		{"funnel: 1 unconverted profile", func(t *testing.T) (string, error) {
			return funnelDamaged(t, func(tl *tally) {
				*tl = *newTally(2)
				tl.open = chunksOf([]int64{at(0).UnixNano()})
			}, "1 unconverted profile of 0 that entered")
		}},
		{"stickiness: 1 slot", func(t *testing.T) (string, error) {
			return stickinessDamaged(t, func(k int64, g *stickyTally, sc *stickyScan) string {
				g.periods[k] = []int64{0}
				return fmt.Sprintf("period %d: 1 slot, want %d with none at 0 days", k, sc.slots)
			})
		}},
		{"stickiness: 1 group", func(t *testing.T) (string, error) {
			return stickinessDamaged(t, func(_ int64, _ *stickyTally, sc *stickyScan) string {
				sc.seen = false
				return "1 group without an event"
			})
		}},
		{"stickiness: 1 profile over 1 period", func(t *testing.T) (string, error) {
			return stickinessDamaged(t, func(k int64, g *stickyTally, _ *stickyScan) string {
				clear(g.cohorts[k])
				return fmt.Sprintf("cohort %d: 1 profile active in 0 periods over 1 period", k)
			})
		}},
		{"stickiness: active in 1 period", func(t *testing.T) (string, error) {
			return stickinessDamaged(t, func(k int64, g *stickyTally, _ *stickyScan) string {
				g.members[k] = 2
				return fmt.Sprintf("cohort %d: 2 profiles active in 1 period over 1 period", k)
			})
		}},
		{"stickiness: 1 profile counted", func(t *testing.T) (string, error) {
			return stickinessDamaged(t, func(_ int64, _ *stickyTally, sc *stickyScan) string {
				sc.groups = map[string]*stickyTally{}
				return "1 profile counted, more than the 0 members of the cohorts"
			})
		}},
		{"stickiness: 1 member", func(t *testing.T) (string, error) {
			return stickinessDamaged(t, func(_ int64, _ *stickyTally, sc *stickyScan) string {
				sc.counted = idSet{bm: roaring.BitmapOf(1, 2)}
				return "2 profiles counted, more than the 1 member of the cohorts"
			})
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			want, err := c.run(t)
			// The whole message, from the offset to the sentinel's text (without the
			// package prefix, which the error carries once, at its start).
			if !errors.Is(err, ErrCorrupt) || !strings.HasSuffix(err.Error(), ": "+want+": corrupt encoding") {
				t.Errorf("%v, want ErrCorrupt saying %q", err, want)
			}
		})
	}
}

// patched returns raw, a frame, with its one occurrence of old replaced by new and its
// checksum made again, so that the decoder reads as far as the damage.
func patched(t *testing.T, raw, old, new []byte) []byte {
	t.Helper()
	body := raw[:len(raw)-4]
	if n := bytes.Count(body, old); n != 1 {
		t.Fatalf("%x occurs %d times in %x, want once", old, n, body)
	}
	return frame.Seal(bytes.Replace(slices.Clone(body), old, new, 1))
}

// onlyKey returns the one key of m.
func onlyKey[V any](t *testing.T, m map[int64]V) int64 {
	t.Helper()
	if len(m) != 1 {
		t.Fatalf("%d keys, want 1", len(m))
	}
	return slices.Collect(maps.Keys(m))[0]
}

// trendDamaged encodes a Trend's partial (profile 1 converts after 5s, profile 2 only
// enters, one period) damaged by damage, and decodes it.
func trendDamaged(t *testing.T, damage func(k int64, c *trendCounts, tp *trendPartial) string) (string, error) {
	t.Helper()
	tr := Trend{Spec: Spec{Steps: named("a", "b")}, By: Day}
	p, err := tr.Partial([]Event{{Profile: 1, Time: at(0), Name: "a"}, {Profile: 1, Time: at(5), Name: "b"}, {Profile: 2, Time: at(1), Name: "a"}})
	if err != nil {
		t.Fatal(err)
	}
	tp := p.st.(*trendPartial)
	k := onlyKey(t, tp.periods)
	want := damage(k, tp.periods[k], tp)
	raw, err := tp.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	_, err = decodeTrendPartial(tr, raw)
	return want, err
}

// cohortDamaged encodes a Cohorts' partial (one cohort of one profile, two columns)
// damaged by damage, and decodes it.
func cohortDamaged(t *testing.T, damage func(k int64, g *cohortCounts, cp *cohortPartial) string) (string, error) {
	t.Helper()
	c := Cohorts{Start: Step{Name: "visit"}, By: Day, Periods: 2}
	p, err := c.Partial([]Event{{Profile: 1, Time: at(0), Name: "visit"}})
	if err != nil {
		t.Fatal(err)
	}
	cp := p.st.(*cohortPartial)
	k := onlyKey(t, cp.groups)
	if len(cp.plan.cols) == 1 {
		t.Fatal("one column: a list of 1 would be right")
	}
	want := damage(k, cp.groups[k], cp)
	raw, err := cp.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	_, err = decodeCohortPartial(c, raw)
	return want, err
}

// correlateDamaged encodes a Correlate's partial (profile 1 converts, profile 2 does
// not) damaged by damage, and decodes it.
func correlateDamaged(t *testing.T, damage func(cp *correlationPartial) string) (string, error) {
	t.Helper()
	c := Correlate{Spec: Spec{Steps: named("a", "c")}}
	p, err := c.Partial([]Event{
		{Profile: 1, Time: at(0), Name: "a"}, {Profile: 1, Time: at(1), Name: "b"}, {Profile: 1, Time: at(2), Name: "c"},
		{Profile: 2, Time: at(0), Name: "a"}, {Profile: 2, Time: at(1), Name: "b"},
	})
	if err != nil {
		t.Fatal(err)
	}
	cp := p.st.(*correlationPartial)
	want := damage(cp)
	raw, err := cp.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	back, err := c.NewPartial()
	if err != nil {
		t.Fatal(err)
	}
	return want, back.UnmarshalBinary(raw)
}

// journeysDamaged encodes the journeys of profile 7 (one visit) damaged by damage, and
// decodes them.
func journeysDamaged(t *testing.T, damage func(jr *journey), want string) (string, error) {
	t.Helper()
	var l Lifecycle
	j, err := l.Run([]Event{{Profile: 7, Time: at(0), Name: "visit"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(j.js) != 1 || len(j.js[0].streaks) != 1 || len(j.js[0].periods) != 1 {
		t.Fatalf("journeys %+v, want one streak and one period", j.js)
	}
	damage(&j.js[0])
	raw, err := j.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	_, err = decodeJourneys(l, raw)
	return want, err
}

// funnelPartialOf returns a two-step Spec and its partial: profile 1 converts in 5s,
// profile 2 enters only.
func funnelPartialOf(t *testing.T) (Spec, *funnelPartial) {
	t.Helper()
	s := Spec{Steps: named("a", "b")}
	p, err := s.Partial([]Event{{Profile: 1, Time: at(0), Name: "a"}, {Profile: 1, Time: at(5), Name: "b"}, {Profile: 2, Time: at(1), Name: "a"}})
	if err != nil {
		t.Fatal(err)
	}
	return s, p.st.(*funnelPartial)
}

// funnelDamaged encodes funnelPartialOf's partial with its one group damaged by
// damage, and decodes it.
func funnelDamaged(t *testing.T, damage func(tl *tally), want string) (string, error) {
	t.Helper()
	s, pt := funnelPartialOf(t)
	if len(pt.groups) != 1 {
		t.Fatalf("%d groups, want 1", len(pt.groups))
	}
	for _, tl := range pt.groups {
		damage(tl)
	}
	raw, err := pt.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return want, emptyPartial(s).UnmarshalBinary(raw)
}

// stickinessDamaged encodes a Stickiness partial (profile 1 active on one day of the
// last period, its cohort's) damaged by damage, and decodes it.
func stickinessDamaged(t *testing.T, damage func(k int64, g *stickyTally, sc *stickyScan) string) (string, error) {
	t.Helper()
	sk := Stickiness{Event: Step{Name: "use"}, By: Week}
	p, err := sk.Partial([]Event{{Profile: 1, Time: at(0), Name: "use"}})
	if err != nil {
		t.Fatal(err)
	}
	sp := p.st.(*stickinessPartial)
	g := sp.scan.groups[""]
	if g == nil || len(sp.scan.groups) != 1 {
		t.Fatalf("groups %v, want the one of no breakdown", sp.scan.groups)
	}
	k := onlyKey(t, g.cohorts)
	if onlyKey(t, g.periods) != k {
		t.Fatalf("periods %v, cohorts %v: want the one period", g.periods, g.cohorts)
	}
	want := damage(k, g, sp.scan)
	raw, err := sp.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	back, err := sk.NewPartial()
	if err != nil {
		t.Fatal(err)
	}
	return want, back.UnmarshalBinary(raw)
}
