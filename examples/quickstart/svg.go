package main

import (
	"fmt"
	"html"
	"math"
	"strconv"
	"strings"
)

// The report's charts are plain inline SVG, drawn here, so that report.html is one
// self-contained page with no scripts and no external assets. Every chart scales to its
// container (a viewBox and width 100%), names itself for screen readers (<title> and
// <desc>, aria-labelledby), has axes with ticks and units, a value on every bar or cell
// and a legend wherever there is more than one series, in the Okabe-Ito palette, which
// people with the common colour-vision deficiencies tell apart (Okabe & Ito 2008).

const (
	chartW = 600 // viewBox width; the page shows it at up to this many CSS pixels
	labelW = 150 // left margin for category labels
	noteW  = 120 // right margin for value labels
	rowH   = 24
)

var palette = []string{"#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#000000", "#F0E442"}

var chartSeq int

// chart accumulates one SVG.
type chart struct {
	title, desc string
	h           int
	b           strings.Builder
}

func newChart(title, desc string) *chart { return &chart{title: title, desc: desc} }

func (c *chart) add(format string, args ...any) { fmt.Fprintf(&c.b, format, args...) }

func (c *chart) text(x, y float64, class, anchor, s string) {
	c.add(`<text x="%.1f" y="%.1f" class="%s" text-anchor="%s">%s</text>`, x, y, class, anchor, esc(s))
}

