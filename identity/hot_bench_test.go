package identity_test

import (
	"testing"

	"github.com/clientele-go/clientele/identity"
)

func BenchmarkLinkHotCache(b *testing.B) {
	s := newStream(20000, 3)
	r, _ := identity.New(identity.DefaultRules())
	n := len(s.events) / 2
	for i := range n {
		a, c := s.event(i)
		r.Link(ctx, t0, "web", a, c)
	}
	b.ResetTimer()
	for i := range b.N {
		a, c := s.event(i % n)
		r.Link(ctx, t0, "web", a, c)
	}
}
