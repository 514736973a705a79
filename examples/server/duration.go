package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// parseDuration reads the SDK's shared duration syntax: a whole number of weeks (2w) or
// days (7d), or Go's syntax (36h, 90m). It stays private until clientele.ParseDuration
// (issue #21) lands, then the server switches to it.
func parseDuration(s string) (time.Duration, error) {
	for _, u := range []struct {
		suffix string
		unit   time.Duration
	}{{"w", 7 * 24 * time.Hour}, {"d", 24 * time.Hour}} {
		if num, ok := strings.CutSuffix(s, u.suffix); ok {
			n, err := strconv.ParseInt(num, 10, 64)
			if err != nil || n < 0 || n > int64(1<<62)/int64(u.unit) {
				return 0, fmt.Errorf("%q is not a duration: want a whole number before %q, as in 7d or 2w", s, u.suffix)
			}
			return time.Duration(n) * u.unit, nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%q is not a duration: want 7d, 2w, 36h or 90m", s)
	}
	return d, nil
}
