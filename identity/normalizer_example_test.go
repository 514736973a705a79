package identity_test

import (
	"fmt"

	"github.com/clientele-go/clientele/identity"
)

// Provider rules join the addresses Gmail delivers to one mailbox (dots, a "+tag",
// googlemail.com) and leave other domains alone, where "ann+b" and "ann" may be two
// people. A value that is no address is an error, and the resolver drops that
// identifier from the event rather than link on it.
func ExampleEmailNormalizer() {
	plain, providers := identity.EmailNormalizer(false), identity.EmailNormalizer(true)
	for _, v := range []string{" Anna.Li+shop@GoogleMail.com", "mailto:ann+b@example.com.", "ann at example"} {
		a, err := plain(v)
		b, _ := providers(v)
		fmt.Printf("%q %q %v\n", a, b, err)
	}
	// Output:
	// "anna.li+shop@googlemail.com" "annali@gmail.com" <nil>
	// "ann+b@example.com" "ann+b@example.com" <nil>
	// "" "" e-mail "ann at example" has no local part or no domain
}

// Opaque ids keep their case: "U1" and "u1" may be two accounts, and a resolver that
// must never merge two people does not guess that they are one.
func ExampleTrimNormalizer() {
	n := identity.TrimNormalizer()
	a, _ := n("  U1\n")
	b, _ := n("u1")
	fmt.Printf("%q %q %v\n", a, b, a == b)
	// Output: "U1" "u1" false
}
