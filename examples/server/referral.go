package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/clientele-go/clientele"
	"github.com/clientele-go/clientele/identity"
	"github.com/clientele-go/clientele/referral"
)

// The referral programme (referral.Program) runs on the store the server was given:
// its ledger is DIR/referral.log with file:, the referral_log table shared by every
// server with postgres:// (referral/pgstore: each server decides on the whole ledger,
// so a conversion delivered to two servers pays once), memory with mem:. People are
// named by their user id, linked to a profile by the resolver; the programme asks the
// resolver whether referrer and friend are one person, and follows its merges.
//
//	POST /v1/referral/codes    {"key", "user"}                                   -> {"code"}
//	POST /v1/referral/invites  {"key", "user", "email", "phone", "at"}
//	POST /v1/referral/signups  {"key", "user", "code", "email", "phone", "device", "ip", "at"}
//	                           -> {"profile", "referrer", "blocked", "reasons"}
//	POST /v1/referral/orders   {"key", "user", "order", "amount", "at"}
//	POST /v1/referral/refunds  {"key", "order", "amount", "at"}   (amount 0: what remains)
//	POST /v1/referral/forget   {"email", "phone", "at"}   erases an invitee who has no profile
//	GET  /v1/referral/balance?user=&at=   {"profile", "earned", "held", "paid", "payable"}
//	GET  /v1/referral/payables?at=        [{"profile", "amount"}]
//
// "key" is the event's idempotency key (a webhook's id): the same key again changes
// nothing. "at" is RFC 3339, default now; amounts are in the currency's minor unit.
//
// /v1/referral/forget serves the right to be forgotten of a person invited by e-mail or
// phone who never signed up, whom DELETE /v1/profiles/{id} cannot name: the
// invitations sent to that contact (spelled as the invite gave it) keep their keys and
// inviters and lose the contact, in memory and in the ledger's store, before the reply
// (referral.Program.ForgetContact). It needs no key: a second call finds nothing left
// to erase and changes nothing. A person with a profile is erased by DELETE
// /v1/profiles/{id}, which erases the invitations sent to their own e-mail and phone too.

// referralRequest is the body of every referral POST; each endpoint reads its fields.
type referralRequest struct {
	Key    string   `json:"key"`
	User   string   `json:"user"`
	Code   string   `json:"code"`
	Email  string   `json:"email"`
	Phone  string   `json:"phone"`
	Device string   `json:"device"`
	IP     string   `json:"ip"`
	Order  string   `json:"order"`
	Amount int64    `json:"amount"`
	At     bodyTime `json:"at"`
}

// bodyTime is a body's "at": an RFC 3339 time in a string. time.Time's own decoding
// answered "Time.UnmarshalJSON: input is not a JSON string" and Go's layout, not the
// field's name or what it wants.
type bodyTime struct{ time.Time }

func (t *bodyTime) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil // as encoding/json leaves any field: absent, so now
	}
	var v string
	if json.Unmarshal(b, &v) != nil {
		return fmt.Errorf("field at: want an RFC 3339 time in a string, such as \"2026-03-01T10:00:00Z\", got %s", b)
	}
	at, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return fmt.Errorf("field at: %q is no RFC 3339 time, such as \"2026-03-01T10:00:00Z\"", v)
	}
	t.Time = at
	return nil
}

func (s *server) referralRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /v1/referral/{what}", s.postReferral)
	mux.HandleFunc("GET /v1/referral/balance", s.getBalance)
	mux.HandleFunc("GET /v1/referral/payables", s.getPayables)
}

// openReferral opens the programme on the storage's ledger with the resolver as its
// judge of who is one person.
func (s *server) openReferral(ledger referral.Store, rules referral.Rules) error {
	p, err := referral.Open(ledger, rules, referral.WithPeople(s.ids), referral.WithClock(s.clock))
	if err != nil {
		return err
	}
	s.ref = p
	return nil
}

