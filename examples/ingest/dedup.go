package main

import "crypto/sha256"

// maxSeen bounds the messageIds remembered for de-duplication, as the server's does
// (examples/server): the oldest are forgotten first. A tracker's retry follows its
// first copy within minutes, so in an export it lies well within the last maxSeen calls.
const maxSeen = 1 << 20

// seenIDs remembers the messageIds of the calls applied in this run, the last size of
// them, so that a retried call (the same messageId twice, as Segment's libraries send
// after a lost reply) is applied once. An input is one source, so the messageId alone
// is the key; the server, which takes many sources, keys by (source, messageId).
//
// An id is kept as a 128-bit hash of it: a messageId may be as long as a line (1 MiB),
// and 2^20 of those held whole would not be bounded memory. That a new id's hash is one
// of the 2^20 held is negligible (under 2^-70 over a billion calls), and SHA-256
// cannot be steered into it.
type seenIDs struct {
	size int // how many ids are remembered; 0 means maxSeen
	has  map[[16]byte]struct{}
	ring [][16]byte // has's keys, in the order they were added
	next int        // the slot of ring the next id replaces, once ring is full
}

func idKey(id string) (k [16]byte) {
	sum := sha256.Sum256([]byte(id))
	copy(k[:], sum[:])
	return k
}

// seen reports whether id was added and not yet forgotten.
func (s *seenIDs) seen(id string) bool {
	_, ok := s.has[idKey(id)]
	return ok
}

// add remembers id, a messageId not seen (of a call just applied), forgetting the
// oldest once size are held.
func (s *seenIDs) add(id string) {
	if s.has == nil {
		s.has = map[[16]byte]struct{}{}
	}
	size := s.size
	if size <= 0 {
		size = maxSeen
	}
	k := idKey(id)
	if len(s.ring) < size {
		s.ring = append(s.ring, k)
	} else {
		delete(s.has, s.ring[s.next])
		s.ring[s.next] = k
		s.next = (s.next + 1) % size
	}
	s.has[k] = struct{}{}
}
