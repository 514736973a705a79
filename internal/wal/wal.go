// Package wal is an append-only, checksummed record log: the durable substrate of the
// identity and referral file stores.
//
// # Format (version 2)
//
// A log file starts with a 32-byte header:
//
//	magic "CLTWAL\x00\x00" (8) | version uint32 LE | CRC32C of bytes 0-11 (4)
//	acknowledged end uint64 LE | CRC32C of those 8 bytes (4) | zero (4)
//
// followed by frames, one per record:
//
//	length uint32 LE | sequence uint64 LE | chain uint32 LE | payload (length bytes)
//
// The sequence numbers frames 0, 1, 2, ... The chain is the CRC32C (Castagnoli,
// hardware-accelerated on amd64 and arm64) of the previous frame's chain (the header's
// checksum for frame 0), the length, the sequence and the payload. A damaged byte, a
// removed, repeated or reordered frame, or a frame spliced from another log therefore
// breaks the chain at the first frame it touches. Payloads are 1 byte to [MaxRecord]
// bytes, so a zero-filled region never reads as a frame.
//
// The acknowledged end is the file size covered by the last completed fsync. It is
// rewritten in place after each fsync (and becomes durable with the next one, or at
// Close), so it is never ahead of the data it vouches for.
//
// # Durability, damage and the torn tail
//
// With [SyncAlways] (the default) Append returns only after the record is on stable
// storage (fsync); concurrent appenders share one fsync (group commit). With [SyncManual]
// the caller decides when to call Sync. An fsync that fails cuts the bytes appended
// since the last one that succeeded (none of them was acknowledged, so a caller's retry
// is not read twice) and breaks the log: every later Append and Sync fails, wrapping
// [ErrBroken], until the log is reopened, since a retried fsync can succeed without the
// data on disk. A new file is written beside its path, fsynced and renamed into place,
// and the directory fsynced, so a file at the path always holds a whole header. [Replace] puts a rewritten log in place of one the same way (a
// store's compaction or erasure), so that a crash leaves the old records or the new
// ones, never a mix.
//
// Open reads and checks the whole file and never modifies it. Bytes after the last
// valid frame are a torn tail, the trace of a write that was never acknowledged, only
// when they lie beyond the acknowledged end and are either a frame that runs past the
// end of the file or a bad frame that carries the due sequence number and is followed by
// nothing but zero bytes. Anything else (a
// bad frame, a broken chain or a file that ends before its acknowledged end) is damage:
// Open fails with an error wrapping [ErrCorrupt] that names the byte offset. A torn
// tail is ignored by reads and cut off by the next Append. Only [Repair] cuts damage,
// and it first copies the bytes it cuts to a side file.
//
// Version 1 logs (no sequence, no chain, no acknowledged end: frames of length and
// CRC32C(length ‖ payload)) are still read, and appended to in version 1; they cannot
// tell a truncation or a removed frame from a crash.
package wal

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"path/filepath"
	"sync"

	"github.com/clientele-go/clientele/internal/frame"
	"github.com/clientele-go/clientele/internal/tmpfile"
)

// Errors reported by the log; they are wrapped with the path and offset.
var (
	// ErrCorrupt means the file holds damaged data that is not a torn tail.
	ErrCorrupt = errors.New("wal: corrupt log")
	// ErrClosed means the log was used after Close.
	ErrClosed = errors.New("wal: log closed")
	// ErrTooLarge means a record is empty or longer than MaxRecord.
	ErrTooLarge = errors.New("wal: record size out of range")
	// ErrBroken means an earlier write or fsync failed in a way that left the log
	// unusable until it is reopened; it is wrapped with that failure.
	ErrBroken = errors.New("wal: log refuses writes until reopened")
)

// MaxRecord is the largest payload a frame may carry. The bound keeps a damaged length
// field from asking for gigabytes of memory during recovery.
const MaxRecord = 64 << 20

const (
	magic   = "CLTWAL\x00\x00"
	version = 2

	headerSize   = 32 // version 2
	frameSize    = 16 // version 2: length, sequence, chain
	v1HeaderSize = 16
	v1FrameSize  = 8
	ackOffset    = 16 // the acknowledged end and its checksum
)

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

// Options tune Open. The zero value (or nil) means SyncAlways.
type Options struct {
	Sync SyncPolicy
}

