package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// bytesPerPerson is the peak resident memory of a run per person reached: 2.7 GB at
// 1,000,000 people (2026-12-05, README), the most measured; 2.1 GB at 1,000,000,
// 582 MB at 300,000 and 247 MB at 100,000 on another run of the same day. The run
// holds every event, profile and segment at once, so memory grows with the base.
const bytesPerPerson = 2700

// maxPeople is the largest -people accepted whatever the machine: twenty times the
// largest run measured, about 54 GB by bytesPerPerson. It stops a mistyped size (an
// extra digit or three) where the machine's memory cannot be read, and keeps the
// estimate's arithmetic far from overflow.
const maxPeople = 20_000_000

// memoryShown is the smallest estimate printed, 1 GB: smaller runs (the default
// 100,000 people need about 270 MB) print no line about memory.
const memoryShown = 1e9

// room is the memory a new run may use, and what bounds it.
type room struct {
	bytes uint64
	cg    *cgroupLimit // the control group whose limit binds; nil: the machine's memory available
}

// has says how much memory the run may use, and why, for an error message.
func (r room) has() string {
	if r.cg == nil {
		return "this machine has " + memSize(float64(r.bytes)) + " available now"
	}
	return fmt.Sprintf("control group %s has %s left of its %s memory limit", r.cg.group, memSize(float64(r.bytes)), memSize(float64(r.cg.limit)))
}

// of says the same as has, after an estimate ("about 5.4 GB of memory at this size,
// of ...").
func (r room) of() string {
	if r.cg == nil {
		return memSize(float64(r.bytes)) + " available"
	}
	return fmt.Sprintf("%s left under control group %s's %s limit", memSize(float64(r.bytes)), r.cg.group, memSize(float64(r.cg.limit)))
}

// memAvailable reports the memory a new process may use without swapping or being
// killed: the machine's available memory, or less where the process's control group
// (a container's, a systemd unit's) leaves it less; or an error where neither can be
// read. A variable so that tests can set it.
var memAvailable = func() (room, error) {
	avail, err := machineAvailable()
	cg, limited, cgErr := readCgroupLimit(os.DirFS("/"))
	switch {
	case cgErr != nil:
		return room{}, cgErr
	case limited && (err != nil || cg.headroom < avail):
		return room{bytes: cg.headroom, cg: &cg}, nil
	case err != nil:
		return room{}, err
	}
	return room{bytes: avail}, nil
}

// machineAvailable reads the machine's available memory from /proc/meminfo.
func machineAvailable() (uint64, error) {
	f, err := os.Open("/proc/meminfo") // Linux; elsewhere the error, and only a warning
	if err != nil {
		return 0, err
	}
	defer f.Close()
	return parseMemAvailable(f)
}

// parseMemAvailable reads /proc/meminfo's "MemAvailable:  22878776 kB" line (Linux
// 3.14 and later; MemFree leaves out the caches the kernel would give back).
func parseMemAvailable(r io.Reader) (uint64, error) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "MemAvailable:")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) != 2 || f[1] != "kB" {
			return 0, fmt.Errorf("/proc/meminfo: MemAvailable line %q: want a number of kB", sc.Text())
		}
		kb, err := strconv.ParseUint(f[0], 10, 64)
		if err != nil || kb > 1<<53 {
			return 0, fmt.Errorf("/proc/meminfo: MemAvailable line %q: want a number of kB", sc.Text())
		}
		return kb << 10, nil
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, errors.New("/proc/meminfo: no MemAvailable line")
}

// checkMemory refuses a base whose estimated memory is over maxPeople's or over what
// the machine, or the process's control group, has available, before the run rather
// than after minutes of it and a kill by the kernel; a large one it accepts is
// announced on status with its estimate (without the available memory, and with a
// warning, where that cannot be read).
func checkMemory(people int, status io.Writer) error {
	need := float64(people) * bytesPerPerson
	if people > maxPeople {
		return fmt.Errorf("-people %d: over the limit of %d people (it would need about %s of memory, at %s a million people)",
			people, maxPeople, memSize(need), memSize(1e6*bytesPerPerson))
	}
	avail, err := memAvailable()
	if err == nil && need > float64(avail.bytes) {
		return fmt.Errorf("-people %d: needs about %s of memory (%s a million people), and %s; use -people %d or fewer",
			people, memSize(need), memSize(1e6*bytesPerPerson), avail.has(), avail.bytes/bytesPerPerson)
	}
	if need < memoryShown {
		return nil
	}
	if err != nil {
		fmt.Fprintf(status, "about %s of memory at this size (%s a million people); warning: the memory available is unknown (%v)\n",
			memSize(need), memSize(1e6*bytesPerPerson), err)
		return nil
	}
	fmt.Fprintf(status, "about %s of memory at this size, of %s\n", memSize(need), avail.of())
	return nil
}

// memSize writes a number of bytes as "2.7 GB", or below a gigabyte "270 MB"
// (decimal units, as the README's measurements are).
func memSize(b float64) string {
	if b < 1e9 {
		return strconv.FormatFloat(b/1e6, 'f', 0, 64) + " MB"
	}
	return strconv.FormatFloat(b/1e9, 'f', 1, 64) + " GB"
}
