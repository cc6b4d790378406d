package report_test

import (
	"context"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/anontel/anontel/collector-config/usage/exportfile"
	"github.com/anontel/anontel/collector-config/usage/report"
	"github.com/anontel/anontel/collector-config/usage/store"
	"github.com/anontel/anontel/collector-config/usage/synth"
)

// demoDB loads the demo population of pipectl, plus a little of another
// tool, split over files of every format the exporter writes, with a
// rotation and some spans written twice (a collector retry).
func demoDB(t testing.TB) (*store.DB, []synth.Event) {
	t.Helper()
	ev := synth.Generate(synth.Demo())
	other := synth.Config{Seed: 2, Users: 10, Projects: 3, Weeks: 12, Start: synth.Demo().Start, Tool: "othertool"}
	oev := synth.Generate(other)
	dir := t.TempDir()
	write := func(name string, opts exportfile.Options, ev []synth.Event, tool string) string {
		p := filepath.Join(dir, name)
		f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		w, err := exportfile.NewWriter(f, opts)
		if err != nil {
			t.Fatal(err)
		}
		if err := synth.Write(w, ev, tool, 50); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		f.Close()
		return p
	}
	n := len(ev)
	files := []string{
		write("a.jsonl", exportfile.Options{}, ev[:n/4], "pipectl"),
		write("b.proto", exportfile.Options{Format: "proto"}, ev[n/4:n/2], "pipectl"),
		write("c.jsonl.zst", exportfile.Options{Compression: "zstd"}, ev[n/2-30:3*n/4], "pipectl"), // 30 again
		write("d.proto.zst", exportfile.Options{Format: "proto", Compression: "zstd", NativeCompression: true}, ev[3*n/4:], "pipectl"),
		write("other.jsonl", exportfile.Options{}, oev, "othertool"),
	}
	db, err := store.Open(context.Background(), filepath.Join(dir, "usage.duckdb"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	dups := 0
	for _, f := range files {
		r := db.LoadFile(context.Background(), f)
		if r.Err != nil || r.SkippedTotal() != 0 {
			t.Fatal(r)
		}
		dups += r.Duplicates
	}
	if dups != 30 {
		t.Errorf("%d duplicates, want 30", dups)
	}
	return db, append(ev, oev...)
}

func TestReportEqualsTruth(t *testing.T) {
	db, ev := demoDB(t)
	start := synth.Demo().Start
	for _, o := range []report.Options{
		{Tool: "pipectl"},
		{Tool: "pipectl", Since: start.AddDate(0, 0, 7*4+3).Add(5 * time.Hour)},
		{},
	} {
		t.Run(o.Tool+" since "+o.Since.Format(time.DateOnly), func(t *testing.T) {
			got, err := report.Build(context.Background(), db.DB, o)
			if err != nil {
				t.Fatal(err)
			}
			want := truth(ev, o)
			if want.Invocations < 1000 || len(want.Retention) < 4 {
				t.Fatalf("the demo data is too small to test anything: %d invocations", want.Invocations)
			}
			g, w := sections(t, got), sections(t, want)
			for _, k := range slices.Sorted(maps.Keys(w)) {
				if g[k] != w[k] {
					t.Errorf("%s:\n got %s\nwant %s", k, g[k], w[k])
				}
			}
		})
	}
}

// sections marshals each field of a report, to compare and show them apart.
func sections(t *testing.T, r *report.Report) map[string]string {
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]json.RawMessage
	json.Unmarshal(b, &m)
	out := map[string]string{}
	for k, v := range m {
		out[k] = string(v)
	}
	return out
}

func weekStart(t time.Time) time.Time {
	d := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	return d.AddDate(0, 0, -((int(d.Weekday()) + 6) % 7))
}

// flagsOf reads the generator's own flag spelling: every flag takes a value
// except --async, given as --flag=value or --flag value.
func flagsOf(args []string) [][2]string {
	var out [][2]string
	for i := 1; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") {
			continue
		}
		if name, v, ok := strings.Cut(a, "="); ok {
			out = append(out, [2]string{name, v})
		} else if a == "--async" {
			out = append(out, [2]string{a, ""})
		} else {
			out = append(out, [2]string{a, args[i+1]})
			i++
		}
	}
	return out
}

type set map[string]bool

func users(s set) int64 {
	delete(s, "")
	return int64(len(s))
}

func ratio(a, b int64) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// nearestRank is the smallest value with at least q (in tenths) of the
// values at or below it.
func dist(v []int64) report.Dist {
	if len(v) == 0 {
		return report.Dist{}
	}
	slices.Sort(v)
	n := int64(len(v))
	return report.Dist{N: n, P50: v[(5*n+9)/10-1], P90: v[(9*n+9)/10-1], Max: v[n-1]}
}

