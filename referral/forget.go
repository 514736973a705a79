package referral

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Compacter is implemented by a Store that can rewrite the records it holds in place,
// atomically: a crash leaves either every old record or every rewritten one, never a
// mix. Compact calls rewrite once for every record the store holds, in order, and
// replaces the record by what it returns; a record it returns unchanged stays as it is.
// The Program uses it to remove from the store the signals a [Program.Forget] or a
// [Program.ForgetContact] blanked. Appends wait while Compact runs. MemStore, FileStore
// and referral/pgstore's Store implement it. On a SharedStore, Compact must keep the
// records other writers append while it runs (pgstore updates rows in place under the
// ledger's lock), and the Program calls it holding no lead.
//
// Optionally, a Compacter has CompactContext(ctx, rewrite), which is Compact ending with
// an error wrapping ctx.Err() once ctx is done, even while it waits for the store (as
// referral/pgstore's does): Open given WithReplayContext finishes an interrupted forget
// on a SharedStore through it, so that ctx ends that rewrite too. A failure leaves the
// forget unfinished, as a failed Compact does, and the next Open finishes it.
type Compacter interface {
	Compact(rewrite func(Record) Record) error
}

var (
	_ Compacter = (*MemStore)(nil)
	_ Compacter = (*FileStore)(nil)
)

// Compact replaces every record by what rewrite returns for it. The old records are
// dropped, not overwritten: a Records iteration that began before Compact still yields
// them.
func (m *MemStore) Compact(rewrite func(Record) Record) error { return m.m.Rewrite(rewrite) }

// Compact replaces every record by what rewrite returns for it, crash-safely: the
// rewritten ledger is written to a new file beside the old one (path + ".rewrite"),
// fsynced and renamed over it, and the directory fsynced, so that a crash at any point
// leaves either the old file or the new one at path, never a damaged one (a stale
// ".rewrite" file left by a crash holds the rewritten records only, and is removed by
// the next Compact). Appends wait while it runs; a Records iteration that began before
// may end with ErrClosed. If the new file cannot be reopened after the rename, the
// FileStore fails every later call with that error and must be opened again.
func (f *FileStore) Compact(rewrite func(Record) Record) error {
	if f == nil || f.log == nil {
		return errZeroFileStore
	}
	return f.log.Rewrite(rewrite)
}

