package main

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

// setMemAvailable makes memAvailable report avail, or err, for the rest of the test.
func setMemAvailable(t *testing.T, avail uint64, err error) {
	t.Helper()
	old := memAvailable
	memAvailable = func() (uint64, error) { return avail, err }
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
