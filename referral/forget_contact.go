package referral

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/clientele-go/clientele/internal/english"
)

// ForgetContact erases the e-mails and phones given (each contact an Email, a Phone or
// both) from the invitations sent to them, for the right to be forgotten (GDPR art. 17)
// of a person who was invited but has no profile, so that [Program.Forget] cannot name
// them: someone invited who never signed up, or who asks before they do. A forget
// record is appended to the ledger, and from then on, in memory, the Signals of every
// invitation that holds one of the contacts as the invitee's contact are blank (its
// other contact too: an invitation reaches one person). On a [Compacter] store it then
// rewrites the store without them, as Forget does, with the same guarantees: events
// wait while it runs, and if the rewrite fails or the process dies before it ends, the
// erasure is still recorded, ForgetContact returns the error, and [Open] finishes the
// rewrite ([Program.Compact] retries it).
//
// An invitation is found as attribution finds it: by equality with the e-mail or phone
// it was recorded with, the package normalising neither (see [Signals]). Pass the
// contact in the form the host gave [Program.Invite], normalised or hashed the same
// way; "Alice@Example.com " does not find an invitation to "alice@example.com", just as
// a sign-up with the one is not attributed to an invitation to the other.
//
// What stays: the invitations themselves, with their keys, times and inviters, so the
// invite tree, the invitation counts and the growth figures are unchanged, and a
// retried Invite of an erased invitation is still recognised by its key. An invitation
// erased no longer attributes a later sign-up with that e-mail or phone. Invitations
// recorded after ForgetContact are recorded as they come: the host stops inviting a
// forgotten contact.
//
// ForgetContact erases invitations only. A contact that a profile's own records hold
// (a code or a sign-up with that e-mail) is that person's: Forget of their profile
// erases it, with the invitations sent to it. A host that cannot tell may call both.
//
// The forget record names the invitations' keys, never a contact (its Profile is 0 and
// it absorbs no profile; see [KindForget]), so that a replay blanks the same
// invitations and gives the same state; a version of the package that has Forget reads
// it. ForgetContact is idempotent: it records nothing, and returns nil, when no
// invitation holds one of the contacts (none was sent to them, or they are erased
// already). A zero time, a nil ctx, or a contact with neither Email nor Phone, with a
// Device or Network, or with a field Invite would refuse, is ErrInvalid; the errors
// never quote a contact. ForgetContact with no contacts does nothing.
//
// On a SharedStore (referral/pgstore) it is decided under the ledger's lead like an
// event, and every replica blanks the invitations when it applies the forget record
// (CatchUp, Follow); a store that is a Compacter too is then rewritten as Forget
// rewrites it.
func (p *Program) ForgetContact(ctx context.Context, at time.Time, contacts ...Signals) error {
	if p.zero() {
		return errZeroProgram
	}
	if ctx == nil {
		return fmt.Errorf("%w: forget contact: nil context", ErrInvalid)
	}
	if err := ctx.Err(); err != nil {
		return errorf("forget contact: %w", err)
	}
	if y := at.Year(); at.IsZero() || y < 1900 || y > 2200 {
		return fmt.Errorf("%w: forget contact: time %v missing or out of range", ErrInvalid, at)
	}
	for i, c := range contacts {
		if why := checkContact(c); why != "" {
			return fmt.Errorf("%w: forget contact: contact %d of %d: %s", ErrInvalid, i+1, len(contacts), why)
		}
	}
	if len(contacts) == 0 {
		return nil
	}
	return p.erase(ctx, "forget contact", func() []*Record { return p.forgetContactsLocked(at, contacts) })
}

// checkContact says what is wrong with a contact given to ForgetContact, without
// quoting it (an error is logged; the contact is what is being erased), or "".
func checkContact(c Signals) string {
	switch {
	case c.Email == "" && c.Phone == "":
		return "neither Email nor Phone"
	case c.Device != "" || c.Network != "":
		return "Device and Network are no contact: invitations hold an Email or a Phone"
	}
	for _, f := range [...]struct{ name, v string }{{"Email", c.Email}, {"Phone", c.Phone}} {
		if badText(f.v) {
			return fmt.Sprintf("field %s: %s, or a control character (at most %d bytes without control characters)", f.name, english.Count(len(f.v), "byte"), maxText)
		}
	}
	return ""
}

// forgetContactsLocked decides and applies the forget record of the invitations sent to
// contacts, and returns it, or nil when none holds one of them. The caller holds mu,
// with no append in flight that could read the records it changes.
func (p *Program) forgetContactsLocked(at time.Time, contacts []Signals) []*Record {
	invites := p.st.invitesTo(contacts)
	if len(invites) == 0 {
		return nil
	}
	r := &Record{Kind: KindForget, Key: fmt.Sprintf("\x00forget:contact#%d", p.st.forgets[0]+1), At: at.UTC(), Reasons: invites}
	p.st.apply(r)
	p.clearScratch()
	return []*Record{r}
}

// clearScratch drops the scratch copies of decided records, which hold signals too.
// The caller holds mu.
func (p *Program) clearScratch() {
	clear(p.derived[:cap(p.derived)])
	clear(p.scratch[:cap(p.scratch)])
}

// invitesTo returns the keys of the invitations whose signals, not yet blank, hold one
// of the e-mails or phones of cs, sorted.
func (s *state) invitesTo(cs []Signals) []string {
	var keys []string
	for _, sig := range cs {
		for _, c := range contacts(sig) {
			for _, inv := range s.inviteRecs[c] {
				if !slices.Contains(keys, inv.Key) {
					keys = append(keys, inv.Key)
				}
			}
		}
	}
	slices.Sort(keys)
	return keys
}
