package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/clientele-go/clientele"
	"github.com/clientele-go/clientele/funnel"
	"github.com/clientele-go/clientele/identity"
	"github.com/clientele-go/clientele/internal/tracking"
	"github.com/clientele-go/clientele/internal/wal"
	"github.com/clientele-go/clientele/referral"
	"github.com/clientele-go/clientele/segment"
	segpg "github.com/clientele-go/clientele/segment/pgstore"
)

// maxBody bounds a request body; a larger one gets 413 and changes nothing.
const maxBody = 1 << 20

// maxSegmentName is the longest segment name the server keeps: its definition's blob,
// savedPrefix+name, must be a segment.Store name (segment.CheckName).
const maxSegmentName = 128 - len(savedPrefix)

// server holds the SDK's state. The resolver and the index are safe for concurrent use;
// mu guards the events kept for funnels, and orders the index's merges with the
// recording of events (merged).
type server struct {
	clock clientele.Clock
	ids   *identity.Resolver
	seg   *segment.Index
	log   *slog.Logger // requests and lifecycle; discarded unless set
	token string       // bearer token every guarded path requires; empty: none
	// writeKeys maps the tracking API's write keys to the names of their sources.
	writeKeys map[string]string
	seen      dedup // messageIds applied through the tracking API
	ref       *referral.Program
	// afterCatchUp, if set, is called by refresh once the catch-ups of identity and
	// the ledger (run at once) have both returned, before the events are read: a
	// test's hook to interleave another server's writes.
	afterCatchUp func()
	// resolved, if set, is called (under mu) between an event's resolution (Current
	// gave profile for key) and its Record; merging, if set, when a merge reported by
	// identity has to wait for mu (merged): a test's hooks to deliver a merge in that
	// window and see it wait.
	resolved func(key, profile uint32)
	merging  func(identity.Merge)

	// putMu serialises PUT and DELETE /v1/segments, the following of definitions
	// other servers wrote (syncSaved) and the encoding of snapshots, so that a save the
	// storage refuses is undone without undoing another's, and a snapshot records the
	// incarnations of the segments it writes. It is taken before snapMu and mu. It
	// guards savedVers, the storage's version and incarnation of each definition as
	// last read (see syncSaved), and savedStuck, the reason a definition kept could not
	// be applied, as last logged.
	putMu      sync.Mutex
	savedVers  map[string]segpg.Version
	savedStuck map[string]string
	// snapMu is held by a snapshot from before its encoding to the end of its write to
	// the storage, so that snapshots are written in the order they were encoded
	// (writeSnapshot); a snapshot begun in the background lets putMu go once encoded,
	// so that the syncs, and the requests that run them, do not wait for its write. It
	// is taken after putMu and before mu, and guards snapClosed.
	snapMu     sync.Mutex
	snapClosed bool // the last snapshot is written (closeSnapshot): no other may be

	mu     sync.Mutex
	events []funnel.Event // profile keys as recorded; remapped through ids.Current on use

	// gone holds the profile keys identity retired (a Forget, on this server or another)
	// as this server met them, so that an event of one is neither kept nor waited for;
	// unerased those whose events the event log may still hold, which the next refresh
	// erases from it (eraseEvents); erasing is the report of this server's erasure
	// under way (deleteProfile), which OnForget fills in. Guarded by mu.
	gone, unerased map[uint32]bool
	erasing        *erasure
	// eraseMu serialises this server's erasures, so that erasing is one request's.
	eraseMu sync.Mutex
	// forgetSnap is set when a Forget reached the index after the last snapshot was
	// begun: the stored snapshot may still hold the forgotten profiles, so refresh
	// writes another (another server's stale snapshot may have replaced the one
	// written after the erasure).
	forgetSnap atomic.Bool

	// st keeps what survives a restart (storage.go); nil: memory only. Guarded by mu:
	// applied, the events of st's log applied; snapPos, the first the loaded
	// snapshot did not hold.
	st      *storage
	applied uint64
	snapPos uint64
	// lastSnap is the position of the last snapshot loaded or written, as encoded (the
	// events applied during its write are not in it), guarded by mu; snapping is set
	// while a periodic snapshot is being written, every snapEvery events applied (0:
	// only when a segment is saved and at shutdown).
	lastSnap  uint64
	snapping  atomic.Bool
	snapEvery uint64
	// background is the context of the snapshots no request waits for (periodic, and
	// after an erasure): the server's own, which run's shutdown ends (newServerOn's
	// ctx), so that one waiting for a PostgreSQL that stopped answering gives up
	// snapMu to the last snapshot, which supersedes it, rather than keep it waiting
	// (for ever with -pg-timeout 0).
	background context.Context
	// broken is the first storage failure that lasts until a restart (noteStorage):
	// GET /healthz reports it.
	broken atomic.Pointer[error]
}

// noteStorage keeps err for GET /healthz if it says the storage refuses writes until
// the server restarts: a file store's log after a failed fsync or a write it could not
// undo (internal/wal's ErrBroken; identity's resolver fails with it too). Every write
// answers 503 from then on, and /healthz answering 200 would keep a supervisor from
// restarting the server, which reads back what the disk holds.
func (s *server) noteStorage(err error) {
	if errors.Is(err, wal.ErrBroken) {
		s.broken.CompareAndSwap(nil, &err)
	}
}

