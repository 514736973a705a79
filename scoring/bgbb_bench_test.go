package scoring

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/mathext"
	"pgregory.net/rapid"
)

// bgbbLogDeadPairwise is bgbbLogDead as it was before floats.LogSumExp: the terms added
// one at a time in the log domain, one log1p each. It is the baseline of the benchmark
// and the reference of the test below.
func bgbbLogDeadPairwise(alpha, beta, gamma, delta float64, x, tx, n int) float64 {
	xf := float64(x)
	lab, lgd := mathext.Lbeta(alpha, beta), mathext.Lbeta(gamma, delta)
	s := math.Inf(-1)
	for i := 0; i < n-tx; i++ {
		fi := float64(i)
		s = logAddExp(s, mathext.Lbeta(alpha+xf, beta+float64(tx)-xf+fi)-lab+
			mathext.Lbeta(gamma+1, delta+float64(tx)+fi)-lgd)
	}
	return s
}

func TestBGBBLogDeadMatchesPairwise(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p := rapid.SliceOfN(rapid.Float64Range(0.05, 50), 4, 4).Draw(t, "params")
		n := rapid.IntRange(0, 200).Draw(t, "n")
		tx := rapid.IntRange(0, n).Draw(t, "tx")
		x := rapid.IntRange(0, tx).Draw(t, "x")
		if tx == 0 {
			x = 0
		}
		got := bgbbLogDead(p[0], p[1], p[2], p[3], x, tx, n)
		want := bgbbLogDeadPairwise(p[0], p[1], p[2], p[3], x, tx, n)
		if got != want && math.Abs(got-want) > 1e-12*math.Max(1, math.Abs(want)) {
			t.Fatalf("log-sum %.15g, pairwise %.15g", got, want)
		}
	})
}

func benchBGBBLogDead(b *testing.B, f func(alpha, beta, gamma, delta float64, x, tx, n int) float64) {
	var s float64
	for b.Loop() {
		for tx := 0; tx < 52; tx += 4 {
			s += f(1.2, 0.75, 0.66, 2.78, tx/2, tx, 52)
		}
	}
	_ = s
}

// bgbbLogDead over 13 histories of 52 opportunities: one floats.LogSumExp per history
// against one log-add per term.
func BenchmarkBGBBLogDead(b *testing.B)         { benchBGBBLogDead(b, bgbbLogDead) }
func BenchmarkBGBBLogDeadPairwise(b *testing.B) { benchBGBBLogDead(b, bgbbLogDeadPairwise) }
