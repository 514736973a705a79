package main

import (
	"fmt"
	"io"
	"strings"
)

// page is report.html: the same words and numbers as the text report, section by
// section, each followed by its charts. It needs no script and no external asset, fits
// a phone's width (the text tables scroll inside their own box; the charts scale), and
// reads in a screen reader (every chart has a title and a description).
type page struct {
	text   *reportWriter
	charts map[string][]string // by section title
}

func (p *page) add(section, svg string) {
	if p.charts == nil {
		p.charts = map[string][]string{}
	}
	p.charts[section] = append(p.charts[section], svg)
}

// write writes the page. Its text blocks wrap their long lines from a desktop's width up
// and in print, where a block's scroll bar hid their ends (and a printed page cut them);
// on a phone they keep the tables' columns aligned and scroll.
func (p *page) write(w io.Writer) error {
	var b strings.Builder
	b.WriteString(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"/>
<meta name="viewport" content="width=device-width, initial-scale=1"/>
<title>clientele quickstart report</title>
<style>
*{box-sizing:border-box}
body{font-family:system-ui,sans-serif;max-width:860px;margin:0 auto;padding:1em;color:#123;line-height:1.45}
h1{font-size:1.45em}h2{font-size:1.15em;margin-top:2.2em;border-bottom:1px solid #ccd}
dl.words{display:grid;grid-template-columns:max-content 1fr;gap:.25em 1em}dl.words dt{font-weight:600}dl.words dd{margin:0}
@media (max-width:520px){dl.words{grid-template-columns:1fr}dl.words dd{margin:0 0 .5em 0}}
pre{font-size:12px;background:#f4f6f8;padding:.6em;overflow-x:auto;max-width:100%}
@media (min-width:700px),print{pre{white-space:pre-wrap}}
figure{margin:1em 0;max-width:100%}
svg{display:block;width:100%;max-width:600px;height:auto;background:#fcfcfd}
svg .t{font-size:14px;font-weight:600;fill:#123}svg .l{font-size:12px;fill:#123}
svg .tick{font-size:11px;fill:#345}svg .unit{font-size:11px;fill:#345;font-style:italic}
svg .value{font-size:11px;fill:#123}svg .small{font-size:9.5px}
svg .ax{stroke:#567;stroke-width:1}svg .grid{stroke:#dde3ea;stroke-width:1}
svg .zero{stroke:#123;stroke-width:1.2}svg .ci{stroke:#123;stroke-width:1.5}
svg .line{fill:none;stroke-width:2}
</style></head><body>
<h1>clientele quickstart report</h1>
`)
	for _, l := range p.text.lead {
		fmt.Fprintf(&b, "<p>%s</p>\n", esc(l))
	}
	for _, sec := range p.text.sections {
		fmt.Fprintf(&b, "<section><h2>%s</h2>\n", esc(sec.title))
		if sec.title == vocabularyTitle {
			b.WriteString(`<dl class="words">`)
			for _, v := range vocabulary {
				fmt.Fprintf(&b, "<dt>%s</dt><dd>%s</dd>", esc(v.word), esc(v.meaning))
			}
			b.WriteString("</dl>\n")
			for _, l := range sec.lines {
				if _, isWord := vocabularyMeaning(l); !isWord {
					fmt.Fprintf(&b, "<p>%s</p>\n", esc(l))
				}
			}
		} else {
			fmt.Fprintf(&b, "<pre>%s</pre>\n", esc(strings.Join(sec.lines, "\n")))
		}
		for _, svg := range p.charts[sec.title] {
			fmt.Fprintf(&b, "<figure>%s</figure>\n", svg)
		}
		b.WriteString("</section>\n")
	}
	b.WriteString("</body></html>\n")
	_, err := io.WriteString(w, b.String())
	return err
}
