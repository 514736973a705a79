package main

import (
	"bytes"
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
)

// setMemAvailable makes memAvailable report avail, or err, for the rest of the test.
func setMemAvailable(t *testing.T, avail uint64, err error) {
	t.Helper()
	old := memAvailable
	memAvailable = func() (room, error) { return room{bytes: avail}, err }
	t.Cleanup(func() { memAvailable = old })
}

// TestMemoryRefusedFirst: a base whose estimated memory is over what the machine has
// available is refused before the run, with nothing printed. A stranger's -people
// 2000000 started a run of about 5.4 GB with no word of it, on any machine.
func TestMemoryRefusedFirst(t *testing.T) {
	setMemAvailable(t, 50e6, nil)
	var text, status bytes.Buffer
	err := run(&text, &status, config{people: 20_000, seed: 1})
	want := "-people 20000: needs about 54 MB of memory (2.7 GB a million people), and this machine has 50 MB available now; use -people 18518 or fewer"
	if err == nil || err.Error() != want {
		t.Errorf("-people 20000 with 50 MB available: %v, want %q", err, want)
	}
	if text.Len() > 0 || status.Len() > 0 {
		t.Errorf("-people 20000 with 50 MB available: the run went ahead:\n%s%s", status.String(), text.String())
	}
	// Within the memory available, the run goes ahead.
	if err := run(io.Discard, io.Discard, config{people: 10_000, seed: 1}); err != nil {
		t.Errorf("-people 10000 with 50 MB available: %v", err)
	}
}

// TestMemoryLimit: past maxPeople a base is refused whatever the machine has, and
// where its memory cannot be read, so that a mistyped size (an extra digit or three)
// does not start a run of terabytes with only a warning. (Checked on checkMemory, which
// run calls before anything else, as TestMemoryRefusedFirst shows: a run of that size
// cannot be a test's fallback.)
func TestMemoryLimit(t *testing.T) {
	want := "-people 20000001: over the limit of 20000000 people (it would need about 54.0 GB of memory, at 2.7 GB a million people)"
	for _, err := range []error{nil, errors.New("unreadable")} {
		setMemAvailable(t, 1e15, err)
		var status bytes.Buffer
		if got := checkMemory(maxPeople+1, &status); got == nil || got.Error() != want {
			t.Errorf("memory available: %v: %v, want %q", err, got, want)
		}
		if status.Len() > 0 {
			t.Errorf("memory available: %v: printed %q before refusing", err, status.String())
		}
	}
}

// TestMemoryEstimateShown: a run of over 1 GB says so on status before it starts, with
// the memory available, or with a warning where that cannot be read; the default
// 100,000 people (about 270 MB) print no line, so that the progress lines the README
// shows are unchanged.
func TestMemoryEstimateShown(t *testing.T) {
	for _, c := range []struct {
		people int
		avail  uint64
		err    error
		want   string
	}{
		{2_000_000, 100e9, nil, "about 5.4 GB of memory at this size, of 100.0 GB available\n"},
		{2_000_000, 0, errors.New("open /proc/meminfo: no such file or directory"),
			"about 5.4 GB of memory at this size (2.7 GB a million people); warning: the memory available is unknown (open /proc/meminfo: no such file or directory)\n"},
		{100_000, 100e9, nil, ""},
		{100_000, 0, errors.New("unreadable"), ""},
		{maxPeople, 0, errors.New("unreadable"),
			"about 54.0 GB of memory at this size (2.7 GB a million people); warning: the memory available is unknown (unreadable)\n"},
	} {
		setMemAvailable(t, c.avail, c.err)
		var status bytes.Buffer
		if err := checkMemory(c.people, &status); err != nil {
			t.Errorf("%d people, %d available, %v: %v", c.people, c.avail, c.err, err)
		}
		if status.String() != c.want {
			t.Errorf("%d people, %d available, %v: printed %q, want %q", c.people, c.avail, c.err, status.String(), c.want)
		}
	}
}

func TestParseMemAvailable(t *testing.T) {
	const meminfo = "MemTotal:       24683792 kB\nMemFree:         1234567 kB\nMemAvailable:   22878776 kB\nBuffers:          123456 kB\n"
	if got, err := parseMemAvailable(strings.NewReader(meminfo)); err != nil || got != 22878776<<10 {
		t.Errorf("parseMemAvailable = %d, %v; want %d", got, err, uint64(22878776)<<10)
	}
	for _, bad := range []string{
		"MemTotal:       24683792 kB\nMemFree:         1234567 kB\n", // before Linux 3.14
		"MemAvailable:   lots kB\n",
		"MemAvailable:   22878776\n",
		"MemAvailable:   99999999999999999999 kB\n",
		"",
	} {
		if got, err := parseMemAvailable(strings.NewReader(bad)); err == nil {
			t.Errorf("%q: %d, want an error", bad, got)
		}
	}
}