// Log is an open log file. It is safe for concurrent use.
type Log struct {
	path    string
	policy  SyncPolicy
	version uint32
	seed    uint32 // chain value before frame 0: the header's checksum

	mu     sync.Mutex // guards f's write position, size, seq, chain, tail, closed and broken
	f      *os.File
	size   int64  // end of the last complete frame written
	seq    uint64 // sequence of the next frame
	chain  uint32 // chain of the last frame (seed if none)
	tail   bool   // a torn tail follows size; the next Append cuts it
	closed bool
	// broken is set when a failed append could not be undone, or an fsync failed
	// (failSync): every later Append and Sync fails with it.
	broken error

	syncMu sync.Mutex // one fsync at a time; guards synced
	synced int64      // every byte before this offset is on stable storage
	buf    []byte     // encoding scratch, guarded by mu
}

// Open opens the log at path, creating it if it does not exist, and checks it as the
// package documentation describes. The Log holds an exclusive lock on the file until
// Close (on Unix, an advisory flock): another Open or a Repair of the file, in this
// process or another, fails rather than writing over its frames, which would lose
// records that were acknowledged.
func Open(path string, opts *Options) (*Log, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	// A crash inside create left its temporary file; no create of a process that no
	// longer runs can be under way.
	base := filepath.Base(path) + ".new-"
	if _, err := tmpfile.Sweep(filepath.Dir(path), func(stem string) bool { return stem == base }); err != nil {
		return nil, fmt.Errorf("wal: open %s: %w", path, err)
	}
	if _, err := os.Lstat(path); errors.Is(err, os.ErrNotExist) {
		if err := create(path); err != nil {
			return nil, err
		}
	}
	f, err := openLocked(path)
	if err != nil {
		return nil, err
	}
	l := &Log{path: path, policy: o.Sync, f: f}
	st, err := check(f, path)
	if err != nil {
		f.Close()
		return nil, err
	}
	l.version, l.seed = st.version, st.seed
	l.size, l.synced, l.seq, l.chain = st.end, st.end, st.seq, st.chain
	l.tail = st.end < st.size
	if _, err := f.Seek(st.end, io.SeekStart); err != nil {
		f.Close()
		return nil, fmt.Errorf("wal: seek %s: %w", path, err)
	}
	return l, nil
}

// beforeLock, when a test sets it, runs in openLocked between the open and the lock:
// where another process may rename a file over path.
var beforeLock func()

// openLocked opens the file at path for writing and locks it. The lock is on the file
// opened, not on the name: a file renamed over path in between (another process's
// compaction, which then closed and so unlocked the old one) would leave this Log
// appending to an unlinked file nobody reads again. So once locked, the file must still
// be the one at path, or the open is tried again.
func openLocked(path string) (*os.File, error) {
	for attempt := 0; ; attempt++ {
		f, err := os.OpenFile(path, os.O_RDWR, 0)
		if err != nil {
			return nil, fmt.Errorf("wal: %w", err) // an *os.PathError: "open PATH: reason"
		}
		if beforeLock != nil {
			beforeLock()
		}
		if err := lock(f); err != nil {
			f.Close()
			return nil, inUse(path, err)
		}
		held, err := f.Stat()
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("wal: %w", err)
		}
		now, err := os.Stat(path)
		if err == nil && os.SameFile(held, now) {
			return f, nil
		}
		f.Close()
		if err != nil && !errors.Is(err, os.ErrNotExist) || attempt == 2 {
			return nil, fmt.Errorf("wal: %s was replaced or removed while it was being opened: %w", path, errors.Join(err, errReplaced))
		}
	}
}

// errReplaced is the cause openLocked gives when the file at path kept changing.
var errReplaced = errors.New("file replaced during open")

// inUse is the error of a file another Log holds.
func inUse(path string, err error) error {
	return fmt.Errorf("wal: %s is in use: another store has it open, in this process or another (close that one first): %w", path, err)
}

// create writes a new, empty log beside path and puts it in place, so that a crash
// never leaves a header-less file at path. Two processes may create the same log at
// once (replicas started together): each writes a temporary file of its own, and the
// first to link it at path wins; the other finds the file there and opens it, where the
// lock refuses it. A rename would let the second replace the first's file, which the
// first may already have opened and appended to.
func create(path string) error {
	// Unique per process and call; 0644 under the umask, as any file the host writes
	// (os.CreateTemp would make it 0600).
	tmp := tmpfile.Name(path + ".new-")
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("wal: create %s: %w", path, err)
	}
	defer os.Remove(tmp)
	h := header(headerSize)
	_, err = f.Write(h[:])
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		if err = os.Link(tmp, path); errors.Is(err, os.ErrExist) {
			return nil // another process created it first
		} else if err != nil && !errors.Is(err, os.ErrNotExist) {
			// A file system without hard links: rename, as before (the race above
			// remains there).
			err = os.Rename(tmp, path)
		}
	}
	if err != nil {
		return fmt.Errorf("wal: create %s: %w", path, err)
	}
	return syncDir(filepath.Dir(path))
}

