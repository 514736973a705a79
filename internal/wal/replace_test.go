package wal

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The records a Replace test starts from and the ones it writes: no record of one is a
// record of the other, so a file holding some of each is told from either.
var (
	oldRecs = [][]byte{[]byte("old 0"), []byte("old 1"), bytes.Repeat([]byte("old 2 "), 1000)}
	newRecs = [][]byte{[]byte("new 0"), bytes.Repeat([]byte("new 1 "), 2000), []byte("new 2"), []byte("new 3")}
)

// openOld opens a log at path holding oldRecs.
func openOld(t tb, path string) *Log {
	t.Helper()
	l := mustOpen(t, path, nil)
	if err := l.Append(oldRecs...); err != nil {
		t.Fatalf("Append: %v", err)
	}
	return l
}

// writeNew is a Replace write that appends newRecs one Append each.
func writeNew(l *Log) error {
	for _, r := range newRecs {
		if err := l.Append(r); err != nil {
			return err
		}
	}
	return nil
}

// fileRecords opens the log at path and returns its records.
func fileRecords(t tb, path string) [][]byte {
	t.Helper()
	l := mustOpen(t, path, nil)
	defer l.Close()
	return readAll(t, l)
}

func TestReplace(t *testing.T) {
	for _, policy := range []SyncPolicy{SyncAlways, SyncManual} {
		dir := t.TempDir()
		path, tmp := filepath.Join(dir, "log"), filepath.Join(dir, "log.tmp")
		old := openOld(t, path)
		var steps []ReplaceStep
		l, err := Replace(path, tmp, old, func(l *Log) error {
			if diff := cmp.Diff(oldRecs, readAll(t, old)); diff != "" {
				t.Errorf("write reads old (-want +got):\n%s", diff)
			}
			return writeNew(l)
		}, &ReplaceOptions{Sync: policy, Hook: func(s ReplaceStep) { steps = append(steps, s) }})
		if err != nil {
			t.Fatal(err)
		}
		want := []ReplaceStep{ReplaceClean, ReplaceCreate, ReplaceWrite, ReplaceSync, ReplaceRename, ReplaceSyncDir, ReplaceReopen}
		if !slices.Equal(steps, want) {
			t.Errorf("steps %v, want %v", steps, want)
		}
		if l.policy != policy {
			t.Errorf("reopened with policy %d, want %d", l.policy, policy)
		}
		if err := old.Append([]byte("x")); !errors.Is(err, ErrClosed) {
			t.Errorf("Append to the replaced log = %v, want ErrClosed", err)
		}
		if err := l.Append([]byte("later")); err != nil {
			t.Fatal(err)
		}
		want2 := append(slices.Clone(newRecs), []byte("later"))
		if diff := cmp.Diff(want2, readAll(t, l)); diff != "" {
			t.Errorf("the new log (-want +got):\n%s", diff)
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want2, fileRecords(t, path)); diff != "" {
			t.Errorf("reopened (-want +got):\n%s", diff)
		}
		if _, err := os.Lstat(tmp); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("the copy is left beside the log: %v", err)
		}
	}
}

// A stale copy left at tmp by a crash is replaced, and a log may be replaced by an empty
// one.
func TestReplaceStaleCopyAndEmpty(t *testing.T) {
	dir := t.TempDir()
	path, tmp := filepath.Join(dir, "log"), filepath.Join(dir, "log.tmp")
	if err := os.WriteFile(tmp, []byte("left by a crash"), 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := Replace(path, tmp, openOld(t, path), func(*Log) error { return nil }, nil)
	if err != nil {
		t.Fatal(err)
	}
	if l.policy != SyncAlways {
		t.Errorf("nil options reopened with policy %d, want SyncAlways", l.policy)
	}
	if got := readAll(t, l); len(got) != 0 {
		t.Errorf("replaced by an empty log: %q", got)
	}
	l.Close()
	if _, err := os.Lstat(tmp); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the copy is left beside the log: %v", err)
	}
}

// Replace refuses a copy named as the log, whose removal as a stale copy would remove
// the log itself.
func TestReplaceCopyNamedAsTheLog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log")
	old := openOld(t, path)
	defer old.Close()
	_, err := Replace(path, path, old, writeNew, nil)
	var re *ReplaceError
	if !errors.As(err, &re) || re.Step != ReplaceClean {
		t.Fatalf("Replace with tmp = path: %v, want a ReplaceError at ReplaceClean", err)
	}
	if diff := cmp.Diff(oldRecs, readAll(t, old)); diff != "" {
		t.Errorf("the old log changed (-want +got):\n%s", diff)
	}
}

