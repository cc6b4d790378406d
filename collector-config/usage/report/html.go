package report

import (
	"html/template"
	"io"
	"time"
)

// page is one self-contained HTML document: inline CSS and inline SVG, no
// script, and a Content-Security-Policy that forbids any fetch, so that
// nothing in it reaches the network and no value from a span can run.
var page = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Usage report{{if .R.Tool}}: {{.R.Tool}}{{end}}</title>
<style>
body { font: 14px/1.4 system-ui, "Liberation Sans", Arial, sans-serif; color: #222; margin: 1.5em auto; max-width: 1250px; padding: 0 1em; }
h1 { font-size: 1.5em; margin-bottom: .2em; }
h2 { font-size: 1.15em; margin: 1.6em 0 .4em; border-bottom: 1px solid #ddd; }
p.meta, p.note { color: #666; margin: .2em 0 .6em; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(560px, 1fr)); gap: 1em; }
.chart { border: 1px solid #e4e4e4; border-radius: 4px; padding: .4em; background: #fff; }
.chart svg { width: 100%; height: auto; }
.tables { display: grid; grid-template-columns: repeat(auto-fit, minmax(380px, 1fr)); gap: 0 2em; align-items: start; }
table { border-collapse: collapse; margin: .3em 0 1em; font-size: 13px; }
th, td { padding: .15em .6em; border-bottom: 1px solid #eee; text-align: left; white-space: nowrap; }
th { background: #f6f6f6; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.scroll { max-height: 22em; overflow-y: auto; }
</style>
</head>
<body>
<h1>Usage report{{if .R.Tool}}: {{.R.Tool}}{{end}}</h1>
<p class="meta">{{.R.Invocations}} invocations by {{.R.Users}} users{{if not .R.First.IsZero}}, {{.First}} to {{.Last}}{{end}}{{if not .R.Since.IsZero}} (since {{.Since}}){{end}}. Made {{.Made}} by <code>usage report</code> from the collector's file export.</p>
<div class="charts">
{{range .Charts}}<div class="chart">{{.}}</div>
{{end}}</div>
{{range .Tables}}
<section id="{{.ID}}">
<h2>{{.Title}}</h2>
{{if .Note}}<p class="note">{{.Note}}</p>{{end}}
{{if .Rows}}<div class="scroll"><table>
{{if .Head}}<tr>{{range .T.Columns}}<th>{{.}}</th>{{end}}</tr>{{end}}
{{range .Rows}}<tr>{{range .}}<td{{if .Num}} class="n"{{end}}>{{.V}}</td>{{end}}</tr>
{{end}}</table></div>{{else}}<p class="note">(none)</p>{{end}}
</section>
{{end}}
</body>
</html>
`))

type cell struct {
	V   string
	Num bool
}

type htmlTable struct {
	T         Table
	ID, Title string
	Note      string
	Head      bool
	Rows      [][]cell
}

// WriteHTML renders the report as one self-contained page with charts.
func (r *Report) WriteHTML(w io.Writer, now time.Time) error {
	var charts []template.HTML
	for _, f := range []func() (string, error){r.ActivesChart, r.CommandsChart, r.VersionsChart, r.RetentionChart} {
		s, err := f()
		if err != nil {
			return err
		}
		// gonum/plot's SVG canvas escapes every text it draws (svgo).
		charts = append(charts, template.HTML(s))
	}
	var tables []htmlTable
	for _, t := range r.Tables() {
		ht := htmlTable{T: t, ID: t.ID, Title: t.Title, Note: t.Note}
		for _, c := range t.Columns {
			if c != "" {
				ht.Head = true
			}
		}
		for _, row := range t.Rows {
			var cells []cell
			for i, v := range row {
				cells = append(cells, cell{V: v, Num: i > 0 && numeric(v)})
			}
			ht.Rows = append(ht.Rows, cells)
		}
		tables = append(tables, ht)
	}
	return page.Execute(w, map[string]any{
		"R": r, "Charts": charts, "Tables": tables,
		"First": timeOrNone(r.First), "Last": timeOrNone(r.Last), "Since": timeOrNone(r.Since),
		"Made": now.UTC().Format(time.RFC3339),
	})
}
