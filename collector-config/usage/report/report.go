package report

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"
)

// Options filter what the report covers.
type Options struct {
	Since time.Time // zero: from the start
	Tool  string    // service.name; "": every tool
}

// Report answers the seven groups of questions. Every number is a count
// from the invocations view; shares are computed from those counts.
type Report struct {
	Tool        string    `json:"tool,omitempty"`
	Since       time.Time `json:"since,omitzero"`
	Invocations int64     `json:"invocations"`
	Users       int64     `json:"users"`
	First       time.Time `json:"first,omitzero"`
	Last        time.Time `json:"last,omitzero"`
	Tools       []Count   `json:"tools"` // service.name
	// Skipped counts the spans, of every tool and time, that load skipped
	// as outside the span contract.
	Skipped int64 `json:"skipped_at_load"`

	// 1. active users
	Daily     []Period `json:"daily"`
	Weekly    []Week   `json:"weekly"`
	Monthly   []Period `json:"monthly"`
	Retention []Cohort `json:"retention"`
	// 2. commands
	Commands []Command `json:"commands"`
	// 3. flags
	Flags      []FlagUse   `json:"flags"`
	FlagValues []FlagValue `json:"flag_values"`
	// 4. versions and platforms
	Versions   []VersionWeek `json:"versions"`
	GoVersions []Count       `json:"go_versions"`
	Platforms  []Count       `json:"platforms"`
	// 5. projects
	Projects Projects `json:"projects"`
	// 6. new
	New New `json:"new"`
	// 7. CI and consent
	CI      []Count `json:"ci"`
	Consent []Count `json:"consent"`
}

// Period is a day or a month (UTC) with its active users.
type Period struct {
	Start       time.Time `json:"start"`
	Users       int64     `json:"users"`
	Invocations int64     `json:"invocations"`
}

// Week is an ISO week (from Monday, UTC). New users are those whose first
// invocation (of the tool, at any time) is in this week; the others active
// in it are returning.
type Week struct {
	Start       time.Time `json:"start"`
	Users       int64     `json:"users"`
	New         int64     `json:"new"`
	Returning   int64     `json:"returning"`
	Invocations int64     `json:"invocations"`
}

// Cohort is the users whose first week is Start, and how many of them were
// active k weeks later (Active[0] is the cohort's size).
type Cohort struct {
	Start  time.Time `json:"start"`
	Active []int64   `json:"active"`
}

// Command is a command path ("" for the tool alone: an unknown command).
type Command struct {
	Command     string  `json:"command"`
	Invocations int64   `json:"invocations"`
	Users       int64   `json:"users"`
	Failures    int64   `json:"failures"`
	FailureRate float64 `json:"failure_rate"`
	TopError    string  `json:"top_error,omitempty"`
	TopErrorN   int64   `json:"top_error_count,omitempty"`
}

// FlagUse counts the invocations of a command that used a flag.
type FlagUse struct {
	Command     string `json:"command"`
	Flag        string `json:"flag"`
	Invocations int64  `json:"invocations"`
	Users       int64  `json:"users"`
}

// FlagValue counts a flag's values: allow-listed ones as they are, the
// others masked ("*****"); each element of a list value (--tools lint,viz)
// counts once. Share is of all the flag's values.
type FlagValue struct {
	Command string  `json:"command"`
	Flag    string  `json:"flag"`
	Value   string  `json:"value"`
	Uses    int64   `json:"uses"`
	Share   float64 `json:"share"`
}

// VersionWeek is the share of a week's active users who ran a version (a
// user who upgraded during the week counts for both).
type VersionWeek struct {
	Start   time.Time `json:"start"`
	Version string    `json:"version"`
	Users   int64     `json:"users"`
	Share   float64   `json:"share"`
}

// Count is invocations and users of one value.
type Count struct {
	Value       string  `json:"value"`
	Invocations int64   `json:"invocations"`
	Users       int64   `json:"users"`
	Share       float64 `json:"share"` // of invocations
}

