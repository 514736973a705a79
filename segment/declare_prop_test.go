package segment

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"pgregory.net/rapid"
)

// declaration is one call of DeclareTraits, DeclareEvents or DeclareNumber.
type declaration struct {
	kind  byte // 't'raits, 'e'vents, 'n'umber
	names []string
	rule  MergeRule
}

func (d declaration) apply(x *Index) error {
	switch d.kind {
	case 't':
		return x.DeclareTraits(d.names...)
	case 'e':
		return x.DeclareEvents(d.names...)
	}
	return x.DeclareNumber(d.names[0], d.rule)
}

// TestDeclareLikeOptions: declaring trait keys, events and numeric fields when the index
// is made (WithTraits, WithEvents, WithNumber) and declaring them afterwards, on a new
// or a loaded index, in any order, repeated, between writes, gives indexes that answer
// every query alike (the same members, or the same error) and write the same snapshot,
// which reads back into the same bytes. The one write left out of both is SetNumber of
// a field before the second index declares it with a rule other than MergeSurvivor,
// which would make the field with MergeSurvivor and so refuse the declaration
// (TestDeclareNumber).
func TestDeclareLikeOptions(t *testing.T) {
	keys := append(slices.Clone(genKeys), "region")
	rapid.Check(t, func(t *rapid.T) {
		traits := rapid.SliceOfDistinct(rapid.SampledFrom(keys), rapid.ID).Draw(t, "traits")
		events := rapid.SliceOfDistinct(rapid.SampledFrom(genEvents), rapid.ID).Draw(t, "events")
		fields := rapid.SliceOfDistinct(rapid.SampledFrom(genFields), rapid.ID).Draw(t, "fields")
		rules := map[string]MergeRule{}
		var opts []Option
		var decls []declaration
		for _, f := range fields {
			rules[f] = MergeRule(rapid.IntRange(int(MergeSurvivor), int(MergeLast)).Draw(t, "rule "+f))
			opts = append(opts, WithNumber(f, rules[f]))
			decls = append(decls, declaration{kind: 'n', names: []string{f}, rule: rules[f]})
		}
		opts = append(opts, WithTraits(traits...), WithEvents(events...))
		// The names in calls of one to three, some named twice.
		for _, c := range []struct {
			kind  byte
			names []string
		}{{'t', traits}, {'e', events}} {
			names := slices.Clone(c.names)
			if len(names) > 0 {
				names = append(names, rapid.SliceOfN(rapid.SampledFrom(c.names), 0, 3).Draw(t, "again")...)
			}
			for len(names) > 0 {
				n := min(len(names), rapid.IntRange(1, 3).Draw(t, "call"))
				decls = append(decls, declaration{kind: c.kind, names: names[:n]})
				names = names[n:]
			}
		}
		decls = append(decls, rapid.SliceOf(rapid.SampledFrom(append([]declaration{{kind: 't'}}, decls...))).Draw(t, "repeats")...)
		decls = rapid.Permutation(decls).Draw(t, "order")

		a := mustIndex(opts...)
		b := mustIndex()
		if rapid.Bool().Draw(t, "loaded") {
			var err error
			if b, err = ReadSnapshot(snapshotBytes(t, b)); err != nil {
				t.Fatal(err)
			}
		}
		declared := map[string]bool{} // numeric fields b has declared
		for len(decls) > 0 || rapid.IntRange(0, 5).Draw(t, "more") > 0 {
			if len(decls) > 0 && rapid.IntRange(0, 2).Draw(t, "declare?") == 0 {
				d := decls[0]
				decls = decls[1:]
				if err := d.apply(b); err != nil {
					t.Fatalf("%c %q %v: %v", d.kind, d.names, d.rule, err)
				}
				if d.kind == 'n' {
					declared[d.names[0]] = true
				}
				continue
			}
			writeBoth(t, a, b, func(f string) bool { return rules[f] == MergeSurvivor || declared[f] })
		}

		var segs []string
		for i := range rapid.IntRange(0, 2).Draw(t, "segments") {
			name, q := fmt.Sprint("s", i), &Query{root: genQuery(t, 2, true, segs)}
			errA, errB := a.Save(name, q), b.Save(name, q)
			if fmt.Sprint(errA) != fmt.Sprint(errB) {
				t.Fatalf("Save %s: made with options %v, declared %v", q, errA, errB)
			}
			if errA == nil {
				segs = append(segs, name)
			}
		}
		now := dayStart(genToday)
		for _, x := range []*Index{a, b} {
			if _, err := x.Refresh(now); err != nil {
				t.Fatal(err)
			}
		}
		for range 8 {
			q := &Query{root: genQuery(t, 3, true, segs)}
			ra, errA := a.Eval(context.Background(), now, q, nil)
			rb, errB := b.Eval(context.Background(), now, q, nil)
			if fmt.Sprint(errA) != fmt.Sprint(errB) || errA == nil && !ra.Equals(rb) {
				t.Fatalf("%s: made with options %v (%v), declared %v (%v)", q, ra, errA, rb, errB)
			}
		}
		sa, sb := snapshotBytes(t, a), snapshotBytes(t, b)
		if !bytes.Equal(sa, sb) {
			t.Fatalf("snapshots differ: %d bytes made with options, %d declared", len(sa), len(sb))
		}
		c, err := ReadSnapshot(sb)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(sb, snapshotBytes(t, c)) {
			t.Fatal("the snapshot read back writes other bytes")
		}
	})
}

