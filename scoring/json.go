package scoring

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"

	"time"
)

// Models serialise to a small JSON document that a host stores after a nightly fit and
// loads in the request path:
//
//	{"model": "BG/NBD", "version": 1, "unit": "168h0m0s",
//	 "params": {"a": 0.79, "alpha": 4.41, "b": 2.43, "r": 0.24},
//	 "log_lik": -9582.43,
//	 "fit": {"customers": 2357, "rows": 1016, "std_err": {...}, "starts": 3, ...}}
//
// unit is a Go duration ("" when unrecorded). Decoding checks the model kind and
// version, that every parameter is present, finite and positive, and that nothing
// unknown is present; on error the receiver is left unchanged. Encoding refuses
// (ErrModel) a model that decoding would refuse, so that every document written can be
// read back.

const modelVersion = 1

type modelJSON struct {
	Model   string             `json:"model"`
	Version int                `json:"version"`
	Unit    string             `json:"unit,omitempty"`
	Params  map[string]float64 `json:"params"`
	LogLik  float64            `json:"log_lik"`
	Fit     *fitJSON           `json:"fit,omitempty"`
}

type fitJSON struct {
	Customers   float64            `json:"customers"`
	Rows        int                `json:"rows"`
	StdErr      map[string]float64 `json:"std_err,omitempty"`
	Penalizer   float64            `json:"penalizer,omitempty"`
	Starts      int                `json:"starts"`
	Converged   int                `json:"converged"`
	Iterations  int                `json:"iterations"`
	Evaluations int                `json:"evaluations"`
	Gradient    float64            `json:"gradient"`
	PilotRows   int                `json:"pilot_rows,omitempty"`
	PilotEvals  int                `json:"pilot_evaluations,omitempty"`
	Boundary    *Boundary          `json:"boundary,omitempty"`
}

func encodeModel(kind string, names []string, params []float64, unit time.Duration, ll float64, d Diagnostics) ([]byte, error) {
	m := modelJSON{Model: kind, Version: modelVersion, Params: map[string]float64{}, LogLik: ll}
	if unit != 0 {
		m.Unit = unit.String()
	}
	for i, n := range names {
		m.Params[n] = params[i]
	}
	// Any diagnostic a decoded document carried is written again: a fit block without
	// customers used to survive decoding and vanish on encoding.
	if d.StdErr != nil || d.Boundary != nil || d.Customers != 0 || d.Rows != 0 || d.Penalizer != 0 || d.Starts != 0 ||
		d.Converged != 0 || d.Iterations != 0 || d.Evaluations != 0 || d.Gradient != 0 || d.PilotRows != 0 || d.PilotEvaluations != 0 {
		f := &fitJSON{Customers: d.Customers, Rows: d.Rows, Penalizer: d.Penalizer, Starts: d.Starts, Converged: d.Converged,
			Iterations: d.Iterations, Evaluations: d.Evaluations, Gradient: d.Gradient, Boundary: d.Boundary,
			PilotRows: d.PilotRows, PilotEvals: d.PilotEvaluations}
		if d.StdErr != nil {
			f.StdErr = map[string]float64{}
			for i, n := range names {
				f.StdErr[n] = d.StdErr[i]
			}
		}
		m.Fit = f
	}
	for _, v := range [][]float64{params, {ll, d.Gradient, d.Customers, d.Penalizer}, d.StdErr} {
		if !allFinite(v) {
			return nil, fmt.Errorf("%w: %s has a non-finite value", ErrModel, kind)
		}
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	// What is written must read back: a model whose parameters decoding refuses (the
	// zero model, one built by hand with a parameter of 0 or below) was written without
	// complaint, and the saved file could never be loaded.
	if _, _, _, _, err := decodeModel(b, kind, names); err != nil {
		return nil, err
	}
	return b, nil
}

// strictUnmarshal decodes one JSON value into v, rejecting unknown fields and trailing
// data, and names the offset of a syntax error.
func strictUnmarshal(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return fmt.Errorf("syntax error at offset %d: %v", se.Offset, err)
		}
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("data after the model at offset %d", dec.InputOffset())
	}
	return nil
}

func allFinite(v []float64) bool {
	for _, x := range v {
		if !finite(x) {
			return false
		}
	}
	return true
}

