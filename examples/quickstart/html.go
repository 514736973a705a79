package main

import (
	"fmt"
	"io"
	"strings"
)

// page collects the report's sections and writes one self-contained HTML page.
type page struct {
	sections []string
}

// add appends a section: a heading, a paragraph of text (escaped) and an SVG chart.
func (p *page) add(heading, text, svg string) {
	p.sections = append(p.sections, fmt.Sprintf("<section><h2>%s</h2><p>%s</p>%s</section>", esc(heading), esc(text), svg))
}

func (p *page) write(w io.Writer) error {
	_, err := io.WriteString(w, `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"/><title>clientele quickstart report</title>
<style>
body{font-family:system-ui,sans-serif;max-width:760px;margin:2em auto;color:#123}
h1{font-size:1.5em}h2{font-size:1.15em;margin-top:2em}p{line-height:1.4}
svg{display:block;margin:0.5em 0;background:#fafbfc}
svg .t{font-size:14px;font-weight:600}svg .l{font-size:12px}svg .v{font-size:11px}
svg .bar{fill:#4a90d9}svg .ci{stroke:#123;stroke-width:1.5}
</style></head><body>
<h1>clientele quickstart report</h1>
<p>Generated from a seeded synthetic customer base: from people reached by promotions, to users, customers, repeat customers and advocates.</p>
`+strings.Join(p.sections, "\n")+`
</body></html>
`)
	return err
}