// TestMemoryRefusedByCgroup: in a container (or a systemd unit with MemoryMax) the
// control group's limit binds before the machine's memory does; a run over it is
// refused naming the group and its limit, and one under it says what is left there.
func TestMemoryRefusedByCgroup(t *testing.T) {
	old := memAvailable
	t.Cleanup(func() { memAvailable = old })
	memAvailable = func() (room, error) {
		return room{bytes: 3e9, cg: &cgroupLimit{group: "/docker/abc", limit: 4e9, headroom: 3e9}}, nil
	}
	want := "-people 2000000: needs about 5.4 GB of memory (2.7 GB a million people), and control group /docker/abc has 3.0 GB left of its 4.0 GB memory limit; use -people 1111111 or fewer"
	if err := checkMemory(2_000_000, io.Discard); err == nil || err.Error() != want {
		t.Errorf("-people 2000000 under a 4 GB limit: %v, want %q", err, want)
	}
	var status bytes.Buffer
	if err := checkMemory(1_000_000, &status); err != nil {
		t.Errorf("-people 1000000 under a 4 GB limit: %v", err)
	}
	if want := "about 2.7 GB of memory at this size, of 3.0 GB left under control group /docker/abc's 4.0 GB limit\n"; status.String() != want {
		t.Errorf("-people 1000000 under a 4 GB limit: printed %q, want %q", status.String(), want)
	}
}

