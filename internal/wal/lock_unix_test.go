//go:build unix

package wal

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
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
