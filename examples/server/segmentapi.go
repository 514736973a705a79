package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/clientele-go/clientele/identity"
	"github.com/clientele-go/clientele/internal/english"
	"github.com/clientele-go/clientele/internal/tracking"
)

// Segment's HTTP Tracking API (https://segment.com/docs/connections/sources/catalog/libraries/server/http-api/),
// which Segment's own libraries and RudderStack speak: POST /v1/batch (and /v1/import)
// with {"batch": [...]}, or one call to /v1/identify, /v1/track, /v1/page, /v1/screen,
// /v1/group or /v1/alias. The source is named by its write key, sent as the user name of
// HTTP basic auth (or as "writeKey" in the body). The limits are the API's.
const (
	maxCall  = 32 << 10  // one call, alone or inside a batch
	maxBatch = 500 << 10 // one request to /v1/batch, after gunzip
	// maxSeen bounds the messageIds a server remembers for de-duplication; the oldest
	// are forgotten first. Trackers retry within minutes, so this covers any retry of
	// a server taking fewer than maxSeen calls in that time. The ids of the calls
	// with an event are kept in the event log too (event.Key): a server rebuilds its
	// memory from the log's last maxSeen at start, and on PostgreSQL the table, which
	// every server shares, tells the rest.
	maxSeen = 1 << 20
)

// trackingPaths are the API's endpoints and the call type each implies ("" for a batch).
var trackingPaths = map[string]string{
	"/v1/batch": "", "/v1/import": "",
	"/v1/identify": "identify", "/v1/track": "track", "/v1/page": "page",
	"/v1/screen": "screen", "/v1/group": "group", "/v1/alias": "alias",
}

// dedup remembers the (source, messageId) pairs applied, in a ring of bounded size, and
// the pairs whose call is being applied: the keys of the calls this server applied,
// and those of the events it read from the event log (at start, and other servers'
// on a shared storage).
type dedup struct {
	size int // ring size; 0 means maxSeen
	mu   sync.Mutex
	seen map[msgKey]int // key → its slot in ring
	ring []msgKey
	next int
	// pending holds the keys claimed whose call is not yet durable (or failed): a copy
	// arriving meanwhile (a client that retried at once) must not be answered as
	// delivered, as the first copy may still fail. It waits on the channel, which
	// settle closes.
	pending map[msgKey]chan struct{}
	// onWait, if set, is called (without mu) when a claim finds its key pending: a
	// test's hook to order requests without sleeping.
	onWait func(key msgKey)
}

// msgKey is a call's de-duplication key (dedupKey), held in place: the ring, its map
// and a start's reading of the log take no allocation a key. As a string, a key's
// header in the ring and the map was as large as the key, and its bytes a 16-byte
// allocation besides (85 bytes of heap a key remembered, 69 now: BenchmarkRemember).
// Every value is a key, all zero bytes included: where a call may have none
// (event.Keyed), a flag says so.
type msgKey [16]byte

// dedupKey is the key dedup remembers for a source's messageId: their SHA-256 cut to
// 16 bytes, so that the maxSeen keys remembered take about 73 MB (BenchmarkRemember)
// whatever the ids are. A messageId is any string a call carries, up to the 32 KB of a
// call: kept whole, as it was, calls sent with a public write key could make the server
// hold 2^20 of them, 32 GiB. Two keys of 128 bits meet by chance with a probability of
// about 2^-88 among the 2^20 remembered.
func dedupKey(source, messageID string) msgKey {
	h := sha256.New()
	h.Write([]byte(source))
	h.Write([]byte{0}) // a source name holds no NUL byte
	h.Write([]byte(messageID))
	var sum [sha256.Size]byte
	return msgKey(h.Sum(sum[:0]))
}

