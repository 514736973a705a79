package pipeline

import (
	"cmp"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	"github.com/clientele-go/clientele/scoring"
)

func init() {
	beam.RegisterCoder(reflect.TypeOf(scoring.Transaction{}), encodeTransaction, decodeTransaction)
	beam.RegisterCoder(reflect.TypeOf(scoring.Summary{}), encodeSummary, decodeSummary)
	beam.RegisterCoder(reflect.TypeOf(Score{}), encodeScore, decodeScore)
	beam.RegisterCoder(reflect.TypeOf((*histories)(nil)), encodeHistories, decodeHistories)
	register.Function1x2(keyTransaction)
	register.Iter1[scoring.Transaction]()
	register.DoFn3x1[uint32, func(*scoring.Transaction) bool, func(scoring.Summary), error](&summaryFn{})
	register.Combiner3[*histories, scoring.Summary, *histories](&historiesFn{})
	register.DoFn2x2[[]byte, func(**histories) bool, []byte, error](&fitFn{})
	register.Iter1[*histories]()
	register.DoFn3x1[scoring.Summary, []byte, func(Score), error](&scoreFn{})
	register.Emitter1[scoring.Summary]()
	register.Emitter1[Score]()
}

// CLVOptions say how the CLV pipeline summarises, fits and scores. Summary.End is
// required; Summary.Location must be nil or a location loadable by name.
type CLVOptions struct {
	Summary scoring.SummaryOptions
	// Model is "bgnbd" [the default], "mbgnbd" or "paretonbd": the purchase model
	// fitted to the gathered histories. Spend is always Gamma-Gamma.
	Model string
	Fit   scoring.FitOptions
	// Value says how far ahead to predict and how to discount; Value.Horizon is
	// required and is also the horizon of Score.ExpectedPurchases.
	Value scoring.CLVOptions
}

// CLV is what CustomerValue produces.
type CLV struct {
	// Model holds one []byte: the fitted models as JSON, {"kind": ..., "model": ...,
	// "spend": ...}, each model in the SDK's JSON form (decode with DecodeModels). When
	// the data are too few to fit (scoring.ErrTooFew), it holds {"kind": ...,
	// "unfitted": reason} instead, and DecodeModels returns the reason as an error.
	Model beam.PCollection
	// Scores holds one Score per summary, and none when the models are unfitted.
	Scores beam.PCollection
}

// Score is one customer's predictions: the model's P(alive) and expected purchases
// over the horizon, and the discounted CLV (scoring.CLV).
type Score struct {
	Profile           uint32
	PAlive            float64
	ExpectedPurchases float64
	CLV               float64
}

// Summaries turns a PCollection of scoring.Transaction into one scoring.Summary per
// profile that bought by the end of the observation period: the transactions are keyed
// by profile and each profile is summarised where it lands, by scoring.Summarize over
// its transactions. A profile's transactions are taken in order of time, then amount
// (a shuffle keeps no input order, and the amounts of one period are summed, which
// rounds differently in another order); SortTransactions gives the in-process SDK the
// same order.
func Summaries(s beam.Scope, opt CLVOptions, transactions beam.PCollection) (beam.PCollection, error) {
	w, err := wireCLV(opt)
	if err != nil {
		return beam.PCollection{}, err
	}
	s = s.Scope("clientele.Summaries")
	grouped := beam.GroupByKey(s, beam.ParDo(s, keyTransaction, transactions))
	return beam.ParDo(s, &summaryFn{Opt: w}, grouped), nil
}

// CustomerValue fits the models to summaries (the output of Summaries) and scores
// every customer. The grouped sufficient statistics of the fits, the count of
// customers per distinct (x, t_x, T) for the purchase model and per distinct (x, mean
// repeat spend) for Gamma-Gamma, are combined across workers (MergeAccumulators adds
// the counts); the models are fitted once on the gathered statistics, as weighted rows
// (scoring's FitOptions.Weights), so the fit's memory grows with distinct histories,
// not with customers; and every customer is scored with the fitted models as a side
// input. Parameters agree with the in-process fit to the optimiser's tolerance, as the
// likelihood's sums run in another order. Data too few to fit (scoring.ErrTooFew:
// fewer than scoring.MinCustomers customers, or none buying twice) do not fail the
// pipeline, whose other tables stand: Model then says why, and no customer is scored.
// Any other failure of a fit fails it.
func CustomerValue(s beam.Scope, opt CLVOptions, summaries beam.PCollection) (CLV, error) {
	w, err := wireCLV(opt)
	if err != nil {
		return CLV{}, err
	}
	s = s.Scope("clientele.CustomerValue")
	stats := beam.Combine(s, &historiesFn{}, summaries)
	// The statistics come as a side input of an Impulse: a global Combine of no
	// summaries emits nothing in Beam's Go SDK, and no customers still have a Model
	// element (too few to fit).
	model := beam.ParDo(s, &fitFn{Opt: w}, beam.Impulse(s), beam.SideInput{Input: stats})
	scores := beam.ParDo(s, &scoreFn{Opt: w}, summaries, beam.SideInput{Input: model})
	return CLV{Model: model, Scores: scores}, nil
}

