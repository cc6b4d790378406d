package report

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Table is one titled table of a report, as strings.
type Table struct {
	ID      string // for CSV's first column and HTML anchors
	Title   string
	Note    string
	Columns []string
	Rows    [][]string
}

func pct(f float64) string { return strconv.FormatFloat(100*f, 'f', 1, 64) + "%" }
func num(n int64) string   { return strconv.FormatInt(n, 10) }
func day(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.DateOnly)
}

// CommandLabel names a command path for people: the tool alone is an
// unknown command (the span is named after the tool only).
func CommandLabel(c string) string {
	if c == "" {
		return "(unknown command)"
	}
	return c
}

// Tables lays the report out as tables, in the order of the seven groups.
func (r *Report) Tables() []Table {
	var ts []Table
	add := func(t Table) { ts = append(ts, t) }

	window := "all time"
	if !r.Since.IsZero() {
		window = "since " + r.Since.UTC().Format(time.RFC3339)
	}
	tool := r.Tool
	if tool == "" {
		var names []string
		for _, c := range r.Tools {
			names = append(names, fmt.Sprintf("%s (%d)", c.Value, c.Invocations))
		}
		tool = "all: " + strings.Join(names, ", ")
		if len(names) == 0 {
			tool = "all (none seen)"
		}
	}
	add(Table{ID: "summary", Title: "Summary", Columns: []string{"", ""}, Rows: [][]string{
		{"tool", tool}, {"window", window},
		{"invocations", num(r.Invocations)}, {"users (distinct enduser.pseudo.id)", num(r.Users)},
		{"first invocation", timeOrNone(r.First)}, {"last invocation", timeOrNone(r.Last)},
		{"spans skipped at load (outside the span contract; all tools, all time)", num(r.Skipped)},
	}})

	// 1
	periods := func(id, title, col string, ps []Period) Table {
		t := Table{ID: id, Title: title, Columns: []string{col, "users", "invocations"}}
		for _, p := range ps {
			t.Rows = append(t.Rows, []string{day(p.Start), num(p.Users), num(p.Invocations)})
		}
		return t
	}
	add(periods("daily", "1. Active users per day (UTC)", "day", r.Daily))
	wk := Table{ID: "weekly", Title: "1. Active users per week (from Monday, UTC): new and returning",
		Note:    "new: first invocation of the tool ever in that week",
		Columns: []string{"week", "users", "new", "returning", "invocations"}}
	for _, w := range r.Weekly {
		wk.Rows = append(wk.Rows, []string{day(w.Start), num(w.Users), num(w.New), num(w.Returning), num(w.Invocations)})
	}
	add(wk)
	add(periods("monthly", "1. Active users per month", "month", r.Monthly))
	ret := Table{ID: "retention", Title: "1. Weekly retention: share of each week's new users active N weeks later",
		Columns: []string{"cohort", "users"}}
	width := 0
	for _, c := range r.Retention {
		width = max(width, len(c.Active))
	}
	for k := 1; k < width; k++ {
		ret.Columns = append(ret.Columns, "+"+strconv.Itoa(k)+"w")
	}
	for _, c := range r.Retention {
		row := []string{day(c.Start), num(c.Active[0])}
		for k := 1; k < width; k++ {
			if k < len(c.Active) {
				row = append(row, pct(ratio(c.Active[k], c.Active[0])))
			} else {
				row = append(row, "")
			}
		}
		ret.Rows = append(ret.Rows, row)
	}
	add(ret)

	// 2
	cmds := Table{ID: "commands", Title: "2. Commands by invocations and users; failures",
		Columns: []string{"command", "invocations", "users", "failures", "failure rate", "top error.type"}}
	for _, c := range r.Commands {
		top := ""
		if c.TopError != "" {
			top = fmt.Sprintf("%s (%d)", c.TopError, c.TopErrorN)
		}
		cmds.Rows = append(cmds.Rows, []string{CommandLabel(c.Command), num(c.Invocations), num(c.Users), num(c.Failures), pct(c.FailureRate), top})
	}
	add(cmds)

	// 3
	fl := Table{ID: "flags", Title: "3. Flags used with each command", Columns: []string{"command", "flag", "invocations", "users"}}
	for _, f := range r.Flags {
		fl.Rows = append(fl.Rows, []string{CommandLabel(f.Command), f.Flag, num(f.Invocations), num(f.Users)})
	}
	add(fl)
	fv := Table{ID: "flag_values", Title: "3. Flag values: allow-listed values as sent, ***** where masked",
		Note:    "each element of a list value counts; share: of the flag's values",
		Columns: []string{"command", "flag", "value", "uses", "share"}}
	for _, v := range r.FlagValues {
		fv.Rows = append(fv.Rows, []string{CommandLabel(v.Command), v.Flag, v.Value, num(v.Uses), pct(v.Share)})
	}
	add(fv)

	// 4
	add(r.versionTable())
	counts := func(id, title, col string, cs []Count) Table {
		t := Table{ID: id, Title: title, Columns: []string{col, "invocations", "users", "share"}}
		for _, c := range cs {
			t.Rows = append(t.Rows, []string{c.Value, num(c.Invocations), num(c.Users), pct(c.Share)})
		}
		return t
	}
	add(counts("go_versions", "4. Go versions", "go", r.GoVersions))
	add(counts("platforms", "4. OS × arch", "os/arch", r.Platforms))

	// 5
	p := r.Projects
	pr := Table{ID: "projects", Title: "5. Projects (hashed cli.project.id)",
		Note:    fmt.Sprintf("%d distinct projects; datasets, nodes and pipelines as of each project's latest invocation; p50/p90 are nearest-rank", p.Projects),
		Columns: []string{"per", "measure", "n", "p50", "p90", "max"}}
	for _, d := range []struct {
		per, what string
		d         Dist
	}{{"user", "projects", p.ProjectsPerUser}, {"project", "datasets", p.Datasets}, {"project", "nodes", p.Nodes}, {"project", "pipelines", p.Pipelines}} {
		pr.Rows = append(pr.Rows, []string{d.per, d.what, num(d.d.N), num(d.d.P50), num(d.d.P90), num(d.d.Max)})
	}
	add(pr)

	// 6
	n := r.New
	add(Table{ID: "new", Title: "6. new: projects created", Columns: []string{"", ""}, Rows: [][]string{
		{"new invocations", num(n.Invocations)},
		{"with the example pipeline", fmt.Sprintf("%d (%s)", n.Example, pct(n.ExampleShare))},
	}})
	add(counts("new_tools", "6. new: tools chosen", "tool", n.Tools))
	nt := counts("new_telemetry", "6. new: --telemetry given", "--telemetry", n.Telemetry)
	nt.Note = "projects created with --telemetry=no send nothing afterwards: what they do next cannot be known"
	add(nt)

	// 7
	add(counts("ci", "7. CI vs interactive", "mode", r.CI))
	add(counts("consent", "7. Consent: implicit (default) vs explicit (telemetry enable)", "consent", r.Consent))
	return ts
}

