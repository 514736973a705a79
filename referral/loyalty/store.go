package loyalty

import (
	"iter"

	"github.com/clientele-go/clientele/internal/batchstore"
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
	m batchstore.Mem[Record, recordCodec]
}

var _ Store = (*MemStore)(nil)

// Append copies recs onto the end of the store.
func (m *MemStore) Append(recs ...Record) error { return m.m.Append(recs) }

// Records yields copies of the records appended before the iteration began.
func (m *MemStore) Records() iter.Seq2[Record, error] { return m.m.Records() }

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
// safe for concurrent use. Make one with OpenFileStore: the zero FileStore, and a nil
// one, have no file, and their methods fail with ErrInvalid saying so.
type FileStore struct {
	log *batchstore.File[Record, recordCodec]
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
	l, err := batchstore.OpenFile[Record, recordCodec](path, opts != nil && opts.NoSync)
	if err != nil {
		return nil, err
	}
	return &FileStore{log: l}, nil
}

// RepairFile makes a damaged ledger file at path openable again: it keeps the batches
// before the first damaged one and cuts the rest, which it first copies to a side file
// whose name it returns ("" if nothing was cut). The ledger must not be open.
func RepairFile(path string) (saved string, err error) {
	return batchstore.Repair[Record, recordCodec](path)
}

// Append writes recs as one frame and fsyncs it. If the fsync fails, the frame is cut
// from the file (a retry is not read twice) and every later Append fails until the store
// is opened again: a later fsync could succeed without the data on disk.
func (f *FileStore) Append(recs ...Record) error {
	if f == nil || f.log == nil {
		return errZeroFileStore
	}
	return f.log.Append(recs)
}

// Records decodes the file's batches in order.
func (f *FileStore) Records() iter.Seq2[Record, error] {
	if f == nil || f.log == nil {
		return func(yield func(Record, error) bool) { yield(Record{}, errZeroFileStore) }
	}
	return f.log.Records()
}

// Close syncs and closes the file; later calls fail with ErrClosed.
func (f *FileStore) Close() error {
	if f == nil || f.log == nil {
		return errZeroFileStore
	}
	return f.log.Close()
}
