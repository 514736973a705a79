package main

import (
	"slices"
	"strconv"
	"strings"

	"github.com/clientele-go/clientele/referral/attribution"
)

// merger sums the rows of one path into one journey as a file is read, so that what is
// held grows with the distinct paths, not the rows: a 4.5 M-row file of 311,232 paths
// took 1.5 GB held row by row. Paths are kept in the order first seen, so the models
// meet them (and their channels) in the file's order, as before merging.
type merger struct {
	rows  []pathRow
	index map[string]int    // path key -> its index in rows
	names map[string]string // channel name -> the one copy of it that rows hold
	key   []byte            // reused to build each row's key without allocating
}

// find sets m.key to p's path and returns the index in rows of its journey, or -1.
func (m *merger) find(p pathRow) int {
	m.setKey(p)
	if i, ok := m.index[string(m.key)]; ok { // no allocation: the compiler looks up in place
		return i
	}
	return -1
}

// put merges p into rows[i], the journey of the same path, or starts one keyed m.key
// when i is -1: i and m.key are what find(p) left. The same path is the same touches
// with the same ages (a path with ages is not the one without). Sums of non-negative
// counts are within attribution's bounds here, as csvRow refused any row that takes
// the file's total past them, and a path's sum is never past the total.
func (m *merger) put(p pathRow, i int) {
	if i >= 0 {
		m.rows[i].Conversions += p.Conversions
		m.rows[i].Nulls += p.Nulls
		m.rows[i].Value += p.Value
		return
	}
	if m.index == nil {
		m.index, m.names = map[string]int{}, map[string]string{}
	}
	// ParsePath's names are slices of the row's text, which they would keep alive:
	// hold one copy of each channel name for all the paths instead.
	for i, t := range p.Touches {
		name, ok := m.names[t]
		if !ok {
			name = strings.Clone(t) // a copy, not the row's text
			m.names[name] = name
		}
		p.Touches[i] = name
	}
	// ParsePath grew the slices by appending: held for the run, they need not keep the
	// spare capacity.
	p.Touches, p.Ages = slices.Clip(p.Touches), slices.Clip(p.Ages)
	m.index[string(m.key)] = len(m.rows)
	m.rows = append(m.rows, p)
}

// setKey sets m.key to p's path: its touches, and their ages if it has them.
func (m *merger) setKey(p pathRow) {
	m.key = m.key[:0]
	for i, t := range p.Touches {
		if i > 0 {
			// A channel name holds neither Separator nor '@' (ParsePath splits on them),
			// so the key is unambiguous.
			m.key = append(m.key, attribution.Separator...)
		}
		m.key = append(m.key, t...)
		if p.Ages != nil {
			m.key = append(m.key, '@')
			m.key = strconv.AppendInt(m.key, int64(p.Ages[i]), 10)
		}
	}
}
