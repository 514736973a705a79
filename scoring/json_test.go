package scoring

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// jsonModel is what every model type offers for serialisation.
type jsonModel interface {
	json.Marshaler
	json.Unmarshaler
}

func fittedModels(t *testing.T) map[string]jsonModel {
	fits := cdnowFits(t)
	rows := loadDonations(t)
	for i := range rows {
		rows[i].Unit = 365 * 24 * time.Hour
	}
	bb, err := FitBGBB(rows, nil)
	if err != nil {
		t.Fatal(err)
	}
	return map[string]jsonModel{
		"BG/NBD": fits.bg, "MBG/NBD": fits.mbg, "Gamma-Gamma": fits.gg, "BG/BB": bb, "Pareto/NBD": fits.pareto,
	}
}

func newLike(m jsonModel) jsonModel {
	switch m.(type) {
	case *BGNBD:
		return &BGNBD{}
	case *MBGNBD:
		return &MBGNBD{}
	case *ParetoNBD:
		return &ParetoNBD{}
	case *BGBB:
		return &BGBB{}
	case *GammaGamma:
		return &GammaGamma{}
	}
	panic("unknown model")
}

func TestModelsRoundTripJSON(t *testing.T) {
	for name, m := range fittedModels(t) {
		data, err := json.Marshal(m)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		back := newLike(m)
		if err := json.Unmarshal(data, back); err != nil {
			t.Fatalf("%s: %v\n%s", name, err, data)
		}
		if diff := cmp.Diff(m, back); diff != "" {
			t.Errorf("%s round trip (-want +got):\n%s", name, diff)
		}
		if !strings.Contains(string(data), `"model":"`+name+`"`) {
			t.Errorf("%s: %s", name, data)
		}
	}
}

func TestBGNBDJSONCarriesUnitAndDiagnostics(t *testing.T) {
	m := fittedModels(t)["BG/NBD"].(*BGNBD)
	data, _ := json.Marshal(m)
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	fit := doc["fit"].(map[string]any)
	if doc["unit"] != "168h0m0s" || fit["customers"] != 2357.0 || fit["std_err"].(map[string]any)["r"] == nil {
		t.Errorf("document %s", data)
	}
}

func TestModelJSONRejects(t *testing.T) {
	good := `{"model":"BG/NBD","version":1,"unit":"168h0m0s","params":{"r":0.24,"alpha":4.4,"a":0.79,"b":2.4},"log_lik":-9582.4}`
	var m BGNBD
	if err := json.Unmarshal([]byte(good), &m); err != nil || m.R != 0.24 || m.Unit != 7*24*time.Hour {
		t.Fatalf("good document: %+v, %v", m, err)
	}
	before := m
	for name, doc := range map[string]string{
		"other model":     strings.Replace(good, "BG/NBD", "Pareto/NBD", 1),
		"version":         strings.Replace(good, `"version":1`, `"version":2`, 1),
		"missing param":   strings.Replace(good, `,"b":2.4`, ``, 1),
		"extra param":     strings.Replace(good, `"b":2.4`, `"b":2.4,"s":1`, 1),
		"renamed param":   strings.Replace(good, `"b":2.4`, `"beta":2.4`, 1),
		"negative param":  strings.Replace(good, `"a":0.79`, `"a":-0.79`, 1),
		"zero param":      strings.Replace(good, `"a":0.79`, `"a":0`, 1),
		"huge param":      strings.Replace(good, `"a":0.79`, `"a":1e999`, 1),
		"bad unit":        strings.Replace(good, `168h0m0s`, `a week`, 1),
		"negative unit":   strings.Replace(good, `168h0m0s`, `-1h`, 1),
		"unknown field":   strings.Replace(good, `"version":1`, `"version":1,"extra":true`, 1),
		"trailing data":   good + `{}`,
		"syntax":          good[:40],
		"string param":    strings.Replace(good, `"a":0.79`, `"a":"0.79"`, 1),
		"bad diagnostics": strings.Replace(good, `}`, `},"fit":{"customers":-1,"rows":1,"starts":1,"converged":1,"iterations":1,"evaluations":1,"gradient":0}`, 1),
		"too many starts": strings.Replace(good, `"log_lik":-9582.4}`, `"log_lik":-9582.4,"fit":{"customers":1,"rows":1,"starts":1,"converged":2,"iterations":1,"evaluations":1,"gradient":0}}`, 1),
		"bad penalizer":   strings.Replace(good, `"log_lik":-9582.4}`, `"log_lik":-9582.4,"fit":{"customers":1,"rows":1,"penalizer":-1,"starts":1,"converged":1,"iterations":1,"evaluations":1,"gradient":0}}`, 1),
		"std_err count":   strings.Replace(good, `"log_lik":-9582.4}`, `"log_lik":-9582.4,"fit":{"customers":1,"rows":1,"std_err":{"r":1},"starts":1,"converged":1,"iterations":1,"evaluations":1,"gradient":0}}`, 1),
		"null":            `null`,
	} {
		err := m.UnmarshalJSON([]byte(doc))
		if !errors.Is(err, ErrModel) {
			t.Errorf("%s: err = %v, want ErrModel", name, err)
		}
		if !cmp.Equal(before, m) {
			t.Errorf("%s: model changed on error", name)
		}
	}
	if _, err := json.Marshal(&BGNBD{R: math.NaN(), Alpha: 1, A: 1, B: 1}); err == nil {
		t.Error("NaN parameter marshalled")
	}
}

