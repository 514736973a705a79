package match_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/clientele-go/clientele/identity/match"
	"pgregory.net/rapid"
)

// modelBytes is a model as a caller would save it, to compare two models byte for byte.
func modelBytes(t interface{ Fatal(...any) }, m *match.Model) string {
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// EM stopped at MaxIter before its parameters settle is reported as such: Converged
// false, Iterations = MaxIter and the change still above Tol. Train said nothing of it
// before TrainOptions.Report, and the model it returned looked like any other.
func TestTrainReportSaysEMStoppedAtMaxIter(t *testing.T) {
	l := mustNew(t, twins(), threeComparisons(byCity))
	var full match.TrainReport
	if _, err := l.Train(&match.TrainOptions{Seed: 1, Report: &full}); err != nil {
		t.Fatal(err)
	}
	if len(full.Sessions) != 1 || full.Sessions[0].Iterations <= 2 {
		t.Fatalf("twins need more than 2 EM iterations for the test to mean anything: %+v", full.Sessions)
	}
	for _, maxIter := range []int{1, 2} {
		for _, fitU := range []bool{false, true} {
			var r match.TrainReport
			if _, err := l.Train(&match.TrainOptions{Seed: 1, FitU: fitU, MaxIter: maxIter, Report: &r}); err != nil {
				t.Fatal(err)
			}
			if len(r.Sessions) != 1 {
				t.Fatalf("MaxIter %d, FitU %v: %d session reports, want 1", maxIter, fitU, len(r.Sessions))
			}
			s := r.Sessions[0]
			if s.Converged || s.Iterations != maxIter || !(s.Change > 1e-6) || s.LeftOut != match.Kept {
				t.Errorf("MaxIter %d, FitU %v: %+v; want not converged after %d iterations, change > 1e-6, kept", maxIter, fitU, s, maxIter)
			}
		}
	}
}

// The known limit of emstart, now visible: with u fixed, records all alike make one
// repeated vector, on which lambda climbs to 1 geometrically and EM reaches the cap
// of 1000 iterations (the default) without converging. The model is trained all the
// same.
func TestTrainReportSaysRecordsAllAlikeHitTheCap(t *testing.T) {
	var alike []match.Record
	for range 40 {
		alike = append(alike, match.Record{FirstName: "ann", Surname: "lee", Email: "ann@example.com", City: "Leeds"})
	}
	l := mustNew(t, alike, threeComparisons(byCity))
	var r match.TrainReport
	if _, err := l.Train(&match.TrainOptions{Seed: 1, Report: &r}); err != nil {
		t.Fatal(err)
	}
	if len(r.Sessions) != 1 {
		t.Fatalf("%d session reports, want 1", len(r.Sessions))
	}
	if s := r.Sessions[0]; s.Converged || s.Iterations != 1000 || s.Stats.Pairs != 40*39/2 {
		t.Errorf("records all alike: %+v; want 780 pairs, not converged after 1000 iterations", s)
	}
}

// A session that converges says so, with the pairs it ran on, a lambda in (0, 1) and
// the comparisons it estimated; a nil Report changes nothing in the model.
func TestTrainReportConverged(t *testing.T) {
	l := mustNew(t, twins(), threeComparisons(byCity))
	want, err := l.Train(&match.TrainOptions{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, fitU := range []bool{false, true} {
		var r match.TrainReport
		got, err := l.Train(&match.TrainOptions{Seed: 1, FitU: fitU, Report: &r})
		if err != nil {
			t.Fatal(err)
		}
		if !fitU && modelBytes(t, got) != modelBytes(t, want) {
			t.Errorf("model with a report %s, without %s", modelBytes(t, got), modelBytes(t, want))
		}
		if len(r.Sessions) != 1 {
			t.Fatalf("FitU %v: %d session reports, want 1", fitU, len(r.Sessions))
		}
		s := r.Sessions[0]
		// 200 records of Leeds: every pair is a candidate, 100 of them matches.
		if !s.Converged || s.Iterations < 2 || s.Iterations >= 100 || !(s.Change <= 1e-6) ||
			s.Stats.Pairs != 200*199/2 || !(s.Lambda > 0.003 && s.Lambda < 0.007) || !(s.Separation > 10) ||
			s.LeftOut != match.Kept || s.Session != 0 || !slices.Equal(s.Fields, []string{"city"}) ||
			!slices.Equal(s.Estimated, []string{"first_name", "surname", "email"}) {
			t.Errorf("FitU %v: %+v; want converged within 100 iterations on 19900 pairs, lambda near 100/19900, kept, estimating every comparison", fitU, s)
		}
	}
}

// Each reason for leaving a session out is reported, with the session's index and
// rule, also when Train fails because of it; and a left-out session changes nothing
// in the model.
func TestTrainReportSaysWhySessionsWereLeftOut(t *testing.T) {
	byPhone := match.BlockingRule{Fields: []string{match.FieldPhone}} // no record has one
	all := match.BlockingRule{Fields: []string{match.FieldFirstName, match.FieldSurname, match.FieldEmail}}
	l := mustNew(t, twins(), threeComparisons(byCity, byPhone))
	want, err := l.Train(&match.TrainOptions{Seed: 1, Sessions: []match.BlockingRule{byCity}})
	if err != nil {
		t.Fatal(err)
	}
	var r match.TrainReport
	got, err := l.Train(&match.TrainOptions{Seed: 1, Sessions: []match.BlockingRule{byPhone, all, byCity}, Report: &r})
	if err != nil {
		t.Fatal(err)
	}
	if modelBytes(t, got) != modelBytes(t, want) {
		t.Errorf("with sessions left out %s, without %s", modelBytes(t, got), modelBytes(t, want))
	}
	if len(r.Sessions) != 3 {
		t.Fatalf("%d session reports, want 3: %+v", len(r.Sessions), r.Sessions)
	}
	if s := r.Sessions[0]; s.Session != 0 || !slices.Equal(s.Fields, []string{"phone"}) || s.LeftOut != match.NoPairs ||
		s.Stats.Pairs != 0 || s.Iterations != 0 || s.Estimated != nil {
		t.Errorf("session on phone: %+v; want left out for no pairs, no EM", s)
	}
	if s := r.Sessions[1]; s.Session != 1 || len(s.Fields) != 3 || s.LeftOut != match.NoComparison || s.Stats.Pairs == 0 || s.Estimated != nil {
		t.Errorf("session on every compared field: %+v; want left out for estimating no comparison", s)
	}
	if s := r.Sessions[2]; s.Session != 2 || s.LeftOut != match.Kept || !s.Converged {
		t.Errorf("session on city: %+v; want kept, converged", s)
	}

	// 40 people of one city, each once: EM finds no match class, Train fails, and the
	// report says what the session found.
	var people []match.Record
	for i := range 40 {
		people = append(people, match.Record{FirstName: fmt.Sprint("ann", i), Surname: fmt.Sprint("lee", i), Email: fmt.Sprint(i, "@example.com"), City: "Leeds"})
	}
	for _, fitU := range []bool{false, true} {
		l := mustNew(t, people, threeComparisons(byCity))
		if _, err := l.Train(&match.TrainOptions{Seed: 1, FitU: fitU, Report: &r}); !errors.Is(err, match.ErrInvalid) {
			t.Fatalf("FitU %v: Train on people without duplicates: %v, want ErrInvalid", fitU, err)
		}
		if len(r.Sessions) != 1 {
			t.Fatalf("FitU %v: %d session reports, want 1", fitU, len(r.Sessions))
		}
		if s := r.Sessions[0]; s.LeftOut != match.NoMatchClass || s.Separation > 0 || s.Stats.Pairs != 40*39/2 || s.Iterations < 1 ||
			!slices.Equal(s.Estimated, []string{"first_name", "surname", "email"}) {
			t.Errorf("FitU %v: %+v; want left out for no match class, separation <= 0", fitU, s)
		}
	}
	// A reused report is emptied, also when Train fails before any session.
	if _, err := l.Train(&match.TrainOptions{MaxIter: -1, Report: &r}); !errors.Is(err, match.ErrInvalid) || r.Sessions != nil {
		t.Errorf("Train with MaxIter -1: %v, report %+v; want ErrInvalid and an empty report", err, r)
	}
}

// Whatever the records, sessions and options, the report is consistent: one entry per
// session in order; no pairs iff NoPairs, with no EM; otherwise 1 to MaxIter
// iterations, Converged iff the last change <= Tol, not converged only at MaxIter, and
// EM stopped at the first iteration that converged (with one iteration fewer it is not
// converged); the estimated comparisons are those the rule does not block on, none iff
// NoComparison, NoMatchClass iff the separation is not positive; Train succeeds iff
// the sessions kept estimate every comparison; and the model is byte for byte the one
// trained on the kept sessions alone, and the one trained without a report.
func TestTrainReportConsistent(t *testing.T) {
	pool := []match.BlockingRule{
		byCity,
		{Fields: []string{match.FieldSurname}},
		{Fields: []string{match.FieldFirstName}},
		{Fields: []string{match.FieldEmail}},
		{Fields: []string{match.FieldPhone}},
		{Fields: []string{match.FieldFirstName, match.FieldSurname, match.FieldEmail}},
		{Fields: []string{match.FieldCity, match.FieldSurname}},
	}
	compared := []string{"first_name", "surname", "email"}
	rapid.Check(t, func(t *rapid.T) {
		pick := func(label string, vs ...string) string { return rapid.SampledFrom(vs).Draw(t, label) }
		n := rapid.IntRange(2, 30).Draw(t, "records")
		recs := make([]match.Record, n)
		for i := range recs {
			recs[i] = match.Record{
				FirstName: pick("first", "", "ann", "anne", "bob", "rob", "sue"),
				Surname:   pick("surname", "", "lee", "shaw", "shaws"),
				Email:     pick("email", "", "a@x", "b@x", "c@x"),
				City:      pick("city", "", "leeds", "york"),
			}
		}
		l, err := match.New(recs, threeComparisons(byCity, match.BlockingRule{Fields: []string{match.FieldPhone}}))
		if err != nil {
			t.Fatal(err)
		}
		sessions := rapid.SliceOfN(rapid.SampledFrom(pool), 1, 5).Draw(t, "sessions")
		opts := match.TrainOptions{
			Sessions:    sessions,
			Seed:        rapid.Uint64().Draw(t, "seed"),
			FitU:        rapid.Bool().Draw(t, "fitU"),
			RandomPairs: rapid.SampledFrom([]int{0, 1, 3}).Draw(t, "random pairs"),
			MaxIter:     rapid.SampledFrom([]int{0, 1, 2, 3, 5, 1000}).Draw(t, "max iter"),
			Tol:         rapid.SampledFrom([]float64{0, 1e-12, 1e-3, 0.5}).Draw(t, "tol"),
		}
		maxIter, tol := opts.MaxIter, opts.Tol
		if maxIter == 0 {
			maxIter = 1000
		}
		if tol == 0 {
			tol = 1e-6
		}
		var r match.TrainReport
		ro := opts
		ro.Report = &r
		m, err := l.Train(&ro)
		if err != nil && !errors.Is(err, match.ErrInvalid) {
			t.Fatalf("Train: %v", err)
		}
		if len(r.Sessions) != len(sessions) {
			t.Fatalf("%d session reports for %d sessions", len(r.Sessions), len(sessions))
		}
		var kept []match.BlockingRule
		covered := map[string]bool{}
		for si, s := range r.Sessions {
			if s.Session != si || !slices.Equal(s.Fields, sessions[si].Fields) {
				t.Fatalf("report %d is of session %d %v, want %v", si, s.Session, s.Fields, sessions[si].Fields)
			}
			if (s.Stats.Pairs == 0) != (s.LeftOut == match.NoPairs) {
				t.Fatalf("session %d: %d pairs, left out %v", si, s.Stats.Pairs, s.LeftOut)
			}
			if s.Stats.Pairs == 0 {
				if s.Iterations != 0 || s.Estimated != nil {
					t.Fatalf("session %d without pairs ran EM: %+v", si, s)
				}
				continue
			}
			if s.Iterations < 1 || s.Iterations > maxIter {
				t.Fatalf("session %d: %d iterations, MaxIter %d", si, s.Iterations, maxIter)
			}
			if s.Converged != (s.Change <= tol) || (!s.Converged && s.Iterations != maxIter) {
				t.Fatalf("session %d: converged %v, change %v, tol %v, %d of %d iterations", si, s.Converged, s.Change, tol, s.Iterations, maxIter)
			}
			if !(s.Lambda >= 1e-6 && s.Lambda <= 1-1e-6) {
				t.Fatalf("session %d: lambda %v", si, s.Lambda)
			}
			want := slices.DeleteFunc(slices.Clone(compared), func(c string) bool { return slices.Contains(s.Fields, c) })
			for _, c := range s.Estimated {
				if !slices.Contains(want, c) {
					t.Fatalf("session %d on %v estimated %v", si, s.Fields, s.Estimated)
				}
			}
			if (len(s.Estimated) == 0) != (s.LeftOut == match.NoComparison) ||
				(len(s.Estimated) > 0 && (s.Separation > 0) != (s.LeftOut == match.Kept)) {
				t.Fatalf("session %d: estimated %v, separation %v, left out %v", si, s.Estimated, s.Separation, s.LeftOut)
			}
			if s.LeftOut == match.Kept {
				kept = append(kept, sessions[si])
				for _, c := range s.Estimated {
					covered[c] = true
				}
			}
			// EM stops at the first iteration whose change is <= Tol: one fewer
			// iteration allowed leaves it unconverged.
			if s.Converged && s.Iterations > 1 {
				var r2 match.TrainReport
				o2 := opts
				o2.MaxIter, o2.Report = s.Iterations-1, &r2
				l.Train(&o2)
				if s2 := r2.Sessions[si]; s2.Converged || s2.Iterations != s.Iterations-1 {
					t.Fatalf("session %d converged after %d iterations, and also after %d: %+v", si, s.Iterations, s2.Iterations, s2)
				}
			}
		}
		if (err == nil) != (len(covered) == len(compared)) {
			t.Fatalf("Train: %v, yet the kept sessions estimate %v", err, covered)
		}
		if err != nil {
			return
		}
		plain, err := l.Train(&opts)
		if err != nil || modelBytes(t, plain) != modelBytes(t, m) {
			t.Fatalf("without a report: %v, %v; with: %v", plain, err, m)
		}
		ko := opts
		ko.Sessions = kept
		alone, err := l.Train(&ko)
		if err != nil || modelBytes(t, alone) != modelBytes(t, m) {
			t.Fatalf("kept sessions %v alone: %v, %v; all %v: %v", kept, alone, err, sessions, m)
		}
	})
}
