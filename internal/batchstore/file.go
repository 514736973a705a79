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
	path   string
	noSync bool
	bufs   sync.Pool // *[]byte encoding buffers: the wal copies what it writes

	// mu guards log: Append and Records read it shared, Rewrite swaps it exclusively,
	// so that no batch is appended to the old file once its records are being copied.
	mu  sync.RWMutex
	log *wal.Log
	err error // set when a failed Rewrite left no open log

	// RewriteHook, when a test sets it, is called at each step of Rewrite ("frame"
	// after each frame copied, "written" once the copy is fsynced, "renamed",
	// "dirsynced"), so that a test can kill the process between them.
	RewriteHook func(step string)
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
	return &File[T, C]{path: path, noSync: noSync, log: l}, nil
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
	f.mu.RLock()
	err := f.err
	if err == nil {
		err = f.log.Append(*bp)
	}
	f.mu.RUnlock()
	if cap(*bp) <= 1<<20 {
		f.bufs.Put(bp)
	}
	if err != nil {
		e := c.Errors()
		if errors.Is(err, wal.ErrClosed) {
			return e.Closed
		}
		if err == f.err {
			return err
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
		f.mu.RLock()
		l, ferr := f.log, f.err
		f.mu.RUnlock()
		if ferr != nil {
			yield(zero, ferr)
			return
		}
		for frame, err := range l.Records() {
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
func (f *File[T, C]) Size() int64 {
	f.mu.RLock()
	defer f.mu.RUnlock()
	if f.log == nil {
		return 0
	}
	return f.log.Size()
}

// Rewrite replaces every record of the file by what rewrite returns for it, batch by
// batch (a batch stays one frame), crash-safely: the new records are written to a new
// file beside the old one (path + ".rewrite"), which is fsynced and renamed over the
// old one, and the directory is fsynced, so that a crash at any point leaves either the
// old file or the new one at path, never a mix. Appends wait while it runs. A Records
// iteration that began before may end with the Codec's Closed. If the rename succeeded
// but the new file could not be reopened, the File fails every later call with that
// error and must be opened again.
func (f *File[T, C]) Rewrite(rewrite func(T) T) error {
	var c C
	e := c.Errors()
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	wo := &wal.ReplaceOptions{Sync: wal.SyncAlways, Hook: f.replaceStep}
	if f.noSync {
		wo.Sync = wal.SyncManual
	}
	write := func(out *wal.Log) error { return f.writeCopy(out, rewrite) }
	l, err := wal.Replace(f.path, f.path+".rewrite", f.log, write, wo)
	if err == nil {
		f.log = l
		return nil
	}
	var re *wal.ReplaceError
	errors.As(err, &re) // Replace fails with nothing else
	switch re.Step {
	case wal.ReplaceClean:
		return e.Errorf("rewrite ledger %s: remove a stale copy: %w", f.path, re.Err)
	case wal.ReplaceCreate:
		return e.Errorf("rewrite ledger %s: create its copy: %w", f.path, re.Err)
	case wal.ReplaceWrite:
		if errors.Is(re.Err, wal.ErrClosed) {
			return e.Closed
		}
		return re.Err // writeCopy's, in the ledger's words
	case wal.ReplaceSync:
		return e.Errorf("rewrite ledger %s: sync its copy: %w", f.path, re.Err)
	case wal.ReplaceRename:
		return e.Errorf("rewrite ledger %s: replace it by its rewritten copy: %w", f.path, re.Err)
	case wal.ReplaceSyncDir:
		f.err = e.Errorf("rewrite ledger %s: %w", f.path, re.Err)
	default:
		f.err = e.Errorf("rewrite ledger %s: reopen it: %w", f.path, re.Err)
	}
	f.log = nil // closed by Replace once the new file was in its place
	return f.err
}

// writeCopy appends the rewritten frames of f.log to out, the new wal Rewrite replaces
// it by. The caller holds mu.
func (f *File[T, C]) writeCopy(out *wal.Log, rewrite func(T) T) error {
	var c C
	e := c.Errors()
	var buf []byte
	for frame, err := range f.log.Records() {
		if err != nil {
			if errors.Is(err, wal.ErrClosed) {
				return err
			}
			return fmt.Errorf("%w: rewrite ledger %s: read it: %w", e.Corrupt, f.path, err)
		}
		recs, err := DecodeBatch[T, C](frame)
		if err != nil {
			return e.Errorf("rewrite ledger %s: frame: %w", f.path, err)
		}
		for i := range recs {
			recs[i] = rewrite(recs[i])
		}
		buf = AppendBatch[T, C](buf[:0], recs)
		if err := out.Append(buf); err != nil {
			return e.Errorf("rewrite ledger %s: write its copy: %w", f.path, err)
		}
		f.step("frame")
	}
	return nil
}

// replaceStep reports to RewriteHook, by the names it documents, the steps of
// wal.Replace between which a crash leaves different files.
func (f *File[T, C]) replaceStep(s wal.ReplaceStep) {
	switch s {
	case wal.ReplaceSync:
		f.step("written")
	case wal.ReplaceRename:
		f.step("renamed")
	case wal.ReplaceSyncDir:
		f.step("dirsynced")
	}
}

func (f *File[T, C]) step(name string) {
	if f.RewriteHook != nil {
		f.RewriteHook(name)
	}
}

// Close syncs and closes the file; later calls fail with the Codec's Closed.
func (f *File[T, C]) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.log == nil {
		if f.err != nil {
			return f.err
		}
		var c C
		return c.Errors().Closed
	}
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
