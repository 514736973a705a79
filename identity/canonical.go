package identity

// Canonical returns id as the resolver stores it: the value normalised by its kind's
// rule (and, under WithHMAC, the hexadecimal digest), the form that Lookup compares and
// Identifiers returns. Two identifiers are the same identifier to the resolver iff their
// canonical forms are equal, so a host that groups or joins identifiers outside the
// resolver (a distributed pipeline, a warehouse query) can group by this form.
//
// A malformed identifier is an error wrapping ErrInvalid (Link would refuse the whole
// event); a blocked value wraps ErrBlocked and a value the normaliser rejects wraps
// ErrUnparseable (Link would drop the identifier from its event). Every message reads
// "identity: canonical: " then the sentinel's text and the detail ("identity:
// canonical: invalid input: user_id: value of 600 bytes, over the 512-byte limit").
// Canonical changes nothing and is safe for concurrent use.
func (r *Resolver) Canonical(id ID) (ID, error) {
	if r.zero() {
		return ID{}, errZeroResolver
	}
	if err := r.checkOne(id); err != nil {
		return ID{}, errorf("canonical: %w", err)
	}
	v, _, err := r.canonical(r.rules.rule(id.Kind), id.Kind, id.Value, true)
	if err != nil {
		return ID{}, errorf("canonical: %w", err)
	}
	return ID{Kind: id.Kind, Value: r.display([]byte(v))}, nil
}
