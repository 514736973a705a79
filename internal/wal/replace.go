package wal

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// ReplaceStep is a step of Replace, in the order it takes them. A ReplaceError names the
// step that failed; ReplaceOptions.Hook is called as each one is done.
type ReplaceStep int

const (
	// ReplaceClean removes what a crashed Replace left at tmp.
	ReplaceClean ReplaceStep = iota
	// ReplaceCreate creates the new log at tmp.
	ReplaceCreate
	// ReplaceWrite is the caller's write filling the new log.
	ReplaceWrite
	// ReplaceSync closes the new log, which fsyncs it.
	ReplaceSync
	// ReplaceRename renames tmp over path: from here on path holds the new records.
	ReplaceRename
	// ReplaceSyncDir fsyncs the directory, making the rename durable.
	ReplaceSyncDir
	// ReplaceReopen opens the log at path.
	ReplaceReopen
)

var replaceSteps = [...]string{
	ReplaceClean:   "remove the copy a crash left",
	ReplaceCreate:  "create the copy",
	ReplaceWrite:   "write the copy",
	ReplaceSync:    "sync the copy",
	ReplaceRename:  "rename the copy over the log",
	ReplaceSyncDir: "sync the directory",
	ReplaceReopen:  "reopen the log",
}

func (s ReplaceStep) String() string {
	if s < 0 || int(s) >= len(replaceSteps) {
		return fmt.Sprintf("ReplaceStep(%d)", int(s))
	}
	return replaceSteps[s]
}

// ReplaceError is the error of a failed Replace: Err is the error of the step that
// failed. Like SyncDir's, its message carries no package prefix: the stores wrap Err in
// their own words for each step.
type ReplaceError struct {
	Path string // the log being replaced
	Step ReplaceStep
	Err  error
}

func (e *ReplaceError) Error() string {
	return fmt.Sprintf("replace %s: %s: %v", e.Path, e.Step, e.Err)
}

func (e *ReplaceError) Unwrap() error { return e.Err }

// Replaced reports whether the step that failed came after the rename: the file at
// path holds the new records (durably so unless Step is ReplaceSyncDir), the old Log
// is closed and none is open at path.
func (e *ReplaceError) Replaced() bool { return e.Step > ReplaceRename }

// ReplaceOptions tune Replace. The zero value (or nil) reopens the log with SyncAlways.
type ReplaceOptions struct {
	// Sync is the policy of the log Replace opens at path once it is replaced.
	Sync SyncPolicy
	// Hook, when a test sets it, is called after each step is done (after ReplaceWrite
	// only if write succeeded), so that a crash test can kill the process between them.
	Hook func(done ReplaceStep)
}

// Replace puts a new log in place of the one at path, whose open Log is old (nil if
// none is open), and returns it opened at path. It is how a store changes records it
// has written: a frame cannot be changed in place, as each one's checksum chains to
// the one before, so a compaction or an erasure writes the records it keeps to a new
// log and replaces the old one by it.
//
// write fills the new log, opened at tmp with SyncManual; it may read old, still open,
// and must not close the new log. tmp is a name in path's directory (a rename is atomic
// within one file system) that the caller owns: Replace first removes what a crashed
// Replace left there, so the caller's opening of path should too, once it holds the log
// (another store's Replace may be writing it until then).
//
// A crash at any point leaves at path either the old file, complete, or the new one,
// complete; never a mix, and never no file. The order of the fsyncs makes it so:
//
//   - the new log is fsynced (its Close) before the rename: otherwise the file system
//     may make the rename durable before the data, and a crash would leave at path a
//     file whose records never reached the disk, in place of the old, complete one;
//   - the directory is fsynced after the rename, as POSIX asks of a rename that must
//     survive a crash: until then a crash may bring the old file back, so Replace
//     returns only once it cannot, and a store does not report an erasure done while
//     the erased records may still come back.
//
// Between the rename and the fsync of the directory, old is closed: its file, now
// unlinked, held nothing the new one lacks.
//
// Replace fails with a *ReplaceError. Up to ReplaceRename, nothing has changed: path
// holds the old file, old is still open and usable, and tmp is removed. After it
// (Replaced), old is closed and no Log is open at path: the store holding old must
// fail its later calls until it is opened again.
func Replace(path, tmp string, old *Log, write func(*Log) error, opts *ReplaceOptions) (*Log, error) {
	var o ReplaceOptions
	if opts != nil {
		o = *opts
	}
	done := func(s ReplaceStep) {
		if o.Hook != nil {
			o.Hook(s)
		}
	}
	fail := func(s ReplaceStep, err error) (*Log, error) {
		if s <= ReplaceRename {
			os.Remove(tmp)
		}
		return nil, &ReplaceError{Path: path, Step: s, Err: err}
	}
	if filepath.Clean(tmp) == filepath.Clean(path) {
		// Removing a stale copy would remove the log itself.
		return nil, &ReplaceError{Path: path, Step: ReplaceClean, Err: fmt.Errorf("wal: the copy's name %s is the log's", tmp)}
	}
	if err := os.Remove(tmp); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fail(ReplaceClean, err)
	}
	done(ReplaceClean)
	l, err := Open(tmp, &Options{Sync: SyncManual})
	if err != nil {
		return fail(ReplaceCreate, err)
	}
	done(ReplaceCreate)
	if err := write(l); err != nil {
		l.Close()
		return fail(ReplaceWrite, err)
	}
	done(ReplaceWrite)
	if err := l.Close(); err != nil { // Close fsyncs
		return fail(ReplaceSync, err)
	}
	done(ReplaceSync)
	if err := os.Rename(tmp, path); err != nil {
		return fail(ReplaceRename, err)
	}
	done(ReplaceRename)
	if old != nil {
		old.Close() // its file was replaced; what it held is in the new one
	}
	if err := SyncDir(filepath.Dir(path)); err != nil {
		return fail(ReplaceSyncDir, err)
	}
	done(ReplaceSyncDir)
	l, err = Open(path, &Options{Sync: o.Sync})
	if err != nil {
		return fail(ReplaceReopen, err)
	}
	done(ReplaceReopen)
	return l, nil
}
