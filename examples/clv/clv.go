package main

import (
	"errors"
	"fmt"
	"io"
	"iter"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/clientele-go/clientele"
	"github.com/clientele-go/clientele/internal/english"
	"github.com/clientele-go/clientele/internal/gunzip"
	"github.com/clientele-go/clientele/scoring"
)

// read reads every transaction into a ledger, so that the periods can be chosen from
// the data, and maps the customer ids, whatever they are, to profile keys.
func read(r io.Reader, cfg config, keys *scoring.Keys) (*ledger, error) {
	r = gunzip.Reader(r) // an export.csv.gz, decompressed as it is read
	var opt scoring.ReadOptions
	orderColumn := -1
	switch cfg.format {
	case "cdnow":
		if cfg.comma != 0 || cfg.columns != "" || cfg.layout != "" {
			return nil, errors.New("-comma, -columns and -date-layout are for -format csv; the CDNOW sample's columns are fixed")
		}
		if cfg.orderColumn != "" {
			return nil, errors.New("-order-column is for -format csv; the CDNOW sample has no order ids")
		}
		// customer id, an unused id, date YYYYMMDD, number of CDs, dollar value.
		opt = scoring.ReadOptions{Comma: ' ', ProfileColumn: 0, TimeColumn: 2, AmountColumn: 4, TimeLayout: "20060102", Header: cfg.header}
	case "csv":
		var err error
		if opt, orderColumn, r, err = csvOptions(r, cfg); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("unknown format %q (want csv or cdnow)", cfg.format)
	}
	opt.Keys, opt.Lenient, opt.Location = keys, cfg.lenient, cfg.location()
	l := newLedger(cfg.location())
	add := func(row scoring.Row) error { return l.add(row.Transaction, keys) }
	// The years not warned of end with the next one: an order's time may be ahead of the
	// run's clock by a zone's offset, and a file may be read on New Year's Eve.
	l.dates.last = cfg.now().In(cfg.location()).Year() + 1
	var why declined
	if orderColumn >= 0 {
		// The reader yields each row's line and fields with its transaction, which
		// carries neither: the order id is read from the row the transaction was.
		l.orders = newOrders()
		opt.EmptyAmount = l.itemRow(orderColumn, opt.ProfileColumn, keys, &why)
		add = func(row scoring.Row) error {
			id, err := orderID(row, orderColumn)
			if err != nil {
				return err
			}
			return l.addOrder(row.Transaction, id, row.Line, keys)
		}
	}
	rowAdd := add
	add = func(row scoring.Row) error {
		n := l.rows
		if err := rowAdd(row); err != nil || l.rows == n { // a bad line, or a repeat dropped
			return err
		}
		l.dates.check(row.Time.In(l.loc), row.Line)
		return nil
	}
	var err error
	rows := explained(scoring.ReadRows(r, &opt), &why)
	if !cfg.lenient {
		// A strict read stops at the first bad row: clientele.Values keeps that error.
		for row := range clientele.Values(rows, &err) {
			if err = add(row); err != nil {
				return nil, err
			}
		}
	} else {
		// A lenient read goes on past bad rows, so every error is seen here. The read
		// stops once the bad lines, the reader's and -order-column's together, pass the
		// reader's limit (the reader alone stops past its own, at the same count).
		bad := 0
		for row, rerr := range rows {
			if rerr != nil && !errors.Is(rerr, scoring.ErrTooManyBad) {
				if bad++; bad > scoring.MaxBadLines {
					return nil, fmt.Errorf("%w: line %d: more than %d, stopping (wrong separator, columns, layout or -order-column?)", scoring.ErrTooManyBad, row.Line, scoring.MaxBadLines)
				}
				status(cfg, "skipped: %v\n", rerr)
				l.skipped++
				continue
			}
			if rerr != nil {
				err = rerr
				break
			}
			err = add(row)
			if b := (badOrder{}); errors.As(err, &b) {
				if bad++; bad > scoring.MaxBadLines {
					return nil, fmt.Errorf("%w: line %d: more than %d, stopping (does -order-column name the order id?)", scoring.ErrTooManyBad, b.line, scoring.MaxBadLines)
				}
				status(cfg, "skipped: %v\n", err)
				l.skipped++
				err = nil
				continue
			}
			if err != nil {
				return nil, err
			}
		}
	}
	if err != nil {
		var hints []string
		switch {
		case l.rows == 0 && cfg.format == "cdnow" && errors.Is(err, scoring.ErrSyntax):
			// A shop's CSV read as CDNOW fails on its first line, and "add -header"
			// would send the reader the wrong way.
			hints = append(hints, "-format cdnow reads the CDNOW sample's columns, separated by spaces: customer, an unused id, date as YYYYMMDD, CDs, dollars; for a CSV of customer,date,amount, leave -format out")
		case l.rows == 0 && !cfg.header && errors.Is(err, scoring.ErrSyntax):
			hints = append(hints, "if line 1 names the columns, add -header")
		}
		// A date of another form than the default, named in Go's notation, which a
		// reader of the message may not know: say which flag reads it.
		word := errors.Is(err, scoring.ErrSyntax) && wordHint(err) != ""
		if word && (l.rows > 0 || cfg.header) { // line 1 of a file read without -header: "add -header" says it
			hints = append(hints, wordHint(err))
		}
		if !word && cfg.format == "csv" && cfg.layout == "" && errors.Is(err, scoring.ErrSyntax) && strings.Contains(err.Error(), "does not match layout") {
			if h := layoutHint(err); h != "" {
				hints = append(hints, h)
			} else {
				hints = append(hints, "if the dates are written otherwise, give their form with -date-layout, such as 01/02/2006 or 02.01.2006")
			}
		}
		if orderColumn < 0 && cfg.format == "csv" && errors.Is(err, scoring.ErrSyntax) && strings.HasSuffix(err.Error(), ": empty amount") {
			// Shopify's export: an order's later rows, one per item, leave its total empty.
			hints = append(hints, "if the export has a row per item of an order, the order's total on its first row alone, name the order id's column with -order-column")
		}
		if len(hints) > 0 {
			return nil, fmt.Errorf("%w (%s)", err, strings.Join(hints, "; "))
		}
		return nil, err
	}
	if l.rows == 0 {
		return nil, fmt.Errorf("no transactions")
	}
	return l, nil
}

