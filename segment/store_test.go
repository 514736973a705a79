package segment_test

import (
	"testing"

	"github.com/clientele-go/clientele/segment"
	"github.com/clientele-go/clientele/segment/storetest"
)

func TestMemoryStore(t *testing.T) {
	storetest.Run(t, func(*testing.T) segment.Store { return segment.NewMemoryStore() })
}

func TestFileStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) segment.Store {
		s, err := segment.NewFileStore(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}
