package funnel

// tally accumulates the outcomes of the profiles of one breakdown group. Its memory is
// a few words per profile that entered the funnel; nothing is kept per event.
type tally struct {
	unique, total []int64
	ids           [][]uint32 // per step: profiles that reached it, in arrival order
	fromPrev      [][]int64  // per step: nanoseconds from the conversion's previous step
	fromFirst     [][]int64  // per step: nanoseconds from the conversion's first step
	open          []int64    // entered, did not convert: time of the latest first-step event
}

func newTally(n int) *tally {
	return &tally{
		unique: make([]int64, n), total: make([]int64, n),
		ids: make([][]uint32, n), fromPrev: make([][]int64, n), fromFirst: make([][]int64, n),
	}
}

// add records one profile's outcome. rows are the profile's rows, for times.
func (t *tally) add(profile uint32, o *outcome, rows []row, n int) {
	if o.level == 0 && o.reached == 0 {
		return
	}
	for s := range n {
		if o.reached&(1<<s) != 0 {
			t.unique[s]++
			t.ids[s] = append(t.ids[s], profile)
		}
	}
	for _, m := range o.passes {
		for s := range n {
			if m&(1<<s) != 0 {
				t.total[s]++
			}
		}
	}
	prev := -1
	for s := range o.level {
		r := o.path[s]
		if r < 0 {
			continue
		}
		if prev >= 0 {
			t.fromPrev[s] = append(t.fromPrev[s], rows[r].t-rows[o.path[prev]].t)
			t.fromFirst[s] = append(t.fromFirst[s], rows[r].t-rows[o.path[0]].t)
		}
		prev = s
	}
	if o.level < n {
		t.open = append(t.open, o.origin)
	}
}

// merge adds u's counts to t's.
func (t *tally) merge(u *tally) {
	for s := range t.unique {
		t.unique[s] += u.unique[s]
		t.total[s] += u.total[s]
		t.ids[s] = append(t.ids[s], u.ids[s]...)
		t.fromPrev[s] = append(t.fromPrev[s], u.fromPrev[s]...)
		t.fromFirst[s] = append(t.fromFirst[s], u.fromFirst[s]...)
	}
	t.open = append(t.open, u.open...)
}
