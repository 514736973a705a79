package loyalty_test

import (
	"testing"
	"time"

	"github.com/clientele-go/clientele/internal/zerocheck"
	"github.com/clientele-go/clientele/referral/loyalty"
)

// TestZeroValues calls every method of a zero and a nil Ledger and FileStore: none
// panics, and those that return an error say ErrInvalid and name the type.
func TestZeroValues(t *testing.T) {
	zerocheck.Methods(t, new(loyalty.Ledger), loyalty.ErrInvalid, "Ledger")
	zerocheck.Methods(t, new(loyalty.FileStore), loyalty.ErrInvalid, "FileStore")
}

// TestZeroLedgerAnswersEmpty: the queries of a zero Ledger answer with zero values.
func TestZeroLedgerAnswersEmpty(t *testing.T) {
	at := time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)
	for _, l := range []*loyalty.Ledger{new(loyalty.Ledger), nil} {
		if b := l.Balance(at, 1); b != (loyalty.Balance{}) {
			t.Errorf("Balance = %+v, want zero", b)
		}
		if l.Lots(at, 1) != nil || l.TierHistory(at, 1) != nil || l.Position() != 0 {
			t.Error("a zero Ledger's queries answer something")
		}
		for c := range l.TierChanges(at.AddDate(-1, 0, 0), at) {
			t.Errorf("TierChanges yielded %+v", c)
		}
	}
}
