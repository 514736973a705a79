package funnel

import (
	"cmp"
	"errors"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"pgregory.net/rapid"
)

// shardEvents deals events to k shards by profile, every event of a profile in one
// shard, as the partials require.
func shardEvents(t *rapid.T, events []Event, k int) [][]Event {
	shards := make([][]Event, k)
	home := map[uint32]int{}
	for _, e := range events {
		s, ok := home[e.Profile]
		if !ok {
			s = rapid.IntRange(0, k-1).Draw(t, "shard")
			home[e.Profile] = s
		}
		shards[s] = append(shards[s], e)
	}
	return shards
}

// groupedSeq is a shard's events as a stream grouped by profile, each profile's events
// in input order.
func groupedSeq(events []Event) func(func(Event) bool) {
	sorted := slices.Clone(events)
	slices.SortStableFunc(sorted, func(a, b Event) int { return cmp.Compare(a.Profile, b.Profile) })
	return slices.Values(sorted)
}

// Correlation partials over any split of the profiles, each made by any of the three
// forms, encoded, decoded and merged, give the result of one pass over all the events.
func TestCorrelationPartialShards(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		spec := Spec{Steps: named("a", "b"), Window: time.Duration(rapid.IntRange(0, 30).Draw(t, "window")) * time.Second}
		var events []Event
		for range rapid.IntRange(0, 60).Draw(t, "events") {
			e := Event{
				Profile: uint32(rapid.IntRange(1, 12).Draw(t, "profile")),
				Time:    at(int64(rapid.IntRange(0, 40).Draw(t, "at"))),
				Name:    rapid.SampledFrom([]string{"a", "b", "x", "y", "z"}).Draw(t, "name"),
			}
			if v := rapid.SampledFrom([]string{"", "web", "store"}).Draw(t, "ch"); v != "" {
				e.Props = map[string]string{"ch": v}
			}
			events = append(events, e)
		}
		c := Correlate{
			Spec:     spec,
			Props:    rapid.SampledFrom([][]string{nil, {"ch"}, {"ch", "ch", "none"}}).Draw(t, "props"),
			Segments: map[string]*roaring.Bitmap{"odd": roaring.BitmapOf(1, 3, 5, 7, 9, 11)},
		}
		want, err := c.Run(events)
		if err != nil {
			t.Fatal(err)
		}
		all, err := c.NewPartial()
		if err != nil {
			t.Fatal(err)
		}
		for i, shard := range shardEvents(t, events, rapid.IntRange(1, 4).Draw(t, "shards")) {
			var cp *Partial[*Correlations]
			switch rapid.IntRange(0, 2).Draw(t, "form") {
			case 0:
				cp, err = c.Partial(shard)
			case 1:
				cp, err = c.PartialSeq(groupedSeq(shard))
			case 2:
				cp, err = c.PartialBatch(batchOf(t, slices.Collect(groupedSeq(shard))))
			}
			if err != nil {
				t.Fatal(err)
			}
			data, err := cp.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			back, _ := c.NewPartial()
			if err := back.UnmarshalBinary(data); err != nil {
				t.Fatalf("shard %d: %v", i, err)
			}
			if err := all.Merge(back); err != nil {
				t.Fatal(err)
			}
		}
		got, err := all.Result()
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("merged shards:\n%+v\none pass:\n%+v", got, want)
		}
	})
}

// Stickiness partials: the same property.
func TestStickinessPartialShards(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		sk := Stickiness{Event: Step{Name: "use"}, By: rapid.SampledFrom([]Period{Week, Month}).Draw(t, "by")}
		if rapid.Bool().Draw(t, "breakdown?") {
			sk.Breakdown = "plan"
		}
		base := time.Date(2025, 1, 27, 0, 0, 0, 0, time.UTC)
		var events []Event
		for range rapid.IntRange(0, 60).Draw(t, "events") {
			e := Event{
				Profile: uint32(rapid.IntRange(1, 10).Draw(t, "profile")),
				Time:    base.Add(time.Duration(rapid.IntRange(0, 24*70).Draw(t, "hour")) * time.Hour),
				Name:    rapid.SampledFrom([]string{"use", "use", "other"}).Draw(t, "name"),
			}
			if v := rapid.SampledFrom([]string{"", "free", "pro"}).Draw(t, "plan"); v != "" {
				e.Props = map[string]string{"plan": v}
			}
			events = append(events, e)
		}
		want, err := sk.Run(events)
		if err != nil {
			t.Fatal(err)
		}
		all, err := sk.NewPartial()
		if err != nil {
			t.Fatal(err)
		}
		for i, shard := range shardEvents(t, events, rapid.IntRange(1, 4).Draw(t, "shards")) {
			var sp *Partial[*StickinessResult]
			switch rapid.IntRange(0, 2).Draw(t, "form") {
			case 0:
				sp, err = sk.Partial(shard)
			case 1:
				sp, err = sk.PartialSeq(groupedSeq(shard))
			case 2:
				sp, err = sk.PartialBatch(batchOf(t, slices.Collect(groupedSeq(shard))))
			}
			if err != nil {
				t.Fatal(err)
			}
			data, err := sp.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			back, _ := sk.NewPartial()
			if err := back.UnmarshalBinary(data); err != nil {
				t.Fatalf("shard %d: %v", i, err)
			}
			if err := all.Merge(back); err != nil {
				t.Fatal(err)
			}
		}
		if got := result(all); !reflect.DeepEqual(got, want) {
			t.Fatalf("merged shards:\n%+v\none pass:\n%+v", got, want)
		}
	})
}

