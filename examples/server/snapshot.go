package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strconv"

	"github.com/clientele-go/clientele/internal/english"
	"github.com/clientele-go/clientele/segment"
	segpg "github.com/clientele-go/clientele/segment/pgstore"
)

// snapshotName is the segment-store blob holding the index's latest snapshot: the
// position of the first event it does not hold (8 bytes, big-endian), then, on
// PostgreSQL, the incarnations of its saved segments (incMagic), then the index.
// Saved segments' definitions are also kept one a blob, savedPrefix+name, so that a
// server sharing the storage learns of segments another saved.
const (
	snapshotName = "index"
	savedPrefix  = "saved."
)

// incMagic opens a snapshot's incarnations, between the position and the index (whose
// own bytes open with "CLTSEGIX"): a count, then each saved segment's name (a length
// and the bytes) and the storage's incarnation of its definition (segment/pgstore's
// Version.Incarnation), all uvarints, for the segments whose incarnation the server
// knew. A server starting from the snapshot tells by them a segment deleted and saved
// anew since the snapshot (a new segment: its members start again) from one redefined
// (members kept), as the servers that followed the writes did. A snapshot without them
// (file: and mem: storage, or an earlier version) knows none, and a start takes every
// segment it holds for the storage's.
const incMagic = "CLTSRVIN"

// appendIncarnations appends the section incMagic opens for the segments held whose
// incarnation is known; nothing if none is.
func appendIncarnations(b []byte, held []string, vers map[string]segpg.Version) []byte {
	n := 0
	for _, name := range held {
		if vers[name].Incarnation > 0 {
			n++
		}
	}
	if n == 0 {
		return b
	}
	b = binary.AppendUvarint(append(b, incMagic...), uint64(n))
	for _, name := range held {
		if inc := vers[name].Incarnation; inc > 0 {
			b = binary.AppendUvarint(b, uint64(len(name)))
			b = append(b, name...)
			b = binary.AppendUvarint(b, uint64(inc))
		}
	}
	return b
}

// readIncarnations reads the section incMagic opens at the start of data, if there is
// one, and returns the incarnations and the bytes after it. off is data's offset in
// the snapshot blob, for errors.
func readIncarnations(data []byte, off int) (map[string]int64, []byte, error) {
	if !bytes.HasPrefix(data, []byte(incMagic)) {
		return nil, data, nil
	}
	at := len(incMagic)
	next := func(what string) (uint64, error) {
		v, n := binary.Uvarint(data[at:])
		if n <= 0 {
			return 0, fmt.Errorf("segment snapshot at offset %d: %s: %w", off+at, what, segment.ErrCorrupt)
		}
		at += n
		return v, nil
	}
	count, err := next("count of incarnations")
	if err != nil {
		return nil, nil, err
	}
	incs := map[string]int64{}
	for range count {
		l, err := next("length of a segment name")
		if err != nil {
			return nil, nil, err
		}
		if l > uint64(len(data)-at) {
			return nil, nil, fmt.Errorf("segment snapshot at offset %d: a segment name of %s, %d left: %w", off+at, english.Count(l, "byte"), len(data)-at, segment.ErrCorrupt)
		}
		name := string(data[at : at+int(l)])
		at += int(l)
		inc, err := next("incarnation of segment " + strconv.Quote(name))
		if err != nil {
			return nil, nil, err
		}
		if inc == 0 || inc > math.MaxInt64 {
			return nil, nil, fmt.Errorf("segment snapshot at offset %d: incarnation %d of segment %q: %w", off+at, inc, name, segment.ErrCorrupt)
		}
		incs[name] = int64(inc)
	}
	return incs, data[at:], nil
}

// snapshot writes the index, the position of the first event it does not hold and the
// incarnations of its segments, the write ending with ctx (see segmentsIn). It takes
// putMu, which a PUT or a sync holds while it changes the index's segments, so that the
// incarnations are those of the segments written, but only while it encodes the index:
// held through the write, a round trip carrying the whole index that waits as long as
// PostgreSQL does (for ever with -pg-timeout 0 and a row held), it kept every refresh's
// syncSaved, and so every request, waiting for a snapshot begun in the background.
// snapshotHeld is the same for a caller holding putMu, which keeps it.
func (s *server) snapshot(ctx context.Context) error {
	s.putMu.Lock()
	return s.writeSnapshot(ctx, s.putMu.Unlock, false)
}

