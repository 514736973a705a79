// Package tmpfiletest holds what the tests of tmpfile.Sweep and of the stores that
// sweep on open (wal, segment) share: a process that no longer runs, to name leftovers
// after, and the files such a test leaves in a directory, with those the sweep keeps.
// Only tests import it, so that starting a process (os/exec) and package testing stay
// out of the SDK's own builds.
package tmpfiletest

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
)

// Exited runs the calling test binary to run no test and returns its process id once
// it has exited: a process that no longer runs, whose temporary files the tests of
// Sweep and of its callers leave for Sweep to find. It fails t if the process cannot
// be run. Only a test binary may call it.
func Exited(t testing.TB) int {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	if err := cmd.Run(); err != nil {
		t.Fatalf("run an exited process: %v", err)
	}
	return cmd.Process.Pid
}

// Files maps the names of the files a sweep test puts in a directory to whether the
// sweep keeps them.
type Files map[string]bool

// Write creates in dir every file of f, each holding data.
func (f Files) Write(t testing.TB, dir string, data []byte) {
	t.Helper()
	for name := range f {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// Kept returns, sorted, the names of f the sweep keeps and the names also: what the
// directory holds after the sweep, also naming the files the test did not write there
// (the store's own).
func (f Files) Kept(also ...string) []string {
	kept := slices.Clone(also)
	for name, keep := range f {
		if keep {
			kept = append(kept, name)
		}
	}
	slices.Sort(kept)
	return kept
}

// Left fails t unless dir holds exactly the files f.Kept(also...): those of f the
// sweep keeps, and also's. after names the sweep, for the message.
func (f Files) Left(t testing.TB, dir, after string, also ...string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	if want := f.Kept(also...); !slices.Equal(got, want) {
		t.Errorf("after %s the directory holds %v, want %v", after, got, want)
	}
}
