package main

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/clientele-go/clientele/segment"
	segpg "github.com/clientele-go/clientele/segment/pgstore"
)

// versioner is a segment.Store that numbers its writes and creations (segment/pgstore):
// a server that shares it reads only the definitions whose number moved since it last
// looked, and tells a definition replaced from one deleted and saved anew. PutVersion
// is Put, returning the version the write gave the blob, which the server remembers
// as if it had read it: without it, a server that created a segment did not know its
// incarnation until its next sync, and took one deleted and saved anew by another
// server in between for a redefinition.
type versioner interface {
	Versions(prefix string) (map[string]segpg.Version, error)
	PutVersion(name string, data []byte) (segpg.Version, error)
}

// syncSaved makes the index's saved segments those whose definitions the storage keeps,
// whoever wrote them: it saves a definition new or changed there and deletes a segment
// whose definition the storage no longer holds. A changed definition is saved over the
// old one, which keeps the segment's members (segment.Index.Save), so the next Refresh
// here reports the difference the new definition makes, as it does on the server that
// took the PUT: no member is reported entering twice. A definition of a new incarnation
// (deleted and saved anew on another server since the last sync, which a version alone
// does not show when both happened in between) is a new segment here too, so that
// everyone in it is reported entering, as on the server that took the DELETE and the
// PUT. It replaces the old one in place (segment.Index.Recreate) rather than deleting
// it first: the segments that reference it would keep a deletion from being applied,
// as when the other server pointed them away, deleted it, saved it anew and pointed
// them back, all between two syncs here. The storage's rows are the truth, so under
// concurrent PUTs every server ends with the definition whose write committed last,
// and a server whose own PUT lost takes the other's.
//
// It holds putMu, so that it sees this server's PUT or DELETE whole (index and storage
// both changed, or neither) and never undoes one half-done. Its reads of the storage end
// with ctx (see segmentsIn): a request that goes away, or a follower stopped, lets putMu
// go rather than wait for PostgreSQL with it.
func (s *server) syncSaved(ctx context.Context) error {
	s.putMu.Lock()
	defer s.putMu.Unlock()
	segs := s.st.segmentsIn(ctx)
	var vers map[string]segpg.Version
	vs, versioned := segs.(versioner)
	if versioned {
		var err error
		if vers, err = vs.Versions(savedPrefix); err != nil {
			return err
		}
	} else {
		names, err := segs.List()
		if err != nil {
			return err
		}
		vers = map[string]segpg.Version{}
		for _, n := range names {
			if strings.HasPrefix(n, savedPrefix) {
				vers[n] = segpg.Version{}
			}
		}
	}
	if s.savedVers == nil {
		s.savedVers = map[string]segpg.Version{}
	}
	// A version is remembered once the index holds the definition read after it: if the
	// blob was written again in between, the next sync finds a version it has not
	// seen and reads the blob again. A definition the index refuses is not remembered,
	// and is tried again at every sync (a write of a segment it references may make it
	// sound); stuck reports each reason once.
	type pending struct {
		q     *segment.Query
		v     segpg.Version
		renew bool // a new incarnation: recreate the segment held
	}
	save := map[string]*pending{}
	for blob, v := range vers {
		name := strings.TrimPrefix(blob, savedPrefix)
		old, known := s.savedVers[name]
		if known && old == v && versioned {
			continue
		}
		renew := versioned && known && old.Incarnation != v.Incarnation
		def, err := segs.Get(blob)
		if errors.Is(err, segment.ErrNotFound) {
			continue // deleted since Versions: the next sync deletes it
		}
		if err != nil {
			return err
		}
		if have, ok := s.seg.Definition(name); ok && !renew && have.String() == string(def) {
			s.savedVers[name] = v
			delete(s.savedStuck, name)
			continue
		}
		q, err := segment.Parse(string(def))
		if err != nil {
			s.stuck(name, err)
			continue
		}
		// A definition the storage keeps was accepted by the server that wrote it,
		// which knew its events (seen there, or declared by its -events): they are
		// declared here too, so that a server started with other -events, or
		// restarted without its own from no snapshot, applies it rather than holding
		// it back until a call of each event arrives.
		if err := s.seg.DeclareEvents(q.Events()...); err != nil {
			s.stuck(name, err)
			continue
		}
		save[name] = &pending{q, v, renew}
	}
	var drop []string
	for _, name := range s.seg.Segments() {
		if _, ok := vers[savedPrefix+name]; !ok {
			drop = append(drop, name)
		}
	}
	for name := range s.savedVers {
		if _, ok := vers[savedPrefix+name]; !ok {
			delete(s.savedVers, name)
		}
	}
	for name := range s.savedStuck {
		if _, kept := vers[savedPrefix+name]; !kept && !slices.Contains(drop, name) {
			delete(s.savedStuck, name) // neither kept nor held: nothing left to apply
		}
	}
	// Definitions reference one another (segment:name): save and delete in rounds until
	// none succeeds, so that a segment saved before another that references it, or
	// one deleted after the one referencing it, is applied whatever the order.
	errs := map[string]error{}
	for progress := true; progress; {
		progress = false
		for name, p := range save {
			apply := s.seg.Save
			if p.renew {
				apply = s.seg.Recreate
			}
			if errs[name] = apply(name, p.q); errs[name] == nil {
				s.savedVers[name] = p.v
				delete(save, name)
				progress = true
			}
		}
		for i := 0; i < len(drop); i++ {
			err := s.seg.Delete(drop[i])
			if errors.Is(err, segment.ErrUnknownSegment) {
				err = nil
			}
			if errs[drop[i]] = err; err == nil {
				drop = append(drop[:i], drop[i+1:]...)
				i--
				progress = true
			}
		}
	}
	for name, err := range errs {
		if err == nil {
			delete(s.savedStuck, name)
		} else {
			s.stuck(name, err)
		}
	}
	return nil
}

// stuck logs that the definition of a segment the storage keeps (or its deletion)
// cannot be applied to the index, once for each distinct reason: two servers saved
// definitions that are each sound but not together (a cycle through two segments, or
// one referencing a segment the other deleted). The index keeps what it had until a
// write of either segment makes them agree.
func (s *server) stuck(name string, err error) {
	if s.savedStuck == nil {
		s.savedStuck = map[string]string{}
	}
	if s.savedStuck[name] == err.Error() {
		return
	}
	s.savedStuck[name] = err.Error()
	s.log.Warn("saved segment from the storage", "name", name, "error", err)
}