// TestReplaceFailsAtEachStep makes each step of Replace fail in turn. Up to the rename
// the old log must be as it was, still open and appendable, with no copy left beside it;
// after it, the old Log is closed, the new records are in the file that was renamed,
// and no Log is returned.
func TestReplaceFailsAtEachStep(t *testing.T) {
	errWrite := errors.New("the write failed")
	type sabotage struct {
		before func(t *testing.T, dir, path, tmp string) // before Replace
		hook   func(t *testing.T, s ReplaceStep, dir, path, tmp string)
		write  func(*Log) error
		noOld  bool // path is not a log: no old Log to pass
	}
	cases := []struct {
		name string
		step ReplaceStep
		sabotage
	}{
		{"a stale copy that cannot be removed", ReplaceClean, sabotage{before: func(t *testing.T, _, _, tmp string) {
			must(t, os.MkdirAll(filepath.Join(tmp, "x"), 0o755))
		}}},
		{"a directory where the copy goes", ReplaceCreate, sabotage{hook: func(t *testing.T, s ReplaceStep, _, _, tmp string) {
			if s == ReplaceClean {
				must(t, os.Mkdir(tmp, 0o755))
			}
		}}},
		{"a failing write", ReplaceWrite, sabotage{write: func(l *Log) error {
			if err := l.Append(newRecs[:2]...); err != nil {
				return err
			}
			return fmt.Errorf("after two records: %w", errWrite)
		}}},
		{"a write that closes the copy", ReplaceSync, sabotage{write: func(l *Log) error {
			if err := writeNew(l); err != nil {
				return err
			}
			return l.Close()
		}}},
		{"the copy gone before the rename", ReplaceRename, sabotage{hook: func(t *testing.T, s ReplaceStep, _, _, tmp string) {
			if s == ReplaceSync {
				must(t, os.Remove(tmp))
			}
		}}},
		{"a directory at path", ReplaceRename, sabotage{noOld: true, before: func(t *testing.T, _, path, _ string) {
			must(t, os.MkdirAll(filepath.Join(path, "x"), 0o755))
		}}},
		{"the directory moved after the rename", ReplaceSyncDir, sabotage{hook: func(t *testing.T, s ReplaceStep, dir, _, _ string) {
			if s == ReplaceRename {
				must(t, os.Rename(dir, dir+".moved"))
			}
		}}},
		{"a directory at path after the rename", ReplaceReopen, sabotage{hook: func(t *testing.T, s ReplaceStep, _, path, _ string) {
			if s == ReplaceSyncDir {
				must(t, os.Rename(path, path+".moved"))
				must(t, os.Mkdir(path, 0o755))
			}
		}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "d")
			must(t, os.Mkdir(dir, 0o755))
			path, tmp := filepath.Join(dir, "log"), filepath.Join(dir, "log.tmp")
			var old *Log
			if !c.noOld {
				old = openOld(t, path)
				defer old.Close()
			}
			if c.before != nil {
				c.before(t, dir, path, tmp)
			}
			write := writeNew
			if c.write != nil {
				write = c.write
			}
			opts := &ReplaceOptions{}
			if c.hook != nil {
				opts.Hook = func(s ReplaceStep) { c.hook(t, s, dir, path, tmp) }
			}
			l, err := Replace(path, tmp, old, write, opts)
			var re *ReplaceError
			if !errors.As(err, &re) || re.Step != c.step || re.Path != path || l != nil {
				t.Fatalf("Replace = %v, %v; want no log and a ReplaceError of %s at %v", l, err, path, c.step)
			}
			if c.write != nil && c.step == ReplaceWrite && !errors.Is(err, errWrite) {
				t.Errorf("Replace = %v, want it to wrap the write's error", err)
			}
			if re.Replaced() != (c.step > ReplaceRename) {
				t.Errorf("Replaced() = %v at step %v", re.Replaced(), c.step)
			}
			if c.step != ReplaceClean { // what a test put there, Replace could not remove
				if _, err := os.Lstat(tmp); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("the copy is left beside the log: %v", err)
				}
			}
			switch {
			case c.noOld:
				if _, err := os.Stat(filepath.Join(path, "x")); err != nil {
					t.Errorf("the directory at path changed: %v", err)
				}
			case c.step <= ReplaceRename:
				if diff := cmp.Diff(oldRecs, readAll(t, old)); diff != "" {
					t.Errorf("the old log (-want +got):\n%s", diff)
				}
				if err := old.Append([]byte("later")); err != nil {
					t.Errorf("the old log refuses appends: %v", err)
				}
				must(t, old.Close())
				want := append(slices.Clone(oldRecs), []byte("later"))
				if diff := cmp.Diff(want, fileRecords(t, path)); diff != "" {
					t.Errorf("the file at path (-want +got):\n%s", diff)
				}
			default:
				if err := old.Append([]byte("x")); !errors.Is(err, ErrClosed) {
					t.Errorf("Append to the replaced log = %v, want ErrClosed", err)
				}
				moved := path + ".moved"
				if c.step == ReplaceSyncDir {
					moved = filepath.Join(dir+".moved", "log")
				}
				if diff := cmp.Diff(newRecs, fileRecords(t, moved)); diff != "" {
					t.Errorf("the renamed file (-want +got):\n%s", diff)
				}
			}
		})
	}
}

func must(t tb, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%v", err)
	}
}

func TestReplaceErrorMessage(t *testing.T) {
	err := &ReplaceError{Path: "/x/log", Step: ReplaceRename, Err: errors.New("no space")}
	if got, want := err.Error(), "replace /x/log: rename the copy over the log: no space"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if got := ReplaceStep(99).String(); got != "ReplaceStep(99)" {
		t.Errorf("an unknown step reads %q", got)
	}
}
