package loyalty

import (
	"errors"
	"iter"
	"slices"
	"sync"

	"github.com/clientele-go/clientele/internal/wal"
)

// Store keeps the ledger: an append-only sequence of batches of records. A host may
// implement it over its own database; referral/loyalty/storetest checks an
// implementation against this contract.
//
//   - Append adds recs as one batch after every batch appended before. It is atomic: if
//     it returns an error, or the process crashes before it returns, either all of recs
//     are in the store or none is. A durable store returns only once the batch will
//     survive a crash. recs is not retained: the store copies what it keeps.
//   - Records yields every record of every complete batch, in append order, and then
//     stops; an error (a damaged file, say) is yielded once and ends the sequence. The
//     records yielded belong to the caller.
//   - Delivering a record twice is safe: a store that writes at least once may yield a
//     batch's records again, anywhere after the first copy; replay skips a record whose
//     key was applied with the same content and refuses one with different content
//     (ErrCorrupt). A store must not otherwise drop, reorder or alter records.
//
// Implementations must be safe for concurrent use.
type Store interface {
	Append(recs ...Record) error
	Records() iter.Seq2[Record, error]
}

// MemStore is a Store in memory, for tests and for hosts that persist elsewhere. Its
// zero value is ready to use; it is safe for concurrent use.
type MemStore struct {
	mu     sync.Mutex
	chunks [][]Record // full chunks of memChunk records, then a partial one
}

// memChunk records per chunk: appending never copies what is already stored.
const memChunk = 4096

var _ Store = (*MemStore)(nil)

// Append copies recs onto the end of the store.
func (m *MemStore) Append(recs ...Record) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, r := range recs {
		if n := len(m.chunks); n == 0 || len(m.chunks[n-1]) == memChunk {
			m.chunks = append(m.chunks, make([]Record, 0, memChunk))
		}
		last := &m.chunks[len(m.chunks)-1]
		*last = append(*last, r.clone())
	}
	return nil
}

// Records yields copies of the records appended before the iteration began.
func (m *MemStore) Records() iter.Seq2[Record, error] {
	return func(yield func(Record, error) bool) {
		m.mu.Lock()
		chunks := slices.Clone(m.chunks)
		if n := len(chunks); n > 0 {
			chunks[n-1] = slices.Clip(chunks[n-1])
		}
		m.mu.Unlock()
		for _, c := range chunks {
			for _, r := range c {
				if !yield(r.clone(), nil) {
					return
				}
			}
		}
	}
}

// FileStore is a durable Store in one file: an internal/wal log (magic number, version,
// CRC32C-chained frames with sequence numbers, the acknowledged end in its header)
// whose every frame is one batch, so that a batch is atomic across crashes. Append
// returns after fsync; concurrent Appends share fsyncs (group commit), and the
// [Ledger] gathers concurrent events into one batch. Opening reads and checks the whole
// file and never modifies it: a torn tail (a crash mid-append, which loses only the
// unacknowledged batch) is ignored and cut by the next Append, while damage (a flipped
// bit, a zeroed range, a truncation below the acknowledged end, a batch removed,
// repeated or moved) fails with an error wrapping ErrCorrupt that names the byte
// offset, and is never silently cut: RepairFile does that, saving what it cuts. It is
// safe for concurrent use.
type FileStore struct {
	log  *wal.Log
	bufs sync.Pool // *[]byte encoding buffers: the wal copies what it writes
}

// FileOptions tune OpenFileStore. The zero value (or nil) is the safe default.
type FileOptions struct {
	// NoSync makes Append return without waiting for the disk: for bulk loads that can
	// be redone, and tests. A crash may lose any number of batches at the end (never
	// corrupt those before them, nor split one).
	NoSync bool
}

var _ Store = (*FileStore)(nil)

// OpenFileStore opens or creates the ledger file at path.
func OpenFileStore(path string, opts *FileOptions) (*FileStore, error) {
	wo := &wal.Options{Sync: wal.SyncAlways}
	if opts != nil && opts.NoSync {
		wo.Sync = wal.SyncManual // Sync is never called: Close writes
	}
	l, err := wal.Open(path, wo)
	if errors.Is(err, wal.ErrCorrupt) {
		return nil, errorf("open ledger: %w: %w", ErrCorrupt, err)
	}
	if err != nil {
		return nil, errorf("open ledger: %w", err)
	}
	return &FileStore{log: l}, nil
}

// RepairFile makes a damaged ledger file at path openable again: it keeps the batches
// before the first damaged one and cuts the rest, which it first copies to a side file
// whose name it returns ("" if nothing was cut). The ledger must not be open.
func RepairFile(path string) (saved string, err error) {
	saved, err = wal.Repair(path)
	if errors.Is(err, wal.ErrCorrupt) {
		return saved, errorf("repair ledger: %w: %w", ErrCorrupt, err)
	}
	if err != nil {
		return saved, errorf("repair ledger: %w", err)
	}
	return saved, nil
}

// Append writes recs as one frame and fsyncs it.
func (f *FileStore) Append(recs ...Record) error {
	if len(recs) == 0 {
		return nil
	}
	bp, _ := f.bufs.Get().(*[]byte)
	if bp == nil {
		bp = new([]byte)
	}
	*bp = appendBatch((*bp)[:0], recs)
	err := f.log.Append(*bp)
	if cap(*bp) <= 1<<20 {
		f.bufs.Put(bp)
	}
	if err != nil {
		if errors.Is(err, wal.ErrClosed) {
			return ErrClosed
		}
		return errorf("append to ledger: %w", err)
	}
	return nil
}

// Records decodes the file's batches in order.
func (f *FileStore) Records() iter.Seq2[Record, error] {
	return func(yield func(Record, error) bool) {
		for frame, err := range f.log.Records() {
			if err != nil {
				switch {
				case errors.Is(err, wal.ErrClosed):
					err = ErrClosed
				case errors.Is(err, wal.ErrCorrupt):
					err = errorf("read ledger: %w: %w", ErrCorrupt, err)
				default:
					err = errorf("read ledger: %w", err)
				}
				yield(Record{}, err)
				return
			}
			recs, err := decodeBatch(frame)
			if err != nil {
				yield(Record{}, errorf("ledger frame: %w", err))
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

// Close syncs and closes the file; later calls fail with ErrClosed.
func (f *FileStore) Close() error {
	if err := f.log.Close(); err != nil {
		if errors.Is(err, wal.ErrClosed) {
			return ErrClosed
		}
		return errorf("close ledger: %w", err)
	}
	return nil
}
