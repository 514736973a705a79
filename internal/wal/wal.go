// Package wal is an append-only, checksummed record log: the durable substrate of the
// identity and referral file stores.
//
// # Format
//
// A log file starts with a 16-byte header:
//
//	magic "CLTWAL\x00\x00" (8 bytes) | version uint32 LE | CRC32C of the first 12 bytes
//
// followed by frames, one per record:
//
//	length uint32 LE | CRC32C(length bytes ‖ payload) uint32 LE | payload (length bytes)
//
// CRC32C is the Castagnoli polynomial, hardware-accelerated on amd64 and arm64. The CRC
// covers the length so that a corrupted length cannot pass as a valid short frame.
// Payloads are 1 byte to [MaxRecord] bytes; an empty frame (length 0) never occurs in a
// valid log, so a zero-filled region reads as invalid.
//
// # Durability and recovery
//
// With [SyncAlways] (the default) Append returns only after the record is on stable
// storage (fsync); concurrent appenders share one fsync (group commit). With [SyncManual]
// the caller decides when to call Sync, and records appended after the last Sync may be
// lost in a crash. A new file's directory is fsynced too, so the file itself survives.
//
// Open scans the file. A frame that runs past the end of the file, or a bad frame after
// which the file holds only zero bytes, is a torn tail: the write that produced it never
// completed, so it was never acknowledged, and Open truncates it silently. A bad frame
// followed by other data is corruption of acknowledged data: Open fails with
// [ErrCorrupt] and the byte offset, unless [Options].Repair asks it to truncate there
// (losing the records after the damage, which the error would otherwise protect).
package wal

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"iter"
	"os"
	"path/filepath"
	"sync"
)

// Errors reported by the log; they are wrapped with the path and offset.
var (
	// ErrCorrupt means the file holds damaged data that is not a torn tail.
	ErrCorrupt = errors.New("wal: corrupt log")
	// ErrClosed means the log was used after Close.
	ErrClosed = errors.New("wal: log closed")
	// ErrTooLarge means a record is empty or longer than MaxRecord.
	ErrTooLarge = errors.New("wal: record size out of range")
)

// MaxRecord is the largest payload a frame may carry. The bound keeps a damaged length
// field from asking for gigabytes of memory during recovery.
const MaxRecord = 64 << 20

const (
	magic      = "CLTWAL\x00\x00"
	version    = 1
	headerSize = 16
	frameSize  = 8
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// SyncPolicy says when appended records reach stable storage.
type SyncPolicy int

const (
	// SyncAlways makes Append return after an fsync that covers its records.
	// Concurrent Appends share fsyncs (group commit).
	SyncAlways SyncPolicy = iota
	// SyncManual leaves fsync to the caller's Sync; records appended since the last
	// Sync may be lost in a crash (but never corrupt the records before them).
	SyncManual
)

// Options tune Open. The zero value (or nil) means SyncAlways and no repair.
type Options struct {
	Sync SyncPolicy
	// Repair makes Open truncate the log at mid-file corruption instead of failing.
	Repair bool
}

// Log is an open log file. It is safe for concurrent use.
type Log struct {
	path   string
	policy SyncPolicy

	mu     sync.Mutex // guards f's write position, size and closed
	f      *os.File
	size   int64 // end of the last complete frame written
	closed bool
	broken error // set when a failed append could not be undone; every later append fails

	syncMu sync.Mutex // one fsync at a time; guards synced
	synced int64      // every byte before this offset is on stable storage
	buf    []byte     // encoding scratch, guarded by mu
}

// Open opens the log at path, creating it (and fsyncing its directory) if it does not
// exist, and recovers it as the package documentation describes.
func Open(path string, opts *Options) (*Log, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("wal: open %s: %w", path, err)
	}
	l := &Log{path: path, policy: o.Sync, f: f}
	if err := l.recover(o.Repair); err != nil {
		f.Close()
		return nil, err
	}
	return l, nil
}

