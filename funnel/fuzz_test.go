package funnel

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/google/go-cmp/cmp"
)

// framed wraps body in a valid frame (magic, version, checksum).
func framed(magic string, body []byte) []byte { return framedAs(magic, frameVersion, body) }

// framedAs is framed in a given version.
func framedAs(magic string, version uint32, body []byte) []byte {
	w := newWriterVersion(magic, version)
	w.buf = append(w.buf, body...)
	return w.finish()
}

// addVersionSeeds adds, for a partial's encodings in version 1 and the latest
// (countedVersion), the whole encoding, one cut short, and its body after a
// framedVersioned header byte (1, or 3 for the latest).
func addVersionSeeds(f *testing.F, marshal func(version uint32) ([]byte, error)) {
	for _, version := range []uint32{1, countedVersion} {
		raw, err := marshal(version)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
		f.Add(raw[:len(raw)-3])
		latest := byte(0)
		if version == countedVersion {
			latest = 2
		}
		f.Add(append([]byte{1 | latest}, raw[12:len(raw)-4]...))
	}
}

// framedVersioned frames data[1:] when data[0]'s bit 0 is set, as version 1 or latest
// by its bit 1: for the partials whose decoders read two versions (Spec and Cohorts:
// seenVersion; Trend and Stickiness: countedVersion).
func framedVersioned(magic string, latest uint32, data []byte) []byte {
	if len(data) == 0 || data[0]&1 == 0 {
		return data
	}
	version := uint32(1)
	if data[0]&2 != 0 {
		version = latest
	}
	return framedAs(magic, version, data[1:])
}

// FuzzBatchDecode: whatever the bytes, UnmarshalBinary returns a batch or an error,
// never panics, and what it accepts re-encodes to the same bytes.
func FuzzBatchDecode(f *testing.F) {
	b := &Batch{}
	for i, name := range []string{"visit", "signup", "visit", "purchase"} {
		b.Append(Event{Profile: uint32(1 + i/2), Time: at(int64(i)), Name: name})
	}
	good, _ := b.MarshalBinary()
	f.Add(good)
	f.Add(good[:len(good)-1])
	f.Add([]byte(batchMagic))
	empty, _ := (&Batch{}).MarshalBinary()
	f.Add(empty)
	withProps := &Batch{}
	withProps.Append(Event{Profile: 1, Time: at(1), Name: "visit", Props: map[string]string{"ch": "web"}})
	withProps.Append(Event{Profile: 1, Time: at(2), Name: "purchase", Props: map[string]string{"ch": "store", "plan": "pro"}})
	props, _ := withProps.MarshalBinary()
	f.Add(props)
	f.Add(append([]byte{1}, good[12:len(good)-4]...))               // the body alone, to be framed
	f.Add(append([]byte{1, 0x80, 0x00}, empty[13:len(empty)-4]...)) // a padded varint
	f.Fuzz(func(t *testing.T, data []byte) {
		// Half the inputs are framed with a valid checksum, so that the body's decoder
		// (not just the checksum) meets arbitrary bytes.
		if len(data) > 0 && data[0]&1 == 1 {
			data = framed(batchMagic, data[1:])
		}
		var got Batch
		if err := got.UnmarshalBinary(data); err != nil {
			return
		}
		again, err := got.MarshalBinary()
		if err != nil {
			t.Fatalf("decoded batch does not encode: %v", err)
		}
		if !bytes.Equal(again, data) {
			t.Fatalf("re-encoding differs")
		}
		// A decoded batch is safe to run, with a breakdown too.
		_, _ = Spec{Steps: named("visit", "purchase")}.RunBatch(&got)
		_, _ = Spec{Steps: named("visit", "purchase"), Breakdown: &Breakdown{Prop: "ch"}}.RunBatch(&got)
	})
}

