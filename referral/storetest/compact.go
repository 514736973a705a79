package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/clientele-go/clientele/internal/storecheck"
	"github.com/clientele-go/clientele/referral"
)

// The people of the erasure checks: Ann refers Bob and Carol, Bob is forgotten. The
// values are distinctive so that a search of a record's bytes, or of the files the store
// keeps in its dir, finds no other field by chance.
var (
	annSignals   = referral.Signals{Email: "ann.kept@example.org", Device: "device-ann-kept"}
	bobSignals   = referral.Signals{Email: "bob.forgotten@example.org", Phone: "+15550100042", Device: "device-bob-forgotten", Network: "198.51.100.42"}
	carolSignals = referral.Signals{Email: "carol.kept@example.org", Phone: "+15550100077", Device: "device-carol-kept", Network: "203.0.113.7"}
	daveSignals  = referral.Signals{Email: "dave.kept@example.org", Device: "device-dave-kept"}
	forgotten    = []string{bobSignals.Email, bobSignals.Phone, bobSignals.Device, bobSignals.Network}
	people       = []uint32{1, 2, 3, 4}
)

// checkForget is the erasure check, named Forget, of a store that is a
// referral.Compacter (others pass): a programme whose events carry the signals of
// several people, Forget of one of them, then
//   - the records the store returns hold none of the forgotten person's signal values
//     in any field, nor does any file under dir (a store keeping its state there);
//   - the records are those of before, and the forget record: the others' signals
//     intact, every account field kept;
//   - a Program opened on the store, reopened when durable, has the same state;
//   - records appended after the compaction are kept, and compacting again, by
//     Program.Compact and by Compact with a rewrite that changes nothing, leaves the
//     records and the state as they were.
func checkForget(h storecheck.Harness[referral.Store], dir string, s referral.Store) error {
	if _, ok := s.(referral.Compacter); !ok {
		return nil
	}
	ctx := context.Background()
	p, code, err := openProgramme(s, func(p *referral.Program, code string) []func() error {
		return []func() error{
			func() error { return p.Invite(ctx, day(1), "invite-bob", 1, referral.Signals{Email: bobSignals.Email}) },
			func() error { _, err := p.SignUp(ctx, day(2), "signup-bob", 2, code, bobSignals); return err },
			func() error {
				_, err := p.SignUp(ctx, day(2), "signup-carol", 3, code, carolSignals)
				return err
			},
			func() error { return p.Order(ctx, day(3), "order-bob", 2, "O-bob", 1000) },
			func() error { return p.Order(ctx, day(4), "order-carol", 3, "O-carol", 2000) },
			func() error { return p.Payout(ctx, day(5), "payout-ann", 1, 200) },
		}
	})
	if err != nil {
		return err
	}
	before, err := log.All(s)
	if err != nil {
		return err
	}
	if bad := holding(before, forgotten); len(bad) == 0 {
		return errors.New("before Forget no record holds the signals of the person to forget: the store drops them")
	}
	accounts := describe(p, false)
	if err := p.Forget(ctx, day(10), 2); err != nil {
		return fmt.Errorf("Forget: %w", err)
	}
	// (a) and the records kept, on the store as Forget left it: Open would finish an
	// unfinished rewrite, hiding a Compact that left the signals.
	if _, err := forgetDone("after Forget", before, s, dir); err != nil {
		return err
	}
	if got := describe(p, false); got != accounts {
		return fmt.Errorf("Forget changed the accounts:\n%s\nwant\n%s", got, accounts)
	}
	want := describe(p, true)

	// (b) the state, on a Program opened on the store (reopened when durable).
	s, p, err = reopen(h, dir, s)
	if err != nil {
		return err
	}
	defer func() { h.Release(s) }()
	if got := describe(p, true); got != want {
		return fmt.Errorf("a Program opened after Forget:\n%s\nwant, as before\n%s", got, want)
	}
	after, err := forgetDone("reopened after Forget", before, s, dir)
	if err != nil {
		return err
	}

	// (c) records appended after the compaction, and a second compaction.
	if _, err := p.SignUp(ctx, day(11), "signup-dave", 4, code, daveSignals); err != nil {
		return fmt.Errorf("SignUp after Forget: %w", err)
	}
	if err := p.Order(ctx, day(12), "order-dave", 4, "O-dave", 3000); err != nil {
		return fmt.Errorf("Order after Forget: %w", err)
	}
	appended, err := log.All(s)
	if err != nil {
		return err
	}
	if len(appended) <= len(after) {
		return fmt.Errorf("after Forget, then a sign-up and an order: %d records, want more than %d", len(appended), len(after))
	}
	if _, err := log.Same("records after Forget, then appended", append(after, appended[len(after):]...), s); err != nil {
		return err
	}
	want = describe(p, true)
	if err := p.Compact(); err != nil {
		return fmt.Errorf("Program.Compact after Forget and appends: %w", err)
	}
	if err := s.(referral.Compacter).Compact(func(r referral.Record) referral.Record { return r }); err != nil {
		return fmt.Errorf("Compact changing nothing: %w", err)
	}
	if _, err := log.Same("records appended after Forget, then compacted twice", appended, s); err != nil {
		return err
	}
	if got := describe(p, true); got != want {
		return fmt.Errorf("compacting again changed the state:\n%s\nwant\n%s", got, want)
	}
	if s, p, err = reopen(h, dir, s); err != nil {
		return err
	}
	if _, err := log.Same("reopened after compacting twice", appended, s); err != nil {
		return err
	}
	if got := describe(p, true); got != want {
		return fmt.Errorf("a Program opened after compacting twice:\n%s\nwant\n%s", got, want)
	}
	return noneOnDisk("reopened after compacting twice", dir, forgotten)
}