// truth computes the report from the generator's events by plain loops.
func truth(all []synth.Event, o report.Options) *report.Report {
	tool := func(e synth.Event) string { return e.Args[0] } // the executable is the tool
	var toolEv, ev []synth.Event
	for _, e := range all {
		if o.Tool != "" && tool(e) != o.Tool {
			continue
		}
		toolEv = append(toolEv, e)
		if !e.Time.Before(o.Since) {
			ev = append(ev, e)
		}
	}
	r := &report.Report{Tool: o.Tool, Since: o.Since, Invocations: int64(len(ev))}
	allUsers := set{}
	for i, e := range ev {
		allUsers[e.UserID] = true
		if i == 0 || e.Time.Before(r.First) {
			r.First = e.Time
		}
		if e.Time.After(r.Last) {
			r.Last = e.Time
		}
	}
	r.Users = users(allUsers)

	// 1. actives
	period := func(key func(time.Time) time.Time) []report.Period {
		u, n := map[time.Time]set{}, map[time.Time]int64{}
		for _, e := range ev {
			k := key(e.Time)
			if u[k] == nil {
				u[k] = set{}
			}
			u[k][e.UserID] = true
			n[k]++
		}
		var out []report.Period
		for _, k := range slices.SortedFunc(maps.Keys(n), time.Time.Compare) {
			out = append(out, report.Period{Start: k, Users: users(u[k]), Invocations: n[k]})
		}
		return out
	}
	r.Daily = period(func(t time.Time) time.Time { return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC) })
	r.Monthly = period(func(t time.Time) time.Time { return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC) })
	first := map[string]time.Time{}
	for _, e := range toolEv {
		if e.UserID == "" {
			continue
		}
		if f, ok := first[e.UserID]; !ok || weekStart(e.Time).Before(f) {
			first[e.UserID] = weekStart(e.Time)
		}
	}
	wu, wn := map[time.Time]set{}, map[time.Time]int64{}
	for _, e := range ev {
		k := weekStart(e.Time)
		if wu[k] == nil {
			wu[k] = set{}
		}
		wu[k][e.UserID] = true
		wn[k]++
	}
	weekly := map[time.Time]int64{}
	for _, k := range slices.SortedFunc(maps.Keys(wn), time.Time.Compare) {
		w := report.Week{Start: k, Users: users(wu[k]), Invocations: wn[k]}
		for u := range wu[k] {
			if first[u].Equal(k) {
				w.New++
			}
		}
		w.Returning = w.Users - w.New
		weekly[k] = w.Users
		r.Weekly = append(r.Weekly, w)
	}
	var sinceWeek time.Time
	if !o.Since.IsZero() {
		sinceWeek = weekStart(o.Since)
	}
	cohorts := map[time.Time]map[int]int64{}
	for wk, us := range wu {
		for u := range us {
			fw := first[u]
			if fw.Before(sinceWeek) {
				continue
			}
			if cohorts[fw] == nil {
				cohorts[fw] = map[int]int64{}
			}
			cohorts[fw][int(wk.Sub(fw).Hours()/24/7)]++
		}
	}
	for _, fw := range slices.SortedFunc(maps.Keys(cohorts), time.Time.Compare) {
		c := report.Cohort{Start: fw}
		for k := 0; k <= slices.Max(slices.Collect(maps.Keys(cohorts[fw]))); k++ {
			c.Active = append(c.Active, cohorts[fw][k])
		}
		r.Retention = append(r.Retention, c)
	}

	// 2. commands
	type cmdAcc struct {
		n, fail int64
		u       set
		errs    map[string]int64
	}
	cmds := map[string]*cmdAcc{}
	for _, e := range ev {
		c := cmds[e.Command]
		if c == nil {
			c = &cmdAcc{u: set{}, errs: map[string]int64{}}
			cmds[e.Command] = c
		}
		c.n++
		c.u[e.UserID] = true
		if e.ExitCode != 0 {
			c.fail++
			c.errs[e.ErrorType]++
		}
	}
	for name, c := range cmds {
		row := report.Command{Command: name, Invocations: c.n, Users: users(c.u), Failures: c.fail, FailureRate: ratio(c.fail, c.n)}
		for _, et := range slices.Sorted(maps.Keys(c.errs)) {
			if c.errs[et] > row.TopErrorN {
				row.TopError, row.TopErrorN = et, c.errs[et]
			}
		}
		r.Commands = append(r.Commands, row)
	}
	sort.Slice(r.Commands, func(i, j int) bool {
		a, b := r.Commands[i], r.Commands[j]
		return a.Invocations > b.Invocations || a.Invocations == b.Invocations && a.Command < b.Command
	})

	// 3. flags
	type fk struct{ cmd, flag string }
	type fvk struct{ cmd, flag, value string }
	fUse, fUsers, fVal := map[fk]int64{}, map[fk]set{}, map[fvk]int64{}
	fValTotal := map[fk]int64{}
	for _, e := range ev {
		seen := map[string]bool{}
		for _, f := range flagsOf(e.Args) {
			k := fk{e.Command, f[0]}
			if !seen[f[0]] {
				seen[f[0]] = true
				fUse[k]++
				if fUsers[k] == nil {
					fUsers[k] = set{}
				}
				fUsers[k][e.UserID] = true
			}
			if f[1] != "" {
				for _, v := range strings.Split(f[1], ",") {
					fVal[fvk{e.Command, f[0], v}]++
					fValTotal[k]++
				}
			}
		}
	}
	for k, n := range fUse {
		r.Flags = append(r.Flags, report.FlagUse{Command: k.cmd, Flag: k.flag, Invocations: n, Users: users(fUsers[k])})
	}
	sort.Slice(r.Flags, func(i, j int) bool {
		a, b := r.Flags[i], r.Flags[j]
		if a.Command != b.Command {
			return a.Command < b.Command
		}
		if a.Invocations != b.Invocations {
			return a.Invocations > b.Invocations
		}
		return a.Flag < b.Flag
	})
	for k, n := range fVal {
		r.FlagValues = append(r.FlagValues, report.FlagValue{Command: k.cmd, Flag: k.flag, Value: k.value, Uses: n,
			Share: ratio(n, fValTotal[fk{k.cmd, k.flag}])})
	}
	sort.Slice(r.FlagValues, func(i, j int) bool {
		a, b := r.FlagValues[i], r.FlagValues[j]
		if a.Command != b.Command || a.Flag != b.Flag {
			return a.Command < b.Command || a.Command == b.Command && a.Flag < b.Flag
		}
		return a.Uses > b.Uses || a.Uses == b.Uses && a.Value < b.Value
	})

	// 4. versions
	type vk struct {
		wk time.Time
		v  string
	}
	vu := map[vk]set{}
	for _, e := range ev {
		k := vk{weekStart(e.Time), e.Version}
		if vu[k] == nil {
			vu[k] = set{}
		}
		vu[k][e.UserID] = true
	}
	for k, s := range vu {
		n := users(s)
		r.Versions = append(r.Versions, report.VersionWeek{Start: k.wk, Version: k.v, Users: n, Share: ratio(n, weekly[k.wk])})
	}
	sort.Slice(r.Versions, func(i, j int) bool {
		a, b := r.Versions[i], r.Versions[j]
		return a.Start.Before(b.Start) || a.Start.Equal(b.Start) && a.Version < b.Version
	})
	count := func(key func(synth.Event) string, evs []synth.Event, total int64) []report.Count {
		n, u := map[string]int64{}, map[string]set{}
		for _, e := range evs {
			k := key(e)
			n[k]++
			if u[k] == nil {
				u[k] = set{}
			}
			u[k][e.UserID] = true
		}
		var out []report.Count
		for k, c := range n {
			out = append(out, report.Count{Value: k, Invocations: c, Users: users(u[k]), Share: ratio(c, total)})
		}
		sort.Slice(out, func(i, j int) bool {
			return out[i].Invocations > out[j].Invocations || out[i].Invocations == out[j].Invocations && out[i].Value < out[j].Value
		})
		return out
	}
	r.Tools = count(tool, ev, r.Invocations)
	r.GoVersions = count(func(e synth.Event) string { return e.GoVersion }, ev, r.Invocations)
	r.Platforms = count(func(e synth.Event) string { return e.OS + "/" + e.Arch }, ev, r.Invocations)

	// 5. projects
	perUser := map[string]set{}
	latest := map[string]synth.Event{}
	for _, e := range ev {
		if e.UserID != "" {
			if perUser[e.UserID] == nil {
				perUser[e.UserID] = set{}
			}
			if e.ProjectID != "" {
				perUser[e.UserID][e.ProjectID] = true
			}
		}
		if e.ProjectID != "" {
			if l, ok := latest[e.ProjectID]; !ok || e.Time.After(l.Time) {
				latest[e.ProjectID] = e
			}
		}
	}
	var pu, ds, ns, ps []int64
	for _, s := range perUser {
		pu = append(pu, int64(len(s)))
	}
	for _, e := range latest {
		ds, ns, ps = append(ds, int64(e.Datasets)), append(ns, int64(e.Nodes)), append(ps, int64(e.Pipelines))
	}
	r.Projects = report.Projects{Projects: int64(len(latest)), ProjectsPerUser: dist(pu), Datasets: dist(ds), Nodes: dist(ns), Pipelines: dist(ps)}

	// 6. new
	var news []synth.Event
	for _, e := range ev {
		if e.Command == "new" {
			news = append(news, e)
		}
	}
	r.New.Invocations = int64(len(news))
	var toolsEv []synth.Event
	for _, e := range news {
		if e.NewExample {
			r.New.Example++
		}
		for _, tl := range e.NewTools {
			te := e
			te.NewTools = []string{tl}
			toolsEv = append(toolsEv, te)
		}
	}
	r.New.ExampleShare = ratio(r.New.Example, r.New.Invocations)
	r.New.Tools = count(func(e synth.Event) string { return e.NewTools[0] }, toolsEv, r.New.Invocations)
	r.New.Telemetry = count(func(e synth.Event) string {
		if e.TelemetryValue == "" {
			return "not given"
		}
		return e.TelemetryValue
	}, news, r.New.Invocations)

	// 7. CI, consent
	r.CI = count(func(e synth.Event) string {
		if e.CI {
			return "CI"
		}
		return "interactive"
	}, ev, r.Invocations)
	r.Consent = count(func(e synth.Event) string { return e.Consent }, ev, r.Invocations)
	return r
}
