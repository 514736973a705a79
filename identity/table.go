package identity

import (
	"encoding/binary"
	"fmt"
	"hash/maphash"

	"github.com/clientele-go/clientele/internal/radix"
)

// table interns identifiers: it gives each distinct (kind, value) a dense node id from 1
// and finds the id of a value in a few memory accesses. A map[string]uint32 would cost a
// string header, a separate allocation and the map's own overhead per identifier, and
// the garbage collector would scan every one of them; here the values live in an arena of
// byte pages and the index is an open-addressing table of 64-bit slots, neither of which
// holds a pointer.
//
// Arena record: node id (4 bytes LE) | kind code (1 byte) | value length (uvarint) |
// value. An erased record (Forget) keeps its node id and kind and has length 0: its
// value bytes are overwritten with zeros. No live value is empty (the empty value is
// always blocked), so length 0 means erased.
//
// Index slot: 0 when empty, else tag<<32 | arena offset, where tag is the upper half of
// the identifier's hash. The slot's home is tag>>shift (the tag's top bits), so growing
// the index needs no access to the arena, and the tag's low bits reject most mismatches
// before the arena is read. Collisions are resolved by linear probing; deletion shifts
// later entries back (Knuth's algorithm R), so the index never holds tombstones.
type table struct {
	seed  maphash.Seed
	arena [][]byte       // pages of at most arenaPage bytes; offset = page<<arenaBits | pos
	off   column[uint32] // node -> arena offset; node 0 is unused
	slots []uint64
	shift uint32 // home slot = tag >> shift
	used  int    // occupied slots

	kinds   []string // kind code -> name
	kindIdx map[string]uint8

	sources   []string // source code -> name
	sourceIdx map[string]uint32

	// deferred: values are interned without being indexed (replay looks nothing up by
	// value); buildIndex indexes them all at once at the end, from pending (tag<<32 |
	// offset, in node order). erasedWhile counts values erased in the meantime.
	deferred    bool
	pending     []uint64
	erasedWhile int

	// tracking: the tags of values interned are appended to track (LinkBatch sets it
	// while it holds the lock over a chunk of events; see normed).
	tracking bool
	track    []uint32

	// ahead: LinkBatch's second core owns the index and the arena (it looks the batch's
	// identifiers up and interns the new ones ahead of the decisions, see ahead.go), and
	// the decisions see only the first visible nodes: those of the events they have
	// decided. The decisions read nothing else of the table that the second core writes.
	ahead   bool
	visible uint32

	// capacity is the number of identifiers the host expects (WithCapacity): the index
	// starts, and is rebuilt, large enough to hold them without doubling.
	capacity int
}

const (
	arenaBits = 20
	arenaPage = 1 << arenaBits
	maxPages  = 1 << (32 - arenaBits)
	maxKinds  = 255 // kind codes are one byte
	recHeader = 5   // node id + kind code
)

// newTable returns an empty table whose index holds capacity identifiers (0: a few)
// before it first doubles.
func newTable(capacity int) *table {
	size, shift := indexSize(capacity)
	t := &table{
		seed:      maphash.MakeSeed(),
		arena:     [][]byte{make([]byte, 1, 4096)}, // offset 0 is never a record: slot 0 means empty
		slots:     make([]uint64, size),
		shift:     shift,
		kindIdx:   map[string]uint8{},
		sourceIdx: map[string]uint32{},
		capacity:  capacity,
	}
	t.off.push(0)
	return t
}

// indexSize returns the smallest index (a power of two, at least 16 slots) that holds n
// identifiers at most three quarters full, and its shift.
func indexSize(n int) (int, uint32) {
	size, shift := 16, uint32(28)
	for n*4 > size*3 {
		size, shift = size*2, shift-1
	}
	return size, shift
}

// nodes is the number of node ids issued; valid ids are 1..nodes.
// While ahead, the decisions' count: the nodes interned ahead are not yet issued.
func (t *table) nodes() uint32 {
	if t.ahead {
		return t.visible
	}
	return t.off.len() - 1
}

// held is the number of nodes interned, whether or not the decisions have reached them.
func (t *table) held() uint32 { return t.off.len() - 1 }

func (t *table) tag(kind uint8, v string) uint32 { return mixTag(kind, maphash.String(t.seed, v)) }

// tagBytes is tag for a value held as bytes: maphash gives the same hash for the same
// bytes whether they come as a string or a slice.
func (t *table) tagBytes(kind uint8, v []byte) uint32 { return mixTag(kind, maphash.Bytes(t.seed, v)) }

func mixTag(kind uint8, h uint64) uint32 {
	h ^= uint64(kind+1) * 0x9E3779B97F4A7C15
	return uint32(h>>32) ^ uint32(h)*0x85EBCA6B
}

