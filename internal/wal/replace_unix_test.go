//go:build unix

package wal

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// midWrite is the stop of TestReplaceCrash inside the caller's write, after its first
// record: the copy then holds some of the new records.
const midWrite = -1

// TestReplaceCrashChild is the child of TestReplaceCrash: it runs only when re-executed
// with WAL_REPLACE_CHILD_PATH and WAL_REPLACE_CHILD_STOP set, and kills itself there.
func TestReplaceCrashChild(t *testing.T) {
	path := os.Getenv("WAL_REPLACE_CHILD_PATH")
	if path == "" {
		t.Skip("runs only as the child of TestReplaceCrash")
	}
	var stop ReplaceStep
	fmt.Sscan(os.Getenv("WAL_REPLACE_CHILD_STOP"), &stop)
	kill := func() { syscall.Kill(os.Getpid(), syscall.SIGKILL) }
	old := mustOpen(t, path, nil)
	write := func(l *Log) error {
		for i, r := range newRecs {
			if err := l.Append(r); err != nil {
				return err
			}
			if i == 0 && stop == midWrite {
				kill()
			}
		}
		return nil
	}
	hook := func(s ReplaceStep) {
		if s == stop {
			kill()
		}
	}
	if _, err := Replace(path, path+".tmp", old, write, &ReplaceOptions{Hook: hook}); err != nil {
		t.Fatal(err)
	}
	os.Exit(3) // the stop was never reached
}

// TestReplaceCrash kills a process (a re-executed test binary) with SIGKILL inside
// Replace: in the write, and after each step. The file at path must then open without
// error and hold either the old records, whole, or the new ones, whole: the old ones
// until the rename, the new ones from it on. A later Replace must remove the copy the
// crash left and succeed.
func TestReplaceCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("re-executes the test binary for every step")
	}
	for stop := ReplaceStep(midWrite); stop <= ReplaceReopen; stop++ {
		name := "mid-write"
		if stop != midWrite {
			name = "after " + stop.String()
		}
		path := filepath.Join(t.TempDir(), "log")
		must(t, openOld(t, path).Close())
		cmd := exec.Command(os.Args[0], "-test.run=^TestReplaceCrashChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), "WAL_REPLACE_CHILD_PATH="+path, fmt.Sprint("WAL_REPLACE_CHILD_STOP=", int(stop)))
		out, err := cmd.CombinedOutput()
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
			t.Fatalf("%s: the child was not killed: %v\n%s", name, err, out)
		}
		_, err = os.Lstat(path + ".tmp")
		if left := stop == midWrite || ReplaceCreate <= stop && stop < ReplaceRename; left != (err == nil) {
			t.Errorf("killed %s: a copy left beside the log: %v, want %v", name, err == nil, left)
		}
		want := oldRecs
		if stop >= ReplaceRename {
			want = newRecs
		}
		if diff := cmp.Diff(want, fileRecords(t, path)); diff != "" {
			t.Errorf("killed %s: the file at path (-want +got):\n%s", name, diff)
		}
		l, err := Replace(path, path+".tmp", mustOpen(t, path, nil), func(l *Log) error {
			return l.Append([]byte("again"))
		}, nil)
		if err != nil {
			t.Fatalf("killed %s: a later Replace: %v", name, err)
		}
		if got := readAll(t, l); len(got) != 1 || string(got[0]) != "again" {
			t.Errorf("killed %s: a later Replace wrote %q", name, got)
		}
		must(t, l.Close())
		if _, err := os.Lstat(path + ".tmp"); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("killed %s: the copy is left beside the log: %v", name, err)
		}
	}
}