func newServer(clock clientele.Clock, opts ...identity.Option) (*server, error) {
	seg, err := segment.NewIndex()
	if err != nil {
		return nil, err
	}
	s := &server{clock: clock, seg: seg, log: slog.New(slog.DiscardHandler), background: context.Background()}
	// Forward every merge to the index and the programme, so that audiences and
	// balances follow the person.
	opts = append(opts, identity.OnMerge(s.merged))
	// Erase downstream whatever identity forgets, here or (reported as this server
	// catches up) on another server.
	opts = append(opts, identity.OnForget(s.forgot))
	if s.ids, err = identity.New(identity.DefaultRules(), opts...); err != nil {
		return nil, err
	}
	if err := s.openReferral(&referral.MemStore{}, defaultProgramme()); err != nil {
		return nil, err
	}
	return s, nil
}

// merged is the resolver's OnMerge: the index folds each absorbed profile into the
// survivor, and so does the referral programme.
//
// The index's merges are applied under mu. applyEvents and applyAll resolve an event's
// key (Current) and Record the event under mu; a merge applied to the index in
// between (another request's Link, or a catch-up reporting another server's merge,
// delivered on its own goroutine) moved what the absorbed key held then, left the
// index without it, and the Record brought the key back holding the event: the
// survivor's segments never counted it. Under mu the index's merge comes before the
// resolution, which then gives the survivor (identity reports a merge after it has
// changed), or after the Record, and moves the event with the rest. No holder of mu
// calls anything of identity that reports changes (Link, LinkBatch, CatchUp, Forget,
// Unmerge), which would wait here on its own goroutine; forgot, the OnForget, has
// taken mu on the same goroutines all along. The cost: a merge, and the mutations
// identity reports after it, wait for the events being applied or a snapshot being
// encoded (not for its write to the storage, made after mu is let go), as a call with
// an event on a storage already waited for them. The programme's merge is outside mu:
// it takes the programme's own lock and writes the ledger, and no event is recorded
// there.
func (s *server) merged(m identity.Merge) {
	if !s.mu.TryLock() {
		if s.merging != nil {
			s.merging(m)
		}
		s.mu.Lock()
	}
	for _, a := range m.Absorbed {
		s.seg.ApplyMerge(m.Survivor, a) // identity's keys are non-zero and distinct: no error
	}
	s.mu.Unlock()
	if s.ref == nil {
		return
	}
	for _, a := range m.Absorbed {
		// Balances follow the person. Every server reports the merge and the ledger
		// records it once (its key names it).
		if err := s.ref.ApplyMerge(m.Survivor, a); err != nil {
			s.noteStorage(err)
			s.log.Warn("referral merge", "survivor", m.Survivor, "absorbed", a, "error", err)
		}
	}
}

// routes returns the server's handler: the endpoints behind the guard (JSON errors on
// every path, request logs, the bearer token).
func (s *server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/events", s.postEvents)
	mux.HandleFunc("GET /v1/profiles/{id}", s.getProfile)
	mux.HandleFunc("DELETE /v1/profiles/{id}", s.deleteProfile)
	mux.HandleFunc("GET /v1/lookup", s.lookup)
	mux.HandleFunc("PUT /v1/segments/{name}", s.putSegment)
	mux.HandleFunc("GET /v1/segments", s.listSegments)
	mux.HandleFunc("GET /v1/segments/{name}", s.getSegment)
	mux.HandleFunc("DELETE /v1/segments/{name}", s.deleteSegment)
	mux.HandleFunc("GET /v1/changes", s.changes)
	mux.HandleFunc("GET /v1/funnel", s.funnel)
	s.referralRoutes(mux)
	for path := range trackingPaths {
		mux.HandleFunc("POST "+path, s.segmentAPI)
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		if err := s.broken.Load(); err != nil {
			reply(w, http.StatusServiceUnavailable, map[string]string{
				"status": "failed", "code": errorCode(http.StatusServiceUnavailable),
				"error": fmt.Sprintf("storage: %v: restart the server (it reads back what the disk holds)", *err),
			})
			return
		}
		reply(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	return guard{mux: mux, clock: s.clock, token: s.token, log: s.log}
}

// reply writes v as JSON with the status. '<', '>' and '&' are written as they are:
// escaped for HTML, which a JSON reply is never embedded in, an error read with curl
// said "s1 -\u003e s2 -\u003e s1" for a cycle of segments.
func reply(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

// fail writes an error in the server's one error shape, errorBody.
func fail(w http.ResponseWriter, status int, format string, args ...any) {
	reply(w, status, errorBody{Error: fmt.Sprintf(format, args...), Code: errorCode(status)})
}

// body reads the request body up to maxBody, answering 413 beyond it. A body sent with
// Content-Encoding: gzip, as the tracking API takes it, is decompressed, and the limit
// holds after decompression; it was read as it came, and a gzip-compressed events file
// was refused line by line as "byte 0x8b is not UTF-8 (convert the file, e.g. iconv
// -f latin1)". Another encoding is 415.
func body(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	var in io.Reader = http.MaxBytesReader(w, r.Body, maxBody)
	enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding")))
	switch enc {
	case "", "identity":
	case "gzip":
		zr, err := gzip.NewReader(in)
		if err != nil {
			fail(w, http.StatusBadRequest, "the body says it is gzip but is not: %v", err)
			return nil, false
		}
		defer zr.Close()
		in = io.LimitReader(zr, maxBody+1)
	default:
		fail(w, http.StatusUnsupportedMediaType, "Content-Encoding %q is not supported (send gzip or nothing)", enc)
		return nil, false
	}
	var buf bytes.Buffer
	_, err := buf.ReadFrom(in)
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge), buf.Len() > maxBody:
		// A small gzip body is over the limit once decompressed: say that the limit is
		// counted so, or "body over 1048576 bytes" reads as wrong for a body of 50 KB.
		how := ""
		if enc == "gzip" {
			how = ", counted decompressed"
		}
		fail(w, http.StatusRequestEntityTooLarge, "the body is over 1 MiB (%d bytes), the limit of this endpoint%s", maxBody, how)
		return nil, false
	case err != nil:
		fail(w, http.StatusBadRequest, "reading the body: %v", gzipCut(enc == "gzip", err))
		return nil, false
	}
	return buf.Bytes(), true
}

// gzipCut says what an error reading a gzip body (gz) means when the stream ends before
// its trailer: a body cut short read "reading the body: unexpected EOF", which named
// neither gzip nor the cut.
func gzipCut(gz bool, err error) error {
	if gz && errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("the gzip stream ends before its end, so the body was cut short (%w)", err)
	}
	return err
}

