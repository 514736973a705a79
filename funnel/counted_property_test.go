package funnel

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"
)

// countedOf returns the profiles a Trend's or Stickiness's partial counted.
func countedOf[R any](p *Partial[R]) *roaring.Bitmap {
	switch st := any(p.st).(type) {
	case *trendPartial:
		return st.counted.bitmap()
	case *stickinessPartial:
		return st.scan.counted.bitmap()
	}
	panic(fmt.Sprintf("no counted profiles in a %T", p.st))
}

// partialForms are an analysis's ways of making a partial, for mergeProperty.
type partialForms[R any] struct {
	newPartial func() (*Partial[R], error)
	slice      func([]Event) (*Partial[R], error)
	seq        func(func(func(Event) bool)) (*Partial[R], error)
	batch      func(*Batch) (*Partial[R], error)
}

// draw makes the partial of events by a drawn form, through the encoding or not.
func (f partialForms[R]) draw(t *rapid.T, events []Event, label string) *Partial[R] {
	var p *Partial[R]
	var err error
	switch rapid.IntRange(0, 2).Draw(t, label+" form") {
	case 0:
		p, err = f.slice(events)
	case 1:
		p, err = f.seq(groupedSeq(events))
	case 2:
		p, err = f.batch(batchOf(t, slices.Collect(groupedSeq(events))))
	}
	if err != nil {
		t.Fatal(err)
	}
	if rapid.Bool().Draw(t, label+" encoded") {
		data, err := p.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		if p, err = f.newPartial(); err != nil {
			t.Fatal(err)
		}
		if err := p.UnmarshalBinary(data); err != nil {
			t.Fatalf("%s: decode: %v", label, err)
		}
	}
	return p
}

// mergeProperty: the partials of any split of events's profiles into shards, each made
// by any form, through the encoding or not, merged in any order, equal one partial over
// all the events, the profiles counted included. Then a shard merged a second time
// (its very partial, or one made again) is refused with ErrInvalid, leaving the
// receiver unchanged, when it counted a profile; one that counted none merges again
// without changing anything.
func mergeProperty[R any](t *rapid.T, f partialForms[R], events []Event) {
	want, err := f.slice(events)
	if err != nil {
		t.Fatal(err)
	}
	shards := shardEvents(t, events, rapid.IntRange(1, 5).Draw(t, "shards"))
	parts := make([]*Partial[R], len(shards))
	for i, sh := range shards {
		parts[i] = f.draw(t, sh, fmt.Sprint("shard ", i))
	}
	all, err := f.newPartial()
	if err != nil {
		t.Fatal(err)
	}
	order := make([]int, len(parts))
	for i := range order {
		order[i] = i
	}
	for _, i := range rapid.Permutation(order).Draw(t, "order") {
		if err := all.Merge(parts[i]); err != nil {
			t.Fatalf("disjoint shard %d refused: %v", i, err)
		}
	}
	if diff := cmp.Diff(result(want), result(all), locEqual); diff != "" {
		t.Fatalf("merged shards differ from one pass (-one pass +merged):\n%s", diff)
	}
	if !countedOf(all).Equals(countedOf(want)) {
		t.Fatalf("merged shards counted %v, one pass %v", countedOf(all), countedOf(want))
	}

	retry := rapid.IntRange(0, len(shards)-1).Draw(t, "retried")
	again := parts[retry]
	if rapid.Bool().Draw(t, "made again") {
		again = f.draw(t, shards[retry], "retry")
	}
	n := countedOf(again).GetCardinality()
	before, beforeSet := result(all), countedOf(all)
	err = all.Merge(again)
	switch {
	case n > 0 && (!errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), fmt.Sprintf(": %d profile", n))):
		t.Fatalf("shard %d, counting %d profiles, merged again: %v, want ErrInvalid naming them", retry, n, err)
	case n == 0 && err != nil:
		t.Fatalf("shard %d, counting no profile, merged again: %v", retry, err)
	}
	if diff := cmp.Diff(before, result(all), locEqual); diff != "" {
		t.Fatalf("shard %d merged again changed the result:\n%s", retry, diff)
	}
	if !countedOf(all).Equals(beforeSet) {
		t.Fatalf("shard %d merged again changed the profiles counted", retry)
	}
}

// drawEvents draws events of up to a dozen profiles, their ids near 0 or straddling a
// roaring container's boundary (2^16), named among names, with a property plan.
func drawEvents(t *rapid.T, names []string, base time.Time, span time.Duration) []Event {
	first := rapid.SampledFrom([]uint32{1, 1<<16 - 6}).Draw(t, "first profile")
	var events []Event
	for range rapid.IntRange(0, 60).Draw(t, "events") {
		e := Event{
			Profile: first + uint32(rapid.IntRange(0, 11).Draw(t, "profile")),
			Time:    base.Add(time.Duration(rapid.Int64Range(0, int64(span/time.Minute)).Draw(t, "minute")) * time.Minute),
			Name:    rapid.SampledFrom(names).Draw(t, "name"),
		}
		if v := rapid.SampledFrom([]string{"", "free", "pro"}).Draw(t, "plan"); v != "" {
			e.Props = map[string]string{"plan": v}
		}
		events = append(events, e)
	}
	return events
}

// Trend partials: mergeProperty.
func TestTrendPartialMergeProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		tr := Trend{
			Spec: Spec{Steps: named("a", "b"), Window: time.Duration(rapid.IntRange(0, 3).Draw(t, "window hours")) * time.Hour},
			By:   rapid.SampledFrom([]Period{Day, Week}).Draw(t, "by"),
		}
		events := drawEvents(t, []string{"a", "b", "x"}, time.Date(2025, 1, 27, 0, 0, 0, 0, time.UTC), 10*24*time.Hour)
		mergeProperty(t, partialForms[*TrendResult]{tr.NewPartial, tr.Partial, func(s func(func(Event) bool)) (*Partial[*TrendResult], error) { return tr.PartialSeq(s) }, tr.PartialBatch}, events)
	})
}

// Stickiness partials: mergeProperty.
func TestStickinessPartialMergeProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		sk := Stickiness{Event: Step{Name: "use"}, By: rapid.SampledFrom([]Period{Week, Month}).Draw(t, "by")}
		if rapid.Bool().Draw(t, "breakdown?") {
			sk.Breakdown = "plan"
		}
		events := drawEvents(t, []string{"use", "use", "other"}, time.Date(2025, 1, 27, 0, 0, 0, 0, time.UTC), 70*24*time.Hour)
		mergeProperty(t, partialForms[*StickinessResult]{sk.NewPartial, sk.Partial, func(s func(func(Event) bool)) (*Partial[*StickinessResult], error) { return sk.PartialSeq(s) }, sk.PartialBatch}, events)
	})
}