// decodeModel parses and checks a model document of the given kind and returns its
// parameters in names' order.
func decodeModel(data []byte, kind string, names []string) ([]float64, time.Duration, float64, Diagnostics, error) {
	var m modelJSON
	if err := strictUnmarshal(data, &m); err != nil {
		return nil, 0, 0, Diagnostics{}, fmt.Errorf("%w: %s: %v", ErrModel, kind, err)
	}
	fail := func(format string, args ...any) ([]float64, time.Duration, float64, Diagnostics, error) {
		return nil, 0, 0, Diagnostics{}, fmt.Errorf("%w: %s: %s", ErrModel, kind, fmt.Sprintf(format, args...))
	}
	if m.Model != kind {
		return fail("document holds model %q", m.Model)
	}
	if m.Version != modelVersion {
		return fail("version %d, want %d", m.Version, modelVersion)
	}
	var unit time.Duration
	if m.Unit != "" {
		u, err := time.ParseDuration(m.Unit)
		if err != nil || u < 0 {
			return fail("unit %q is not a non-negative duration", m.Unit)
		}
		unit = u
	}
	if len(m.Params) != len(names) {
		return fail("%d parameters, want %d (%v)", len(m.Params), len(names), names)
	}
	params := make([]float64, len(names))
	for i, n := range names {
		v, ok := m.Params[n]
		if !ok {
			return fail("parameter %q missing", n)
		}
		if !finite(v) || v <= 0 {
			return fail("parameter %q = %v, want a positive number", n, v)
		}
		params[i] = v
	}
	if !finite(m.LogLik) {
		return fail("log_lik %v", m.LogLik)
	}
	var d Diagnostics
	if f := m.Fit; f != nil {
		if !finite(f.Customers) || f.Customers < 0 || f.Rows < 0 || f.Starts < 0 || f.Converged < 0 ||
			f.Converged > f.Starts || f.Iterations < 0 || f.Evaluations < 0 || !finite(f.Gradient) || f.Gradient < 0 ||
			!finite(f.Penalizer) || f.Penalizer < 0 || f.PilotRows < 0 || f.PilotEvals < 0 {
			return fail("fit diagnostics out of range")
		}
		d = Diagnostics{Customers: f.Customers, Rows: f.Rows, Penalizer: f.Penalizer, Starts: f.Starts, Converged: f.Converged,
			Iterations: f.Iterations, Evaluations: f.Evaluations, Gradient: f.Gradient, Boundary: f.Boundary,
			PilotRows: f.PilotRows, PilotEvaluations: f.PilotEvals}
		if b := f.Boundary; b != nil {
			if len(b.Params) == 0 || len(b.Params) != len(b.Values) || !allFinite(b.Values) {
				return fail("boundary malformed")
			}
			for i, p := range b.Params {
				if !slices.Contains(names, p) || !(b.Values[i] > 0) {
					return fail("boundary parameter %q=%v", p, b.Values[i])
				}
			}
		}
		if f.StdErr != nil {
			if len(f.StdErr) != len(names) {
				return fail("%d standard errors, want %d", len(f.StdErr), len(names))
			}
			d.StdErr = make([]float64, len(names))
			for i, n := range names {
				v, ok := f.StdErr[n]
				if !ok || !finite(v) || v < 0 {
					return fail("standard error of %q missing or invalid", n)
				}
				d.StdErr[i] = v
			}
		}
	}
	return params, unit, m.LogLik, d, nil
}

// MarshalJSON encodes the model with its unit and fit diagnostics.
func (m *BGNBD) MarshalJSON() ([]byte, error) {
	if m == nil {
		return nil, fmt.Errorf("%w: nil BG/NBD model", ErrInvalid)
	}
	return encodeModel("BG/NBD", bgnbdNames, []float64{m.R, m.Alpha, m.A, m.B}, m.Unit, m.LogLik, m.Fit)
}

// UnmarshalJSON decodes and checks a model written by MarshalJSON.
func (m *BGNBD) UnmarshalJSON(data []byte) error {
	if m == nil {
		return fmt.Errorf("%w: nil BG/NBD model", ErrInvalid)
	}
	p, unit, ll, d, err := decodeModel(data, "BG/NBD", bgnbdNames)
	if err != nil {
		return err
	}
	*m = BGNBD{R: p[0], Alpha: p[1], A: p[2], B: p[3], LogLik: ll, Unit: unit, Fit: d}
	return nil
}

