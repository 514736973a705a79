package main

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/clientele-go/clientele/internal/benchsize"
	"pgregory.net/rapid"
)

// naiveBestFirst is topTruth's order as it was: a stable sort by descending score.
func naiveBestFirst(score []float64) []int {
	idx := make([]int, len(score))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		switch {
		case score[a] > score[b]:
			return -1
		case score[a] < score[b]:
			return 1
		}
		return 0
	})
	return idx
}

// bestFirst is the stable sort, ties (±0 among them) and infinities included.
func TestBestFirstMatchesStable(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(0, 200).Draw(t, "n")
		levels := []float64{math.Inf(-1), -0.1, math.Copysign(0, -1), 0, 0.2, math.Inf(1)}
		s := make([]float64, n)
		for i := range s {
			if rapid.Bool().Draw(t, "level") {
				s[i] = rapid.SampledFrom(levels).Draw(t, "s")
			} else {
				s[i] = rapid.Float64().Draw(t, "s")
			}
		}
		if got, want := bestFirst(s), naiveBestFirst(s); !slices.Equal(got, want) {
			t.Fatalf("scores %v: order %v, stable %v", s, got, want)
		}
	})
}

func benchScores() []float64 {
	rng := rand.New(rand.NewPCG(1, 2))
	s := make([]float64, benchsize.Of(1_000_000, 10_000)) // small under -short: CI's benchmark smoke
	for i := range s {
		s[i] = rng.NormFloat64() / 20
	}
	return s
}

// BenchmarkBestFirst1M orders a million uplift scores, beside BenchmarkBestFirst1MNaive,
// the stable sort.
func BenchmarkBestFirst1M(b *testing.B) {
	s := benchScores()
	for b.Loop() {
		bestFirst(s)
	}
}

func BenchmarkBestFirst1MNaive(b *testing.B) {
	s := benchScores()
	for b.Loop() {
		naiveBestFirst(s)
	}
}

// An undefined estimate or bound is written "n/a", not 0, which reads as measured.
func TestHoldoutFigureUndefined(t *testing.T) {
	for _, c := range []struct {
		v    float64
		want string
	}{{math.NaN(), "n/a"}, {-1234.5, "-1,235"}, {2211.6, "2,212"}, {0.2, "0"}} {
		if got := holdoutFigure(c.v); got != c.want {
			t.Errorf("holdoutFigure(%v) = %q, want %q", c.v, got, c.want)
		}
	}
}