// openProgramme opens a Program on s, issues Ann (profile 1) her code and records, in
// order, the events steps returns for that programme and code: where every erasure
// check starts.
func openProgramme(s referral.Store, steps func(p *referral.Program, code string) []func() error) (*referral.Program, string, error) {
	p, err := referral.Open(s, rules, clock)
	if err != nil {
		return nil, "", err
	}
	c, err := p.IssueCode(context.Background(), day(0), "code-ann", 1, annSignals, zeros{})
	if err != nil {
		return nil, "", err
	}
	for i, step := range steps(p, string(c)) {
		if err := step(); err != nil {
			return nil, "", fmt.Errorf("event %d of the programme: %w", i, err)
		}
	}
	return p, string(c), nil
}

// forgetDone checks what s holds once Forget of Bob returned: the records before it,
// none holding his signal values in any field, the others' records unchanged, then the
// forget record; and no file under dir holding his values. It returns the records.
func forgetDone(what string, before []referral.Record, s referral.Store, dir string) ([]referral.Record, error) {
	after, err := log.All(s)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if bad := holding(after, forgotten); len(bad) > 0 {
		return nil, fmt.Errorf("%s: records %v still hold a forgotten signal: %+v", what, bad, after[bad[0]])
	}
	if len(after) != len(before)+1 || after[len(before)].Kind != referral.KindForget {
		return nil, fmt.Errorf("%s: %d records, want the %d of before and a forget record last", what, len(after), len(before))
	}
	for i, b := range before {
		a := after[i]
		if len(holding([]referral.Record{b}, forgotten)) == 0 {
			if !equal(b, a) {
				return nil, fmt.Errorf("%s: record %d holds no forgotten signal and changed:\n%+v\nwant\n%+v", what, i, a, b)
			}
			continue
		}
		a.Signals, a.Reasons, b.Signals, b.Reasons = referral.Signals{}, nil, referral.Signals{}, nil
		if !equal(b, a) {
			return nil, fmt.Errorf("%s: record %d changed more than its signals and reasons:\n%+v\nwant\n%+v", what, i, after[i], before[i])
		}
	}
	for _, v := range []string{annSignals.Email, annSignals.Device, carolSignals.Email, carolSignals.Phone, carolSignals.Device, carolSignals.Network} {
		if len(holding(after, []string{v})) == 0 {
			return nil, fmt.Errorf("%s: no record holds %q, a signal of a person not forgotten", what, v)
		}
	}
	return after, noneOnDisk(what, dir, forgotten)
}

// holding returns the indexes of the records whose encoding holds one of vals.
func holding(recs []referral.Record, vals []string) []int {
	var out []int
	for i, r := range recs {
		b, err := r.MarshalBinary()
		if err != nil {
			b = fmt.Appendf(nil, "%+v", r)
		}
		for _, v := range vals {
			if bytes.Contains(b, []byte(v)) {
				out = append(out, i)
				break
			}
		}
	}
	return out
}

// noneOnDisk fails if a file under dir holds one of the forgotten values: a store that
// keeps its state in dir (FileStore) must not keep a copy of them, in its file or
// beside it. A store that keeps its state elsewhere leaves dir empty and passes.
func noneOnDisk(what, dir string, forgotten []string) error {
	return filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("%s: read %s: %w", what, path, err)
		}
		for _, v := range forgotten {
			if bytes.Contains(b, []byte(v)) {
				return fmt.Errorf("%s: file %s still holds the forgotten signal %q", what, path, v)
			}
		}
		return nil
	})
}

// reopen closes s and opens a Program on the store reopened on dir, or, when the store
// is not durable, on s again.
func reopen(h storecheck.Harness[referral.Store], dir string, s referral.Store) (referral.Store, *referral.Program, error) {
	if h.Reopen != nil {
		if err := h.Release(s); err != nil {
			return s, nil, fmt.Errorf("Close: %w", err)
		}
		var err error
		if s, err = h.Reopen(dir); err != nil {
			return s, nil, fmt.Errorf("reopen: %w", err)
		}
	}
	p, err := referral.Open(s, rules, clock)
	if err != nil {
		return s, nil, fmt.Errorf("Open on the reopened store: %w", err)
	}
	return s, p, nil
}

