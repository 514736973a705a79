package damage

import (
	"bytes"
	"context"
	"encoding"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clientele-go/clientele/funnel"
	"github.com/clientele-go/clientele/identity"
	"github.com/clientele-go/clientele/referral"
	"github.com/clientele-go/clientele/segment"
)

// cases is the number of random damages of each kind per format (under -short, a tenth).
const cases = 200

// format is one durable encoding under test.
type format struct {
	name string
	// build writes acknowledged content and returns its bytes, the byte ranges of its
	// frames (nil for a one-piece encoding: chunks are cut at random instead) and the
	// state that opening the bytes must give.
	build func(t *testing.T) (img []byte, frames [][2]int, want string)
	// open opens bytes and returns the state they hold, or an error.
	open func(t *testing.T, img []byte) (string, error)
	// corrupt is the package's corruption sentinel.
	corrupt error
	// protected is the length of a prefix whose damage may be refused with another
	// error (none so far).
}

// tally counts what the probes of one kind found.
type tally struct{ detected, exact int }

func TestDamage(t *testing.T) {
	for _, f := range formats() {
		t.Run(f.name, func(t *testing.T) {
			t.Parallel()
			img, frames, want := f.build(t)
			if got, err := f.open(t, img); err != nil || got != want {
				t.Fatalf("the undamaged bytes: %v, state\n%s\nwant\n%s", err, got, want)
			}
			n := cases
			if testing.Short() {
				n /= 10
			}
			rng := rand.New(rand.NewPCG(1, uint64(len(f.name))))
			counts := map[string]*tally{}
			probe := func(kind string, damaged []byte) {
				c := counts[kind]
				if c == nil {
					c = &tally{}
					counts[kind] = c
				}
				got, err := f.open(t, damaged)
				switch {
				case err != nil && errors.Is(err, f.corrupt):
					c.detected++
				case err != nil:
					t.Fatalf("%s: open failed with %v, which does not wrap %v", kind, err, f.corrupt)
				case got != want:
					t.Fatalf("%s: damaged bytes opened without error to another state:\n%s\nwant\n%s", kind, got, want)
				default:
					c.exact++
				}
			}
			for range n {
				b := bytes.Clone(img)
				b[rng.IntN(len(b))] ^= 1 << rng.IntN(8)
				probe("bit flip", b)
			}
			for range n {
				probe("truncation", bytes.Clone(img[:rng.IntN(len(img))]))
			}
			for range n {
				b := bytes.Clone(img)
				from := rng.IntN(len(b))
				clear(b[from : from+1+rng.IntN(min(len(b)-from, 64))])
				probe("zeroed range", b)
			}
			for range n {
				b := bytes.Clone(img)
				from := rng.IntN(len(b))
				clear(b[from:])
				probe("zeroed to the end", b)
			}
			unit := func() (int, int) { // a frame, or a random chunk of a one-piece encoding
				if frames != nil {
					fr := frames[rng.IntN(len(frames))]
					return fr[0], fr[1]
				}
				from := rng.IntN(len(img))
				return from, from + 1 + rng.IntN(min(len(img)-from, 32))
			}
			for range n {
				a, b := unit()
				probe("removed frame", slices.Concat(img[:a], img[b:]))
			}
			for range n {
				a, b := unit()
				at := b
				if rng.IntN(2) == 0 {
					at = len(img) // a retried write appends the copy at the end
				}
				probe("repeated frame", slices.Concat(img[:at], img[a:b], img[at:]))
			}
			for range n {
				a, b := unit()
				c, d := unit()
				if c < a {
					a, b, c, d = c, d, a, b
				}
				if c < b || (a == c && b == d) {
					continue // overlapping or the same: not a swap
				}
				probe("swapped frames", slices.Concat(img[:a], img[c:d], img[b:c], img[a:b], img[d:]))
			}
			kinds := slices.Sorted(func(yield func(string) bool) {
				for k := range counts {
					if !yield(k) {
						return
					}
				}
			})
			for _, k := range kinds {
				c := counts[k]
				t.Logf("%-18s %4d cases: %4d refused with %v, %4d opened to exactly the acknowledged state", k, c.detected+c.exact, c.detected, f.corrupt, c.exact)
			}
		})
	}
}

