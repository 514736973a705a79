package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// TestSample runs the sample file: the profiles, the merge of an anonymous profile into
// an identified one (with its activity), the junk values dropped, and the malformed
// lines reported with their numbers.
func TestSample(t *testing.T) {
	f, err := os.Open("testdata/events.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out, problems bytes.Buffer
	if err := run(&out, &problems, f, queries{
		{"buyers", `did("Order Completed")`},
		{"returning", "days(page, 30d) >= 2"},
		{"coupon_buyers", `did("Coupon Viewed") AND did("Order Completed")`},
	}); err != nil {
		t.Fatal(err)
	}
	got := strings.Join(strings.Fields(out.String()), " ")
	for _, want := range []string{
		"read 16 lines: 12 messages, 4 malformed",
		"identities: 9 identifiers in 2 profiles, 1 merges",
		`dropped email "null" (blocked value) (x1)`,
		"profile 1: anonymous_id=a-100, device_id=dev-1, email=ann.lee@example.com, user_id=u-1 profile",
		"profile 2: anonymous_id=b-200, anonymous_id=c-300, anonymous_id=d-400, phone=+442079460000, user_id=u-2 audiences",
		// The coupon was viewed anonymously by what became profile 3, merged into 2.
		"did Coupon Viewed 1",
		"buyers 2",
		"returning 2",
		// Only after the merge do the coupon and the order belong to one profile.
		"coupon_buyers 1",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "profile 3") {
		t.Errorf("the absorbed profile is still listed:\n%s", got)
	}
	wantProblems := []string{
		`line 9: tracking: bad message: track without "event"`,
		"line 10: tracking: bad message: invalid character",
		`line 11: tracking: bad message: unknown type "screen"`,
		"line 12: tracking: bad message: every identifier was dropped",
	}
	lines := strings.Split(strings.TrimSpace(problems.String()), "\n")
	if len(lines) != len(wantProblems) {
		t.Fatalf("problems:\n%s\nwant %d lines", problems.String(), len(wantProblems))
	}
	for i, w := range wantProblems {
		if !strings.HasPrefix(lines[i], w) {
			t.Errorf("problem %d = %q, want it to start %q", i, lines[i], w)
		}
	}
}

func TestLongAndUnterminatedLines(t *testing.T) {
	in := strings.Repeat("x", maxLine+10) + "\n" +
		`{"type":"page","anonymousId":"a","timestamp":"2025-03-01T09:00:00Z"}`
	var out, problems bytes.Buffer
	if err := run(&out, &problems, strings.NewReader(in), nil); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "read 2 lines: 1 messages, 1 malformed") {
		t.Errorf("output:\n%s", out.String())
	}
	if !strings.HasPrefix(problems.String(), "line 1: line longer than") {
		t.Errorf("problems:\n%s", problems.String())
	}
}

func TestBadQuery(t *testing.T) {
	in := `{"type":"page","anonymousId":"a","timestamp":"2025-03-01T09:00:00Z"}`
	err := run(&bytes.Buffer{}, &bytes.Buffer{}, strings.NewReader(in), queries{{"oops", "did(page"}})
	if err == nil || !strings.Contains(err.Error(), "query oops") {
		t.Errorf("error %v, want one naming the query", err)
	}
}
