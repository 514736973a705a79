package funnel

import (
	"bufio"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestClickHouseGolden holds Level (default mode) and Retention against the answers a
// live ClickHouse 18.16 gave for random per-user event sets
// (testdata/clickhouse/generate.py; see its README).
func TestClickHouseGolden(t *testing.T) {
	users := map[int][]Event{}
	readTSV(t, "testdata/clickhouse/events.tsv", func(f []string) {
		uid, _ := strconv.Atoi(f[0])
		ts, _ := strconv.Atoi(f[1])
		users[uid] = append(users[uid], Event{Profile: uint32(uid), Time: time.Unix(int64(ts), 0), Name: f[2]})
	})
	counts := map[string]int{}
	readTSV(t, "testdata/clickhouse/answers.tsv", func(f []string) {
		uid, _ := strconv.Atoi(f[3])
		conds := strings.Split(f[2], ",")
		counts[f[0]]++
		switch f[0] {
		case "funnel":
			w, _ := strconv.Atoi(f[1])
			want, _ := strconv.Atoi(f[4])
			if got := (Spec{Steps: named(conds...), Window: secs(int64(w))}).Level(users[uid]); got != want {
				t.Errorf("user %d, windowFunnel(%d)(%s): Level %d, ClickHouse %d", uid, w, f[2], got, want)
			}
		case "retention":
			flags := Retention(users[uid], named(conds...)...)
			parts := make([]string, len(flags))
			for i, b := range flags {
				parts[i] = "0"
				if b {
					parts[i] = "1"
				}
			}
			if got := "[" + strings.Join(parts, ",") + "]"; got != f[4] {
				t.Errorf("user %d, retention(%s): %s, ClickHouse %s", uid, f[2], got, f[4])
			}
		}
	})
	if counts["funnel"] < 1000 || counts["retention"] < 100 {
		t.Fatalf("golden answers too few: %v", counts)
	}
}

func readTSV(t *testing.T, path string, fn func([]string)) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		if strings.HasPrefix(sc.Text(), "#") {
			continue
		}
		fields := strings.Split(sc.Text(), "\t")
		if len(fields) < 3 {
			t.Fatal(fmt.Errorf("%s line %d: %d fields", path, line, len(fields)))
		}
		fn(fields)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
}

// TestClickHouseCohortGolden holds cohort tables (by day, week and month, in UTC and in
// New York, "on", "on or after" and bracketed) against the tables a live ClickHouse
// 18.16 computed with its own calendar functions and retention()
// (testdata/clickhouse/cohorts.py; see its README). The slice, stream and columnar forms
// must each give ClickHouse's table exactly.
func TestClickHouseCohortGolden(t *testing.T) {
	var evs []Event
	readTSV(t, "testdata/clickhouse/cohort_events.tsv", func(f []string) {
		uid, _ := strconv.Atoi(f[0])
		ts, _ := strconv.ParseInt(f[1], 10, 64)
		evs = append(evs, Event{Profile: uint32(uid), Time: time.Unix(ts, 0).UTC(), Name: f[2]})
	})
	b := batchOf(t, evs)
	type config struct{ by, zone, start, ret, rule, columns string }
	want := map[config]map[string]string{} // cohort date -> "size retained..."
	var order []config
	readTSV(t, "testdata/clickhouse/cohort_answers.tsv", func(f []string) {
		c := config{f[1], f[2], f[3], f[4], f[5], f[6]}
		if want[c] == nil {
			want[c] = map[string]string{}
			order = append(order, c)
		}
		want[c][f[7]] = f[8] + " " + strings.ReplaceAll(f[9], ",", " ")
	})
	if len(order) < 8 {
		t.Fatalf("%d tables in the golden file, want 8", len(order))
	}
	for _, cf := range order {
		loc, err := time.LoadLocation(cf.zone)
		if err != nil {
			t.Fatal(err)
		}
		c := Cohorts{Start: Step{Name: cf.start}, Return: Step{Name: cf.ret}, Location: loc,
			By: map[string]Period{"day": Day, "week": Week, "month": Month}[cf.by]}
		if cf.rule == "on_or_after" {
			c.Retention = OnOrAfter
		}
		if strings.Contains(cf.columns, "-") {
			for _, br := range strings.Split(cf.columns, ",") {
				var from, to int
				fmt.Sscanf(br, "%d-%d", &from, &to)
				c.Brackets = append(c.Brackets, Bracket{from, to})
			}
		} else {
			c.Periods, _ = strconv.Atoi(cf.columns)
		}
		run, err := c.Run(evs)
		if err != nil {
			t.Fatal(err)
		}
		seq, err := c.RunSeq(slices.Values(evs))
		if err != nil {
			t.Fatal(err)
		}
		batch, err := c.RunBatch(b)
		if err != nil {
			t.Fatal(err)
		}
		for form, tab := range map[string]*Table{"Run": run, "RunSeq": seq, "RunBatch": batch} {
			got := map[string]string{}
			for _, row := range tab.Cohorts {
				cells := []string{strconv.FormatInt(row.Size, 10)}
				after := row.Retained // brackets start after the cohort's own period
				if len(c.Brackets) == 0 {
					if row.Retained[0] != row.Size {
						t.Errorf("%+v, %s, cohort %v: column 0 is %d of %d", cf, form, row.Start, row.Retained[0], row.Size)
					}
					after = row.Retained[1:]
				}
				for _, r := range after {
					cells = append(cells, strconv.FormatInt(r, 10))
				}
				got[row.Start.Format("2006-01-02")] = strings.Join(cells, " ")
			}
			if diff := cmp.Diff(want[cf], got); diff != "" {
				t.Errorf("%+v, %s: cohort -> size, retained (-ClickHouse +funnel):\n%s", cf, form, diff)
			}
		}
	}
}