// TestModelJSONWritesOnlyWhatReads: a model that decoding refuses is refused when
// encoded, with ErrModel: the zero model of every kind, a parameter of 0 or below, and
// diagnostics out of range (more converged starts than starts). They were written
// without complaint, and the saved document could never be loaded.
func TestModelJSONWritesOnlyWhatReads(t *testing.T) {
	for name, m := range map[string]json.Marshaler{
		"zero BG/NBD":        &BGNBD{},
		"zero MBG/NBD":       &MBGNBD{},
		"zero Pareto/NBD":    &ParetoNBD{},
		"zero BG/BB":         &BGBB{},
		"zero Gamma-Gamma":   &GammaGamma{},
		"negative parameter": &BGNBD{R: -1, Alpha: 1, A: 1, B: 1},
		"converged > starts": &GammaGamma{P: 1, Q: 1, Gamma: 1, Fit: Diagnostics{Starts: 1, Converged: 2}},
	} {
		if b, err := m.MarshalJSON(); !errors.Is(err, ErrModel) {
			t.Errorf("%s: %s, %v; want ErrModel", name, b, err)
		}
	}
}

// FuzzModelJSON feeds arbitrary documents to every model's decoder: none panics, every
// error is ErrModel, and whatever decodes re-encodes to a document that decodes to the
// same model.
func FuzzModelJSON(f *testing.F) {
	f.Add([]byte(`{"model":"BG/NBD","version":1,"unit":"168h0m0s","params":{"r":0.24,"alpha":4.4,"a":0.79,"b":2.4},"log_lik":-9582.4,"fit":{"customers":2357,"rows":1016,"std_err":{"r":0.01,"alpha":0.4,"a":0.2,"b":0.7},"starts":3,"converged":3,"iterations":5,"evaluations":30,"gradient":1e-9}}`))
	f.Add([]byte(`{"model":"BG/NBD","version":1,"params":{"r":0.16,"alpha":1.5,"a":0.34,"b":0.68},"log_lik":-9660.9,"fit":{"customers":2357,"rows":1016,"penalizer":0.01,"starts":3,"converged":3,"iterations":5,"evaluations":30,"gradient":1e-9}}`))
	f.Add([]byte(`{"model":"Pareto/NBD","version":1,"params":{"r":0.55,"alpha":10.58,"s":0.61,"beta":11.67},"log_lik":-9595}`))
	f.Add([]byte(`{"model":"BG/BB","version":1,"unit":"8760h0m0s","params":{"alpha":1.2,"beta":0.75,"gamma":0.66,"delta":2.78},"log_lik":-33225.6}`))
	f.Add([]byte(`{"model":"Gamma-Gamma","version":1,"params":{"p":6.25,"q":3.74,"gamma":15.44},"log_lik":-4055.9}`))
	f.Add([]byte(`{"model":"MBG/NBD","version":1,"params":{"r":0.5,"alpha":6,"a":0.9,"b":1.6},"log_lik":0}`))
	f.Add([]byte(`{"model":"logistic","version":1,"names":["a"],"mean":[1],"scale":[2],"intercept":0.1,"coef":[0.5],"lambda":1,"log_lik":-3,"n":10,"iterations":4}`))
	f.Add([]byte(`{}`))
	// Issue 14: a fit block without customers was decoded and then dropped by encoding.
	f.Add([]byte(`{"model":"BG/NBD","version":1,"params":{"r":0.1,"alpha":1,"a":0.1,"b":0.01},"log_lik":1000000,"fit":{"gradient":1}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, m := range []jsonModel{&BGNBD{}, &MBGNBD{}, &ParetoNBD{}, &BGBB{}, &GammaGamma{}, &Logistic{}} {
			if err := m.UnmarshalJSON(data); err != nil {
				if !errors.Is(err, ErrModel) {
					t.Fatalf("%T: error %v is not ErrModel", m, err)
				}
				continue
			}
			again, err := m.MarshalJSON()
			if err != nil {
				t.Fatalf("%T decoded %q but does not re-encode: %v", m, data, err)
			}
			var back jsonModel
			if _, ok := m.(*Logistic); ok {
				back = &Logistic{}
			} else {
				back = newLike(m)
			}
			if err := back.UnmarshalJSON(again); err != nil {
				t.Fatalf("%T: re-encoded %s does not decode: %v", m, again, err)
			}
			if !cmp.Equal(m, back) {
				t.Fatalf("%T: %s and %s differ", m, data, again)
			}
		}
	})
}
