// Package tmpfile names the temporary files the SDK's stores write before they link or
// rename them into place, so that the ones a crashed process left can be told from the
// ones a live process is still writing, and removed.
//
// A name is a stem, the process id and a number: stem + "<pid>-<n>". A file whose
// process no longer runs can belong to no write under way (its writer is gone), so
// Sweep removes it; one whose process runs, this one or another (a second store on the
// same directory), is left alone. A process id reused since is taken for the writer's
// and its file left for a later sweep: the mistake is always on the side of keeping.
//
// A process id names a process only within its pid namespace: a writer in another
// container sharing the directory's volume, or on another host sharing it over NFS,
// looks gone, and its file under way would be removed (its rename then fails; nothing
// written before is lost). The stores are documented for one process a directory, and
// this is one reason.
package tmpfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
)

// seq numbers the names within the process.
var seq atomic.Uint64

// Name returns stem followed by this process's id and a number new in the process:
// a name no other Name call, in this process or another running one, returns.
func Name(stem string) string {
	return fmt.Sprintf("%s%d-%d", stem, os.Getpid(), seq.Add(1))
}

// Sweep removes the files of dir named stem + "<pid>-<n>" (by Name) for a stem that
// stems accepts, whose process no longer runs. It returns how many it removed and the
// first error, after trying every such file; a directory that does not exist holds
// none.
func Sweep(dir string, stems func(stem string) bool) (int, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("tmpfile: sweep %s: %w", dir, err)
	}
	removed := 0
	var first error
	for _, e := range entries {
		stem, pid, ok := parse(e.Name())
		if !ok || e.IsDir() || !stems(stem) || running(pid) {
			continue
		}
		err := os.Remove(filepath.Join(dir, e.Name()))
		switch {
		case err == nil:
			removed++
		case errors.Is(err, os.ErrNotExist): // another sweep was first
		case first == nil:
			first = fmt.Errorf("tmpfile: sweep %s: %w", dir, err)
		}
	}
	return removed, first
}

// parse splits a name made by Name into its stem and process id.
func parse(name string) (stem string, pid int, ok bool) {
	i := strings.LastIndexByte(name, '-')
	if i < 0 || !digits(name[i+1:]) {
		return "", 0, false
	}
	j := i // the process id is name[j:i], the digits before the dash
	for j > 0 && name[j-1] >= '0' && name[j-1] <= '9' {
		j--
	}
	pid, err := strconv.Atoi(name[j:i])
	if err != nil || pid <= 0 {
		return "", 0, false
	}
	return name[:j], pid, true
}

func digits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// running reports whether process pid may still run: false only when the system says
// it does not (a signal 0 finds no such process), true on any doubt, as on a system
// without signals, where nothing is swept.
func running(pid int) bool {
	if pid == os.Getpid() {
		return true
	}
	p, err := os.FindProcess(pid)
	if err != nil {
		return true
	}
	defer p.Release()
	return !errors.Is(p.Signal(syscall.Signal(0)), os.ErrProcessDone)
}
