package referral

import (
	"fmt"
	"time"
)

// guard runs the fraud checks on the referral of sign-up ev by referrer. It returns the
// reasons of every guard that fired and whether any of them blocks.
func (p *Program) guard(ev *Record, referrer uint32) (reasons []string, blocked bool) {
	g := p.cfg.Guards
	fire := func(r Response, reason string) {
		if r == Ignore {
			return
		}
		reasons = append(reasons, r.String()+": "+reason)
		if r == Block {
			blocked = true
		}
	}
	self := false
	if g.SelfReferral != Ignore {
		if why := p.selfReferral(ev, referrer); why != "" {
			fire(g.SelfReferral, "self-referral: "+why)
			self = true
		}
	}
	if g.Cycle != Ignore {
		// A profile "descends from" itself: when the self-referral guard has said so,
		// a second reason calling it a cycle is noise.
		if p.descends(referrer, ev.Profile) && !(self && referrer == ev.Profile) {
			fire(g.Cycle, fmt.Sprintf("referral cycle: referrer %d descends from profile %d", referrer, ev.Profile))
		}
	}
	if g.Velocity != Ignore {
		s := p.st
		if l := g.PerReferrer; l.Max > 0 {
			var times []time.Time
			for _, k := range s.keysOf(referrer) {
				for _, r := range s.referred[k] {
					times = append(times, s.attr[r].At)
				}
			}
			if n := countWithin(times, ev.At, l.Period) + 1; n > l.Max {
				fire(g.Velocity, fmt.Sprintf("velocity: referrer %d would have %d referred sign-ups within %v (limit %d)", referrer, n, l.Period, l.Max))
			}
		}
		if l, d := g.PerDevice, ev.Signals.Device; l.Max > 0 && d != "" {
			if n := countWithin(s.bySig["d:"+d], ev.At, l.Period) + 1; n > l.Max {
				fire(g.Velocity, fmt.Sprintf("velocity: device %q would have %d sign-ups within %v (limit %d)", d, n, l.Period, l.Max))
			}
		}
		if l, nw := g.PerNetwork, ev.Signals.Network; l.Max > 0 && nw != "" {
			if n := countWithin(s.bySig["n:"+nw], ev.At, l.Period) + 1; n > l.Max {
				fire(g.Velocity, fmt.Sprintf("velocity: network %q would have %d sign-ups within %v (limit %d)", nw, n, l.Period, l.Max))
			}
		}
	}
	return reasons, blocked
}

// selfReferral says why referrer and the signing-up profile are one person, or "".
func (p *Program) selfReferral(ev *Record, referrer uint32) string {
	s := p.st
	if s.canon(referrer) == s.canon(ev.Profile) {
		return fmt.Sprintf("profile %d is the referrer's own profile", ev.Profile)
	}
	if r := p.people; r != nil {
		if a, b := r.Current(referrer), r.Current(ev.Profile); a != 0 && a == b {
			return fmt.Sprintf("identity resolves profiles %d and %d to one person (%d)", referrer, ev.Profile, a)
		}
	}
	for _, k := range s.keysOf(referrer) {
		for _, sig := range s.signals[k] {
			switch {
			case sig.Email != "" && sig.Email == ev.Signals.Email:
				return fmt.Sprintf("shared email %q", sig.Email)
			case sig.Phone != "" && sig.Phone == ev.Signals.Phone:
				return fmt.Sprintf("shared phone %q", sig.Phone)
			case sig.Device != "" && sig.Device == ev.Signals.Device:
				return fmt.Sprintf("shared device %q", sig.Device)
			}
		}
	}
	return ""
}

// descends reports whether referrer is profile or descends from it in the referral
// tree. The walk up the tree stops at a repeat, so a damaged tree cannot loop.
func (p *Program) descends(referrer, profile uint32) bool {
	s := p.st
	target := s.canon(profile)
	seen := map[uint32]bool{}
	for cur := s.canon(referrer); cur != 0 && !seen[cur]; {
		if cur == target {
			return true
		}
		seen[cur] = true
		cur, _ = s.referrerOf(cur)
	}
	return false
}

// countWithin counts the times in (at - period, at].
func countWithin(times []time.Time, at time.Time, period time.Duration) int {
	from := at.Add(-period)
	n := 0
	for _, t := range times {
		if t.After(from) && !t.After(at) {
			n++
		}
	}
	return n
}