// Partials of different analyses do not merge or decode into each other; damaged bytes
// and overlapping shards are refused and leave the receiver unchanged.
func TestPartialsInvalid(t *testing.T) {
	spec := Spec{Steps: named("a", "b")}
	events := []Event{{Profile: 1, Time: at(0), Name: "a"}, {Profile: 1, Time: at(1), Name: "x"}, {Profile: 1, Time: at(2), Name: "b"}}
	cp, _ := Correlate{Spec: spec}.Partial(events)
	other, _ := Correlate{Spec: Spec{Steps: named("a", "c")}}.NewPartial()
	withProps, _ := Correlate{Spec: spec, Props: []string{"ch"}}.NewPartial()
	if err := cp.Merge(other); !errors.Is(err, ErrMismatch) {
		t.Errorf("merge across specs: %v", err)
	}
	again, _ := Correlate{Spec: spec}.Partial(events)
	if err := cp.Merge(again); !errors.Is(err, ErrInvalid) {
		t.Errorf("merge of one profile twice: %v", err)
	}
	data, _ := cp.MarshalBinary()
	if err := withProps.UnmarshalBinary(data); !errors.Is(err, ErrMismatch) {
		t.Errorf("decode across props: %v", err)
	}
	before, _ := Correlate{Spec: spec}.NewPartial()
	bad := slices.Clone(data)
	bad[len(bad)/2] ^= 0xff
	if err := before.UnmarshalBinary(bad); !errors.Is(err, ErrCorrupt) {
		t.Errorf("damaged correlation partial: %v", err)
	}
	if res, _ := before.Result(); res.Converters+res.NonConverters != 0 {
		t.Error("a failed decode changed the partial")
	}
	if _, err := (Correlate{Spec: spec, Level: 2}).NewPartial(); !errors.Is(err, ErrInvalid) {
		t.Error(err)
	}

	sk := Stickiness{Event: Step{Name: "a"}, By: Week}
	sp, _ := sk.Partial(events)
	sdata, _ := sp.MarshalBinary()
	monthly, _ := Stickiness{Event: Step{Name: "a"}, By: Month}.NewPartial()
	if err := monthly.UnmarshalBinary(sdata); !errors.Is(err, ErrMismatch) {
		t.Errorf("decode across periods: %v", err)
	}
	if err := monthly.Merge(sp); !errors.Is(err, ErrMismatch) {
		t.Errorf("merge across periods: %v", err)
	}
	empty, _ := sk.NewPartial()
	bad = slices.Clone(sdata)
	bad[len(bad)-5] ^= 0xff
	if err := empty.UnmarshalBinary(bad); !errors.Is(err, ErrCorrupt) {
		t.Errorf("damaged stickiness partial: %v", err)
	}
	if len(result(empty).Periods) != 0 {
		t.Error("a failed decode changed the partial")
	}
	if _, err := (Stickiness{By: Week}).NewPartial(); !errors.Is(err, ErrInvalid) {
		t.Error(err)
	}

	// The bytes of one analysis given to another's partial: ErrMismatch naming both,
	// and the receiver unchanged.
	if err := before.UnmarshalBinary(sdata); !errors.Is(err, ErrMismatch) || !strings.Contains(err.Error(), "correlation partial: the bytes are a stickiness partial") {
		t.Errorf("stickiness bytes into a correlation partial: %v", err)
	}
	if err := empty.UnmarshalBinary(data); !errors.Is(err, ErrMismatch) || !strings.Contains(err.Error(), "stickiness partial: the bytes are a correlation partial") {
		t.Errorf("correlation bytes into a stickiness partial: %v", err)
	}
	if len(result(empty).Periods) != 0 || result(before).Converters != 0 {
		t.Error("a refused decode changed the partial")
	}
}

