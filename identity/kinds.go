package identity

// kindSnap is the registered kinds as they stood after a registration: an immutable
// value that LinkBatch's preparation reads without the resolver's lock, so that it can
// normalise the next events on one core while the decisions hold the lock on the other.
// A kind registered after the snapshot was read is simply not known to that preparation
// (the decisions register it, as Link does).
type kindSnap struct {
	list   []kindEntry    // in code order; most resolvers have a handful
	byName map[string]int // index in list, once there are more than a few
}

const kindScan = 16 // kinds compared in order before a map pays

type kindEntry struct {
	name string
	code uint8
	rule *kindRule
}

// lookup returns the code and rule of a registered kind, or a nil rule.
func (s *kindSnap) lookup(name string) (uint8, *kindRule) {
	if s.byName != nil {
		if i, ok := s.byName[name]; ok {
			return s.list[i].code, s.list[i].rule
		}
		return 0, nil
	}
	for i := range s.list {
		if e := &s.list[i]; e.name == name {
			return e.code, e.rule
		}
	}
	return 0, nil
}

// publishKind adds a newly registered kind to the snapshot. The caller holds mu (or is
// New), so publications do not race with each other.
func (r *Resolver) publishKind(name string, code uint8, rule *kindRule) {
	var list []kindEntry
	if old := r.kindsSnap.Load(); old != nil {
		list = append(list, old.list...)
	}
	list = append(list, kindEntry{name: name, code: code, rule: rule})
	s := &kindSnap{list: list}
	if len(list) > kindScan {
		s.byName = make(map[string]int, len(list))
		for i, e := range list {
			s.byName[e.name] = i
		}
	}
	r.kindsSnap.Store(s)
}
