package segment_test

import (
	"fmt"
	"os"
	"slices"
	"testing"

	"github.com/clientele-go/clientele/internal/tmpfile/tmpfiletest"
	"github.com/clientele-go/clientele/segment"
)

// TestFileStoreSweepsCrashLeftovers: the temporary file of a Put that a crash cut
// before its rename, as large as the blob, is removed by the next OpenFileStore once
// its process no longer runs; a live process's (a Put under way), a blob and other
// files stay.
func TestFileStoreSweepsCrashLeftovers(t *testing.T) {
	dead := tmpfiletest.Exited(t)
	dir := t.TempDir()
	s, err := segment.OpenFileStore(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Put("users", []byte("blob")); err != nil {
		t.Fatal(err)
	}
	files := tmpfiletest.Files{ // name: kept
		fmt.Sprintf(".users.tmp-%d-1", dead):        false,
		fmt.Sprintf(".vip.tmp-%d-12", dead):         false,
		fmt.Sprintf(".users.tmp-%d-2", os.Getpid()): true, // this process's: a Put under way
		fmt.Sprintf(".users.tmp-%d", dead):          true, // an earlier version's name: maybe its Put under way
		fmt.Sprintf("users.tmp-%d-1", dead):         true,
		".notes":                                    true,
	}
	files.Write(t, dir, []byte("leftover"))
	if _, err := segment.OpenFileStore(dir, nil); err != nil {
		t.Fatal(err)
	}
	files.Left(t, dir, "OpenFileStore", "users") // and the blob Put wrote
	if names, err := s.List(); err != nil || !slices.Equal(names, []string{"users", "users.tmp-" + fmt.Sprint(dead) + "-1"}) {
		t.Errorf("List = %v, %v", names, err)
	}
}
