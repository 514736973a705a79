package scoring

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/google/go-cmp/cmp"
)

// lookalikeBase has 5,000 profiles, 10% of them "good": good profiles have higher
// feature 0 and lower feature 1; feature 2 is noise. The seed is half of the good ones.
func lookalikeBase(signal float64) (*roaring.Bitmap, []uint32, [][]float64, *roaring.Bitmap) {
	rng := rand.New(rand.NewPCG(5, 5))
	seed, good := roaring.New(), roaring.New()
	var profiles []uint32
	var features [][]float64
	for i := range 5000 {
		p := uint32(i + 1)
		isGood := i%10 == 0
		shift := 0.0
		if isGood {
			shift = signal
			good.Add(p)
			if rng.IntN(2) == 0 {
				seed.Add(p)
			}
		}
		profiles = append(profiles, p)
		features = append(features, []float64{rng.NormFloat64() + shift, rng.NormFloat64() - shift, rng.NormFloat64()})
	}
	return seed, profiles, features, good
}

func TestLookalikeFindsGoodProfiles(t *testing.T) {
	seed, profiles, features, good := lookalikeBase(2)
	l, err := FindLookalikes(seed, profiles, features, nil)
	if err != nil {
		t.Fatal(err)
	}
	if l.HeldOut != int(0.2*float64(seed.GetCardinality())+0.5) {
		t.Errorf("held out %d of %d", l.HeldOut, seed.GetCardinality())
	}
	// A strong signal: the held-out members crowd the top of the ranking.
	if l.LiftAt1 < 4 || l.LiftAt5 < 4 || l.LiftAt10 < 3 {
		t.Errorf("lift at 1/5/10%%: %.2f %.2f %.2f", l.LiftAt1, l.LiftAt5, l.LiftAt10)
	}
	top := l.Top(200)
	if top.GetCardinality() != 200 || top.Intersects(seed) {
		t.Fatalf("top 200: %d profiles, overlaps seed %v", top.GetCardinality(), top.Intersects(seed))
	}
	// Most of the top are the unseeded good profiles (about 250 exist).
	if hit := top.AndCardinality(good); hit < 150 {
		t.Errorf("top 200 holds %d good profiles", hit)
	}
	if l.Model.Coef[0] <= 0 || l.Model.Coef[1] >= 0 {
		t.Errorf("coefficients %v should favour feature 0 and penalise feature 1", l.Model.Coef)
	}
	for i := 1; i < len(l.Scores); i++ {
		if l.Scores[i] > l.Scores[i-1] {
			t.Fatal("scores not in decreasing order")
		}
	}
	again, _ := FindLookalikes(seed, profiles, features, nil)
	if diff := cmp.Diff(l.Profiles, again.Profiles); diff != "" {
		t.Error("not reproducible")
	}
}

func TestLookalikeNoSignalHasNoLift(t *testing.T) {
	seed, profiles, features, _ := lookalikeBase(0)
	l, err := FindLookalikes(seed, profiles, features, nil)
	if err != nil {
		t.Fatal(err)
	}
	if l.LiftAt10 > 2.5 {
		t.Errorf("lift at 10%% without signal: %.2f", l.LiftAt10)
	}
	if l.Top(1e9).GetCardinality() != uint64(len(profiles))-seed.GetCardinality() {
		t.Error("Top(large) is not every non-seed profile")
	}
}

func TestLookalikeRejectsBadInput(t *testing.T) {
	seed, profiles, features, _ := lookalikeBase(1)
	dup := append([]uint32{}, profiles...)
	dup[3] = dup[4]
	for name, err := range map[string]error{
		"lengths":   second(FindLookalikes(seed, profiles[:10], features, nil)),
		"duplicate": second(FindLookalikes(seed, dup, features, nil)),
		"hold-out":  second(FindLookalikes(seed, profiles, features, &LookalikeOptions{HoldOut: 1.5})),
		"nil seed":  second(FindLookalikes(nil, profiles, features, nil)),
	} {
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: err = %v, want ErrInvalid", name, err)
		}
	}
	if _, err := FindLookalikes(roaring.BitmapOf(1, 2, 3), profiles, features, nil); !errors.Is(err, ErrTooFew) {
		t.Errorf("tiny seed: err = %v", err)
	}
}

// TestLookalikeTooFewSaysSingular: a seed of one member is the first thing a newcomer
// tries; the error said "1 seed members".
func TestLookalikeTooFewSaysSingular(t *testing.T) {
	_, profiles, features, _ := lookalikeBase(1)
	_, err := FindLookalikes(roaring.BitmapOf(profiles[0]), profiles[:11], features[:11], nil)
	want := "1 seed member and 10 other profiles; need 10 of each"
	if !errors.Is(err, ErrTooFew) || err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("seed of one: %v, want ErrTooFew saying %q", err, want)
	}
	_, err = FindLookalikes(roaring.BitmapOf(profiles[:10]...), profiles[:11], features[:11], nil)
	if want := "10 seed members and 1 other profile;"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("all but one in the seed: %v, want it to say %q", err, want)
	}
	if _, err := Evaluate([]float64{0.5}, []bool{true, false}); err == nil || !strings.Contains(err.Error(), "1 score, 2 outcomes") {
		t.Errorf("Evaluate of mismatched lengths: %v, want it to say %q", err, "1 score, 2 outcomes")
	}
}