func (l *Log) recover(repair bool) error {
	st, err := l.f.Stat()
	if err != nil {
		return fmt.Errorf("wal: stat %s: %w", l.path, err)
	}
	if st.Size() < headerSize {
		// Empty, or a header torn before its first fsync: nothing was ever acknowledged.
		// Anything else this short is not ours to overwrite.
		part := make([]byte, st.Size())
		if _, err := l.f.ReadAt(part, 0); err != nil {
			return fmt.Errorf("wal: read header of %s: %w", l.path, err)
		}
		if want := header(); string(part) != string(want[:len(part)]) {
			return fmt.Errorf("wal: %s at offset 0: not a log file (%d bytes, bad header): %w", l.path, len(part), ErrCorrupt)
		}
		if err := l.writeHeader(); err != nil {
			return err
		}
		l.size, l.synced = headerSize, headerSize
		return nil
	}
	var h [headerSize]byte
	if _, err := l.f.ReadAt(h[:], 0); err != nil {
		return fmt.Errorf("wal: read header of %s: %w", l.path, err)
	}
	if string(h[:8]) != magic {
		return fmt.Errorf("wal: %s at offset 0: not a log file (bad magic): %w", l.path, ErrCorrupt)
	}
	if crc32.Checksum(h[:12], castagnoli) != binary.LittleEndian.Uint32(h[12:]) {
		return fmt.Errorf("wal: %s at offset 0: header checksum mismatch: %w", l.path, ErrCorrupt)
	}
	if v := binary.LittleEndian.Uint32(h[8:]); v != version {
		return fmt.Errorf("wal: %s: unsupported version %d (want %d): %w", l.path, v, version, ErrCorrupt)
	}
	end, scanErr := scan(l.f, st.Size(), nil)
	if scanErr != nil {
		if !repair || !errors.Is(scanErr, ErrCorrupt) {
			return fmt.Errorf("wal: %s: %w", l.path, scanErr)
		}
	}
	if end < st.Size() {
		if err := l.f.Truncate(end); err != nil {
			return fmt.Errorf("wal: truncate %s at %d: %w", l.path, end, err)
		}
		if err := l.f.Sync(); err != nil {
			return fmt.Errorf("wal: sync %s: %w", l.path, err)
		}
	}
	if _, err := l.f.Seek(end, io.SeekStart); err != nil {
		return fmt.Errorf("wal: seek %s: %w", l.path, err)
	}
	l.size, l.synced = end, end
	return nil
}

func header() [headerSize]byte {
	var h [headerSize]byte
	copy(h[:], magic)
	binary.LittleEndian.PutUint32(h[8:], version)
	binary.LittleEndian.PutUint32(h[12:], crc32.Checksum(h[:12], castagnoli))
	return h
}

func (l *Log) writeHeader() error {
	h := header()
	if err := l.f.Truncate(0); err != nil {
		return fmt.Errorf("wal: truncate %s: %w", l.path, err)
	}
	if _, err := l.f.WriteAt(h[:], 0); err != nil {
		return fmt.Errorf("wal: write header of %s: %w", l.path, err)
	}
	if err := l.f.Sync(); err != nil {
		return fmt.Errorf("wal: sync %s: %w", l.path, err)
	}
	if _, err := l.f.Seek(headerSize, io.SeekStart); err != nil {
		return fmt.Errorf("wal: seek %s: %w", l.path, err)
	}
	return syncDir(filepath.Dir(l.path))
}

// syncDir makes a newly created file's directory entry durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("wal: open directory %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("wal: sync directory %s: %w", dir, err)
	}
	return nil
}

// scan reads frames from headerSize up to size and returns the end offset of the last
// valid frame. It calls fn (if non-nil) with each payload. It returns an error wrapping
// ErrCorrupt when a bad frame is followed by non-zero data; a torn tail is not an error.
func scan(r io.ReaderAt, size int64, fn func([]byte) error) (int64, error) {
	br := bufio.NewReaderSize(io.NewSectionReader(r, headerSize, size-headerSize), 1<<20)
	off := int64(headerSize)
	var hdr [frameSize]byte
	var payload []byte
	for off < size {
		if size-off < frameSize {
			return off, nil // a frame header cut short is the tail by definition
		}
		if _, err := io.ReadFull(br, hdr[:]); err != nil {
			return off, fmt.Errorf("read frame at offset %d: %w", off, err)
		}
		n := int64(binary.LittleEndian.Uint32(hdr[:4]))
		if n == 0 || n > MaxRecord {
			return off, tornOrCorrupt(r, off, size, fmt.Sprintf("frame length %d out of range", n))
		}
		if off+frameSize+n > size {
			// The frame runs past the end: the write was cut short.
			return off, nil
		}
		if int64(cap(payload)) < n {
			payload = make([]byte, n)
		}
		payload = payload[:n]
		if _, err := io.ReadFull(br, payload); err != nil {
			return off, fmt.Errorf("read frame at offset %d: %w", off, err)
		}
		crc := crc32.Update(crc32.Checksum(hdr[:4], castagnoli), castagnoli, payload)
		if crc != binary.LittleEndian.Uint32(hdr[4:]) {
			return off, tornOrCorrupt(r, off+frameSize+n, size, fmt.Sprintf("checksum mismatch in frame at offset %d", off))
		}
		if fn != nil {
			if err := fn(payload); err != nil {
				return off, err
			}
		}
		off += frameSize + n
	}
	return off, nil
}

