package pg

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// A scan reads rows on a goroutine of its own into chunks, which the caller's goroutine
// yields from: PostgreSQL's row output and pgx's parsing of it overlap the caller's
// decoding (a replay decodes on one goroutine and applies on another, so a replay runs
// in three stages). Chunks are reused, within a scan and across scans (chunkPool), so
// that a scan allocates no slice per row, and the short scans of catching up allocate
// nothing once the pool is warm.
const (
	chunkBytes = 256 << 10 // bytes of records per chunk, before the row that passes it
	chunkRows  = 4096      // rows per chunk
	chunks     = 4         // chunks in flight: read ahead of the caller
)

var chunkPool = sync.Pool{New: func() any { return new(chunk) }}

type chunk struct {
	data []byte  // the records, end to end
	ends []int32 // where each ends in data
	err  error   // the read failed after these records
}

// scan yields the records from position from, in order, until the first gap; it returns
// the position after the last one and whether the caller's yield wanted more. When
// parent ends first, the scan ends with an error wrapping parent's error.
func (l *Log) scan(parent context.Context, from int64, yield func([]byte, error) bool) (int64, bool) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	full := make(chan *chunk, chunks)
	free := make(chan *chunk, chunks)
	go l.read(parent, ctx, from, full, free)
	defer func() {
		for {
			select {
			case c := <-free:
				chunkPool.Put(c)
			default:
				return
			}
		}
	}()
	next := from
	for c := range full {
		start := int32(0)
		for _, end := range c.ends {
			next++
			if !yield(c.data[start:end:end], nil) {
				return next, false
			}
			start = end
		}
		if c.err != nil {
			yield(nil, c.err)
			return next, false
		}
		free <- c
	}
	return next, true
}

// read runs scan's query and sends its rows in chunks to full, taking empty chunks from
// free, until the first gap, the end, an error, or ctx is cancelled (scan's caller left);
// it closes full. parent, the caller's context, ends the query, which then fails.
func (l *Log) read(parent, ctx context.Context, from int64, full chan<- *chunk, free <-chan *chunk) {
	defer close(full)
	var c *chunk
	made := 0
	take := func() bool {
		select {
		case c = <-free:
		default:
			if made < chunks {
				c = chunkPool.Get().(*chunk)
				made++
				break
			}
			select {
			case c = <-free:
			case <-ctx.Done():
				return false
			}
		}
		c.data, c.ends, c.err = c.data[:0], c.ends[:0], nil
		return true
	}
	send := func() bool {
		select {
		case full <- c:
			c = nil
			return true
		case <-ctx.Done():
			return false
		}
	}
	if !take() {
		return
	}
	// Timeout bounds each fetch, not the scan: replaying a long log legitimately takes
	// longer than any bound on one statement, and the query is one stream of rows.
	// A watchdog cancels the query when the database has not delivered a chunk's rows
	// (at most chunkRows rows, chunkBytes bytes, as a cursor's FETCH would) within
	// Timeout. It runs only while this goroutine waits for the database: it is stopped
	// while the goroutine waits for the caller to take a chunk or give one back, so a
	// caller as slow as it likes (applying each record) never fails the scan.
	qctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	// The caller's context ends the query only, never ctx: with ctx ended, send would give
	// up without a word, and the caller would take the records read so far for the
	// whole log. Ending the query makes it fail, and the failure reaches the caller.
	defer context.AfterFunc(parent, func() { stop(parent.Err()) })()
	arm, disarm := func() {}, func() {}
	if l.Timeout > 0 {
		w := time.AfterFunc(l.Timeout, func() { stop(errStalled) })
		defer w.Stop()
		arm, disarm = func() { w.Reset(l.Timeout) }, func() { w.Stop() }
	}
	fail := func(what string, err error) {
		switch cause := context.Cause(qctx); {
		case errors.Is(cause, errStalled):
			// pgx reports the watchdog's cancellation as "context canceled".
			err = fmt.Errorf("no answer for %v: %w", l.Timeout, context.DeadlineExceeded)
		case cause != nil && !errors.Is(err, cause):
			// The caller's context ended: pgx reports "context canceled" whatever ended
			// it, and a pool that cancels on the server PostgreSQL's 57014.
			err = fmt.Errorf("%w (%v)", cause, err)
		}
		c.err = l.errorf("%s: %w", what, err)
	}
	rows, err := l.pool.Query(qctx, "SELECT pos, rec FROM "+l.table+" WHERE pos >= $1 ORDER BY pos", from)
	if err != nil {
		fail("read", err)
		send()
		return
	}
	defer rows.Close()
	binFormat := true
	for _, f := range rows.FieldDescriptions() {
		binFormat = binFormat && f.Format == pgx.BinaryFormatCode
	}
	next := from
	// Outside the loop: Scan's pointers make them escape, and declared inside they
	// would cost two allocations a row.
	var pos int64
	var rec []byte
	for rows.Next() {
		if raw := rows.RawValues(); binFormat && len(raw) == 2 && len(raw[0]) == 8 && raw[1] != nil {
			// The common case without a copy but the chunk's: the row is read from the
			// connection's buffer, which the next row reuses.
			pos, rec = int64(binary.BigEndian.Uint64(raw[0])), raw[1]
		} else if err := rows.Scan(&pos, &rec); err != nil {
			fail(fmt.Sprintf("read position %d", next), err)
			send()
			return
		}
		if pos != next {
			// A gap: the record at next is not committed yet (or never will be). Stop
			// here rather than skip it.
			break
		}
		next++
		if len(c.ends) > 0 && (len(c.data)+len(rec) > chunkBytes || len(c.ends) == chunkRows) {
			disarm()
			if !send() || !take() {
				return
			}
			arm()
		}
		c.data = append(c.data, rec...)
		c.ends = append(c.ends, int32(len(c.data)))
	}
	if err := rows.Err(); err != nil && ctx.Err() == nil {
		fail("read", err)
	}
	send()
}

// errStalled is the cause a scan's watchdog cancels its query with.
var errStalled = errors.New("stalled")
