package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDirectChannelName: last-nd passes over the channel -direct names. An export that
// spells it "(direct)", as Google Analytics does, got a last-nd column equal to last
// touch's and no word of why; the report now says so and names the flag, and with the
// flag last-nd passes over it.
func TestDirectChannelName(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ga.csv")
	if err := os.WriteFile(path, []byte("path,conversions,nulls,value\nemail > (direct),2,5,20\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		direct, email, note string
	}{
		{"direct", "2.00 0.00 0.00", `No channel is named "direct", so last-nd is last touch: is it -direct "(direct)"?`},
		{"(direct)", "2.00 0.00 2.00", ""},
		{"", "2.00 0.00 0.00", ""},
	} {
		var out bytes.Buffer
		if err := run(&out, path, 0, false, c.direct); err != nil {
			t.Fatal(err)
		}
		got := out.String()
		// first, last and last-nd of email.
		if row := rowOf(got, "Conversions credited", "email"); !strings.HasPrefix(row, c.email+" ") {
			t.Errorf("-direct %q: email's row %q, want it to start %q\n%s", c.direct, row, c.email, got)
		}
		if has := strings.Contains(got, "No channel is named"); c.note == "" && has || c.note != "" && !strings.Contains(got, c.note) {
			t.Errorf("-direct %q: want the note %q in\n%s", c.direct, c.note, got)
		}
	}
}

// TestDirectHintNone: a GA export's "(none)" is named as a -direct to give, as the
// README says; compared with its parentheses trimmed, it never matched.
func TestDirectHintNone(t *testing.T) {
	for _, c := range []struct{ channels, want string }{
		{"search > (none)", `: is it -direct "(none)"?`},
		{"(direct) > (none)", `: is it -direct "(direct)" or -direct "(none)"?`},
		{"search > email", ": name the direct channel with -direct."},
	} {
		if got := directHint(strings.Split(c.channels, " > "), "direct"); got != c.want {
			t.Errorf("%s: hint %q, want %q", c.channels, got, c.want)
		}
	}
}
