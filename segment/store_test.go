package segment_test

import (
	"testing"

	"github.com/clientele-go/clientele/segment"
	"github.com/clientele-go/clientele/segment/storetest"
)

func TestMemStore(t *testing.T) {
	storetest.Run(t, storetest.Harness{Open: func(string) (segment.Store, error) { return new(segment.MemStore), nil }})
}

func TestFileStore(t *testing.T) {
	open := func(dir string) (segment.Store, error) { return segment.OpenFileStore(dir, nil) }
	storetest.Run(t, storetest.Harness{Open: open, Reopen: open})
}

func TestFileStoreNoSync(t *testing.T) {
	open := func(dir string) (segment.Store, error) {
		return segment.OpenFileStore(dir, &segment.FileOptions{NoSync: true})
	}
	storetest.Run(t, storetest.Harness{Open: open, Reopen: open})
}
