package synth

import (
	"crypto/sha512"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/anontel/anontel/collector-config/usage/exportfile"
)

// Config shapes the synthetic population.
type Config struct {
	Seed     uint64
	Users    int
	Projects int
	Weeks    int       // weeks of activity; releases come out every 3 weeks
	Start    time.Time // a Monday, 00:00 UTC
	CIShare  float64   // share of users that are CI machines
	Tool     string
}

// Demo is the configuration of the README's demo data and the exact-answer
// tests.
func Demo() Config {
	return Config{Seed: 9, Users: 120, Projects: 40, Weeks: 12,
		Start: time.Date(2026, 8, 31, 0, 0, 0, 0, time.UTC), CIShare: 0.15, Tool: "pipectl"}
}

// Event is one invocation as the client records it: what the span carries,
// with every argument value already masked.
type Event struct {
	TraceID        [16]byte
	SpanID         [8]byte
	Time           time.Time
	Duration       time.Duration
	UserID         string // "" when no id could be kept
	ProjectID      string // "" outside a project
	Command        string // command path after the tool; "" for the tool alone
	Args           []string
	ExitCode       int
	ErrorType      string
	CI             bool
	Consent        string
	Version        string
	GoVersion      string
	OS, Arch       string
	Datasets       int // with ProjectID only
	Nodes          int
	Pipelines      int
	NewTools       []string // new only
	NewExample     bool     // new only
	DistroVersion  string
	TelemetryValue string // new only: the --telemetry value given, or ""
}

// Releases are the tool versions and the week each came out.
var Releases = []struct {
	Version string
	Week    int
}{{"0.1.0", 0}, {"0.2.0", 3}, {"0.3.0", 6}, {"0.4.0", 9}}

var (
	goVersions = []string{"go1.25.9", "go1.26.8", "go1.26.8", "go1.26.8"}
	platforms  = [][2]string{{"linux", "amd64"}, {"linux", "amd64"}, {"darwin", "arm64"}, {"darwin", "arm64"}, {"windows", "amd64"}, {"linux", "arm64"}}
	allTools   = []string{"lint", "test", "log", "docs", "data", "pyspark", "viz"}
	errorTypes = []string{"*fs.PathError", "main.usageError", "_OTHER", "*fs.PathError", "*fs.PathError"}
)

type user struct {
	id       string
	joinWeek int
	ci       bool
	explicit bool
	goVer    string
	plat     [2]string
	lag      int // weeks before upgrading to a new release
	projects []int
	retain   float64
}

type project struct {
	id                         string
	datasets, nodes, pipelines int
}

// Generate makes the events of cfg, in time order. The same config gives
// the same events.
func Generate(cfg Config) []Event {
	r := rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x5eed))
	projects := make([]project, cfg.Projects)
	for i := range projects {
		h := sha512.Sum512(fmt.Appendf(nil, "project-%d-%d%s", cfg.Seed, i, "pkg"))
		projects[i] = project{id: hex.EncodeToString(h[:]), datasets: 1 + r.IntN(8), nodes: 1 + r.IntN(6), pipelines: 1 + r.IntN(3)}
	}
	users := make([]user, cfg.Users)
	for i := range users {
		u := &users[i]
		var b [16]byte
		binary.BigEndian.PutUint64(b[:8], r.Uint64())
		binary.BigEndian.PutUint64(b[8:], r.Uint64())
		b[6] = b[6]&0x0f | 0x40
		b[8] = b[8]&0x3f | 0x80
		u.id = fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
		// More users join early; some in every week.
		u.joinWeek = min(cfg.Weeks-1, int(float64(cfg.Weeks)*r.Float64()*r.Float64()*1.3))
		u.ci = r.Float64() < cfg.CIShare
		u.explicit = !u.ci && r.Float64() < 0.25
		u.goVer = goVersions[r.IntN(len(goVersions))]
		u.plat = platforms[r.IntN(len(platforms))]
		u.lag = r.IntN(4)
		u.retain = 0.55 + 0.4*r.Float64()
		if u.ci {
			u.retain = 0.97
		}
		for range 1 + r.IntN(3) {
			if cfg.Projects > 0 {
				u.projects = append(u.projects, r.IntN(cfg.Projects))
			}
		}
	}

	var events []Event
	for ui := range users {
		u := &users[ui]
		for w := u.joinWeek; w < cfg.Weeks; w++ {
			if w > u.joinWeek && r.Float64() > u.retain {
				continue // not active this week
			}
			days := 1 + r.IntN(4)
			if u.ci {
				days = 5
			}
			for d := range days {
				day := cfg.Start.AddDate(0, 0, 7*w+min(6, d*7/days+r.IntN(2)))
				for range 1 + r.IntN(6) {
					t := day.Add(time.Duration(r.Int64N(int64(24 * time.Hour)))).Truncate(time.Microsecond)
					events = append(events, makeEvent(r, cfg, u, projects, w, t))
				}
			}
		}
	}
	sort.Slice(events, func(i, j int) bool { return events[i].Time.Before(events[j].Time) })
	return events
}

