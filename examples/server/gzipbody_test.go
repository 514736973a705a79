package main

import (
	"bytes"
	"compress/gzip"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/clientele-go/clientele"
)

// TestGzipBodies: a body sent with Content-Encoding: gzip is decompressed on every
// path, as the tracking API's is. POST /v1/events read it as it came, and refused each
// line of a compressed events file as "byte 0x8b is not UTF-8 (convert the file, e.g.
// iconv -f latin1)". The 1 MiB limit holds after decompression; a body that is not
// gzip or is cut short is 400 saying so, another encoding 415, and none of them changes
// anything.
func TestGzipBodies(t *testing.T) {
	s := memoryServer(t, clientele.FixedClock(time.Date(2025, 3, 3, 0, 0, 0, 0, time.UTC)))
	s.writeKeys = map[string]string{"wk-web": "web"}
	base, stop := start(t, s)
	defer stop()
	zipped := func(body string) []byte {
		var b bytes.Buffer
		w := gzip.NewWriter(&b)
		w.Write([]byte(body))
		w.Close()
		return b.Bytes()
	}
	send := func(method, path, enc string, body []byte, status int, out any) {
		t.Helper()
		req, err := http.NewRequest(method, base+path, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Encoding", enc)
		do(t, req, status, out)
	}
	events := `{"type":"page","userId":"u-1","timestamp":"2025-03-01T09:00:00Z"}` + "\n" +
		`{"type":"track","event":"Order Completed","userId":"u-1","timestamp":"2025-03-01T10:00:00Z"}` + "\n"
	var posted struct {
		Accepted int
		Rejected []struct{ Error string }
	}
	send("POST", "/v1/events", "gzip", zipped(events), http.StatusOK, &posted)
	if posted.Accepted != 2 || len(posted.Rejected) != 0 {
		t.Errorf("gzip events: %+v, want 2 accepted", posted)
	}
	send("PUT", "/v1/segments/buyers", "GZIP", zipped(`did("Order Completed")`), http.StatusOK, nil)

	var e errorBody
	send("POST", "/v1/events", "gzip", []byte(events), http.StatusBadRequest, &e)
	if !strings.Contains(e.Error, "the body says it is gzip but is not") {
		t.Errorf("a plain body sent as gzip: %q", e.Error)
	}
	// A compressed body cut short says so: it read "reading the body: unexpected EOF".
	cut := zipped(events)
	cut = cut[:len(cut)/2]
	send("POST", "/v1/events", "gzip", cut, http.StatusBadRequest, &e)
	if !strings.Contains(e.Error, "the gzip stream ends before its end, so the body was cut short") {
		t.Errorf("a gzip body cut short: %q", e.Error)
	}
	req, err := http.NewRequest("POST", base+"/v1/batch", bytes.NewReader(cut))
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth("wk-web", "")
	req.Header.Set("Content-Encoding", "gzip")
	do(t, req, http.StatusBadRequest, &e)
	if !strings.Contains(e.Error, "the gzip stream ends before its end, so the body was cut short") {
		t.Errorf("a gzip batch cut short: %q", e.Error)
	}
	send("POST", "/v1/events", "br", []byte(events), http.StatusUnsupportedMediaType, &e)
	if !strings.Contains(e.Error, `Content-Encoding "br" is not supported`) {
		t.Errorf("br: %q", e.Error)
	}
	// A small compressed body past the limit once decompressed applies nothing.
	bomb := strings.Repeat(`{"type":"page","userId":"u-2","timestamp":"2025-03-01T09:00:00Z"}`+"\n", maxBody/60)
	send("POST", "/v1/events", "gzip", zipped(bomb), http.StatusRequestEntityTooLarge, &e)
	if want := "the body is over 1 MiB (1048576 bytes), the limit of this endpoint, counted decompressed"; e.Error != want {
		// It said "body over 1048576 bytes" of a body of a few KB.
		t.Errorf("a gzip body over the limit decompressed: %q, want %q", e.Error, want)
	}
	call(t, "GET", base+"/v1/lookup?kind=user_id&value=u-2", "", http.StatusNotFound, nil)
	send("POST", "/v1/events", "identity", []byte(events), http.StatusOK, nil)
}
