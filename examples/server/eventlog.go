package main

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"iter"
	"slices"
	"sync"
	"time"

	"github.com/clientele-go/clientele/internal/wal"
)

// tombstone is what an erased event becomes in the event log: profile 0 (which no
// accepted event has), no name, time 0 (the Unix epoch, so that PostgreSQL's at is 0).
var tombstone = event{At: time.Unix(0, 0).UTC()}

// memEvents keeps events in memory.
type memEvents struct {
	mu  sync.Mutex
	evs []event
}

func (m *memEvents) Append(_ context.Context, evs ...event) ([]bool, error) {
	dup := repeatedKeys(evs)
	m.mu.Lock()
	for i, e := range evs {
		if dup == nil || !dup[i] {
			m.evs = append(m.evs, e)
		}
	}
	m.mu.Unlock()
	return dup, nil
}

// repeatedKeys reports the events whose Key an earlier event of evs has (nil if none).
func repeatedKeys(evs []event) []bool {
	var dup []bool
	var keys map[msgKey]bool
	for i, e := range evs {
		if !e.Keyed {
			continue
		}
		if keys == nil {
			keys = map[msgKey]bool{}
		}
		if keys[e.Key] {
			if dup == nil {
				dup = make([]bool, len(evs))
			}
			dup[i] = true
		}
		keys[e.Key] = true
	}
	return dup
}

func (m *memEvents) Since(_ context.Context, pos uint64) iter.Seq2[uint64, event] {
	return func(yield func(uint64, event) bool) {
		m.mu.Lock()
		evs := m.evs[:len(m.evs):len(m.evs)]
		m.mu.Unlock()
		for i := pos; i < uint64(len(evs)); i++ {
			if !yield(i, evs[i]) {
				return
			}
		}
	}
}

func (m *memEvents) Err() error { return nil }

// Erase replaces the slice rather than writing into it: a Since under way reads the
// one it took.
func (m *memEvents) Erase(_ context.Context, profiles []uint32) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	evs := slices.Clone(m.evs)
	for i, e := range evs {
		if slices.Contains(profiles, e.Profile) {
			evs[i] = tombstoneOf(e)
			n++
		}
	}
	if n > 0 {
		m.evs = evs
	}
	return n, nil
}

// fileEvents keeps events in an internal/wal log, fsynced before Append returns.
// mu is held shared by Append and by Since while it reads, and exclusively by Erase
// while it replaces the file, so that no append lands in the file being replaced.
type fileEvents struct {
	mu   sync.RWMutex
	log  *wal.Log
	path string // the log's file, rewritten by Erase
	err  error
}

// close closes the log Erase last opened.
func (f *fileEvents) close() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.log != nil {
		f.log.Close()
	}
}

// A record of the event log is the event's time (a varint of Unix nanoseconds), its
// profile (a uvarint) and its name (the rest). A record of an event with a Key has
// keyedRecord added to the profile, and the 16 bytes of the key before the name: the
// servers before keys read the profile as over 32 bits and refuse the record ("bad
// event profile", their start stops) rather than read the key as part of the name. An
// event without a key is written as before, so that a log only such calls reached
// stays readable by them.
const (
	keyedRecord = 1 << 32
	keyLen      = len(msgKey{})
)

// errBadRecord is the error of an event log record that is not one encodeEvent writes.
var errBadRecord = errors.New("not an event record")

func encodeEvent(e event) []byte {
	b := binary.AppendVarint(nil, e.At.UnixNano())
	if !e.Keyed {
		b = binary.AppendUvarint(b, uint64(e.Profile))
		return append(b, e.Name...)
	}
	b = binary.AppendUvarint(b, uint64(e.Profile)|keyedRecord)
	b = append(b, e.Key[:]...)
	return append(b, e.Name...)
}

func decodeEvent(b []byte) (event, error) {
	at, n := binary.Varint(b)
	if n <= 0 {
		return event{}, fmt.Errorf("%w: bad event time", errBadRecord)
	}
	p, m := binary.Uvarint(b[n:])
	if m <= 0 || p > keyedRecord|(1<<32-1) {
		return event{}, fmt.Errorf("%w: bad event profile", errBadRecord)
	}
	e := event{At: time.Unix(0, at).UTC(), Profile: uint32(p)}
	rest := b[n+m:]
	if p&keyedRecord != 0 {
		if len(rest) < keyLen {
			return event{}, fmt.Errorf("%w: a key of %d bytes, not %d", errBadRecord, len(rest), keyLen)
		}
		e.Key, e.Keyed, rest = msgKey(rest), true, rest[keyLen:]
	}
	e.Name = string(rest)
	return e, nil
}

