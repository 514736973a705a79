package match

import "testing"

// TestDefaultMaxIterSettlesSlowSessions: the default cap was 100 EM iterations, and
// fake_1000's birth-date session with FitU needs about 410 to settle, so with default
// options it stopped unsettled (TrainReport: Converged false, still moving by 3e-4)
// and the model kept its weights where EM happened to be. The default of 1000 lets it
// converge.
func TestDefaultMaxIterSettlesSlowSessions(t *testing.T) {
	recs, _ := loadFake1000(t)
	l, err := New(recs, fake1000Settings())
	if err != nil {
		t.Fatal(err)
	}
	var r TrainReport
	if _, err := l.Train(&TrainOptions{Sessions: fake1000Sessions(), FitU: true, Report: &r}); err != nil {
		t.Fatal(err)
	}
	slow := false
	for _, s := range r.Sessions {
		if !s.Converged {
			t.Errorf("session %d (%v) stopped after %d iterations, still moving by %.2g: default options do not let it settle", s.Session, s.Fields, s.Iterations, s.Change)
		}
		slow = slow || s.Iterations > 100
	}
	if !slow {
		t.Errorf("no session needed more than 100 iterations (%+v): the test no longer covers the default cap", r.Sessions)
	}
}