// explained adds to the reader's error of a row without an amount why itemRow did not
// take it for an item row of an order.
func explained(rows iter.Seq2[scoring.Row, error], why *declined) iter.Seq2[scoring.Row, error] {
	return func(yield func(scoring.Row, error) bool) {
		for row, err := range rows {
			if err != nil && why.reason != "" && row.Line == why.line {
				err = fmt.Errorf("%w: %s", err, why.reason)
			}
			if !yield(row, err) {
				return
			}
		}
	}
}

// model is one fitted transaction model, for the side-by-side tables.
type model struct {
	name   string
	m      scoring.Model
	params string
}

// status writes to cfg.status, if any.
func status(cfg config, format string, args ...any) {
	if cfg.status != nil {
		fmt.Fprintf(cfg.status, format, args...)
	}
}

// progress returns a FitOptions.Progress that reports a fit's iterations on cfg.status
// once the fit has run for a second, then at most once a second.
func progress(cfg config) func(model string, iteration int, logLik float64) {
	if cfg.status == nil {
		return nil
	}
	var clock clientele.Clock = clientele.SystemClock{}
	start := clock.Now()
	last := start
	return func(model string, iteration int, logLik float64) {
		if now := clock.Now(); now.Sub(start) >= time.Second && now.Sub(last) >= time.Second {
			last = now
			status(cfg, "  fitting %s: iteration %d, log-likelihood %.2f, %.0f s\n", model, iteration, logLik, now.Sub(start).Seconds())
		}
	}
}

// fitOptions are the options of one fit, with its own progress clock.
func fitOptions(cfg config) *scoring.FitOptions {
	return &scoring.FitOptions{Progress: progress(cfg)}
}

// params formats a fit's parameters as name-value pairs joined by sep. A parameter held
// at the boundary is printed as its limit ("→ ∞" or "→ 0"), not as the number it is held
// at (e^±8 times the data's scale), which means nothing to a reader.
func params(d scoring.Diagnostics, sep string, nameValues ...any) string {
	var b strings.Builder
	for i := 0; i+1 < len(nameValues); i += 2 {
		name, v := nameValues[i].(string), nameValues[i+1].(float64)
		if i > 0 {
			b.WriteString(sep)
		}
		fmt.Fprintf(&b, "%s %s", name, paramValue(d.Boundary, name, v))
	}
	return b.String()
}