// writeBoth draws one write and makes it on both indexes; numbers to fields for which
// settable is false are skipped on both.
func writeBoth(t *rapid.T, a, b *Index, settable func(string) bool) {
	both := func(f func(x *Index)) { f(a); f(b) }
	switch rapid.IntRange(0, 8).Draw(t, "write") {
	case 0:
		tag := rapid.SampledFrom(genKeys).Draw(t, "key") + ":" + rapid.SampledFrom(genValues).Draw(t, "value")
		ps := rapid.SliceOfN(genProfile(), 0, 5).Draw(t, "profiles")
		both(func(x *Index) { x.Tag(tag, ps...) })
	case 1:
		tag := rapid.SampledFrom(genKeys).Draw(t, "key") + ":" + rapid.SampledFrom(genValues).Draw(t, "value")
		ps := rapid.SliceOfN(genProfile(), 0, 3).Draw(t, "profiles")
		both(func(x *Index) { x.Untag(tag, ps...) })
	case 2:
		k, v := rapid.SampledFrom(genKeys).Draw(t, "key"), rapid.SampledFrom(genValues).Draw(t, "value")
		ps := rapid.SliceOfN(genProfile(), 0, 3).Draw(t, "profiles")
		both(func(x *Index) { x.SetTrait(k, v, ps...) })
	case 3:
		f, p, v := rapid.SampledFrom(genFields).Draw(t, "field"), genProfile().Draw(t, "p"), genNumber().Draw(t, "v")
		if settable(f) {
			both(func(x *Index) { x.SetNumber(f, p, v) })
		}
	case 4:
		f := rapid.SampledFrom(genFields).Draw(t, "field")
		ps := rapid.SliceOfN(genProfile(), 0, 3).Draw(t, "profiles")
		both(func(x *Index) { x.ClearNumber(f, ps...) })
	case 5, 6:
		e, p, d := rapid.SampledFrom(genEvents).Draw(t, "event"), genProfile().Draw(t, "p"), genDay().Draw(t, "day")
		at := dayInstant(t, d)
		both(func(x *Index) { x.Record(at, p, e) })
	case 7:
		s, abs := genProfile().Draw(t, "survivor"), rapid.SliceOfN(genProfile(), 0, 2).Draw(t, "absorbed")
		both(func(x *Index) { x.applyMerge(s, abs...) })
	default:
		ps := rapid.SliceOfN(rapid.Uint32Range(1, 40), 0, 2).Draw(t, "forget")
		both(func(x *Index) {
			if err := x.Forget(ps...); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestDeclareConcurrently declares trait keys, events and numeric fields while other
// goroutines write, query and snapshot the names being declared; with -race it checks
// the locking. A query naming a name may fail as unknown only until the name is
// declared; two declarations of one field with different rules race, and exactly one
// wins.
func TestDeclareConcurrently(t *testing.T) {
	x := mustIndex()
	const n = 40
	name := func(kind string, i int) string { return fmt.Sprintf("%s%d", kind, i) }
	now := dayStart(genToday)
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := map[string]MergeRule{}
	for _, rule := range []MergeRule{MergeSum, MergeMax} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range n {
				if err := x.DeclareNumber(name("contested", i), rule); err == nil {
					mu.Lock()
					if prev, ok := wins[name("contested", i)]; ok {
						t.Errorf("contested%d declared as %v and %v", i, prev, rule)
					}
					wins[name("contested", i)] = rule
					mu.Unlock()
				} else if !errors.Is(err, ErrInvalid) {
					t.Error(err)
				}
			}
		}()
	}
	wg.Add(1)
	go func() { // the declarer
		defer wg.Done()
		for i := range n {
			err := errors.Join(x.DeclareTraits(name("k", i)), x.DeclareEvents(name("e", i)), x.DeclareNumber(name("f", i), MergeRule(i%5)))
			if err != nil {
				t.Error(err)
			}
		}
	}()
	wg.Add(1)
	go func() { // a writer to the names, before or after they are declared
		defer wg.Done()
		for i := range n {
			x.Tag(name("k", i)+":v", uint32(i+1))
			x.Record(now, uint32(i+1), name("e", i))
			if i%5 == int(MergeSurvivor) { // a field SetNumber may make first
				x.SetNumber(name("f", i), uint32(i+1), int64(i))
			}
		}
	}()
	for range 2 {
		wg.Add(1)
		go func() { // queries and snapshots
			defer wg.Done()
			for i := range n {
				q := mustParse(t, fmt.Sprintf("%s:v OR did(%s) OR %s > 0", name("k", i), name("e", i), name("f", i)))
				if _, err := x.Eval(context.Background(), now, q, nil); err != nil && !errors.Is(err, ErrUnknownField) {
					t.Error(err)
				}
				if _, err := ReadSnapshot(snapshotBytes(t, x)); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	if len(wins) != n {
		t.Errorf("%d of %d contested fields declared", len(wins), n)
	}
	for i := range n {
		q := mustParse(t, fmt.Sprintf("%s:v AND did(%s) AND %s >= 0", name("k", i), name("e", i), name("f", i)))
		got, err := x.Eval(context.Background(), now, q, nil)
		want := []uint32{}
		if i%5 == int(MergeSurvivor) {
			want = []uint32{uint32(i + 1)}
		}
		if err != nil || !slices.Equal(got.ToArray(), want) {
			t.Errorf("%s = %v, %v; want %v", q, got, err, want)
		}
		if f := x.numbers[name("f", i)]; f.rule != MergeRule(i%5) {
			t.Errorf("f%d has rule %v, want %v", i, f.rule, MergeRule(i%5))
		}
	}
}

// TestDeclareOnAnOldSnapshot declares on a snapshot an earlier version wrote
// (testdata/README.md): the format is the same, so the declarations are written and
// read back like those of a new index, and the rest stays as it was.
func TestDeclareOnAnOldSnapshot(t *testing.T) {
	x, err := ReadSnapshot(readGolden(t, "empty-names.snap"))
	if err != nil {
		t.Fatal(err)
	}
	rule := x.numbers["spend"].rule // as the snapshot says
	if err := x.DeclareNumber("spend", (rule+1)%(MergeLast+1)); !errors.Is(err, ErrInvalid) {
		t.Errorf("DeclareNumber(spend, not %v) = %v, want ErrInvalid", rule, err)
	}
	if err := errors.Join(x.DeclareTraits("city"), x.DeclareNumber("age", MergeMin), x.DeclareNumber("spend", rule)); err != nil {
		t.Fatal(err)
	}
	data := snapshotBytes(t, x)
	y, err := ReadSnapshot(data)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(data, snapshotBytes(t, y)) {
		t.Error("the snapshot with declarations reads back into other bytes")
	}
	if got := y.numbers["age"]; got == nil || got.rule != MergeMin {
		t.Errorf("age read back as %+v, want a field with rule min", got)
	}
	q := mustParse(t, "city:paris OR age < 30 OR (plan:pro AND spend >= 250 AND did(visit))")
	got, err := y.Eval(context.Background(), date(2026, 5, 2, 0, 0), q, nil)
	if err != nil || !slices.Equal(got.ToArray(), []uint32{1}) {
		t.Errorf("%s = %v, %v; want [1]", q, got, err)
	}
}
