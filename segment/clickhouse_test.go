package segment

import (
	"bufio"
	"context"
	"encoding/csv"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// The differential test of query semantics against ClickHouse 18.16
// (testdata/clickhouse/README.md): the same data, loaded into ClickHouse tables and into
// an Index, and the same questions, written in SQL by hand and in the query language.
// run.sh regenerates ClickHouse's answers; this test reads only the files.

var writeClickHouse = flag.Bool("clickhouse.write", false, "write the data of the ClickHouse differential test (testdata/clickhouse/run.sh uses it)")

const clickhouseDir = "testdata/clickhouse"

// clickhouseNow is the instant of every question; the SQL uses its UTC date.
var clickhouseNow = time.Date(2026, 11, 23, 15, 0, 0, 0, time.UTC)

// clickhouseData generates the data set: traits, numbers and events of 3000 profiles,
// with events on the window boundaries (the first and last second of a day) and a few
// in the future.
func clickhouseData() (tags, numbers, events [][]string) {
	r := rand.New(rand.NewPCG(2026, 11))
	today := clickhouseNow.Truncate(24 * time.Hour)
	for p := range 3000 {
		ps := strconv.Itoa(p)
		if r.IntN(5) > 0 {
			tags = append(tags, []string{ps, "plan", []string{"pro", "free", "team"}[r.IntN(3)]})
		}
		if r.IntN(10) == 0 {
			tags = append(tags, []string{ps, "tag", "churned"})
		}
		if r.IntN(10) < 7 {
			tags = append(tags, []string{ps, "city", []string{"shanghai", "beijing", "paris"}[r.IntN(3)]})
		}
		if r.IntN(5) < 3 {
			numbers = append(numbers, []string{ps, "spend", strconv.Itoa(r.IntN(2101) - 100)})
		}
		if r.IntN(2) == 0 {
			numbers = append(numbers, []string{ps, "score", strconv.Itoa(r.IntN(1001))})
		}
		for range r.IntN(9) {
			day := today.AddDate(0, 0, -r.IntN(120)+r.IntN(2)) // now and then tomorrow
			var at time.Time
			switch r.IntN(4) {
			case 0:
				at = day // first second of the day
			case 1:
				at = day.Add(24*time.Hour - time.Second) // last second
			default:
				at = day.Add(time.Duration(r.IntN(86400)) * time.Second)
			}
			events = append(events, []string{ps, "visit", at.Format(time.DateTime)})
		}
		for range r.IntN(4) {
			at := today.AddDate(0, 0, -r.IntN(200)).Add(time.Duration(r.IntN(86400)) * time.Second)
			events = append(events, []string{ps, "purchase", at.Format(time.DateTime)})
		}
	}
	return tags, numbers, events
}

func writeCSV(t *testing.T, name string, rows [][]string) {
	f, err := os.Create(filepath.Join(clickhouseDir, name))
	if err != nil {
		t.Fatal(err)
	}
	w := csv.NewWriter(f)
	w.WriteAll(rows)
	if err := f.Close(); err != nil || w.Error() != nil {
		t.Fatal(err, w.Error())
	}
}

func readCSV(t *testing.T, name string) [][]string {
	f, err := os.Open(filepath.Join(clickhouseDir, name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func TestClickHouseGolden(t *testing.T) {
	tags, numbers, events := clickhouseData()
	if *writeClickHouse {
		writeCSV(t, "tags.csv", tags)
		writeCSV(t, "numbers.csv", numbers)
		writeCSV(t, "events.csv", events)
		return
	}
	// The committed data must be what the generator makes, or the answers are stale.
	for name, rows := range map[string][][]string{"tags.csv": tags, "numbers.csv": numbers, "events.csv": events} {
		if diff := cmp.Diff(rows, readCSV(t, name)); diff != "" {
			t.Fatalf("%s differs from the generator's data: rerun run.sh", name)
		}
	}
	x := mustIndex()
	atoi := func(s string) uint32 { n, _ := strconv.ParseUint(s, 10, 32); return uint32(n) }
	for _, r := range tags {
		x.Tag(r[1]+":"+r[2], atoi(r[0]))
	}
	for _, r := range numbers {
		v, _ := strconv.ParseInt(r[2], 10, 64)
		x.SetNumber(r[1], atoi(r[0]), v)
	}
	for _, r := range events {
		at, err := time.ParseInLocation(time.DateTime, r[2], time.UTC)
		if err != nil {
			t.Fatal(err)
		}
		x.Record(at, atoi(r[0]), r[1])
	}
	cases, err := filepath.Glob(filepath.Join(clickhouseDir, "cases", "*.expr"))
	if err != nil || len(cases) == 0 {
		t.Fatalf("no cases: %v", err)
	}
	for _, c := range cases {
		name := strings.TrimSuffix(filepath.Base(c), ".expr")
		t.Run(name, func(t *testing.T) {
			expr, err := os.ReadFile(c)
			if err != nil {
				t.Fatal(err)
			}
			want := readProfiles(t, strings.TrimSuffix(c, ".expr")+".clickhouse")
			got, err := x.Eval(context.Background(), clickhouseNow, mustParse(t, string(expr)), nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(want) == 0 {
				t.Fatalf("ClickHouse found nobody: the case tests nothing")
			}
			if diff := cmp.Diff(want, got.ToArray(), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("%s (-ClickHouse +segment):\n%s", expr, diff)
			}
		})
	}
}

func readProfiles(t *testing.T, path string) []uint32 {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []uint32
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		n, err := strconv.ParseUint(strings.TrimSpace(sc.Text()), 10, 32)
		if err != nil {
			t.Fatal(fmt.Errorf("%s: %w", path, err))
		}
		out = append(out, uint32(n))
	}
	return out
}