// paramValue is v to three decimals, or its limit when the boundary holds name. A held
// parameter sits e^8 times above or below its reference (1 for a shape, the data's
// time scale for a scale parameter), so its held value says which way it ran off; the
// held parameters may run off in opposite directions (a → 0, b → ∞: no dropout).
func paramValue(b *scoring.Boundary, name string, v float64) string {
	if b == nil {
		return fmt.Sprintf("%.3f", v)
	}
	k := slices.Index(b.Params, name)
	if k < 0 || k >= len(b.Values) {
		return fmt.Sprintf("%.3f", v)
	}
	if b.Values[k] < 1 {
		return "→ 0"
	}
	return "→ ∞"
}

// boundaryNote returns a line saying which parameters a fit at the boundary holds at
// their limits and what it rests on, or "". The limit may name more parameters than
// are held ("r, alpha → ∞" where r alone is held): Boundary.Params lists the held ones,
// printed as their limits, and the others are the likelihood's maximum given them,
// finite numbers (alpha 58151.921, with r/alpha the mean rate). The line says so, as
// the limit's "alpha → ∞" beside a number read as a parameter left unprinted.
func boundaryNote(name string, d scoring.Diagnostics) string {
	b := d.Boundary
	if b == nil {
		return ""
	}
	if len(b.Params) == 0 { // not from scoring's fits, which hold one at least
		return fmt.Sprintf("  %-11s at the boundary of its parameters, so it rests on the limit %s\n", name, b.Limit)
	}
	held := fmt.Sprintf("%s is held at its limit", b.Params[0])
	if n := len(b.Params); n > 1 {
		held = fmt.Sprintf("%s and %s are held at their limits", strings.Join(b.Params[:n-1], ", "), b.Params[n-1])
	}
	return fmt.Sprintf("  %-11s at the boundary of its parameters: %s and the others fitted given %s, so it rests on the limit %s\n",
		name, held, english.Plural(len(b.Params), "it", "them"), b.Limit)
}

