package funnel

import (
	"math/rand/v2"
	"reflect"
	"runtime"
	"testing"
	"time"

	"pgregory.net/rapid"
)

// The parallel reading of a large batch's runs (Batch.profiles) returns what the
// one-core passes return, starts or the same error, whatever one event gets wrong.
func TestProfilesParallel(t *testing.T) {
	if runtime.GOMAXPROCS(0) < 2 {
		t.Skip("one core: profiles is profilesSerial")
	}
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(4096, 9000).Draw(t, "events")
		rng := rand.New(rand.NewPCG(rapid.Uint64().Draw(t, "seed"), 0))
		b := &Batch{Names: []string{"a", "b"}, Values: []string{"", "x"}}
		prof, at := uint32(1), int64(1e18)
		for range n {
			if rng.IntN(6) == 0 {
				prof += uint32(1 + rng.IntN(3))
			}
			at++
			b.Profile = append(b.Profile, prof)
			b.Time = append(b.Time, at)
			b.Event = append(b.Event, uint32(rng.IntN(2)))
		}
		b.Props = map[string][]uint32{"p": make([]uint32, n)}
		i := rapid.IntRange(0, n-1).Draw(t, "where")
		switch rapid.IntRange(0, 6).Draw(t, "fault") {
		case 1:
			b.Event[i] = 2
		case 2:
			b.Time[i] = maxNano
		case 3:
			b.Props["p"][i] = 2
		case 4: // a profile met again after others
			b.Profile[i] = b.Profile[0]
		case 5: // descending but grouped: legal
			for k := range b.Profile {
				b.Profile[k] = prof + 1 - b.Profile[k]
			}
		case 6:
			b.Props["q"] = make([]uint32, n-1)
		}
		var asOf time.Time
		if rapid.Bool().Draw(t, "asOf?") {
			asOf = time.Unix(0, at-int64(rapid.IntRange(0, 3).Draw(t, "before end")))
		}
		got, gerr := b.profiles(asOf)
		want, werr := b.profilesSerial(asOf)
		if !reflect.DeepEqual(got, want) || (gerr == nil) != (werr == nil) || gerr != nil && gerr.Error() != werr.Error() {
			t.Fatalf("parallel %v, %v; serial %v, %v", len(got), gerr, len(want), werr)
		}
	})
}