// describe writes the state of the erasure checks' programme: balances, payables,
// referrers, sign-ups and invitations and, when entries is set, every record of each
// person with its signals and reasons.
func describe(p *referral.Program, entries bool) string {
	var b strings.Builder
	asOf := day(90)
	for _, prof := range people {
		ref, ok := p.Referrer(prof)
		fmt.Fprintf(&b, "profile %d: %+v, referrer %d %v, %d entries\n", prof, p.Balance(asOf, prof), ref, ok, len(p.Entries(prof)))
		if !entries {
			continue
		}
		for _, r := range p.Entries(prof) {
			fmt.Fprintf(&b, "\t%v %q %s profile %d other %d code %q order %q amount %d payable %s ref %q signals %+v reasons %q\n",
				r.Kind, r.Key, r.At.UTC().Format("2006-01-02T15:04:05.999999999"), r.Profile, r.Other, r.Code, r.Order,
				r.Amount, r.PayableAt.UTC().Format("2006-01-02T15:04:05.999999999"), r.Ref, r.Signals, r.Reasons)
		}
	}
	fmt.Fprintf(&b, "payables: %+v\n", p.Payables(asOf))
	for _, su := range p.Signups() {
		fmt.Fprintf(&b, "sign-up %d by %d at %s\n", su.Profile, su.Referrer, su.At.UTC().Format("2006-01-02T15:04:05"))
	}
	for _, inv := range p.Invites() {
		fmt.Fprintf(&b, "invitation from %d at %s\n", inv.From, inv.At.UTC().Format("2006-01-02T15:04:05"))
	}
	return b.String()
}

// checkCompactConcurrent is the check, named CompactConcurrent, that a Compacter keeps
// the records appended while it compacts: a writer appends records one by one while
// Compact, called again and again, blanks the signals of the records written before
// the writer began. Every appended record must then be there once, in order, as
// written, after the earlier ones, whose signals must be blank.
//
// So that an append meets a compaction under way, the writer starts from within the
// first call of rewrite, and in the first compactions rewrite waits a little, at its
// first record, for the writer to append: a Compacter holds appends back until it has
// replaced the records, so the wait ends by the timer; a Compacter that lets an append
// through then has to keep it.
func checkCompactConcurrent(_ storecheck.Harness[referral.Store], _ string, s referral.Store) error {
	c, ok := s.(referral.Compacter)
	if !ok {
		return nil
	}
	const nOld, nNew, waited = 20, 50, 5
	rec := func(prefix string, i int) referral.Record {
		return referral.Record{Kind: referral.KindInvite, Key: fmt.Sprint(prefix, i), At: day(1 + i%30), Profile: uint32(1 + i),
			Signals: referral.Signals{Email: fmt.Sprintf("%s%d@example.org", prefix, i)}}
	}
	var old []referral.Record
	for i := range nOld {
		old = append(old, rec("old-", i))
	}
	if err := s.Append(old...); err != nil {
		return err
	}
	var (
		wg         sync.WaitGroup
		werr       error
		done       = make(chan struct{})
		start      = make(chan struct{})
		startOnce  sync.Once
		progressed = make(chan struct{}, 1)
		appended   []referral.Record
	)
	blank := func(r referral.Record) referral.Record {
		if strings.HasPrefix(r.Key, "old-") {
			r.Signals = referral.Signals{}
		}
		return r
	}
	// blanking returns the rewrite of the nth compaction.
	blanking := func(n int) func(referral.Record) referral.Record {
		first := true
		return func(r referral.Record) referral.Record {
			if first {
				first = false
				startOnce.Do(func() { close(start) })
				if n < waited {
					select { // an append that returned before this compaction began
					case <-progressed:
					default:
					}
					select {
					case <-progressed:
					case <-time.After(10 * time.Millisecond):
					}
				}
			}
			return blank(r)
		}
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(done)
		<-start
		for i := range nNew {
			r := rec("new-", i)
			if err := s.Append(r); err != nil {
				werr = fmt.Errorf("Append %d while compacting: %w", i, err)
				return
			}
			appended = append(appended, r)
			select {
			case progressed <- struct{}{}:
			default:
			}
		}
	}()
	var cerr error
compacting:
	for n := 0; ; n++ {
		if n >= waited {
			select {
			case <-done:
				break compacting
			default:
			}
		}
		err := c.Compact(blanking(n))
		startOnce.Do(func() { close(start) }) // a Compact that never called rewrite
		if err != nil {
			cerr = fmt.Errorf("Compact %d while appending: %w", n, err)
			break
		}
	}
	wg.Wait()
	if err := errors.Join(werr, cerr); err != nil {
		return err
	}
	if err := c.Compact(blank); err != nil {
		return fmt.Errorf("Compact after the appends: %w", err)
	}
	var want []referral.Record
	for _, r := range old {
		want = append(want, blank(r))
	}
	_, err := log.Same("records appended while compacting", append(want, appended...), s)
	return err
}
