package main

import (
	"bytes"
	"context"
	"encoding/json"
	"html"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// measureScript is added to a copy of report.html for the test only (the report itself
// runs no script). After layout it measures the page and every chart and writes the
// result as JSON into the DOM, which chromium --dump-dom then prints.
const measureScript = `<script>
window.addEventListener('load', () => {
  const vw = document.documentElement.clientWidth;
  const out = {viewport: vw, scrollWidth: document.documentElement.scrollWidth, charts: [], hidden: []};
  for (const pre of document.querySelectorAll('pre')) {
    if (pre.scrollWidth > pre.clientWidth + 1) {
      out.hidden.push(pre.textContent.split('\n')[0]);
    }
  }
  for (const svg of document.querySelectorAll('svg')) {
    const box = svg.getBoundingClientRect();
    const texts = (sel) => [...svg.querySelectorAll(sel)].map(t => t.textContent.trim());
    const clipped = [];
    for (const t of svg.querySelectorAll('text')) {
      const r = t.getBoundingClientRect();
      if (r.width > 0 && (r.left < box.left - 1 || r.right > box.right + 1 || r.top < box.top - 1 || r.bottom > box.bottom + 1)) {
        clipped.push(t.textContent.trim());
      }
    }
    out.charts.push({
      kind: svg.dataset.chart || '',
      title: (svg.querySelector('title') || {}).textContent || '',
      label: svg.getAttribute('aria-labelledby') || '',
      left: box.left, right: box.right, width: box.width,
      axisTicks: texts('.axis .tick'), axisUnits: texts('.axis .unit'),
      bars: svg.querySelectorAll('rect.bar').length,
      cells: svg.querySelectorAll('rect.cell').length,
      values: texts('text.value'),
      legend: texts('.legend text'),
      clipped: clipped,
    });
  }
  const pre = document.createElement('pre');
  pre.id = 'measurements';
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script>`

type measurements struct {
	Viewport    float64
	ScrollWidth float64
	Hidden      []string // first lines of text blocks wider than their box
	Charts      []struct {
		Kind, Title, Label      string
		Left, Right, Width      float64
		AxisTicks, AxisUnits    []string
		Bars, Cells             int
		Values, Legend, Clipped []string
	}
}

// findChromium returns Chromium's path; without one the test skips under plain go test
// and fails under CI=true, where .ci/run has installed it.
func findChromium(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("no Chromium on PATH; .ci/run installs Debian's chromium")
	}
	t.Skip("no Chromium on PATH (apt-get install chromium to run this test)")
	return ""
}

// TestReportInChromium renders report.html in headless Chromium at a desktop width
// (1400 px) and a phone's (400 px): the page must not scroll sideways, every chart must
// fit the page, and every chart must have a title, axes with ticks and a unit, a value
// on every bar or cell, a legend where it has several series, and no label cut off.
func TestReportInChromium(t *testing.T) {
	browser := findChromium(t)
	_, page := runSmall(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "report.html")
	withScript := strings.Replace(string(page), "</body>", measureScript+"</body>", 1)
	if err := os.WriteFile(path, []byte(withScript), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, width := range []string{"1400", "400"} {
		t.Run(width, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
			defer cancel()
			// The flags keep Chromium off the network and out of the user's profile.
			cmd := exec.CommandContext(ctx, browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
				"--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
				"--user-data-dir="+filepath.Join(dir, "profile-"+width), "--window-size="+width+",900",
				"--virtual-time-budget=5000", "--dump-dom", "file://"+path)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Run(); err != nil {
				t.Fatalf("chromium: %v\n%s", err, stderr.String())
			}
			m := regexp.MustCompile(`(?s)<pre id="measurements">(.*?)</pre>`).FindSubmatch(stdout.Bytes())
			if m == nil {
				t.Fatalf("the page reported no measurements:\n%.2000s", stdout.String())
			}
			var got measurements
			if err := json.Unmarshal([]byte(html.UnescapeString(string(m[1]))), &got); err != nil {
				t.Fatal(err)
			}
			checkMeasurements(t, width, got)
		})
	}
}

func checkMeasurements(t *testing.T, width string, m measurements) {
	t.Helper()
	if m.Viewport < 300 {
		t.Fatalf("viewport %v px: the window size was not applied", m.Viewport)
	}
	if m.ScrollWidth > m.Viewport+0.5 {
		t.Errorf("at %s px the page is %v px wide for a %v px viewport: it scrolls sideways", width, m.ScrollWidth, m.Viewport)
	}
	// At a desktop's width no text may hide behind a block's own scroll bar (nor be cut
	// when the page is printed); a phone's keeps the tables' columns and scrolls them.
	if width == "1400" && len(m.Hidden) > 0 {
		t.Errorf("at %s px %d text blocks scroll sideways, the first starting %q", width, len(m.Hidden), m.Hidden[0])
	}
	if len(m.Charts) < 12 {
		t.Errorf("%d charts, want 12 or more", len(m.Charts))
	}
	nonEmpty := func(ss []string) int {
		n := 0
		for _, s := range ss {
			if s != "" {
				n++
			}
		}
		return n
	}
	for i, c := range m.Charts {
		name := c.Title
		if name == "" || c.Label == "" {
			t.Errorf("chart %d has no title or aria-labelledby", i)
			name = c.Kind
		}
		if c.Left < -0.5 || c.Right > m.Viewport+0.5 {
			t.Errorf("%s: spans %v..%v px of a %v px viewport", name, c.Left, c.Right, m.Viewport)
		}
		if nonEmpty(c.AxisTicks) < 2 || nonEmpty(c.AxisUnits) < 1 {
			t.Errorf("%s: axes with %d ticks and units %q", name, nonEmpty(c.AxisTicks), c.AxisUnits)
		}
		if nonEmpty(c.Values) != len(c.Values) || len(c.Values) < c.Bars+c.Cells || len(c.Values) == 0 {
			t.Errorf("%s: %d value labels (%d empty) for %d bars and %d cells", name, len(c.Values), len(c.Values)-nonEmpty(c.Values), c.Bars, c.Cells)
		}
		if (c.Kind == "grouped" || c.Kind == "line") && nonEmpty(c.Legend) < 2 {
			t.Errorf("%s: a %s chart without a legend", name, c.Kind)
		}
		if len(c.Clipped) > 0 {
			t.Errorf("%s: labels outside the chart: %q", name, c.Clipped)
		}
	}
}
