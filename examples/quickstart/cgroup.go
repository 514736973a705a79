package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"
)

// A process in a container, or in a systemd unit with MemoryMax, is killed when its
// control group's memory use reaches the group's limit, whatever /proc/meminfo says the
// machine has available; so the memory a run may use is the smaller of the two. The
// kernel's files, as documented in Documentation/admin-guide/cgroup-v2.rst and
// Documentation/admin-guide/cgroup-v1/memory.rst:
//
//   - /proc/self/cgroup names the process's group in each hierarchy: "0::/path" in the
//     unified (v2) one, "N:memory:/path" (the second field a list of controllers) in a
//     v1 memory hierarchy. Where both appear (a hybrid system) the memory controller is
//     the v1 one's.
//   - v2, under /sys/fs/cgroup/path: memory.max ("max", or bytes) and memory.current;
//     v1, under /sys/fs/cgroup/memory/path: memory.limit_in_bytes (unlimited is a
//     number near 2^63) and memory.usage_in_bytes.
//   - Usage counts the page cache, which the kernel reclaims before it kills anything,
//     so the part of it the group would give back first (memory.stat's inactive_file,
//     v1's total_inactive_file) is not counted as used, as Docker and cAdvisor reckon a
//     container's "working set".
//   - A limit set on an ancestor binds its descendants, so every ancestor is read. In a
//     container with its own cgroup namespace the path is "/" and the root of the mount
//     is the container's group; without one, the host's path may not exist inside the
//     container, and the directories that do not exist are skipped.

// cgroupLimit is the control group whose limit leaves a process the least memory.
type cgroupLimit struct {
	group    string // its path in its hierarchy, as /proc/self/cgroup names it
	limit    uint64 // its memory limit in bytes
	headroom uint64 // limit less the memory its members use, not counting reclaimable cache
}

// unlimitedV1 is the smallest memory.limit_in_bytes read as no limit: v1 writes
// "unlimited" as the largest page-aligned int64, 9223372036854771712 on 4 KiB pages.
const unlimitedV1 = 1 << 62

// errCgroupFormat is the error of a control-group file that does not read as the
// kernel documents it.
var errCgroupFormat = errors.New("unexpected format")

// readCgroupLimit returns the limit that binds this process, from fsys (the root file
// system: paths "proc/self/cgroup", "sys/fs/cgroup/..."), and false where no group on
// the way to the root sets one (or the files are absent: not Linux, or no cgroup
// mounted). A file that exists but does not read as documented is an error naming it.
func readCgroupLimit(fsys fs.FS) (cgroupLimit, bool, error) {
	self, err := fs.ReadFile(fsys, "proc/self/cgroup")
	if err != nil {
		return cgroupLimit{}, false, nil
	}
	mount, group, ok := memoryGroup(self)
	if !ok {
		return cgroupLimit{}, false, nil
	}
	limitFile, usageFile, inactiveKey := "memory.max", "memory.current", "inactive_file"
	if mount != "sys/fs/cgroup" {
		limitFile, usageFile, inactiveKey = "memory.limit_in_bytes", "memory.usage_in_bytes", "total_inactive_file"
	}
	var best cgroupLimit
	found := false
	for g := group; ; g = path.Dir(g) {
		dir := path.Join(mount, g)
		raw, err := fs.ReadFile(fsys, path.Join(dir, limitFile))
		if err == nil {
			limit, limited, err := parseLimit(raw)
			if err != nil {
				return cgroupLimit{}, false, fmt.Errorf("/%s: %w", path.Join(dir, limitFile), err)
			}
			if limited {
				used, err := workingSet(fsys, dir, usageFile, inactiveKey)
				if err != nil {
					return cgroupLimit{}, false, err
				}
				c := cgroupLimit{group: g, limit: limit, headroom: limit - min(used, limit)}
				if !found || c.headroom < best.headroom {
					best, found = c, true
				}
			}
		}
		if g == "/" {
			return best, found, nil
		}
	}
}

// memoryGroup finds the memory controller's group in /proc/self/cgroup's text and
// returns the hierarchy's mount point (relative to the root) and the group's path.
func memoryGroup(self []byte) (mount, group string, ok bool) {
	sc := bufio.NewScanner(bytes.NewReader(self))
	for sc.Scan() {
		id, rest, _ := strings.Cut(sc.Text(), ":")
		controllers, p, found := strings.Cut(rest, ":")
		if !found || !strings.HasPrefix(p, "/") {
			continue
		}
		p = path.Clean(p)
		switch {
		case id == "0" && controllers == "":
			if !ok {
				mount, group, ok = "sys/fs/cgroup", p, true
			}
		case containsWord(controllers, "memory"):
			return "sys/fs/cgroup/memory", p, true
		}
	}
	return mount, group, ok
}

func containsWord(list, w string) bool {
	for c := range strings.SplitSeq(list, ",") {
		if c == w {
			return true
		}
	}
	return false
}

// parseLimit reads a memory.max or memory.limit_in_bytes file: false for no limit.
func parseLimit(raw []byte) (uint64, bool, error) {
	s := strings.TrimSpace(string(raw))
	if s == "max" {
		return 0, false, nil
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, false, fmt.Errorf("%w: %q, want a number of bytes or \"max\"", errCgroupFormat, s)
	}
	return n, n < unlimitedV1, nil
}

// workingSet returns a group's memory use less its inactive file cache.
func workingSet(fsys fs.FS, dir, usageFile, inactiveKey string) (uint64, error) {
	name := path.Join(dir, usageFile)
	raw, err := fs.ReadFile(fsys, name)
	if err != nil {
		return 0, fmt.Errorf("/%s: %w", name, err)
	}
	used, err := strconv.ParseUint(strings.TrimSpace(string(raw)), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("/%s: %w: %q, want a number of bytes", name, errCgroupFormat, strings.TrimSpace(string(raw)))
	}
	stat := path.Join(dir, "memory.stat")
	raw, err = fs.ReadFile(fsys, stat)
	if err != nil {
		return used, nil // the cache cannot be told apart: count it as used, the safe side
	}
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), " ")
		if k != inactiveKey {
			continue
		}
		n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("/%s: %w: line %q, want a number of bytes", stat, errCgroupFormat, sc.Text())
		}
		return used - min(n, used), nil
	}
	return used, nil
}
