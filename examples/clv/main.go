// Command clv reads a file of transactions, fits the buy-till-you-die models on a
// calibration period, shows how well each predicts the holdout period that follows
// (the check that says whether to trust a model), and prints what each customer is worth
// over the next year, with 90% intervals.
//
//	go run ./examples/clv                                   # the CDNOW sample
//	go run ./examples/clv -in orders.csv -header            # customer,date,amount
//	go run ./examples/clv -in orders.csv -calibration-end 2025-06-30 -unit 24h
//	go run ./examples/clv -in export.csv -header -comma ';' -columns 'Email,Date,Total' -date-layout 02/01/2006
//	go run ./examples/clv -in - -header < orders.csv.gz     # standard input
//
// CSV input has one purchase a line, "customer,date,amount", dates as 2006-01-02 and
// customers as any string (an order export's ids, emails, numbers). An export laid out
// otherwise is read with -comma, -columns (by the header's names or by number) and
// -date-layout. "-in -" reads standard input, gzip-compressed or not as a file is
// (zcat export.csv.gz | clv -in -, or clv -in - < export.csv.gz). With -order-column,
// rows of a customer with the same order id are one order: an exact repeat is dropped
// and counted, one with another date or amount is a bad line naming both lines, and one
// without an amount at its order's time is an item row of the order (Shopify's export
// writes the total on an order's first row alone), skipped and counted; an order's
// first row in the file must carry its total. Amounts are at most 1e15
// (scoring.MaxAmount): a larger one is refused with its line, before any fit.
// Purchases dated before 1970 or after next year (a mistyped 1900 or 2199) are read as
// written, and the report warns of them. With -lenient, bad lines are reported on
// stderr and skipped, and the report counts them. A fit that takes over a second
// reports its progress on stderr.
//
// The file is read once, keeping each customer's purchase days rather than the rows, so
// that memory grows with purchase days, not rows. A row that repeats an earlier one
// exactly (customer, time, amount) is added to its day's purchase like any other order
// of the day, as nothing tells it from a second basket, and the report says how many
// there were; -order-column tells them apart.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"
	_ "time/tzdata" // -tz names mean the same on every machine

	"github.com/clientele-go/clientele"
)

type config struct {
	in, format     string
	header         bool
	comma          rune   // the CSV's separator; 0: ','
	columns        string // -columns: customer,date,amount, as header names or numbers from 1
	orderColumn    string // -order-column: the order id's column, as a header name or a number from 1; "": none
	layout         string // -date-layout; "": 2006-01-02
	calibrationEnd string
	unit           time.Duration
	top            int
	lenient        bool
	loc            *time.Location  // -tz: the zone of times written without one, and of calendar days; nil: UTC
	status         io.Writer       // progress and skipped lines; nil discards them
	clock          clientele.Clock // the run's time, whose year bounds the dates taken without a warning; nil: the system's
}

// now is the run's time, by cfg.clock.
func (c config) now() time.Time {
	if c.clock == nil {
		return clientele.SystemClock{}.Now()
	}
	return c.clock.Now()
}

func main() {
	var cfg config
	flag.StringVar(&cfg.in, "in", "scoring/testdata/cdnow/CDNOW_sample.txt", `transactions file (gzip-compressed too, as export.csv.gz); "-" for standard input`)
	flag.StringVar(&cfg.format, "format", "", `"csv" (customer,date,amount) or "cdnow" (the CDNOW sample's columns); default: cdnow for the sample, csv otherwise`)
	flag.BoolVar(&cfg.header, "header", false, "the CSV's first line names the columns")
	flag.Func("comma", "the CSV's field separator, one character or tab (default ,)", func(v string) (err error) {
		cfg.comma, err = parseComma(v)
		return err
	})
	flag.StringVar(&cfg.columns, "columns", "", `the customer's, the date's and the amount's columns, as names in the header line ("Email,Created at,Total", with -header) or numbers from 1 ("3,1,7"); default: the first three, in that order`)
	flag.StringVar(&cfg.orderColumn, "order-column", "", `the order id's column, as a name in the header line ("Order", with -header) or a number from 1: rows of a customer with the same order id are one order, an exact repeat is dropped, one without an amount is an item row of the order (as Shopify exports them) and one that differs in date or amount is a bad line; default: no order ids, every row an order`)
	flag.StringVar(&cfg.layout, "date-layout", "", `the date column's layout, in Go's notation: 2006-01-02 (the default), 02/01/2006, 01/02/2006, "2006-01-02 15:04:05", 2006-01-02T15:04:05Z07:00`)
	flag.StringVar(&cfg.calibrationEnd, "calibration-end", "", "last day of the calibration period (2006-01-02); default: 1997-09-30 for CDNOW, else the middle of the data")
	cfg.unit = 7 * 24 * time.Hour
	flag.Func("unit", "time unit of the models, such as 1w, 1d or 12h (default 1w)", func(v string) (err error) {
		cfg.unit, err = clientele.ParseDuration(v)
		return err
	})
	flag.IntVar(&cfg.top, "top", 10, "customers to list, most valuable first")
	flag.Func("tz", "the shop's time zone, as an IANA name such as America/New_York: the zone of dates written without one, of -calibration-end and of the calendar days purchases are counted in (default UTC)", func(v string) (err error) {
		cfg.loc, err = loadLocation(v)
		return err
	})
	flag.BoolVar(&cfg.lenient, "lenient", false, "skip bad lines (each reported on stderr) instead of stopping at the first")
	flag.Parse()
	if cfg.format == "" {
		cfg.format = "csv"
		if cfg.in == flag.Lookup("in").DefValue {
			cfg.format = "cdnow"
		}
	}
	f, err := openInput(cfg.in, cfg.in == flag.Lookup("in").DefValue)
	if err != nil {
		fmt.Fprintln(os.Stderr, "clv:", err)
		os.Exit(1)
	}
	defer f.Close()
	cfg.status = os.Stderr
	if err := run(os.Stdout, f, cfg); err != nil {
		fmt.Fprintf(os.Stderr, "clv: %s: %v\n", inputName(cfg.in), err)
		os.Exit(1)
	}
}

// loadLocation reads -tz. The zone database is embedded (time/tzdata), so that a name
// means the same on a machine without /usr/share/zoneinfo.
func loadLocation(name string) (*time.Location, error) {
	if name == "" || name == "Local" {
		return nil, fmt.Errorf("%q: want an IANA zone name such as America/New_York or UTC", name)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("%q: want an IANA zone name such as America/New_York or UTC", name)
	}
	return loc, nil
}

// openInput opens the input file, or returns standard input for "-", as
// examples/attribution reads it; either is decompressed by read if it is gzip. The
// default -in is the repository's sample, named relative to the repository's root: run
// from anywhere else, it is missing, and the error says where to run from instead of
// only "no such file or directory".
func openInput(path string, isDefault bool) (*os.File, error) {
	if path == "-" {
		return os.Stdin, nil
	}
	f, err := os.Open(path)
	if err != nil && isDefault && errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w (the default -in is the repository's sample, named from the repository's root: run there, or give -in)", err)
	}
	return f, err
}

// inputName is how errors name the input: "-" means nothing to a reader of "clv: -:
// line 3: ...".
func inputName(path string) string {
	if path == "-" {
		return "standard input"
	}
	return path
}

// location is -tz's zone, UTC by default.
func (c config) location() *time.Location {
	if c.loc == nil {
		return time.UTC
	}
	return c.loc
}