// header returns a version 2 header: its first 16 bytes are a frame of the SDK's
// checksummed framing (internal/frame) with an empty body, then the acknowledged end.
func header(ack int64) [headerSize]byte {
	var h [headerSize]byte
	frame.Seal(frame.AppendHeader(h[:0], magic, version)) // in place: h has room
	putAck(h[ackOffset:], ack)
	return h
}

// putAck encodes an acknowledged end with its checksum into 12 bytes.
func putAck(b []byte, end int64) {
	frame.Seal(binary.LittleEndian.AppendUint64(b[:0], uint64(end))) // in place
}

// SyncDir makes a directory's entries durable (a file created or renamed in it), as
// POSIX asks of a rename that must survive a crash. Every store that renames a file
// into place calls it; its error names the directory.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("open directory %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	return nil
}

// syncDir is SyncDir with the package's prefix.
func syncDir(dir string) error {
	if err := SyncDir(dir); err != nil {
		return fmt.Errorf("wal: %w", err)
	}
	return nil
}

// state is what check learns of a file.
type state struct {
	version uint32
	seed    uint32
	size    int64 // physical size
	ack     int64 // acknowledged end (version 2), else headerSize
	end     int64 // end of the last valid frame
	seq     uint64
	chain   uint32
	// damage is set by scanning in repair mode: the error Open would report.
	damage error
}

// check reads the header and every frame. Without damage it returns the state; with
// damage, an error wrapping ErrCorrupt.
func check(f *os.File, path string) (state, error) {
	st, err := inspect(f, path)
	if err != nil {
		return st, err
	}
	if st.damage != nil {
		return st, st.damage
	}
	return st, nil
}

// inspect reads the header (an unreadable header is an error) and scans the frames,
// recording frame damage in damage rather than failing, so that Repair can use it.
func inspect(f *os.File, path string) (state, error) {
	var st state
	fi, err := f.Stat()
	if err != nil {
		return st, fmt.Errorf("wal: stat %s: %w", path, err)
	}
	st.size = fi.Size()
	corrupt := func(off int64, format string, args ...any) error {
		return fmt.Errorf("wal: %s at offset %d: %s: %w", path, off, fmt.Sprintf(format, args...), ErrCorrupt)
	}
	if st.size < v1HeaderSize {
		return st, corrupt(0, "a %d-byte file is shorter than a log header (truncated or not a log)", st.size)
	}
	var h [headerSize]byte
	n := min(int64(headerSize), st.size)
	if _, err := f.ReadAt(h[:n], 0); err != nil && err != io.EOF {
		return st, fmt.Errorf("wal: read header of %s: %w", path, err)
	}
	var fe *frame.Error
	if st.version, _, err = frame.Open(h[:v1HeaderSize], magic); errors.As(err, &fe) {
		return st, corrupt(int64(fe.Offset), "log header: %s (not a log file, or damaged)", fe.Reason)
	}
	st.seed = binary.LittleEndian.Uint32(h[12:])
	switch st.version {
	case 1:
		st.ack = v1HeaderSize
		st.end, st.damage = scanV1(f, st.size, nil)
		if st.damage != nil {
			st.damage = fmt.Errorf("wal: %s: %w", path, st.damage)
		}
		return st, nil
	case version:
	default:
		return st, corrupt(8, "unsupported version %d (want 1 or %d)", st.version, version)
	}
	if st.size < headerSize {
		return st, corrupt(0, "a %d-byte file is shorter than a log header (truncated)", st.size)
	}
	a := h[ackOffset : ackOffset+12]
	if !frame.Sealed(a) {
		return st, corrupt(ackOffset, "acknowledged-end checksum mismatch")
	}
	if binary.LittleEndian.Uint32(h[28:]) != 0 {
		return st, corrupt(28, "reserved header bytes are not zero")
	}
	st.ack = int64(binary.LittleEndian.Uint64(a))
	if st.ack < headerSize {
		return st, corrupt(ackOffset, "acknowledged end %d inside the header", st.ack)
	}
	sc := scanner{r: f, limit: st.size, ack: st.ack, seq: 0, chain: st.seed}
	st.end, st.damage = sc.scan(headerSize, nil)
	st.seq, st.chain = sc.seq, sc.chain
	if st.damage == nil && st.end < st.ack {
		st.damage = fmt.Errorf("log ends at offset %d, before its acknowledged end %d (truncated, or frames removed): %w", st.end, st.ack, ErrCorrupt)
	}
	if st.damage != nil {
		st.damage = fmt.Errorf("wal: %s: %w", path, st.damage)
	}
	return st, nil
}

