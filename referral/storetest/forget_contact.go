package storetest

import (
	"context"
	"fmt"

	"github.com/clientele-go/clientele/internal/storecheck"
	"github.com/clientele-go/clientele/referral"
)

// zoeContact is the contact of the invitee the check ForgetContact erases: invited
// twice, never signed up.
var zoeContact = referral.Signals{Email: "zoe.invited@example.org", Phone: "+15550100099"}

// checkForgetContact is the erasure check, named ForgetContact, of a store that is a
// referral.Compacter (others pass): Ann invites Zoe, by e-mail and phone and then by
// phone alone, and Bob, who signs up; Program.ForgetContact of Zoe's e-mail and phone,
// then
//   - the records the store returns hold neither in any field, nor does any file under
//     dir; they are those of before, the two invitations to Zoe with blank signals,
//     then one forget record naming them and no profile;
//   - a Program opened on the store, reopened when durable, has the same state, and
//     attributes a sign-up with Zoe's e-mail to nobody;
//   - ForgetContact again appends nothing.
func checkForgetContact(h storecheck.Harness[referral.Store], dir string, s referral.Store) error {
	if _, ok := s.(referral.Compacter); !ok {
		return nil
	}
	ctx := context.Background()
	p, _, err := openProgramme(s, func(p *referral.Program, code string) []func() error {
		return []func() error{
			func() error { return p.Invite(ctx, day(1), "invite-zoe", 1, zoeContact) },
			func() error {
				return p.Invite(ctx, day(1), "invite-zoe-phone", 1, referral.Signals{Phone: zoeContact.Phone})
			},
			func() error { return p.Invite(ctx, day(1), "invite-bob", 1, referral.Signals{Email: bobSignals.Email}) },
			func() error { _, err := p.SignUp(ctx, day(2), "signup-bob", 2, code, bobSignals); return err },
			func() error { return p.Order(ctx, day(3), "order-bob", 2, "O-bob", 1000) },
		}
	})
	if err != nil {
		return err
	}
	before, err := log.All(s)
	if err != nil {
		return err
	}
	zoe := []string{zoeContact.Email, zoeContact.Phone}
	if len(holding(before, zoe)) != 2 {
		return fmt.Errorf("before ForgetContact %d records hold Zoe's contact, want her 2 invitations", len(holding(before, zoe)))
	}
	want := describe(p, true)
	if err := p.ForgetContact(ctx, day(10), zoeContact); err != nil {
		return fmt.Errorf("ForgetContact: %w", err)
	}
	done := func(what string, s referral.Store) error {
		after, err := log.All(s)
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		if bad := holding(after, zoe); len(bad) > 0 {
			return fmt.Errorf("%s: records %v still hold Zoe's contact: %+v", what, bad, after[bad[0]])
		}
		if len(after) != len(before)+1 {
			return fmt.Errorf("%s: %d records, want the %d of before and a forget record", what, len(after), len(before))
		}
		for i, b := range before {
			if len(holding([]referral.Record{b}, zoe)) > 0 {
				b.Signals = referral.Signals{}
			}
			if !equal(b, after[i]) {
				return fmt.Errorf("%s: record %d:\n%+v\nwant\n%+v", what, i, after[i], b)
			}
		}
		f := after[len(before)]
		if f.Kind != referral.KindForget || f.Profile != 0 || len(f.Absorbed) != 0 || f.Signals != (referral.Signals{}) ||
			fmt.Sprint(f.Reasons) != "[invite-zoe invite-zoe-phone]" {
			return fmt.Errorf("%s: last record %+v, want a forget of no profile naming Zoe's two invitations", what, f)
		}
		return noneOnDisk(what, dir, zoe)
	}
	if err := done("after ForgetContact", s); err != nil {
		return err
	}
	if got := describe(p, true); got != want {
		return fmt.Errorf("ForgetContact changed the state:\n%s\nwant\n%s", got, want)
	}
	s, p, err = reopen(h, dir, s)
	if err != nil {
		return err
	}
	defer func() { h.Release(s) }()
	if got := describe(p, true); got != want {
		return fmt.Errorf("a Program opened after ForgetContact:\n%s\nwant, as before\n%s", got, want)
	}
	if err := p.ForgetContact(ctx, day(11), zoeContact); err != nil {
		return fmt.Errorf("ForgetContact again: %w", err)
	}
	if err := done("reopened, after ForgetContact again", s); err != nil {
		return err
	}
	d, err := p.SignUp(ctx, day(12), "signup-zoe", 5, "", referral.Signals{Email: zoeContact.Email})
	if err != nil {
		return fmt.Errorf("sign-up with the forgotten e-mail: %w", err)
	}
	if d.Referrer != 0 {
		return fmt.Errorf("a sign-up with the forgotten e-mail was attributed to %d through the erased invitation", d.Referrer)
	}
	return nil
}
