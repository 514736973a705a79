// Package traits keeps what is known about people (name, e-mail, address, consent,
// tier) per identifier and says which value a profile takes when its identifiers
// disagree: survivorship, by a rule per trait (most recent, most trusted source, first
// seen, or the union of all values), with the lineage of every value (which identifier,
// which source, when).
//
// Observations are kept under the identifier they were seen with, and a profile's
// traits are derived from the identifiers the resolver holds in it now. So a merge
// combines them, and an Unmerge (or a hot identifier's quarantine) derives them again
// from what remains, with nothing to undo. Union takes values that look the same for
// one, listed as first spelt: values that differ only by Unicode composition ("José"
// typed on a Mac and on Windows), by white space ("Jane  Doe", "Jane\u00a0Doe" with a
// no-break space, " Jane Doe ") or by invisible characters (a zero-width space, a byte
// order mark; a zero-width joiner, a variation selector, a Hangul filler, a
// bidirectional control or tags where they have nothing to act on: "Ann\ufe0f" is
// "Ann", "❤\ufe0f" is not "❤"). A blank value, one that shows nothing (an export's
// empty cell; white space and those characters alone, such as a lone byte order mark,
// Hangul filler U+3164, variation selector, bidirectional isolate or the braille
// pattern blank U+2800 that a spammer or a broken form sends for a name), is no
// observation: Observe skips it under every rule, so it never overrides a value
// another channel knows, nor is listed as a value no one can see.
//
// Erasing a person takes one more call: the resolver's Forget cannot reach the Book,
// so Book.Forget erases the observations of the profile's identifiers first:
//
//	b, _ := traits.NewBook(traits.Policy{Rules: map[string]traits.MergeRule{"tier": traits.MostTrusted},
//		Ranking: []string{"crm", "store", "web"}})
//	b.Observe(traits.Observation{ID: email, Trait: "tier", Value: "gold", Source: "crm", At: at})
//	p, _ := resolver.Lookup(email)
//	tier := b.Traits(resolver, p)["tier"] // value, source, time and identifier
//
//	b.Forget(resolver.Identifiers(p)...) // then resolver.Forget(ctx, at, p)
//
// # Conventions
//
// The SDK's shared names (CONVENTIONS.md): bad input is ErrInvalid, in errors.go, each
// message naming "traits:" once; how several values combine into one is a MergeRule,
// as segment's numeric fields combine on a profile merge.
package traits