// profileOf links a user id to its profile (creating it if new).
func (s *server) profileOf(ctx context.Context, at time.Time, user string) (uint32, error) {
	if user == "" {
		return 0, fmt.Errorf("%w: field user: missing", referral.ErrInvalid)
	}
	p, err := s.ids.Link(ctx, at, "referral", identity.ID{Kind: "user_id", Value: user})
	if err == nil && p == 0 {
		err = fmt.Errorf("%w: user %q is a junk or quarantined value", referral.ErrInvalid, user)
	}
	return p, err
}

func (s *server) postReferral(w http.ResponseWriter, r *http.Request) {
	data, ok := body(w, r)
	if !ok {
		return
	}
	var req referralRequest
	if err := json.Unmarshal(data, &req); err != nil {
		fail(w, http.StatusBadRequest, "body: %s", bodyError(err))
		return
	}
	if req.At.IsZero() {
		req.At.Time = s.clock.Now()
	}
	ctx := r.Context()
	var out any = map[string]bool{"ok": true}
	var err error
	var p uint32
	switch what := r.PathValue("what"); what {
	case "codes", "invites", "signups", "orders":
		if p, err = s.profileOf(ctx, req.At.Time, req.User); err != nil {
			break
		}
		switch what {
		case "codes":
			var c referral.Code
			c, err = s.ref.IssueCode(r.Context(), req.At.Time, req.Key, p, referral.Signals{Email: req.Email, Phone: req.Phone, Device: req.Device, Network: req.IP}, nil)
			out = map[string]string{"code": string(c)}
		case "invites":
			err = s.ref.Invite(r.Context(), req.At.Time, req.Key, p, referral.Signals{Email: req.Email, Phone: req.Phone})
		case "signups":
			var d referral.Decision
			d, err = s.ref.SignUp(r.Context(), req.At.Time, req.Key, p, req.Code, referral.Signals{Email: req.Email, Phone: req.Phone, Device: req.Device, Network: req.IP})
			if d.Reasons == nil {
				d.Reasons = []string{}
			}
			out = map[string]any{"profile": p, "referrer": d.Referrer, "blocked": d.Blocked, "reasons": d.Reasons}
		case "orders":
			err = s.ref.Order(r.Context(), req.At.Time, req.Key, p, req.Order, req.Amount)
		}
	case "forget":
		if req.Key != "" || req.User != "" {
			err = fmt.Errorf("%w: forget takes only email, phone and at: to erase a person with a profile, DELETE /v1/profiles/{id}", referral.ErrInvalid)
			break
		}
		err = s.ref.ForgetContact(ctx, req.At.Time, referral.Signals{Email: req.Email, Phone: req.Phone})
	case "refunds":
		if req.Amount == 0 {
			err = s.ref.Refund(r.Context(), req.At.Time, req.Key, req.Order)
		} else {
			err = s.ref.RefundAmount(r.Context(), req.At.Time, req.Key, req.Order, req.Amount)
		}
	default:
		fail(w, http.StatusNotFound, "no referral endpoint %q", what)
		return
	}
	if err != nil {
		s.noteStorage(err)
		fail(w, referralStatus(err), "%v", err)
		return
	}
	reply(w, http.StatusOK, out)
}

// bodyError says what is wrong with a referral body in the request's terms: a field of
// the wrong type is named by its JSON name with what it wants (encoding/json named the
// Go struct and type, which the client never saw), an amount with what its unit is.
func bodyError(err error) string {
	var typ *json.UnmarshalTypeError
	switch {
	case !errors.As(err, &typ):
		return err.Error()
	case typ.Field == "":
		return fmt.Sprintf("want a JSON object, got %s", typ.Value)
	case typ.Field == "amount":
		return fmt.Sprintf("field amount: want a whole number of the currency's minor unit (1250 for 12.50), got %s", typ.Value)
	}
	return fmt.Sprintf("field %s: want a string, got %s", typ.Field, typ.Value)
}

