package match

import (
	"math"
	"testing"
)

// BenchmarkPredictFake1000 scores fake_1000's candidate pairs from four blocking rules;
// BenchmarkPredictAllPairsNaive scores every one of its 499,500 pairs, the baseline
// blocking avoids.
func BenchmarkPredictFake1000(b *testing.B) {
	recs, _ := loadFake1000(b)
	l, _ := New(recs, fake1000Settings())
	m, err := l.Train(&TrainOptions{Sessions: fake1000Sessions()})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, _, err := l.Predict(m, math.Inf(-1)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPredictAllPairsNaive(b *testing.B) {
	recs, _ := loadFake1000(b)
	l, _ := New(recs, fake1000Settings())
	m, _ := l.Train(&TrainOptions{Sessions: fake1000Sessions()})
	w := m.weights()
	prior := math.Log2(m.Prior / (1 - m.Prior))
	b.ResetTimer()
	for b.Loop() {
		var out []Scored
		for a := int32(0); int(a) < l.n; a++ {
			for c := a + 1; int(c) < l.n; c++ {
				if s, ok := l.score(w, m, prior, a, c); ok {
					out = append(out, Scored{a, c, s})
				}
			}
		}
		_ = out
	}
}

// BenchmarkTrainFake1000 is the whole unsupervised fit: u from all 499,500 pairs, two
// EM sessions.
func BenchmarkTrainFake1000(b *testing.B) {
	recs, _ := loadFake1000(b)
	l, _ := New(recs, fake1000Settings())
	for b.Loop() {
		if _, err := l.Train(&TrainOptions{Sessions: fake1000Sessions()}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkJaroWinkler compares two short names (textdist has the OSA distance's).
func BenchmarkJaroWinkler(b *testing.B) {
	x, y := []rune("jonathan smyth"), []rune("johnathan smith")
	for b.Loop() {
		jaroWinkler(x, y)
	}
}
