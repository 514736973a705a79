package pgstore

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/clientele-go/clientele/internal/pg/pgtest"
	"github.com/clientele-go/clientele/segment"
	"pgregory.net/rapid"
)

// snap is a snapshot blob at pos, with body after the position.
func snap(pos uint64, body string) []byte {
	return append(binary.BigEndian.AppendUint64(nil, pos), body...)
}

// replicas opens n stores on one fresh schema, each on a pool of its own.
func replicas(t testing.TB, n int) []*Store {
	t.Helper()
	schema := pgtest.Schema(t, pgtest.Pool(t))
	var ss []*Store
	for range n {
		s, err := Open(context.Background(), pgtest.Pool(t), &Options{Schema: schema})
		if err != nil {
			t.Fatal(err)
		}
		ss = append(ss, s)
	}
	return ss
}

// TestPutSnapshotModel holds PutSnapshot, from two replicas in turn, against a model
// that keeps the blob of the highest position written (the last of equal ones): each
// call reports whether it replaced the blob as the model does, and the blob is the
// model's. Positions are drawn around the byte boundaries a bytewise comparison could
// get wrong (255 and 256, the top bit).
func TestPutSnapshotModel(t *testing.T) {
	ss := replicas(t, 2)
	name := 0
	rapid.Check(t, func(t *rapid.T) {
		name++
		blob := fmt.Sprint("snap-", name)
		pos := rapid.SampledFrom([]uint64{0, 1, 255, 256, 257, 1 << 32, 1<<63 - 1, 1 << 63, 1<<64 - 1})
		var want []byte
		for i, n := 0, rapid.IntRange(1, 8).Draw(t, "puts"); i < n; i++ {
			p := pos.Draw(t, "position")
			w := rapid.IntRange(0, 1).Draw(t, "replica")
			data := snap(p, fmt.Sprint("w", w, "-", i))
			stored, err := ss[w].PutSnapshot(blob, data)
			if err != nil {
				t.Fatal(err)
			}
			keep := want == nil || binary.BigEndian.Uint64(want) <= p
			if stored != keep {
				t.Fatalf("put %d at %d over %x: stored %v, want %v", i, p, want, stored, keep)
			}
			if keep {
				want = data
			}
			got, err := ss[1-w].Get(blob)
			if err != nil || string(got) != string(want) {
				t.Fatalf("after put %d at %d: the blob is %x (%v), want %x", i, p, got, err, want)
			}
		}
	})
}

// TestPutSnapshotRace: writers on separate pools put snapshots of one name at once,
// each at positions of its own in random order; the blob then holds the highest
// position any of them wrote, whatever order they committed in.
func TestPutSnapshotRace(t *testing.T) {
	const writers, puts = 4, 50
	ss := replicas(t, writers)
	var wg sync.WaitGroup
	for w, s := range ss {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			for _, i := range rng.Perm(puts) {
				if _, err := s.PutSnapshot("index", snap(uint64(i*writers+w), fmt.Sprint("w", w))); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	got, err := ss[0].Get("index")
	if err != nil {
		t.Fatal(err)
	}
	if p, want := binary.BigEndian.Uint64(got), uint64((puts-1)*writers+writers-1); p != want || string(got[8:]) != fmt.Sprint("w", writers-1) {
		t.Fatalf("after the race the blob holds position %d of %q, want %d of the last writer", p, got[8:], want)
	}
}

// TestPutSnapshotInvalid: a snapshot shorter than its position, or a bad name, is
// refused with segment.ErrInvalid, and leaves the blob as it was.
func TestPutSnapshotInvalid(t *testing.T) {
	s := replicas(t, 1)[0]
	if _, err := s.PutSnapshot("index", snap(5, "x")); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ name, data string }{{"index", "1234567"}, {"", string(snap(9, ""))}} {
		if ok, err := s.PutSnapshot(c.name, []byte(c.data)); ok || !errors.Is(err, segment.ErrInvalid) {
			t.Errorf("PutSnapshot(%q, %x): %v, %v; want an error wrapping ErrInvalid", c.name, c.data, ok, err)
		}
	}
	if got, err := s.Get("index"); err != nil || string(got) != string(snap(5, "x")) {
		t.Fatalf("after the refusals: %x, %v", got, err)
	}
}