// Forget erases the signals (e-mail, phone, device, network) of the people who hold the
// given profiles, for their right to be forgotten (GDPR art. 17): a forget record is
// appended to the ledger, and from then on, in memory, the Signals of every record the
// ledger holds for each of them is blank, in the records of every profile merged into
// theirs:
//
//   - their codes and sign-ups (their own signals);
//   - the attributions and refused referrals of their sign-ups (their device and
//     network), and the fraud guards' reasons that quote one of their signals, on those
//     records and on the referrals that name them as the referrer ("shared email"
//     becomes "shared email \"(erased)\"");
//   - the invitations sent to their e-mail or phone (the invitee's contact).
//
// What stays, because the accounts need it: every record itself, with its kind, key,
// time, profiles, code, order id, amount, payable time and reference; so rewards,
// claw-backs, payouts, balances, payables, referrers, the invite tree, counts and the
// growth figures are unchanged, and a retried event whose record was blanked is still
// recognised by its key. Event keys and order ids are kept as the host wrote them: they
// must not hold personal data. Invitations the person sent keep their invitees'
// contacts, which are the invitees' data, not theirs: [Program.ForgetContact] erases
// an invitee who has no profile, by their e-mail or phone.
//
// The fraud guards then no longer see the erased signals: a later sign-up sharing the
// forgotten e-mail, phone or device with the forgotten referrer is no longer flagged as
// a self-referral, the forgotten person's sign-ups stop counting towards the device and
// network velocity limits, and an invitation to the forgotten e-mail or phone no longer
// attributes a later sign-up. Decisions already recorded stand.
//
// The forget record names the profiles and the invitations' keys, never a signal, so
// that replaying the ledger blanks what came before it and gives the same state. If the
// store is a [Compacter] (MemStore, FileStore and referral/pgstore are), Forget then
// rewrites the store with the signals blank before it returns, so that no copy of them
// remains in it: this rewrites the whole ledger, so batch erasure requests into one
// call. Events wait while it runs. If the rewrite fails, or the process dies before it
// ends, the erasure is still recorded: Forget returns the error, and Open, when it next
// reads a ledger whose records still hold signals a forget blanked, rewrites the store
// before it returns (or fails). [Program.Compact] retries the rewrite. Events recorded after
// Forget are recorded as they come, signals included: the host stops sending events of
// a forgotten person (identity.Resolver.Forget retires their keys). RepairFile's side
// files are not rewritten: delete them (see RepairFile).
//
// Forget is idempotent: it records nothing for a profile the ledger has never seen, nor
// for one whose records hold no signal left to blank (forgotten already, with no
// signal recorded since), and returns nil, so that a host's erasure, retried after a
// crash, may call it again; a host that erases a person everywhere calls it whether or
// not the person took part in the programme. A second Forget after new events with
// signals appends a second forget record. A zero profile, a zero time or a nil ctx is
// ErrInvalid. Forget with no profiles does nothing.
//
// On a SharedStore (referral/pgstore) Forget is decided under the ledger's lead like an
// event, and every replica blanks the signals in memory when it applies the forget
// record (CatchUp, Follow). If the store is a Compacter too (referral/pgstore is: its
// rows are updated in one transaction under the ledger's lock), Forget then rewrites
// it as above, after the lead ended; Open on a SharedStore finishes an interrupted
// rewrite as on any store.
func (p *Program) Forget(ctx context.Context, at time.Time, profiles ...uint32) error {
	if p.zero() {
		return errZeroProgram
	}
	if ctx == nil {
		return fmt.Errorf("%w: forget: nil context", ErrInvalid)
	}
	if err := ctx.Err(); err != nil {
		return errorf("forget: %w", err)
	}
	if y := at.Year(); at.IsZero() || y < 1900 || y > 2200 {
		return fmt.Errorf("%w: forget: time %v missing or out of range", ErrInvalid, at)
	}
	if slices.Contains(profiles, 0) {
		return fmt.Errorf("%w: forget: profile 0 is no profile", ErrInvalid)
	}
	if len(profiles) == 0 {
		return nil
	}
	return p.erase(ctx, "forget", func() []*Record { return p.forgetLocked(at, profiles) })
}

// erase records the forget records that decide returns and rewrites a Compacter store
// without the signals they blank: Forget's and ForgetContact's common path. decide
// applies the records to the state and returns them, nil when nothing is left to blank;
// it runs with mu held and no append in flight, or on a SharedStore under the ledger's
// lead. what names the call in a failed lead's error.
func (p *Program) erase(ctx context.Context, what string, decide func() []*Record) error {
	if p.shared != nil {
		return p.eraseShared(ctx, what, decide)
	}
	p.mu.Lock()
	if err := p.quiesce(); err != nil {
		p.mu.Unlock()
		return err
	}
	// No append is in flight now, and none starts while mu is held: the blanking
	// may change records in place without racing a flush that reads them.
	recs := decide()
	if len(recs) == 0 {
		// Nothing left to blank in memory; an earlier erasure whose rewrite failed may
		// still have to be finished in the store.
		err := p.compactLocked()
		p.mu.Unlock()
		return err
	}
	b := p.group.Add(recs...)
	p.mu.Unlock()
	if err := p.group.Commit(b); err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.quiesce(); err != nil {
		return err
	}
	return p.compactLocked()
}

