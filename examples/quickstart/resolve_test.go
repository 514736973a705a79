package main

import (
	"slices"
	"strconv"
	"testing"
	"time"

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

// benchEvents are a million events in the generator's order: person by person, each
// person's events in time, people's timelines overlapping.
func benchEvents() []event {
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	events := make([]event, 0, 1_000_000)
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