// postEvents takes Segment-spec calls, one a line or several in a batch envelope on
// one line, as the ingest example reads them. Each good call is applied; each bad one
// is reported with its line number (see eventsReply). The body is read whole first, so
// a body over the limit changes nothing.
func (s *server) postEvents(w http.ResponseWriter, r *http.Request) {
	data, ok := body(w, r)
	if !ok {
		return
	}
	resp := eventsReply{Rejected: []rejection{}, Profiles: []uint32{}}
	var parsed, applied rejections // the parser's, then the apply's, each in line order
	var msgs []tracking.Message
	var lines []int
	var calls []int // each call's position in its line's batch, if the line holds several (callRef)
	sc := bufio.NewScanner(bytes.NewReader(data))
	// One byte over the longest line a body can hold: a Scanner whose buffer fills
	// gives up with ErrTooLong, and a body of one line of exactly maxBody bytes was
	// answered 200 with nothing accepted and nothing rejected.
	sc.Buffer(make([]byte, 0, 64<<10), maxBody+1)
	n := 1
	for ; sc.Scan(); n++ {
		// A file saved by a Windows editor or PowerShell starts with a byte order mark,
		// as does each of files joined with cat, and a line's JSON would be refused for
		// it ("invalid character 'ï'"), as the ingest example's reader skips it.
		line := bytes.TrimSpace(bytes.TrimPrefix(sc.Bytes(), []byte("\ufeff")))
		if len(line) == 0 {
			continue
		}
		ms, errs, err := tracking.Calls(line, &tracking.ParseOptions{ReceivedAt: s.clock.Now()})
		if err != nil {
			parsed.add(n, 0, err)
			continue
		}
		for i, m := range ms {
			call := 0
			if len(ms) > 1 {
				call = i + 1
			}
			if errs[i] != nil {
				parsed.add(n, call, errs[i])
				continue
			}
			msgs, lines, calls = append(msgs, m), append(lines, n), append(calls, call)
		}
	}
	if err := sc.Err(); err != nil {
		// Not reached with the buffer above; were it, the lines from n on would be
		// dropped in silence. Nothing is applied yet: refuse the body whole.
		fail(w, http.StatusBadRequest, "line %d: %v; nothing of the body was applied", n, err)
		return
	}
	profiles, errs := s.applyAll(r.Context(), msgs, nil)
	var unkept error // the first call refused through no fault of its own
	var accepted []int
	var acceptedCalls []callRef // of lines holding several calls
	for i, err := range errs {
		if err != nil {
			why := err
			if calls[i] > 0 {
				// As the parser names a call of an envelope it refuses.
				why = fmt.Errorf("call %d of the batch: %w", calls[i], err)
			}
			applied.add(lines[i], calls[i], why)
			if unkept == nil && !errors.Is(err, tracking.ErrInvalid) && !errors.Is(err, identity.ErrInvalid) {
				unkept = err
			}
			continue
		}
		resp.Accepted++
		resp.Profiles = append(resp.Profiles, profiles[i])
		accepted = append(accepted, lines[i])
		if calls[i] > 0 {
			acceptedCalls = append(acceptedCalls, callRef{lines[i], calls[i]})
		}
	}
	all := parsed.merge(&applied)
	resp.Rejected = append(resp.Rejected, all.listed...)
	if len(all.lines) > len(all.listed) {
		resp.RejectedTotal, resp.RejectedLines = len(all.lines), lineRanges(all.lines, accepted)
		resp.RejectedCalls = callRanges(all.calls, acceptedCalls)
	}
	switch {
	case resp.Accepted == 0 && unkept != nil:
		// The storage failed, timed out or the request ended, and nothing was kept: the
		// same body sent again can succeed. A 400 told the client that its calls were
		// bad, and a client that drops what it is refused lost them. With calls
		// accepted the answer stays 200 listing the rejected lines, to be sent again
		// alone: this path has no messageIds to keep a resent call from applying twice.
		w.Header().Set("Retry-After", "1")
		reply(w, http.StatusServiceUnavailable, struct {
			errorBody
			eventsReply
		}{errorBody{
			Error: fmt.Sprintf("no call could be kept, through no fault of the calls (%v): send them again", unkept),
			Code:  errorCode(http.StatusServiceUnavailable),
		}, resp})
	case resp.Accepted == 0 && len(resp.Rejected) > 0:
		reply(w, http.StatusBadRequest, resp)
	default:
		reply(w, http.StatusOK, resp)
	}
}

