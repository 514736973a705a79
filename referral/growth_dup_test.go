package referral

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// A sign-up listed twice (an export's retried row) is one person joining once: it
// counts once in its cohort's Users and its referral once in its referrer's
// Converted. Two different sign-ups of one profile, or a profile referring itself,
// cannot both be true and are refused, as NewTree refuses them.
func TestViralGrowthDuplicateSignups(t *testing.T) {
	d0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	su := []Signup{{1, 0, d0}, {2, 1, d0.Add(time.Hour)}, {3, 1, d0.Add(2 * time.Hour)}}
	inv := []Invite{{1, d0}, {1, d0}, {1, d0}}
	want, err := ViralGrowth(su, inv, d0, 24*time.Hour, 1, 0.95)
	if err != nil {
		t.Fatal(err)
	}
	dup := append(append([]Signup(nil), su...), su[0], su[1], Signup{2, 1, d0.Add(time.Hour).In(time.FixedZone("CET", 3600))})
	got, err := ViralGrowth(dup, inv, d0, 24*time.Hour, 1, 0.95)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("duplicated sign-ups change the cohorts (-once +twice):\n%s", diff)
	}
	if got[0].Users != 3 || got[0].Converted != 2 {
		t.Errorf("Users %d, Converted %d; want 3 and 2", got[0].Users, got[0].Converted)
	}
	for _, c := range []struct {
		name string
		s    Signup
		want error
	}{
		{"another referrer", Signup{2, 3, d0.Add(time.Hour)}, ErrInvalid},
		{"another time", Signup{2, 1, d0.Add(3 * time.Hour)}, ErrInvalid},
		{"organic", Signup{2, 0, d0.Add(time.Hour)}, ErrInvalid},
		{"self", Signup{4, 4, d0}, ErrCycle},
	} {
		if _, err := ViralGrowth(append(su, c.s), inv, d0, 24*time.Hour, 1, 0.95); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		} else {
			t.Log(err)
		}
	}
}
