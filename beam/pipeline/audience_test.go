package pipeline

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	"github.com/clientele-go/clientele/funnel"
	"github.com/clientele-go/clientele/segment"
)

func init() {
	register.Function1x1(encodeShard)
}

func TestAudiencesEqualSegmentIndex(t *testing.T) {
	events := genEvents(7, 5000)
	// Spread the profiles over several shards of 2^20.
	for i := range events {
		events[i].Profile *= 727
	}
	r := rand.New(rand.NewPCG(7, 8))
	var traits []Trait
	for p := uint32(1); p <= 5000; p++ {
		traits = append(traits, Trait{Profile: p * 727, Key: "plan", Value: []string{"free", "pro"}[r.IntN(2)]})
		if r.IntN(2) == 0 {
			traits = append(traits, Trait{Profile: p * 727, Key: "city", Value: []string{"paris", "lyon", "nice"}[r.IntN(3)]})
		}
	}
	audiences := []Audience{
		{Name: "pro buyers", All: true, Terms: []string{"plan:pro", "did(purchase)"}},
		{Name: "reachable", Terms: []string{"did(signup)", "city:paris", "city:nice"}},
		{Name: "refunded in lyon", All: true, Terms: []string{"did(refund)", "city:lyon", "did(visit)"}},
		{Name: "nobody", All: true, Terms: []string{"did(purchase)", "did(never)"}},
	}
	p, s := beam.NewPipelineWithRoot()
	out, err := Audiences(s, audiences, stall(s, beam.Reshuffle(s, beam.CreateList(s, events))), beam.CreateList(s, traits))
	if err != nil {
		t.Fatal(err)
	}
	collect(s, "audiences", beam.ParDo(s, encodeShard, out))
	runMerging(t, p)

	x, err := segment.NewIndex(segment.WithEvents("never"))
	if err != nil {
		t.Fatal(err)
	}
	var last time.Time
	for _, e := range events {
		x.Record(e.Time, e.Profile, e.Name)
		if e.Time.After(last) {
			last = e.Time
		}
	}
	for _, tr := range traits {
		x.SetTrait(tr.Key, tr.Value, tr.Profile)
	}
	gotBy := map[string]*roaring.Bitmap{}
	shards := map[string]int{}
	for _, b := range got(t, "audiences") {
		sh, err := decodeShard(b)
		if err != nil {
			t.Fatal(err)
		}
		bm, err := segment.DecodeBitmap(sh.Bitmap)
		if err != nil {
			t.Fatal(err)
		}
		if lo, hi := bm.Minimum()>>ShardBits, bm.Maximum()>>ShardBits; lo != sh.Shard || hi != sh.Shard {
			t.Errorf("%s shard %d holds profiles of shards %d to %d", sh.Audience, sh.Shard, lo, hi)
		}
		if gotBy[sh.Audience] == nil {
			gotBy[sh.Audience] = roaring.New()
		}
		gotBy[sh.Audience].Or(bm)
		shards[sh.Audience]++
	}
	for _, a := range audiences {
		q, err := segment.Parse(a.Query())
		if err != nil {
			t.Fatal(err)
		}
		want, err := x.Eval(context.Background(), last, q, nil)
		if err != nil {
			t.Fatal(err)
		}
		g := gotBy[a.Name]
		if g == nil {
			g = roaring.New()
		}
		if !want.Equals(g) {
			t.Errorf("%s: %d members, want %d (%s)", a.Name, g.GetCardinality(), want.GetCardinality(), a.Query())
		}
		if a.Name == "pro buyers" && shards[a.Name] < 2 {
			t.Errorf("%s in %d shards; the test wants several", a.Name, shards[a.Name])
		}
	}
}

func TestAudiencesRefuseBadTerms(t *testing.T) {
	_, s := beam.NewPipelineWithRoot()
	none := beam.CreateList(s, []funnel.Event{})
	traits := beam.CreateList(s, []Trait{})
	for _, a := range [][]Audience{
		{{Name: "", Terms: []string{"plan:pro"}}},
		{{Name: "a", Terms: []string{"plan"}}},
		{{Name: "a", Terms: []string{"did()"}}},
		{{Name: "a"}},
		{{Name: "a", Terms: []string{"plan:pro"}}, {Name: "a", Terms: []string{"plan:free"}}},
	} {
		if _, err := Audiences(s, a, none, traits); !errors.Is(err, ErrInvalid) {
			t.Errorf("%v: %v, want ErrInvalid", a, err)
		}
	}
	_ = fmt.Sprint()
}
