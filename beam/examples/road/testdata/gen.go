//go:build ignore

// gen writes the road example's sample data: events.jsonl (one event a line) and
// transactions.csv (profile,date,amount, the purchases among the events). It is
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
