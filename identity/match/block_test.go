package match

import (
	"fmt"
	"testing"

	"pgregory.net/rapid"
)

// TestPairsAgainstReference holds pair generation to a brute-force model over every
// pair of records: a pair is a candidate when it agrees on the (non-empty) key of some
// rule; it is generated when some rule it agrees on has a block within MaxBlock, unless
// MaxPairs stops generation first; it is generated at most once; and Skipped counts the
// candidates not generated, each once, however many rules skipped it (before, a pair of
// an over-cap block that a later rule generated was counted too, and a pair two rules
// skipped was counted twice).
func TestPairsAgainstReference(t *testing.T) {
	fields := []string{FieldSurname, FieldPhone, FieldCity, FieldEmail}
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(0, 30).Draw(t, "records")
		recs := make([]Record, n)
		value := rapid.SampledFrom([]string{"", "a", "b", "c"})
		for i := range recs {
			recs[i] = Record{Surname: value.Draw(t, "surname"), Phone: rapid.SampledFrom([]string{"", "1", "2"}).Draw(t, "phone"),
				City: value.Draw(t, "city"), Email: rapid.SampledFrom([]string{"", "x@y", "z@y"}).Draw(t, "email")}
		}
		rules := rapid.SliceOfN(rapid.Custom(func(t *rapid.T) BlockingRule {
			return BlockingRule{Fields: rapid.SliceOfNDistinct(rapid.SampledFrom(fields), 1, 2, rapid.ID[string]).Draw(t, "fields")}
		}), 1, 4).Draw(t, "rules")
		s := Settings{
			Comparisons: []Comparison{{Field: FieldSurname, Levels: []Level{{Kind: Exact}}}},
			Blocking:    rules,
			MaxBlock:    rapid.IntRange(1, 12).Draw(t, "maxBlock"),
			MaxPairs:    rapid.SampledFrom([]int{0, 1, 5, 20}).Draw(t, "maxPairs"),
		}
		l, err := New(recs, s)
		if err != nil {
			t.Fatal(err)
		}
		got := map[pair]bool{}
		st := l.pairs(l.settings.Blocking, l.keys, func(p pair) bool {
			if got[p] || p.A >= p.B {
				t.Fatalf("pair %v generated twice or out of order", p)
			}
			got[p] = true
			return true
		})
		// The reference: each pair's agreement by brute force.
		key := func(r BlockingRule, i int) string {
			k := ""
			for _, f := range r.Fields {
				v, _ := fieldValue(&recs[i], f)
				if v == "" {
					return ""
				}
				k += v + "\x00"
			}
			return k
		}
		size := func(r BlockingRule, k string) int {
			c := 0
			for i := range recs {
				if key(r, i) == k {
					c++
				}
			}
			return c
		}
		candidates, within := 0, map[pair]bool{}
		for a := range n {
			for b := a + 1; b < n; b++ {
				agree := false
				for _, r := range rules {
					if k := key(r, a); k != "" && k == key(r, b) {
						agree = true
						if size(r, k) <= s.MaxBlock {
							within[pair{int32(a), int32(b)}] = true
						}
					}
				}
				if agree {
					candidates++
				}
			}
		}
		for p := range got {
			if !within[p] {
				t.Fatalf("pair %v generated, but no rule has it in a block within MaxBlock", p)
			}
		}
		if st.Pairs != int64(len(got)) {
			t.Fatalf("Pairs %d, generated %d", st.Pairs, len(got))
		}
		if s.MaxPairs == 0 && len(got) != len(within) {
			t.Fatalf("generated %d pairs, want %d", len(got), len(within))
		}
		if want := int64(candidates - len(got)); st.Skipped != want {
			t.Fatalf("Skipped %d, want %d (%d candidates, %d generated)", st.Skipped, want, candidates, len(got))
		}
	})
}

