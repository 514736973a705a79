package funnel

import (
	"testing"
	"time"
)

// TestPeriodWhereMidnightIsSkipped uses Atlantic/Azores, whose clocks go from 00:00 to
// 01:00 on the last Sunday of March: the Sunday's period must start on the Sunday (at
// 01:00), not at 23:00 of the Saturday as time.Date has it, and the Saturday's cell
// must not count as complete before the Saturday has ended.
func TestPeriodWhereMidnightIsSkipped(t *testing.T) {
	azores, err := time.LoadLocation("Atlantic/Azores")
	if err != nil {
		t.Skip(err)
	}
	saturday := time.Date(2026, 3, 28, 10, 0, 0, 0, azores)
	sunday := time.Date(2026, 3, 29, 10, 0, 0, 0, azores)
	sundayStart := time.Date(2026, 3, 29, 1, 0, 0, 0, azores)
	events := []Event{
		{Profile: 1, Time: saturday, Name: "a"},
		{Profile: 2, Time: sunday, Name: "a"},
	}
	tr, err := Trend{Spec: Spec{Steps: named("a")}, By: Day, Location: azores}.Run(events)
	if err != nil {
		t.Fatal(err)
	}
	if len(tr.Periods) != 2 || !tr.Periods[1].Start.Equal(sundayStart) {
		t.Fatalf("trend periods %+v, want the second to start at %v", tr.Periods, sundayStart)
	}
	// Friday's cohort, column 1: the Saturday.
	friday := []Event{{Profile: 3, Time: time.Date(2026, 3, 27, 10, 0, 0, 0, azores), Name: "a"}}
	c := Cohorts{Start: Step{Name: "a"}, By: Day, Periods: 1, Location: azores, AsOf: time.Date(2026, 3, 28, 23, 30, 0, 0, azores)}
	tab, err := c.Run(friday)
	if err != nil {
		t.Fatal(err)
	}
	if got := tab.Cohorts[0].Complete[1]; got {
		t.Errorf("the Saturday's cell is complete at 23:30 that Saturday")
	}
	c.AsOf = time.Time{}
	tab, err = c.Run(events)
	if err != nil {
		t.Fatal(err)
	}
	if len(tab.Cohorts) != 2 || !tab.Cohorts[1].Start.Equal(sundayStart) {
		t.Fatalf("cohorts %+v, want the second to start at %v", tab.Cohorts, sundayStart)
	}
	sk, err := Stickiness{Event: Step{Name: "a"}, By: Month, Location: azores}.Run(events)
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 3, 1, 0, 0, 0, 0, azores); len(sk.Periods) != 1 || !sk.Periods[0].Start.Equal(want) {
		t.Fatalf("stickiness periods %+v, want one from %v", sk.Periods, want)
	}
}
