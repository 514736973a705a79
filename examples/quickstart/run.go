package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/clientele-go/clientele/internal/english"
	"github.com/clientele-go/clientele/internal/synth"
)

const vocabularyTitle = "Words used in this report"

// vocabulary is the report's one set of words, printed once at its top (text and HTML
// alike); every line below uses them in these senses only.
var vocabulary = []struct{ word, meaning string }{
	{"person", "a human being in the generated base: the generator's truth, which the SDK never sees"},
	{"profile", "what identity resolution made of the identifiers it saw; a person is several profiles until one event carries identifiers of both (an anonymous visitor who never signs in stays apart from their e-mail)"},
	{"reached", "touched by a promotion (e-mail, SMS, display, search, social or direct)"},
	{"visitor", "visited the site or the shop at least once"},
	{"user", "came back: two or more visits within 30 days; in the generator this is also when a person signs up"},
	{"customer", "bought at least once"},
	{"repeat customer", "bought twice or more"},
	{"advocate", "a customer who brought a new user by referral"},
	{"dormant, churned", "no visit or purchase for 30 days (dormant) or 90 days (churned); reactivated: active again after being dormant"},
}

// estimate is roughly how long each step takes per 1,000 people, in seconds, measured on
// 2026-12-04 at 100,000 and 1,000,000 people on a two-core machine (the larger where
// they differ; steps 1 and 7 again on 2026-12-05, after the bootstrap and the event
// log were sped up); the progress lines show it so that a person watching a large run
// knows what to expect.
var estimate = []float64{0.027, 0.001, 0.002, 0.0055, 0.0095, 0.005, 0.015, 0.001}

// run does the whole job: out receives the text report, status the progress lines.
func run(out, status io.Writer, cfg config) error {
	steps := 7
	if cfg.out != "" {
		steps = 8
		if err := checkOut(cfg.out); err != nil {
			return err
		}
	}
	if err := checkMemory(cfg.people, status); err != nil {
		return err
	}
	prog := &progress{w: status, steps: steps, people: cfg.people}
	defer prog.abandon()
	params := synth.Params{People: cfg.people, Seed: cfg.seed}.Default()
	start, end := params.Start, params.End()
	w := &reportWriter{w: out}
	w.line("clientele quickstart: a generated base of %s reached by %d promotions over %d days", people(params.People), params.Promotions, params.Days)
	w.section(vocabularyTitle)
	for _, v := range vocabulary {
		w.line("%-17s %s", v.word, v.meaning)
	}
	w.line("Every count says what it counts; every share says of what.")

	prog.begin("generating the base and resolving identities")
	res, err := resolveBase(params)
	if err != nil {
		return err
	}
	prog.end()
	truth := groundTruth(res)
	w.section(secBase)
	w.line("%s in the generated base: %s reached by promotions, %s more brought by referral",
		people(res.people), thousands(params.People), thousands(max(0, res.people-params.People)))
	w.line("%s (touches, visits, sign-ups, purchases, refunds)", counted(len(res.events)+res.lost, "event"))
	w.line("%s became %s: %.2f%% of the %s reached (the seeds say about 2%%)",
		people(truth.users), english.Plural(truth.users, "a user", "users"), pct(truth.users, params.People), thousands(params.People))
	res.report(w)

	prog.begin("building segments")
	seg, err := buildSegments(res, end)
	if err != nil {
		return err
	}
	prog.end()
	seg.report(w, res.profiles)

	prog.begin("referral programme, viral growth and attribution")
	refs, referrer, err := runReferrals(res, start, end)
	if err != nil {
		return err
	}
	prog.end()

	prog.begin("funnel, retention and lifecycle")
	fun, err := runFunnels(res, funnelEvents(res, referrer), params)
	if err != nil {
		return err
	}
	prog.end()
	fun.report(w)
	// The insight and the loyalty and uplift sections compute as they print: their text
	// is held back while their progress line is open, so that on a terminal it does not
	// land inside that line.
	prog.begin("funnel insight: correlations, paths, trends and experiments")
	w.hold()
	err = reportInsight(w, res, referrer)
	prog.end()
	w.release()
	if err != nil {
		return err
	}

	prog.begin("fitting BG/NBD and Gamma-Gamma, CLV and lookalikes")
	val, err := scoreBase(res, seg, params)
	if err != nil {
		return err
	}
	prog.end()
	val.report(w)
	refs.report(w)
	prog.begin("loyalty programme and uplift campaign")
	w.hold()
	err = reportLoyalty(w, res, end)
	var qini *upliftCurves
	if err == nil {
		qini, err = reportUplift(w, cfg.people, cfg.seed)
	}
	prog.end()
	w.release()
	if err != nil {
		return err
	}

	if cfg.out != "" {
		prog.begin("writing " + cfg.out)
		if err := writePage(cfg.out, w, res, seg, fun, val, refs, qini); err != nil {
			return err
		}
		prog.end()
	}
	return nil
}