func formats() []format {
	return []format{identityLog(), referralLedger(), loyaltyLedger(), segmentSnapshot(), funnelPartial(), cohortPartial(), trendPartial(), correlationPartial(), stickinessPartial(), journeys()}
}

// walFrames returns the frames of an internal/wal version 2 image: a 32-byte header,
// then frames of a 16-byte header (length first) and the payload.
func walFrames(img []byte) [][2]int {
	var out [][2]int
	for p := 32; p+16 <= len(img); {
		n := int(binary.LittleEndian.Uint32(img[p:]))
		out = append(out, [2]int{p, p + 16 + n})
		p += 16 + n
	}
	return out
}

func writeTemp(t *testing.T, name string, img []byte) string {
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, img, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

var t0 = time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)

// identityLog: a FileStore holding links, merges, a matched link, an unmerge and a
// forgotten profile.
// walFormat is a ledger kept in one internal/wal file named file: openStore opens the
// store on a path, history writes the ledger's history through it and returns the
// ledger's state, and replay opens a ledger on it and returns the state it holds.
func walFormat[S io.Closer](name, file string, corrupt error, openStore func(path string) (S, error), history func(t *testing.T, s S) string, replay func(s S) (string, error)) format {
	return format{
		name:    name,
		corrupt: corrupt,
		build: func(t *testing.T) ([]byte, [][2]int, string) {
			path := filepath.Join(t.TempDir(), file)
			s, err := openStore(path)
			if err != nil {
				t.Fatal(err)
			}
			want := history(t, s)
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			img, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			return img, walFrames(img), want
		},
		open: func(t *testing.T, img []byte) (string, error) {
			s, err := openStore(writeTemp(t, file, img))
			if err != nil {
				return "", err
			}
			defer s.Close()
			return replay(s)
		},
	}
}

func identityLog() format {
	var ids []identity.ID
	for i := range 12 {
		ids = append(ids, identity.ID{Kind: "email", Value: fmt.Sprintf("p%02d@example.com", i)},
			identity.ID{Kind: "anonymous_id", Value: fmt.Sprintf("anon-%02d", i)})
	}
	state := func(r *identity.Resolver) string {
		var sb strings.Builder
		fmt.Fprintf(&sb, "%+v\n", r.Stats())
		for _, id := range ids {
			p, ok := r.Lookup(id)
			fmt.Fprintf(&sb, "%s %v %d\n", id, ok, r.Current(p))
		}
		return sb.String()
	}
	return walFormat("identity log", "id.log", identity.ErrCorrupt, func(path string) (*identity.FileStore, error) { return identity.OpenFileStore(path, nil) },
		func(t *testing.T, s *identity.FileStore) string {
			r, err := identity.New(identity.DefaultRules(), identity.WithStore(s))
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			for i := range 12 {
				if _, err := r.Link(ctx, t0.Add(time.Duration(i)*time.Hour), "web", ids[2*i], ids[2*i+1]); err != nil {
					t.Fatal(err)
				}
				if i%3 == 2 { // merge with the previous person through her anonymous id
					if _, err := r.Link(ctx, t0.Add(time.Duration(i)*time.Hour+time.Minute), "web", ids[2*i], ids[2*i-1]); err != nil {
						t.Fatal(err)
					}
				}
			}
			if _, err := r.LinkMatch(ctx, t0.Add(19*time.Hour), "match", identity.Match{Weight: 11.25}, ids[6], ids[16]); err != nil {
				t.Fatal(err)
			}
			if _, err := r.Unmerge(ctx, t0.Add(20*time.Hour), ids[2*5-1]); err != nil {
				t.Fatal(err)
			}
			p, _ := r.Lookup(ids[0])
			if err := r.Forget(ctx, t0.Add(21*time.Hour), p); err != nil {
				t.Fatal(err)
			}
			if _, err := r.Link(ctx, t0.Add(22*time.Hour), "web", ids[22], ids[1]); err != nil {
				t.Fatal(err)
			}
			return state(r)
		},
		func(s *identity.FileStore) (string, error) {
			r, err := identity.New(identity.DefaultRules(), identity.WithStore(s))
			if err != nil {
				return "", err
			}
			return state(r), nil
		})
}

