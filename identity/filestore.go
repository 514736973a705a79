package identity

import (
	"encoding/binary"
	"errors"
	"iter"
	"os"
	"sync"

	"github.com/clientele-go/clientele/internal/wal"
)

// FileStore is a durable Store in one file, an internal/wal log: records are framed with
// their length and a CRC32C checksum after a magic-and-version header.
//
// Durability: Append writes the records to the file without waiting for the disk, and
// Sync fsyncs; the resolver calls Sync after every mutation and returns only when it
// succeeds, so a Link that returned is on stable storage, and concurrent Links share one
// fsync (group commit). A crash can only lose records whose Sync had not returned.
// A Sync that fails cuts the records it was to cover from the file (a Link that
// failed is not found there after a reopen, so sending it again links it once), and
// the store then refuses every Append and Sync, as its resolver does, until both are
// opened again: after a failed fsync, one that succeeds later proves nothing.
//
// Recovery: opening reads and checks the whole file and never modifies it. Frames carry
// sequence numbers and a chained checksum, and the header records how far the last
// fsync reached, so a record cut short by a crash (a torn tail, never acknowledged) is
// told apart from damage: a flipped bit, a zeroed range, a truncation, or a record
// removed, repeated or moved. A torn tail is ignored and cut by the next append; damage
// makes OpenFileStore fail with an error wrapping ErrCorrupt that names the byte offset.
// RepairFile keeps the valid records before the damage, saving the rest to a side file.
//
// FileStore is safe for concurrent use. It holds its file exclusively until Close (on
// Unix, an advisory flock): a second OpenFileStore or a RepairFile of the same path, in
// this process or another, fails while it is open, rather than writing over its records.
// Replicas of a host that share one graph use a SharedStore (identity/pgstore).
//
// Make one with OpenFileStore: the zero FileStore, and a nil one (what OpenFileStore
// returns with an error), have no file, and their methods fail with ErrInvalid saying so.
type FileStore struct {
	path string
	opts FileOptions

	mu  sync.RWMutex // guards log; Compact holds it exclusively to swap the file
	log *wal.Log
	err error // set when a failed Compact left no open log
}

// FileOptions tune OpenFileStore. The zero value is the safe default.
type FileOptions struct {
	// NoSync makes Sync a no-op: records reach the disk when the operating system
	// writes them or at Close. For bulk loads that can be redone; a crash may lose any
	// number of records at the end (never corrupt those before them).
	NoSync bool
}

var (
	_ Store     = (*FileStore)(nil)
	_ Syncer    = (*FileStore)(nil)
	_ Compacter = (*FileStore)(nil)
	_ Scrubber  = (*FileStore)(nil)
)

// OpenFileStore opens the store in the file at path, creating it if needed.
func OpenFileStore(path string, opts *FileOptions) (*FileStore, error) {
	s := &FileStore{path: path}
	if opts != nil {
		s.opts = *opts
	}
	l, err := wal.Open(path, &wal.Options{Sync: wal.SyncManual})
	if errors.Is(err, wal.ErrCorrupt) {
		// wal is internal: hosts test for the package's own sentinel.
		return nil, errorf("open file store: %w: %w", ErrCorrupt, err)
	}
	if err != nil {
		return nil, errorf("open file store: %w", err)
	}
	// A compaction that crashed before its rename leaves its new file behind; the old
	// file is still complete, so the leftover is discarded. Only once the log is ours:
	// while another store holds it, the file may be that store's compaction under way.
	if err := os.Remove(path + ".compact"); err != nil && !errors.Is(err, os.ErrNotExist) {
		l.Close()
		return nil, errorf("remove leftover %s.compact: %w", path, err)
	}
	s.log = l
	return s, nil
}

// RepairFile makes a damaged store file at path openable again: it keeps the records
// before the first damaged one and cuts the rest, which it first copies to a side file
// beside path whose name it returns ("" if nothing had to be cut). A file without damage
// is left as it is. The store must not be open.
//
// The side file (path.cut-<offset>, path.cut-<offset>.<n>) belongs to the store: a later
// Forget overwrites the forgotten values in it too (see Scrub), so keep it beside path
// while it may be needed and delete it when it is not. A copy taken elsewhere is out of
// the store's reach.
func RepairFile(path string) (saved string, err error) {
	saved, err = wal.Repair(path)
	if errors.Is(err, wal.ErrCorrupt) {
		return saved, errorf("repair file store: %w: %w", ErrCorrupt, err)
	}
	if err != nil {
		return saved, errorf("repair file store: %w", err)
	}
	return saved, nil
}