// applyAll resolves the calls' identifiers and records their events, and returns each
// call's profile (0 where the call failed) and error. The calls are linked with one
// LinkBatch and their events kept with one append, so that a batch of thousands costs
// one sync of each log, not one per call (7,667 calls took 4.9 s one by one, two fsyncs
// each); every call is still applied exactly as Link would apply it, in order, and is
// durable before the reply.
//
// keys, if not nil, holds each call's de-duplication key (of a call with a messageId:
// one without has none), kept with its event: a call whose event the event log
// already holds under its key gets errDuplicate, its event not kept again. Its
// identifiers were linked again, which changes nothing (they are linked already),
// unless the person was erased since.
func (s *server) applyAll(ctx context.Context, msgs []tracking.Message, keys []msgKey) ([]uint32, []error) {
	profiles := make([]uint32, len(msgs))
	errs := make([]error, len(msgs))
	evs := make([]identity.Event, len(msgs))
	for i, m := range msgs {
		ids := make([]identity.ID, len(m.IDs))
		for k, id := range m.IDs {
			ids[k] = identity.ID(id)
		}
		evs[i] = identity.Event{At: m.Time, Source: m.Type, IDs: ids}
	}
	for start := 0; start < len(evs); {
		got, err := s.ids.LinkBatch(ctx, nil, evs[start:])
		copy(profiles[start:], got)
		if err == nil {
			break
		}
		s.noteStorage(err)
		bad := start + len(got)
		if bad < len(evs) && errors.Is(err, identity.ErrInvalid) {
			if inner := errors.Unwrap(err); inner != nil {
				err = inner // without LinkBatch's "(event k of the batch)": the caller names the call
			}
			errs[bad] = err
			start = bad + 1
			continue
		}
		// Not the call's fault. A full resolver or a cancelled request stops the batch at
		// a call, and the calls before it are linked and synced: they are accepted, and
		// reporting them rejected would have a client send them twice. Any other error is
		// the store's, and a failed sync leaves none of the batch durable. That includes
		// a store's call that ran out of -pg-timeout, which wraps
		// context.DeadlineExceeded too (a flush that ran out after the calls before
		// it): only the request's own context ending counts as its cancellation.
		from := start
		if bad < len(evs) && (errors.Is(err, identity.ErrFull) || ctx.Err() != nil && errors.Is(err, ctx.Err())) {
			from = bad
		}
		for i := from; i < len(evs); i++ {
			profiles[i], errs[i] = 0, err
		}
		break
	}
	var keep []event
	var kept []int
	for i, m := range msgs {
		switch {
		case errs[i] != nil:
		case profiles[i] == 0:
			errs[i] = fmt.Errorf("%w: every identifier is a junk value or quarantined, so nothing of the call can be kept", tracking.ErrInvalid)
		case m.Event != "":
			e := event{At: m.Time, Name: m.Event, Profile: profiles[i]}
			if keys != nil && m.MessageID != "" {
				e.Key, e.Keyed = keys[i], true
			}
			keep = append(keep, e)
			kept = append(kept, i)
		}
	}
	if len(keep) == 0 {
		return profiles, errs
	}
	if s.st != nil {
		dup, err := s.record(ctx, keep...)
		for k, i := range kept {
			switch {
			case err != nil:
				profiles[i], errs[i] = 0, fmt.Errorf("keep the event: %w", err)
			case dup != nil && dup[k]:
				errs[i] = errDuplicate
			}
		}
		return profiles, errs
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range keep {
		// A later call of the batch may have merged the profile away since it was
		// linked: the index holds it under the survivor (refresh does the same). An
		// erasure since may have retired it (Current 0): it is kept nowhere.
		if p := s.ids.Current(e.Profile); p != 0 {
			if s.resolved != nil {
				s.resolved(e.Profile, p)
			}
			s.seg.Record(e.At, p, e.Name)
			s.events = append(s.events, funnel.Event{Profile: e.Profile, Time: e.At, Name: e.Name})
		}
	}
	return profiles, errs
}

func (s *server) getProfile(w http.ResponseWriter, r *http.Request) {
	if !s.fresh(w, r) {
		return
	}
	id, err := strconv.ParseUint(r.PathValue("id"), 10, 32)
	if err != nil || id == 0 {
		fail(w, http.StatusBadRequest, "profile %q is not a positive 32-bit integer", r.PathValue("id"))
		return
	}
	cur := s.ids.Current(uint32(id))
	if cur == 0 {
		fail(w, http.StatusNotFound, "no profile %d", id)
		return
	}
	now := s.clock.Now()
	audiences := []string{}
	// One budget for every saved segment together, so that the cost of the request is
	// bounded however many segments there are; the request's context stops the work
	// when the client goes away.
	budget := segment.DefaultBudget()
	for _, name := range s.seg.Segments() {
		q, _ := s.seg.Definition(name)
		members, err := s.seg.Eval(r.Context(), now, q, &segment.EvalOptions{Budget: &budget})
		if evalFailed(w, err) {
			return
		}
		if err == nil && members.Contains(cur) {
			audiences = append(audiences, name)
		}
	}
	type identifier struct {
		Kind  string `json:"kind"`
		Value string `json:"value"`
	}
	ids := []identifier{}
	for _, x := range s.ids.Identifiers(cur) {
		ids = append(ids, identifier(x))
	}
	reply(w, http.StatusOK, map[string]any{"profile": cur, "identifiers": ids, "segments": audiences})
}

// erasure is what OnForget reports to the erasure under way: the keys retired, the
// events dropped from memory and the saved segments whose members held the person.
type erasure struct {
	profile  uint32 // the profile the request forgets
	keys     []uint32
	events   int
	segments []string
}

// deleteProfile erases a person, for a data-protection request (GDPR art. 17): the
// referral ledger first erases the e-mail, phone, device and network of the profile
// that now holds the key named (a key merged into another names the survivor;
// referral.Program.Forget keeps the amounts and rewards, for the accounts); then that
// profile is forgotten in identity, every identifier's value with it, and every key it
// held is retired; OnForget (forgot) drops the keys from the index, every saved
// segment's members and the events kept; the event log's copies are overwritten and a
// snapshot without the person replaces the stored one, all before the reply. Other
// servers on the storage apply the Forget as they catch up, through the same OnForget.
//
// 200 names the keys retired and the saved segments the person was a member of (as
// last reported by /v1/changes, which will report no exit: the host tells the tools it
// forwarded them to). 400: id is not a positive 32-bit integer. 404: no profile holds
// the key, whether it was never issued or already erased, so a second DELETE is 404.
// 503: the storage refused, with what was done.
func (s *server) deleteProfile(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseUint(r.PathValue("id"), 10, 32)
	if err != nil || id == 0 {
		fail(w, http.StatusBadRequest, "profile %q is not a positive 32-bit integer", r.PathValue("id"))
		return
	}
	if !s.fresh(w, r) { // erased, or merged into another, on another server
		return
	}
	s.eraseMu.Lock()
	defer s.eraseMu.Unlock()
	cur := s.ids.Current(uint32(id))
	if cur == 0 {
		fail(w, http.StatusNotFound, "no profile %d: never issued, or already erased", id)
		return
	}
	// The referral ledger first, while the resolver still knows the profiles merged
	// into cur (the programme asks it): its forget is recorded, replicated through the
	// ledger to every server, and retried harmlessly, so a failure here leaves the
	// person whole and the DELETE to be sent again.
	if err := s.ref.Forget(r.Context(), s.clock.Now(), cur); err != nil {
		s.noteStorage(err)
		fail(w, http.StatusServiceUnavailable, "referral ledger: forget profile %d: %v (nothing erased; send the DELETE again)", cur, err)
		return
	}
	identifiers := len(s.ids.Identifiers(cur))
	e := &erasure{profile: cur}
	s.mu.Lock()
	s.erasing = e
	s.mu.Unlock()
	err = s.ids.Forget(r.Context(), s.clock.Now(), cur)
	s.noteStorage(err)
	s.mu.Lock()
	s.erasing = nil
	s.mu.Unlock()
	switch {
	case errors.Is(err, identity.ErrNotFound):
		// Erased meanwhile by another server (the Forget caught up first).
		fail(w, http.StatusNotFound, "no profile %d: already erased", id)
		return
	case err != nil && s.ids.Current(cur) != 0:
		fail(w, http.StatusServiceUnavailable, "storage: forget profile %d: %v", cur, err)
		return
	case err != nil:
		// The resolver applied the erasure but failed to sync it or to rewrite its
		// store without the values (done when identity next opens the store), and
		// reported nothing: find the keys it retired in what the server keeps.
		s.forgot(identity.Forgotten{Profiles: s.retiredKeys(s.seg), At: s.clock.Now()})
		err = fmt.Errorf("identity: %w", err)
	}
	if s.st != nil {
		// Events the log still holds are erased by a retry at a refresh here, or by
		// the next start, which meets them under a key identity does not know.
		if eerr := s.eraseEvents(r.Context()); eerr != nil {
			err = errors.Join(err, fmt.Errorf("events not yet erased from the event log (retried at every refresh, and at the next start): %w", eerr))
		}
		s.forgetSnap.Store(false)
		if serr := s.snapshot(r.Context()); serr != nil {
			s.forgetSnap.Store(true)
			err = errors.Join(err, fmt.Errorf("the stored segment snapshot still holds the profile (replaced at the next refresh, and at the next start): %w", serr))
		}
	}
	segs := e.segments
	if segs == nil {
		segs = []string{}
	}
	s.log.Info("profile erased", "profile", cur, "keys", len(e.keys), "identifiers", identifiers, "events", e.events, "segments", len(segs), "complete", err == nil)
	if err != nil {
		fail(w, http.StatusServiceUnavailable, "profile %d is forgotten, but: %v", cur, err)
		return
	}
	reply(w, http.StatusOK, map[string]any{"profile": cur, "profiles": e.keys, "identifiers": identifiers, "events": e.events, "segments": segs})
}

// forgot is the resolver's OnForget: it erases the retired keys from everything the
// server keeps under a profile: the index and every saved segment's members
// (segment.Index.Forget), the events kept for funnels, and, through unerased, the
// event log. It also tells the erasure under way here which segments held the person.
func (s *server) forgot(f identity.Forgotten) {
	if len(f.Profiles) == 0 {
		return
	}
	keys := roaring.BitmapOf(f.Profiles...)
	s.mu.Lock()
	defer s.mu.Unlock()
	var segs []string
	for _, name := range s.seg.Segments() {
		if m, ok := s.seg.Members(name); ok && m.Intersects(keys) {
			segs = append(segs, name)
		}
	}
	if err := s.seg.Forget(f.Profiles...); err != nil {
		s.log.Warn("forget profiles in the index", "profiles", f.Profiles, "error", err) // not reached: keys are non-zero
	}
	kept := s.events[:0]
	for _, e := range s.events {
		if !keys.Contains(e.Profile) {
			kept = append(kept, e)
		}
	}
	dropped := len(s.events) - len(kept)
	clear(s.events[len(kept):])
	s.events = kept
	s.retire(f.Profiles...)
	if s.st != nil {
		s.forgetSnap.Store(true)
	}
	if e := s.erasing; e != nil && keys.Contains(e.profile) {
		e.keys, e.events, e.segments = slices.Clone(f.Profiles), dropped, segs
	}
}

// retiredKeys returns the keys identity retired that x (the server's index, or a
// snapshot read at a start) or the events kept still hold, ascending: every key whose
// Current is 0, since a key is recorded only once identity issued it.
func (s *server) retiredKeys(x *segment.Index) []uint32 {
	found := roaring.New()
	check := func(k uint32) {
		if k != 0 && s.ids.Current(k) == 0 {
			found.Add(k)
		}
	}
	for it := x.Profiles().Iterator(); it.HasNext(); {
		check(it.Next())
	}
	for _, name := range x.Segments() {
		if m, ok := x.Members(name); ok {
			for it := m.Iterator(); it.HasNext(); {
				check(it.Next())
			}
		}
	}
	s.mu.Lock()
	for _, e := range s.events {
		check(e.Profile)
	}
	s.mu.Unlock()
	return found.ToArray()
}

// retire records keys identity retired: their events are not kept, and are erased
// from the event log. The caller holds mu.
func (s *server) retire(keys ...uint32) {
	if s.gone == nil {
		s.gone = map[uint32]bool{}
	}
	for _, k := range keys {
		s.gone[k] = true
	}
	if s.st == nil {
		return
	}
	if s.unerased == nil {
		s.unerased = map[uint32]bool{}
	}
	for _, k := range keys {
		s.unerased[k] = true
	}
}

func (s *server) lookup(w http.ResponseWriter, r *http.Request) {
	if !s.fresh(w, r) {
		return
	}
	id := identity.ID{Kind: r.URL.Query().Get("kind"), Value: r.URL.Query().Get("value")}
	if id.Kind == "" || id.Value == "" {
		fail(w, http.StatusBadRequest, "lookup needs kind and value, as in ?kind=email&value=ann@example.com")
		return
	}
	if !slices.Contains(tracking.Kinds, id.Kind) {
		// No call carries another kind: "kind=Email" answered 404 "no profile holds
		// Email", as if the person had never been sent.
		fail(w, http.StatusBadRequest, "kind %q: the server holds identifiers of the kinds %s", id.Kind, strings.Join(tracking.Kinds, ", "))
		return
	}
	// A value no profile can ever hold (malformed, blocked, unparseable for its kind)
	// is the caller's mistake, told apart from one nobody sent yet.
	if _, err := s.ids.Canonical(id); err != nil {
		fail(w, http.StatusBadRequest, "%s %q is never held: %v", id.Kind, id.Value, err)
		return
	}
	p, ok := s.ids.Lookup(id)
	if !ok {
		fail(w, http.StatusNotFound, "no profile holds %s %q", id.Kind, id.Value)
		return
	}
	reply(w, http.StatusOK, map[string]any{"profile": p})
}

func (s *server) putSegment(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if s.st != nil {
		// The definition is kept in a blob named after the segment: a name the store
		// cannot hold is the client's mistake, refused before anything changes, not a
		// segment saved in the index that then fails to be kept (it answered 503 and
		// stayed live until a restart).
		if err := segment.CheckName(savedPrefix + name); err != nil {
			fail(w, http.StatusBadRequest, "segment name %q: want 1 to %d letters, digits, '.', '_' or '-'", name, maxSegmentName)
			return
		}
	}
	data, ok := body(w, r)
	if !ok {
		return
	}
	if !s.fresh(w, r) { // a segment it references may have been saved on another server
		return
	}
	q, err := segment.Parse(string(data))
	if err != nil {
		if bytes.HasPrefix(bytes.TrimSpace(data), []byte("{")) {
			// Every other body here is JSON: a client that wraps the query in it is
			// told, not left with "unexpected character '{'".
			fail(w, http.StatusBadRequest, "%v (the body is the query itself, such as did(\"Order Completed\"), not JSON)", err)
			return
		}
		fail(w, http.StatusBadRequest, "%v", err)
		return
	}
	s.putMu.Lock()
	defer s.putMu.Unlock()
	prev, existed := s.seg.Definition(name)
	if err := s.seg.Save(name, q); err != nil {
		fail(w, http.StatusBadRequest, "%v%s", err, unknownEventHint(err))
		return
	}
	if s.st != nil {
		if err := s.keepDefinition(r.Context(), name, q); err != nil {
			// Not kept: undo the Save, so that a refused call changes nothing.
			if existed {
				err = errors.Join(err, s.seg.Save(name, prev))
			} else {
				err = errors.Join(err, s.seg.Delete(name))
			}
			fail(w, http.StatusServiceUnavailable, "storage: %v", err)
			return
		}
		if err := s.snapshotHeld(r.Context()); err != nil && !errors.Is(err, errSnapshotBehind) {
			// The definition is kept and a restart reads it back (its blob wins over an
			// older snapshot's): the segment is saved, and only the snapshot that spares
			// a restart replaying events failed. Answering 503 told the client it was
			// not saved; the next snapshot (periodic, another save, shutdown) catches up.
			s.log.Warn("segment saved; the snapshot after it failed (a restart replays more events)", "name", name, "error", err)
		}
	}
	reply(w, http.StatusOK, map[string]string{"name": name, "query": q.String()})
}

// misspelt returns segment's suggestion (` (did you mean "x"?)`) when the event name is
// unknown to the index and within two edits of one it knows, and "" otherwise: an
// event no call has brought and nothing like it is a step nobody took yet, answered
// with 0 profiles, as a funnel of a shop's first day must be.
func (s *server) misspelt(ctx context.Context, at time.Time, name string) string {
	q, err := segment.Parse("did(" + strconv.Quote(name) + ")")
	if err != nil {
		return "" // a name no query can hold (too long) is left to the funnel
	}
	if _, err = s.seg.Count(ctx, at, q, nil); !errors.Is(err, segment.ErrUnknownField) {
		return ""
	}
	msg := err.Error()
	if i := strings.LastIndex(msg, " (did you mean "); i >= 0 {
		return msg[i:]
	}
	return ""
}

// unknownEventHint says why an event is unknown when segment has no near name to
// suggest: the index knows the events it has recorded and those -events declares, so a
// segment saved before its event's first call (a server set up before traffic) got
// "unknown event" alone, which reads as a typo.
func unknownEventHint(err error) string {
	if msg := err.Error(); errors.Is(err, segment.ErrUnknownField) && strings.Contains(msg, "unknown event") && !strings.Contains(msg, "did you mean") {
		return " (no call has brought that event to this server yet: a segment can name only events it has seen or -events declares, so declare it with -events or save it once one has arrived)"
	}
	return ""
}

// keepDefinition writes the definition of a segment the index has just saved, under
// putMu. On a storage that numbers its writes (versioner) it remembers the version the
// write gave the blob, as a sync would have read it, so that the next sync compares
// with this write; and if the write found a blob of another incarnation than the one
// the index held (another server deleted the segment and saved it anew since this one
// last synced, and this PUT replaced that definition), the segment is a new one here
// too, as it is on the server that saved it anew: its members start again.
func (s *server) keepDefinition(ctx context.Context, name string, q *segment.Query) error {
	segs := s.st.segmentsIn(ctx)
	vs, versioned := segs.(versioner)
	if !versioned {
		return segs.Put(savedPrefix+name, []byte(q.String()))
	}
	v, err := vs.PutVersion(savedPrefix+name, []byte(q.String()))
	if err != nil {
		return err
	}
	if s.savedVers == nil {
		s.savedVers = map[string]segpg.Version{}
	}
	if old, known := s.savedVers[name]; known && old.Incarnation != v.Incarnation {
		if err := s.seg.Recreate(name, q); err != nil {
			// Not reached: q was saved under putMu just now, and Recreate checks what
			// Save checked. The next sync tries again (the version is not remembered).
			s.log.Warn("segment saved; its new incarnation not yet applied", "name", name, "error", err)
			return nil
		}
	}
	s.savedVers[name] = v
	delete(s.savedStuck, name)
	return nil
}

// deleteSegment deletes a saved segment: 404 if there is none of the name, 409 if
// another saved segment references it. Like a PUT, it is kept before the reply and
// changes nothing if the storage refuses it.
//
// The index's Delete cannot be undone (a segment saved again starts without members,
// so its next Refresh would report them all entering again), so every reason to refuse
// is checked first, and the storage deletes before the index: under putMu no other
// save or delete runs, so the index then accepts the deletion the check allowed.
func (s *server) deleteSegment(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if !s.fresh(w, r) { // one deleted, or a reference to it saved, on another server
		return
	}
	s.putMu.Lock()
	defer s.putMu.Unlock()
	prev, ok := s.seg.Definition(name)
	if !ok {
		fail(w, http.StatusNotFound, "no segment %q", name)
		return
	}
	for _, other := range s.seg.Segments() {
		if q, ok := s.seg.Definition(other); ok && other != name && slices.Contains(q.References(), name) {
			fail(w, http.StatusConflict, "%v", fmt.Errorf("%w: delete %q: referenced by segment %q", segment.ErrInUse, name, other))
			return
		}
	}
	if s.st != nil {
		err := s.st.segmentsIn(r.Context()).Delete(savedPrefix + name)
		if errors.Is(err, segment.ErrNotFound) {
			err = nil // another server deleted it meanwhile: deleted all the same
		}
		if err != nil {
			fail(w, http.StatusServiceUnavailable, "storage: %v", err)
			return
		}
	}
	if err := s.seg.Delete(name); err != nil && !errors.Is(err, segment.ErrUnknownSegment) {
		// Not reached while putMu serialises definitions (the check above saw what
		// Delete sees). The storage no longer holds it: the next sync deletes it.
		fail(w, http.StatusInternalServerError, "deleted from the storage, not yet from the index: %v", err)
		return
	}
	if s.st != nil {
		delete(s.savedVers, name)
		if err := s.snapshotHeld(r.Context()); err != nil && !errors.Is(err, errSnapshotBehind) {
			s.log.Warn("segment deleted; the snapshot after it failed (a restart replays more events)", "name", name, "error", err)
		}
	}
	reply(w, http.StatusOK, map[string]string{"name": name, "deleted": prev.String()})
}

func (s *server) getSegment(w http.ResponseWriter, r *http.Request) {
	if !s.fresh(w, r) {
		return
	}
	name := r.PathValue("name")
	q, ok := s.seg.Definition(name)
	if !ok {
		fail(w, http.StatusNotFound, "no segment %q", name)
		return
	}
	limit := 100
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			fail(w, http.StatusBadRequest, "limit %q is not a non-negative integer", v)
			return
		}
		limit = n
	}
	members, err := s.seg.Eval(r.Context(), s.clock.Now(), q, nil) // within segment.DefaultBudget
	if evalFailed(w, err) {
		return
	}
	if err != nil {
		fail(w, http.StatusBadRequest, "%v", err)
		return
	}
	list := []uint32{}
	for it := members.Iterator(); it.HasNext() && len(list) < limit; {
		list = append(list, it.Next())
	}
	reply(w, http.StatusOK, map[string]any{"name": name, "query": q.String(), "size": members.GetCardinality(), "members": list})
}