// scanner walks version 2 frames, checking the chain and the sequence.
type scanner struct {
	r     io.ReaderAt
	limit int64  // physical size (Open) or replay end (Records)
	ack   int64  // below this offset nothing is a torn tail
	seq   uint64 // sequence of the next frame
	chain uint32 // chain of the previous frame
}

// scan reads frames from off up to s.limit and returns the end of the last valid frame.
// It calls fn (if non-nil) with each payload. A torn tail ends the scan without error;
// damage returns an error wrapping ErrCorrupt with the offset.
func (s *scanner) scan(off int64, fn func([]byte) error) (int64, error) {
	br := bufio.NewReaderSize(io.NewSectionReader(s.r, off, s.limit-off), 1<<20)
	var hdr [frameSize]byte
	var payload []byte
	for off < s.limit {
		if s.limit-off < frameSize {
			if off >= s.ack {
				return off, nil // a frame header cut short at the end: a torn write
			}
			return off, fmt.Errorf("frame header cut short at offset %d, before the acknowledged end %d: %w", off, s.ack, ErrCorrupt)
		}
		if _, err := io.ReadFull(br, hdr[:]); err != nil {
			return off, fmt.Errorf("read frame at offset %d: %w", off, err)
		}
		n := int64(binary.LittleEndian.Uint32(hdr[:4]))
		if n == 0 || n > MaxRecord {
			return off, s.bad(off, off, fmt.Sprintf("frame length %d out of range", n))
		}
		if off+frameSize+n > s.limit {
			// The frame runs past the end: the write was cut short, unless it had
			// been acknowledged.
			if off >= s.ack {
				return off, nil
			}
			return off, fmt.Errorf("frame at offset %d of %d bytes runs past the end of the file (%d), before the acknowledged end %d: %w", off, n, s.limit, s.ack, ErrCorrupt)
		}
		if int64(cap(payload)) < n {
			payload = make([]byte, n)
		}
		payload = payload[:n]
		if _, err := io.ReadFull(br, payload); err != nil {
			return off, fmt.Errorf("read frame at offset %d: %w", off, err)
		}
		crc := chainOf(s.chain, hdr[:12], payload)
		if crc != binary.LittleEndian.Uint32(hdr[12:]) {
			if seq := binary.LittleEndian.Uint64(hdr[4:12]); seq != s.seq {
				// A whole frame out of sequence is a frame removed, repeated or moved, even
				// past the acknowledged end: a torn write leaves its own header, which
				// carries the due sequence, or a length that runs past the end.
				return off, fmt.Errorf("frame sequence %d at offset %d where %d was due (a frame removed, repeated or moved): %w", seq, off, s.seq, ErrCorrupt)
			}
			return off, s.bad(off, off+frameSize+n, fmt.Sprintf("checksum mismatch in frame %d", s.seq))
		}
		if seq := binary.LittleEndian.Uint64(hdr[4:12]); seq != s.seq {
			return off, fmt.Errorf("frame at offset %d has sequence %d where %d was due: %w", off, seq, s.seq, ErrCorrupt)
		}
		if fn != nil {
			if err := fn(payload); err != nil {
				return off, err
			}
		}
		s.seq++
		s.chain = crc
		off += frameSize + n
	}
	return off, nil
}

// bad classifies a bad frame at off: a torn tail if it lies beyond the acknowledged end
// and only zero bytes follow from `from`, otherwise damage. It names off itself, so what
// must not.
func (s *scanner) bad(off, from int64, what string) error {
	what = fmt.Sprintf("%s at offset %d", what, off)
	if off < s.ack {
		return fmt.Errorf("%s, before the acknowledged end %d: %w", what, s.ack, ErrCorrupt)
	}
	return zerosFrom(s.r, from, s.limit, what)
}