func TestReadCgroupLimit(t *testing.T) {
	const gib = 1 << 30
	num := func(n uint64) *fstest.MapFile { return &fstest.MapFile{Data: []byte(strconv.FormatUint(n, 10) + "\n")} }
	text := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	for _, c := range []struct {
		name    string
		fs      fstest.MapFS
		want    cgroupLimit
		limited bool
		err     string
	}{
		{name: "not Linux", fs: fstest.MapFS{}},
		{
			name: "v2, a container with its own namespace",
			fs: fstest.MapFS{
				"proc/self/cgroup":              text("0::/\n"),
				"sys/fs/cgroup/memory.max":      num(4 * gib),
				"sys/fs/cgroup/memory.current":  num(1 * gib),
				"sys/fs/cgroup/memory.stat":     text("anon 536870912\nfile 536870912\ninactive_file 268435456\nactive_file 268435456\n"),
				"sys/fs/cgroup/cgroup.controls": text("memory\n"),
			},
			want:    cgroupLimit{group: "/", limit: 4 * gib, headroom: 3*gib + gib/4},
			limited: true,
		},
		{
			name: "v2, no limit",
			fs: fstest.MapFS{
				"proc/self/cgroup":             text("0::/user.slice/session-1.scope\n"),
				"sys/fs/cgroup/memory.max":     text("max\n"),
				"sys/fs/cgroup/memory.current": num(gib),
			},
		},
		{
			name: "v2, the limit of an ancestor binds",
			fs: fstest.MapFS{
				"proc/self/cgroup": text("0::/system.slice/app.service\n"),
				"sys/fs/cgroup/system.slice/app.service/memory.max":     text("max\n"),
				"sys/fs/cgroup/system.slice/app.service/memory.current": num(gib),
				"sys/fs/cgroup/system.slice/memory.max":                 num(2 * gib),
				"sys/fs/cgroup/system.slice/memory.current":             num(gib + gib/2),
			},
			want:    cgroupLimit{group: "/system.slice", limit: 2 * gib, headroom: gib / 2},
			limited: true,
		},
		{
			name: "v2, the tightest of two limits",
			fs: fstest.MapFS{
				"proc/self/cgroup":                 text("0::/a/b\n"),
				"sys/fs/cgroup/a/b/memory.max":     num(8 * gib),
				"sys/fs/cgroup/a/b/memory.current": num(gib),
				"sys/fs/cgroup/a/memory.max":       num(3 * gib),
				"sys/fs/cgroup/a/memory.current":   num(2 * gib),
			},
			want:    cgroupLimit{group: "/a", limit: 3 * gib, headroom: gib},
			limited: true,
		},
		{
			name: "v2, over its limit: nothing left",
			fs: fstest.MapFS{
				"proc/self/cgroup":             text("0::/\n"),
				"sys/fs/cgroup/memory.max":     num(gib),
				"sys/fs/cgroup/memory.current": num(2 * gib),
			},
			want:    cgroupLimit{group: "/", limit: gib, headroom: 0},
			limited: true,
		},
		{
			name: "v1, the host's path absent inside the container, unlimited at the root",
			fs: fstest.MapFS{
				"proc/self/cgroup":                            text("9:name=systemd:/\n4:memory:/process_api/31c4\n0::/\n"),
				"sys/fs/cgroup/memory/memory.limit_in_bytes":  num(9223372036854771712),
				"sys/fs/cgroup/memory/memory.usage_in_bytes":  num(gib),
				"sys/fs/cgroup/unified/cgroup.controllers":    text(""),
				"sys/fs/cgroup/memory/memory.kmem.limit_in_b": num(1),
			},
		},
		{
			name: "v1, limited, on a hybrid system",
			fs: fstest.MapFS{
				"proc/self/cgroup": text("0::/\n11:cpuset:/\n4:cpu,memory:/docker/abc\n"),
				"sys/fs/cgroup/memory/docker/abc/memory.limit_in_bytes": num(2 * gib),
				"sys/fs/cgroup/memory/docker/abc/memory.usage_in_bytes": num(gib),
				"sys/fs/cgroup/memory/docker/abc/memory.stat":           text("cache 1\ninactive_file 99\ntotal_inactive_file 536870912\n"),
				"sys/fs/cgroup/memory.max":                              num(1), // v2's, which does not hold memory here
			},
			want:    cgroupLimit{group: "/docker/abc", limit: 2 * gib, headroom: gib + gib/2},
			limited: true,
		},
		{
			name: "a limit that does not read",
			fs: fstest.MapFS{
				"proc/self/cgroup":         text("0::/\n"),
				"sys/fs/cgroup/memory.max": text("lots\n"),
			},
			err: `/sys/fs/cgroup/memory.max: unexpected format: "lots", want a number of bytes or "max"`,
		},
		{
			name: "a limit without its usage",
			fs: fstest.MapFS{
				"proc/self/cgroup":         text("0::/\n"),
				"sys/fs/cgroup/memory.max": num(gib),
			},
			err: "/sys/fs/cgroup/memory.current: open sys/fs/cgroup/memory.current: file does not exist",
		},
	} {
		got, limited, err := readCgroupLimit(c.fs)
		if c.err != "" {
			if err == nil || err.Error() != c.err {
				t.Errorf("%s: %v, want the error %q", c.name, err, c.err)
			}
			continue
		}
		if err != nil || limited != c.limited || got != c.want {
			t.Errorf("%s: %+v, %v, %v; want %+v, %v", c.name, got, limited, err, c.want, c.limited)
		}
	}
}

// FuzzReadCgroupLimit: whatever the kernel's files hold, the reader answers without a
// panic, and a limit it reports leaves no more than the limit.
func FuzzReadCgroupLimit(f *testing.F) {
	f.Add("0::/a\n", "4294967296\n", "1073741824\n", "inactive_file 268435456\n")
	f.Add("4:cpu,memory:/docker/abc\n0::/\n", "max\n", "1\n", "")
	f.Add("0::/\n", "1\n", "18446744073709551615\n", "inactive_file 18446744073709551615\n")
	f.Add("garbage", "", "", "")
	f.Fuzz(func(t *testing.T, self, limit, current, stat string) {
		fsys := fstest.MapFS{"proc/self/cgroup": {Data: []byte(self)}}
		for _, dir := range []string{"sys/fs/cgroup", "sys/fs/cgroup/a", "sys/fs/cgroup/memory", "sys/fs/cgroup/memory/docker/abc"} {
			fsys[dir+"/memory.max"] = &fstest.MapFile{Data: []byte(limit)}
			fsys[dir+"/memory.limit_in_bytes"] = &fstest.MapFile{Data: []byte(limit)}
			fsys[dir+"/memory.current"] = &fstest.MapFile{Data: []byte(current)}
			fsys[dir+"/memory.usage_in_bytes"] = &fstest.MapFile{Data: []byte(current)}
			fsys[dir+"/memory.stat"] = &fstest.MapFile{Data: []byte(stat)}
		}
		got, limited, err := readCgroupLimit(fsys)
		if err == nil && limited && got.headroom > got.limit {
			t.Errorf("%+v: more left than the limit", got)
		}
	})
}