// versionTable is weeks × versions: the share of each week's active users
// on each version.
func (r *Report) versionTable() Table {
	var vs []string
	for _, v := range r.Versions {
		if !slices.Contains(vs, v.Version) {
			vs = append(vs, v.Version)
		}
	}
	slices.SortFunc(vs, compareVersions)
	t := Table{ID: "versions", Title: "4. Tool versions: share of each week's active users",
		Note: "a user who upgraded during a week counts for both versions", Columns: append([]string{"week", "users"}, vs...)}
	users := map[time.Time]int64{}
	for _, w := range r.Weekly {
		users[w.Start] = w.Users
	}
	byWeek := map[time.Time]map[string]float64{}
	var weeks []time.Time
	for _, v := range r.Versions {
		if byWeek[v.Start] == nil {
			byWeek[v.Start] = map[string]float64{}
			weeks = append(weeks, v.Start)
		}
		byWeek[v.Start][v.Version] = v.Share
	}
	for _, w := range weeks {
		row := []string{day(w), num(users[w])}
		for _, v := range vs {
			if s, ok := byWeek[w][v]; ok {
				row = append(row, pct(s))
			} else {
				row = append(row, "")
			}
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}

// compareVersions orders dotted versions numerically where they are numbers.
func compareVersions(a, b string) int {
	as, bs := strings.Split(strings.TrimPrefix(a, "v"), "."), strings.Split(strings.TrimPrefix(b, "v"), ".")
	for i := 0; i < len(as) && i < len(bs); i++ {
		x, ex := strconv.Atoi(as[i])
		y, ey := strconv.Atoi(bs[i])
		if ex == nil && ey == nil && x != y {
			return x - y
		}
		if c := strings.Compare(as[i], bs[i]); (ex != nil || ey != nil) && c != 0 {
			return c
		}
	}
	return len(as) - len(bs)
}

func timeOrNone(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

// Write renders the report in a format: text, csv, json or markdown.
func (r *Report) Write(w io.Writer, format string) error {
	switch format {
	case "", "text":
		return writeText(w, r.Tables())
	case "markdown", "md":
		return writeMarkdown(w, r.Tables())
	case "csv":
		return writeCSV(w, r.Tables())
	case "json":
		e := json.NewEncoder(w)
		e.SetIndent("", "  ")
		return e.Encode(r)
	}
	return fmt.Errorf("unknown format %q: want text, csv, json or markdown", format)
}

func writeText(w io.Writer, ts []Table) error {
	var b strings.Builder
	for i, t := range ts {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(t.Title + "\n")
		if t.Note != "" {
			b.WriteString("(" + t.Note + ")\n")
		}
		if len(t.Rows) == 0 {
			b.WriteString("  (none)\n")
			continue
		}
		widths := make([]int, len(t.Columns))
		for c, h := range t.Columns {
			widths[c] = utf8.RuneCountInString(h)
		}
		for _, row := range t.Rows {
			for c, v := range row {
				widths[c] = max(widths[c], utf8.RuneCountInString(v))
			}
		}
		line := func(cells []string) {
			b.WriteString(" ")
			for c, v := range cells {
				pad := strings.Repeat(" ", widths[c]-utf8.RuneCountInString(v))
				if c > 0 && numeric(v) {
					b.WriteString(" " + pad + v)
				} else {
					b.WriteString(" " + v + pad)
				}
			}
			b.WriteString("\n")
		}
		if strings.Join(t.Columns, "") != "" {
			line(t.Columns)
			var rule []string
			for _, wd := range widths {
				rule = append(rule, strings.Repeat("-", wd))
			}
			line(rule)
		}
		for _, row := range t.Rows {
			line(row)
		}
	}
	lines := strings.Split(b.String(), "\n")
	for i := range lines {
		lines[i] = strings.TrimRight(lines[i], " ")
	}
	_, err := io.WriteString(w, strings.Join(lines, "\n"))
	return err
}

// numeric reports whether a cell is a number or a percentage (right-aligned).
func numeric(s string) bool {
	s = strings.TrimSuffix(s, "%")
	_, err := strconv.ParseFloat(s, 64)
	return err == nil
}

func writeMarkdown(w io.Writer, ts []Table) error {
	var b strings.Builder
	esc := func(s string) string {
		s = strings.ReplaceAll(s, "|", `\|`)
		return strings.ReplaceAll(s, "*", `\*`)
	}
	for _, t := range ts {
		b.WriteString("### " + esc(t.Title) + "\n\n")
		if t.Note != "" {
			b.WriteString("_" + esc(t.Note) + "_\n\n")
		}
		if len(t.Rows) == 0 {
			b.WriteString("(none)\n\n")
			continue
		}
		cols := make([]string, len(t.Columns))
		align := make([]string, len(t.Columns))
		for c, h := range t.Columns {
			cols[c] = esc(h)
			align[c] = "---"
			if c > 0 && numeric(t.Rows[0][c]) {
				align[c] = "---:"
			}
		}
		b.WriteString("| " + strings.Join(cols, " | ") + " |\n|" + strings.Join(align, "|") + "|\n")
		for _, row := range t.Rows {
			cells := make([]string, len(row))
			for c, v := range row {
				cells[c] = esc(v)
			}
			b.WriteString("| " + strings.Join(cells, " | ") + " |\n")
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeCSV writes every table with the table's id as the first column, a
// header row per table, and an empty line between tables.
func writeCSV(w io.Writer, ts []Table) error {
	for i, t := range ts {
		if i > 0 {
			if _, err := io.WriteString(w, "\n"); err != nil {
				return err
			}
		}
		cw := csv.NewWriter(w)
		cols := slices.Clone(t.Columns)
		for c := range cols {
			if cols[c] == "" {
				cols[c] = []string{"key", "value"}[min(c, 1)]
			}
		}
		cw.Write(append([]string{"table"}, cols...))
		for _, row := range t.Rows {
			cw.Write(append([]string{t.ID}, row...))
		}
		cw.Flush()
		if err := cw.Error(); err != nil {
			return err
		}
	}
	return nil
}
