package funnel

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
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
