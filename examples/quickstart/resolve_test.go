package main

import (
	"bytes"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/clientele-go/clientele/internal/benchsize"
	"github.com/clientele-go/clientele/internal/synth"
	"pgregory.net/rapid"
)

// naiveByTime is how resolveBase ordered the events before eventLog: appended to one
// slice and stably sorted by time.
func naiveByTime(events []event) []event {
	var out []event
	//lint:ignore S1011 the baseline appends one event at a time, as resolveBase did
	for _, e := range events {
		out = append(out, e)
	}
	slices.SortStableFunc(out, func(a, b event) int { return a.at.Compare(b.at) })
	return out
}

// eventLog's byTime is the stable sort by time: events at one instant (many, and
// across chunks) keep the order they were added in.
func TestEventLogByTime(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(0, 3*eventChunk).Draw(t, "n")
		instants := rapid.IntRange(1, 50).Draw(t, "instants")
		base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
		events := make([]event, n)
		var log eventLog
		for i := range events {
			k := rapid.IntRange(0, instants-1).Draw(t, "instant")
			// Instants a nanosecond apart and a day apart, before and after 1970.
			at := base.Add(time.Duration(k)*time.Nanosecond).AddDate(0, 0, -k*k*200)
			events[i] = event{profile: uint32(i), at: at, order: strconv.Itoa(i)}
			log.add(events[i])
		}
		got, want := log.byTime(), naiveByTime(events)
		if len(got) != len(want) || cap(got) != len(want) {
			t.Fatalf("%d events (capacity %d), want %d", len(got), cap(got), len(want))
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("event %d: %+v, want %+v", i, got[i], want[i])
			}
		}
	})
}

// benchEvents are a million events (10,000 under -short, CI's benchmark smoke) in the
// generator's order: person by person, each person's events in time, people's
// timelines overlapping.
func benchEvents() []event {
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	events := make([]event, 0, benchsize.Of(1_000_000, 10_000))
	for p := 0; len(events) < cap(events); p++ {
		at := base.Add(time.Duration(p*7919%(365*24)) * time.Hour)
		for k := range 3 {
			events = append(events, event{profile: uint32(p), person: int32(p), at: at.Add(time.Duration(k*k) * 36 * time.Hour), channel: "web"})
		}
	}
	return events
}

// BenchmarkEventLog1M gathers and orders a million events with eventLog, beside
// BenchmarkEventLog1MNaive, one growing slice and a stable sort.
func BenchmarkEventLog1M(b *testing.B) {
	events := benchEvents()
	b.ReportAllocs()
	for b.Loop() {
		var log eventLog
		for _, e := range events {
			log.add(e)
		}
		log.byTime()
	}
}

func BenchmarkEventLog1MNaive(b *testing.B) {
	events := benchEvents()
	b.ReportAllocs()
	for b.Loop() {
		naiveByTime(events)
	}
}

// naiveGrade is grade as it was, with maps of maps.
func (r *resolved) naiveGrade() {
	personsOf := map[uint32]map[int32]bool{}
	profilesOf := map[int32]map[uint32]bool{}
	signedUp := map[int32]bool{}
	for _, e := range r.events {
		if e.kind == synth.Signup {
			signedUp[e.person] = true
		}
		if personsOf[e.profile] == nil {
			personsOf[e.profile] = map[int32]bool{}
		}
		personsOf[e.profile][e.person] = true
		if profilesOf[e.person] == nil {
			profilesOf[e.person] = map[uint32]bool{}
		}
		profilesOf[e.person][e.profile] = true
	}
	for _, ps := range personsOf {
		if len(ps) > 1 {
			r.mixedProfiles++
		}
	}
	r.users = len(signedUp)
	for person := range signedUp {
		if len(profilesOf[person]) > 1 {
			r.splitUsers++
		}
	}
}

// grade's counts are those of the maps of maps: profiles mixing people, users, and
// users split over profiles, with people and profiles repeated, negative people
// (the keys' sign bit) and the largest profile keys.
func TestGradeMatchesMaps(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(0, 300).Draw(t, "n")
		events := make([]event, n)
		for i := range events {
			events[i] = event{
				profile: rapid.SampledFrom([]uint32{1, 2, 3, 4, 1 << 31, math.MaxUint32}).Draw(t, "profile"),
				person:  int32(rapid.IntRange(-3, 6).Draw(t, "person")),
				kind:    rapid.SampledFrom([]synth.Kind{synth.Visit, synth.Signup, synth.Purchase}).Draw(t, "kind"),
			}
		}
		got, want := &resolved{events: events}, &resolved{events: events}
		got.grade()
		want.naiveGrade()
		if got.mixedProfiles != want.mixedProfiles || got.users != want.users || got.splitUsers != want.splitUsers {
			t.Fatalf("mixed %d, users %d, split %d; maps give %d, %d, %d", got.mixedProfiles, got.users, got.splitUsers,
				want.mixedProfiles, want.users, want.splitUsers)
		}
	})
}

// gradeEvents are a million events of about 330,000 people over 600,000 profiles, a
// tenth of the people signed up, some profiles shared.
func gradeEvents() []event {
	events := benchEvents()
	for i := range events {
		p := events[i].person
		events[i].profile = uint32(p*2 + int32(i%2))
		if p%50 == 0 {
			events[i].profile = uint32(p / 3)
		}
		if p%10 == 0 && i%3 == 0 {
			events[i].kind = synth.Signup
		}
	}
	return events
}

// BenchmarkGrade grades a million events, beside BenchmarkGradeNaive, the maps of maps.
func BenchmarkGrade(b *testing.B) {
	r := &resolved{events: gradeEvents()}
	for b.Loop() {
		r.grade()
	}
}

func BenchmarkGradeNaive(b *testing.B) {
	r := &resolved{events: gradeEvents()}
	for b.Loop() {
		r.naiveGrade()
	}
}

// TestUnsettledMatchingWarns: a training session whose EM stopped at its iteration cap
// (match.TrainReport) is named under the matching line, and a model whose sessions all
// converged prints no warning.
func TestUnsettledMatchingWarns(t *testing.T) {
	for _, c := range []struct {
		unsettled []string
		want      string
	}{
		{nil, ""},
		{[]string{"surname and city", "first_name and city"}, "        -  warning: the matching model's EM stopped at its iteration cap before converging in the training sessions on surname and city; first_name and city, so its weights are approximate\n"},
	} {
		var b bytes.Buffer
		r := &resolved{matched: matched{merges: 3, right: 3, cards: 4, unsettled: c.unsettled}}
		r.report(&reportWriter{w: &b})
		_, got, _ := strings.Cut(b.String(), "mistyped phone\n")
		if got != c.want {
			t.Errorf("unsettled %v: after the matching line %q, want %q", c.unsettled, got, c.want)
		}
	}
}