// Scrub overwrites with zeros, in every side file RepairFile saved beside the store's
// file, each occurrence of each value (a value as the log stores it: normalised, or its
// HMAC digest), and fsyncs the files it changed. Forget calls it before it rewrites the
// log (see Scrubber).
//
// A value of four bytes or more is matched wherever its bytes occur, so that a copy is
// found even in a record whose framing the damage broke; a shorter value is matched
// only with the length prefix the log writes before it, so that scrubbing "a" does not
// wipe every "a" of the other records kept there. What the damage itself altered inside
// a value (a flipped bit, a zeroed half) no longer equals the value and is not found:
// RELIABILITY.md says how to rule that out.
func (s *FileStore) Scrub(values [][]byte) error {
	if s == nil || s.path == "" {
		return errZeroFileStore
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if _, err := s.current(); err != nil {
		return err
	}
	pats := make([][]byte, 0, len(values))
	for _, v := range values {
		if len(v) == 0 {
			continue
		}
		if len(v) < 4 {
			// A link record writes a value as uvarint(len<<1 | erased) and its bytes.
			pats = append(pats, append(binary.AppendUvarint(nil, uint64(len(v))<<1), v...))
			continue
		}
		pats = append(pats, v)
	}
	if _, err := wal.Scrub(s.path, pats); err != nil {
		return errorf("scrub side files: %w", err)
	}
	return nil
}

func (s *FileStore) current() (*wal.Log, error) {
	if s.err != nil {
		return nil, s.err
	}
	if s.log == nil {
		return nil, s.closed()
	}
	return s.log, nil
}

// closed is ErrClosed naming the file: a host with several stores learns which one
// it used after Close.
func (s *FileStore) closed() error {
	return errorf("%w: file store %s", ErrClosed, s.path)
}

// Append writes the records as one unit (see FileStore for when they are durable).
func (s *FileStore) Append(records ...[]byte) error {
	if s == nil || s.path == "" {
		return errZeroFileStore
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	l, err := s.current()
	if err != nil {
		return err
	}
	if err := l.Append(records...); err != nil {
		if errors.Is(err, wal.ErrClosed) {
			return s.closed()
		}
		return errorf("file store: %w", err)
	}
	return nil
}

// Sync makes every record appended so far durable, unless NoSync is set.
func (s *FileStore) Sync() error {
	if s == nil || s.path == "" {
		return errZeroFileStore
	}
	if s.opts.NoSync {
		return nil
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	l, err := s.current()
	if err != nil {
		return err
	}
	if err := l.Sync(); err != nil {
		return errorf("file store: %w", err)
	}
	return nil
}

// Records yields the records from the first. The slice yielded is reused by the next
// iteration.
func (s *FileStore) Records() iter.Seq2[[]byte, error] {
	return func(yield func([]byte, error) bool) {
		if s == nil || s.path == "" {
			yield(nil, errZeroFileStore)
			return
		}
		s.mu.RLock()
		l, err := s.current()
		s.mu.RUnlock()
		if err != nil {
			yield(nil, err)
			return
		}
		for rec, err := range l.Records() {
			if err != nil {
				if errors.Is(err, wal.ErrClosed) {
					err = s.closed()
				} else {
					err = errorf("file store: %w", err)
				}
				yield(nil, err)
				return
			}
			if !yield(rec, nil) {
				return
			}
		}
	}
}

// Compact replaces the file's records with records: they are written to a new file that
// is fsynced and then renamed over the old one (and the directory fsynced), so a crash
// leaves either the old records or the new ones.
func (s *FileStore) Compact(records iter.Seq[[]byte]) error {
	if s == nil || s.path == "" {
		return errZeroFileStore
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old, err := s.current()
	if err != nil {
		return err
	}
	write := func(l *wal.Log) error { return appendBatched(l, records) }
	l, err := wal.Replace(s.path, s.path+".compact", old, write, &wal.ReplaceOptions{Sync: wal.SyncManual})
	if err == nil {
		s.log = l
		return nil
	}
	var re *wal.ReplaceError
	errors.As(err, &re) // Replace fails with nothing else
	switch re.Step {
	case wal.ReplaceRename:
		return errorf("file store %s: replace the log by its compacted copy: %w", s.path, re.Err)
	case wal.ReplaceSyncDir:
		s.err = errorf("file store %s: after compaction: %w", s.path, re.Err)
	case wal.ReplaceReopen:
		s.err = errorf("file store %s: reopen after compaction: %w", s.path, re.Err)
	default: // before the rename: the old file and log are as they were
		return errorf("file store %s: write the compacted copy: %w", s.path, re.Err)
	}
	s.log = nil // closed by Replace once the new file was in its place
	return s.err
}

// appendBatched appends records to l about a megabyte at a time: few writes, and never
// the whole log in memory.
func appendBatched(l *wal.Log, records iter.Seq[[]byte]) error {
	var batch [][]byte
	size := 0
	for rec := range records {
		batch = append(batch, append([]byte(nil), rec...))
		if size += len(rec); size > 1<<20 {
			if err := l.Append(batch...); err != nil {
				return err
			}
			batch, size = batch[:0], 0
		}
	}
	return l.Append(batch...)
}

// Close syncs and closes the file. Later calls fail with ErrClosed.
func (s *FileStore) Close() error {
	if s == nil || s.path == "" {
		return errZeroFileStore
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.log == nil {
		if s.err != nil {
			return s.err
		}
		return s.closed()
	}
	err := s.log.Close()
	s.log = nil
	if err != nil {
		return errorf("close file store: %w", err)
	}
	return nil
}