// forgetLocked decides and applies the forget records of profiles, skipping those with
// nothing left to blank, and returns them. The caller holds mu, with no append in
// flight that could read the records it changes.
func (p *Program) forgetLocked(at time.Time, profiles []uint32) []*Record {
	var recs []*Record
	done := map[uint32]bool{}
	for _, pr := range profiles {
		c := p.st.canon(pr)
		if done[c] {
			continue
		}
		done[c] = true
		raw := slices.Sorted(slices.Values(p.st.keysOf(c)))
		invites, dirty := p.st.forgetPlan(raw)
		if !dirty {
			continue
		}
		r := &Record{Kind: KindForget, Key: fmt.Sprintf("\x00forget:%d#%d", c, p.st.forgets[c]+1), At: at.UTC(),
			Profile: c, Absorbed: raw, Reasons: invites}
		p.st.apply(r)
		recs = append(recs, r)
	}
	p.clearScratch()
	return recs
}

// eraseShared is erase on a SharedStore: decided on the whole ledger under its lead,
// as an event is, so that every replica applies the forget records at the same place.
// The records are encoded when appended, under mu, so changing them in place races no
// flush. A store that is a Compacter too is then rewritten, once the lead has ended.
func (p *Program) eraseShared(ctx context.Context, what string, decide func() []*Record) error {
	gen, err := p.log.Lead(ctx)
	if err != nil {
		return errorf("%s: %w", what, err)
	}
	err = p.log.Append(decide())
	p.mu.Unlock()
	if serr := p.log.Unlead(gen, nil); err == nil {
		err = serr
	}
	if err != nil {
		return err
	}
	return p.compactShared(context.Background())
}

// compactShared rewrites a SharedStore that is a Compacter (referral/pgstore) if the
// Program holds erased records whose stored copies may still hold signals. It must not
// hold mu while the store waits for its lock: a writer of this process holding the
// ledger's lead waits for mu to decide. So it takes a copy of the erased records' forms
// under mu and rewrites with it after releasing mu. The copy may be older than a forget
// another replica made meanwhile, so the rewrite only ever blanks: Signals become blank
// (an erased record's always are), and a reason is replaced only by one that erases
// more. A ctx that can end (Open's WithReplayContext) bounds the rewrite on a store with
// CompactContext (see Compacter); otherwise the store's Compact runs, as ever.
func (p *Program) compactShared(ctx context.Context) error {
	c, ok := p.store.(Compacter)
	if !ok {
		return nil
	}
	type form struct {
		kind    Kind
		reasons []string
	}
	p.mu.Lock()
	if !p.st.unerased {
		p.mu.Unlock()
		return nil
	}
	forms := make(map[string]form, len(p.st.erased))
	for k := range p.st.erased {
		m := p.st.keys
		if p.st.derived[k] != nil {
			m = p.st.derived
		}
		if r := m[k]; r != nil {
			forms[k] = form{r.Kind, slices.Clone(r.Reasons)}
		}
	}
	p.mu.Unlock()
	rewrite := func(r Record) Record {
		f, ok := forms[r.Key]
		if !ok || f.kind != r.Kind {
			return r
		}
		r.Signals = Signals{}
		if len(f.reasons) == len(r.Reasons) {
			for i, rs := range f.reasons {
				if strings.Count(rs, erasedValue) > strings.Count(r.Reasons[i], erasedValue) {
					r.Reasons[i] = rs
				}
			}
		}
		return r
	}
	var err error
	if cc, ok := c.(interface {
		CompactContext(context.Context, func(Record) Record) error
	}); ok && ctx.Done() != nil {
		err = cc.CompactContext(ctx, rewrite)
	} else {
		err = c.Compact(rewrite)
	}
	if err != nil {
		return errorf("forget: rewrite the shared ledger without the erased signals: %w", err)
	}
	p.mu.Lock()
	p.st.unerased = false
	p.mu.Unlock()
	return nil
}