// tombstoneOf is what e becomes when it is erased: the tombstone, keeping e's key, so
// that a copy of the call arriving after the erasure (a client's late retry) is still a
// duplicate, and does not bring the person's event back. The key is 16 bytes of a hash
// of the source and messageId, nothing of the person.
func tombstoneOf(e event) event {
	t := tombstone
	t.Key, t.Keyed = e.Key, e.Keyed
	return t
}

func (f *fileEvents) Append(_ context.Context, evs ...event) ([]bool, error) {
	dup := repeatedKeys(evs)
	recs := make([][]byte, 0, len(evs))
	for i, e := range evs {
		if dup == nil || !dup[i] {
			recs = append(recs, encodeEvent(e))
		}
	}
	f.mu.RLock()
	defer f.mu.RUnlock()
	if f.log == nil {
		return nil, fmt.Errorf("events.log: %w", errLogGone)
	}
	return dup, f.log.Append(recs...)
}

// errLogGone is the error of an event log that an Erase failed to reopen.
var errLogGone = errors.New("not open: reopening it after an erasure failed; restart the server")

func (f *fileEvents) Since(_ context.Context, pos uint64) iter.Seq2[uint64, event] {
	return func(yield func(uint64, event) bool) {
		f.err = nil
		f.mu.RLock()
		defer f.mu.RUnlock()
		if f.log == nil {
			f.err = fmt.Errorf("events.log: %w", errLogGone)
			return
		}
		i := uint64(0)
		for rec, err := range f.log.Records() {
			if err != nil {
				f.err = err
				return
			}
			if i >= pos {
				e, err := decodeEvent(rec)
				if err != nil {
					f.err = fmt.Errorf("events.log record %d: %w", i, err)
					return
				}
				if !yield(i, e) {
					return
				}
			}
			i++
		}
	}
}

func (f *fileEvents) Err() error { return f.err }

// Erase writes a copy of the log with the profiles' events replaced by tombstones and
// puts it in the log's place with wal.Replace, as identity.FileStore's Compact does: a
// wal frame cannot be changed in place (each one's checksum chains to the one before),
// and no copy of the erased events is left in the file. It rewrites the whole log, so
// it costs the log's size whatever it erases; if no event is the profiles', it changes
// nothing. A crash before the rename leaves the old log and a stray events.log.erase,
// which the next Erase replaces.
func (f *fileEvents) Erase(_ context.Context, profiles []uint32) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.log == nil {
		return 0, fmt.Errorf("events.log: %w", errLogGone)
	}
	var recs [][]byte
	n := 0
	for rec, err := range f.log.Records() {
		if err != nil {
			return 0, fmt.Errorf("events.log: erase: %w", err)
		}
		e, err := decodeEvent(rec)
		if err != nil {
			return 0, fmt.Errorf("events.log record %d: erase: %w", len(recs), err)
		}
		if e.Profile != 0 && slices.Contains(profiles, e.Profile) {
			rec, n = encodeEvent(tombstoneOf(e)), n+1
		}
		recs = append(recs, slices.Clone(rec))
	}
	if n == 0 {
		return 0, nil
	}
	write := func(l *wal.Log) error {
		for len(recs) > 0 {
			k := min(len(recs), 4096)
			if err := l.Append(recs[:k]...); err != nil {
				return err
			}
			recs = recs[k:]
		}
		return nil
	}
	l, err := wal.Replace(f.path, f.path+".erase", f.log, write, &wal.ReplaceOptions{Sync: wal.SyncAlways})
	if err != nil {
		var re *wal.ReplaceError
		errors.As(err, &re) // Replace fails with nothing else
		switch re.Step {
		case wal.ReplaceRename:
			return 0, fmt.Errorf("events.log: erase: replace the log by its copy: %w", re.Err)
		case wal.ReplaceSyncDir:
			err = fmt.Errorf("events.log: erase: %w", re.Err)
		case wal.ReplaceReopen:
			err = fmt.Errorf("events.log: erase: reopen: %w", re.Err)
		default: // before the rename: the old log is as it was
			return 0, fmt.Errorf("events.log: erase: write the copy: %w", re.Err)
		}
		f.log = nil // closed by Replace once the copy was in its place
		return 0, err
	}
	f.log = l
	return n, nil
}
