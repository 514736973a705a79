package batchstore

import (
	"errors"
	"fmt"
	"iter"
	"sync"

	"github.com/clientele-go/clientele/internal/wal"
)

// File is a durable store in one file: an internal/wal log whose every frame is one
// batch, so that a batch is atomic across crashes. Append returns after fsync unless
// the file was opened with noSync; concurrent Appends share fsyncs (the wal's group
// commit). Opening reads and checks the whole file and never modifies it: a torn tail
// is ignored and cut by the next Append, damage fails with an error wrapping the
// Codec's Corrupt that names the byte offset, and only [Repair] cuts it. It is safe
// for concurrent use.
type File[T any, C Codec[T]] struct {
	log  *wal.Log
	bufs sync.Pool // *[]byte encoding buffers: the wal copies what it writes
}

// OpenFile opens or creates the ledger file at path. With noSync, Append returns
// without waiting for the disk (Close writes): a crash may lose any number of batches
// at the end, never corrupt those before them nor split one.
func OpenFile[T any, C Codec[T]](path string, noSync bool) (*File[T, C], error) {
	var c C
	e := c.Errors()
	wo := &wal.Options{Sync: wal.SyncAlways}
	if noSync {
		wo.Sync = wal.SyncManual // Sync is never called: Close writes
	}
	l, err := wal.Open(path, wo)
	if errors.Is(err, wal.ErrCorrupt) {
		// wal is internal: hosts test for the package's own sentinel.
		return nil, fmt.Errorf("%w: open ledger: %w", e.Corrupt, err)
	}
	if err != nil {
		return nil, e.Errorf("open ledger: %w", err)
	}
	return &File[T, C]{log: l}, nil
}

// Repair makes a damaged ledger file at path openable again: it keeps the batches
// before the first damaged one and cuts the rest, which it first copies to a side file
// whose name it returns ("" if nothing was cut). The file must not be open.
func Repair[T any, C Codec[T]](path string) (saved string, err error) {
	var c C
	e := c.Errors()
	saved, err = wal.Repair(path)
	if errors.Is(err, wal.ErrCorrupt) {
		return saved, fmt.Errorf("%w: repair ledger: %w", e.Corrupt, err)
	}
	if err != nil {
		return saved, e.Errorf("repair ledger: %w", err)
	}
	return saved, nil
}

// Append writes recs as one frame and, unless opened with noSync, fsyncs it.
func (f *File[T, C]) Append(recs []T) error {
	if len(recs) == 0 {
		return nil
	}
	var c C
	bp, _ := f.bufs.Get().(*[]byte)
	if bp == nil {
		bp = new([]byte)
	}
	*bp = AppendBatch[T, C]((*bp)[:0], recs)
	err := f.log.Append(*bp)
	if cap(*bp) <= 1<<20 {
		f.bufs.Put(bp)
	}
	if err != nil {
		e := c.Errors()
		if errors.Is(err, wal.ErrClosed) {
			return e.Closed
		}
		return e.Errorf("append to ledger: %w", err)
	}
	return nil
}

// Records decodes the file's batches in order.
func (f *File[T, C]) Records() iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var c C
		var zero T
		for frame, err := range f.log.Records() {
			if err != nil {
				e := c.Errors()
				switch {
				case errors.Is(err, wal.ErrClosed):
					err = e.Closed
				case errors.Is(err, wal.ErrCorrupt):
					err = fmt.Errorf("%w: read ledger: %w", e.Corrupt, err)
				default:
					err = e.Errorf("read ledger: %w", err)
				}
				yield(zero, err)
				return
			}
			recs, err := DecodeBatch[T, C](frame)
			if err != nil {
				yield(zero, c.Errors().Errorf("ledger frame: %w", err))
				return
			}
			for _, r := range recs {
				if !yield(r, nil) {
					return
				}
			}
		}
	}
}

// Size returns the file's size in bytes.
func (f *File[T, C]) Size() int64 { return f.log.Size() }

// Close syncs and closes the file; later calls fail with the Codec's Closed.
func (f *File[T, C]) Close() error {
	if err := f.log.Close(); err != nil {
		var c C
		e := c.Errors()
		if errors.Is(err, wal.ErrClosed) {
			return e.Closed
		}
		return e.Errorf("close ledger: %w", err)
	}
	return nil
}
