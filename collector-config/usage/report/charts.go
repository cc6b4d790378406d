package report

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"slices"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/palette"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Charts are rendered on the server with gonum/plot as SVG and inlined in
// the page: no script, no network.

var series = []color.RGBA{
	{0x1f, 0x77, 0xb4, 0xff}, {0xff, 0x7f, 0x0e, 0xff}, {0x2c, 0xa0, 0x2c, 0xff}, {0xd6, 0x27, 0x28, 0xff},
	{0x94, 0x67, 0xbd, 0xff}, {0x8c, 0x56, 0x4b, 0xff}, {0xe3, 0x77, 0xc2, 0xff}, {0x7f, 0x7f, 0x7f, 0xff},
	{0xbc, 0xbd, 0x22, 0xff}, {0x17, 0xbe, 0xcf, 0xff},
}

func newPlot(title, x, y string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font.Size = 13
	p.X.Label.Text, p.Y.Label.Text = x, y
	p.Legend.Top = true
	p.Add(plotter.NewGrid())
	return p
}

// svg renders a plot and returns the <svg> element alone (the prolog and
// doctype are for standalone files, not for inline use).
func svg(p *plot.Plot, w, h vg.Length) (string, error) {
	c := vgsvg.New(w, h)
	p.Draw(draw.New(c))
	var b bytes.Buffer
	if _, err := c.WriteTo(&b); err != nil {
		return "", err
	}
	out := b.Bytes()
	if i := bytes.Index(out, []byte("<svg")); i >= 0 {
		out = out[i:]
	}
	return string(out), nil
}

func days(t time.Time) float64 { return float64(t.Unix()) / 86400 }

// dateTicks labels a time axis (in days since the epoch) with dates.
type dateTicks struct{}

func (dateTicks) Ticks(lo, hi float64) []plot.Tick {
	step := math.Max(1, math.Ceil((hi-lo)/8/7)*7) // whole weeks
	var ts []plot.Tick
	for d := math.Ceil(lo); d <= hi; d += step {
		ts = append(ts, plot.Tick{Value: d, Label: time.Unix(int64(d*86400), 0).UTC().Format("Jan 02")})
	}
	return ts
}

// ActivesChart is daily and weekly active users over time.
func (r *Report) ActivesChart() (string, error) {
	p := newPlot("Active users", "", "users")
	p.X.Tick.Marker = dateTicks{}
	var daily, weekly plotter.XYs
	for _, d := range r.Daily {
		daily = append(daily, plotter.XY{X: days(d.Start), Y: float64(d.Users)})
	}
	for _, w := range r.Weekly {
		// A week's point is drawn across its seven days.
		weekly = append(weekly, plotter.XY{X: days(w.Start), Y: float64(w.Users)}, plotter.XY{X: days(w.Start) + 7, Y: float64(w.Users)})
	}
	for i, s := range []struct {
		name string
		xys  plotter.XYs
	}{{"weekly", weekly}, {"daily", daily}} {
		if len(s.xys) == 0 {
			continue
		}
		l, err := plotter.NewLine(s.xys)
		if err != nil {
			return "", err
		}
		l.Color = series[i]
		l.Width = vg.Points(1.5)
		p.Add(l)
		p.Legend.Add(s.name, l)
	}
	p.Y.Min = 0
	p.Legend.Left = true // the curves start low
	return svg(p, 16*vg.Centimeter, 8*vg.Centimeter)
}

// CommandsChart is a horizontal bar chart of invocations and users per
// command.
func (r *Report) CommandsChart() (string, error) {
	p := newPlot("Commands", "", "")
	cmds := slices.Clone(r.Commands)
	slices.Reverse(cmds) // the most used at the top
	var inv, users plotter.Values
	var names []string
	for _, c := range cmds {
		inv = append(inv, float64(c.Invocations))
		users = append(users, float64(c.Users))
		names = append(names, CommandLabel(c.Command))
	}
	if len(names) == 0 {
		return svg(p, 16*vg.Centimeter, 4*vg.Centimeter)
	}
	w := vg.Points(7)
	for i, s := range []struct {
		name string
		v    plotter.Values
	}{{"invocations", inv}, {"users", users}} {
		b, err := plotter.NewBarChart(s.v, w)
		if err != nil {
			return "", err
		}
		b.Horizontal = true
		b.Color = series[i]
		b.LineStyle.Width = 0
		b.Offset = vg.Length(i*2-1) * w / 2
		p.Add(b)
		p.Legend.Add(s.name, b)
	}
	p.NominalY(names...)
	p.Legend.Left = false
	p.Legend.Top = false
	p.Legend.XOffs = -vg.Points(4)
	p.Legend.YOffs = vg.Points(4)
	return svg(p, 16*vg.Centimeter, vg.Length(2+len(names))*vg.Points(22))
}

