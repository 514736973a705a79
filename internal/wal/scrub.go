package wal

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// SideFiles returns the side files that Repair saved cut bytes of the log at path to
// (path.cut-<offset> and path.cut-<offset>.<n>), in name order. They belong to the log's
// owner: an erasure must reach them too.
func SideFiles(path string) ([]string, error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("wal: side files of %s: %w", path, err)
	}
	var names []string
	for _, e := range entries {
		if rest, ok := strings.CutPrefix(e.Name(), base+".cut-"); ok && isCutSuffix(rest) && e.Type().IsRegular() {
			names = append(names, filepath.Join(dir, e.Name()))
		}
	}
	return names, nil // ReadDir sorts by name
}

// isCutSuffix reports whether s is "<digits>" or "<digits>.<digits>", what saveCut
// appends to ".cut-", so that unrelated files of similar names are never touched.
func isCutSuffix(s string) bool {
	off, n, ok := strings.Cut(s, ".")
	return digits(off) && (!ok || digits(n))
}

func digits(s string) bool {
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

// scrubChunk is how much of a side file Scrub reads at a time.
const scrubChunk = 1 << 20

// Scrub overwrites with zero bytes every occurrence of each pattern in the side files of
// the log at path (SideFiles), and fsyncs each file it changed before returning.
// Occurrences are found in the bytes as they were before Scrub ran, so patterns that
// overlap (a value and a longer value that holds it) are each zeroed whole. It reads a
// file in chunks, so its memory does not grow with the file; occurrences that straddle
// two chunks are found too. Empty patterns are ignored. It returns the number of
// occurrences zeroed.
//
// Scrub is idempotent: after a crash part-way, running it again finishes the work.
func Scrub(path string, patterns [][]byte) (int, error) {
	pats := make([][]byte, 0, len(patterns))
	for _, p := range patterns {
		if len(p) > 0 {
			pats = append(pats, p)
		}
	}
	if len(pats) == 0 {
		return 0, nil
	}
	names, err := SideFiles(path)
	if err != nil {
		return 0, err
	}
	total := 0
	for _, name := range names {
		n, err := scrubFile(name, pats, scrubChunk)
		total += n
		if err != nil {
			return total, fmt.Errorf("wal: scrub %s: %w", name, err)
		}
	}
	return total, nil
}

// scrubFile zeroes the patterns in one file, reading chunk bytes at a time. The window
// it searches is the last longest-1 bytes of the previous window followed by the next
// chunk, so an occurrence that straddles chunks lies wholly inside one window; windows
// hold the file's bytes as read, never the zeroed ones, so an earlier zeroing cannot
// hide a later occurrence.
func scrubFile(name string, pats [][]byte, chunk int) (n int, err error) {
	f, err := os.OpenFile(name, os.O_RDWR, 0)
	if err != nil {
		return 0, err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	longest := 0
	for _, p := range pats {
		longest = max(longest, len(p))
	}
	buf := make([]byte, 0, longest-1+chunk)
	var zeros []byte
	var start int64 // file offset of buf[0]
	changed := false
	for {
		keep := len(buf) // bytes carried from the previous window, searched there already
		m, rerr := io.ReadFull(f, buf[keep:keep+chunk])
		buf = buf[:keep+m]
		if rerr != nil && !errors.Is(rerr, io.ErrUnexpectedEOF) && !errors.Is(rerr, io.EOF) {
			return n, rerr
		}
		for _, p := range pats {
			for i := 0; ; {
				j := bytes.Index(buf[i:], p)
				if j < 0 {
					break
				}
				j += i
				i = j + 1
				if j+len(p) <= keep {
					continue // wholly in the carried bytes: zeroed with the previous window
				}
				if len(zeros) < len(p) {
					zeros = make([]byte, len(p))
				}
				if _, err := f.WriteAt(zeros[:len(p)], start+int64(j)); err != nil {
					return n, err
				}
				changed = true
				n++
			}
		}
		if rerr != nil { // end of file
			break
		}
		tail := min(longest-1, len(buf))
		start += int64(len(buf) - tail)
		buf = buf[:copy(buf, buf[len(buf)-tail:])]
	}
	if changed {
		if err := f.Sync(); err != nil {
			return n, err
		}
	}
	return n, nil
}
