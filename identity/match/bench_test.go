package match

import (
	"fmt"
	"math"
	"testing"

	"github.com/clientele-go/clientele/internal/benchsize"
)

// benchFake1000 is fake_1000's records, or its first 300 under -short (CI's benchmark
// smoke, which only checks that the benchmarks run): every pair is scored or counted
// below, 499,500 of them at full size.
func benchFake1000(b *testing.B) []Record {
	recs, _ := loadFake1000(b)
	return recs[:benchsize.Of(len(recs), 300)]
}

// BenchmarkPredictFake1000 scores fake_1000's candidate pairs from four blocking rules;
// BenchmarkPredictAllPairsNaive scores every one of its 499,500 pairs, the baseline
// blocking avoids.
func BenchmarkPredictFake1000(b *testing.B) {
	recs := benchFake1000(b)
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
	recs := benchFake1000(b)
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
	recs := benchFake1000(b)
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

// hotBlocks is 4,000 records (1,000 under -short) of which a third hold a default phone, a quarter
// "test@test.com" and a fifth the birth date 1900-01-01, each value a block over
// MaxBlock 100 under its rule, the rest in small blocks.
func hotBlocks(b *testing.B) *Linker {
	recs := make([]Record, benchsize.Of(4000, 1000))
	for i := range recs {
		recs[i] = Record{Surname: fmt.Sprintf("s%d", i%1500), Phone: fmt.Sprintf("07700 9%05d", i%1700),
			Email: fmt.Sprintf("p%d@example.com", i%1900), Birth: fmt.Sprintf("19%02d-01-%02d", 50+i%40, 1+i%28)}
		if i%3 == 0 {
			recs[i].Phone = "07700 900000"
		}
		if i%4 == 0 {
			recs[i].Email = "test@test.com"
		}
		if i%5 == 0 {
			recs[i].Birth = "1900-01-01"
		}
	}
	l, err := New(recs, Settings{
		Comparisons: []Comparison{{Field: FieldSurname, Levels: []Level{{Kind: Exact}}}},
		Blocking: []BlockingRule{{Fields: []string{FieldPhone}}, {Fields: []string{FieldEmail}},
			{Fields: []string{FieldBirth}}, {Fields: []string{FieldSurname}}},
		MaxBlock: 100,
	})
	if err != nil {
		b.Fatal(err)
	}
	return l
}

// BenchmarkPairsHotBlocks generates the pairs of hotBlocks, counting the skipped ones
// by inclusion-exclusion over the blocks' records; BenchmarkSkippedNaive counts them
// by visiting every pair of the over-cap blocks with a set of those seen, the cost
// the count avoids (1.7 million pairs here, 43 million in RELIABILITY's 20,000).
func BenchmarkPairsHotBlocks(b *testing.B) {
	l := hotBlocks(b)
	for b.Loop() {
		l.pairs(l.settings.Blocking, l.keys, func(pair) bool { return true })
	}
}

func BenchmarkSkippedNaive(b *testing.B) {
	l := hotBlocks(b)
	var want int64
	for b.Loop() {
		generated := map[pair]bool{}
		l.pairs(l.settings.Blocking, l.keys, func(p pair) bool { generated[p] = true; return true })
		seen := map[pair]bool{}
		for _, ks := range l.keys {
			for _, rs := range blocks(ks) {
				if len(rs) <= l.settings.MaxBlock {
					continue
				}
				for i, a := range rs {
					for _, c := range rs[i+1:] {
						if p := (pair{a, c}); !generated[p] {
							seen[p] = true
						}
					}
				}
			}
		}
		want = int64(len(seen))
	}
	if st := l.pairs(l.settings.Blocking, l.keys, func(pair) bool { return true }); st.Skipped != want {
		b.Fatalf("Skipped %d, naive %d", st.Skipped, want)
	}
}
