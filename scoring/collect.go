package scoring

import (
	"cmp"
	"iter"
	"slices"
)

// purchase is one period's collapsed purchases of a profile.
type purchase struct {
	period int64
	amount float64
}

// lateKey names a period of a profile that arrived after a later period of that
// profile had been collected.
type lateKey struct {
	profile uint32
	period  int64
}

// collect reads the transactions up to the period last, validating each, and groups
// them by profile, sorted and collapsed by period.
//
// Rows are folded into their period as they arrive, so memory grows with the
// profile-periods, not the rows: a streamed file of millions of rows on a few days per
// customer is held as those days. A period's amount is the sum of its rows in input
// order, ((a1 + a2) + a3)..., the order the former collect-all, stable-sort-then-sum
// code added them in, so every sum is the same to the bit: each period has exactly one
// running sum, whichever structure holds it, and every row of that period is added to
// it in turn. Rows arriving in period order (the usual file, sorted by time or grouped
// by profile and time) append to or add into the profile's sorted slice; a row of an
// earlier period already in the slice adds into it in place (binary search); only a
// period first seen after a later one of the same profile goes to the late map, merged
// into the slice once the stream ends. Inserting it into the slice instead would cost
// a copy of the slice's tail per such period: quadratic for a profile read backwards.
func collect(txs iter.Seq[Transaction], o SummaryOptions, last int64) (map[uint32][]purchase, error) {
	byProfile := map[uint32][]purchase{}
	var late map[lateKey]float64
	i := 0
	for tx := range txs {
		if err := checkTransaction(i, tx); err != nil {
			return nil, err
		}
		i++
		p := o.period(tx.Time)
		if p > last {
			continue
		}
		ps := byProfile[tx.Profile]
		n := len(ps)
		switch {
		case n == 0 || p > ps[n-1].period:
			// A late period is below the slice's last period when it is put in the
			// map, and that last period only grows: p is in neither.
			byProfile[tx.Profile] = append(ps, purchase{p, tx.Amount})
		case p == ps[n-1].period:
			ps[n-1].amount += tx.Amount
		default:
			if k, ok := slices.BinarySearchFunc(ps, p, byPeriod); ok {
				ps[k].amount += tx.Amount
				break
			}
			if late == nil {
				late = map[lateKey]float64{}
			}
			// The first row is stored, not added to zero: 0 + -0 is +0, and the old
			// code kept the first row's amount as it was.
			key := lateKey{tx.Profile, p}
			if sum, ok := late[key]; ok {
				late[key] = sum + tx.Amount
			} else {
				late[key] = tx.Amount
			}
		}
	}
	if len(late) > 0 {
		for key, amount := range late {
			byProfile[key.profile] = append(byProfile[key.profile], purchase{key.period, amount})
		}
		for id, ps := range byProfile {
			if !slices.IsSortedFunc(ps, comparePeriods) {
				// Periods are distinct, so any sort gives the one order.
				slices.SortFunc(ps, comparePeriods)
				byProfile[id] = ps
			}
		}
	}
	return byProfile, nil
}

func byPeriod(p purchase, t int64) int { return cmp.Compare(p.period, t) }

func comparePeriods(a, b purchase) int { return cmp.Compare(a.period, b.period) }

// checkTransaction refuses transaction i of a stream when it is not one collect can
// sum: profile 0, a zero time, a negative, NaN or infinite amount, or one over
// MaxAmount.
func checkTransaction(i int, tx Transaction) error {
	switch {
	case tx.Profile == 0:
		return errorf("transaction %d: %w: profile 0", i, ErrInvalid)
	case !finite(tx.Amount) || tx.Amount < 0:
		return errorf("transaction %d (profile %d): %w: amount %v", i, tx.Profile, ErrInvalid, tx.Amount)
	case tx.Amount > MaxAmount:
		return errorf("transaction %d (profile %d): %w: amount %v is over MaxAmount, %g: not a money figure", i, tx.Profile, ErrInvalid, tx.Amount, float64(MaxAmount))
	case tx.Time.IsZero():
		// A missing timestamp, not a purchase in year 1: it made a customer two
		// thousand years old, and its T dragged every fit.
		return errorf("transaction %d (profile %d): %w: missing time", i, tx.Profile, ErrInvalid)
	}
	return nil
}
