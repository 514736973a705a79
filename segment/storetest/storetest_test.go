package storetest

import (
	"testing"

	"github.com/clientele-go/clientele/internal/storecheck"
	"github.com/clientele-go/clientele/segment"
)

// The suite must catch broken stores: each of these breaks one rule of the contract.
func TestSuiteCatchesBrokenStores(t *testing.T) {
	mem := func(string) (segment.Store, error) { return new(segment.MemStore), nil }
	storecheck.Catches(t, func(h storecheck.Harness[segment.Store]) error { return TestStore(Harness(h)) }, []storecheck.Mutant[segment.Store]{
		{Name: "keeps the caller's slice", Check: "PutGet", Harness: storecheck.Harness[segment.Store]{
			Open: func(string) (segment.Store, error) { return &aliasing{}, nil },
		}},
		{Name: "lists unsorted", Check: "DeleteList", Harness: storecheck.Harness[segment.Store]{
			Open: func(string) (segment.Store, error) { return &unsorted{}, nil },
		}},
		{Name: "forgets on reopen", Check: "Reopen", Harness: storecheck.Harness[segment.Store]{Open: mem, Reopen: mem}},
		{Name: "loses a delete on reopen", Check: "Reopen", Harness: storecheck.Harness[segment.Store]{
			Open:   func(dir string) (segment.Store, error) { return segment.OpenFileStore(dir, nil) },
			Reopen: func(dir string) (segment.Store, error) { return &resurrect{dir: dir}, nil },
		}},
	})
	open := func(dir string) (segment.Store, error) { return segment.OpenFileStore(dir, nil) }
	if err := TestStore(Harness{Open: open, Reopen: open}); err != nil {
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
