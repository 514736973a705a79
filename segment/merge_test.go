package segment

import (
	"context"
	"testing"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"pgregory.net/rapid"
)

// TestMergePreservesUnion checks that after ApplyMerge every trait value holds the
// survivor exactly when it held the survivor or an absorbed profile before, holds no
// absorbed profile, and is otherwise unchanged; and that activity counts add up.
func TestMergePreservesUnion(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		x, m := scenario(t)
		before := map[string]*roaring.Bitmap{}
		for key, values := range x.traits {
			for v, b := range values {
				before[key+":"+v] = b.Clone()
			}
		}
		survivor := genProfile().Draw(t, "survivor")
		absorbed := rapid.SliceOfN(genProfile(), 1, 4).Draw(t, "absorbed")
		abs := roaring.BitmapOf(absorbed...)
		abs.Remove(survivor)
		anyKnown := x.Profiles().Intersects(abs)
		x.applyMerge(survivor, absorbed...)
		m.merge(survivor, absorbed...)
		for tag, old := range before {
			key, value := splitTag(tag)
			now := x.traits[key][value]
			want := roaring.AndNot(old, abs)
			if anyKnown && (old.Contains(survivor) || old.Intersects(abs)) {
				want.Add(survivor)
			}
			if !want.Equals(now) {
				t.Fatalf("%s after merge of %v into %d: %v, want %v (before %v)", tag, absorbed, survivor, now, want, old)
			}
		}
		if x.Profiles().Intersects(abs) {
			t.Fatalf("absorbed profiles still known")
		}
		// Counts, days and numbers against the model.
		for _, e := range genEvents {
			for _, expr := range []string{"count(%q, 15d) >= 2", "count(%q, 15d) >= 3", "days(%q, 15d) >= 2", "count(%q, 15d) = 1"} {
				q := mustParse(t, sprintfQuoted(expr, e))
				got, err := x.Eval(context.Background(), dayStart(genToday), q, nil)
				if err != nil {
					t.Fatal(err)
				}
				want := m.eval(q.root, genToday)
				if got.GetCardinality() != uint64(len(want)) || !got.Equals(roaring.BitmapOf(sortedKeys(want)...)) {
					t.Fatalf("%s after merge: %v, want %v", q, got, sortedKeys(want))
				}
			}
		}
		for _, f := range genFields {
			for p := range m.known {
				got, ok := x.Number(f, p)
				want, wok := m.numbers[f][p]
				if ok != wok || got != want {
					t.Fatalf("%s of %d = %d, %v; want %d, %v", f, p, got, ok, want, wok)
				}
			}
		}
	})
}

func sprintfQuoted(format, name string) string {
	var b []byte
	for i := 0; i < len(format); i++ {
		if format[i] == '%' && i+1 < len(format) && format[i+1] == 'q' {
			b = append(b, quoteName(name)...)
			i++
			continue
		}
		b = append(b, format[i])
	}
	return string(b)
}

// TestDenseActivityMatchesModel drives count and days with many events per profile and
// day, where the per-day extra counts and the adders carry.
func TestDenseActivityMatchesModel(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		x := mustIndex()
		m := newModel()
		var batch []Activity
		for range rapid.IntRange(1, 300).Draw(t, "events") {
			p := rapid.Uint32Range(0, 5).Draw(t, "p")
			d := genDay().Draw(t, "day")
			batch = append(batch, Activity{Event: "visit", Profile: p, At: dayStart(d).Add(time.Hour)})
			m.record("visit", p, d)
		}
		// Half in one batch, half one by one, so both paths add to existing days.
		half := len(batch) / 2
		x.RecordBatch(batch[:half])
		for _, a := range batch[half:] {
			x.Record(a.At, a.Profile, a.Event)
		}
		if rapid.Bool().Draw(t, "merge") {
			s, a := rapid.Uint32Range(0, 5).Draw(t, "s"), rapid.Uint32Range(0, 5).Draw(t, "a")
			x.applyMerge(s, a)
			m.merge(s, a)
		}
		for range 10 {
			fn := rapid.SampledFrom([]fnKind{fnCount, fnDays}).Draw(t, "fn")
			op := cmpOp(rapid.IntRange(int(opEQ), int(opBetween)).Draw(t, "op"))
			n := &actNode{fn: fn, event: "visit", days: rapid.IntRange(1, genHorizon+3).Draw(t, "days"), op: op,
				n: rapid.Int64Range(-1, 12).Draw(t, "n"), n2: rapid.Int64Range(-1, 20).Draw(t, "n2")}
			today := genToday + rapid.Int32Range(-3, 3).Draw(t, "shift")
			want := m.eval(n, today)
			for _, adder := range []bool{false, true} {
				x.forceAdder = adder
				got, err := x.Eval(context.Background(), dayStart(today), &Query{root: n}, nil)
				if err != nil {
					t.Fatal(err)
				}
				if !got.Equals(roaring.BitmapOf(sortedKeys(want)...)) {
					t.Fatalf("%s (adder only: %v): %v, want %v", format(n), adder, got, sortedKeys(want))
				}
			}
		}
	})
}
