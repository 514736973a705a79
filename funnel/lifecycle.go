package funnel

import (
	"fmt"
	"strconv"
	"time"
)

// Stage is where a profile stands on the road from stranger to advocate. The first six
// are rungs of a ladder a profile climbs and never leaves; Dormant, Churned and
// Reactivated describe recent activity and take precedence over the rung while they
// hold.
type Stage uint8

const (
	Stranger       Stage = iota // not seen visiting or buying yet
	Visitor                     // visited, not (yet) a user
	User                        // came back: UserVisits visits within UserSpan
	Customer                    // bought once
	RepeatCustomer              // bought twice or more
	Advocate                    // a customer who brought a new user
	Dormant                     // no activity for DormantAfter
	Churned                     // no activity for ChurnedAfter
	Reactivated                 // active again after being dormant, for DormantAfter
)

// NumStages is the number of stages (Stranger to Reactivated), the size of a
// transition matrix.
const NumStages = 9

var stageNames = [NumStages]string{"stranger", "visitor", "user", "customer", "repeat_customer", "advocate", "dormant", "churned", "reactivated"}

// String returns the stage's name ("repeat_customer", ...).
func (s Stage) String() string {
	if int(s) < len(stageNames) {
		return stageNames[s]
	}
	return fmt.Sprintf("Stage(%d)", uint8(s))
}

// Lifecycle says how events place profiles on the ladder. Zero fields take the defaults
// in brackets. A Lifecycle is a plain value; its functions are called on the calling
// goroutine only.
type Lifecycle struct {
	Visit    Step // [events named "visit"]
	Purchase Step // [events named "purchase"]
	// Active marks activity for dormancy and growth accounting [a Visit or a Purchase].
	Active Step
	// Referrer names the profile that brought this one, from one of its events [the
	// decimal "referrer" property]; the earliest such event counts. A referrer who is a
	// customer becomes an advocate when a profile it brought becomes a user.
	// RunBatch takes the referrals as a map, or reads the default property from the
	// batch's "referrer" column.
	Referrer     func(Event) (uint32, bool)
	UserVisits   int           // [2]
	UserSpan     time.Duration // [30 days]
	DormantAfter time.Duration // [30 days]
	ChurnedAfter time.Duration // [90 days]
	By           Period        // growth accounting periods [Day; Week and Month also]
	Location     *time.Location
}

const day = 24 * time.Hour

func (l Lifecycle) withDefaults() (Lifecycle, error) {
	if anyStep(l.Visit) {
		l.Visit = Step{Name: "visit"}
	}
	if anyStep(l.Purchase) {
		l.Purchase = Step{Name: "purchase"}
	}
	if l.Referrer == nil {
		l.Referrer = func(e Event) (uint32, bool) {
			v, ok := e.Props["referrer"]
			if !ok {
				return 0, false
			}
			r, err := strconv.ParseUint(v, 10, 32)
			return uint32(r), err == nil
		}
	}
	if l.UserVisits == 0 {
		l.UserVisits = 2
	}
	if l.UserSpan == 0 {
		l.UserSpan = 30 * day
	}
	if l.DormantAfter == 0 {
		l.DormantAfter = 30 * day
	}
	if l.ChurnedAfter == 0 {
		l.ChurnedAfter = 90 * day
	}
	switch {
	case l.UserVisits < 1:
		return l, fmt.Errorf("%w: UserVisits %d, want at least 1", ErrInvalid, l.UserVisits)
	case l.UserSpan < 0:
		return l, fmt.Errorf("%w: UserSpan %v is negative (zero means 30 days)", ErrInvalid, l.UserSpan)
	case l.DormantAfter < 0:
		return l, fmt.Errorf("%w: DormantAfter %v is negative (zero means 30 days)", ErrInvalid, l.DormantAfter)
	case l.ChurnedAfter < 0:
		return l, fmt.Errorf("%w: ChurnedAfter %v is negative (zero means 90 days)", ErrInvalid, l.ChurnedAfter)
	case l.ChurnedAfter < l.DormantAfter:
		return l, fmt.Errorf("%w: ChurnedAfter %v shorter than DormantAfter %v", ErrInvalid, l.ChurnedAfter, l.DormantAfter)
	}
	return l, nil
}

// rules is a Lifecycle with its defaults in place and its calendar, shared by the
// journeys it builds. fp names what must agree for two sets of journeys to merge.
type rules struct {
	l   Lifecycle
	cal calendar
	fp  string
}

func (l Lifecycle) compile() (*rules, error) {
	l, err := l.withDefaults()
	if err != nil {
		return nil, err
	}
	cal, err := newCalendar(l.By, l.Location)
	if err != nil {
		return nil, err
	}
	fp := fmt.Sprintf("visit=%q purchase=%q active=%q visits=%d span=%d dormant=%d churned=%d by=%v loc=%s",
		l.Visit.Name, l.Purchase.Name, l.Active.Name, l.UserVisits, l.UserSpan, l.DormantAfter, l.ChurnedAfter, l.By, cal.loc)
	return &rules{l: l, cal: cal, fp: fp}, nil
}

// What an event means to the lifecycle, as bits of a row's steps.
const (
	flagVisit uint32 = 1 << iota
	flagPurchase
	flagActive
)

func (r *rules) flags(e Event) uint32 {
	var f uint32
	v, pu := r.l.Visit.matches(e), r.l.Purchase.matches(e)
	if v {
		f |= flagVisit
	}
	if pu {
		f |= flagPurchase
	}
	if anyStep(r.l.Active) && (v || pu) || !anyStep(r.l.Active) && r.l.Active.matches(e) {
		f |= flagActive
	}
	return f
}