// TestSkippedManyRules: records that agree under every rule (a record loaded twice)
// made Skipped's count walk every subset of the rules, 2^40 steps for 40 rules; a group
// some later rule leaves whole now adds nothing and stops there. The count still
// equals the brute force's.
func TestSkippedManyRules(t *testing.T) {
	var recs []Record
	for i := range 60 {
		recs = append(recs, Record{Surname: []string{"a", "b"}[i%2], City: []string{"x", "y", "z"}[i%3], Email: "same@example.com", Phone: []string{"", "1"}[i/30]})
	}
	var rules []BlockingRule
	for i := range 40 {
		rules = append(rules, BlockingRule{Fields: []string{[]string{FieldSurname, FieldCity, FieldEmail, FieldPhone}[i%4]}})
	}
	rules = append(rules, BlockingRule{Fields: []string{FieldSurname, FieldCity}})
	l, err := New(recs, Settings{Comparisons: []Comparison{{Field: FieldSurname, Levels: []Level{{Kind: Exact}}}}, Blocking: rules, MaxBlock: 1})
	if err != nil {
		t.Fatal(err)
	}
	st := l.pairs(l.settings.Blocking, l.keys, func(pair) bool { return true })
	// Every record shares the e-mail, so every pair is a candidate, and a block of
	// more than one record is over the cap of 1, so none is generated.
	if want := int64(len(recs) * (len(recs) - 1) / 2); st.Pairs != 0 || st.Skipped != want {
		t.Fatalf("pairs %d, skipped %d; want 0 and %d", st.Pairs, st.Skipped, want)
	}
	// Without the shared e-mail: the pairs agreeing on surname, city or phone.
	for i := range recs {
		recs[i].Email = fmt.Sprintf("p%d@example.com", i)
	}
	if l, err = New(recs, Settings{Comparisons: []Comparison{{Field: FieldSurname, Levels: []Level{{Kind: Exact}}}}, Blocking: rules, MaxBlock: 1}); err != nil {
		t.Fatal(err)
	}
	want := int64(0)
	for a := range recs {
		for b := a + 1; b < len(recs); b++ {
			x, y := recs[a], recs[b]
			if x.Surname == y.Surname || x.City == y.City || (x.Phone != "" && x.Phone == y.Phone) {
				want++
			}
		}
	}
	if st := l.pairs(l.settings.Blocking, l.keys, func(pair) bool { return true }); st.Skipped != want {
		t.Fatalf("skipped %d, want %d", st.Skipped, want)
	}
}

// TestBlockedAfterMaxPairs: a block over MaxBlock whose key sorts after the point where
// MaxPairs stopped generation was counted in Skipped but left out of Blocked, so that
// "test@test.com" shared by thousands of records went unreported whenever the cap on
// pairs was reached first.
func TestBlockedAfterMaxPairs(t *testing.T) {
	var recs []Record
	for range 3 {
		recs = append(recs, Record{Email: "ann@example.com"}) // a block within the cap, 3 pairs
	}
	for range 5 {
		recs = append(recs, Record{Email: "test@test.com"}) // over MaxBlock 3, 10 pairs
	}
	l, err := New(recs, Settings{Comparisons: []Comparison{{Field: FieldEmail, Levels: []Level{{Kind: Exact}}}},
		Blocking: []BlockingRule{{Fields: []string{FieldEmail}}}, MaxBlock: 3, MaxPairs: 1})
	if err != nil {
		t.Fatal(err)
	}
	st := l.pairs(l.settings.Blocking, l.keys, func(pair) bool { return true })
	if st.Pairs != 1 || st.Skipped != 12 {
		t.Fatalf("pairs %d, skipped %d; want 1 and 12", st.Pairs, st.Skipped)
	}
	if want := []string{"rule 0: test@test.com (5 records)"}; fmt.Sprint(st.Blocked) != fmt.Sprint(want) {
		t.Fatalf("Blocked = %q, want %q", st.Blocked, want)
	}
}
