package match

import (
	"fmt"
	"math"
	"slices"
)

// Settings say how records are compared and which pairs are compared at all.
type Settings struct {
	// Comparisons, one per field compared; the Fellegi-Sunter model treats them as
	// independent given match status, so two comparisons should not read the same field.
	Comparisons []Comparison
	// Blocking lists the rules whose candidate pairs Predict scores (see BlockingRule).
	Blocking []BlockingRule
	// MaxBlock caps the records of one block: a block with more records is not
	// expanded into pairs, its key is reported, and its pairs that no other rule
	// generates are counted in PairStats.Skipped. 0 means 1000 (at most 499,500 pairs
	// from one block). A value shared by thousands of records (a default phone number,
	// "test@test.com") is so blocked.
	MaxBlock int
	// MaxPairs caps the pairs one call generates; the rest are counted as skipped.
	// 0 means 20,000,000: Predict returns at most that many Scored, 16 bytes each
	// (320 MB at the default, with minWeight math.Inf(-1)); Train keeps none.
	MaxPairs int
	// CallingCode, when set, is the country calling code of phone numbers written
	// without one ("44", "1"): national numbers ("07700 900123") and international ones
	// ("+44 7700 900123", "0044 7700 900123") of that country then compare equal, in
	// the international form "+447700900123", while numbers of other countries stay
	// distinct. Empty, a phone is its digits, so the two never agree exactly. It must
	// be 1 to 3 digits without a leading 0.
	CallingCode string
}

// BlockingRule generates candidate pairs: two records are a candidate pair when their
// normalised values agree on every one of Fields and none is empty. Only candidate pairs
// are compared, which is what makes linkage sub-quadratic; a true match that agrees on
// no rule's fields is never found, so rules are chosen loose enough for recall and tight
// enough for blocks to stay small.
type BlockingRule struct {
	Fields []string
}

// Linker holds records normalised for comparison and estimates and applies a
// Fellegi-Sunter model to them. It is not changed after New and is safe for concurrent
// use. A nil *Linker (what New returns with an error) has no records: Len is 0 and the
// other methods fail with ErrInvalid saying so.
type Linker struct {
	n        int
	settings Settings
	cols     []*column
	keys     [][]string // blocking keys per rule of Settings.Blocking
	// fields holds the normalised values of every field the Settings name, compared or
	// only blocked on, by field name: training sessions block on them (TrainOptions.
	// Sessions defaults to Settings.Blocking, whose fields need not be compared).
	fields map[string][]string
}

// New checks and normalises records for the settings. It fails with ErrInvalid naming
// the record and field of a value that is not UTF-8, longer than MaxFieldLen or (birth)
// not a date, or the comparison or rule that is malformed. It copies the settings:
// changing the caller's slices afterwards has no effect on the Linker.
func New(records []Record, s Settings) (*Linker, error) {
	if len(records) > math.MaxInt32 {
		return nil, fmt.Errorf("%w: %d records, more than %d", ErrInvalid, len(records), math.MaxInt32)
	}
	if len(s.Comparisons) == 0 {
		return nil, fmt.Errorf("%w: no comparisons", ErrInvalid)
	}
	if s.MaxBlock < 0 || s.MaxPairs < 0 {
		return nil, fmt.Errorf("%w: negative MaxBlock or MaxPairs", ErrInvalid)
	}
	if s.CallingCode != "" {
		if err := checkCallingCode(s.CallingCode); err != nil {
			return nil, err
		}
	}
	// The Linker keeps its own copy of the rules: one sharing the caller's slices would
	// change with them (a Levels slice reused for another linker, a rule edited for the
	// next run), comparing by levels New never checked (a level turned DateWithin had no
	// dates to compare, and panicked) and training on rules its blocking keys are not of.
	s.Comparisons = slices.Clone(s.Comparisons)
	for i := range s.Comparisons {
		s.Comparisons[i].Levels = slices.Clone(s.Comparisons[i].Levels)
	}
	s.Blocking = slices.Clone(s.Blocking)
	for i := range s.Blocking {
		s.Blocking[i].Fields = slices.Clone(s.Blocking[i].Fields)
	}
	if s.MaxBlock == 0 {
		s.MaxBlock = 1000
	}
	if s.MaxPairs == 0 {
		s.MaxPairs = 20_000_000
	}
	l := &Linker{n: len(records), settings: s}
	normalised := map[string][]string{}
	field := func(f string) ([]string, error) {
		if vs, ok := normalised[f]; ok {
			return vs, nil
		}
		if _, ok := fieldValue(&Record{}, f); !ok {
			return nil, fmt.Errorf("unknown field %q", f)
		}
		vs := make([]string, len(records))
		for i := range records {
			raw, _ := fieldValue(&records[i], f)
			v, err := normalize(f, raw, s.CallingCode)
			if err != nil {
				return nil, fmt.Errorf("record %d field %s: %v", i, f, err)
			}
			vs[i] = v
		}
		normalised[f] = vs
		return vs, nil
	}
	for _, c := range s.Comparisons {
		if err := c.check(); err != nil {
			return nil, err
		}
		vs, err := field(c.Field)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
		}
		col, err := buildColumn(c, vs)
		if err != nil {
			return nil, err
		}
		l.cols = append(l.cols, col)
	}
	for i, r := range s.Blocking {
		k, err := l.blockKeys(r, field)
		if err != nil {
			return nil, fmt.Errorf("%w: blocking rule %d: %v", ErrInvalid, i, err)
		}
		l.keys = append(l.keys, k)
	}
	l.fields = normalised
	return l, nil
}

// Len is the number of records.
func (l *Linker) Len() int {
	if l == nil {
		return 0
	}
	return l.n
}

// comparisonVector writes the levels of pair (a, b) into g.
func (l *Linker) comparisonVector(a, b int32, g []int8) {
	for k, c := range l.cols {
		g[k] = c.level(a, b)
	}
}
