package main

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/clientele-go/clientele/identity"
	"github.com/clientele-go/clientele/identity/match"
	"github.com/clientele-go/clientele/internal/synth"
)

// matched is what probabilistic matching added after the deterministic resolution:
// loyalty cards filled in at the till share no identifier with anything, so only their
// name, city and (often mistyped) phone can join them to the person's web account.
type matched struct {
	cards, pairs int
	skipped      int64
	untrained    error // why no model could be trained (a base too small), or nil
	merges       int   // profiles joined by a match
	right        int   // of them, joined records of one person (the generator's truth)
	// unsettled names the training sessions whose EM stopped at MaxIter before its
	// parameters settled (TrainReport), so that the report can say its weights are
	// approximate; nil on the normal path.
	unsettled []string
}

// matchThreshold is the match weight, in bits, at which a pair is linked: posterior odds
// of 2^10 to 1.
const matchThreshold = 10

// matchContacts links each loyalty card into the resolver as a profile of its own,
// trains a Fellegi-Sunter model without labels on the web accounts and cards, and feeds
// the pairs at matchThreshold or more to the resolver, heaviest first, grading each
// merge against the truth. It runs after the events were resolved and counted, so the
// rest of the report is unchanged.
func matchContacts(ctx context.Context, res *identity.Resolver, p synth.Params) (matched, error) {
	var m matched
	var recs []match.Record
	var ids []identity.ID
	var person []int
	at := p.End()
	for c := range synth.Contacts(p) {
		id := identity.ID(c.ID)
		if c.ID.Kind == "loyalty_card" {
			m.cards++
			if _, err := res.Link(ctx, at, "store", id); err != nil {
				return m, fmt.Errorf("link loyalty card %s: %w", c.ID.Value, err)
			}
		}
		recs = append(recs, match.Record{FirstName: c.FirstName, Surname: c.Surname, City: c.City, Email: c.Email, Phone: mobile(c.Phone)})
		ids = append(ids, id)
		person = append(person, c.Person)
	}
	exactOrClose := func(f string) match.Comparison {
		return match.Comparison{Field: f, TermFrequency: true, Levels: []match.Level{{Kind: match.Exact}, {Kind: match.JaroWinkler, Threshold: 0.9}}}
	}
	l, err := match.New(recs, match.Settings{
		Comparisons: []match.Comparison{
			exactOrClose(match.FieldFirstName),
			exactOrClose(match.FieldSurname),
			{Field: match.FieldPhone, Levels: []match.Level{{Kind: match.Exact}, {Kind: match.DamerauLevenshtein, Threshold: 1}}},
			{Field: match.FieldCity, TermFrequency: true, Levels: []match.Level{{Kind: match.Exact}}},
			{Field: match.FieldEmail, Levels: []match.Level{{Kind: match.Exact}}},
		},
		Blocking: []match.BlockingRule{
			{Fields: []string{match.FieldPhone}},
			{Fields: []string{match.FieldSurname, match.FieldCity}},
			{Fields: []string{match.FieldFirstName, match.FieldCity}},
		},
	})
	var model *match.Model
	var report match.TrainReport
	if err == nil {
		// The default cap of 1000 EM iterations lets the sessions on a name and the
		// city settle (at 100,000 people they need about 550); the report below warns
		// if one still does not.
		model, err = l.Train(&match.TrainOptions{Seed: p.Seed, Report: &report})
	}
	for _, s := range report.Sessions {
		if s.LeftOut == match.Kept && !s.Converged {
			m.unsettled = append(m.unsettled, strings.Join(s.Fields, " and "))
		}
	}
	if err != nil {
		// The settings are fixed, so on a generated base only its size can refuse
		// them: too few records, or too few pairs for EM to estimate a comparison.
		// The report says so and goes on.
		m.untrained = err
		return m, nil
	}
	pairs, st, err := l.Predict(model, matchThreshold)
	if err != nil {
		return m, err
	}
	m.pairs, m.skipped = len(pairs), st.Skipped
	slices.SortStableFunc(pairs, func(x, y match.Scored) int { return cmp.Compare(y.Weight, x.Weight) })
	for _, pr := range pairs {
		n, err := match.Link(ctx, res, at, ids, []match.Scored{pr}, matchThreshold)
		if err != nil {
			return m, err
		}
		m.merges += n
		if n > 0 && person[pr.A] == person[pr.B] {
			m.right++
		}
	}
	return m, nil
}

// mobile keeps the 11-digit national number of a phone however it was written.
func mobile(v string) string {
	var b strings.Builder
	for _, c := range v {
		if c >= '0' && c <= '9' {
			b.WriteRune(c)
		}
	}
	s := b.String()
	return s[max(0, len(s)-11):]
}
