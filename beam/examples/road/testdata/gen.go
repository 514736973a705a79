//go:build ignore

// gen writes the road example's sample data: events.jsonl (one event a line),
// transactions.csv (profile,date,amount, the purchases among the events) and
// links.jsonl (identifiers seen together, for identity resolution). It is
// seeded, so running it again writes the same files:
//
//	go run testdata/gen.go   (from beam/examples/road)
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

type event struct {
	Profile uint32            `json:"profile"`
	Time    time.Time         `json:"time"`
	Name    string            `json:"event"`
	Props   map[string]string `json:"properties,omitempty"`
}

func main() {
	r := rand.New(rand.NewPCG(17, 2025))
	start := time.Date(2025, 1, 6, 0, 0, 0, 0, time.UTC)
	end := time.Date(2025, 12, 31, 0, 0, 0, 0, time.UTC)
	channels := []string{"search", "social", "email", "display", "direct"}
	var events []event
	var txs []string
	for p := uint32(1); p <= 3000; p++ {
		t := start.Add(time.Duration(r.IntN(300*24)) * time.Hour)
		add := func(name string, props map[string]string) {
			if t.Before(end) {
				events = append(events, event{Profile: p, Time: t, Name: name, Props: props})
			}
			t = t.Add(time.Duration(1+r.IntN(20*24*60)) * time.Minute)
		}
		visit := func() {
			props := map[string]string{"channel": channels[min(r.IntN(5), r.IntN(5))]}
			if p > 1 && r.IntN(15) == 0 {
				props["referrer"] = strconv.Itoa(1 + r.IntN(int(p)-1))
			}
			add("visit", props)
		}
		for range 1 + r.IntN(4) {
			visit()
		}
		if r.IntN(3) != 0 {
			continue
		}
		add("signup", nil)
		level := 10 + 40*r.ExpFloat64()
		drop := 0.8 * r.Float64() * r.Float64() // dropout after a purchase, per person
		if r.IntN(10) >= 7 {
			continue
		}
		for {
			amount := float64(int(level*(0.5+r.Float64())*100)) / 100
			if t.Before(end) {
				txs = append(txs, fmt.Sprintf("%d,%s,%.2f", p, t.Format(time.DateOnly), amount))
			}
			add("purchase", map[string]string{"amount": strconv.FormatFloat(amount, 'f', 2, 64)})
			if r.Float64() < drop {
				break
			}
			visit()
		}
	}
	slices.SortStableFunc(events, func(a, b event) int { return a.Time.Compare(b.Time) })
	write("events.jsonl", func(w *bufio.Writer) {
		for _, e := range events {
			b, _ := json.Marshal(e)
			w.Write(append(b, '\n'))
		}
	})
	write("transactions.csv", func(w *bufio.Writer) {
		for _, t := range txs {
			fmt.Fprintln(w, t)
		}
	})
	links(rand.New(rand.NewPCG(17, 2026)), start, end)
}

func write(name string, body func(*bufio.Writer)) {
	f, err := os.Create(name)
	if err != nil {
		panic(err)
	}
	w := bufio.NewWriter(f)
	body(w)
	if err := w.Flush(); err != nil {
		panic(err)
	}
	if err := f.Close(); err != nil {
		panic(err)
	}
}

type linkID struct {
	Kind  string `json:"kind"`
	Value string `json:"value"`
}

type link struct {
	Time   time.Time `json:"time"`
	Source string    `json:"source"`
	IDs    []linkID  `json:"ids"`
	Match  *float64  `json:"match,omitempty"`
}

// links writes links.jsonl: the identifiers 1,000 people are seen with together.
// People browse anonymously on a device or two and some log in (user id, e-mail,
// sometimes spelled differently); some households share a tablet; some people buy in
// the store with their phone, and the till sometimes types the shop's own number; a
// probabilistic matcher joins some store phones to e-mails (a match weight in bits);
// trackers sometimes send "null".
func links(r *rand.Rand, start, end time.Time) {
	minutes := int(end.Sub(start) / time.Minute)
	at := func() time.Time { return start.Add(time.Duration(r.IntN(minutes)) * time.Minute) }
	var ls []link
	for p := 1; p <= 1000; p++ {
		devices := []string{fmt.Sprintf("dev-%d", p)}
		if r.IntN(3) == 0 {
			devices = append(devices, fmt.Sprintf("dev-%d-b", p))
		}
		if p > 1 && r.IntN(12) == 0 {
			devices = append(devices, fmt.Sprintf("dev-%d", 1+r.IntN(p-1))) // a household's tablet
		}
		email := fmt.Sprintf("person.%d@example.org", p)
		for v := range 1 + r.IntN(4) {
			anon := fmt.Sprintf("anon-%d-%d", p, v)
			if r.IntN(60) == 0 {
				anon = "null"
			}
			ls = append(ls, link{Time: at(), Source: "web", IDs: []linkID{{"anonymous_id", anon}, {"device_id", devices[r.IntN(len(devices))]}}})
			if r.IntN(2) == 0 {
				e := email
				if r.IntN(3) == 0 {
					e = " " + strings.ToUpper(email)
				}
				ls = append(ls, link{Time: at(), Source: "web", IDs: []linkID{{"user_id", fmt.Sprintf("u%d", p)}, {"email", e}, {"anonymous_id", anon}}})
			}
		}
		if r.IntN(3) == 0 {
			phone := fmt.Sprintf("+1415%07d", p)
			if r.IntN(25) == 0 {
				phone = "+14155550000" // the shop's own number
			}
			ids := []linkID{{"phone", phone}}
			if r.IntN(2) == 0 {
				ids = append(ids, linkID{"email", email})
			}
			ls = append(ls, link{Time: at(), Source: "store", IDs: ids})
			if r.IntN(3) == 0 {
				w := float64(8 + r.IntN(12))
				ls = append(ls, link{Time: at(), Source: "matcher", IDs: []linkID{{"phone", phone}, {"user_id", fmt.Sprintf("u%d", p)}}, Match: &w})
			}
		}
	}
	slices.SortStableFunc(ls, func(a, b link) int { return a.Time.Compare(b.Time) })
	write("links.jsonl", func(w *bufio.Writer) {
		for _, l := range ls {
			b, _ := json.Marshal(l)
			w.Write(append(b, '\n'))
		}
	})
}