func run(out io.Writer, in io.Reader, cfg config) error {
	if cfg.top < 0 {
		return fmt.Errorf("-top %d: want the number of customers to list, 0 or more", cfg.top)
	}
	if cfg.unit <= 0 {
		// Summarize would read 0 as its default, weeks, while every heading said "0s".
		return fmt.Errorf("-unit %s: want a positive time unit such as 1w, 1d or 12h", clientele.FormatDuration(cfg.unit))
	}
	keys := &scoring.Keys{}
	l, err := read(in, cfg, keys)
	if err != nil {
		return err
	}
	// Every date printed, and the calibration end, is a day in the shop's zone (-tz),
	// the zone Summarize counts calendar days in: a time written with another offset
	// is shown as the shop's clock read it.
	loc := cfg.location()
	first, last := l.first, l.last
	calEnd := first.Add(last.Sub(first) / 2)
	switch {
	case cfg.calibrationEnd != "":
		if calEnd, err = time.ParseInLocation(time.DateOnly, cfg.calibrationEnd, loc); err != nil {
			return fmt.Errorf("-calibration-end %q: want a date such as 1997-09-30", cfg.calibrationEnd)
		}
	case cfg.format == "cdnow":
		calEnd = time.Date(1997, 9, 30, 0, 0, 0, 0, loc) // Fader, Hardie & Lee's 39 weeks
	}
	// The periods are calendar days (in -tz), the calibration period's last one
	// included: a calibration end on the data's last day, at a time before its last
	// purchase, left a holdout of no days, and a report of "holdout 0.0 weeks" with
	// every holdout figure 0.
	noHoldout := !civilDay(calEnd, loc).Before(civilDay(last, loc))
	if noHoldout && cfg.calibrationEnd == "" && cfg.format == "csv" {
		// The middle of a file whose purchases are all on one day: "calibration end
		// 2025-03-01 leaves no holdout period" named a flag the reader never gave.
		return fmt.Errorf("%s on %s: the models need purchases over a span of days, split into a calibration period and a holdout after it",
			english.Plural(l.rows, "the file's one transaction is", fmt.Sprintf("all %d transactions are", l.rows)), last.Format(time.DateOnly))
	}
	if noHoldout {
		return fmt.Errorf("calibration end %s leaves no holdout period (data end %s)", calEnd.Format(time.DateOnly), last.Format(time.DateOnly))
	}
	unitName := unitName(cfg.unit)
	opt := scoring.SummaryOptions{End: last, Unit: cfg.unit, Location: loc}
	splits, err := l.holdouts(calEnd, &opt)
	if err != nil {
		return err
	}
	if len(splits) == 0 {
		return fmt.Errorf("calibration end %s is before every customer's first purchase (data start %s): no customer to fit", calEnd.Format(time.DateOnly), first.Format(time.DateOnly))
	}
	cal := make([]scoring.Customer, len(splits))
	for i, s := range splits {
		cal[i] = s.Customer
	}
	// Every customer is counted: those whose first purchase falls after the
	// calibration end were not customers when the models were fitted, so they are
	// left out of the fit and the holdout table, and counted in the whole-period value.
	later := l.customers() - len(splits)
	fmt.Fprintf(out, "%s of %s, %s to %s; calibration to %s, holdout %.*f %s\n",
		english.Count(l.rows, "transaction"), english.Count(l.customers(), "customer"), first.Format(time.DateOnly), last.Format(time.DateOnly), calEnd.Format(time.DateOnly), decimals(splits[0].HoldoutLength), splits[0].HoldoutLength, unitName)
	if l.skipped > 0 {
		// The skipped lines went to standard error alone: a report kept in a file
		// read as the whole of the export.
		fmt.Fprintf(out, "%s skipped (-lenient; each is listed on standard error): the figures below leave %s out\n",
			english.Count(l.skipped, "bad line"), english.Plural(l.skipped, "it", "them"))
	}
	fmt.Fprint(out, l.repeats.line())
	fmt.Fprint(out, l.orders.line())
	fmt.Fprint(out, caseLine(keys))
	fmt.Fprint(out, l.dates.warning())
	fmt.Fprintf(out, "time unit: %s (-unit %s); Recency, T and the models' alpha and beta are in %s\n", unitName, clientele.FormatDuration(cfg.unit), unitName)
	verb := "are"
	if len(splits) == 1 {
		verb = "is"
	}
	fmt.Fprintf(out, "%s first bought in the calibration period and %s fitted; %d first bought after it, in the holdout period, and %s only in the whole-period value below\n\n",
		english.Count(len(splits), "customer"), verb, later, english.Plural(later, "counts", "count"))

	var models []model
	var notes string
	if m, err := scoring.FitBGNBD(cal, fitOptions(cfg)); err == nil {
		models = append(models, model{"BG/NBD", m, params(m.Fit, "  ", "r", m.R, "alpha", m.Alpha, "a", m.A, "b", m.B) + fmt.Sprintf("  LL %.1f", m.LogLik)})
		notes += boundaryNote("BG/NBD", m.Fit)
	} else {
		return fmt.Errorf("BG/NBD: %w", err)
	}
	if m, err := scoring.FitMBGNBD(cal, fitOptions(cfg)); err == nil {
		models = append(models, model{"MBG/NBD", m, params(m.Fit, "  ", "r", m.R, "alpha", m.Alpha, "a", m.A, "b", m.B) + fmt.Sprintf("  LL %.1f", m.LogLik)})
		notes += boundaryNote("MBG/NBD", m.Fit)
	} else {
		return fmt.Errorf("MBG/NBD: %w", err)
	}
	if m, err := scoring.FitParetoNBD(cal, fitOptions(cfg)); err == nil {
		models = append(models, model{"Pareto/NBD", m, params(m.Fit, "  ", "r", m.R, "alpha", m.Alpha, "s", m.S, "beta", m.Beta) + fmt.Sprintf("  LL %.1f", m.LogLik)})
		notes += boundaryNote("Pareto/NBD", m.Fit)
	} else {
		return fmt.Errorf("Pareto/NBD: %w", err)
	}
	fmt.Fprintf(out, "Models fitted on the calibration period (%s):\n", unitName)
	for _, m := range models {
		fmt.Fprintf(out, "  %-11s %s\n", m.name, m.params)
	}
	fmt.Fprint(out, notes)

	// Calibration against holdout: mean holdout purchases by calibration frequency.
	fmt.Fprintf(out, "\nHoldout purchases per customer by repeat purchases in calibration, actual vs predicted:\n")
	fmt.Fprintf(out, "  %9s %9s %8s", "frequency", "customers", "actual")
	for _, m := range models {
		fmt.Fprintf(out, " %11s", m.name)
	}
	fmt.Fprintln(out)
	var vals []*scoring.HoldoutCheck
	for _, m := range models {
		v, err := scoring.CheckHoldout(m.m, splits, 7)
		if err != nil {
			return fmt.Errorf("%s: %w", m.name, err)
		}
		vals = append(vals, v)
	}
	for i, row := range vals[0].Rows {
		label := fmt.Sprint(row.Frequency)
		if i == len(vals[0].Rows)-1 {
			label += "+"
		}
		if row.Customers == 0 {
			// A mean over no customers: CheckHoldout's 0 would read as the models
			// predicting no purchases for that frequency.
			fmt.Fprintf(out, "  %9s %9d %8s", label, row.Customers, "-")
			for range vals {
				fmt.Fprintf(out, " %11s", "-")
			}
			fmt.Fprintln(out)
			continue
		}
		fmt.Fprintf(out, "  %9s %9d %8.3f", label, row.Customers, row.Actual)
		for _, v := range vals {
			fmt.Fprintf(out, " %11.3f", v.Rows[i].Predicted)
		}
		fmt.Fprintln(out)
	}
	fmt.Fprintf(out, "  %9s %9d %8.0f", "total", vals[0].Customers, vals[0].Actual)
	for _, v := range vals {
		fmt.Fprintf(out, " %11.0f", v.Predicted)
	}
	fmt.Fprintln(out)
	if err := tracking(out, l, models, cfg.unit, unitName); err != nil {
		return err
	}
	return value(out, l, keys, opt, cfg, unitName)
}

