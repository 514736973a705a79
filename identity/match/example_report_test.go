package match_test

import (
	"fmt"
	"strings"

	"github.com/clientele-go/clientele/identity/match"
)

// A TrainReport says what each training session's EM did, as Splink's training log
// does: here the session on first names and the one on birth dates converge (every
// pair sharing a birth date is one person's two accounts, hence lambda 1), and the
// one on e-mail addresses, which no two records share, is left out. With MaxIter 2 EM
// stops before its parameters settle, and the report says so: the model trains all
// the same, so a caller that must trust it checks Converged.
func ExampleTrainReport() {
	var records []match.Record
	first := []string{"anna", "ben", "carl", "dora", "emil", "fay", "gus", "hana", "ivo", "jan", "kim", "lea"}
	last := []string{"lindqvist", "ottoson", "ruiz", "sato", "bergman", "nagy", "kuhn", "morales",
		"valente", "wolff", "zorn", "ames", "brandt", "castillo", "duarte", "engel", "fischer"}
	for p := range 120 {
		f, s := first[p%len(first)], last[p%len(last)]
		r := match.Record{FirstName: f, Surname: s, Email: fmt.Sprintf("%s.%s%d@mail.test", f, s, p),
			Birth: fmt.Sprintf("19%02d-%02d-%02d", 50+p%40, 1+p%12, 1+p%28)}
		records = append(records, r)
		if p%2 == 0 { // a second account: surname mistyped, e-mail left out
			r.Surname, r.Email = s[:1]+s[2:3]+s[1:2]+s[3:], ""
			records = append(records, r)
		}
	}
	l, err := match.New(records, match.Settings{
		Comparisons: []match.Comparison{
			{Field: match.FieldFirstName, Levels: []match.Level{{Kind: match.Exact}}},
			{Field: match.FieldSurname, Levels: []match.Level{{Kind: match.Exact}, {Kind: match.JaroWinkler, Threshold: 0.9}}},
			{Field: match.FieldEmail, Levels: []match.Level{{Kind: match.Exact}}},
			{Field: match.FieldBirth, Levels: []match.Level{{Kind: match.Exact}, {Kind: match.DateWithin, Threshold: 30}}},
		},
		Blocking: []match.BlockingRule{
			{Fields: []string{match.FieldFirstName}},
			{Fields: []string{match.FieldBirth}},
			{Fields: []string{match.FieldEmail}},
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	var report match.TrainReport
	if _, err := l.Train(&match.TrainOptions{Report: &report}); err != nil {
		fmt.Println(err)
		return
	}
	for _, s := range report.Sessions {
		fmt.Printf("session %d (%s): ", s.Session, strings.Join(s.Fields, ", "))
		if s.LeftOut != match.Kept {
			fmt.Printf("%d pairs, left out: %v\n", s.Stats.Pairs, s.LeftOut)
			continue
		}
		fmt.Printf("%d pairs, %d iterations, converged %v, lambda %.3f, estimated %s\n",
			s.Stats.Pairs, s.Iterations, s.Converged, s.Lambda, strings.Join(s.Estimated, ", "))
	}

	if _, err := l.Train(&match.TrainOptions{MaxIter: 2, Report: &report}); err != nil {
		fmt.Println(err)
		return
	}
	for _, s := range report.Sessions {
		if s.LeftOut == match.Kept && !s.Converged {
			fmt.Printf("MaxIter 2: session %d stopped after %d iterations, still moving by %.1g\n", s.Session, s.Iterations, s.Change)
		}
	}
	// Output:
	// session 0 (first_name): 1410 pairs, 5 iterations, converged true, lambda 0.042, estimated surname, email, birth
	// session 1 (birth): 60 pairs, 4 iterations, converged true, lambda 1.000, estimated first_name, surname
	// session 2 (email): 0 pairs, left out: no pairs
	// MaxIter 2: session 0 stopped after 2 iterations, still moving by 0.004
	// MaxIter 2: session 1 stopped after 2 iterations, still moving by 0.01
}
