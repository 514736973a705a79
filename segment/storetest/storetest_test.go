package storetest_test

import (
	"strings"
	"testing"

	"github.com/clientele-go/clientele/segment"
	"github.com/clientele-go/clientele/segment/storetest"
)

// The suite must catch broken stores: each of these breaks one rule of the contract.
func TestSuiteCatchesBrokenStores(t *testing.T) {
	for _, tc := range []struct {
		name string
		h    storetest.Harness
		want string
	}{
		{"keeps the caller's slice", storetest.Harness{Open: func(string) (segment.Store, error) { return &aliasing{}, nil }}, "PutGet"},
		{"lists unsorted", storetest.Harness{Open: func(string) (segment.Store, error) { return &unsorted{}, nil }}, "DeleteList"},
		{"forgets on reopen", storetest.Harness{
			Open:   func(string) (segment.Store, error) { return new(segment.MemStore), nil },
			Reopen: func(string) (segment.Store, error) { return new(segment.MemStore), nil },
		}, "Reopen"},
		{"loses a delete on reopen", storetest.Harness{
			Open:   func(dir string) (segment.Store, error) { return segment.OpenFileStore(dir, nil) },
			Reopen: func(dir string) (segment.Store, error) { return &resurrect{dir: dir}, nil },
		}, "Reopen"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := storetest.TestStore(tc.h)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("TestStore = %v, want a failure of %s", err, tc.want)
			}
		})
	}
	open := func(dir string) (segment.Store, error) { return segment.OpenFileStore(dir, nil) }
	if err := storetest.TestStore(storetest.Harness{Open: open, Reopen: open}); err != nil {
		t.Fatalf("TestStore(FileStore) = %v", err)
	}
}

// aliasing keeps the slice it was given.
type aliasing struct{ segment.MemStore }

func (s *aliasing) Put(name string, data []byte) error {
	if err := s.MemStore.Put(name, data); err != nil {
		return err
	}
	data[0]++ // the caller's change shows in the stored copy: simulated by changing it here
	return s.MemStore.Put(name, data)
}

// unsorted lists names in reverse.
type unsorted struct{ segment.MemStore }

func (s *unsorted) List() ([]string, error) {
	names, err := s.MemStore.List()
	for i, j := 0, len(names)-1; i < j; i, j = i+1, j-1 {
		names[i], names[j] = names[j], names[i]
	}
	return names, err
}

// resurrect reopens the directory but brings back the blob called "c" that was deleted.
type resurrect struct {
	dir string
	segment.Store
}

func (s *resurrect) open() error {
	if s.Store != nil {
		return nil
	}
	fs, err := segment.OpenFileStore(s.dir, nil)
	if err != nil {
		return err
	}
	s.Store = fs
	return fs.Put("c", []byte("c"))
}

func (s *resurrect) List() ([]string, error) {
	if err := s.open(); err != nil {
		return nil, err
	}
	return s.Store.List()
}

func (s *resurrect) Get(name string) ([]byte, error) {
	if err := s.open(); err != nil {
		return nil, err
	}
	return s.Store.Get(name)
}

func (s *resurrect) Delete(name string) error {
	if err := s.open(); err != nil {
		return err
	}
	return s.Store.Delete(name)
}
