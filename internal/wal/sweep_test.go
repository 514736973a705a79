package wal

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/clientele-go/clientele/internal/tmpfile/tmpfiletest"
)

// TestOpenSweepsCreateLeftovers: the temporary file of a create that a crash cut
// before its link is removed by the next Open of the log once its process no longer
// runs; a live process's (a create under way) and other logs' stay.
func TestOpenSweepsCreateLeftovers(t *testing.T) {
	dead := tmpfiletest.Exited(t)
	dir := t.TempDir()
	files := tmpfiletest.Files{ // name: kept
		fmt.Sprintf("ids.log.new-%d-1", dead):        false,
		fmt.Sprintf("ids.log.new-%d-2", os.Getpid()): true, // this process's: a create under way
		fmt.Sprintf("other.log.new-%d-1", dead):      true, // another log's
		fmt.Sprintf("ids.log.new-%d", dead):          true, // not a name create makes
	}
	files.Write(t, dir, make([]byte, headerSize))
	l, err := Open(filepath.Join(dir, "ids.log"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	files.Left(t, dir, "Open", "ids.log")
}