// savedSegment is one saved segment as GET /v1/segments lists it: the fields of the
// single segment's GET but its members, or the reason it could not be counted.
type savedSegment struct {
	Name  string  `json:"name"`
	Query string  `json:"query"`
	Size  *uint64 `json:"size,omitempty"` // nil when Error says why
	Error string  `json:"error,omitempty"`
}

// listSegments answers the saved segments, sorted by name, each with its definition and
// its member count now, as GET /v1/segments/NAME counts them: without it a client had
// to remember the names it had saved, and a server started from another's storage
// could not tell its user what it held. A segment that cannot be counted (over the
// evaluation budget, or a window past the history kept) is listed with the reason in
// place of its size, so that one costly segment does not hide the others.
func (s *server) listSegments(w http.ResponseWriter, r *http.Request) {
	if !s.fresh(w, r) {
		return
	}
	list := []savedSegment{}
	now := s.clock.Now()
	for _, name := range s.seg.Segments() { // sorted
		q, ok := s.seg.Definition(name)
		if !ok {
			continue // deleted since Segments
		}
		item := savedSegment{Name: name, Query: q.String()}
		n, err := s.seg.Count(r.Context(), now, q, nil) // within segment.DefaultBudget, each
		switch {
		case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
			evalFailed(w, err)
			return
		case err != nil:
			item.Error = err.Error()
		default:
			item.Size = &n
		}
		list = append(list, item)
	}
	reply(w, http.StatusOK, map[string]any{"segments": list})
}

