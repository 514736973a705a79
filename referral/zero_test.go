package referral_test

import (
	"testing"
	"time"

	"github.com/clientele-go/clientele/internal/zerocheck"
	"github.com/clientele-go/clientele/referral"
)

// TestZeroValues calls every method of a zero and a nil Program, FileStore and Tree: none
// panics, and those that return an error say ErrInvalid and name the type.
func TestZeroValues(t *testing.T) {
	zerocheck.Methods(t, new(referral.Program), referral.ErrInvalid, "Program")
	zerocheck.Methods(t, new(referral.FileStore), referral.ErrInvalid, "FileStore")
	zerocheck.Methods(t, new(referral.Tree), referral.ErrInvalid, "Tree")
}

// TestNilTreeIsEmpty: a nil Tree (what NewTree returns with an error) is the empty tree.
func TestNilTreeIsEmpty(t *testing.T) {
	var tr *referral.Tree
	g, gok := tr.Generation(1)
	s, sok := tr.Seed(1)
	if g != 0 || gok || s != 0 || sok || tr.Children(1) != nil || tr.Descendants(1) != 0 || tr.Generations() != nil {
		t.Error("a nil Tree knows a profile")
	}
}

// TestZeroProgramAnswersEmpty: the queries of a zero Program answer as an empty ledger
// does, and a zero FileStore's Records yields its error.
func TestZeroProgramAnswersEmpty(t *testing.T) {
	at := time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)
	for _, p := range []*referral.Program{new(referral.Program), nil} {
		if b := p.Balance(at, 1); b != (referral.Balance{}) {
			t.Errorf("Balance = %+v, want zero", b)
		}
		if r, ok := p.Referrer(1); r != 0 || ok {
			t.Errorf("Referrer = %d, %v", r, ok)
		}
		if p.Entries(1) != nil || p.Payables(at) != nil || p.Signups() != nil || p.Invites() != nil || p.Position() != 0 {
			t.Error("a zero Program's queries answer something")
		}
	}
	for _, err := range new(referral.FileStore).Records() {
		if err == nil {
			t.Error("a zero FileStore's Records yielded no error")
		}
	}
}