func versionAt(week, lag int) string {
	v := Releases[0].Version
	for _, rel := range Releases {
		if week >= rel.Week+lag {
			v = rel.Version
		}
	}
	return v
}

func makeEvent(r *rand.Rand, cfg Config, u *user, projects []project, week int, t time.Time) Event {
	e := Event{
		Time: t, Duration: time.Duration(50+r.IntN(5000)) * time.Millisecond,
		UserID: u.id, CI: u.ci, Consent: "implicit",
		Version: versionAt(week, u.lag), GoVersion: u.goVer, OS: u.plat[0], Arch: u.plat[1],
		DistroVersion: "0.1.0",
	}
	binary.BigEndian.PutUint64(e.TraceID[:8], r.Uint64())
	binary.BigEndian.PutUint64(e.TraceID[8:], r.Uint64())
	binary.BigEndian.PutUint64(e.SpanID[:], r.Uint64()|1)
	if u.explicit {
		e.Consent = "explicit"
	}
	if r.IntN(100) == 0 {
		e.UserID = "" // no id could be kept (read-only home)
	}
	tool := cfg.Tool
	inProject := func() {
		if len(u.projects) == 0 {
			return
		}
		p := &projects[u.projects[r.IntN(len(u.projects))]]
		// Projects grow over time.
		if r.IntN(10) == 0 {
			p.datasets++
			p.nodes += r.IntN(2)
		}
		e.ProjectID, e.Datasets, e.Nodes, e.Pipelines = p.id, p.datasets, p.nodes, p.pipelines
	}
	x := r.IntN(100)
	if u.ci {
		x = r.IntN(50) // CI runs pipelines and lists them
	}
	switch {
	case x < 45:
		e.Command = "run"
		inProject()
		e.Args = []string{tool, "run"}
		if r.IntN(3) == 0 {
			e.Args = append(e.Args, "--pipeline", "*****")
		}
		if r.IntN(4) == 0 {
			e.Args = append(e.Args, "-e", "*****")
		}
		switch r.IntN(5) {
		case 0:
			e.Args = append(e.Args, "--runner", "parallel")
		case 1:
			e.Args = append(e.Args, "--runner=sequential")
		case 2:
			e.Args = append(e.Args, "--runner", "*****")
		}
		if r.IntN(8) == 0 {
			e.Args = append(e.Args, "--async")
		}
		if r.IntN(12) == 0 {
			e.ExitCode, e.ErrorType = 1, errorTypes[r.IntN(len(errorTypes))]
		}
	case x < 50:
		e.Command = "pipeline list"
		inProject()
		e.Args = []string{tool, "pipeline", "list"}
	case x < 65:
		e.Command = "info"
		e.Args = []string{tool, "info"}
	case x < 73:
		e.Command = "catalog list"
		inProject()
		e.Args = []string{tool, "catalog", "list"}
		if r.IntN(3) == 0 {
			e.Args = append(e.Args, "--pipeline=*****")
		}
		if r.IntN(15) == 0 {
			e.ExitCode, e.ErrorType = 1, "*fs.PathError"
		}
	case x < 80:
		e.Command = "pipeline create"
		inProject()
		e.Args = []string{tool, "pipeline", "create", "*****"}
		if r.IntN(10) == 0 {
			e.ExitCode, e.ErrorType = 1, "main.usageError"
		}
	case x < 88:
		e.Command = "new"
		e.Args = []string{tool, "new", "--name", "*****"}
		if r.IntN(2) == 0 {
			n := 1 + r.IntN(3)
			perm := r.Perm(len(allTools))[:n]
			sort.Ints(perm)
			for _, i := range perm {
				e.NewTools = append(e.NewTools, allTools[i])
			}
			e.Args = append(e.Args, "--tools", strings.Join(e.NewTools, ","))
		}
		if e.NewTools == nil {
			e.NewTools = []string{}
		}
		if r.IntN(3) == 0 {
			e.NewExample = true
			e.Args = append(e.Args, "--example", "yes")
		}
		switch r.IntN(6) {
		case 0:
			e.TelemetryValue = "no"
			e.Args = append(e.Args, "--telemetry=no")
		case 1:
			e.TelemetryValue = "yes"
			e.Args = append(e.Args, "--telemetry", "yes")
		}
	case x < 95:
		e.Command = "telemetry status"
		e.Args = []string{tool, "telemetry", "status"}
	default:
		// An unknown command: the span is named after the tool alone.
		e.Command = ""
		e.Args = []string{tool, "*****"}
		e.ExitCode, e.ErrorType = 1, "main.usageError"
	}
	return e
}