// referralStatus maps the programme's errors to HTTP: bad input 400, a conflict with
// the ledger 409, an unknown order or code 404 or 422, anything else (the ledger's
// store) 503.
func referralStatus(err error) int {
	switch {
	case errors.Is(err, referral.ErrInvalid), errors.Is(err, identity.ErrInvalid):
		return http.StatusBadRequest
	case errors.Is(err, referral.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, referral.ErrConflict), errors.Is(err, referral.ErrKeyReused),
		errors.Is(err, referral.ErrInsufficient), errors.Is(err, referral.ErrRefundExceeds),
		errors.Is(err, referral.ErrRefundBeforeOrder):
		return http.StatusConflict
	case errors.Is(err, referral.ErrCode):
		return http.StatusUnprocessableEntity
	}
	return http.StatusServiceUnavailable
}

// queryTime reads the at parameter (RFC 3339), default now.
func (s *server) queryTime(w http.ResponseWriter, r *http.Request) (time.Time, bool) {
	v := r.URL.Query().Get("at")
	if v == "" {
		return s.clock.Now(), true
	}
	at, err := time.Parse(time.RFC3339, v)
	if err != nil {
		fail(w, http.StatusBadRequest, "at %q: want RFC 3339", v)
		return time.Time{}, false
	}
	return at, true
}

func (s *server) getBalance(w http.ResponseWriter, r *http.Request) {
	if !s.fresh(w, r) {
		return
	}
	at, ok := s.queryTime(w, r)
	if !ok {
		return
	}
	user := r.URL.Query().Get("user")
	if user == "" {
		// Was 404 "no profile holds user """, as if the request were sound.
		fail(w, http.StatusBadRequest, "balance needs user, as in ?user=ann")
		return
	}
	p, found := s.ids.Lookup(identity.ID{Kind: "user_id", Value: user})
	if !found {
		fail(w, http.StatusNotFound, "no profile holds user %q", user)
		return
	}
	b := s.ref.Balance(at, p)
	reply(w, http.StatusOK, map[string]any{"profile": p, "earned": b.Earned, "held": b.Held, "paid": b.Paid, "payable": b.Payable})
}

func (s *server) getPayables(w http.ResponseWriter, r *http.Request) {
	if !s.fresh(w, r) {
		return
	}
	at, ok := s.queryTime(w, r)
	if !ok {
		return
	}
	type payable struct {
		Profile uint32 `json:"profile"`
		Amount  int64  `json:"amount"`
	}
	out := []payable{}
	for _, p := range s.ref.Payables(at) {
		out = append(out, payable(p))
	}
	reply(w, http.StatusOK, out)
}

// defaultProgramme is the programme unless the -reward flags say otherwise: the
// referrer earns 10.00 and the friend 5.00 at the friend's first order, payable at once,
// with the self-referral guard blocking.
func defaultProgramme() referral.Rules {
	return referral.Rules{ReferrerReward: 1000, ReferredReward: 500}
}

// programmeFlags is the programme the -referrer-reward, -referred-reward and
// -reward-hold flags give, checked before the server starts, with an error naming the
// flag: a negative reward stopped the server with "referral: invalid input: rules:
// negative amount", after the storage was opened, naming neither flag nor value.
func programmeFlags(referrer, referred int64, hold string) (referral.Rules, error) {
	r := defaultProgramme()
	r.ReferrerReward, r.ReferredReward = referrer, referred
	for _, f := range []struct {
		name string
		v    int64
	}{{"-referrer-reward", referrer}, {"-referred-reward", referred}} {
		if f.v < 0 {
			return r, fmt.Errorf("%s %d: want 0 or more, in the currency's minor unit (1000 for 10.00)", f.name, f.v)
		}
	}
	d, err := clientele.ParseDuration(hold)
	if err != nil {
		return r, fmt.Errorf("-reward-hold: %w", err)
	}
	r.Hold = d
	// The programme's own limits (the largest amount an event may carry), as Open
	// checks them, before the storage is opened.
	if _, err := referral.Open(&referral.MemStore{}, r); err != nil {
		return r, fmt.Errorf("-referrer-reward %d, -referred-reward %d: %w", referrer, referred, err)
	}
	return r, nil
}