// zerosFrom returns nil if nothing but zero bytes lies from `from` to size, and an error
// wrapping ErrCorrupt naming the first other byte otherwise.
func zerosFrom(r io.ReaderAt, from, size int64, what string) error {
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

// scanV1 reads version 1 frames (length | CRC32C(length ‖ payload) | payload) from the
// 16-byte header up to size, with version 1's rule for the tail: a frame that runs past
// the end, or a bad frame followed by only zeros, is torn.
func scanV1(r io.ReaderAt, size int64, fn func([]byte) error) (int64, error) {
	br := bufio.NewReaderSize(io.NewSectionReader(r, v1HeaderSize, size-v1HeaderSize), 1<<20)
	off := int64(v1HeaderSize)
	var hdr [v1FrameSize]byte
	var payload []byte
	for off < size {
		if size-off < v1FrameSize {
			return off, nil // a frame header cut short is the tail by definition
		}
		if _, err := io.ReadFull(br, hdr[:]); err != nil {
			return off, fmt.Errorf("read frame at offset %d: %w", off, err)
		}
		n := int64(binary.LittleEndian.Uint32(hdr[:4]))
		if n == 0 || n > MaxRecord {
			return off, zerosFrom(r, off, size, fmt.Sprintf("frame length %d out of range at offset %d", n, off))
		}
		if off+v1FrameSize+n > size {
			return off, nil
		}
		if int64(cap(payload)) < n {
			payload = make([]byte, n)
		}
		payload = payload[:n]
		if _, err := io.ReadFull(br, payload); err != nil {
			return off, fmt.Errorf("read frame at offset %d: %w", off, err)
		}
		if sumV1(hdr[:4], payload) != binary.LittleEndian.Uint32(hdr[4:]) {
			return off, zerosFrom(r, off+v1FrameSize+n, size, fmt.Sprintf("checksum mismatch in frame at offset %d", off))
		}
		if fn != nil {
			if err := fn(payload); err != nil {
				return off, err
			}
		}
		off += v1FrameSize + n
	}
	return off, nil
}

// Append writes the records, in order, as one write. Under SyncAlways it returns after
// they are on stable storage. On error nothing of the batch remains in the log (unless
// the error says that undoing it failed).
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
	if l.tail {
		// The torn tail Open found was never acknowledged: cut it before writing.
		if err := l.f.Truncate(l.size); err != nil {
			l.mu.Unlock()
			return fmt.Errorf("wal: cut torn tail of %s at %d: %w", l.path, l.size, err)
		}
		l.tail = false
	}
	l.buf = l.buf[:0]
	seq, chain := l.seq, l.chain
	for _, r := range recs {
		if l.version == 1 {
			l.buf = appendFrameV1(l.buf, r)
		} else {
			l.buf, chain = appendFrame(l.buf, r, seq, chain)
			seq++
		}
	}
	if _, err := l.f.Write(l.buf); err != nil {
		// Undo a partial write so that the log stays a sequence of whole frames.
		err = fmt.Errorf("wal: append to %s: %w", l.path, err)
		if terr := l.f.Truncate(l.size); terr != nil {
			l.broken = fmt.Errorf("%w (and undoing it failed: %v); %w", err, terr, ErrBroken)
		} else if _, serr := l.f.Seek(l.size, io.SeekStart); serr != nil {
			l.broken = fmt.Errorf("%w (and undoing it failed: %v); %w", err, serr, ErrBroken)
		}
		if l.broken != nil {
			err = l.broken
		}
		l.mu.Unlock()
		return err
	}
	l.size += int64(len(l.buf))
	l.seq, l.chain = seq, chain
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

func appendFrame(dst, rec []byte, seq uint64, prev uint32) ([]byte, uint32) {
	var hdr [frameSize]byte
	binary.LittleEndian.PutUint32(hdr[:4], uint32(len(rec)))
	binary.LittleEndian.PutUint64(hdr[4:12], seq)
	crc := chainOf(prev, hdr[:12], rec)
	binary.LittleEndian.PutUint32(hdr[12:], crc)
	return append(append(dst, hdr[:]...), rec...), crc
}

// chainOf is a version 2 frame's chain: the CRC32C of the previous frame's chain, the
// frame's length and sequence (head), and its payload.
func chainOf(prev uint32, head, payload []byte) uint32 {
	p := binary.LittleEndian.AppendUint32(make([]byte, 0, 4), prev)
	return frame.Update(frame.Update(frame.Checksum(p), head), payload)
}

// sumV1 is a version 1 frame's checksum: the CRC32C of its length (head) and payload.
func sumV1(head, payload []byte) uint32 { return frame.Update(frame.Checksum(head), payload) }

func appendFrameV1(dst, rec []byte) []byte {
	var hdr [v1FrameSize]byte
	binary.LittleEndian.PutUint32(hdr[:4], uint32(len(rec)))
	binary.LittleEndian.PutUint32(hdr[4:], sumV1(hdr[:4], rec))
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
	if l.broken != nil {
		// After a failed fsync (failSync) no later one may vouch for these bytes.
		defer l.mu.Unlock()
		return l.broken
	}
	target := l.size // covers appends that arrived while we waited for syncMu
	l.mu.Unlock()
	if err := syncFile(l.f); err != nil {
		return l.failSync(fmt.Errorf("wal: sync %s: %w", l.path, err))
	}
	l.synced = target
	// Record the acknowledged end; it reaches the disk with the next fsync, so it never
	// vouches for bytes that are not yet durable.
	if err := l.writeAck(target); err != nil {
		return err
	}
	return nil
}

// syncFile fsyncs f; a test replaces it to make an fsync fail.
var syncFile = (*os.File).Sync

// failSync handles an fsync that failed: err. The bytes after the last fsync that
// succeeded belong to appends nobody was told are durable (SyncAlways appenders wait in
// syncTo; a SyncManual caller's Sync is what fails), and their callers may retry them:
// left in the file, a retry would be read twice on the next Open. So they are cut, and
// the cut fsynced. And the log is broken from now on: after a failed fsync Linux may
// have dropped the dirty pages and marked them clean, so that a later fsync succeeds
// without their bytes on disk ("fsyncgate": PostgreSQL, since 12, stops rather than
// retry an fsync). Every later Append and Sync fails with err until the log is
// reopened, which reads what the disk holds. The caller holds syncMu.
func (l *Log) failSync(err error) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.size > l.synced {
		cut := l.size - l.synced
		if terr := l.f.Truncate(l.synced); terr != nil {
			err = fmt.Errorf("%w (and cutting the %d bytes it did not cover failed: %v)", err, cut, terr)
		} else {
			l.size = l.synced
			if serr := syncFile(l.f); serr != nil {
				err = fmt.Errorf("%w (and the fsync that makes the cut of the %d bytes it did not cover durable failed: %v)", err, cut, serr)
			}
		}
	}
	l.broken = fmt.Errorf("%w; %w", err, ErrBroken)
	return l.broken
}

