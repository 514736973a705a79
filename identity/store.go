package identity

import (
	"iter"
	"slices"
	"sync"
)

// Store keeps a resolver's history: an ordered log of opaque records. The resolver
// appends one record per mutation before it changes, and replays them all when New opens
// the store. A host may implement Store over its own database; the conformance suite in
// package identity/storetest checks an implementation against this contract:
//
//   - Append adds records at the end, in the order given, as one unit: on error none of
//     them may be replayed later. It must not keep the slices after it returns.
//   - Records yields every record appended, in order, each byte for byte as appended. A
//     record yielded may share memory that the next iteration reuses. Records appended
//     while it runs may or may not be yielded. An error ends the iteration.
//   - Once Append returns nil, a later Records (also after a crash and reopening, for a
//     durable store) yields the records, unless the store implements Syncer, in which
//     case that holds once a later Sync returns nil.
//   - Methods may be called concurrently.
type Store interface {
	Append(records ...[]byte) error
	Records() iter.Seq2[[]byte, error]
}

// Syncer is implemented by a Store whose Append only buffers: Sync makes every record
// appended so far durable. The resolver appends while it holds its lock and calls Sync
// after releasing it, so concurrent calls share one flush (group commit), and it returns
// to its caller only after Sync succeeds.
type Syncer interface {
	Sync() error
}

// Compacter is implemented by a Store that can replace its whole content atomically: a
// crash leaves either the old records or the new ones. The resolver uses it to rewrite
// its history without the values of forgotten identifiers (Forget, Compact). The records
// passed are valid only until the next iteration.
//
// Optionally, a Compacter has CompactContext(ctx, records), which is Compact ending with
// an error wrapping ctx.Err() once ctx is done, even while it waits for the store (as
// identity/pgstore's does): New given WithReplayContext finishes an interrupted erasure
// through it, so that ctx ends that rewrite too. A failure leaves the erasure
// unfinished, as a failed Compact does, and the next New finishes it.
type Compacter interface {
	Compact(records iter.Seq[[]byte]) error
}

// Scrubber is implemented by a Compacter that keeps copies of stored bytes outside the
// records Compact replaces: FileStore's side files, which RepairFile saves cut bytes to.
// Forget, and New when it finishes an interrupted erasure, call Scrub with the stored
// form of every value being erased (the normalised value, or its HMAC digest under
// WithHMAC) and call Compact only once Scrub has succeeded, so that until the store's
// records are rewritten they still show the erasure unfinished and the next New does
// both again. Scrub must overwrite every copy of each value durably before it returns,
// and be safe to run again after a crash part-way. values are valid only during the
// call.
type Scrubber interface {
	Scrub(values [][]byte) error
}

// MemStore is a Store in memory: records live as long as the MemStore does. It is safe
// for concurrent use. The zero value is an empty store.
//
// Records are copied into pages of a megabyte and located by an index of three words
// each, so that holding ten million records costs neither ten million allocations for
// the garbage collector to trace nor the copying of a growing slice of slices.
type MemStore struct {
	mu sync.Mutex
	memArena
}

// memArena holds records' bytes in pages that are never reallocated, so a record once
// written may be read without a lock.
type memArena struct {
	pages [][]byte
	recs  []memRec
}

// memRec locates one record: pages[page][off : off+n].
type memRec struct{ page, off, n uint32 }

const memPage = 1 << 20

// put copies r to the arena.
func (a *memArena) put(r []byte) {
	k := len(a.pages) - 1
	if k < 0 || cap(a.pages[k])-len(a.pages[k]) < len(r) {
		a.pages = append(a.pages, make([]byte, 0, max(memPage, len(r))))
		k++
	}
	off := len(a.pages[k])
	a.pages[k] = append(a.pages[k], r...)
	a.recs = append(a.recs, memRec{uint32(k), uint32(off), uint32(len(r))})
}

var (
	_ Store     = (*MemStore)(nil)
	_ Compacter = (*MemStore)(nil)
)

// Append copies the records to the end of the store.
func (s *MemStore) Append(records ...[]byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range records {
		s.put(r)
	}
	return nil
}

// Records yields the records held when iteration begins.
func (s *MemStore) Records() iter.Seq2[[]byte, error] {
	return func(yield func([]byte, error) bool) {
		s.mu.Lock()
		// Copies of the page headers: appends after this point only write beyond the
		// lengths the records below refer to.
		pages := slices.Clone(s.pages)
		recs := s.recs[:len(s.recs):len(s.recs)]
		s.mu.Unlock()
		for _, r := range recs {
			end := r.off + r.n
			if !yield(pages[r.page][r.off:end:end], nil) {
				return
			}
		}
	}
}

// Compact replaces the content of the store with records.
func (s *MemStore) Compact(records iter.Seq[[]byte]) error {
	var a memArena
	for r := range records {
		a.put(r)
	}
	s.mu.Lock()
	s.memArena = a
	s.mu.Unlock()
	return nil
}

// Len returns the number of records held.
func (s *MemStore) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.recs)
}
