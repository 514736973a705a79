package tmpfile

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clientele-go/clientele/internal/tmpfile/tmpfiletest"
)

func TestSweep(t *testing.T) {
	dir := t.TempDir()
	dead := tmpfiletest.Exited(t)
	if running(dead) {
		t.Skipf("process %d, exited, reads as running: its id was taken again", dead)
	}
	files := tmpfiletest.Files{ // name: kept
		fmt.Sprintf(".seg.tmp-%d-7", dead):         false,
		fmt.Sprintf(".seg.tmp-%d-8", dead):         false,
		fmt.Sprintf(".seg.tmp-%d-1", os.Getpid()):  true, // this process's: a write under way
		Name(".seg.tmp-"):                          true,
		".seg.tmp-1-1":                             true, // init runs
		fmt.Sprintf("other-%d-7", dead):            true, // a stem not asked for
		fmt.Sprintf(".seg.tmp-x%d-7", dead):        true, // the stem ends in a letter: asked for as ".seg.tmp-x"
		fmt.Sprintf(".seg.tmp-%d-", dead):          true, // no number
		fmt.Sprintf(".seg.tmp-%d-7x", dead):        true,
		"seg":                                      true,
		fmt.Sprintf(".log.new-%d-3", dead):         true, // another stem
		fmt.Sprintf(".seg.tmp-%d-%d", dead, 1<<40): false,
	}
	files.Write(t, dir, []byte("x"))
	n, err := Sweep(dir, func(stem string) bool { return stem == ".seg.tmp-" })
	if err != nil {
		t.Fatal(err)
	}
	files.Left(t, dir, "Sweep")
	if want := len(files) - len(files.Kept()); n != want {
		t.Errorf("Sweep says %d removed, want %d", n, want)
	}
}

func TestSweepMissingDir(t *testing.T) {
	if n, err := Sweep(filepath.Join(t.TempDir(), "none"), func(string) bool { return true }); n != 0 || err != nil {
		t.Errorf("Sweep of a missing directory = %d, %v; want 0, nil", n, err)
	}
}

func TestNameParses(t *testing.T) {
	a, b := Name("x.new-"), Name("x.new-")
	if a == b {
		t.Fatalf("two names alike: %q", a)
	}
	stem, pid, ok := parse(a)
	if !ok || stem != "x.new-" || pid != os.Getpid() {
		t.Errorf("parse(%q) = %q, %d, %v; want x.new-, %d, true", a, stem, pid, ok, os.Getpid())
	}
	for _, bad := range []string{"", "-", "x-1", "x--1", "x-0-1", "x-1-", strings.Repeat("9", 30) + "-1"} {
		if stem, pid, ok := parse(bad); ok {
			t.Errorf("parse(%q) = %q, %d, true; want not a Name", bad, stem, pid)
		}
	}
}

// FuzzParse: a name parse accepts is its stem (not ending in a digit), then the
// process id's digits, a dash and a number's digits; a name Name makes is accepted.
func FuzzParse(f *testing.F) {
	f.Add(".seg.tmp-", 1234, "7")
	f.Add("log.new-", 1, "0")
	f.Add("", 0, "")
	f.Fuzz(func(t *testing.T, stem string, pid int, n string) {
		name := stem + fmt.Sprint(pid) + "-" + n
		s, p, ok := parse(name)
		if !ok {
			if pid > 0 && digits(n) && (stem == "" || stem[len(stem)-1] < '0' || stem[len(stem)-1] > '9') && len(fmt.Sprint(pid)) < 19 {
				t.Fatalf("parse(%q) refused a name of stem %q, process %d", name, stem, pid)
			}
			return
		}
		rest, found := strings.CutPrefix(name, s)
		if !found || p <= 0 || (s != "" && s[len(s)-1] >= '0' && s[len(s)-1] <= '9') {
			t.Fatalf("parse(%q) = %q, %d", name, s, p)
		}
		i := strings.IndexByte(rest, '-')
		if i <= 0 || !digits(rest[:i]) || !digits(rest[i+1:]) {
			t.Fatalf("parse(%q) = %q, %d: the rest %q is not <pid>-<n>", name, s, p, rest)
		}
	})
}