// Dist is a distribution by nearest-rank percentiles (each an actual value).
type Dist struct {
	N   int64 `json:"n"`
	P50 int64 `json:"p50"`
	P90 int64 `json:"p90"`
	Max int64 `json:"max"`
}

// Projects describes the hashed projects seen. Datasets, nodes and
// pipelines are each project's latest figures.
type Projects struct {
	Projects        int64 `json:"projects"`
	ProjectsPerUser Dist  `json:"projects_per_user"`
	Datasets        Dist  `json:"datasets"`
	Nodes           Dist  `json:"nodes"`
	Pipelines       Dist  `json:"pipelines"`
}

// New describes the `new` command's choices.
type New struct {
	Invocations  int64   `json:"invocations"`
	Tools        []Count `json:"tools"` // Share: of new invocations that recorded tools
	Example      int64   `json:"example"`
	ExampleShare float64 `json:"example_share"`
	// Telemetry counts the --telemetry value given to new: yes, no, or
	// "not given" (masked values: "*****"). What projects created with no
	// do afterwards cannot be known: they send nothing.
	Telemetry []Count `json:"telemetry"`
}

// Build runs the report's queries.
func Build(ctx context.Context, db *sql.DB, o Options) (*Report, error) {
	r := &Report{Tool: o.Tool, Since: o.Since}
	// The queries are written for the invocations view; they run on the
	// same rows with numbers for ids, which count alike and faster.
	q := &querier{ctx: ctx, db: db, o: o, view: "invocations_by_key"}
	if err := db.QueryRowContext(ctx, "SELECT coalesce(max(user_key), -1) FROM users").Scan(&q.maxUser); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	// The totals and actives come first (the other groups' shares divide by
	// them); the other groups are independent queries, run side by side so
	// that both cores stay busy.
	for _, step := range []func(*querier, *Report) error{totals, actives} {
		if err := step(q, r); err != nil {
			return nil, err
		}
	}
	steps := []func(*querier, *Report) error{retention, commands, flags, versions, projects, newCmd, modes}
	errs := make([]error, len(steps))
	var wg sync.WaitGroup
	for i, step := range steps {
		wg.Go(func() { errs[i] = step(q, r) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	// A week's new users are its cohort's users active in it.
	for i := range r.Weekly {
		w := &r.Weekly[i]
		if c, ok := slices.BinarySearchFunc(r.Retention, w.Start, func(c Cohort, t time.Time) int { return c.Start.Compare(t) }); ok {
			w.New = r.Retention[c].Active[0]
			w.Returning = w.Users - w.New
		}
	}
	return r, nil
}

type querier struct {
	ctx  context.Context
	db   *sql.DB
	o    Options
	view string
	// maxUser is the largest user number, -1 if none.
	maxUser int64
}

// users is the aggregate that counts the distinct users of col. The ids are
// numbers 0..maxUser, so a bit set per group counts them exactly, several
// times faster and in a fraction of the memory of count(DISTINCT).
func (q *querier) users(col string) string {
	if q.maxUser < 0 {
		return "count(DISTINCT " + col + ")"
	}
	return fmt.Sprintf("coalesce(bit_count(bitstring_agg(%s, 0, %d)), 0)", col, q.maxUser)
}

// with prefixes a query with the CTEs inv (the invocations in the report's
// window) and tool_inv (of the tool at any time, to tell new users).
func (q *querier) with(body string) (string, []any) {
	var where, toolWhere []string
	var args []any
	if q.o.Tool != "" {
		toolWhere = append(toolWhere, "service_name = $tool")
		args = append(args, sql.Named("tool", q.o.Tool))
	}
	where = append(where, toolWhere...)
	if !q.o.Since.IsZero() {
		where = append(where, "start_time >= $since")
		args = append(args, sql.Named("since", q.o.Since.UTC()))
	}
	cond := func(c []string) string {
		if len(c) == 0 {
			return ""
		}
		return " WHERE " + strings.Join(c, " AND ")
	}
	return "WITH inv AS (SELECT * FROM " + q.view + cond(where) + "),\n" +
		"tool_inv AS (SELECT * FROM " + q.view + cond(toolWhere) + ")\n" + body, args
}

// each runs a query and calls scan for each row.
func (q *querier) each(body string, scan func(*sql.Rows) error) error {
	query, args := q.with(body)
	rows, err := q.db.QueryContext(q.ctx, query, args...)
	if err != nil {
		return fmt.Errorf("report query %q: %w", firstLine(body), err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return fmt.Errorf("report query %q: %w", firstLine(body), err)
		}
	}
	return rows.Err()
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i > 0 {
		return s[:i]
	}
	return s
}

func totals(q *querier, r *Report) error {
	err := q.each(`SELECT count(*), `+q.users("enduser_pseudo_id")+`, min(start_time), max(start_time) FROM inv`,
		func(rows *sql.Rows) error {
			var first, last sql.NullTime
			err := rows.Scan(&r.Invocations, &r.Users, &first, &last)
			r.First, r.Last = first.Time, last.Time
			return err
		})
	if err != nil {
		return err
	}
	r.Tools, err = counts(q, r, "service_name")
	if err != nil {
		return err
	}
	return q.db.QueryRowContext(q.ctx, "SELECT coalesce(sum(spans), 0) FROM skipped_spans").Scan(&r.Skipped)
}

func actives(q *querier, r *Report) error {
	period := func(unit string, out *[]Period, weeks *[]Week) error {
		return q.each(`SELECT date_trunc('`+unit+`', start_time) AS p, `+q.users("enduser_pseudo_id")+`, count(*)
			FROM inv GROUP BY p ORDER BY p`, func(rows *sql.Rows) error {
			var p Period
			err := rows.Scan(&p.Start, &p.Users, &p.Invocations)
			if weeks != nil {
				*weeks = append(*weeks, Week{Start: p.Start, Users: p.Users, Returning: p.Users, Invocations: p.Invocations})
			} else {
				*out = append(*out, p)
			}
			return err
		})
	}
	if err := period("day", &r.Daily, nil); err != nil {
		return err
	}
	if err := period("month", &r.Monthly, nil); err != nil {
		return err
	}
	// New and returning users come with the retention cohorts.
	return period("week", nil, &r.Weekly)
}

func retention(q *querier, r *Report) error {
	sinceWeek := time.Time{}
	if !q.o.Since.IsZero() {
		sinceWeek = weekStart(q.o.Since)
	}
	byStart := map[time.Time]*Cohort{}
	if q.maxUser < 0 {
		return nil // no user ids at all
	}
	// A bit set of users per cohort (first week) and per active week: the
	// cohort's users active k weeks later are the bits of both.
	bits := func(col string) string { return fmt.Sprintf("bitstring_agg(%s, 0, %d)", col, q.maxUser) }
	err := q.each(`, firsts AS (
			SELECT enduser_pseudo_id AS u, min(date_trunc('week', start_time)) AS fw
			FROM tool_inv WHERE enduser_pseudo_id IS NOT NULL GROUP BY u),
		cohorts AS (SELECT fw, `+bits("u")+` AS b FROM firsts GROUP BY fw),
		act AS (SELECT date_trunc('week', start_time) AS wk, `+bits("enduser_pseudo_id")+` AS b
			FROM inv WHERE enduser_pseudo_id IS NOT NULL GROUP BY wk)
		SELECT fw, CAST((wk::DATE - fw::DATE) / 7 AS BIGINT) AS k, bit_count(cohorts.b & act.b) AS n
		FROM cohorts JOIN act ON act.wk >= cohorts.fw
		WHERE n > 0 ORDER BY fw, k`, func(rows *sql.Rows) error {
		var fw time.Time
		var k, n int64
		if err := rows.Scan(&fw, &k, &n); err != nil {
			return err
		}
		if fw.Before(sinceWeek) {
			return nil // a cohort that started before the window
		}
		c := byStart[fw]
		if c == nil {
			c = &Cohort{Start: fw}
			byStart[fw] = c
		}
		for int64(len(c.Active)) <= k {
			c.Active = append(c.Active, 0)
		}
		c.Active[k] = n
		return nil
	})
	for _, c := range byStart {
		r.Retention = append(r.Retention, *c)
	}
	slices.SortFunc(r.Retention, func(a, b Cohort) int { return a.Start.Compare(b.Start) })
	return err
}

func commands(q *querier, r *Report) error {
	err := q.each(`SELECT command, count(*), `+q.users("enduser_pseudo_id")+`,
			count(*) FILTER (WHERE process_exit_code <> 0)
		FROM inv GROUP BY command ORDER BY count(*) DESC, command`, func(rows *sql.Rows) error {
		var c Command
		err := rows.Scan(&c.Command, &c.Invocations, &c.Users, &c.Failures)
		c.FailureRate = ratio(c.Failures, c.Invocations)
		r.Commands = append(r.Commands, c)
		return err
	})
	if err != nil {
		return err
	}
	top := map[string]*Command{}
	for i := range r.Commands {
		top[r.Commands[i].Command] = &r.Commands[i]
	}
	// The most frequent error type per command; a tie goes to the first
	// name in byte order.
	return q.each(`SELECT command, error_type, count(*) AS n FROM inv
		WHERE process_exit_code <> 0 AND error_type IS NOT NULL
		GROUP BY command, error_type ORDER BY command, n DESC, error_type`, func(rows *sql.Rows) error {
		var cmd, et string
		var n int64
		if err := rows.Scan(&cmd, &et, &n); err != nil {
			return err
		}
		if c := top[cmd]; c != nil && c.TopError == "" {
			c.TopError, c.TopErrorN = et, n
		}
		return nil
	})
}

func flags(q *querier, r *Report) error {
	err := q.each(`, f AS (SELECT command, enduser_pseudo_id AS u,
			unnest(list_distinct(list_transform(flags, x -> x.name))) AS flag FROM inv WHERE len(flags) > 0)
		SELECT command, flag, count(*), `+q.users("u")+` FROM f
		GROUP BY command, flag ORDER BY command, count(*) DESC, flag`, func(rows *sql.Rows) error {
		var f FlagUse
		err := rows.Scan(&f.Command, &f.Flag, &f.Invocations, &f.Users)
		r.Flags = append(r.Flags, f)
		return err
	})
	if err != nil {
		return err
	}
	// A list value (--tools lint,viz) counts once per element.
	err = q.each(`, f AS (SELECT command, unnest(flags) AS fl FROM inv WHERE len(flags) > 0),
		v AS (SELECT command, fl.name AS name, unnest(string_split(fl.value, ',')) AS value FROM f WHERE fl.value <> '')
		SELECT command, name, value, count(*) FROM v
		GROUP BY ALL ORDER BY command, name, count(*) DESC, value`, func(rows *sql.Rows) error {
		var v FlagValue
		err := rows.Scan(&v.Command, &v.Flag, &v.Value, &v.Uses)
		r.FlagValues = append(r.FlagValues, v)
		return err
	})
	totals := map[[2]string]int64{}
	for _, v := range r.FlagValues {
		totals[[2]string{v.Command, v.Flag}] += v.Uses
	}
	for i := range r.FlagValues {
		v := &r.FlagValues[i]
		v.Share = ratio(v.Uses, totals[[2]string{v.Command, v.Flag}])
	}
	return err
}

func versions(q *querier, r *Report) error {
	weekly := map[time.Time]int64{}
	for _, w := range r.Weekly {
		weekly[w.Start] = w.Users
	}
	err := q.each(`SELECT date_trunc('week', start_time) AS wk, service_version, `+q.users("enduser_pseudo_id")+`
		FROM inv GROUP BY ALL ORDER BY wk, service_version`, func(rows *sql.Rows) error {
		var v VersionWeek
		err := rows.Scan(&v.Start, &v.Version, &v.Users)
		v.Share = ratio(v.Users, weekly[v.Start])
		r.Versions = append(r.Versions, v)
		return err
	})
	if err != nil {
		return err
	}
	if r.GoVersions, err = counts(q, r, "coalesce(process_runtime_version, '(unknown)')"); err != nil {
		return err
	}
	r.Platforms, err = counts(q, r, "coalesce(os_type, '?') || '/' || coalesce(host_arch, '?')")
	return err
}

// counts groups the window's invocations by an expression.
func counts(q *querier, r *Report, expr string) ([]Count, error) {
	var out []Count
	err := q.each(`SELECT `+expr+` AS v, count(*), `+q.users("enduser_pseudo_id")+` FROM inv
		GROUP BY v ORDER BY count(*) DESC, v`, func(rows *sql.Rows) error {
		var c Count
		err := rows.Scan(&c.Value, &c.Invocations, &c.Users)
		c.Share = ratio(c.Invocations, r.Invocations)
		out = append(out, c)
		return err
	})
	return out, err
}

// histogram is a distribution of small integers: value → how many.
type histogram map[int64]int64

// dist is the nearest-rank p50, p90 and max of a histogram: p is the
// smallest value with at least p of all values at or below it (what
// DuckDB's quantile_disc returns).
func (h histogram) dist() Dist {
	var d Dist
	vs := slices.Sorted(maps.Keys(h))
	for _, v := range vs {
		d.N += h[v]
	}
	if d.N == 0 {
		return d
	}
	r50, r90 := (5*d.N+9)/10, (9*d.N+9)/10 // ceil(0.5 n), ceil(0.9 n)
	var cum int64
	for _, v := range vs {
		cum += h[v]
		if cum >= r50 && d.P50 == 0 && cum-h[v] < r50 {
			d.P50 = v
		}
		if cum >= r90 && cum-h[v] < r90 {
			d.P90 = v
		}
	}
	d.Max = vs[len(vs)-1]
	return d
}

func projects(q *querier, r *Report) error {
	p := &r.Projects
	err := q.each(`SELECT count(DISTINCT cli_project_id) FROM inv`, func(rows *sql.Rows) error { return rows.Scan(&p.Projects) })
	if err != nil {
		return err
	}
	// Projects per user: users never in a project count as 0.
	perUser := histogram{}
	err = q.each(`, up AS (SELECT DISTINCT enduser_pseudo_id AS u, cli_project_id AS p FROM inv
			WHERE enduser_pseudo_id IS NOT NULL AND cli_project_id IS NOT NULL)
		SELECT v, count(*) FROM (SELECT u, count(*) AS v FROM up GROUP BY u) GROUP BY v`, func(rows *sql.Rows) error {
		var v, n int64
		err := rows.Scan(&v, &n)
		perUser[v] += n
		return err
	})
	if err != nil {
		return err
	}
	var inProjects int64
	for _, n := range perUser {
		inProjects += n
	}
	if z := r.Users - inProjects; z > 0 {
		perUser[0] = z
	}
	p.ProjectsPerUser = perUser.dist()
	// Each project's figures as of its latest invocation.
	hs := map[string]histogram{"d": {}, "n": {}, "p": {}}
	err = q.each(`, latest AS MATERIALIZED (
			SELECT arg_max(cli_project_datasets, start_time) AS d, arg_max(cli_project_nodes, start_time) AS n,
				arg_max(cli_project_pipelines, start_time) AS p
			FROM inv WHERE cli_project_id IS NOT NULL GROUP BY cli_project_id)
		SELECT 'd', d, count(*) FROM latest WHERE d IS NOT NULL GROUP BY d
		UNION ALL SELECT 'n', n, count(*) FROM latest WHERE n IS NOT NULL GROUP BY n
		UNION ALL SELECT 'p', p, count(*) FROM latest WHERE p IS NOT NULL GROUP BY p`, func(rows *sql.Rows) error {
		var k string
		var v, n int64
		err := rows.Scan(&k, &v, &n)
		hs[k][v] += n
		return err
	})
	p.Datasets, p.Nodes, p.Pipelines = hs["d"].dist(), hs["n"].dist(), hs["p"].dist()
	return err
}

func newCmd(q *querier, r *Report) error {
	n := &r.New
	var withTools, withExample int64
	err := q.each(`SELECT count(*), count(cli_new_tools), count(*) FILTER (WHERE cli_new_example_pipeline),
			count(cli_new_example_pipeline)
		FROM inv WHERE command = 'new'`, func(rows *sql.Rows) error {
		return rows.Scan(&n.Invocations, &withTools, &n.Example, &withExample)
	})
	if err != nil {
		return err
	}
	n.ExampleShare = ratio(n.Example, withExample)
	err = q.each(`, t AS (SELECT enduser_pseudo_id AS u, unnest(list_distinct(cli_new_tools)) AS tool FROM inv WHERE command = 'new')
		SELECT tool, count(*), `+q.users("u")+` FROM t GROUP BY tool ORDER BY count(*) DESC, tool`, func(rows *sql.Rows) error {
		var c Count
		err := rows.Scan(&c.Value, &c.Invocations, &c.Users)
		c.Share = ratio(c.Invocations, withTools)
		n.Tools = append(n.Tools, c)
		return err
	})
	if err != nil {
		return err
	}
	// The last --telemetry on the line wins, as with any flag.
	err = q.each(`SELECT coalesce(CASE v WHEN 'y' THEN 'yes' WHEN 'n' THEN 'no' ELSE v END, 'not given') AS choice,
			count(*), `+q.users("u")+`
		FROM (SELECT enduser_pseudo_id AS u,
			list_filter(flags, x -> x.name = '--telemetry')[-1].value AS v FROM inv WHERE command = 'new')
		GROUP BY choice ORDER BY count(*) DESC, choice`, func(rows *sql.Rows) error {
		var c Count
		err := rows.Scan(&c.Value, &c.Invocations, &c.Users)
		c.Share = ratio(c.Invocations, n.Invocations)
		n.Telemetry = append(n.Telemetry, c)
		return err
	})
	return err
}

func modes(q *querier, r *Report) error {
	return q.each(`SELECT CASE WHEN grouping(cli_ci) = 0 THEN 'ci' ELSE 'consent' END AS kind,
			CASE WHEN grouping(cli_ci) = 0 THEN (CASE WHEN cli_ci THEN 'CI' ELSE 'interactive' END) ELSE cli_consent END AS v,
			count(*), `+q.users("enduser_pseudo_id")+`
		FROM inv GROUP BY GROUPING SETS ((cli_ci), (cli_consent)) ORDER BY kind, count(*) DESC, v`, func(rows *sql.Rows) error {
		var kind string
		var c Count
		err := rows.Scan(&kind, &c.Value, &c.Invocations, &c.Users)
		c.Share = ratio(c.Invocations, r.Invocations)
		if kind == "ci" {
			r.CI = append(r.CI, c)
		} else {
			r.Consent = append(r.Consent, c)
		}
		return err
	})
}

func ratio(a, b int64) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// weekStart is the Monday 00:00 UTC of t's ISO week.
func weekStart(t time.Time) time.Time {
	t = t.UTC()
	d := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	return d.AddDate(0, 0, -((int(d.Weekday()) + 6) % 7))
}