// reportWriter writes the text report, sections of aligned lines, and keeps them for
// the HTML page, which shows the same text beside its charts.
type reportWriter struct {
	w        io.Writer
	held     *bytes.Buffer // text held back while a progress line is open; nil: none
	lead     []string      // lines before the first section
	sections []textSection
}

type textSection struct {
	title string
	lines []string
}

// hold keeps the text written from now on until release writes it.
func (r *reportWriter) hold() { r.held = &bytes.Buffer{} }

func (r *reportWriter) release() {
	if b := r.held; b != nil {
		r.held = nil
		r.w.Write(b.Bytes())
	}
}

// out is where text goes now: w, or the held text.
func (r *reportWriter) out() io.Writer {
	if r.held != nil {
		return r.held
	}
	return r.w
}

func (r *reportWriter) section(title string) {
	fmt.Fprintf(r.out(), "\n%s\n%s\n", title, strings.Repeat("-", len(title)))
	r.sections = append(r.sections, textSection{title: title})
}

func (r *reportWriter) line(format string, args ...any) {
	l := fmt.Sprintf(format, args...)
	fmt.Fprintln(r.out(), l)
	if n := len(r.sections); n > 0 {
		r.sections[n-1].lines = append(r.sections[n-1].lines, l)
	} else {
		r.lead = append(r.lead, l)
	}
}

// people writes a count of people: "1 person", "182,620 people".
func people[T ~int | ~int64 | ~uint64](n T) string {
	if n == 1 {
		return "1 person"
	}
	return thousands(n) + " people"
}

// counted writes a count of a noun with its plural in s: "1 event", "1,041 events".
func counted[T ~int | ~int64 | ~uint64](n T, noun string) string {
	return thousands(n) + " " + english.Plural(n, noun, noun+"s")
}

// thousands writes n with comma separators: 182,620.
func thousands[T ~int | ~int64 | ~uint64](n T) string {
	s := strconv.FormatInt(int64(n), 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// truthCounts are the generator's own counts, the truth the SDK's answers are held to.
type truthCounts struct{ users int }

func groundTruth(r *resolved) truthCounts {
	var t truthCounts
	for _, e := range r.events {
		if e.kind == synth.Signup {
			t.users++
		}
	}
	return t
}

// vocabularyMeaning reports whether a text line is a vocabulary entry, which the page
// shows as a definition list rather than as the same line.
func vocabularyMeaning(line string) (string, bool) {
	for _, v := range vocabulary {
		if strings.HasPrefix(line, v.word) && strings.HasSuffix(line, v.meaning) {
			return v.meaning, true
		}
	}
	return "", false
}

// checkOut refuses an -out the page cannot be written to (a directory, or a file in a
// directory that does not exist) before the run rather than after it: a run of a
// million people takes a minute before its last step writes the page.
func checkOut(path string) error {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return fmt.Errorf("-out %s: a directory; give a file, such as %s", path, filepath.Join(path, "report.html"))
	}
	dir := filepath.Dir(path)
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return fmt.Errorf("-out %s: no directory %s to write it in", path, dir)
	}
	return nil
}
