package wal

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/clientele-go/clientele/internal/tmpfile"
)

// TestOpenSweepsCreateLeftovers: the temporary file of a create that a crash cut
// before its link is removed by the next Open of the log once its process no longer
// runs; a live process's (a create under way) and other logs' stay.
func TestOpenSweepsCreateLeftovers(t *testing.T) {
	dead, err := tmpfile.Exited()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	files := map[string]bool{ // name: kept
		fmt.Sprintf("ids.log.new-%d-1", dead):        false,
		fmt.Sprintf("ids.log.new-%d-2", os.Getpid()): true, // this process's: a create under way
		fmt.Sprintf("other.log.new-%d-1", dead):      true, // another log's
		fmt.Sprintf("ids.log.new-%d", dead):          true, // not a name create makes
	}
	for name := range files {
		if err := os.WriteFile(filepath.Join(dir, name), make([]byte, headerSize), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	l, err := Open(filepath.Join(dir, "ids.log"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	want := []string{"ids.log"}
	for name, kept := range files {
		if kept {
			want = append(want, name)
		}
	}
	slices.Sort(want)
	var got []string
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		got = append(got, e.Name())
	}
	if !slices.Equal(got, want) {
		t.Errorf("after Open the directory holds %v, want %v", got, want)
	}
}
