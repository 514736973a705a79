package segment

import (
	"os"
	"runtime"
	"sync"

	"github.com/RoaringBitmap/roaring/v2"
)

// mapping is a snapshot file mapped into memory; bitmaps of the index view it.
type mapping struct {
	mu    sync.Mutex // Close and the cleanup of an unreachable index may race
	data  []byte
	unmap func([]byte) error
}

// release unmaps the file, once.
func (m *mapping) release() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.data == nil {
		return nil
	}
	data := m.data
	m.data = nil
	return m.unmap(data)
}

// Open opens a snapshot file, as written by WriteTo or kept by a FileStore (the blob
// named n is the file filepath.Join(dir, n)). On Unix the file is mapped read-only and
// the index's bitmaps are views of the mapping, so opening costs the checks of the
// checksum and of every bitmap (reading the file once), not decoding or copying it;
// containers are copied as they change. Elsewhere the file is read into memory.
//
// Close the index to release the mapping; an index that is not closed releases it when
// it becomes unreachable. Bitmaps the index returns never refer to the mapping.
func Open(path string) (*Index, error) {
	m, err := mapFile(path)
	if err != nil {
		return nil, errorf("open %s: %w", path, err)
	}
	x, err := decodeSnapshot(m.data)
	if err != nil {
		m.release()
		return nil, errorf("open %s: %w", path, err)
	}
	x.mapping = m
	runtime.AddCleanup(x, func(m *mapping) { m.release() }, m)
	return x, nil
}

// Close releases an opened snapshot's mapping, first copying to the heap whatever the
// index still shares with it, so the index stays usable. It does nothing for an index
// that was not opened from a file.
func (x *Index) Close() error {
	x.lock()
	defer x.mu.Unlock()
	m := x.mapping
	if m == nil {
		return nil
	}
	x.eachBitmap(func(b *roaring.Bitmap) { b.CloneCopyOnWriteContainers() })
	x.mapping = nil
	if err := m.release(); err != nil {
		return errorf("close: %w", err)
	}
	return nil
}

// eachBitmap calls fn with every bitmap the index holds. The caller holds mu.
func (x *Index) eachBitmap(fn func(*roaring.Bitmap)) {
	fn(x.known)
	for _, values := range x.traits {
		for _, b := range values {
			fn(b)
		}
	}
	eachBSI := func(b *bsi) {
		if b == nil {
			return
		}
		fn(b.exist)
		for _, s := range b.slices {
			fn(s)
		}
	}
	for _, f := range x.numbers {
		eachBSI(f.v)
		eachBSI(f.seq)
	}
	for _, ev := range x.events {
		fn(ev.older)
		for _, d := range ev.days {
			fn(d.present)
			eachBSI(d.extra)
		}
	}
	for _, s := range x.saved {
		fn(s.members)
	}
}

// readFile is mapFile's fallback: the file's bytes on the heap.
func readFile(path string) (*mapping, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return &mapping{data: data, unmap: func([]byte) error { return nil }}, nil
}