// kind returns the code of a kind name, registering it when create is set.
func (t *table) kind(name string, create bool) (uint8, bool, error) {
	if c, ok := t.kindIdx[name]; ok {
		return c, true, nil
	}
	if !create {
		return 0, false, nil
	}
	if len(t.kinds) >= maxKinds {
		return 0, false, fmt.Errorf("%w: kind %q would be kind number %d", ErrFull, name, len(t.kinds)+1)
	}
	c := uint8(len(t.kinds))
	t.kinds = append(t.kinds, name)
	t.kindIdx[name] = c
	return c, false, nil
}

// sourceFits reports whether name is a known source or there is room for another.
func (t *table) sourceFits(name string) bool {
	_, ok := t.sourceIdx[name]
	return ok || len(t.sources) < maxSources
}

func (t *table) source(name string) uint32 {
	if c, ok := t.sourceIdx[name]; ok {
		return c
	}
	c := uint32(len(t.sources))
	t.sources = append(t.sources, name)
	t.sourceIdx[name] = c
	return c
}

// find returns the node of (kind, v), or 0.
func (t *table) find(kind uint8, v string) uint32 { return t.findTag(kind, v, t.tag(kind, v)) }

// internedSince reports whether a value with tag was interned at or after position
// since of track.
func (t *table) internedSince(since uint32, tag uint32) bool {
	for _, x := range t.track[since:] {
		if x == tag {
			return true
		}
	}
	return false
}

// probe returns the home slot of tag, which a lookup reads first.
func (t *table) probe(tag uint32) uint64 { return t.slots[tag>>t.shift] }

// peek reads the first byte of the record a slot points at, so that a caller can start
// that memory access early.
func (t *table) peek(s uint64) byte {
	off := uint32(s)
	return t.arena[off>>arenaBits][off&(arenaPage-1)]
}

func (t *table) findTag(kind uint8, v string, tag uint32) uint32 {
	mask := uint32(len(t.slots) - 1)
	for i := tag >> t.shift; ; i = (i + 1) & mask {
		s := t.slots[i]
		if s == 0 {
			return 0
		}
		if uint32(s>>32) == tag {
			if node := t.match(uint32(s), kind, v); node != 0 {
				return node
			}
		}
	}
}

func (t *table) match(off uint32, kind uint8, v string) uint32 {
	rec := t.arena[off>>arenaBits][off&(arenaPage-1):]
	if rec[4] != kind {
		return 0
	}
	n, k := binary.Uvarint(rec[recHeader:])
	if n != uint64(len(v)) || string(rec[recHeader+k:recHeader+k+int(n)]) != v {
		return 0
	}
	return binary.LittleEndian.Uint32(rec)
}

// record returns the kind code and value bytes of node (a view into the arena, valid
// until the node is erased); an erased node has an empty value.
func (t *table) record(node uint32) (uint8, []byte) {
	off := t.off.at(node)
	rec := t.arena[off>>arenaBits][off&(arenaPage-1):]
	n, k := binary.Uvarint(rec[recHeader:])
	return rec[4], rec[recHeader+k : recHeader+k+int(n)]
}

// canAdd reports whether n more identifiers with values of total size bytes fit.
func (t *table) canAdd(n int, bytes int) error {
	if t.ahead {
		return nil // the second core checked before it interned them (internAhead)
	}
	return t.canAddHeld(n, bytes)
}

// canAddHeld is canAdd against every node interned.
func (t *table) canAddHeld(n int, bytes int) error {
	if uint64(t.held())+uint64(n) > maxNode {
		return fmt.Errorf("%w: %d identifiers held, %d more", ErrFull, t.held(), n)
	}
	if len(t.arena)+1+(bytes+n*(recHeader+3))/arenaPage >= maxPages {
		return fmt.Errorf("%w: identifier arena of %d MiB is full", ErrFull, len(t.arena))
	}
	return nil
}

// add interns a value that find did not find and returns its node id. When index is
// false the value gets a node but cannot be found (an erased identifier restored from a
// compacted log). The value is given as a string or, when raw is not nil, as raw; hash
// is its maphash under t.seed if the caller has it already, else 0; tag, when tagged,
// is its tag (the caller looked it up), which spares hashing the value again.
func (t *table) add(kind uint8, v string, raw []byte, index bool, hash uint64, tag uint32, tagged bool) uint32 {
	if raw != nil {
		v = "" // raw holds the value; a conversion to string would allocate
	}
	n := len(v) + len(raw)
	node := t.off.len()
	var hdr [recHeader + binary.MaxVarintLen64]byte
	binary.LittleEndian.PutUint32(hdr[:], node)
	hdr[4] = kind
	h := recHeader + binary.PutUvarint(hdr[recHeader:], uint64(n))
	if !index {
		hdr[recHeader] = 0
		v, raw, n = "", nil, 0
		h = recHeader + 1
	}
	need := h + n
	last := len(t.arena) - 1
	if len(t.arena[last])+need > arenaPage {
		t.arena = append(t.arena, make([]byte, 0, arenaPage))
		last++
	}
	page := t.arena[last]
	off := uint32(last)<<arenaBits | uint32(len(page))
	page = append(page, hdr[:h]...)
	page = append(page, v...)
	t.arena[last] = append(page, raw...)
	t.off.push(off)
	if index {
		switch {
		case tagged:
		case hash != 0:
			tag = mixTag(kind, hash)
		default:
			_, stored := t.record(node)
			tag = t.tagBytes(kind, stored)
		}
		if t.tracking {
			t.track = append(t.track, tag)
		}
		if t.deferred {
			t.pending = append(t.pending, uint64(tag)<<32|uint64(off))
		} else {
			t.insertSlot(uint64(tag)<<32 | uint64(off))
		}
	}
	return node
}