// FuzzPartialDecode: the same for partial results exchanged between machines, in
// both versions the decoder reads (bodies framed as version 1 or 2, and version 1
// encodings among the seeds). What it accepts has a
// curve, re-encodes (as version 2) to bytes that decode to the same Result, and merges
// into an empty partial, End unchanged.
func FuzzPartialDecode(f *testing.F) {
	s := Spec{Steps: named("visit", "buy"), Window: time.Hour, Breakdown: &Breakdown{Prop: "ch"}}
	pt, _ := s.Partial([]Event{
		{Profile: 1, Time: at(1), Name: "visit", Props: map[string]string{"ch": "web"}},
		{Profile: 1, Time: at(2), Name: "buy"},
		{Profile: 2, Time: at(3), Name: "visit"},
	})
	good, _ := pt.MarshalBinary()
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add(append([]byte{3}, good[12:len(good)-4]...))
	pre, _ := s.Partial([]Event{{Profile: 1, Time: time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC), Name: "visit"}})
	preRaw, _ := pre.MarshalBinary()
	f.Add(preRaw)
	empty, _ := emptyPartial(s).MarshalBinary()
	f.Add(empty)
	f.Add(append([]byte{3}, empty[12:len(empty)-4]...))
	for _, p := range []*Partial[*Result]{pt, emptyPartial(s)} {
		raw := v1FunnelBytes(p.st.(*funnelPartial)) // see v1FunnelBytes
		f.Add(raw)
		f.Add(append([]byte{1}, raw[12:len(raw)-4]...))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		data = framedVersioned(partialMagic, seenVersion, data)
		got := *emptyPartial(s)
		if err := got.UnmarshalBinary(data); err != nil {
			return
		}
		res := result(&got)
		// The decoder refuses negative durations and attempts after the end, so an
		// accepted partial always has a curve.
		if _, err := res.TimeToConvert(0.9); err != nil {
			t.Fatalf("time to convert: %v", err)
		}
		again, err := got.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		back := emptyPartial(s)
		if err := back.UnmarshalBinary(again); err != nil {
			t.Fatalf("re-encoded partial refused: %v", err)
		}
		if diff := cmp.Diff(res, result(back), resultOpts...); diff != "" {
			t.Fatalf("re-encoded partial differs:\n%s", diff)
		}
		merged := emptyPartial(s)
		if err := merged.Merge(back); err != nil {
			t.Fatalf("merge into an empty partial: %v", err)
		}
		if end := result(merged).End; !end.Equal(res.End) || end.IsZero() != res.End.IsZero() {
			t.Fatalf("merged into an empty partial: End %v, want %v", end, res.End)
		}
	})
}

// TestDecodeRejectsPaddedVarint: binary.Uvarint reads 0x80 0x00 as 0; the decoders must
// not, or what they accept would re-encode to other bytes.
func TestDecodeRejectsPaddedVarint(t *testing.T) {
	empty, _ := (&Batch{}).MarshalBinary()
	body := append([]byte{0x80, 0x00}, empty[13:len(empty)-4]...) // names count 0, padded
	var b Batch
	if err := b.UnmarshalBinary(framed(batchMagic, body)); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("padded varint: %v, want ErrCorrupt", err)
	}
	if err := b.UnmarshalBinary(framed(batchMagic, empty[12:len(empty)-4])); err != nil {
		t.Fatalf("the same batch unpadded: %v", err)
	}
}

// FuzzJourneysDecode: whatever the bytes, Journeys.UnmarshalBinary decodes journeys or an
// error, never panics; what it accepts re-encodes to the same bytes and answers every
// question.
func FuzzJourneysDecode(f *testing.F) {
	l := Lifecycle{By: Week, DormantAfter: 10 * day}
	d := func(n int) time.Time { return at(0).Add(time.Duration(n) * day) }
	j, _ := l.Run([]Event{
		{Profile: 1, Time: d(0), Name: "visit"}, {Profile: 1, Time: d(2), Name: "visit"},
		{Profile: 1, Time: d(3), Name: "purchase"}, {Profile: 1, Time: d(40), Name: "purchase"},
		{Profile: 4, Time: d(5), Name: "visit", Props: map[string]string{"referrer": "1"}},
		{Profile: 4, Time: d(6), Name: "visit"}, {Profile: 9, Time: d(1), Name: "other"},
	})
	good, _ := j.MarshalBinary()
	f.Add(good)
	f.Add(good[:len(good)-3])
	f.Add(append([]byte{1}, good[12:len(good)-4]...))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 0 && data[0]&1 == 1 {
			data = framed(journeysMagic, data[1:])
		}
		got, err := decodeJourneys(l, data)
		if err != nil {
			return
		}
		again, err := got.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(again, data) {
			t.Fatalf("re-encoding differs")
		}
		for _, q := range []time.Time{d(-1), d(4), d(60)} {
			got.StageAt(q, 1)
			got.Stages(q)
			got.Reached(q, Advocate)
		}
		got.Transitions(d(1), d(50))
		if _, err := got.Growth(d(0), d(70)); err != nil {
			t.Fatal(err)
		}
		if _, err := MergeJourneys(got, got); got.Profiles() > 0 && !errors.Is(err, ErrUnsorted) {
			t.Fatalf("merging journeys with themselves: %v", err)
		}
	})
}

