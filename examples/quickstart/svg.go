package main

import (
	"fmt"
	"html"
	"math"
	"strings"
)

// The report's charts are plain inline SVG, drawn here, so that report.html is one
// self-contained page with no scripts and no external assets.

const (
	chartWidth = 720
	labelWidth = 170
	rowHeight  = 26
)

// bar is one bar of a horizontal bar chart; Lo and Hi, when Hi > 0, draw an interval.
type bar struct {
	Label  string
	Value  float64
	Lo, Hi float64
	Note   string // printed at the end of the bar
}

// barChart draws horizontal bars scaled to the largest value (or interval end).
func barChart(title string, bars []bar) string {
	maxV := 0.0
	for _, b := range bars {
		maxV = math.Max(maxV, math.Max(b.Value, b.Hi))
	}
	if maxV <= 0 {
		maxV = 1
	}
	plot := float64(chartWidth - labelWidth - 150)
	x := func(v float64) float64 { return labelWidth + plot*v/maxV }
	h := 40 + rowHeight*len(bars)
	var s strings.Builder
	svgOpen(&s, title, h)
	for i, b := range bars {
		y := 34 + rowHeight*i
		fmt.Fprintf(&s, `<text x="%d" y="%d" text-anchor="end" class="l">%s</text>`, labelWidth-8, y+14, esc(b.Label))
		fmt.Fprintf(&s, `<rect class="bar" x="%d" y="%d" width="%.1f" height="%d"/>`, labelWidth, y+2, x(b.Value)-labelWidth, rowHeight-8)
		if b.Hi > 0 {
			fmt.Fprintf(&s, `<line class="ci" x1="%.1f" x2="%.1f" y1="%d" y2="%d"/>`, x(b.Lo), x(b.Hi), y+rowHeight/2-2, y+rowHeight/2-2)
			for _, v := range []float64{b.Lo, b.Hi} {
				fmt.Fprintf(&s, `<line class="ci" x1="%.1f" x2="%.1f" y1="%d" y2="%d"/>`, x(v), x(v), y+5, y+rowHeight-9)
			}
		}
		fmt.Fprintf(&s, `<text x="%.1f" y="%d" class="v">%s</text>`, x(math.Max(b.Value, b.Hi))+6, y+14, esc(b.Note))
	}
	s.WriteString(`</svg>`)
	return s.String()
}

// heatmap draws a matrix of shares in [0, 1] (NaN cells are left blank).
func heatmap(title string, rows, cols []string, cells [][]float64) string {
	cw := float64(chartWidth-labelWidth-10) / float64(max(1, len(cols)))
	h := 56 + rowHeight*len(rows)
	var s strings.Builder
	svgOpen(&s, title, h)
	for j, c := range cols {
		fmt.Fprintf(&s, `<text x="%.1f" y="46" text-anchor="middle" class="v">%s</text>`, labelWidth+cw*(float64(j)+0.5), esc(c))
	}
	for i, r := range rows {
		y := 52 + rowHeight*i
		fmt.Fprintf(&s, `<text x="%d" y="%d" text-anchor="end" class="l">%s</text>`, labelWidth-8, y+16, esc(r))
		for j, v := range cells[i] {
			if math.IsNaN(v) {
				continue
			}
			// Light to dark blue with the share; the text flips to white on dark cells.
			light := 95 - 55*math.Min(1, math.Max(0, v))
			fmt.Fprintf(&s, `<rect x="%.1f" y="%d" width="%.1f" height="%d" fill="hsl(210,70%%,%.0f%%)"/>`, labelWidth+cw*float64(j), y, cw-1, rowHeight-1, light)
			fill := "#123"
			if light < 60 {
				fill = "#fff"
			}
			fmt.Fprintf(&s, `<text x="%.1f" y="%d" text-anchor="middle" class="v" fill="%s">%.0f%%</text>`, labelWidth+cw*(float64(j)+0.5), y+16, fill, 100*v)
		}
	}
	s.WriteString(`</svg>`)
	return s.String()
}

// groupedBars draws, for each category, one bar per series (for example the credit each
// attribution model gives each channel).
func groupedBars(title string, categories, series []string, values [][]float64) string {
	maxV := 0.0
	for _, row := range values {
		for _, v := range row {
			maxV = math.Max(maxV, v)
		}
	}
	if maxV <= 0 {
		maxV = 1
	}
	plot := float64(chartWidth - labelWidth - 60)
	bh := 10
	group := bh*len(series) + 10
	h := 40 + group*len(categories) + 20*((len(series)+3)/4)
	var s strings.Builder
	svgOpen(&s, title, h)
	for i, c := range categories {
		y := 34 + group*i
		fmt.Fprintf(&s, `<text x="%d" y="%d" text-anchor="end" class="l">%s</text>`, labelWidth-8, y+group/2+2, esc(c))
		for k := range series {
			w := plot * values[i][k] / maxV
			fmt.Fprintf(&s, `<rect x="%d" y="%d" width="%.1f" height="%d" fill="%s"/>`, labelWidth, y+k*bh, w, bh-1, palette[k%len(palette)])
		}
	}
	ly := 40 + group*len(categories)
	for k, name := range series {
		x := labelWidth + (k%4)*130
		y := ly + 20*(k/4)
		fmt.Fprintf(&s, `<rect x="%d" y="%d" width="10" height="10" fill="%s"/><text x="%d" y="%d" class="v">%s</text>`, x, y, palette[k%len(palette)], x+14, y+9, esc(name))
	}
	s.WriteString(`</svg>`)
	return s.String()
}

var palette = []string{"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"}

func svgOpen(s *strings.Builder, title string, height int) {
	fmt.Fprintf(s, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-label="%s">`, chartWidth, height, chartWidth, height, esc(title))
	fmt.Fprintf(s, `<text x="10" y="20" class="t">%s</text>`, esc(title))
}

func esc(s string) string { return html.EscapeString(s) }