// claim reports whether key is new, and then marks it claimed: the caller must settle
// it. Otherwise wait is nil if the key's call was applied, or a channel closed when the
// claim in flight settles (claim again then: it may have failed).
func (d *dedup) claim(key msgKey) (claimed bool, wait <-chan struct{}) {
	d.mu.Lock()
	if ch, ok := d.pending[key]; ok {
		d.mu.Unlock()
		if d.onWait != nil {
			d.onWait(key)
		}
		return false, ch
	}
	defer d.mu.Unlock()
	if d.seen == nil {
		d.seen = map[msgKey]int{}
		d.pending = map[msgKey]chan struct{}{}
	}
	if _, ok := d.seen[key]; ok {
		return false, nil
	}
	d.add(key)
	d.pending[key] = make(chan struct{})
	return true, nil
}

// capacity is the ring's size.
func (d *dedup) capacity() int {
	if d.size <= 0 {
		return maxSeen
	}
	return d.size
}

// add puts key, not seen, in the ring, forgetting the oldest key if it is full. The
// caller holds mu, and has made seen.
func (d *dedup) add(key msgKey) {
	size := d.capacity()
	slot := len(d.ring)
	if slot < size {
		d.ring = append(d.ring, key)
	} else {
		slot = d.next
		// Forget the slot's key only if this slot still holds its claim: a key released
		// and claimed again lives in a newer slot, and forgetting it here would let a
		// retry within the last maxSeen calls be applied twice.
		if old := d.ring[slot]; d.seen[old] == slot {
			delete(d.seen, old)
		}
		d.ring[slot] = key
		d.next = (d.next + 1) % size
	}
	d.seen[key] = slot
}