// String closes the chart at height h.
func (c *chart) svg(kind string) string {
	chartSeq++
	id := fmt.Sprintf("c%d", chartSeq)
	return fmt.Sprintf(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="100%%" preserveAspectRatio="xMinYMin meet" role="img" aria-labelledby="%s-t %s-d" data-chart="%s">`+
		`<title id="%s-t">%s</title><desc id="%s-d">%s</desc><text x="8" y="18" class="t">%s</text>%s</svg>`,
		chartW, c.h, id, id, kind, id, esc(c.title), id, esc(c.desc), esc(c.title), c.b.String())
}

// scale maps values to x or y positions, linearly or on a log axis.
type scale struct {
	lo, hi   float64 // domain
	from, to float64 // range in pixels
	log      bool
}

func (s scale) at(v float64) float64 {
	if s.log {
		v = math.Max(v, s.lo)
		return s.from + (s.to-s.from)*(math.Log10(v)-math.Log10(s.lo))/(math.Log10(s.hi)-math.Log10(s.lo))
	}
	return s.from + (s.to-s.from)*(v-s.lo)/(s.hi-s.lo)
}

// ticks returns round values across the domain: 1-2-5 steps, or decades on a log axis.
func (s scale) ticks() []float64 {
	var out []float64
	if s.log {
		for v := s.lo; v <= s.hi*1.0001; v *= 10 {
			out = append(out, v)
		}
		return out
	}
	step := niceStep((s.hi - s.lo) / 5)
	for v := math.Ceil(s.lo/step) * step; v <= s.hi+step*1e-9; v += step {
		out = append(out, v)
	}
	return out
}

func niceStep(raw float64) float64 {
	if raw <= 0 || math.IsNaN(raw) || math.IsInf(raw, 0) {
		return 1
	}
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*mag >= raw {
			return m * mag
		}
	}
	return 10 * mag
}

// niceMax rounds a maximum up to a tick.
func niceMax(v float64) float64 {
	if v <= 0 {
		return 1
	}
	step := niceStep(v / 5)
	return math.Ceil(v/step) * step
}

// logScale covers [lo, hi] with whole decades.
func logScale(lo, hi, from, to float64) scale {
	lo = math.Pow(10, math.Floor(math.Log10(math.Max(lo, 1e-9))))
	hi = math.Pow(10, math.Ceil(math.Log10(math.Max(hi, lo*10))))
	if hi <= lo {
		hi = lo * 10
	}
	return scale{lo: lo, hi: hi, from: from, to: to, log: true}
}

// tickLabel formats a tick value compactly: 0.1, 5, 2k, 1.5M.
func tickLabel(v float64) string {
	a := math.Abs(v)
	switch {
	case a >= 1e6:
		return strconv.FormatFloat(v/1e6, 'g', 3, 64) + "M"
	case a >= 1e4:
		return strconv.FormatFloat(v/1e3, 'g', 3, 64) + "k"
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

// xAxis draws a horizontal axis with ticks, grid lines up to top, and its unit.
func (c *chart) xAxis(s scale, y, top float64, unit string) {
	c.add(`<g class="axis x">`)
	c.add(`<line class="ax" x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f"/>`, s.from, s.to, y, y)
	for _, v := range s.ticks() {
		x := s.at(v)
		c.add(`<line class="grid" x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f"/>`, x, x, top, y)
		c.add(`<line class="ax" x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f"/>`, x, x, y, y+4)
		c.text(x, y+16, "tick", "middle", tickLabel(v))
	}
	c.text((s.from+s.to)/2, y+32, "unit", "middle", unit)
	c.add(`</g>`)
}

// yAxis draws a vertical axis with ticks, grid lines across to right, and its unit.
func (c *chart) yAxis(s scale, x, right float64, unit string) {
	c.add(`<g class="axis y">`)
	c.add(`<line class="ax" x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f"/>`, x, x, s.from, s.to)
	for _, v := range s.ticks() {
		y := s.at(v)
		c.add(`<line class="grid" x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f"/>`, x, right, y, y)
		c.text(x-6, y+4, "tick", "end", tickLabel(v))
	}
	c.add(`<text class="unit" text-anchor="middle" transform="translate(14 %.1f) rotate(-90)">%s</text>`, (s.from+s.to)/2, esc(unit))
	c.add(`</g>`)
}

// legend draws coloured keys in rows of three from y; it returns the height used.
func (c *chart) legend(names []string, y float64) float64 {
	c.add(`<g class="legend">`)
	for k, name := range names {
		x := float64(labelW + (k%3)*150)
		yy := y + float64(18*(k/3))
		c.add(`<rect x="%.1f" y="%.1f" width="12" height="12" fill="%s"/>`, x, yy, palette[k%len(palette)])
		c.text(x+16, yy+10, "l", "start", name)
	}
	c.add(`</g>`)
	return float64(18 * ((len(names) + 2) / 3))
}

// bar is one bar of a horizontal bar chart; Lo and Hi, when Hi > 0, draw an interval.
type bar struct {
	Label  string
	Value  float64
	Lo, Hi float64
	Note   string // the value label at the end of the bar
}

// barChart draws horizontal bars with a value axis; log puts the axis on a log scale
// (for values spanning orders of magnitude; bars then start at the axis's lowest
// decade).
func barChart(title, desc, unit string, bars []bar, log bool) string {
	c := newChart(title, desc)
	top := 30.0
	plotR := float64(chartW - noteW)
	maxV, minV := 0.0, math.Inf(1)
	for _, b := range bars {
		maxV = math.Max(maxV, math.Max(b.Value, b.Hi))
		if b.Value > 0 {
			minV = math.Min(minV, math.Min(b.Value, nonZero(b.Lo, b.Value)))
		}
	}
	s := scale{lo: 0, hi: niceMax(maxV), from: labelW, to: plotR}
	if log && maxV > 0 {
		s = logScale(minV, maxV, labelW, plotR)
	}
	axisY := top + float64(rowH*len(bars)) + 4
	c.xAxis(s, axisY, top, unit)
	for i, b := range bars {
		y := top + float64(rowH*i)
		c.text(labelW-6, y+16, "l", "end", b.Label)
		w := math.Max(0, s.at(b.Value)-s.from)
		if b.Value > 0 && w < 1 {
			w = 1
		}
		c.add(`<rect class="bar" x="%d" y="%.1f" width="%.1f" height="%d" fill="%s"><title>%s: %s</title></rect>`, labelW, y+4, w, rowH-8, palette[0], esc(b.Label), esc(b.Note))
		end := s.at(b.Value)
		if b.Hi > 0 {
			lo, hi := s.at(math.Max(b.Lo, s.lo)), s.at(b.Hi)
			c.add(`<line class="ci" x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f"/>`, lo, hi, y+rowH/2, y+rowH/2)
			for _, x := range []float64{lo, hi} {
				c.add(`<line class="ci" x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f"/>`, x, x, y+7, y+rowH-7)
			}
			end = math.Max(end, hi)
		}
		c.text(end+5, y+16, "value", "start", b.Note)
	}
	c.h = int(axisY) + 40
	return c.svg("bar")
}

func nonZero(v, fallback float64) float64 {
	if v > 0 {
		return v
	}
	return fallback
}

// groupedBars draws, for each category, one horizontal bar per series, each with its
// value; negative values (outflows) extend left of zero.
func groupedBars(title, desc, unit string, categories, series []string, values [][]float64, format func(float64) string) string {
	c := newChart(title, desc)
	top := 30.0
	lo, hi := 0.0, 0.0
	for _, row := range values {
		for _, v := range row {
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
	}
	s := scale{lo: -niceMax(-lo), hi: niceMax(hi), from: labelW, to: float64(chartW - noteW + 50)}
	if lo == 0 {
		s.lo = 0
	}
	bh := 11.0
	group := bh*float64(len(series)) + 10
	axisY := top + group*float64(len(categories)) + 2
	c.xAxis(s, axisY, top, unit)
	zero := s.at(0)
	for i, cat := range categories {
		y := top + group*float64(i)
		c.text(labelW-6, y+group/2+2, "l", "end", cat)
		for k := range series {
			v := values[i][k]
			x0, x1 := math.Min(zero, s.at(v)), math.Max(zero, s.at(v))
			yy := y + bh*float64(k) + 4
			c.add(`<rect class="bar" x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s, %s: %s</title></rect>`,
				x0, yy, math.Max(x1-x0, 0.5), bh-1, palette[k%len(palette)], esc(cat), esc(series[k]), esc(format(v)))
			if v < 0 {
				c.text(x0-3, yy+bh-2, "value small", "end", format(v))
			} else {
				c.text(x1+3, yy+bh-2, "value small", "start", format(v))
			}
		}
	}
	c.add(`<line class="zero" x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f"/>`, zero, zero, top, axisY)
	lh := c.legend(series, axisY+44)
	c.h = int(axisY + 44 + lh + 4)
	return c.svg("grouped")
}

// heatmap draws a matrix of shares in [0, 1] (NaN cells are left blank), each cell with
// its percentage; column labels may break over two lines at a space.
func heatmap(title, desc, rowUnit, colUnit string, rows, cols []string, cells [][]float64) string {
	c := newChart(title, desc)
	cw := float64(chartW-labelW-10) / float64(max(1, len(cols)))
	// Column labels stand upright when they fit and lean at 40 degrees when they do not,
	// so that no label is cut or runs into its neighbour.
	longest := 0
	for _, col := range cols {
		longest = max(longest, len(col))
	}
	lean := float64(longest)*6.2 > cw-4
	top := 64.0
	if lean {
		top = 44 + float64(longest)*6.2*0.64
		// The last label leans past its column: narrow the columns to keep it inside.
		overhang := math.Max(0, float64(longest)*6.2*0.77-cw/2+4)
		cw = (float64(chartW-labelW-10) - overhang) / float64(max(1, len(cols)))
	}
	c.add(`<g class="axis x">`)
	c.text(labelW+(float64(chartW-labelW-10))/2, 34, "unit", "middle", colUnit)
	for j, col := range cols {
		x := labelW + cw*(float64(j)+0.5)
		if lean {
			c.add(`<text class="tick" text-anchor="start" transform="translate(%.1f %.1f) rotate(-40)">%s</text>`, x-3, top-6, esc(col))
		} else {
			c.text(x, top-7, "tick", "middle", col)
		}
	}
	c.add(`</g><g class="axis y">`)
	c.text(8, top-7, "unit", "start", rowUnit)
	for i, r := range rows {
		c.text(labelW-6, top+float64(rowH*i)+16, "tick", "end", r)
	}
	c.add(`</g>`)
	for i := range rows {
		y := top + float64(rowH*i)
		for j, v := range cells[i] {
			if math.IsNaN(v) {
				continue
			}
			// A single-hue sequential scale, light to dark blue: ordered for every reader.
			light := 96 - 60*math.Min(1, math.Max(0, v))
			c.add(`<rect class="cell" x="%.1f" y="%.1f" width="%.1f" height="%d" fill="hsl(205,75%%,%.0f%%)"/>`, labelW+cw*float64(j), y, cw-1, rowH-1, light)
			fill := "#123"
			if light < 62 {
				fill = "#fff"
			}
			c.add(`<text x="%.1f" y="%.1f" class="value" text-anchor="middle" style="fill:%s">%s</text>`, labelW+cw*(float64(j)+0.5), y+16, fill, esc(pctLabel(v)))
		}
	}
	c.h = int(top) + rowH*len(rows) + 8
	return c.svg("heatmap")
}

func pctLabel(v float64) string {
	switch {
	case v > 0 && v < 0.01:
		return "<1%"
	case v < 0.1:
		return fmt.Sprintf("%.1f%%", 100*v)
	}
	return fmt.Sprintf("%.0f%%", 100*v)
}

// lineChart draws series of points over a shared x axis, each with its last value
// labelled and a legend.
type series struct {
	Name string
	Y    []float64
	Dash bool
}

func lineChart(title, desc, xUnit, yUnit string, x []float64, ss []series) string {
	c := newChart(title, desc)
	top, left, right := 34.0, 70.0, float64(chartW-noteW)
	plotH := 220.0
	maxY, minY := 0.0, 0.0
	for _, s := range ss {
		for _, v := range s.Y {
			maxY, minY = math.Max(maxY, v), math.Min(minY, v)
		}
	}
	xs := scale{lo: x[0], hi: x[len(x)-1], from: left, to: right}
	if xs.hi <= xs.lo {
		xs.hi = xs.lo + 1
	}
	ys := scale{lo: 0, hi: niceMax(maxY), from: top + plotH, to: top}
	if minY < 0 { // a curve that dips below 0 (a Qini curve that starts with the wrong people)
		ys.lo = -niceMax(-minY)
	}
	c.yAxis(ys, left, right, yUnit)
	c.xAxis(xs, top+plotH, top, xUnit)
	for k, s := range ss {
		var pts []string
		for i, v := range s.Y {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", xs.at(x[i]), ys.at(v)))
		}
		dash := ""
		if s.Dash {
			dash = ` stroke-dasharray="6 4"`
		}
		c.add(`<polyline class="line" points="%s" stroke="%s"%s/>`, strings.Join(pts, " "), palette[k%len(palette)], dash)
		if n := len(s.Y); n > 0 {
			c.text(right+5, ys.at(s.Y[n-1])+4+float64(12*k), "value", "start", fmt.Sprintf("%s %s", tickLabel(math.Round(s.Y[n-1])), s.Name))
		}
	}
	names := make([]string, len(ss))
	for k, s := range ss {
		names[k] = s.Name
	}
	lh := c.legend(names, top+plotH+44)
	c.h = int(top + plotH + 44 + lh + 4)
	return c.svg("line")
}

func esc(s string) string { return html.EscapeString(s) }
