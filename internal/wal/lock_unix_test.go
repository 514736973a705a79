//go:build unix

package wal

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// Two Logs over one file each write frames at the end they know of, over each other's,
// so records one of them acknowledged are lost without a trace. Open therefore locks
// the file: a second Open, and a Repair, fail while the first Log is open, and leave the
// file as it was.
func TestOpenLocksTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log")
	l := mustOpen(t, path, nil)
	if err := l.Append([]byte("first")); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(path)
	if _, err := Open(path, nil); !errors.Is(err, syscall.EWOULDBLOCK) || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("a second Open while the log is open = %v, want EWOULDBLOCK saying the file is in use", err)
	}
	if _, err := Repair(path); !errors.Is(err, syscall.EWOULDBLOCK) {
		t.Fatalf("Repair while the log is open = %v, want EWOULDBLOCK", err)
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
		t.Fatal("a refused Open or Repair changed the file")
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l = mustOpen(t, path, nil) // Close released the lock
	if got := readAll(t, l); len(got) != 1 || string(got[0]) != "first" {
		t.Fatalf("records after reopening: %q", got)
	}
	l.Close()
}

// TestConcurrentCreateOneWriter: two stores opening a log that does not exist yet, at
// the same moment (two replicas started together), must not both get it: each would
// create a file and rename it into place, the second over the first, and the first
// would go on appending to a file no longer at path, losing what it acknowledged.
func TestConcurrentCreateOneWriter(t *testing.T) {
	for i := range 300 {
		path := filepath.Join(t.TempDir(), "log")
		logs := make([]*Log, 2)
		errs := make([]error, 2)
		var wg sync.WaitGroup
		for j := range logs {
			wg.Add(1)
			go func() { defer wg.Done(); logs[j], errs[j] = Open(path, nil) }()
		}
		wg.Wait()
		opened := 0
		for j, l := range logs {
			if errs[j] == nil {
				opened++
				if err := l.Append([]byte("acknowledged")); err != nil {
					t.Fatal(err)
				}
				l.Close()
			} else if !errors.Is(errs[j], syscall.EWOULDBLOCK) {
				t.Fatalf("round %d: Open = %v, want success or the file in use", i, errs[j])
			}
		}
		if opened != 1 {
			l := mustOpen(t, path, nil)
			t.Fatalf("round %d: %d stores opened one new log; it holds %d records, %d acknowledged", i, opened, len(readAll(t, l)), opened)
		}
	}
}

// TestOpenAfterReplace: a store that opened the file just before another process
// renamed a new file over it (a compaction) must not take the old, unlinked file as
// the log: it would append where nobody will ever read.
func TestOpenAfterReplace(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "log")
	l := mustOpen(t, path, nil)
	l.Append([]byte("old"))
	l.Close()
	next := filepath.Join(dir, "next")
	n := mustOpen(t, next, nil)
	n.Append([]byte("new"))
	n.Close()
	beforeLock = func() {
		beforeLock = nil
		if err := os.Rename(next, path); err != nil {
			t.Error(err)
		}
	}
	defer func() { beforeLock = nil }()
	l = mustOpen(t, path, nil)
	defer l.Close()
	if got := readAll(t, l); len(got) != 1 || string(got[0]) != "new" {
		t.Fatalf("Open took the replaced file: records %q, want [new]", got)
	}
}