// errSnapshotsClosed is snapshot's error once closeSnapshot has written the last one.
var errSnapshotsClosed = errors.New("the server is shutting down: its last snapshot is written")

// closeSnapshot writes the last snapshot, at shutdown, the write ending with ctx, and
// makes snapshot write no other: a snapshot begun in the background (periodic, or after
// an erasure) that was waiting for its turn wrote after it, possibly once the storage
// was closed.
func (s *server) closeSnapshot(ctx context.Context) error {
	s.putMu.Lock()
	defer s.putMu.Unlock()
	return s.writeSnapshot(ctx, func() {}, true)
}

// snapshotHeld is snapshot for a caller holding putMu (a PUT or DELETE, whose snapshot
// follows its change of the segments), who keeps it through the write.
func (s *server) snapshotHeld(ctx context.Context) error {
	return s.writeSnapshot(ctx, func() {}, false)
}

// writeSnapshot encodes the snapshot under mu, so that the position, the incarnations
// and the index agree, calls encoded (which lets putMu go, or not), and writes the
// snapshot to the storage after letting mu go: on PostgreSQL the write is a round trip
// carrying the whole index, and under mu every event applied and every merge waited
// for it. The caller holds putMu; encoded is called once, whatever happens. snapMu,
// held from before the encoding to the end of the write, orders this server's
// snapshots: each is encoded after the one before was written, at a position no lower
// (applied only grows). Servers sharing a PostgreSQL schema each have their own, so the
// store orders theirs (segment/pgstore's PutSnapshot): a snapshot at a lower position
// than the stored one, which a server further ahead wrote, is not written, and
// writeSnapshot fails with errSnapshotBehind. lastSnap becomes the position encoded,
// not applied, which the events applied during the write moved; also when the
// snapshot was not written, as the stored one is further on still. last makes it the
// last snapshot (closeSnapshot).
func (s *server) writeSnapshot(ctx context.Context, encoded func(), last bool) error {
	s.snapMu.Lock()
	defer s.snapMu.Unlock()
	if s.snapClosed {
		encoded()
		return errSnapshotsClosed
	}
	s.snapClosed = last
	var buf bytes.Buffer
	s.mu.Lock()
	at := s.applied
	buf.Write(binary.BigEndian.AppendUint64(nil, at))
	buf.Write(appendIncarnations(nil, s.seg.Segments(), s.savedVers))
	_, err := s.seg.WriteTo(&buf)
	s.mu.Unlock()
	encoded()
	if err != nil {
		return err
	}
	written := true
	segs := s.st.segmentsIn(ctx)
	if sp, ok := segs.(snapshotPutter); ok {
		written, err = sp.PutSnapshot(snapshotName, buf.Bytes())
	} else {
		err = segs.Put(snapshotName, buf.Bytes())
	}
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.lastSnap = max(s.lastSnap, at)
	s.mu.Unlock()
	if !written {
		return fmt.Errorf("segment snapshot at event %d: %w", at, errSnapshotBehind)
	}
	return nil
}

// snapshotPutter is the segment store of servers that share it (segment/pgstore's
// Store): PutSnapshot writes a snapshot unless the one stored is at a higher position,
// in one statement, so that of two servers writing at once the one behind never
// replaces the other's. file: and mem: storage serve one server, whose snapMu orders
// its snapshots.
type snapshotPutter interface {
	PutSnapshot(name string, data []byte) (bool, error)
}

// errSnapshotBehind is writeSnapshot's error when the stored snapshot is at a higher
// position than this server's, written by a server further ahead: it is kept, and
// spares a start more replay than this one would. Not a failure of a periodic
// snapshot or one at shutdown; after an erasure it is, as the stored snapshot may
// still hold the person, until this server, caught up past it, writes its own.
var errSnapshotBehind = errors.New("a snapshot at a later position is stored (written by a server further ahead): kept")

// defaultSnapshotEvery is the default period of segment snapshots, in events. A restart
// reads the latest snapshot and applies the events after it, so the period bounds that
// tail: 10,000 events are read from PostgreSQL and applied to the index in well under a
// second, and a snapshot, which writes the whole index, is then taken at most once per
// 10,000 events, so that its cost (proportional to the index, not to the events since the
// last one) is shared by that many. A host whose index is large and whose event rate is
// high raises it; one that restarts often lowers it.
const defaultSnapshotEvery = 10_000