func (l *Log) writeAck(end int64) error {
	if l.version == 1 {
		return nil
	}
	var a [12]byte
	putAck(a[:], end)
	if _, err := l.f.WriteAt(a[:], ackOffset); err != nil {
		return fmt.Errorf("wal: record acknowledged end of %s: %w", l.path, err)
	}
	return nil
}

// Sync makes every record appended so far durable. After an fsync failed it fails too,
// until the log is reopened.
func (l *Log) Sync() error {
	l.mu.Lock()
	end, closed, broken := l.size, l.closed, l.broken
	l.mu.Unlock()
	if closed {
		return ErrClosed
	}
	if broken != nil {
		// Even when nothing is left to sync: the records whose fsync failed were cut,
		// and a Sync that succeeded now would tell the caller they are durable.
		return broken
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
		fn := func(p []byte) error {
			if !yield(p, nil) {
				return stop
			}
			return nil
		}
		var err error
		if l.version == 1 {
			_, err = scanV1(l.f, end, fn)
		} else {
			// Everything up to end was checked by Open or written by us: all of it is
			// acknowledged for the purpose of this scan.
			sc := scanner{r: l.f, limit: end, ack: end, chain: l.seed}
			_, err = sc.scan(headerSize, fn)
		}
		if err != nil && err != stop {
			yield(nil, fmt.Errorf("wal: replay %s: %w", l.path, err))
		}
	}
}

// Close syncs, records the acknowledged end, and closes the file. Further calls fail
// with ErrClosed.
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
	if err == nil && l.broken == nil && !l.tail {
		// After a clean close the acknowledged end is the file's end, so that any
		// truncation of a closed log reads as damage.
		if err = l.writeAck(l.size); err == nil {
			err = l.f.Sync()
		}
	}
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("wal: close %s: %w", l.path, err)
	}
	return nil
}
