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

// BenchmarkSequenceSlice: Run over the first million events of the bench batch as a
// slice, the form that sorts by profile itself.
func BenchmarkSequenceSlice(b *testing.B) {
	q := Sequence{Pattern: "(?1).*(?2).*(?3)", Conditions: benchSeqConds}
	benchSlice(b, loadBench(b), func(evs []Event) error {
		_, err := q.Run(evs)
		return err
	})
}

// benchSequenceMerge merges the results of eight shards of the bench batch (cut at
// profile boundaries, run before the timer) into the zero result, through Merge or,
// for the baseline, through mergeDisjoint, the same sums without Merge's checks.
func benchSequenceMerge(b *testing.B, checked bool) {
	bt := loadBench(b)
	q := Sequence{Pattern: "(?1).*(?2).*(?3)", Conditions: benchSeqConds}
	var parts []*SequenceResult
	lo := 0
	for k := 1; k <= 8; k++ {
		hi := bt.Len() * k / 8
		for hi > 0 && hi < bt.Len() && bt.Profile[hi] == bt.Profile[hi-1] {
			hi++
		}
		r, err := q.RunBatch(&Batch{Names: bt.Names, Profile: bt.Profile[lo:hi], Time: bt.Time[lo:hi], Event: bt.Event[lo:hi]})
		if err != nil {
			b.Fatal(err)
		}
		parts = append(parts, r)
		lo = hi
	}
	b.ResetTimer()
	for b.Loop() {
		var total SequenceResult
		for _, r := range parts {
			if !checked {
				total.mergeDisjoint(r)
			} else if err := total.Merge(r); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func BenchmarkSequenceResultMerge(b *testing.B)          { benchSequenceMerge(b, true) }
func BenchmarkSequenceResultMergeUnchecked(b *testing.B) { benchSequenceMerge(b, false) }
