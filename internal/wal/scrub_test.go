package wal

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"pgregory.net/rapid"
)

// scrubModel is Scrub written from its definition: every byte that lies in an
// occurrence, in the original bytes, of some pattern becomes zero; nothing else changes.
func scrubModel(data []byte, pats [][]byte) ([]byte, int) {
	out := slices.Clone(data)
	n := 0
	for _, p := range pats {
		for i := 0; i+len(p) <= len(data); i++ {
			if bytes.Equal(data[i:i+len(p)], p) {
				n++
				for k := i; k < i+len(p); k++ {
					out[k] = 0
				}
			}
		}
	}
	return out, n
}

// TestScrubMatchesModel checks the chunked scrub against the model on small alphabets
// (so that patterns occur, overlap one another and straddle chunks) and small chunks.
func TestScrubMatchesModel(t *testing.T) {
	dir := t.TempDir()
	rapid.Check(t, func(t *rapid.T) {
		alphabet := rapid.SliceOfN(rapid.Byte(), 1, 3).Draw(t, "alphabet")
		text := rapid.SliceOfN(rapid.SampledFrom(alphabet), 0, 200)
		data := text.Draw(t, "data")
		pats := rapid.SliceOfN(rapid.SliceOfN(rapid.SampledFrom(alphabet), 1, 6), 1, 4).Draw(t, "patterns")
		chunk := rapid.IntRange(1, 64).Draw(t, "chunk")
		name := filepath.Join(dir, "log.cut-0")
		if err := os.WriteFile(name, data, 0o644); err != nil {
			t.Fatal(err)
		}
		n, err := scrubFile(name, pats, chunk)
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		want, wantN := scrubModel(data, pats)
		if !bytes.Equal(got, want) || n != wantN {
			t.Fatalf("scrub with chunk %d:\n got %v (%d)\nwant %v (%d)", chunk, got, n, want, wantN)
		}
	})
}

// TestScrubTouchesOnlySideFiles checks that Scrub reaches every side file that Repair
// names and no other file, and that it is idempotent.
func TestScrubTouchesOnlySideFiles(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "id.log")
	secret := []byte("forget-me@example.com")
	body := append(append([]byte("head "), secret...), " tail"...)
	files := map[string]bool{ // name → whether Scrub must clean it
		"id.log":            false, // the log itself is Compact's, not Scrub's
		"id.log.cut-120":    true,
		"id.log.cut-120.1":  true,
		"id.log.cut-7.2":    true,
		"id.log.cut-x":      false,
		"id.log.cut-1.2.3":  false,
		"id.log.compact":    false,
		"other.log.cut-120": false,
	}
	for name := range files {
		if err := os.WriteFile(filepath.Join(dir, name), body, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	sides, err := SideFiles(path)
	if err != nil || len(sides) != 3 {
		t.Fatalf("SideFiles = %v, %v; want the three cut files", sides, err)
	}
	for round, want := range []int{3, 0} {
		n, err := Scrub(path, [][]byte{secret, nil})
		if err != nil || n != want {
			t.Fatalf("round %d: Scrub = %d, %v; want %d occurrences", round, n, err, want)
		}
	}
	for name, scrubbed := range files {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if holds := bytes.Contains(b, secret); holds == scrubbed || len(b) != len(body) {
			t.Errorf("%s: holds the value %v after Scrub (size %d of %d)", name, holds, len(b), len(body))
		}
	}
}
