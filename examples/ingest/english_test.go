package main

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/clientele-go/clientele/internal/tracking"
)

// TestOneMoreInEnglish: the lines saying what was left out count one thing in the
// singular. They printed "... and 1 more bad lines" (101 bad lines, 100 listed) and
// "... and 1 more profiles" (-profiles 1 of 2).
func TestOneMoreInEnglish(t *testing.T) {
	var in strings.Builder
	for range tracking.DefaultMaxErrors + 1 {
		in.WriteString("{bad\n")
	}
	for i := range 2 {
		fmt.Fprintf(&in, `{"type":"page","anonymousId":"a%d","timestamp":"2025-03-01T09:00:00Z"}`+"\n", i)
	}
	var out, problems bytes.Buffer
	if err := run(&out, &problems, strings.NewReader(in.String()), nil, time.Time{}, 1); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(problems.String(), "... and 1 more bad line, not shown\n") {
		t.Errorf("problems end:\n%s", problems.String()[max(0, problems.Len()-200):])
	}
	if !strings.Contains(out.String(), "... and 1 more profile, not shown") {
		t.Errorf("output:\n%s", out.String())
	}
}