// FuzzCohortPartialDecode: the cohort partial decoder never panics, and what it accepts
// merges, tabulates, and re-encodes to bytes that decode to the same partial. (Not
// necessarily to the same bytes: roaring's reader ignores the offset table of the
// portable format, so two encodings of one bitmap can differ there.)
func FuzzCohortPartialDecode(f *testing.F) {
	c := Cohorts{Start: Step{Name: "visit"}, By: Day, Periods: 3}
	cp, _ := c.Partial([]Event{
		{Profile: 1, Time: at(1), Name: "visit"},
		{Profile: 1, Time: at(30), Name: "visit"},
		{Profile: 2, Time: at(3), Name: "visit"},
	})
	good, _ := cp.MarshalBinary()
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add(append([]byte{3}, good[12:len(good)-4]...))
	empty, _ := c.Partial(nil)
	emptyRaw, _ := empty.MarshalBinary()
	f.Add(emptyRaw)
	// Version 1 encodings (see v1CohortBytes).
	for _, p := range []*Partial[*Table]{cp, empty} {
		raw := v1CohortBytes(p.st.(*cohortPartial))
		f.Add(raw)
		f.Add(append([]byte{1}, raw[12:len(raw)-4]...))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		data = framedVersioned(cohortMagic, seenVersion, data)
		got, err := decodeCohortPartial(c, data)
		if err != nil {
			return
		}
		again, err := got.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		back, err := decodeCohortPartial(c, again)
		if err != nil {
			t.Fatalf("re-encoded partial refused: %v", err)
		}
		if third, _ := back.MarshalBinary(); !bytes.Equal(third, again) {
			t.Fatalf("encoding is not a fixed point:\n% x\n% x", again, third)
		}
		empty, _ := c.Partial(nil)
		if err := empty.Merge(got); err != nil {
			t.Fatalf("merge of an accepted partial: %v", err)
		}
		_ = result(empty)
	})
}

// TestDecodeBoundsProfiles: 14 KB of run containers name 2^26+1 profiles, a quarter of
// a gigabyte of ids once decoded; one container more per 65,536 profiles names billions.
// The decoder refuses more than MaxDecodedProfiles.
func TestDecodeBoundsProfiles(t *testing.T) {
	c := Cohorts{Start: Step{Name: "visit"}, By: Day, Periods: 1}
	p, err := c.compile()
	if err != nil {
		t.Fatal(err)
	}
	w := newWriterVersion(cohortMagic, seenVersion)
	w.str(p.newPartial().fp)
	w.optTime(0)
	w.uvarint(1)
	w.varint(20000)
	w.int64s(make([]int64, len(p.cols)))
	bm := roaring.New()
	bm.AddRange(0, MaxDecodedProfiles+1)
	bm.RunOptimize()
	raw, err := bm.ToBytes()
	if err != nil {
		t.Fatal(err)
	}
	if len(raw) > 1<<15 { // 1,025 run containers: about 14 KB for 2^26+1 profiles
		t.Fatalf("run-encoded bitmap of %d bytes; the test wants a small one", len(raw))
	}
	w.bytes(raw)
	_, err = decodeCohortPartial(c, w.finish())
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "more than the 67108864") {
		t.Fatalf("decode of %d profiles in %d bytes: %v, want ErrCorrupt naming the bound", MaxDecodedProfiles+1, len(raw), err)
	}
}

