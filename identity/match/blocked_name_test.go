package match_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/clientele-go/clientele/identity/match"
)

// An e-mail is only trimmed and lower-cased, so it keeps a control character or a NUL,
// which is also the blocking key's separator. PairStats.Blocked and Train's error
// printed it raw: a NUL showed as " | ", as if the rule had two fields, and a newline
// or an escape sequence broke the line or the reader's terminal. They show each value
// as internal/english.Name does, quoted with Go's escapes when not printable.
func TestBlockedValuesQuoted(t *testing.T) {
	var records []match.Record
	for _, e := range []string{"spam\x00@x.com", "a\nb@x.com", "\x1b[2Jc@x.com", "ann@example.com"} {
		for i := range 3 {
			records = append(records, match.Record{Surname: fmt.Sprint("s", i), Email: e})
		}
	}
	l, err := match.New(records, match.Settings{
		Comparisons: []match.Comparison{{Field: match.FieldSurname, Levels: []match.Level{{Kind: match.Exact}}}},
		Blocking: []match.BlockingRule{{Fields: []string{match.FieldEmail}},
			{Fields: []string{match.FieldEmail, match.FieldCity}}, {Fields: []string{match.FieldSurname, match.FieldEmail}}},
		MaxBlock: 2,
	})
	if err != nil {
		t.Fatal(err)
	}
	model := &match.Model{Prior: 0.1, M: [][]float64{{0.9, 0.1}}, U: [][]float64{{0.1, 0.9}}}
	_, st, err := l.Predict(model, 0)
	if err != nil {
		t.Fatal(err)
	}
	// Blocks of equal size come in key order; rule 1 blocks nothing (no city), and
	// rule 2's blocks hold one record each.
	want := []string{
		`rule 0: "\x1b[2jc@x.com" (3 records)`,
		`rule 0: "a\nb@x.com" (3 records)`,
		`rule 0: ann@example.com (3 records)`,
		`rule 0: "spam\x00@x.com" (3 records)`,
	}
	if strings.Join(st.Blocked, "\n") != strings.Join(want, "\n") {
		t.Errorf("Blocked:\n%s\nwant:\n%s", strings.Join(st.Blocked, "\n"), strings.Join(want, "\n"))
	}

	// A rule of two fields joins its values, each shown on its own.
	two := make([]match.Record, 3)
	for i := range two {
		two[i] = match.Record{Surname: "li", Email: "x\x00y@x.com"}
	}
	l2, err := match.New(two, match.Settings{
		Comparisons: []match.Comparison{{Field: match.FieldSurname, Levels: []match.Level{{Kind: match.Exact}}}},
		Blocking:    []match.BlockingRule{{Fields: []string{match.FieldSurname, match.FieldEmail}}},
		MaxBlock:    2,
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, st, err := l2.Predict(model, 0); err != nil || len(st.Blocked) != 1 || st.Blocked[0] != `rule 0: li | "x\x00y@x.com" (3 records)` {
		t.Errorf("Blocked = %q, %v; want [rule 0: li | \"x\\x00y@x.com\" (3 records)]", st.Blocked, err)
	}

	// Train's error lists the session's over-cap blocks the same way.
	_, err = l.Train(&match.TrainOptions{Seed: 1, Sessions: []match.BlockingRule{{Fields: []string{match.FieldEmail}}}})
	if !errors.Is(err, match.ErrInvalid) {
		t.Fatalf("Train = %v, want ErrInvalid", err)
	}
	if says := `skipping blocks over MaxBlock 2 ("\x1b[2jc@x.com" (3 records), "a\nb@x.com" (3 records), ann@example.com (3 records), "spam\x00@x.com" (3 records))`; !strings.Contains(err.Error(), says) {
		t.Errorf("Train's error %q does not say %q", err, says)
	}
	if strings.ContainsAny(err.Error(), "\x00\n\x1b") {
		t.Errorf("Train's error %q holds a control character", err)
	}
}