// remember marks the keys applied, in their order (the event log's), as if claimed and
// settled applied; a key already seen or pending is left as it is. Only the last of
// keys the ring holds need be passed (see keyTail).
func (d *dedup) remember(keys []msgKey) {
	if len(keys) == 0 {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.seen == nil {
		// Sized for the keys at once: a start hands a million of them, and a map and
		// ring grown key by key spent about a fifth of a second a million rehashing and
		// copying.
		n := min(len(keys), d.capacity())
		d.seen = make(map[msgKey]int, n)
		d.pending = map[msgKey]chan struct{}{}
		d.ring = make([]msgKey, 0, n)
	}
	for _, key := range keys {
		if _, ok := d.seen[key]; !ok {
			d.add(key)
		}
	}
}

// keyTail keeps the last n keys it is given, in a ring of its own, for remember: a
// start reads the whole event log, and passing each of its keys to remember cost a
// map insertion and deletion each, where only the last maxSeen stay.
type keyTail struct {
	n    int
	keys []msgKey
	next int // where the next key goes, once keys holds n
}

func (k *keyTail) push(key msgKey) {
	if len(k.keys) < k.n {
		k.keys = append(k.keys, key)
		return
	}
	k.keys[k.next] = key
	k.next = (k.next + 1) % k.n
}

// ordered returns the keys kept, oldest first.
func (k *keyTail) ordered() []msgKey {
	return append(k.keys[k.next:len(k.keys):len(k.keys)], k.keys[:k.next]...)
}

// settle ends a claim: applied, the key stays seen (its call is durable); otherwise it
// is forgotten, so that a retry is applied. Either way the copies waiting on it go on.
func (d *dedup) settle(key msgKey, applied bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !applied {
		delete(d.seen, key) // the ring slot stays until it is reused; claim tells it is stale
	}
	if ch, ok := d.pending[key]; ok {
		close(ch)
		delete(d.pending, key)
	}
}

type trackingReply struct {
	Success    bool             `json:"success"`
	Accepted   int              `json:"accepted"`
	Duplicates int              `json:"duplicates"`
	Rejected   []trackingReject `json:"rejected,omitempty"` // the first maxListed
	// RejectedTotal counts the rejected calls when Rejected lists only the first
	// maxListed of them; 0 (left out) when it lists them all.
	RejectedTotal int `json:"rejected_total,omitempty"`
}

// maxListed bounds the rejected calls a reply lists. Write keys are public, and a
// gzip body of a few KB holding a batch of 250,000 calls such as [1,1,...] was answered
// with each of them listed: 24 MB of reply and 200 MB held by the server, for each such
// request. A real batch of 500 KB holds at most a few thousand calls. A variable, so
// that a test can shrink it and meet its limit with small bodies.
var maxListed = 1000

// maxCalls bounds the calls of one batch: as many as maxBatch holds of the smallest call
// the API accepts ({"type":"page","userId":"u"} and its comma), so that no batch a
// library sends is refused, while one of junk such as [1,1,...] (250,000 calls in 500 KB,
// from a gzip body of a few hundred bytes, with a public write key) is refused before its
// calls are parsed: parsing them cost about a second of CPU and 120 MB a request.
const maxCalls = maxBatch / len(`{"type":"page","userId":"u"},`)

type trackingReject struct {
	Index int    `json:"index"` // 0-based position in the batch (0 for a single call)
	Error string `json:"error"` // why, not where: Index says where
}

// segmentAPI answers every tracking endpoint. Like Segment, it answers 200 whenever the
// body could be read, listing any calls it could not use; 400 for a body that is not
// JSON or is over the limits; 401 for an unknown write key.
func (s *server) segmentAPI(w http.ResponseWriter, r *http.Request) {
	typ := trackingPaths[r.URL.Path]
	limit := maxCall
	if typ == "" {
		limit = maxBatch
	}
	data, err := readTrackingBody(r, limit)
	if err != nil {
		fail(w, http.StatusBadRequest, "%v", err)
		return
	}
	key, _, ok := r.BasicAuth()
	if !ok {
		var body struct {
			WriteKey string `json:"writeKey"`
		}
		json.Unmarshal(data, &body)
		key = body.WriteKey
	}
	source, known := s.writeKeys[key]
	if !known {
		w.Header().Set("WWW-Authenticate", `Basic realm="write key"`)
		if len(s.writeKeys) == 0 {
			fail(w, http.StatusUnauthorized, "no write keys are configured: start the server with -write-key KEY=SOURCE")
		} else {
			fail(w, http.StatusUnauthorized, "unknown write key: send a configured key as the basic-auth user name")
		}
		return
	}
	var msgs []tracking.Message
	var errs []error
	opts := &tracking.ParseOptions{ReceivedAt: s.clock.Now()}
	if typ == "" {
		var env struct {
			Batch []json.RawMessage `json:"batch"`
		}
		if err := json.Unmarshal(data, &env); err != nil || env.Batch == nil {
			fail(w, http.StatusBadRequest, "a batch is {\"batch\": [call, ...]}: %s", batchError(err))
			return
		}
		if len(env.Batch) > maxCalls {
			fail(w, http.StatusBadRequest, "the batch holds %d calls, more than %d KB can hold of valid ones (at most %d): none is applied", len(env.Batch), maxBatch>>10, maxCalls)
			return
		}
		for i, c := range env.Batch {
			if len(c) > maxCall {
				fail(w, http.StatusBadRequest, "the call at index %d of the batch (0-based) is %d bytes, over the %d KB limit of a call", i, len(c), maxCall>>10)
				return
			}
		}
		msgs, errs, err = tracking.Calls(data, opts)
		for i, e := range errs {
			// Without Calls' "call i+1 of the batch: ": a rejection names its call by
			// its 0-based index, and a second, 1-based position in the message pointed
			// one call further.
			if inner := errors.Unwrap(e); inner != nil && strings.HasPrefix(e.Error(), fmt.Sprintf("call %d of the batch: ", i+1)) {
				errs[i] = inner
			}
		}
	} else {
		// A single-call endpoint names the type; the body need not.
		var fields map[string]json.RawMessage
		if err = json.Unmarshal(data, &fields); err == nil && fields != nil {
			fields["type"], _ = json.Marshal(typ)
			data, _ = json.Marshal(fields)
		}
		var m tracking.Message
		m, err = tracking.Parse(data, opts)
		msgs, errs, err = []tracking.Message{m}, []error{err}, nil
		if errs[0] != nil && fields == nil {
			err, errs = errs[0], nil
		}
	}
	if err != nil {
		fail(w, http.StatusBadRequest, "%v", err)
		return
	}
	out := trackingReply{Success: true}
	s.applyOnce(r.Context(), source, msgs, errs, &out)
	var unkept error // the first call refused through no fault of its own
	unkeptCalls := 0 // and how many were
	for i, err := range errs {
		if err != nil {
			if out.RejectedTotal++; len(out.Rejected) < maxListed {
				out.Rejected = append(out.Rejected, trackingReject{i, err.Error()})
			}
			if !errors.Is(err, tracking.ErrInvalid) && !errors.Is(err, identity.ErrInvalid) {
				unkeptCalls++
				if unkept == nil {
					unkept = err
				}
			}
		}
	}
	s.log.Info("tracking calls", "source", source, "accepted", out.Accepted, "duplicates", out.Duplicates, "rejected", out.RejectedTotal)
	if out.RejectedTotal == len(out.Rejected) {
		out.RejectedTotal = 0 // every rejected call is listed
	}
	if unkept != nil {
		// The storage failed, the resolver is full or the request ended: sending the
		// call again can succeed. Segment's libraries retry on 5xx and read nothing of
		// a 200, so a 200 listing the call would lose it. The calls kept are not
		// applied again: their messageIds are remembered.
		w.Header().Set("Retry-After", "1")
		out.Success = false
		reply(w, http.StatusServiceUnavailable, struct {
			errorBody
			trackingReply
		}{errorBody{
			Error: unkeptMessage(unkeptCalls, len(errs), unkept),
			Code:  errorCode(http.StatusServiceUnavailable),
		}, out})
		return
	}
	reply(w, http.StatusOK, out)
}

// applyOnce applies the calls that parsed (errs[i] nil), except those whose messageId
// was applied before for this source, and sets errs[i] for those that fail.
//
// A call whose messageId another request (or an earlier call of this one) is applying
// waits for that copy to settle, for as long as its own request lasts: it counts as a
// duplicate only once the first copy is durable, and if that copy failed it is applied
// here. The waits come after this request's own claims are settled, so that a request
// never waits while holding a claim: two requests holding each other's messageIds
// cannot wait on each other.
func (s *server) applyOnce(ctx context.Context, source string, msgs []tracking.Message, errs []error, reply *trackingReply) {
	keys := make([]msgKey, len(msgs)) // of the calls with a messageId
	waits := make([]<-chan struct{}, len(msgs))
	var todo, waiting []int
	claim := func(i int) {
		claimed, wait := s.seen.claim(keys[i])
		switch {
		case claimed:
			todo = append(todo, i)
		case wait != nil:
			waits[i], waiting = wait, append(waiting, i)
		default:
			reply.Duplicates++
		}
	}
	for i, m := range msgs {
		switch {
		case errs[i] != nil:
		case m.MessageID == "":
			todo = append(todo, i)
		default:
			keys[i] = dedupKey(source, m.MessageID)
			claim(i)
		}
	}
	for {
		s.applyClaimed(ctx, msgs, keys, todo, errs, reply)
		if len(waiting) == 0 {
			return
		}
		// Wait for every copy in flight before claiming any: a claim held while
		// waiting could be the one another request waits for.
		again := waiting[:0:0]
		for _, i := range waiting {
			select {
			case <-waits[i]:
				again = append(again, i)
			case <-ctx.Done():
				errs[i] = fmt.Errorf("messageId %q: waiting for its first copy, still being applied by another request: %w", msgs[i].MessageID, context.Cause(ctx))
			}
		}
		todo, waiting = todo[:0], nil
		for _, i := range again {
			claim(i)
		}
	}
}

// applyClaimed applies the calls msgs[i], i in todo, and settles their claims: a call
// applied is durable when its key is marked applied. A call whose event the event log
// turns out to hold (another server applied it, or this one before a restart) is a
// duplicate: applied, not by this request.
func (s *server) applyClaimed(ctx context.Context, msgs []tracking.Message, keys []msgKey, todo []int, errs []error, reply *trackingReply) {
	if len(todo) == 0 {
		return
	}
	batch := make([]tracking.Message, len(todo))
	for k, i := range todo {
		batch[k] = msgs[i]
	}
	settled := 0
	defer func() {
		// A panic must not leave claims pending: their retries would wait forever.
		for _, i := range todo[settled:] {
			if msgs[i].MessageID != "" {
				s.seen.settle(keys[i], false)
			}
		}
	}()
	batchKeys := make([]msgKey, len(todo))
	for k, i := range todo {
		batchKeys[k] = keys[i]
	}
	_, failed := s.applyAll(ctx, batch, batchKeys)
	for k, err := range failed {
		i := todo[k]
		dup := errors.Is(err, errDuplicate)
		if msgs[i].MessageID != "" {
			s.seen.settle(keys[i], err == nil || dup)
		}
		settled++
		if dup {
			reply.Duplicates++
			continue
		}
		if err != nil {
			errs[i] = err
			continue
		}
		reply.Accepted++
	}
}

// readTrackingBody reads a body of at most limit bytes, gunzipping it when the client
// says it is gzip (Segment's libraries compress batches).
func readTrackingBody(r *http.Request, limit int) ([]byte, error) {
	var in io.Reader = io.LimitReader(r.Body, int64(limit)+1)
	enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding")))
	switch enc {
	case "", "identity":
	case "gzip":
		// The compressed body is bounded too: a gzip stream never grows much, so a
		// compressed body over the limit is refused as the plain one would be.
		zr, err := gzip.NewReader(in)
		if err != nil {
			return nil, fmt.Errorf("the body says it is gzip but is not: %v", err)
		}
		defer zr.Close()
		in = io.LimitReader(zr, int64(limit)+1)
	default:
		return nil, fmt.Errorf("Content-Encoding %q is not supported (send gzip or nothing)", enc)
	}
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(in); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, fmt.Errorf("the body is over %d KB", limit>>10)
		}
		return nil, fmt.Errorf("reading the body: %v", gzipCut(enc == "gzip", err))
	}
	if buf.Len() > limit {
		return nil, fmt.Errorf("the body is over %d KB, the API's limit for this endpoint", limit>>10)
	}
	return buf.Bytes(), nil
}

// batchError says what is wrong with a batch envelope in the client's terms: the
// decoder's own words named a Go type ("cannot unmarshal array into Go value of type
// struct { Batch []json.RawMessage ... }").
func batchError(err error) string {
	var typ *json.UnmarshalTypeError
	switch {
	case err == nil:
		return `no "batch"`
	case !errors.As(err, &typ):
		return err.Error()
	case typ.Field == "":
		return "got a JSON " + typ.Value
	}
	return fmt.Sprintf("%q is a JSON %s", typ.Field, typ.Value)
}

// unkeptMessage says that n of the total calls of a request could not be kept, through
// no fault of theirs, in English: a single call's 503 read "1 of 1 calls could not be
// kept, through no fault of theirs". n counts those alone: the calls refused for their
// own fault were counted too, and said to be faultless.
func unkeptMessage(n, total int, err error) string {
	if total == 1 {
		return fmt.Sprintf("the call could not be kept, through no fault of its own (%v): send it again", err)
	}
	msg := fmt.Sprintf("%d of %d calls could not be kept, through no fault of %s (%v): send the request again", n, total, english.Plural(n, "its own", "their own"), err)
	if n < total {
		msg += "; the calls kept are not applied twice (their messageIds are remembered)"
	}
	return msg
}