// evalFailed answers an evaluation that ran out of budget (422, with the reason) or
// whose client went away (nothing can reach it; 503 for the log) and reports whether it
// did.
func evalFailed(w http.ResponseWriter, err error) bool {
	switch {
	case errors.Is(err, segment.ErrBudget):
		fail(w, http.StatusUnprocessableEntity, "%v", err)
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		fail(w, http.StatusServiceUnavailable, "%v", err)
	default:
		return false
	}
	return true
}

// changes refreshes every saved segment at the clock's time and returns who entered and
// who exited each since the previous call: what a host forwards to its e-mail or
// advertising tools. Each change is reported once.
func (s *server) changes(w http.ResponseWriter, r *http.Request) {
	if !s.fresh(w, r) {
		return
	}
	cs, err := s.seg.Refresh(s.clock.Now())
	if err != nil {
		fail(w, http.StatusInternalServerError, "%v", err)
		return
	}
	type change struct {
		Entered []uint32 `json:"entered"`
		Exited  []uint32 `json:"exited"`
		Size    uint64   `json:"size"`
	}
	out := map[string]change{}
	for _, c := range cs {
		out[c.Segment] = change{c.Entered.ToArray(), c.Exited.ToArray(), c.Size}
	}
	reply(w, http.StatusOK, out)
}

