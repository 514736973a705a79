package main

import (
	"net/http"
	"testing"
	"time"

	"github.com/clientele-go/clientele"
	"github.com/google/go-cmp/cmp"
)

// TestListSegments: GET /v1/segments answers every saved segment, sorted by name, with
// its definition and member count as GET /v1/segments/NAME gives them; an empty list
// (not null) before any is saved, and a deleted segment is gone from it.
func TestListSegments(t *testing.T) {
	now := time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC)
	s := memoryServer(t, clientele.FixedClock(now))
	base, stop := start(t, s)
	defer func() {
		if err := stop(); err != nil {
			t.Error(err)
		}
	}()
	type item struct {
		Name  string
		Query string
		Size  *uint64
		Error string
	}
	var got struct{ Segments []item }
	call(t, "GET", base+"/v1/segments", "", http.StatusOK, &got)
	if got.Segments == nil || len(got.Segments) != 0 {
		t.Fatalf("before any segment: %+v, want an empty list", got)
	}
	call(t, "POST", base+"/v1/events", calls, http.StatusOK, nil)
	// Saved out of order: the list is by name.
	call(t, "PUT", base+"/v1/segments/visitors", `did(page)`, http.StatusOK, nil)
	call(t, "PUT", base+"/v1/segments/buyers", `did("Order Completed")`, http.StatusOK, nil)
	call(t, "PUT", base+"/v1/segments/browsers", `segment:visitors AND NOT segment:buyers`, http.StatusOK, nil)
	call(t, "PUT", base+"/v1/segments/gone", `did(page)`, http.StatusOK, nil)
	call(t, "DELETE", base+"/v1/segments/gone", "", http.StatusOK, nil)
	call(t, "GET", base+"/v1/segments", "", http.StatusOK, &got)
	var want []item
	for _, name := range []string{"browsers", "buyers", "visitors"} {
		var one struct {
			Name  string
			Query string
			Size  uint64
		}
		call(t, "GET", base+"/v1/segments/"+name, "", http.StatusOK, &one)
		want = append(want, item{Name: one.Name, Query: one.Query, Size: &one.Size})
	}
	if diff := cmp.Diff(want, got.Segments); diff != "" {
		t.Errorf("GET /v1/segments (-want +got):\n%s", diff)
	}
	if *want[0].Size != 1 || *want[1].Size != 1 || *want[2].Size != 2 {
		t.Errorf("sizes %d, %d, %d; want 1, 1, 2 (the calls' two people, one of them a buyer)", *want[0].Size, *want[1].Size, *want[2].Size)
	}
}