// tracking prints the cumulative tracking plot as a table: the repeat purchases (days
// with a purchase after a customer's first) made by the end of each sixth of the data's
// span, beside what each model expects of a base acquired when these customers were.
func tracking(out io.Writer, l *ledger, models []model, unit time.Duration, unitName string) error {
	// Days are calendar days in -tz, as Summarize counts them.
	origin := civilDay(l.first, l.loc)
	births := make([]float64, 0, len(l.days))
	for _, ds := range l.days {
		if len(ds) > 0 {
			births = append(births, float64(l.civil(ds[0].day).Sub(origin))/float64(unit))
		}
	}
	const periods = 6
	length := float64(l.last.Sub(origin)) / float64(unit) / periods
	fmt.Fprintf(out, "\nCumulative repeat purchases in calendar time, actual vs expected (the tracking plot):\n")
	w := max(9, len(unitName)) // "1d12h units" is wider than the times
	fmt.Fprintf(out, "  %*s %8s", w, unitName, "actual")
	var tracks [][]scoring.ForecastPeriod
	for _, m := range models {
		fmt.Fprintf(out, " %11s", m.name)
		tr, err := scoring.Tracking(m.m, births, periods, length)
		if err != nil {
			return fmt.Errorf("%s: %w", m.name, err)
		}
		tracks = append(tracks, tr)
	}
	fmt.Fprintln(out)
	ends := make([]time.Time, periods)
	for k := range ends {
		ends[k] = origin.Add(time.Duration(tracks[0][k].End * float64(unit)))
	}
	actual := make([]int, periods)
	for _, ds := range l.days {
		for _, d := range ds[min(1, len(ds)):] {
			t := l.civil(d.day)
			for k, end := range ends {
				// Up to and including end: a purchase day is at its start in the models'
				// time, as Summarize counts it, so the last period ends on the data's
				// last day, whose purchases t.Before(end) left out.
				if !t.After(end) {
					actual[k]++
				}
			}
		}
	}
	for k := range periods {
		fmt.Fprintf(out, "  %*.*f %8d", w, decimals(length), tracks[0][k].End, actual[k])
		for _, tr := range tracks {
			fmt.Fprintf(out, " %11.0f", tr[k].Cumulative)
		}
		fmt.Fprintln(out)
	}
	return nil
}

