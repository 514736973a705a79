package main

import (
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clientele-go/clientele"
	"github.com/clientele-go/clientele/internal/pg/pgtest"
)

// postJSON sends a JSON body and returns the reply, failing the test unless it is 200.
func postJSON(t *testing.T, url, body string) string {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST %s %s: %d %s", url, body, resp.StatusCode, data)
	}
	return string(data)
}

// referAndBuy has ann refer bob through her code: it asks base for ann's code, signs bob
// up with it through signup, and returns the order's body, which the caller sends.
func referAndBuy(t *testing.T, base, signup string) string {
	t.Helper()
	var c struct{ Code string }
	json.Unmarshal([]byte(postJSON(t, base+"/v1/referral/codes", `{"key":"code-ann","user":"ann","at":"2026-03-01T10:00:00Z"}`)), &c)
	if c.Code == "" {
		t.Fatal("no code issued")
	}
	var d struct {
		Referrer uint32
		Blocked  bool
	}
	json.Unmarshal([]byte(postJSON(t, signup+"/v1/referral/signups",
		`{"key":"signup-bob","user":"bob","code":"`+c.Code+`","email":"bob@example.com","at":"2026-03-02T10:00:00Z"}`)), &d)
	if d.Referrer == 0 || d.Blocked {
		t.Fatalf("bob's sign-up: referrer %d, blocked %v", d.Referrer, d.Blocked)
	}
	return `{"key":"order-7","user":"bob","order":"A-7","amount":4900,"at":"2026-03-03T10:00:00Z"}`
}

// rewards is what a server answers about the programme: ann's and bob's balances and
// the payout run, a day after the order.
func rewards(t *testing.T, base string) string {
	t.Helper()
	const at = "&at=2026-03-04T10:00:00Z"
	return get(t, base+"/v1/referral/balance?user=ann"+at) + get(t, base+"/v1/referral/balance?user=bob"+at) +
		get(t, base+"/v1/referral/payables?"+at[1:])
}

const wantRewards = `"earned":1000,"held":0,"paid":0,"payable":1000`

// TestReferralSurvivesKill: with the file store, codes, referrals and rewards survive a
// SIGKILL, and the order webhook delivered again after the restart pays nothing more.
func TestReferralSurvivesKill(t *testing.T) {
	args := []string{"-store", "file:" + filepath.Join(t.TempDir(), "data")}
	p := startProc(t, args...)
	order := referAndBuy(t, p.base, p.base)
	postJSON(t, p.base+"/v1/referral/orders", order)
	want := rewards(t, p.base)
	if !strings.Contains(want, wantRewards) || !strings.Contains(want, `"amount":500`) {
		t.Fatalf("before the kill: %s", want)
	}
	p.kill(t)
	p = startProc(t, args...)
	if got := rewards(t, p.base); got != want {
		t.Fatalf("after SIGKILL and restart:\n got %s\nwant %s", got, want)
	}
	postJSON(t, p.base+"/v1/referral/orders", order)
	if got := rewards(t, p.base); got != want {
		t.Fatalf("the order delivered again after the restart changed the rewards:\n got %s\nwant %s", got, want)
	}
}

// TestReferralTwoServersPayOnce: two servers on one schema; the code is issued on one,
// the friend signs up on the other, and the order webhook reaches both at once, three
// times each. Both pay the rewards once and answer alike, also after both are killed
// and restarted.
func TestReferralTwoServersPayOnce(t *testing.T) {
	url := pgtest.URL(t)
	pool := pgtest.Pool(t)
	schema := pgtest.Schema(t, pool)
	args := []string{"-store", url, "-schema", schema}
	a, b := startProc(t, args...), startProc(t, args...)
	order := referAndBuy(t, a.base, b.base)
	var wg sync.WaitGroup
	for range 3 {
		for _, p := range []*proc{a, b} {
			wg.Go(func() { postJSON(t, p.base+"/v1/referral/orders", order) })
		}
	}
	wg.Wait()
	want := rewards(t, a.base)
	if !strings.Contains(want, wantRewards) || !strings.Contains(want, `"amount":500`) {
		t.Fatalf("server A: %s", want)
	}
	if got := rewards(t, b.base); got != want {
		t.Fatalf("servers differ:\nA: %s\nB: %s", want, got)
	}
	var n int
	if err := pool.QueryRow(t.Context(), "SELECT count(*) FROM "+schema+".referral_log").Scan(&n); err != nil {
		t.Fatal(err)
	}
	// code, sign-up, attribution, order, two rewards (and the merges' records, none here)
	if n != 6 {
		t.Fatalf("the ledger holds %d records, want 6", n)
	}
	a.kill(t)
	b.kill(t)
	a, b = startProc(t, args...), startProc(t, args...)
	for name, p := range map[string]*proc{"A": a, "B": b} {
		if got := rewards(t, p.base); got != want {
			t.Fatalf("server %s after SIGKILL and restart:\n got %s\nwant %s", name, got, want)
		}
	}
}