// buildIndex indexes every value interned while deferred. Inserting in order of home
// slot makes the writes sequential; inserting one by one as a log replays would cost a
// cache miss per identifier and a rehash at every doubling.
func (t *table) buildIndex() {
	t.deferred = false
	entries := t.pending
	t.pending = nil
	if t.erasedWhile > 0 {
		live := entries[:0]
		for _, e := range entries {
			if rec := t.arena[uint32(e)>>arenaBits][uint32(e)&(arenaPage-1):]; rec[recHeader] != 0 {
				live = append(live, e) // an erased record's length is 0
			}
		}
		entries, t.erasedWhile = live, 0
	}
	size, shift := indexSize(max(len(entries), t.capacity))
	radix.Sort(entries, nil, 32) // by the hash in the upper half, stably
	if t.used > 0 || len(t.slots) != size {
		// Unless it is the empty index newTable sized for WithCapacity: no second one.
		t.slots = make([]uint64, size)
	}
	t.shift = shift
	mask := uint32(size - 1)
	for _, e := range entries {
		i := uint32(e>>32) >> shift
		for t.slots[i] != 0 {
			i = (i + 1) & mask
		}
		t.slots[i] = e
	}
	t.used = len(entries)
}

func (t *table) insertSlot(s uint64) {
	if (t.used+1)*4 > len(t.slots)*3 {
		t.grow()
	}
	mask := uint32(len(t.slots) - 1)
	i := uint32(s>>32) >> t.shift
	for t.slots[i] != 0 {
		i = (i + 1) & mask
	}
	t.slots[i] = s
	t.used++
}

func (t *table) grow() {
	old := t.slots
	t.slots = make([]uint64, 2*len(old))
	t.shift--
	mask := uint32(len(t.slots) - 1)
	for _, s := range old {
		if s == 0 {
			continue
		}
		i := uint32(s>>32) >> t.shift
		for t.slots[i] != 0 {
			i = (i + 1) & mask
		}
		t.slots[i] = s
	}
}

// erase removes node's value from the index and overwrites its bytes in the arena.
func (t *table) erase(node uint32) {
	kind, v := t.record(node)
	if len(v) == 0 {
		return
	}
	off := t.off.at(node)
	if t.deferred {
		t.clearValue(off)
		t.erasedWhile++
		return
	}
	t.unslot(t.tagBytes(kind, v), off)
	t.clearValue(off)
}

// unslot removes the index entry of the record at off, whose tag is tag.
func (t *table) unslot(tag, off uint32) {
	mask := uint32(len(t.slots) - 1)
	i := tag >> t.shift
	for uint32(t.slots[i]) != off {
		i = (i + 1) & mask
	}
	// Backward-shift deletion: move later members of the probe run into the hole when
	// their home slot is not cyclically within (hole, their position].
	for j := i; ; {
		j = (j + 1) & mask
		s := t.slots[j]
		if s == 0 {
			break
		}
		home := uint32(s>>32) >> t.shift
		if (i <= j && i < home && home <= j) || (i > j && (i < home || home <= j)) {
			continue
		}
		t.slots[i] = s
		i = j
	}
	t.slots[i] = 0
	t.used--
}

// truncate removes the nodes after keep, the newest first, as if they had never been
// interned: LinkBatch interns a batch's identifiers ahead of its decisions, and an event
// that fails leaves those of the events from it on undecided. None of them was erased.
func (t *table) truncate(keep uint32) {
	n := t.held()
	if n <= keep {
		return
	}
	for node := n; node > keep; node-- {
		kind, v := t.record(node)
		t.unslot(t.tagBytes(kind, v), t.off.at(node))
	}
	off := t.off.at(keep + 1)
	page, pos := off>>arenaBits, off&(arenaPage-1)
	if pos == 0 {
		t.arena = t.arena[:page] // the page was begun for these nodes
	} else {
		t.arena = t.arena[:page+1]
		t.arena[page] = t.arena[page][:pos]
	}
	t.off.truncate(keep + 1)
}

func (t *table) clearValue(off uint32) {
	rec := t.arena[off>>arenaBits][off&(arenaPage-1):]
	n, k := binary.Uvarint(rec[recHeader:])
	clear(rec[recHeader : recHeader+k+int(n)])
}

func (t *table) bytes() int {
	n := len(t.slots)*8 + t.off.bytes(4)
	for _, p := range t.arena {
		n += cap(p)
	}
	return n
}
