package funnel

import (
	"regexp"
	"testing"
)

// Sequence benchmarks run on the funnel benchmarks' batch (bench_test.go): view then
// cart then purchase, with and without a day's bound between view and cart.

var benchSeqConds = named("view", "cart", "purchase")

// BenchmarkSequenceBatch: a pattern without time conditions, matched by the automaton
// (sequenceMatch) and counted by the backtracking search (sequenceCount).
func BenchmarkSequenceBatch(b *testing.B) {
	benchSequence(b, "(?1).*(?2).*(?3)")
}

// BenchmarkSequenceBatchTimed: the same with a time condition, so that both go
// through the backtracking search.
func BenchmarkSequenceBatchTimed(b *testing.B) {
	benchSequence(b, "(?1)(?t<=86400)(?2).*(?3)")
}

func benchSequence(b *testing.B, pattern string) {
	bt := loadBench(b)
	q := Sequence{Pattern: pattern, Conditions: benchSeqConds}
	b.ResetTimer()
	for b.Loop() {
		if _, err := q.RunBatch(bt); err != nil {
			b.Fatal(err)
		}
	}
	reportRate(b, bt.Len())
}

// BenchmarkSequenceNaive is the baseline: each profile's kept events spelled as a
// string and searched with Go's regexp, on one goroutine (sequenceMatch only).
func BenchmarkSequenceNaive(b *testing.B) {
	bt := loadBench(b)
	re := regexp.MustCompile("v.*c.*p")
	letter := map[string]byte{"view": 'v', "cart": 'c', "purchase": 'p'}
	b.ResetTimer()
	for b.Loop() {
		matched := 0
		var s []byte
		for i := 0; i < bt.Len(); {
			j := i
			s = s[:0]
			for ; j < bt.Len() && bt.Profile[j] == bt.Profile[i]; j++ {
				if c, ok := letter[bt.Names[bt.Event[j]]]; ok {
					s = append(s, c)
				}
			}
			if re.Match(s) {
				matched++
			}
			i = j
		}
		if matched == 0 {
			b.Fatal("no profile matched")
		}
	}
	reportRate(b, bt.Len())
}
