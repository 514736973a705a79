package main

import (
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxReason bounds the bytes of a rejection's reason in a reply of POST /v1/events: a
// reason quotes the value it refuses, which may fill the line.
const maxReason = 300

type rejection struct {
	Line int `json:"line"`
	// Call is the rejected call's 1-based position in its line's batch envelope, given
	// when the line holds more than one call (left out for a line of one call, or one
	// refused whole): its other calls may have been applied, so that call alone is to
	// be sent again. A call refused when applied was listed with its line alone, and a
	// client could not tell which of the envelope's calls to send again.
	Call  int    `json:"call,omitempty"`
	Error string `json:"error"`
}

// eventsReply is the answer of POST /v1/events. Rejected lists the first maxListed
// rejections in line order; when there are more, RejectedTotal counts them all,
// RejectedLines names every line holding one, and RejectedCalls the rejected calls of
// those lines whose other calls were applied (callRanges), so that the reply stays
// bounded whatever the body while a client can still send again exactly the calls
// not applied: every line named, but of a line named in RejectedCalls only its calls
// named there.
type eventsReply struct {
	Accepted      int         `json:"accepted"`
	Rejected      []rejection `json:"rejected"`
	RejectedTotal int         `json:"rejected_total,omitempty"`
	RejectedLines string      `json:"rejected_lines,omitempty"`
	RejectedCalls string      `json:"rejected_calls,omitempty"`
	Profiles      []uint32    `json:"profiles"`
}

// callRef is a call of a body: its line, and its 1-based position in the line's batch
// envelope when the line holds more than one call (0 otherwise).
type callRef struct{ line, call int }

func (a callRef) cmp(b callRef) int {
	if a.line != b.line {
		return a.line - b.line
	}
	return a.call - b.call
}

// rejections gathers the rejections of one stage of a body, met in line order: the
// line of each, the rejected calls of lines holding several, and the first maxListed
// with their reasons. A body of 1 MiB of bad lines ("x\n" 524,288 times) was answered
// with each listed and its reason, 59 MB, and held as much until the reply was
// written.
type rejections struct {
	lines  []int
	calls  []callRef // of lines holding more than one call, in line and call order
	listed []rejection
}

// add notes the rejection of line's call (0: the line's one call, or the line whole).
func (r *rejections) add(line, call int, err error) {
	r.lines = append(r.lines, line)
	if call > 0 {
		r.calls = append(r.calls, callRef{line, call})
	}
	if len(r.listed) < maxListed {
		r.listed = append(r.listed, rejection{line, call, cutReason(err.Error())})
	}
}

// merge returns the rejections of r and o (each in line and call order) together in
// line and call order, as the whole body's: a call is rejected by one stage only.
func (r *rejections) merge(o *rejections) *rejections {
	lines := slices.Concat(r.lines, o.lines)
	slices.Sort(lines)
	calls := slices.Concat(r.calls, o.calls)
	slices.SortFunc(calls, callRef.cmp)
	listed := slices.Concat(r.listed, o.listed)
	slices.SortStableFunc(listed, func(a, b rejection) int { return callRef{a.Line, a.Call}.cmp(callRef{b.Line, b.Call}) })
	return &rejections{lines: lines, calls: calls, listed: listed[:min(len(listed), maxListed)]}
}

// cutReason cuts a reason longer than maxReason in its middle, where a quoted value
// sits, keeping its start (what is refused) and its end (what would do).
func cutReason(s string) string {
	if len(s) <= maxReason {
		return s
	}
	const mid = " … "
	keep := (maxReason - len(mid)) / 2
	i, j := keep, len(s)-keep
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	for j < len(s) && !utf8.RuneStart(s[j]) {
		j++
	}
	return s[:i] + mid + s[j:]
}

// lineRanges writes the rejected lines (ascending, a line once or more) as ranges,
// "2-5,9": a range runs on while no accepted line (ascending) lies between two rejected
// ones, over the blank lines and the lines of no call between them, which sending again
// changes nothing. So there is at most one range more than there are accepted lines,
// each of at least 27 bytes ({"type":"page","userId":1}): rejected_lines is at most
// 16 bytes a range, some 600 KB for a body of 1 MiB, and a few bytes for a body whose
// lines are all bad.
func lineRanges(rejected, accepted []int) string {
	var b strings.Builder
	j := 0
	for i := 0; i < len(rejected); {
		from, to := rejected[i], rejected[i]
		for i++; i < len(rejected); i++ {
			for j < len(accepted) && accepted[j] <= to {
				j++
			}
			if j < len(accepted) && accepted[j] < rejected[i] {
				break
			}
			to = rejected[i]
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		writeRange(&b, from, to)
	}
	return b.String()
}

// writeRange writes from-to, or from alone when the range holds one number.
func writeRange(b *strings.Builder, from, to int) {
	b.WriteString(strconv.Itoa(from))
	if to > from {
		b.WriteByte('-')
		b.WriteString(strconv.Itoa(to))
	}
}

// callRanges writes the rejected calls (ascending) of the lines that also hold an
// accepted call (ascending) as "line:calls" items, the calls a range of positions in
// the line's batch: "7:2-3,7:5,12:1" for calls 2, 3 and 5 of line 7 and call 1 of
// line 12. A line wholly rejected is left out: rejected_lines names it, and it is sent
// again whole. Past the listed rejections, a line partly applied was named by
// rejected_lines alone, and a client could neither send it again (its applied calls
// would apply twice: this endpoint has no messageIds) nor leave it (its other calls
// were lost).
//
// Bounded: a range of rejected calls follows the start of its line or an accepted
// call of it, so a line with a accepted calls has at most a+1 ranges, and its a calls
// take 26a bytes or more ({"type":"page","userId":1}). Of bodies of 1 MiB built to
// make it long, the longest is one envelope of {"type":"page","userId":1},1,1 over and
// over, a range of up to 16 bytes ("1:101470-101471,") for each 31 bytes of body: 467 KB
// (TestEventsRejectedCallsBounded).
func callRanges(rejected, accepted []callRef) string {
	var b strings.Builder
	j := 0
	for i := 0; i < len(rejected); {
		line := rejected[i].line
		for j < len(accepted) && accepted[j].line < line {
			j++
		}
		partly := j < len(accepted) && accepted[j].line == line
		for i < len(rejected) && rejected[i].line == line {
			from, to := rejected[i].call, rejected[i].call
			for i++; i < len(rejected) && rejected[i].line == line && rejected[i].call == to+1; i++ {
				to++
			}
			if !partly {
				continue
			}
			if b.Len() > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.Itoa(line))
			b.WriteByte(':')
			writeRange(&b, from, to)
		}
	}
	return b.String()
}