// TestReferralBodyErrors: a body field of the wrong type is named by its JSON name with
// what it wants, not by encoding/json's Go struct and type, which the client never saw;
// a null "at" is an absent one (now), as before; a balance without a user is a 400.
func TestReferralBodyErrors(t *testing.T) {
	s := memoryServer(t, clientele.FixedClock(time.Date(2026, 3, 5, 0, 0, 0, 0, time.UTC)))
	base, stop := start(t, s)
	defer stop()
	for _, c := range []struct{ body, want string }{
		{`{"key":"o","user":"u","order":"A","amount":"12.50"}`, `body: field amount: want a whole number of the currency's minor unit (1250 for 12.50), got string`},
		{`{"key":"o","user":"u","order":"A","amount":12.5}`, `body: field amount: want a whole number of the currency's minor unit (1250 for 12.50), got number 12.5`},
		{`{"key":"o","user":5,"order":"A","amount":1}`, `body: field user: want a string, got number`},
		{`{"key":"o","user":"u","order":"A","amount":1,"at":5}`, `body: field at: want an RFC 3339 time in a string, such as "2026-03-01T10:00:00Z", got 5`},
		{`{"key":"o","user":"u","order":"A","amount":1,"at":"yesterday"}`, `body: field at: "yesterday" is no RFC 3339 time, such as "2026-03-01T10:00:00Z"`},
		{`[{"key":"o"}]`, `body: want a JSON object, got array`},
	} {
		var e struct{ Error string }
		call(t, "POST", base+"/v1/referral/orders", c.body, http.StatusBadRequest, &e)
		if e.Error != c.want {
			t.Errorf("%s: %q, want %q", c.body, e.Error, c.want)
		}
	}
	postJSON(t, base+"/v1/referral/codes", `{"key":"c","user":"u","at":null}`)
	// A balance without a user is the request's mistake: it was 404, "no profile holds
	// user """.
	var e struct{ Error string }
	call(t, "GET", base+"/v1/referral/balance", "", http.StatusBadRequest, &e)
	if e.Error != "balance needs user, as in ?user=ann" {
		t.Errorf("balance without user: %q", e.Error)
	}
}

// TestProgrammeFlags: a negative reward is refused naming its flag before the server
// starts; it stopped the started server with "referral: invalid input: rules: negative
// amount", naming neither. A reward past the programme's limit and a bad hold name
// theirs too.
func TestProgrammeFlags(t *testing.T) {
	for _, c := range []struct {
		referrer, referred int64
		hold, want         string
	}{
		{-5, 500, "0s", "-referrer-reward -5: want 0 or more, in the currency's minor unit (1000 for 10.00)"},
		{1000, -1, "0s", "-referred-reward -1: want 0 or more"},
		{1 << 62, 500, "0s", "-referrer-reward 4611686018427387904, -referred-reward 500: referral: invalid input: rules: ReferrerReward 4611686018427387904"},
		{1000, 500, "-3d", `-reward-hold: clientele: invalid input: duration "-3d"`},
	} {
		_, err := programmeFlags(c.referrer, c.referred, c.hold)
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%d, %d, %q: %v, want an error starting %q", c.referrer, c.referred, c.hold, err, c.want)
		}
	}
	r, err := programmeFlags(0, 250, "14d")
	if err != nil || r.ReferrerReward != 0 || r.ReferredReward != 250 || r.Hold != 14*24*time.Hour {
		t.Errorf("0, 250, 14d: %+v, %v", r, err)
	}
}
