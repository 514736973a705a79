package funnel

import (
	"strconv"
	"testing"
	"time"

	"github.com/clientele-go/clientele/internal/synth"
)

func days(n int) time.Duration { return time.Duration(n) * day }

// TestLifecycleLadder follows two profiles by hand. Profile 1 visits on days 1 and 10
// (a user from day 10), buys on days 12 and 20, and brought profile 2, who becomes a
// user on day 16: 1 is an advocate from day 16 (a customer since 12). Its last activity
// on day 20 makes it dormant from day 50; it comes back on day 80 (reactivated for 30
// days), goes dormant again on day 110 and churns 90 days after day 80.
func TestLifecycleLadder(t *testing.T) {
	d0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	on := func(d int) time.Time { return d0.Add(days(d)) }
	evs := []Event{
		{Profile: 1, Time: on(0), Name: "touch"},
		{Profile: 1, Time: on(1), Name: "visit"},
		{Profile: 1, Time: on(10), Name: "visit"},
		{Profile: 1, Time: on(12), Name: "purchase"},
		{Profile: 1, Time: on(20), Name: "purchase"},
		{Profile: 2, Time: on(14), Name: "visit", Props: map[string]string{"referrer": "1"}},
		{Profile: 2, Time: on(16), Name: "visit"},
		{Profile: 1, Time: on(80), Name: "visit"},
	}
	j, err := Lifecycle{By: Week}.Run(evs)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		p    uint32
		d    int
		want Stage
	}{
		{1, 0, Stranger}, {1, 1, Visitor}, {1, 10, User}, {1, 12, Customer}, {1, 15, Customer},
		{1, 16, Advocate}, {1, 49, Advocate}, {1, 50, Dormant}, {1, 79, Dormant},
		{1, 80, Reactivated}, {1, 109, Reactivated}, {1, 110, Dormant}, {1, 170, Churned},
		{2, 13, Stranger}, {2, 14, Visitor}, {2, 16, User}, {2, 46, Dormant}, {2, 106, Churned},
		{3, 5, Stranger},
	} {
		if got := j.StageAt(on(c.d), c.p); got != c.want {
			t.Errorf("profile %d on day %d: %v, want %v", c.p, c.d, got, c.want)
		}
	}
	m := j.Transitions(on(11), on(60))
	if m[User][Dormant] != 1 || m[User][User] != 0 || m[Stranger][Dormant] != 1 {
		t.Errorf("transitions day 11 -> 60: user->dormant %d, stranger->dormant %d", m[User][Dormant], m[Stranger][Dormant])
	}
	if got := j.Reached(on(100), Customer).ToArray(); len(got) != 1 || got[0] != 1 {
		t.Errorf("customers by day 100: %v", got)
	}
	g, err := j.Growth(on(0), on(84))
	if err != nil {
		t.Fatal(err)
	}
	// Two profiles start (weeks of days 1 and 14) and profile 1 comes back on day 80
	// after weeks of silence.
	var news, resurrected int64
	for _, r := range g {
		news += r.New
		resurrected += r.Resurrected
	}
	if news != 2 || resurrected != 1 {
		t.Errorf("growth: %d new, %d resurrected; want 2 and 1: %+v", news, resurrected, g)
	}
}