// decimals is how many decimals show a length of v units as more than zero: one, or
// more for a unit much longer than the data (-unit 1000w over a year printed a holdout
// of "0.0 1000w units" and every time of the tracking plot as 0.0), at most six.
func decimals(v float64) int {
	d := 1
	for d < 6 && v > 0 && v*math.Pow10(d) < 1 {
		d++
	}
	return d
}

// value refits BG/NBD and Gamma-Gamma on the whole period and lists the customers worth
// most over the next year.
func value(out io.Writer, l *ledger, keys *scoring.Keys, opt scoring.SummaryOptions, cfg config, unitName string) error {
	sums, err := l.summaries(&opt)
	if err != nil {
		return err
	}
	cs := make([]scoring.Customer, len(sums))
	var repeat []scoring.Customer
	free := 0 // repeat buyers whose repeat purchases were all free, whom Gamma-Gamma leaves out
	for i, s := range sums {
		cs[i] = s.Customer
		if s.Frequency > 0 {
			repeat = append(repeat, s.Customer)
			if s.Monetary == 0 {
				free++
			}
		}
	}
	bg, err := scoring.FitBGNBD(cs, fitOptions(cfg))
	if err != nil {
		return fmt.Errorf("BG/NBD: %w", err)
	}
	gg, err := scoring.FitGammaGamma(repeat, &scoring.FitOptions{Progress: progress(cfg)})
	if err != nil {
		return fmt.Errorf("Gamma-Gamma: %w", err)
	}
	ind, err := scoring.SpendIndependence(cs)
	if err != nil {
		return err
	}
	year := float64(365*24*time.Hour) / float64(cfg.unit)
	clv, err := scoring.CLV(bg, gg, cs, &scoring.CLVOptions{Horizon: year, Period: year / 12, DiscountRate: 0.01})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "\nWhole period: BG/NBD %s; Gamma-Gamma %s\n",
		params(bg.Fit, " ", "r", bg.R, "alpha", bg.Alpha, "a", bg.A, "b", bg.B), params(gg.Fit, " ", "p", gg.P, "q", gg.Q, "gamma", gg.Gamma))
	// Gamma-Gamma assumes spend does not depend on frequency (Fader, Hardie & Lee 2005
	// judged CDNOW's correlation of 0.11 weak enough).
	fmt.Fprint(out, boundaryNote("BG/NBD", bg.Fit)+boundaryNote("Gamma-Gamma", gg.Fit))
	if free > 0 {
		fmt.Fprintf(out, "Gamma-Gamma is fitted without the %s whose repeat purchases were all free (amount 0), as the spends it models are positive; their value below uses the spend it expects of them\n",
			english.Count(free, "customer"))
	}
	if ind.Constant {
		fmt.Fprintf(out, "Spend vs frequency: spend or frequency is the same for all %d repeat customers, so one cannot depend on the other (no correlation to measure)\n", ind.N)
	} else {
		fmt.Fprintf(out, "Spend vs frequency: Pearson %.3f, Spearman %.3f over %d repeat customers\n", ind.Pearson, ind.Spearman, ind.N)
	}
	// With Gamma-Gamma's q at most 1 its customers' mean spends have no mean, and
	// ExpectedSpend is +Inf for a customer with too few repeat purchases to outweigh
	// that (every one without): the report printed "total +Inf" and a list of the
	// "most valuable" customers made of one-time buyers worth +Inf. They are left out
	// of the value, and said so; the rest are valued as before.
	order := make([]int, 0, len(cs))
	valued := make([]scoring.Customer, 0, len(cs))
	total := 0.0
	for i := range cs {
		if math.IsInf(clv[i], 0) || math.IsNaN(clv[i]) {
			continue
		}
		order = append(order, i)
		valued = append(valued, cs[i])
		total += clv[i]
	}
	unbounded := len(cs) - len(order)
	if unbounded > 0 {
		fmt.Fprintf(out, "Gamma-Gamma's q is %.3f, at most 1: the customers' mean spends are spread too widely to have a mean, so %s without enough repeat purchases to go by %s no finite expected spend, and %s left out of the value below\n",
			gg.Q, english.Count(unbounded, "customer"), english.Plural(unbounded, "has", "have"), english.Plural(unbounded, "is", "are"))
	}
	if len(order) == 0 {
		return nil
	}
	slices.SortStableFunc(order, func(a, b int) int {
		switch {
		case clv[a] > clv[b]:
			return -1
		case clv[a] < clv[b]:
			return 1
		}
		return 0
	})
	whom := fmt.Sprintf("all %d customers", len(cs))
	if unbounded > 0 {
		whom = fmt.Sprintf("the other %s", english.Count(len(valued), "customer"))
	}
	fmt.Fprintf(out, "Customer value over the next year (1%%/month discount) of %s; total %.2f, mean %.2f:\n", whom, total, total/float64(len(valued)))
	// Intervals carry the uncertainty of the fitted parameters into every prediction.
	iv, method, err := intervals(bg, gg, cs, cfg)
	if err != nil {
		return fmt.Errorf("intervals: %w", err)
	}
	clvOpt := &scoring.CLVOptions{Horizon: year, Period: year / 12, DiscountRate: 0.01}
	if len(cs) >= 20_000 {
		// Each base interval evaluates its sum over every distinct history at 2k+1
		// parameter points: seconds on a large base.
		status(cfg, "  computing the base's intervals over %d customers...\n", len(cs))
	}
	basePurchases, err := iv.BasePurchases(year, cs)
	if err != nil {
		return err
	}
	baseAlive, err := iv.BaseAlive(cs)
	if err != nil {
		return err
	}
	baseValue, err := iv.BaseCLV(valued, clvOpt)
	if err != nil {
		return err
	}
	of := "the base"
	if unbounded > 0 {
		of = "those " + strconv.Itoa(len(valued))
	}
	fmt.Fprintf(out, "90%% intervals (%s): customers active now %s; purchases next year %s; value of %s %s\n",
		method, span(baseAlive, "%.0f"), span(basePurchases, "%.0f"), of, span(baseValue, "%.2f"))
	top := order[:min(cfg.top, len(order))]
	if len(top) == 0 {
		return nil // -top 0: the base's figures only, without a table's header and no rows
	}
	// The id column is as wide as the longest id listed (order exports use emails), in
	// terminal columns (english.Width), not in runes as fmt's %*s pads: an id in Chinese
	// or Japanese takes two columns a character and pushed the rest of its row right. An
	// id is shown as english.Name shows it, so that one in another encoding than UTF-8
	// (a Windows-1252 export's "José") or holding a tab or a bidirectional override is
	// quoted rather than breaking its row, and a long one is cut.
	shown := func(i int) string {
		id, _ := keys.ID(sums[i].Profile)
		return english.Name(id, 40)
	}
	width := len("customer")
	for _, i := range top {
		width = max(width, english.Width(shown(i)))
	}
	fmt.Fprintf(out, "  %s %4s %8s %8s %21s %24s %9s %27s\n", english.PadLeft("customer", width), "x", "t_x", "T", "P(alive)", "purchases", "spend", "CLV")
	topCustomers := make([]scoring.Customer, len(top))
	for k, i := range top {
		topCustomers[k] = cs[i]
	}
	topValue, err := iv.CLV(topCustomers, clvOpt)
	if err != nil {
		return err
	}
	for k, i := range top {
		c := cs[i]
		alive, err := iv.PAlive(c)
		if err != nil {
			return err
		}
		purchases, err := iv.ExpectedPurchases(year, c)
		if err != nil {
			return err
		}
		// The CLV's upper end may be "∞" (span), one column in three bytes.
		fmt.Fprintf(out, "  %s %4d %8.2f %8.2f %21s %24s %9.2f %s\n",
			english.PadLeft(shown(i), width), c.Frequency, c.Recency, c.T, span(alive, "%.3f"), span(purchases, "%.2f"), gg.ExpectedSpend(c), english.PadLeft(span(topValue[k], "%.2f"), 27))
	}
	return nil
}

func unitName(d time.Duration) string {
	switch d {
	case time.Hour:
		return "hours" // "1h units" read as a unit of its own
	case 24 * time.Hour:
		return "days"
	case 7 * 24 * time.Hour:
		return "weeks"
	}
	return clientele.FormatDuration(d) + " units" // as -unit reads it: "12h", not "12h0m0s"
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// civilDay is the start of t's calendar day in loc.
func civilDay(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, loc)
}