// funnel runs an ordered funnel of the named events over everything recorded.
func (s *server) funnel(w http.ResponseWriter, r *http.Request) {
	if !s.fresh(w, r) {
		return
	}
	names := strings.Split(r.URL.Query().Get("steps"), ",")
	spec := funnel.Spec{AsOf: s.clock.Now()}
	for i, n := range names {
		if n = strings.TrimSpace(n); n == "" {
			// Dropping it would answer a funnel of other steps than asked.
			fail(w, http.StatusBadRequest, "steps %q: step %d is empty; want event names separated by commas, as in steps=page,signup", r.URL.Query().Get("steps"), i+1)
			return
		}
		if near := s.misspelt(r.Context(), spec.AsOf, n); near != "" {
			// A misspelt step matched nothing, and the funnel answered 0 profiles from
			// that step on, which reads as nobody converting. segment's guard against
			// misspelt events refuses such a segment; a step is held to the same.
			fail(w, http.StatusBadRequest, "steps: step %d %q: no call has brought that event%s; if it is another event, declare it with -events", i+1, n, near)
			return
		}
		spec.Steps = append(spec.Steps, funnel.Step{Name: n})
	}
	if v := r.URL.Query().Get("window"); v != "" {
		d, err := clientele.ParseDuration(v)
		if err != nil {
			fail(w, http.StatusBadRequest, "window: %v", err)
			return
		}
		if d == 0 {
			// funnel's Window 0 is no limit: window=0d answered as if no window had been
			// given, where it reads as "within the same instant".
			fail(w, http.StatusBadRequest, "window %q: want a positive duration such as 7d; leave window out for no limit", v)
			return
		}
		spec.Window = d
	}
	if v := r.URL.Query().Get("mode"); v != "" {
		m, err := funnel.ParseMode(v)
		if err != nil {
			fail(w, http.StatusBadRequest, "mode: %v", err)
			return
		}
		spec.Mode = m
	}
	s.mu.Lock()
	events := make([]funnel.Event, len(s.events))
	copy(events, s.events)
	s.mu.Unlock()
	kept := events[:0]
	for _, e := range events {
		// A key identity retired (an erasure) is no one: Current is 0.
		if e.Profile = s.ids.Current(e.Profile); e.Profile != 0 {
			kept = append(kept, e)
		}
	}
	res, err := spec.Run(kept)
	if err != nil {
		fail(w, http.StatusBadRequest, "%v", err)
		return
	}
	type rate struct {
		Estimate float64 `json:"estimate"` // funnel.Rate.Estimate, under its own name
		Lo       float64 `json:"lo"`
		Hi       float64 `json:"hi"`
	}
	// The first step has no rates: its conversion from itself is 1 by definition (n of
	// n), and the Wilson interval funnel gives it (0.34 to 1 for 2 profiles) read as
	// doubt about a figure that has none.
	type step struct {
		Name         string `json:"name"`
		Profiles     int64  `json:"profiles"`
		FromPrevious *rate  `json:"from_previous,omitempty"`
		FromFirst    *rate  `json:"from_first,omitempty"`
	}
	steps := []step{}
	for i, st := range res.Steps {
		out := step{Name: st.Name, Profiles: st.Unique}
		if i > 0 {
			out.FromPrevious = &rate{st.FromPrevious.Estimate, st.FromPrevious.Lo, st.FromPrevious.Hi}
			out.FromFirst = &rate{st.FromFirst.Estimate, st.FromFirst.Lo, st.FromFirst.Hi}
		}
		steps = append(steps, out)
	}
	reply(w, http.StatusOK, map[string]any{"steps": steps})
}