// tornOrCorrupt decides what a bad frame means: if nothing but zero bytes follows from
// `from` to the end, the tail was torn; otherwise acknowledged data is damaged.
func tornOrCorrupt(r io.ReaderAt, from, size int64, what string) error {
	buf := make([]byte, 64<<10)
	for p := from; p < size; {
		k := min(int64(len(buf)), size-p)
		if _, err := r.ReadAt(buf[:k], p); err != nil && err != io.EOF {
			return fmt.Errorf("read at offset %d: %w", p, err)
		}
		for i, b := range buf[:k] {
			if b != 0 {
				return fmt.Errorf("%s; data follows at offset %d: %w", what, p+int64(i), ErrCorrupt)
			}
		}
		p += k
	}
	return nil
}

// Append writes the records, in order, as one write. Under SyncAlways it returns after
// they are on stable storage. On error nothing of the batch remains in the log.
func (l *Log) Append(recs ...[]byte) error {
	if len(recs) == 0 {
		return nil
	}
	for i, r := range recs {
		if len(r) == 0 || len(r) > MaxRecord {
			return fmt.Errorf("wal: append record %d of %d bytes: %w", i, len(r), ErrTooLarge)
		}
	}
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return ErrClosed
	}
	if l.broken != nil {
		l.mu.Unlock()
		return l.broken
	}
	l.buf = l.buf[:0]
	for _, r := range recs {
		l.buf = appendFrame(l.buf, r)
	}
	if _, err := l.f.Write(l.buf); err != nil {
		// Undo a partial write so that the log stays a sequence of whole frames.
		err = fmt.Errorf("wal: append to %s: %w", l.path, err)
		if terr := l.f.Truncate(l.size); terr != nil {
			l.broken = fmt.Errorf("%w (and undoing it failed: %v)", err, terr)
		} else if _, serr := l.f.Seek(l.size, io.SeekStart); serr != nil {
			l.broken = fmt.Errorf("%w (and undoing it failed: %v)", err, serr)
		}
		l.mu.Unlock()
		return err
	}
	l.size += int64(len(l.buf))
	if cap(l.buf) > 4<<20 {
		l.buf = nil // do not pin one huge batch's buffer forever
	}
	end := l.size
	l.mu.Unlock()
	if l.policy == SyncAlways {
		return l.syncTo(end)
	}
	return nil
}

func appendFrame(dst, rec []byte) []byte {
	var hdr [frameSize]byte
	binary.LittleEndian.PutUint32(hdr[:4], uint32(len(rec)))
	crc := crc32.Update(crc32.Checksum(hdr[:4], castagnoli), castagnoli, rec)
	binary.LittleEndian.PutUint32(hdr[4:], crc)
	return append(append(dst, hdr[:]...), rec...)
}

// syncTo returns once every byte before end is on stable storage. A caller that finds
// its bytes already covered by another caller's fsync returns at once: group commit.
func (l *Log) syncTo(end int64) error {
	l.syncMu.Lock()
	defer l.syncMu.Unlock()
	if l.synced >= end {
		return nil
	}
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return ErrClosed
	}
	target := l.size // covers appends that arrived while we waited for syncMu
	l.mu.Unlock()
	if err := l.f.Sync(); err != nil {
		return fmt.Errorf("wal: sync %s: %w", l.path, err)
	}
	l.synced = target
	return nil
}

// Sync makes every record appended so far durable.
func (l *Log) Sync() error {
	l.mu.Lock()
	end, closed := l.size, l.closed
	l.mu.Unlock()
	if closed {
		return ErrClosed
	}
	return l.syncTo(end)
}

// Size returns the log's size in bytes: the header plus every appended frame.
func (l *Log) Size() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.size
}

// Records replays the log from the start, up to its size when iteration begins. The
// slice passed to the loop body is valid only until the next iteration. Appends may run
// concurrently; records appended after iteration began are not seen.
func (l *Log) Records() iter.Seq2[[]byte, error] {
	return func(yield func([]byte, error) bool) {
		l.mu.Lock()
		end, closed := l.size, l.closed
		l.mu.Unlock()
		if closed {
			yield(nil, ErrClosed)
			return
		}
		stop := errors.New("stop")
		_, err := scan(l.f, end, func(p []byte) error {
			if !yield(p, nil) {
				return stop
			}
			return nil
		})
		if err != nil && err != stop {
			yield(nil, fmt.Errorf("wal: replay %s: %w", l.path, err))
		}
	}
}

// Close syncs and closes the file. Further calls fail with ErrClosed.
func (l *Log) Close() error {
	l.syncMu.Lock()
	defer l.syncMu.Unlock()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return ErrClosed
	}
	l.closed = true
	err := l.f.Sync()
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("wal: close %s: %w", l.path, err)
	}
	return nil
}