// FuzzCorrelationPartialDecode: whatever the bytes, UnmarshalBinary returns an error or
// a partial whose Result computes and whose encoding decodes to the same partial.
func FuzzCorrelationPartialDecode(f *testing.F) {
	spec := Spec{Steps: named("a", "b")}
	c := Correlate{Spec: spec, Props: []string{"ch"}}
	cp, _ := c.Partial([]Event{
		{Profile: 1, Time: at(0), Name: "a", Props: map[string]string{"ch": "web"}}, {Profile: 1, Time: at(1), Name: "x"},
		{Profile: 1, Time: at(2), Name: "b"}, {Profile: 2, Time: at(0), Name: "a"}, {Profile: 2, Time: at(3), Name: "y"},
	})
	good, _ := cp.MarshalBinary()
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add(append([]byte{1}, good[12:len(good)-4]...))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 0 && data[0]&1 == 1 {
			data = framed(correlationMagic, data[1:])
		}
		got, _ := c.NewPartial()
		if err := got.UnmarshalBinary(data); err != nil {
			return
		}
		if _, err := got.Result(); err != nil {
			t.Fatalf("decoded partial has no result: %v", err)
		}
		enc, err := got.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		back, _ := c.NewPartial()
		if err := back.UnmarshalBinary(enc); err != nil || !reflect.DeepEqual(back, got) {
			t.Fatalf("re-encoded partial decodes differently: %v", err)
		}
	})
}

// FuzzStickinessPartialDecode: the same for stickiness, in both versions its decoder
// reads (bodies framed as version 1 or countedVersion, version 1 encodings among the
// seeds); and what it accepts merges into an empty partial, which then refuses it a
// second time exactly when it knows a profile it counted (one decoded from version 1
// knows none).
func FuzzStickinessPartialDecode(f *testing.F) {
	sk := Stickiness{Event: Step{Name: "use"}, By: Week, Breakdown: "plan"}
	d := func(n int) time.Time { return time.Date(2025, 1, 27, 9, 0, 0, 0, time.UTC).AddDate(0, 0, n) }
	sp, _ := sk.partial([]Event{
		{Profile: 1, Time: d(0), Name: "use", Props: map[string]string{"plan": "pro"}}, {Profile: 1, Time: d(1), Name: "use"},
		{Profile: 1, Time: d(9), Name: "use"}, {Profile: 2, Time: d(3), Name: "use"}, {Profile: 3, Time: d(20), Name: "other"},
	})
	empty, _ := sk.newState()
	for _, p := range []*stickinessPartial{sp, empty} {
		addVersionSeeds(f, p.marshal)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		data = framedVersioned(stickinessMagic, countedVersion, data)
		got, _ := sk.NewPartial()
		if err := got.UnmarshalBinary(data); err != nil {
			if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrMismatch) {
				t.Fatalf("error %v is neither ErrCorrupt nor ErrMismatch", err)
			}
			return
		}
		// The decoder's bounds keep every cohort's zero-day count non-negative.
		res := result(got)
		for _, r := range append([]*StickinessResult{res}, slices.Collect(maps.Values(res.Breakdown))...) {
			for _, c := range r.Cohorts {
				if c.Days[0] < 0 {
					t.Fatalf("cohort %v: %d profile-periods at zero days", c.Start, c.Days[0])
				}
			}
		}
		enc, err := got.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		back, _ := sk.NewPartial()
		if err := back.UnmarshalBinary(enc); err != nil || !reflect.DeepEqual(result(back), res) {
			t.Fatalf("re-encoded partial decodes differently: %v", err)
		}
		merged, _ := sk.NewPartial()
		if err := merged.Merge(got); err != nil {
			t.Fatalf("merge into an empty partial: %v", err)
		}
		if !reflect.DeepEqual(result(merged), res) {
			t.Fatalf("merged into an empty partial, the result differs")
		}
		known := got.st.(*stickinessPartial).scan.counted.bitmap().GetCardinality()
		if err := merged.Merge(got); (err != nil) != (known > 0) || err != nil && !errors.Is(err, ErrInvalid) {
			t.Fatalf("merged a second time, knowing %d of its profiles: %v", known, err)
		}
	})
}
