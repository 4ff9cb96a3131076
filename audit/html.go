package audit

import (
	"fmt"
	"html/template"
	"io"
	"slices"
)

// WriteHTML writes the report as one self-contained HTML page: the
// site's grade, a chart of the mean score per rule and one of every
// page's score, and the worst pages with what to fix. It loads nothing
// (styles and charts are inline), so it opens from a file or a CI
// artifact as it is.
func (r *Report) WriteHTML(w io.Writer, title string) error {
	return reportTemplate.Execute(w, r.htmlData(title))
}

type htmlData struct {
	Title  string
	R      *Report
	Grades []gradeBar
	Rules  []ruleBar
	Pages  pageStrip
	Worst  []PageReport
}

type gradeBar struct {
	Grade string
	N     int
	Width float64 // of 100
	Color string
}

type ruleBar struct {
	ID, Name string
	Weight   int
	Mean     float64
	Failing  int // pages scoring below 100 on it
	Y        int
	Width    float64
	Color    string
}

// pageStrip is every page's score as a column, lowest first; a site with
// more pages than columns shows each column's lowest.
type pageStrip struct {
	Bars  []stripBar
	Width int
	N     int
}

type stripBar struct {
	X, Y, W, H float64
	Color      string
	Title      string
}

// The charts' geometry, in SVG user units.
const (
	ruleRow    = 22
	stripW     = 900
	stripH     = 160
	maxColumns = 900
)

func (r *Report) htmlData(title string) htmlData {
	d := htmlData{Title: title, R: r, Worst: r.Worst(20)}
	for _, g := range []string{"A", "B", "C", "D", "E", "F"} {
		n := r.Grades[g]
		w := 0.0
		if len(r.Pages) > 0 {
			w = 100 * float64(n) / float64(len(r.Pages))
		}
		d.Grades = append(d.Grades, gradeBar{g, n, w, gradeColor(g)})
	}
	for i, rl := range rules {
		b := ruleBar{ID: rl.id, Name: rl.name, Weight: rl.weight, Y: i * ruleRow}
		sum := 0
		for _, p := range r.Pages {
			s := p.Rules[i].Score
			sum += s
			if s < 100 {
				b.Failing++
			}
		}
		b.Mean = 100
		if len(r.Pages) > 0 {
			b.Mean = float64(sum) / float64(len(r.Pages))
		}
		b.Width = b.Mean * 5 // 500 units for 100
		b.Color = gradeColor(Grade(int(b.Mean)))
		d.Rules = append(d.Rules, b)
	}
	sorted := slices.Clone(r.Pages)
	slices.SortStableFunc(sorted, func(a, b PageReport) int { return a.Score - b.Score })
	cols := min(len(sorted), maxColumns)
	d.Pages = pageStrip{Width: stripW, N: len(sorted)}
	for c := range cols {
		lo, hi := c*len(sorted)/cols, (c+1)*len(sorted)/cols
		worst := sorted[lo] // sorted: the column's lowest
		w := float64(stripW) / float64(cols)
		h := float64(stripH) * float64(worst.Score) / 100
		title := worst.Route
		if hi-lo > 1 {
			title = fmt.Sprintf("%s and %d more", worst.Route, hi-lo-1)
		}
		d.Pages.Bars = append(d.Pages.Bars, stripBar{X: float64(c) * w, Y: stripH - h, W: max(w-0.2, 0.5), H: h,
			Color: gradeColor(worst.Grade), Title: fmt.Sprintf("%s: %s %d", title, worst.Grade, worst.Score)})
	}
	return d
}

func gradeColor(g string) string {
	return map[string]string{"A": "#2e9d5b", "B": "#7ab648", "C": "#e0b523", "D": "#e8892b", "E": "#e0603a", "F": "#c9302c"}[g]
}

var reportTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"pct":          func(f float64) string { return fmt.Sprintf("%.0f", f) },
	"mean":         func(f float64) string { return fmt.Sprintf("%.1f", f) },
	"ruleHeight":   func(n int) int { return n * ruleRow },
	"gradeColorOf": gradeColor,
}).Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}: grade {{.R.Grade}}</title>
<style>
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1d2330; margin: 0; background: #f5f6f8; }
main { max-width: 1000px; margin: 0 auto; padding: 24px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 32px 0 8px; }
.card { background: #fff; border-radius: 8px; box-shadow: 0 1px 3px rgba(0,0,0,.08); padding: 16px 20px; }
.grade { display: inline-block; width: 64px; height: 64px; border-radius: 8px; color: #fff; font: 700 40px/64px system-ui, sans-serif; text-align: center; margin-right: 16px; vertical-align: middle; }
.summary { display: flex; align-items: center; }
.dist { display: flex; height: 18px; border-radius: 4px; overflow: hidden; margin-top: 12px; }
.dist span { display: block; height: 100%; }
.legend span { margin-right: 12px; font-size: 13px; }
.legend i { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 4px; }
svg text { font: 12px system-ui, sans-serif; fill: #1d2330; }
table { border-collapse: collapse; width: 100%; }
td, th { text-align: left; vertical-align: top; padding: 6px 8px; border-bottom: 1px solid #e6e8ec; font-size: 14px; }
.what { font-family: ui-monospace, Menlo, monospace; font-size: 13px; word-break: break-all; }
.fix { color: #5a6270; }
.muted { color: #5a6270; font-size: 13px; }
</style>
</head>
<body>
<main>
<div class="card summary">
  <div class="grade" style="background:{{gradeColorOf .R.Grade}}">{{.R.Grade}}</div>
  <div>
    <h1>{{.Title}}</h1>
    <div>score {{.R.Score}} · {{len .R.Pages}} pages · YSlow's 23 rules, modern thresholds</div>
  </div>
</div>
<div class="card" style="margin-top:12px">
  <div class="legend">{{range .Grades}}<span><i style="background:{{.Color}}"></i>{{.Grade}} {{.N}}</span>{{end}}</div>
  <div class="dist">{{range .Grades}}{{if .N}}<span style="width:{{pct .Width}}%;background:{{.Color}}" title="{{.Grade}}: {{.N}} pages"></span>{{end}}{{end}}</div>
</div>

<h2>Mean score per rule</h2>
<div class="card">
<svg id="rules-chart" viewBox="0 0 960 {{len .Rules | ruleHeight}}" width="100%" role="img" aria-label="mean score per rule">
{{range .Rules}}<g transform="translate(0,{{.Y}})">
  <text x="0" y="15">{{.ID}}{{if not .Weight}} (not graded){{end}}</text>
  <rect x="175" y="3" width="500" height="16" fill="#eef0f3" rx="3"/>
  <rect class="bar" x="175" y="3" width="{{.Width}}" height="16" fill="{{.Color}}" rx="3"><title>{{.Name}}: mean {{mean .Mean}}, {{.Failing}} pages below 100, weight {{.Weight}}</title></rect>
  <text x="685" y="15">{{mean .Mean}}</text>
  <text x="735" y="15" class="muted">{{.Failing}} pages below 100</text>
</g>
{{end}}</svg>
</div>

<h2>Score of every page, lowest first</h2>
<div class="card">
<svg id="pages-chart" viewBox="0 0 {{.Pages.Width}} 180" width="100%" role="img" aria-label="score of every page">
<line x1="0" y1="160" x2="{{.Pages.Width}}" y2="160" stroke="#c5cad3"/>
{{range .Pages.Bars}}<rect class="bar" x="{{.X}}" y="{{.Y}}" width="{{.W}}" height="{{.H}}" fill="{{.Color}}"><title>{{.Title}}</title></rect>
{{end}}<text x="0" y="176" class="muted">{{.Pages.N}} pages; hover a column for its page</text>
</svg>
</div>

<h2>Worst pages</h2>
<div class="card">
<table>
<tr><th>grade</th><th>page</th><th>what to fix</th></tr>
{{range .Worst}}<tr><td><b style="color:{{gradeColorOf .Grade}}">{{.Grade}}</b> {{.Score}}</td><td class="what">{{.Route}}</td><td>
{{range .Rules}}{{if lt .Score 100}}<div><b>{{.ID}}</b> {{.Score}}: {{.Name}}
{{range .Offenders}}<div class="what">{{.What}}</div><div class="fix">{{.Fix}}</div>{{end}}</div>{{end}}{{end}}
</td></tr>
{{end}}</table>
</div>
</main>
</body>
</html>
`))
