package funnel

// The tests decode partials and journeys through the values their spec makes, as a
// caller does: NewPartial or NewJourneys, then UnmarshalBinary.

func decodeCohortPartial(c Cohorts, data []byte) (*Partial[*Table], error) {
	cp, err := c.NewPartial()
	if err != nil {
		return nil, err
	}
	if err := cp.UnmarshalBinary(data); err != nil {
		return nil, err
	}
	return cp, nil
}

func decodeTrendPartial(tr Trend, data []byte) (*Partial[*TrendResult], error) {
	tp, err := tr.NewPartial()
	if err != nil {
		return nil, err
	}
	if err := tp.UnmarshalBinary(data); err != nil {
		return nil, err
	}
	return tp, nil
}

func decodeJourneys(l Lifecycle, data []byte) (*Journeys, error) {
	j, err := l.NewJourneys()
	if err != nil {
		return nil, err
	}
	if err := j.UnmarshalBinary(data); err != nil {
		return nil, err
	}
	return j, nil
}

// emptyPartial is s.NewPartial for a spec the test knows to be valid.
func emptyPartial(s Spec) *Partial[*Result] {
	pt, err := s.NewPartial()
	if err != nil {
		panic(err)
	}
	return pt
}

// result is p.Result for a partial the test knows to be valid.
func result[R any](p *Partial[R]) R {
	r, err := p.Result()
	if err != nil {
		panic(err)
	}
	return r
}
