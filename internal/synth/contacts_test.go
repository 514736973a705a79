package synth

import (
	"testing"
)

// Every loyalty card follows its person's web account, carries the account's name and
// mobile up to one typo each, and no e-mail; cards are about CardRate of accounts.
func TestContacts(t *testing.T) {
	var last Contact
	accounts, cards, nameTypos, phoneTypos := 0, 0, 0, 0
	for c := range Contacts(Params{People: 30000, Seed: 7}) {
		if c.ID.Kind != "loyalty_card" {
			if c.ID.Value != c.Email || c.FirstName == "" || c.Surname == "" || c.City == "" {
				t.Fatalf("account %+v", c)
			}
			accounts++
			last = c
			continue
		}
		cards++
		if c.Person != last.Person || c.Email != "" || c.City != last.City {
			t.Fatalf("card %+v after account %+v", c, last)
		}
		if c.FirstName+" "+c.Surname != last.FirstName+" "+last.Surname {
			nameTypos++
		}
		if c.Phone != digits(last.Phone) {
			phoneTypos++
			if len(c.Phone) < len(digits(last.Phone))-1 {
				t.Fatalf("card phone %q from %q", c.Phone, last.Phone)
			}
		}
	}
	if accounts == 0 || cards < accounts/5 || cards > accounts*2/5 {
		t.Fatalf("%d cards of %d accounts, want about %v", cards, accounts, CardRate)
	}
	if nameTypos == 0 || phoneTypos == 0 || nameTypos > cards/2 || phoneTypos > cards/2 {
		t.Fatalf("%d name and %d phone typos on %d cards", nameTypos, phoneTypos, cards)
	}
}