// clvWire is CLVOptions as it travels to workers.
type clvWire struct {
	End          time.Time
	Unit, Period time.Duration
	Location     string
	Model        string
	Fit          fitWire
	Value        scoring.CLVOptions
}

// fitWire is scoring.FitOptions without its Progress function, which cannot travel.
type fitWire struct {
	Starts        int
	Workers       int
	MaxIterations int
	Penalizer     float64
}

func (w fitWire) options() *scoring.FitOptions {
	return &scoring.FitOptions{Starts: w.Starts, Workers: w.Workers, MaxIterations: w.MaxIterations, Penalizer: w.Penalizer}
}

func wireCLV(o CLVOptions) (clvWire, error) {
	loc, err := locationName(o.Summary.Location)
	if err != nil {
		return clvWire{}, err
	}
	switch o.Model {
	case "", "bgnbd", "mbgnbd", "paretonbd":
	default:
		return clvWire{}, fmt.Errorf("%w: model %q, want bgnbd, mbgnbd or paretonbd", ErrInvalid, o.Model)
	}
	if _, err := scoring.Summarize(func(func(scoring.Transaction) bool) {}, &o.Summary); err != nil {
		return clvWire{}, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if !(o.Value.Horizon > 0) || math.IsInf(o.Value.Horizon, 0) {
		return clvWire{}, fmt.Errorf("%w: CLV horizon %v, want positive", ErrInvalid, o.Value.Horizon)
	}
	if o.Fit.Progress != nil {
		return clvWire{}, fmt.Errorf("%w: FitOptions.Progress is a function, which cannot be sent to workers", ErrInvalid)
	}
	if o.Fit.Weights != nil {
		return clvWire{}, fmt.Errorf("%w: FitOptions.Weights: the pipeline weighs the histories it gathers itself", ErrInvalid)
	}
	f := o.Fit
	return clvWire{End: o.Summary.End, Unit: o.Summary.Unit, Period: o.Summary.Period, Location: loc,
		Model: o.Model, Value: o.Value,
		Fit: fitWire{Starts: f.Starts, Workers: f.Workers, MaxIterations: f.MaxIterations, Penalizer: f.Penalizer}}, nil
}

func (w clvWire) summary() scoring.SummaryOptions {
	return scoring.SummaryOptions{End: w.End, Unit: w.Unit, Period: w.Period, Location: loadLocation(w.Location)}
}

func keyTransaction(t scoring.Transaction) (uint32, scoring.Transaction) { return t.Profile, t }

// summaryFn summarises one profile's transactions with the SDK.
type summaryFn struct{ Opt clvWire }

func (f *summaryFn) ProcessElement(_ uint32, txs func(*scoring.Transaction) bool, emit func(scoring.Summary)) error {
	var all []scoring.Transaction
	var t scoring.Transaction
	for txs(&t) {
		all = append(all, t)
	}
	SortTransactions(all)
	so := f.Opt.summary()
	sums, err := scoring.Summarize(slices.Values(all), &so)
	if err != nil {
		return errorf("summarise", err)
	}
	for _, s := range sums {
		emit(s)
	}
	return nil
}

// SortTransactions sorts transactions by profile, then time, then amount: the order in
// which the pipeline gives each profile's transactions to the SDK.
func SortTransactions(txs []scoring.Transaction) {
	slices.SortStableFunc(txs, func(a, b scoring.Transaction) int {
		if c := cmp.Compare(a.Profile, b.Profile); c != 0 {
			return c
		}
		if c := a.Time.Compare(b.Time); c != 0 {
			return c
		}
		return cmp.Compare(a.Amount, b.Amount)
	})
}

// history is a distinct (x, t_x, T) in a time unit: what the purchase models'
// likelihoods read. The unit is the one Summarize recorded in each Customer, so that
// the fit records it in the model as the SDK's does.
type history struct {
	X     int
	Tx, T float64
	Unit  time.Duration
}

// spendKey is a distinct (x, mean repeat spend): what Gamma-Gamma's likelihood reads.
type spendKey struct {
	X int
	M float64
}

// histories is the grouped sufficient statistics of the fits: how many customers have
// each distinct history and each distinct spend record. It holds a few words per
// distinct history; a year of daily data has at most a few hundred thousand, whatever
// the number of customers.
type histories struct {
	H map[history]float64
	S map[spendKey]float64
}

// historiesFn combines summaries into histories; MergeAccumulators adds the counts.
type historiesFn struct{}

func (historiesFn) CreateAccumulator() *histories {
	return &histories{H: map[history]float64{}, S: map[spendKey]float64{}}
}

func (historiesFn) AddInput(h *histories, s scoring.Summary) *histories {
	h.H[history{s.Frequency, s.Recency, s.T, s.Unit}]++
	if s.Frequency > 0 {
		h.S[spendKey{s.Frequency, s.Monetary}]++
	}
	return h
}

func (historiesFn) MergeAccumulators(a, b *histories) *histories {
	mergeCount.Add(1)
	for k, n := range b.H {
		a.H[k] += n
	}
	for k, n := range b.S {
		a.S[k] += n
	}
	return a
}

func (historiesFn) ExtractOutput(h *histories) *histories { return h }

// weighted is rows with the number of customers each stands for, as the SDK's fits
// take them (scoring.FitOptions.Weights).
type weighted struct {
	Rows    []scoring.Customer
	Weights []float64
}

// rows turns the gathered histories into weighted rows, one per distinct history
// and one per distinct spend record, in a fixed order (sorted by key, so that the fit
// does not depend on map order). Nothing here grows with the number of customers:
// the fit's work and memory are per distinct row.
func (h *histories) rows() (purchases, spend weighted) {
	keys := slices.SortedFunc(maps.Keys(h.H), func(a, b history) int {
		return cmp.Or(cmp.Compare(a.X, b.X), cmp.Compare(a.Tx, b.Tx), cmp.Compare(a.T, b.T), cmp.Compare(a.Unit, b.Unit))
	})
	purchases = weighted{make([]scoring.Customer, 0, len(keys)), make([]float64, 0, len(keys))}
	for _, k := range keys {
		purchases.Rows = append(purchases.Rows, scoring.Customer{Frequency: k.X, Recency: k.Tx, T: k.T, Unit: k.Unit})
		purchases.Weights = append(purchases.Weights, h.H[k])
	}
	skeys := slices.SortedFunc(maps.Keys(h.S), func(a, b spendKey) int {
		return cmp.Or(cmp.Compare(a.X, b.X), cmp.Compare(a.M, b.M))
	})
	spend = weighted{make([]scoring.Customer, 0, len(skeys)), make([]float64, 0, len(skeys))}
	for _, k := range skeys {
		spend.Rows = append(spend.Rows, scoring.Customer{Frequency: k.X, Recency: 0, T: 0, Monetary: k.M})
		spend.Weights = append(spend.Weights, h.S[k])
	}
	return purchases, spend
}

// few returns the rows of a base smaller than scoring.MinCustomers as one row per
// customer, unweighted, so that the SDK refuses it in the words it uses in process
// ("BG/NBD needs at least 10 customers, got 1"), not in those of weighted rows ("needs
// weights totalling ..."), weights the caller never gave. A larger base is w itself.
func (w weighted) few() weighted {
	var n float64
	for _, x := range w.Weights {
		n += x
	}
	if n >= scoring.MinCustomers {
		return w
	}
	var rows []scoring.Customer
	for i, r := range w.Rows {
		for range int(w.Weights[i]) {
			rows = append(rows, r)
		}
	}
	return weighted{Rows: rows}
}

// options returns o with the weights of w.
func (w weighted) options(o *scoring.FitOptions) *scoring.FitOptions {
	c := *o
	c.Weights = w.Weights
	return &c
}

// fitFn fits the models once, on the gathered statistics: the one histories of its
// side input, or none when there were no customers.
type fitFn struct{ Opt clvWire }

func (f *fitFn) ProcessElement(_ []byte, stats func(**histories) bool) ([]byte, error) {
	h := historiesFn{}.CreateAccumulator()
	for stats(&h) { // a global Combine emits at most one element
	}
	cs, spend := h.rows()
	cs = cs.few()
	m, err := fitModel(f.Opt.Model, cs.Rows, cs.options(f.Opt.Fit.options()))
	if errors.Is(err, scoring.ErrTooFew) {
		return f.unfitted(err)
	}
	if err != nil {
		return nil, errorf("fit", err)
	}
	gg, err := scoring.FitGammaGamma(spend.Rows, spend.options(f.Opt.Fit.options()))
	if errors.Is(err, scoring.ErrTooFew) {
		return f.unfitted(err)
	}
	if err != nil {
		return nil, errorf("fit spend", err)
	}
	mj, err := json.Marshal(m)
	if err != nil {
		return nil, errorf("fit", err)
	}
	gj, err := json.Marshal(gg)
	if err != nil {
		return nil, errorf("fit", err)
	}
	return json.Marshal(modelsJSON{Kind: kindOr(f.Opt.Model), Model: mj, Spend: gj})
}

// unfitted is the Model element of data too few to fit: a pipeline whose other tables
// hold (a small shop's first weeks) should not fail whole because one model cannot be
// estimated, as in-process code can carry on past a fit's ErrTooFew.
func (f *fitFn) unfitted(err error) ([]byte, error) {
	return json.Marshal(modelsJSON{Kind: kindOr(f.Opt.Model), Unfitted: err.Error()})
}

func kindOr(k string) string {
	if k == "" {
		return "bgnbd"
	}
	return k
}

// fitModel fits the purchase model named kind ("bgnbd", "mbgnbd", "paretonbd"; ""
// is "bgnbd") on histories weighted by opt.Weights: the SDK's fit on the base in
// which row i stands for Weights[i] customers.
func fitModel(kind string, rows []scoring.Customer, opt *scoring.FitOptions) (scoring.Model, error) {
	switch kindOr(kind) {
	case "mbgnbd":
		return scoring.FitMBGNBD(rows, opt)
	case "paretonbd":
		return scoring.FitParetoNBD(rows, opt)
	default:
		return scoring.FitBGNBD(rows, opt)
	}
}

type modelsJSON struct {
	Kind     string          `json:"kind"`
	Model    json.RawMessage `json:"model,omitempty"`
	Spend    json.RawMessage `json:"spend,omitempty"`
	Unfitted string          `json:"unfitted,omitempty"` // why the models could not be fitted
}

// DecodeModels decodes the CLV pipeline's Model element into the fitted purchase
// model and spend model. Of an element that says the data were too few to fit, it
// returns that reason as an error wrapping scoring.ErrTooFew.
func DecodeModels(b []byte) (scoring.Model, *scoring.GammaGamma, error) {
	var mj modelsJSON
	if err := json.Unmarshal(b, &mj); err != nil {
		return nil, nil, fmt.Errorf("%w: models: %w", ErrInvalid, err)
	}
	if mj.Unfitted != "" {
		return nil, nil, fmt.Errorf("%w: %s", scoring.ErrTooFew, strings.TrimPrefix(mj.Unfitted, scoring.ErrTooFew.Error()+": "))
	}
	var m interface {
		scoring.Model
		json.Unmarshaler
	}
	switch mj.Kind {
	case "bgnbd":
		m = new(scoring.BGNBD)
	case "mbgnbd":
		m = new(scoring.MBGNBD)
	case "paretonbd":
		m = new(scoring.ParetoNBD)
	default:
		return nil, nil, fmt.Errorf("%w: models: kind %q", ErrInvalid, mj.Kind)
	}
	if err := m.UnmarshalJSON(mj.Model); err != nil {
		return nil, nil, fmt.Errorf("%w: models: %w", ErrInvalid, err)
	}
	gg := new(scoring.GammaGamma)
	if err := gg.UnmarshalJSON(mj.Spend); err != nil {
		return nil, nil, fmt.Errorf("%w: models: %w", ErrInvalid, err)
	}
	return m, gg, nil
}

// scoreFn scores one customer with the fitted models, decoded once per worker.
type scoreFn struct {
	Opt      clvWire
	model    scoring.Model
	spend    *scoring.GammaGamma
	unfitted bool // the models could not be fitted: no customer is scored
}

func (f *scoreFn) ProcessElement(s scoring.Summary, models []byte, emit func(Score)) error {
	if f.unfitted {
		return nil
	}
	if f.model == nil {
		m, gg, err := DecodeModels(models)
		if errors.Is(err, scoring.ErrTooFew) {
			f.unfitted = true
			return nil
		}
		if err != nil {
			return err
		}
		f.model, f.spend = m, gg
	}
	c := []scoring.Customer{s.Customer}
	pred, err := scoring.Predict(f.model, c, f.Opt.Value.Horizon)
	if err != nil {
		return errorf("score", err)
	}
	v, err := scoring.CLV(f.model, f.spend, c, &f.Opt.Value)
	if err != nil {
		return errorf("score", err)
	}
	emit(Score{Profile: s.Profile, PAlive: pred[0].PAlive, ExpectedPurchases: pred[0].ExpectedPurchases, CLV: v[0]})
	return nil
}

// Coders: fixed binary layouts, floats by their bits so that they round-trip exactly.

func appendTime(b []byte, t time.Time) []byte {
	if t.IsZero() {
		return append(b, 0)
	}
	b = append(b, 1)
	b = binary.AppendVarint(b, t.Unix())
	return binary.AppendUvarint(b, uint64(t.Nanosecond()))
}

func (d *decoder) time() time.Time {
	switch d.byte1() {
	case 0:
		return time.Time{}
	case 1:
		sec, ns := d.varint(), d.uvarint()
		if ns >= 1e9 {
			d.fail("nanoseconds %d", ns)
		}
		return time.Unix(sec, int64(ns)).UTC()
	}
	d.fail("bad time flag")
	return time.Time{}
}

func appendFloat(b []byte, f float64) []byte {
	return binary.LittleEndian.AppendUint64(b, math.Float64bits(f))
}

func (d *decoder) float() float64 {
	if d.err != nil {
		return 0
	}
	if len(d.b)-d.off < 8 {
		d.fail("truncated float")
		return 0
	}
	d.off += 8
	return math.Float64frombits(binary.LittleEndian.Uint64(d.b[d.off-8:]))
}

func encodeTransaction(t scoring.Transaction) []byte {
	b := binary.AppendUvarint(nil, uint64(t.Profile))
	b = appendTime(b, t.Time)
	return appendFloat(b, t.Amount)
}

func decodeTransaction(b []byte) (scoring.Transaction, error) {
	d := decoder{b: b}
	t := scoring.Transaction{Profile: d.u32("profile"), Time: d.time(), Amount: d.float()}
	return t, d.done("transaction")
}

func encodeSummary(s scoring.Summary) []byte {
	b := binary.AppendUvarint(nil, uint64(s.Profile))
	b = binary.AppendUvarint(b, uint64(s.Frequency))
	for _, f := range []float64{s.Recency, s.T, s.Monetary, s.Spend} {
		b = appendFloat(b, f)
	}
	b = appendTime(b, s.First)
	return binary.AppendVarint(b, int64(s.Unit))
}

func decodeSummary(b []byte) (scoring.Summary, error) {
	d := decoder{b: b}
	var s scoring.Summary
	s.Profile = d.u32("profile")
	s.Frequency = int(d.u32("frequency"))
	s.Recency, s.T, s.Monetary, s.Spend = d.float(), d.float(), d.float(), d.float()
	s.First = d.time()
	s.Unit = time.Duration(d.varint())
	return s, d.done("summary")
}

func encodeScore(s Score) []byte {
	b := binary.AppendUvarint(nil, uint64(s.Profile))
	for _, f := range []float64{s.PAlive, s.ExpectedPurchases, s.CLV} {
		b = appendFloat(b, f)
	}
	return b
}

func decodeScore(b []byte) (Score, error) {
	d := decoder{b: b}
	s := Score{Profile: d.u32("profile"), PAlive: d.float(), ExpectedPurchases: d.float(), CLV: d.float()}
	return s, d.done("score")
}

func encodeHistories(h *histories) []byte {
	b := binary.AppendUvarint(nil, uint64(len(h.H)))
	for k, n := range h.H {
		b = binary.AppendUvarint(b, uint64(k.X))
		b = appendFloat(b, k.Tx)
		b = appendFloat(b, k.T)
		b = binary.AppendVarint(b, int64(k.Unit))
		b = appendFloat(b, n)
	}
	b = binary.AppendUvarint(b, uint64(len(h.S)))
	for k, n := range h.S {
		b = binary.AppendUvarint(b, uint64(k.X))
		b = appendFloat(b, k.M)
		b = appendFloat(b, n)
	}
	return b
}

func decodeHistories(b []byte) (*histories, error) {
	d := decoder{b: b}
	h := historiesFn{}.CreateAccumulator()
	for range d.count(26) {
		k := history{X: int(d.u32("frequency")), Tx: d.float(), T: d.float(), Unit: time.Duration(d.varint())}
		h.H[k] += d.float()
	}
	for range d.count(17) {
		k := spendKey{X: int(d.u32("frequency")), M: d.float()}
		h.S[k] += d.float()
	}
	return h, d.done("histories")
}
