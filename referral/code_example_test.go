package referral_test

import (
	"bytes"
	"fmt"

	"github.com/clientele-go/clientele/referral"
)

// NewCode draws from crypto/rand when given nil, as production should; a fixed
// source, as here, gives the same code every run, which suits tests and nothing else.
// The eleventh symbol is a check symbol, so a code read back from a link or typed by
// hand is known to be one NewCode made.
func ExampleNewCode() {
	c, err := referral.NewCode(bytes.NewReader([]byte("ten bytes!")))
	fmt.Println(c, err)
	back, err := referral.ParseCode(c.String())
	fmt.Println(back == c, err)
	fresh, _ := referral.NewCode(nil)
	fmt.Println(len(fresh))
	// Output:
	// M5E0-2SM5-K1C <nil>
	// true <nil>
	// 11
}

// A sign-up handler reads the code from the link the referrer shared. A link whose
// code was changed by hand fails the check symbol, with ErrCode, instead of crediting
// whoever owns the code it now spells.
func ExampleCodeFromLink() {
	code, _ := referral.NewCode(bytes.NewReader(make([]byte, 10)))
	link, _ := code.Link("https://shop.example/join")
	got, err := referral.CodeFromLink(link)
	fmt.Println(link, got, err)
	_, err = referral.CodeFromLink("https://shop.example/join?ref=00000000010")
	fmt.Println(err)
	// Output:
	// https://shop.example/join?ref=00000000000 0000-0000-000 <nil>
	// referral: bad referral code: code "00000000010": check symbol mismatch (a typo?)
}