type clock time.Time

func (c clock) Now() time.Time { return time.Time(c) }

// referralLedger: a FileStore holding codes, sign-ups, orders, a refund, a payout and a
// merge.
func referralLedger() format {
	day := func(d int) time.Time { return t0.AddDate(0, 0, d) }
	rules, merges := referral.Rules{ReferrerReward: 500, ReferredReward: 100, Hold: 7 * 24 * time.Hour}, referral.WithClock(clock(day(60)))
	state := func(p *referral.Program) string {
		var sb strings.Builder
		for prof := uint32(1); prof <= 30; prof++ {
			fmt.Fprintf(&sb, "%d %+v\n", prof, p.Balance(day(60), prof))
		}
		fmt.Fprintln(&sb, p.Signups())
		return sb.String()
	}
	return walFormat("referral ledger", "ledger.wal", referral.ErrCorrupt, func(path string) (*referral.FileStore, error) { return referral.OpenFileStore(path, nil) },
		func(t *testing.T, s *referral.FileStore) string {
			p, err := referral.Open(s, rules, merges)
			if err != nil {
				t.Fatal(err)
			}
			var codes []referral.Code
			rnd := rand.NewChaCha8([32]byte{14})
			for i := range 3 {
				c, err := p.IssueCode(context.Background(), day(i), fmt.Sprint("code", i), uint32(i+1), referral.Signals{}, rnd)
				if err != nil {
					t.Fatal(err)
				}
				codes = append(codes, c)
			}
			for i := range 9 {
				prof := uint32(10 + i)
				if _, err := p.SignUp(context.Background(), day(3+i), fmt.Sprint("su", i), prof, string(codes[i%3]), referral.Signals{}); err != nil {
					t.Fatal(err)
				}
				if err := p.Order(context.Background(), day(4+i), fmt.Sprint("or", i), prof, fmt.Sprint("O", i), int64(1000+i)); err != nil {
					t.Fatal(err)
				}
			}
			if err := p.Refund(context.Background(), day(20), "rf", "O4"); err != nil {
				t.Fatal(err)
			}
			if err := p.Payout(context.Background(), day(30), "po", 1, 200); err != nil {
				t.Fatal(err)
			}
			if err := p.ApplyMerge(2, 3); err != nil {
				t.Fatal(err)
			}
			return state(p)
		},
		func(s *referral.FileStore) (string, error) {
			p, err := referral.Open(s, rules, merges)
			if err != nil {
				return "", err
			}
			return state(p), nil
		})
}

// segmentSnapshot: an index with tags, traits, numbers, daily activity and a saved
// segment; the state is the snapshot the decoded index writes again.
func segmentSnapshot() format {
	return format{
		name:    "segment snapshot",
		corrupt: segment.ErrCorrupt,
		build: func(t *testing.T) ([]byte, [][2]int, string) {
			x, err := segment.NewIndex(segment.WithNumber("spend", segment.MergeSum))
			if err != nil {
				t.Fatal(err)
			}
			for p := uint32(1); p <= 300; p++ {
				x.Tag(fmt.Sprint("tag", p%4), p)
				x.SetTrait("plan", fmt.Sprint("plan", p%3), p)
				x.SetNumber("spend", p, int64(p*37%1000)-200)
				for d := range int(p % 7) {
					x.Record(t0.AddDate(0, 0, d*3), p, "visit")
				}
			}
			if err := x.Save("loyal", segment.Must("count(visit, 30d) >= 3 AND spend > 100")); err != nil {
				t.Fatal(err)
			}
			if _, err := x.Refresh(t0.AddDate(0, 0, 20)); err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if _, err := x.WriteTo(&buf); err != nil {
				t.Fatal(err)
			}
			return buf.Bytes(), nil, buf.String()
		},
		open: func(t *testing.T, img []byte) (string, error) {
			x, err := segment.ReadSnapshot(img)
			if err != nil {
				return "", err
			}
			var buf bytes.Buffer
			if _, err := x.WriteTo(&buf); err != nil {
				t.Fatal(err)
			}
			return buf.String(), nil
		},
	}
}