// Compact rewrites a [Compacter] store so that it holds the records as the Program
// now does: with the signals that Forget blanked blank in the store too. Forget calls
// it; a host calls it to retry after Forget reported a failed rewrite. It fails with an
// error wrapping errors.ErrUnsupported on a store that is not a Compacter. Events wait
// while it runs.
func (p *Program) Compact() error {
	if p.zero() {
		return errZeroProgram
	}
	if _, ok := p.store.(Compacter); !ok {
		return errorf("compact: store %T: %w", p.store, errors.ErrUnsupported)
	}
	if p.shared != nil {
		p.mu.Lock()
		p.st.unerased = true
		p.mu.Unlock()
		return p.compactShared(context.Background())
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.quiesce(); err != nil {
		return err
	}
	p.st.unerased = true // rewrite even if nothing is known to be left: the host asked
	return p.compactLocked()
}

// compactLocked rewrites the store if it is a Compacter and holds signals that a forget
// blanked. The caller holds mu, with no append in flight (quiesce).
func (p *Program) compactLocked() error {
	c, ok := p.store.(Compacter)
	if !ok || p.shared != nil || !p.st.unerased {
		return nil
	}
	if err := c.Compact(p.st.erasedForm); err != nil {
		return errorf("forget: rewrite the store without the erased signals: %w", err)
	}
	p.st.unerased = false
	return nil
}

// quiesce returns once no append is in flight or queued, with mu held again, or the
// error of a failed append that stopped the Program. The caller holds mu.
func (p *Program) quiesce() error {
	for {
		if err := p.group.Err(); err != nil {
			return err
		}
		b := p.group.Pending()
		if b == nil {
			return nil
		}
		p.mu.Unlock()
		// The batch's own callers hear of its error; a failure stops the group, which
		// the next turn reports.
		_ = p.group.Wait(b)
		p.mu.Lock()
	}
}

// erasedForm returns r as the state now holds it when a forget blanked it: its Signals
// and Reasons replaced, the rest as stored. It is Compact's rewrite. The caller holds
// mu.
func (s *state) erasedForm(r Record) Record {
	if !s.erased[r.Key] {
		return r
	}
	m := s.keys
	if r.Kind.derived() {
		m = s.derived
	}
	if cur := m[r.Key]; cur != nil && cur.Kind == r.Kind {
		r.Signals = cur.Signals
		r.Reasons = slices.Clone(cur.Reasons)
	}
	return r
}

// indexReferral notes an attribution or refused referral for Forget: under its
// referred profile and under its referrer.
func (s *state) indexReferral(r *Record) {
	s.sigRecs[r.Profile] = append(s.sigRecs[r.Profile], r)
	if r.Other != 0 {
		s.otherRecs[r.Other] = append(s.otherRecs[r.Other], r)
	}
}

// valuesOf returns the signal values found in the records of the raw profiles, and
// among them their e-mails and phones, the contacts invitations reach them by.
func (s *state) valuesOf(raw []uint32) (vals, contactKeys []string) {
	for _, k := range raw {
		for _, r := range s.sigRecs[k] {
			sig := r.Signals
			for _, v := range [...]string{sig.Email, sig.Phone, sig.Device, sig.Network} {
				if v != "" && !slices.Contains(vals, v) {
					vals = append(vals, v)
				}
			}
			for _, c := range contacts(sig) {
				if !slices.Contains(contactKeys, c) {
					contactKeys = append(contactKeys, c)
				}
			}
		}
	}
	return vals, contactKeys
}

// forgetPlan returns the keys of the invitations sent to the e-mails and phones of the
// raw profiles, and whether a forget of them would blank anything.
func (s *state) forgetPlan(raw []uint32) (invites []string, dirty bool) {
	vals, cs := s.valuesOf(raw)
	for _, c := range cs {
		for _, inv := range s.inviteRecs[c] {
			if !slices.Contains(invites, inv.Key) {
				invites = append(invites, inv.Key)
			}
		}
	}
	dirty = len(invites) > 0
	for _, k := range raw {
		for _, r := range s.sigRecs[k] {
			if _, changed := scrubReasons(r.Reasons, vals); r.Signals != (Signals{}) || changed {
				dirty = true
			}
		}
		for _, r := range s.otherRecs[k] {
			if _, changed := scrubReasons(r.Reasons, vals); changed {
				dirty = true
			}
		}
	}
	return invites, dirty
}

// forget applies a forget record (see KindForget): it blanks, in place, the signals of
// the records of the raw profiles r.Absorbed and of the invitations r.Reasons, scrubs
// their values from the guards' reasons, and drops them from the indexes the guards
// and attribution read. It depends only on the record and the state before it, so a
// replay does the same; on a ledger already compacted it finds the signals blank and
// changes nothing more.
func (s *state) forget(r *Record) {
	s.forgets[r.Profile]++
	vals, _ := s.valuesOf(r.Absorbed)
	for _, k := range r.Absorbed {
		for _, rec := range s.sigRecs[k] {
			if rec.Kind == KindAttribution || (rec.Kind == KindBlocked && rec.Ref == "") {
				s.uncount(rec)
			}
			if rec.Signals != (Signals{}) {
				rec.Signals = Signals{}
				s.unerased = true
			}
			s.scrub(rec, vals)
			s.erased[rec.Key] = true
		}
		delete(s.sigRecs, k)
		delete(s.signals, k)
		for _, rec := range s.otherRecs[k] {
			// Marked erased whether or not its reasons quote a value now: on a
			// compacted ledger they quote none, and the replay must mark the same.
			s.scrub(rec, vals)
			s.erased[rec.Key] = true
		}
	}
	for _, key := range r.Reasons {
		inv := s.keys[key]
		if inv == nil || inv.Kind != KindInvite {
			continue
		}
		t := touch{referrer: inv.Profile, at: inv.At}
		for _, c := range contacts(inv.Signals) {
			if i := slices.Index(s.invited[c], t); i >= 0 {
				s.invited[c] = slices.Delete(s.invited[c], i, i+1)
			}
			s.inviteRecs[c] = slices.DeleteFunc(s.inviteRecs[c], func(x *Record) bool { return x == inv })
			if len(s.invited[c]) == 0 {
				delete(s.invited, c)
			}
			if len(s.inviteRecs[c]) == 0 {
				delete(s.inviteRecs, c)
			}
		}
		if inv.Signals != (Signals{}) {
			inv.Signals = Signals{}
			s.unerased = true
		}
		s.erased[key] = true
	}
	s.scratch = nil // sameInput's encodings held signals
}

// uncount takes a referred sign-up out of the device and network velocity counts.
func (s *state) uncount(r *Record) {
	for _, k := range [...]string{"d:" + r.Signals.Device, "n:" + r.Signals.Network} {
		if len(k) == 2 {
			continue
		}
		if i := slices.Index(s.bySig[k], r.At); i >= 0 {
			s.bySig[k] = slices.Delete(s.bySig[k], i, i+1)
		}
		if len(s.bySig[k]) == 0 {
			delete(s.bySig, k)
		}
	}
}

// scrub replaces in r's reasons every quoted value of vals, marking r erased. The
// reasons slice is replaced, not changed: Decision.Reasons handed it to callers.
func (s *state) scrub(r *Record, vals []string) {
	if rs, changed := scrubReasons(r.Reasons, vals); changed {
		r.Reasons = rs
		s.erased[r.Key] = true
		s.unerased = true
	}
}

// erasedValue stands for a forgotten signal in a guard's reason.
const erasedValue = `"(erased)"`

// scrubReasons returns reasons with every value of vals that they quote (as the guards
// quote them, with %q) replaced by erasedValue, and whether any was.
func scrubReasons(reasons, vals []string) ([]string, bool) {
	var out []string
	for i, rs := range reasons {
		n := rs
		for _, v := range vals {
			n = strings.ReplaceAll(n, strconv.Quote(v), erasedValue)
		}
		if n != rs && out == nil {
			out = slices.Clone(reasons)
		}
		if out != nil {
			out[i] = n
		}
	}
	return out, out != nil
}
