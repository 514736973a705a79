package referral

import (
	"testing"
	"time"

	"github.com/clientele-go/clientele/internal/benchsize"
)

// BenchmarkViralGrowth: 100,000 sign-ups over 5,000 daily periods (2,000 sign-ups under
// -short, CI's benchmark smoke). ViralGrowth places
// each sign-up in its period once, by a binary search over the bounds; the naive
// baseline compares each sign-up with every period, as ViralGrowth did before (its
// users per period only: the least of what the old loop did).
func BenchmarkViralGrowth(b *testing.B) {
	start := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	const periods = 5000
	signups := make([]Signup, benchsize.Of(100_000, 2_000))
	for i := range signups {
		signups[i] = Signup{Profile: uint32(i + 1), At: start.Add(time.Duration(i) * 71 * time.Minute)}
		if i > 0 {
			signups[i].Referrer = uint32(i / 2)
		}
	}
	b.Run("ViralGrowth", func(b *testing.B) {
		for b.Loop() {
			if _, err := ViralGrowth(signups, nil, start, 24*time.Hour, periods, 0.95); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("naive", func(b *testing.B) {
		users := make([]int, periods)
		for b.Loop() {
			clear(users)
			for i := range periods {
				lo := start.Add(time.Duration(i) * 24 * time.Hour)
				hi := lo.Add(24 * time.Hour)
				for _, s := range signups {
					if !s.At.Before(lo) && s.At.Before(hi) {
						users[i]++
					}
				}
			}
		}
	})
}