// VersionsChart is the share of each week's active users per version,
// stacked.
func (r *Report) VersionsChart() (string, error) {
	p := newPlot("Version adoption (share of weekly users)", "", "share")
	p.X.Tick.Marker = dateTicks{}
	var weeks []time.Time
	var versions []string
	share := map[time.Time]map[string]float64{}
	for _, v := range r.Versions {
		if share[v.Start] == nil {
			share[v.Start] = map[string]float64{}
			weeks = append(weeks, v.Start)
		}
		share[v.Start][v.Version] = v.Share
		if !slices.Contains(versions, v.Version) {
			versions = append(versions, v.Version)
		}
	}
	slices.SortFunc(versions, compareVersions)
	base := make([]float64, len(weeks))
	for i, v := range versions {
		var lower, upper plotter.XYs
		for j, w := range weeks {
			x := days(w) + 3.5
			lower = append(lower, plotter.XY{X: x, Y: base[j]})
			base[j] += share[w][v]
			upper = append(upper, plotter.XY{X: x, Y: base[j]})
		}
		slices.Reverse(lower)
		poly, err := plotter.NewPolygon(append(upper, lower...))
		if err != nil {
			return "", err
		}
		c := series[i%len(series)]
		poly.Color = c
		poly.LineStyle.Width = vg.Points(0.5)
		poly.LineStyle.Color = color.White
		p.Add(poly)
		p.Legend.Add(v, poly)
	}
	p.Y.Min = 0
	p.Legend.Top = false
	p.Legend.Left = true
	return svg(p, 16*vg.Centimeter, 8*vg.Centimeter)
}

// retentionGrid is the cohort × weeks-after grid of retention shares.
type retentionGrid struct {
	cohorts []Cohort
	width   int
}

func (g retentionGrid) Dims() (c, r int) { return g.width, len(g.cohorts) }
func (g retentionGrid) X(c int) float64  { return float64(c) }
func (g retentionGrid) Y(r int) float64  { return float64(r) }
func (g retentionGrid) Z(c, r int) float64 {
	co := g.cohorts[len(g.cohorts)-1-r] // the first cohort at the top
	if c >= len(co.Active) || co.Active[0] == 0 {
		return math.NaN()
	}
	return ratio(co.Active[c], co.Active[0])
}

// RetentionChart is the weekly cohorts' retention as a heat map.
func (r *Report) RetentionChart() (string, error) {
	p := newPlot("Retention: share of each week's new users active N weeks later", "weeks later", "cohort (first week)")
	g := retentionGrid{cohorts: r.Retention}
	for _, c := range r.Retention {
		g.width = max(g.width, len(c.Active))
	}
	if g.width == 0 {
		return svg(p, 16*vg.Centimeter, 4*vg.Centimeter)
	}
	pal := palette.Heat(20, 1)
	h := plotter.NewHeatMap(g, pal)
	h.Min, h.Max = 0, 1
	h.NaN = color.Transparent
	p.Add(h)
	var labels plotter.XYLabels
	for row := range len(g.cohorts) {
		for col := range g.width {
			if z := g.Z(col, row); !math.IsNaN(z) {
				labels.XYs = append(labels.XYs, plotter.XY{X: float64(col), Y: float64(row)})
				labels.Labels = append(labels.Labels, fmt.Sprintf("%.0f", 100*z))
			}
		}
	}
	if len(labels.XYs) > 0 {
		l, err := plotter.NewLabels(labels)
		if err != nil {
			return "", err
		}
		for i := range l.TextStyle {
			l.TextStyle[i].Font = plot.DefaultFont
			l.TextStyle[i].Font.Size = vg.Points(7)
			l.TextStyle[i].XAlign = draw.XCenter
			l.TextStyle[i].YAlign = draw.YCenter
		}
		p.Add(l)
	}
	var ticks []plot.Tick
	for row := range len(g.cohorts) {
		ticks = append(ticks, plot.Tick{Value: float64(row), Label: g.cohorts[len(g.cohorts)-1-row].Start.UTC().Format(time.DateOnly)})
	}
	p.Y.Tick.Marker = plot.ConstantTicks(ticks)
	var xt []plot.Tick
	for col := range g.width {
		xt = append(xt, plot.Tick{Value: float64(col), Label: fmt.Sprintf("+%d", col)})
	}
	p.X.Tick.Marker = plot.ConstantTicks(xt)
	p.Legend = plot.NewLegend()
	return svg(p, 16*vg.Centimeter, vg.Length(3+len(g.cohorts))*vg.Points(18))
}

// Sans-serif reads better on screen than gonum/plot's default serif.
func init() {
	plot.DefaultFont = font.Font{Typeface: "Liberation", Variant: "Sans"}
}