// TestDecodePartialChecksTimes: a partial whose durations fall outside the window, or
// whose open attempts begin after the end of observation, is refused with the offset.
func TestDecodePartialChecksTimes(t *testing.T) {
	s := Spec{Steps: named("visit", "buy"), Window: 10 * time.Second}
	for name, damage := range map[string]func(g *tally){
		"negative duration":      func(g *tally) { g.fromPrev[1].blocks[0][0] = -1 },
		"duration past window":   func(g *tally) { g.fromPrev[1].blocks[0][0] = int64(11 * time.Second) },
		"open attempt after end": func(g *tally) { g.open.blocks[0][0] = at(50).UnixNano() },
	} {
		pt, err := s.partial([]Event{
			{Profile: 1, Time: at(1), Name: "visit"}, {Profile: 1, Time: at(2), Name: "buy"},
			{Profile: 2, Time: at(3), Name: "visit"},
		})
		if err != nil {
			t.Fatal(err)
		}
		damage(pt.groups[""])
		raw, err := pt.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		back := *emptyPartial(s)
		if err := back.UnmarshalBinary(raw); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "at byte") {
			t.Errorf("%s: err = %v, want ErrCorrupt naming the byte", name, err)
		}
	}
}

// TestBatchPropsEncoding: property columns survive encoding (a batch without them
// encodes as before they existed), Append back-fills a property first seen late, and a
// damaged property section is refused.
func TestBatchPropsEncoding(t *testing.T) {
	b := &Batch{}
	b.Append(Event{Profile: 1, Time: at(1), Name: "visit"})
	b.Append(Event{Profile: 1, Time: at(2), Name: "visit", Props: map[string]string{"ch": "web"}})
	b.Append(Event{Profile: 2, Time: at(3), Name: "buy", Props: map[string]string{"plan": "pro"}})
	if got := b.Values[b.Props["ch"][0]]; got != "" {
		t.Errorf("event 0's ch is %q, want the back-filled \"\"", got)
	}
	if e := b.At(2); e.Props["plan"] != "pro" || len(e.Props) != 1 {
		t.Errorf("At(2) = %+v", e)
	}
	raw, err := b.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var back Batch
	if err := back.UnmarshalBinary(raw); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(back.Values, b.Values) || !slices.Equal(back.Props["ch"], b.Props["ch"]) || !slices.Equal(back.Props["plan"], b.Props["plan"]) {
		t.Errorf("round trip: %+v, want %+v", back, b)
	}
	plain := &Batch{Profile: b.Profile, Time: b.Time, Event: b.Event, Names: b.Names}
	old, _ := plain.MarshalBinary()
	if !bytes.HasPrefix(raw[:len(raw)-4], old[:len(old)-4]) {
		t.Error("a batch's encoding without properties is not the prefix of the one with them")
	}
	// A property column of the wrong length, and a value id outside Values.
	short := &Batch{Profile: b.Profile, Time: b.Time, Event: b.Event, Names: b.Names, Values: b.Values, Props: map[string][]uint32{"ch": {0}}}
	if _, err := (Spec{Steps: named("visit"), Breakdown: &Breakdown{Prop: "ch"}}).RunBatch(short); !errors.Is(err, ErrInvalid) {
		t.Errorf("short property column: %v, want ErrInvalid", err)
	}
	bad := &Batch{Profile: b.Profile, Time: b.Time, Event: b.Event, Names: b.Names, Values: b.Values, Props: map[string][]uint32{"ch": {0, 9, 0}}}
	if _, err := (Spec{Steps: named("visit"), Breakdown: &Breakdown{Prop: "ch"}}).RunBatch(bad); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "batch event 1") {
		t.Errorf("value id 9 of 3: %v, want ErrCorrupt naming event 1", err)
	}
	if _, err := bad.MarshalBinary(); !errors.Is(err, ErrCorrupt) {
		t.Errorf("encoding a bad value id: %v, want ErrCorrupt", err)
	}
	// A property section that names no property is not canonical.
	body := append(bytes.Clone(old[12:len(old)-4]), 1, 0, 0) // one value "", no property
	if err := back.UnmarshalBinary(framed(batchMagic, body)); !errors.Is(err, ErrCorrupt) {
		t.Errorf("empty property section: %v, want ErrCorrupt", err)
	}
}

// FuzzParseMode: whatever the text, ParseMode answers without a panic, and a mode it
// reads is written back by String as a text it reads to the same mode.
func FuzzParseMode(f *testing.F) {
	for _, s := range []string{"", "default", "strict_order|strict_once", "strict_once, allow_reentry", "any_order", "nope", "|", "strict_order||"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseMode(s)
		if err != nil {
			return
		}
		back, err := ParseMode(m.String())
		if err != nil || back != m {
			t.Errorf("ParseMode(%q) = %v, whose String %q reads as %v, %v", s, m, m.String(), back, err)
		}
	})
}
