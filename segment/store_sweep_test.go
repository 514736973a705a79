package segment_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/clientele-go/clientele/internal/tmpfile"
	"github.com/clientele-go/clientele/segment"
)

// TestFileStoreSweepsCrashLeftovers: the temporary file of a Put that a crash cut
// before its rename, as large as the blob, is removed by the next OpenFileStore once
// its process no longer runs; a live process's (a Put under way), a blob and other
// files stay.
func TestFileStoreSweepsCrashLeftovers(t *testing.T) {
	dead, err := tmpfile.Exited()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	s, err := segment.OpenFileStore(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Put("users", []byte("blob")); err != nil {
		t.Fatal(err)
	}
	files := map[string]bool{ // name: kept
		fmt.Sprintf(".users.tmp-%d-1", dead):        false,
		fmt.Sprintf(".vip.tmp-%d-12", dead):         false,
		fmt.Sprintf(".users.tmp-%d-2", os.Getpid()): true, // this process's: a Put under way
		fmt.Sprintf(".users.tmp-%d", dead):          true, // not a name Put makes
		fmt.Sprintf("users.tmp-%d-1", dead):         true,
		".notes":                                    true,
		"users":                                     true,
	}
	for name := range files {
		if name == "users" {
			continue
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte("leftover"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := segment.OpenFileStore(dir, nil); err != nil {
		t.Fatal(err)
	}
	var want, got []string
	for name, kept := range files {
		if kept {
			want = append(want, name)
		}
	}
	slices.Sort(want)
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		got = append(got, e.Name())
	}
	if !slices.Equal(got, want) {
		t.Errorf("after OpenFileStore the directory holds %v, want %v", got, want)
	}
	if names, err := s.List(); err != nil || !slices.Equal(names, []string{"users", "users.tmp-" + fmt.Sprint(dead) + "-1"}) {
		t.Errorf("List = %v, %v", names, err)
	}
}
