package segment

import (
	"errors"
	"io/fs"
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

// OpenOptions tune Open. The zero value (or nil) reads the file into memory.
type OpenOptions struct {
	// Map maps the file read-only instead of reading it (on Unix; elsewhere it is read):
	// opening then costs the checks of the checksum and of every bitmap, not a copy, and
	// the index's bitmaps are views of the mapping until they change or Close copies
	// them. The hazard: while the index holds the mapping, nothing may truncate or
	// rewrite the file in place. The kernel then delivers SIGBUS on the next read of a
	// page that is gone, which kills the process (Go cannot recover from it). Write a
	// new snapshot to another file and rename it over the old one (as FileStore does):
	// the mapping keeps the old file's pages.
	Map bool
}

// Open opens a snapshot file, as written by WriteTo or kept by a FileStore (the blob
// named n is the file filepath.Join(dir, n)). By default it reads the file into memory,
// so the index is independent of the file from then on; OpenOptions.Map maps it
// instead, which is faster and lighter for a large snapshot but requires that the file
// is not truncated or rewritten in place while the index is open (see OpenOptions).
//
// Close the index to release a mapping; an index that is not closed releases it when
// it becomes unreachable. Bitmaps the index returns never refer to the mapping.
func Open(path string, opts *OpenOptions) (*Index, error) {
	var m *mapping
	var err error
	if opts != nil && opts.Map {
		m, err = mapFile(path)
	} else {
		m, err = readFile(path)
	}
	if err != nil {
		// The os package's errors name the path already ("open P: no such file or
		// directory"); naming it again read "open P: open P: ...".
		if pe := (*fs.PathError)(nil); errors.As(err, &pe) && pe.Path == path {
			return nil, errorf("%w", err)
		}
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
// that was not opened from a file, and fails with ErrInvalid for a zero or nil Index.
func (x *Index) Close() error {
	if x.zero() {
		return errZeroIndex
	}
	// Not between a Refresh's evaluation and its commit: the memberships it is about to
	// commit may share containers with the mapping (a union keeps the containers only
	// one operand holds), and once unmapped, reading them would kill the process.
	x.refreshMu.Lock()
	defer x.refreshMu.Unlock()
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
