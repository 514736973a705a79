package pipeline

import (
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/clientele-go/clientele/referral/attribution"

	"github.com/clientele-go/clientele/funnel"
	"github.com/clientele-go/clientele/scoring"
)

// genEvents makes a customer base shaped like internal/synth's (which this module
// cannot import): most profiles visit a few times, some sign up, about 70% of buyers
// buy once and 30% again, some were referred by another profile; channels and
// campaigns are properties. Times are whole minutes, so that a profile sometimes has
// two events at one instant and the canonical order matters.
func genEvents(seed uint64, profiles int) []funnel.Event {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	start := time.Date(2025, 1, 6, 0, 0, 0, 0, time.UTC)
	channels := []string{"store", "web", "social", "call_centre"}
	campaigns := []string{"spring", "summer", "none"}
	var out []funnel.Event
	for p := 1; p <= profiles; p++ {
		t := start.Add(time.Duration(r.IntN(180*24*60)) * time.Minute)
		props := func() map[string]string {
			m := map[string]string{"channel": channels[r.IntN(len(channels))], "campaign": campaigns[r.IntN(len(campaigns))]}
			if p > 1 && r.IntN(10) == 0 {
				m["referrer"] = strconv.Itoa(1 + r.IntN(p-1))
			}
			return m
		}
		add := func(name string) {
			out = append(out, funnel.Event{Profile: uint32(p), Time: t, Name: name, Props: props()})
			// Gaps from a minute to a few weeks; zero now and then (ties).
			switch r.IntN(8) {
			case 0:
			case 1, 2:
				t = t.Add(time.Duration(1+r.IntN(120)) * time.Minute)
			default:
				t = t.Add(time.Duration(1+r.IntN(40*24*60)) * time.Minute)
			}
		}
		visits := 1 + r.IntN(5)
		for range visits {
			add("visit")
		}
		if r.IntN(3) == 0 {
			add("signup")
			if r.IntN(2) == 0 {
				add("cart")
			}
			if r.IntN(10) < 7 {
				add("purchase")
				if r.IntN(10) < 3 {
					for range 1 + r.IntN(4) {
						add("visit")
						add("purchase")
					}
				}
				if r.IntN(20) == 0 {
					add("refund")
				}
			}
		}
	}
	// Shuffle, as events arrive from many sources.
	r.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// genTransactions makes purchase histories in the shape BG/NBD assumes: each profile
// buys at a rate of its own until it drops out, amounts of a spend level of its own.
func genTransactions(seed uint64, profiles int) []scoring.Transaction {
	r := rand.New(rand.NewPCG(seed, seed+1))
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	var out []scoring.Transaction
	for p := 1; p <= profiles; p++ {
		t := start.Add(time.Duration(r.IntN(200*24*60)) * time.Minute)
		rate := r.ExpFloat64() / 20 // purchases a day
		level := 5 + 50*r.ExpFloat64()
		drop := 0.6 * r.Float64() * r.Float64() // heterogeneous, as BG/NBD's beta mixing
		for {
			out = append(out, scoring.Transaction{Profile: uint32(p), Time: t, Amount: float64(int(level*(0.5+r.Float64())*100)) / 100})
			if r.Float64() < drop { // drop out
				break
			}
			t = t.Add(time.Duration(r.ExpFloat64()/rate*24*60) * time.Minute)
			if t.After(start.AddDate(1, 0, 0)) {
				break
			}
		}
	}
	r.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// genPaths makes journeys over six channels, many of them repeated.
func genPaths(seed uint64, n int) []attribution.Path {
	r := rand.New(rand.NewPCG(seed, seed+2))
	chans := []string{"email", "social", "search", "display", "sms", "direct"}
	out := make([]attribution.Path, n)
	for i := range out {
		k := 1 + r.IntN(4)
		p := attribution.Path{}
		for range k {
			p.Touches = append(p.Touches, chans[min(r.IntN(len(chans)), r.IntN(len(chans)))])
		}
		if r.IntN(3) == 0 {
			p.Conversions = 1
			p.Value = float64(1+r.IntN(200)) / 4
		} else {
			p.Nulls = 1
		}
		out[i] = p
	}
	return out
}