// Traces builds the OTLP request that carries events: one resource per
// event, as the client sends one invocation per request; the collector's
// batching puts several in one request, which is what the file holds.
func Traces(events []Event, tool string) ptrace.Traces {
	td := ptrace.NewTraces()
	for i := range events {
		e := &events[i]
		rs := td.ResourceSpans().AppendEmpty()
		ra := rs.Resource().Attributes()
		ra.PutStr("service.name", tool)
		ra.PutStr("service.version", e.Version)
		ra.PutStr("telemetry.distro.name", "anontel")
		ra.PutStr("telemetry.distro.version", e.DistroVersion)
		ra.PutStr("process.runtime.name", "go")
		ra.PutStr("process.runtime.version", e.GoVersion)
		ra.PutStr("os.type", e.OS)
		ra.PutStr("host.arch", e.Arch)
		ss := rs.ScopeSpans().AppendEmpty()
		ss.Scope().SetName("github.com/anontel/anontel/instrument")
		ss.Scope().SetVersion(e.DistroVersion)
		s := ss.Spans().AppendEmpty()
		s.SetTraceID(pcommon.TraceID(e.TraceID))
		s.SetSpanID(pcommon.SpanID(e.SpanID))
		name := tool
		if e.Command != "" {
			name += " " + e.Command
		}
		s.SetName(name)
		s.SetKind(ptrace.SpanKindInternal)
		s.SetStartTimestamp(pcommon.NewTimestampFromTime(e.Time))
		s.SetEndTimestamp(pcommon.NewTimestampFromTime(e.Time.Add(e.Duration)))
		a := s.Attributes()
		a.PutBool("cli.ci", e.CI)
		a.PutStr("cli.consent", e.Consent)
		if e.ProjectID != "" {
			a.PutInt("cli.project.datasets", int64(e.Datasets))
			a.PutStr("cli.project.id", e.ProjectID)
			a.PutInt("cli.project.nodes", int64(e.Nodes))
			a.PutInt("cli.project.pipelines", int64(e.Pipelines))
		}
		if e.Command == "new" {
			tools := a.PutEmptySlice("cli.new.tools")
			for _, t := range e.NewTools {
				tools.AppendEmpty().SetStr(t)
			}
			a.PutBool("cli.new.example_pipeline", e.NewExample)
		}
		if e.UserID != "" {
			a.PutStr("enduser.pseudo.id", e.UserID)
		}
		args := a.PutEmptySlice("process.command_args")
		for _, t := range e.Args {
			args.AppendEmpty().SetStr(t)
		}
		a.PutStr("process.command_line", strings.Join(e.Args, " "))
		a.PutStr("process.executable.name", tool)
		a.PutInt("process.exit.code", int64(e.ExitCode))
		a.PutInt("process.pid", 1000+int64(e.SpanID[7]))
		if e.ExitCode != 0 {
			a.PutStr("error.type", e.ErrorType)
			s.Status().SetCode(ptrace.StatusCodeError)
			ev := s.Events().AppendEmpty()
			ev.SetName("exception")
			ev.Attributes().PutStr("exception.type", e.ErrorType)
		}
	}
	return td
}

// Write writes events as the file exporter would, batch events per record.
func Write(w *exportfile.Writer, events []Event, tool string, batch int) error {
	for i := 0; i < len(events); i += batch {
		if err := w.Write(Traces(events[i:min(len(events), i+batch)], tool)); err != nil {
			return err
		}
	}
	return nil
}