// MarshalJSON encodes the model with its unit and fit diagnostics.
func (m *MBGNBD) MarshalJSON() ([]byte, error) {
	if m == nil {
		return nil, fmt.Errorf("%w: nil MBG/NBD model", ErrInvalid)
	}
	return encodeModel("MBG/NBD", bgnbdNames, []float64{m.R, m.Alpha, m.A, m.B}, m.Unit, m.LogLik, m.Fit)
}

// UnmarshalJSON decodes and checks a model written by MarshalJSON.
func (m *MBGNBD) UnmarshalJSON(data []byte) error {
	if m == nil {
		return fmt.Errorf("%w: nil MBG/NBD model", ErrInvalid)
	}
	p, unit, ll, d, err := decodeModel(data, "MBG/NBD", bgnbdNames)
	if err != nil {
		return err
	}
	*m = MBGNBD{R: p[0], Alpha: p[1], A: p[2], B: p[3], LogLik: ll, Unit: unit, Fit: d}
	return nil
}

// MarshalJSON encodes the model with its unit and fit diagnostics.
func (m *ParetoNBD) MarshalJSON() ([]byte, error) {
	if m == nil {
		return nil, fmt.Errorf("%w: nil Pareto/NBD model", ErrInvalid)
	}
	return encodeModel("Pareto/NBD", paretoNames, []float64{m.R, m.Alpha, m.S, m.Beta}, m.Unit, m.LogLik, m.Fit)
}

// UnmarshalJSON decodes and checks a model written by MarshalJSON.
func (m *ParetoNBD) UnmarshalJSON(data []byte) error {
	if m == nil {
		return fmt.Errorf("%w: nil Pareto/NBD model", ErrInvalid)
	}
	p, unit, ll, d, err := decodeModel(data, "Pareto/NBD", paretoNames)
	if err != nil {
		return err
	}
	*m = ParetoNBD{R: p[0], Alpha: p[1], S: p[2], Beta: p[3], LogLik: ll, Unit: unit, Fit: d}
	return nil
}

// MarshalJSON encodes the model with its unit and fit diagnostics.
func (m *BGBB) MarshalJSON() ([]byte, error) {
	if m == nil {
		return nil, fmt.Errorf("%w: nil BG/BB model", ErrInvalid)
	}
	return encodeModel("BG/BB", bgbbNames, []float64{m.Alpha, m.Beta, m.Gamma, m.Delta}, m.Unit, m.LogLik, m.Fit)
}

// UnmarshalJSON decodes and checks a model written by MarshalJSON.
func (m *BGBB) UnmarshalJSON(data []byte) error {
	if m == nil {
		return fmt.Errorf("%w: nil BG/BB model", ErrInvalid)
	}
	p, unit, ll, d, err := decodeModel(data, "BG/BB", bgbbNames)
	if err != nil {
		return err
	}
	*m = BGBB{Alpha: p[0], Beta: p[1], Gamma: p[2], Delta: p[3], LogLik: ll, Unit: unit, Fit: d}
	return nil
}

// MarshalJSON encodes the model with its fit diagnostics (spend has no time unit).
func (m *GammaGamma) MarshalJSON() ([]byte, error) {
	if m == nil {
		return nil, fmt.Errorf("%w: nil Gamma-Gamma model", ErrInvalid)
	}
	return encodeModel("Gamma-Gamma", gammaGammaNames, []float64{m.P, m.Q, m.Gamma}, 0, m.LogLik, m.Fit)
}

// UnmarshalJSON decodes and checks a model written by MarshalJSON.
func (m *GammaGamma) UnmarshalJSON(data []byte) error {
	if m == nil {
		return fmt.Errorf("%w: nil Gamma-Gamma model", ErrInvalid)
	}
	p, unit, ll, d, err := decodeModel(data, "Gamma-Gamma", gammaGammaNames)
	if err != nil {
		return err
	}
	if unit != 0 {
		return fmt.Errorf("%w: Gamma-Gamma has no time unit, got %v", ErrModel, unit)
	}
	*m = GammaGamma{P: p[0], Q: p[1], Gamma: p[2], LogLik: ll, Fit: d}
	return nil
}
