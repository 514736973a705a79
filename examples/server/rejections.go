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
	Line  int    `json:"line"`
	Error string `json:"error"`
}

// eventsReply is the answer of POST /v1/events. Rejected lists the first maxListed
// rejections in line order; when there are more, RejectedTotal counts them all and
// RejectedLines names every line holding one, so that the reply stays bounded whatever
// the body while a client can still send again exactly the lines to send again.
type eventsReply struct {
	Accepted      int         `json:"accepted"`
	Rejected      []rejection `json:"rejected"`
	RejectedTotal int         `json:"rejected_total,omitempty"`
	RejectedLines string      `json:"rejected_lines,omitempty"`
	Profiles      []uint32    `json:"profiles"`
}

// rejections gathers the rejections of one stage of a body, met in line order: the
// line of each, and the first maxListed with their reasons. A body of 1 MiB of bad
// lines ("x\n" 524,288 times) was answered with each listed and its reason, 59 MB,
// and held as much until the reply was written.
type rejections struct {
	lines  []int
	listed []rejection
}

func (r *rejections) add(line int, err error) {
	r.lines = append(r.lines, line)
	if len(r.listed) < maxListed {
		r.listed = append(r.listed, rejection{line, cutReason(err.Error())})
	}
}

// merge returns the rejections of r and o (each in line order) together in line order,
// r's first on a line both hold, as the whole body's.
func (r *rejections) merge(o *rejections) *rejections {
	lines := slices.Concat(r.lines, o.lines)
	slices.Sort(lines)
	listed := slices.Concat(r.listed, o.listed)
	slices.SortStableFunc(listed, func(a, b rejection) int { return a.Line - b.Line })
	return &rejections{lines: lines, listed: listed[:min(len(listed), maxListed)]}
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
		b.WriteString(strconv.Itoa(from))
		if to > from {
			b.WriteByte('-')
			b.WriteString(strconv.Itoa(to))
		}
	}
	return b.String()
}