func events() []funnel.Event {
	var out []funnel.Event
	for p := uint32(1); p <= 60; p++ {
		at := t0.Add(time.Duration(p) * time.Hour)
		out = append(out, funnel.Event{Profile: p, Time: at, Name: "signup"})
		for k := range int(p % 5) {
			name := "visit"
			if k == 2 {
				name = "purchase"
			}
			out = append(out, funnel.Event{Profile: p, Time: at.Add(time.Duration(k+1) * 50 * time.Hour), Name: name})
		}
	}
	return out
}

// blobFormat is a one-piece encoding whose state is its re-encoding.
func blobFormat(name string, build func() ([]byte, error), decode func([]byte) ([]byte, error)) format {
	return format{
		name:    name,
		corrupt: funnel.ErrCorrupt,
		build: func(t *testing.T) ([]byte, [][2]int, string) {
			b, err := build()
			if err != nil {
				t.Fatal(err)
			}
			return b, nil, string(b)
		},
		open: func(t *testing.T, img []byte) (string, error) {
			b, err := decode(img)
			return string(b), err
		},
	}
}

// partialFormat is a funnel partial: run makes one from the events, and decoding the
// bytes into empty's value and encoding it again must give them back.
func partialFormat[P interface {
	encoding.BinaryMarshaler
	encoding.BinaryUnmarshaler
}](name string, run func() (P, error), empty func() (P, error)) format {
	return blobFormat(name, func() ([]byte, error) {
		p, err := run()
		if err != nil {
			return nil, err
		}
		return p.MarshalBinary()
	}, func(b []byte) ([]byte, error) {
		p, err := empty()
		if err != nil {
			return nil, err
		}
		if err := p.UnmarshalBinary(b); err != nil {
			return nil, err
		}
		return p.MarshalBinary()
	})
}

func funnelPartial() format {
	spec := funnel.Spec{Steps: []funnel.Step{{Name: "signup"}, {Name: "visit"}, {Name: "purchase"}}, Window: 30 * 24 * time.Hour}
	return partialFormat("funnel partial", func() (*funnel.Partial[*funnel.Result], error) { return spec.Partial(events()) }, spec.NewPartial)
}

func cohortPartial() format {
	c := funnel.Cohorts{Start: funnel.Step{Name: "signup"}, Return: funnel.Step{Name: "visit"}, By: funnel.Week, Periods: 4}
	return partialFormat("cohort partial", func() (*funnel.Partial[*funnel.Table], error) { return c.Partial(events()) }, c.NewPartial)
}

func trendPartial() format {
	tr := funnel.Trend{Spec: funnel.Spec{Steps: []funnel.Step{{Name: "signup"}, {Name: "visit"}, {Name: "purchase"}}, Window: 30 * 24 * time.Hour}, By: funnel.Week}
	return partialFormat("trend partial", func() (*funnel.Partial[*funnel.TrendResult], error) { return tr.Partial(events()) }, tr.NewPartial)
}

func correlationPartial() format {
	c := funnel.Correlate{Spec: funnel.Spec{Steps: []funnel.Step{{Name: "signup"}, {Name: "purchase"}}, Window: 30 * 24 * time.Hour}}
	return partialFormat("correlation partial", func() (*funnel.Partial[*funnel.Correlations], error) { return c.Partial(events()) }, c.NewPartial)
}

func stickinessPartial() format {
	sk := funnel.Stickiness{Event: funnel.Step{Name: "visit"}, By: funnel.Week}
	return partialFormat("stickiness partial", func() (*funnel.Partial[*funnel.StickinessResult], error) { return sk.Partial(events()) }, sk.NewPartial)
}

func journeys() format {
	var l funnel.Lifecycle
	return blobFormat("journeys", func() ([]byte, error) {
		j, err := l.Run(events())
		if err != nil {
			return nil, err
		}
		return j.MarshalBinary()
	}, func(b []byte) ([]byte, error) {
		j, err := l.NewJourneys()
		if err != nil {
			return nil, err
		}
		if err := j.UnmarshalBinary(b); err != nil {
			return nil, err
		}
		return j.MarshalBinary()
	})
}