// TestLifecycleSynth runs the lifecycle over the generated base. The counts must equal
// the generator's ground truth, counted here straight from its events, and show the
// domain's shape: about 2% of the people reached become users, most customers buy once
// and about 30% again.
func TestLifecycleSynth(t *testing.T) {
	p := synth.Params{People: 20000, Seed: 7}.Default()
	var evs []Event
	visits := map[int][]time.Time{}
	buys := map[int]int{}
	for e := range synth.Generate(p) {
		fe := Event{Profile: uint32(e.Person + 1), Time: e.Time, Name: e.Kind.String()}
		if e.Kind == synth.Signup && e.Referrer >= 0 {
			fe.Props = map[string]string{"referrer": strconv.Itoa(e.Referrer + 1)}
		}
		switch e.Kind {
		case synth.Visit:
			visits[e.Person] = append(visits[e.Person], e.Time)
		case synth.Purchase:
			buys[e.Person]++
		}
		evs = append(evs, fe)
	}
	var wantUsers, wantCustomers, wantRepeat uint64
	for _, vs := range visits {
		for i := 1; i < len(vs); i++ {
			if vs[i].Sub(vs[i-1]) <= 30*day {
				wantUsers++
				break
			}
		}
	}
	for _, n := range buys {
		wantCustomers++
		if n >= 2 {
			wantRepeat++
		}
	}
	j, err := Lifecycle{}.Run(evs)
	if err != nil {
		t.Fatal(err)
	}
	end := p.End()
	users := j.Reached(end, User).GetCardinality()
	customers := j.Reached(end, Customer).GetCardinality()
	repeat := j.Reached(end, RepeatCustomer).GetCardinality()
	advocates := j.Reached(end, Advocate).GetCardinality()
	if users != wantUsers || customers != wantCustomers || repeat != wantRepeat {
		t.Errorf("users %d, customers %d, repeat %d; the generator's events say %d, %d, %d", users, customers, repeat, wantUsers, wantCustomers, wantRepeat)
	}
	userShare := float64(users) / float64(p.People)
	repeatShare := float64(repeat) / float64(customers)
	t.Logf("%d people reached, %d users (%.2f%%), %d customers, %d repeat (%.1f%%), %d advocates",
		p.People, users, 100*userShare, customers, repeat, 100*repeatShare, advocates)
	if userShare < 0.015 || userShare > 0.035 {
		t.Errorf("users are %.2f%% of people reached, want about 2%%", 100*userShare)
	}
	if repeatShare < 0.2 || repeatShare > 0.4 {
		t.Errorf("%.1f%% of customers bought again, want about 30%%", 100*repeatShare)
	}
	if advocates == 0 || advocates > customers {
		t.Errorf("%d advocates among %d customers", advocates, customers)
	}
	// Every stage at the end adds up to the profiles.
	var total uint64
	for _, bm := range j.Stages(end) {
		total += bm.GetCardinality()
	}
	if total != uint64(j.Profiles()) {
		t.Errorf("stages hold %d profiles of %d", total, j.Profiles())
	}
}

// TestLifecycleNegativeDurationNamesTheField: each negative duration is refused under
// its own name and value, not as "negative UserSpan or DormantAfter".
func TestLifecycleNegativeDurationNamesTheField(t *testing.T) {
	for _, c := range []struct {
		l    Lifecycle
		want string
	}{
		{Lifecycle{UserSpan: -time.Hour}, "funnel: invalid input: UserSpan -1h0m0s is negative (zero means 30 days)"},
		{Lifecycle{DormantAfter: -time.Hour}, "funnel: invalid input: DormantAfter -1h0m0s is negative (zero means 30 days)"},
		{Lifecycle{ChurnedAfter: -time.Hour}, "funnel: invalid input: ChurnedAfter -1h0m0s is negative (zero means 90 days)"},
	} {
		if _, err := c.l.Run(nil); err == nil || err.Error() != c.want {
			t.Errorf("%+v: %v, want %q", c.l, err, c.want)
		}
	}
}

// TestPurchaseWithoutVisitIsNoStranger: orders recorded by a back end often come with
// no visit event. A profile that bought but never visited stayed a Stranger for good,
// a repeat buyer too, while Reached counted it a customer: two answers to one question.
// A purchase now makes the profile seen.
func TestPurchaseWithoutVisitIsNoStranger(t *testing.T) {
	d0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	on := func(d int) time.Time { return d0.Add(days(d)) }
	j, err := Lifecycle{}.Run([]Event{
		{Profile: 1, Time: on(1), Name: "purchase"},
		{Profile: 2, Time: on(1), Name: "purchase"}, {Profile: 2, Time: on(3), Name: "purchase"},
		{Profile: 3, Time: on(1), Name: "purchase"}, {Profile: 3, Time: on(5), Name: "visit"},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		profile uint32
		day     int
		want    Stage
	}{
		{1, 0, Stranger}, {1, 1, Customer}, {1, 40, Dormant}, {1, 100, Churned},
		{2, 2, Customer}, {2, 3, RepeatCustomer},
		{3, 2, Customer}, {3, 5, Customer},
	} {
		if got := j.StageAt(on(c.day), c.profile); got != c.want {
			t.Errorf("profile %d on day %d: %v, want %v", c.profile, c.day, got, c.want)
		}
	}
	// Reached and the stages agree: every profile that reached Customer by day 4 is in
	// a stage above Stranger, and has reached Visitor.
	at := on(4)
	stages := j.Stages(at)
	if !stages[Stranger].IsEmpty() {
		t.Errorf("strangers on day 4: %v", stages[Stranger].ToArray())
	}
	if got := j.Reached(at, Visitor).ToArray(); len(got) != 3 {
		t.Errorf("reached Visitor by day 4: %v, want all three", got)
	}
}
