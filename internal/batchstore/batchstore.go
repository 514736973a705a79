// Package batchstore is the in-memory and file stores of the SDK's ledgers (referral,
// referral/loyalty): an append-only sequence of batches of records, generic over the
// record type and its [Codec]. The exported MemStore and FileStore of each package are
// thin wrappers, so that the contract, the file format and the damage reporting are
// written once.
//
// # Batch encoding
//
// A batch, one per Append (and one internal/wal frame in a file), is
//
//	version byte (1) | uvarint count | count × record
//
// where a record is what the Codec writes. The wal gives the file its framing: CRC32C
// chained frames with sequence numbers and the acknowledged end in the header, so that
// a batch is atomic across crashes and a torn tail is told apart from damage.
//
// # Errors
//
// Errors carry the owning package's sentinels and prefix ([Errors]): damage wraps its
// ErrCorrupt with the byte offset (the wal's offset in the file, or the byte of the
// batch at fault), a store used after Close returns its ErrClosed.
package batchstore

import (
	"encoding/binary"
	"fmt"
	"iter"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/clientele-go/clientele/internal/codec"
)

// Codec is one package's record encoding and errors. Implementations are stateless
// (usually an empty struct), so that the zero value of a store is ready to use.
type Codec[T any] interface {
	// AppendRecord appends the encoding of r to dst.
	AppendRecord(dst []byte, r *T) []byte
	// ReadRecord decodes one record from d. A problem is recorded on d (its first one
	// is kept, with its offset); the record returned with it is discarded.
	ReadRecord(d *codec.Reader) T
	// MinRecord is the fewest bytes a record's encoding takes: a damaged count that
	// promises more records than the bytes left could hold is refused before any
	// allocation.
	MinRecord() int
	// Clone returns a copy of r that shares no memory its holder could change.
	Clone(r T) T
	// Errors returns the owning package's sentinels and prefix.
	Errors() Errors
}

// Errors is what a store reports in the owning package's words.
type Errors struct {
	Corrupt error // wraps every report of damage
	Closed  error // returned for a store used after Close
	// Errorf is the package's fmt.Errorf, which puts its prefix in front once.
	Errorf func(format string, args ...any) error
}

// batchVersion is the first byte of every batch.
const batchVersion = 1

// AppendBatch appends the encoding of recs as one batch to dst.
func AppendBatch[T any, C Codec[T]](dst []byte, recs []T) []byte {
	var c C
	dst = append(dst, batchVersion)
	dst = binary.AppendUvarint(dst, uint64(len(recs)))
	for i := range recs {
		dst = c.AppendRecord(dst, &recs[i])
	}
	return dst
}

// DecodeBatch decodes one batch. It never panics; an error wraps the Codec's Corrupt
// and gives the byte offset. Decoding checks the encoding, not the meaning.
func DecodeBatch[T any, C Codec[T]](b []byte) ([]T, error) {
	var c C
	var d codec.Reader
	d.Reset(b)
	if v := d.Byte("batch version"); d.Err() == nil && v != batchVersion {
		d.FailAt(0, "unknown batch version %d", v)
	}
	n := d.Count(c.MinRecord(), "record count")
	recs := make([]T, 0, n)
	for i := 0; i < n && d.Err() == nil; i++ {
		recs = append(recs, c.ReadRecord(&d))
	}
	if err := d.End(); err != nil {
		return nil, fmt.Errorf("%w: decode %w", c.Errors().Corrupt, err)
	}
	return recs, nil
}

// Marshal encodes r as a batch of one record: the form of a record kept as bytes (the
// PostgreSQL stores).
func Marshal[T any, C Codec[T]](r T) []byte {
	return AppendBatch[T, C](nil, []T{r})
}

// Unmarshal decodes what Marshal returned; bytes that are not exactly one record fail
// with an error wrapping the Codec's Corrupt.
func Unmarshal[T any, C Codec[T]](b []byte) (T, error) {
	var zero T
	recs, err := DecodeBatch[T, C](b)
	if err != nil {
		return zero, err
	}
	if len(recs) != 1 {
		var c C
		return zero, fmt.Errorf("%w: decode: %d records where one was expected", c.Errors().Corrupt, len(recs))
	}
	return recs[0], nil
}

// AppendString appends s as a uvarint length and its bytes.
func AppendString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

// AppendTime appends t as a varint of Unix nanoseconds plus one (0: the zero time). The
// instant one nanosecond before the Unix epoch therefore reads back as the zero time;
// the ledgers' events are dated far from it.
func AppendTime(b []byte, t time.Time) []byte {
	if t.IsZero() {
		return binary.AppendVarint(b, 0)
	}
	return binary.AppendVarint(b, t.UnixNano()+1)
}

// String reads what AppendString wrote.
func String(d *codec.Reader, what string) string { return string(d.Prefixed(math.MaxInt, what)) }

// Time reads what AppendTime wrote, in UTC.
func Time(d *codec.Reader, what string) time.Time {
	v := d.Varint(what)
	if v == 0 || d.Err() != nil {
		return time.Time{}
	}
	return time.Unix(0, v-1).UTC()
}

// Kind reads a record's kind byte, which opens both ledgers' records: kinds are numbered
// from 1 and end is the first number past the last, so 0 and anything from end on are
// refused as unknown, at the kind's offset. A record whose kind is refused is discarded
// with the rest of its batch, so the codec reads on without checking (d keeps the first
// problem and later reads return zero values).
func Kind[K ~uint8](d *codec.Reader, end K) K {
	start := d.Offset()
	k := K(d.Byte("record kind"))
	if d.Err() == nil && (k == 0 || k >= end) {
		d.FailAt(start, "unknown record kind %d", uint8(k))
	}
	return k
}

// Mem is a store in memory. Its zero value is ready to use; it is safe for concurrent
// use.
type Mem[T any, C Codec[T]] struct {
	mu     sync.Mutex
	chunks [][]T // full chunks of memChunk records, then the last, partial one
}

// memChunk records per chunk: appending never copies what is already stored.
const memChunk = 4096

// Append copies recs onto the end of the store.
func (m *Mem[T, C]) Append(recs []T) error {
	var c C
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, r := range recs {
		if n := len(m.chunks); n == 0 || len(m.chunks[n-1]) == memChunk {
			m.chunks = append(m.chunks, make([]T, 0, memChunk))
		}
		last := &m.chunks[len(m.chunks)-1]
		*last = append(*last, c.Clone(r))
	}
	return nil
}

// Records yields copies of the records appended before the iteration began.
func (m *Mem[T, C]) Records() iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var c C
		m.mu.Lock()
		chunks := slices.Clone(m.chunks)
		if n := len(chunks); n > 0 {
			chunks[n-1] = slices.Clip(chunks[n-1]) // later appends do not touch what we read
		}
		m.mu.Unlock()
		for _, ch := range chunks {
			for _, r := range ch {
				if !yield(c.Clone(r), nil) {
					return
				}
			}
		}
	}
}

// Rewrite replaces every record by what rewrite returns for it, at once: a Records
// iteration that began before goes on over the old records, and the old chunks are
// dropped rather than overwritten, so that no later reader finds the old values.
func (m *Mem[T, C]) Rewrite(rewrite func(T) T) error {
	var c C
	m.mu.Lock()
	defer m.mu.Unlock()
	chunks := make([][]T, len(m.chunks))
	for i, ch := range m.chunks {
		chunks[i] = make([]T, len(ch), memChunk)
		for j, r := range ch {
			chunks[i][j] = c.Clone(rewrite(c.Clone(r)))
		}
	}
	m.chunks = chunks
	return nil
}
