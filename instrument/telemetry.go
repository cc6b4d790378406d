//go:build !notelemetry

package instrument

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/anontel/anontel/consent"
	"github.com/anontel/anontel/identity"
	"github.com/anontel/anontel/internal/mask"
	"github.com/anontel/anontel/internal/readlimit"
	"github.com/anontel/anontel/internal/spool"
	"github.com/anontel/anontel/internal/toolenv"
	"github.com/anontel/anontel/internal/userfile"
)

// Compiled reports whether telemetry is compiled into this build (false
// with the notelemetry build tag).
const Compiled = true

// shutdownTimeout bounds what Shutdown may spend: writing the spool is
// local and takes well under a millisecond, so this only guards against a
// wedged file system. Past it the span is lost (the SDK gives up on the
// write and the process exits), so it is not cut fine: a machine loaded
// enough to take 250 ms over the write did lose spans.
const shutdownTimeout = time.Second

// startedAt is processStart; in-process tests, whose Telemetry values all
// share one process, replace it with the time Start is called.
var startedAt = processStart

// Cobra's hidden shell-completion commands, run on every TAB: not a use of
// the tool. Named here so that a tool without cobra does not link it.
const (
	shellCompRequestCmd       = "__complete"
	shellCompNoDescRequestCmd = "__completeNoDesc"
)

// Telemetry is the telemetry of one process. Its methods are safe to call
// on a Telemetry that collects nothing.
type Telemetry struct {
	cfg      Config
	log      *slog.Logger
	stderr   io.Writer
	spoolCfg spool.Config
	userFile string            // "" when the user folder is unknown
	project  string            // project root, "" outside a project
	proj     *identity.Project // the project as read once, nil outside one
	gate     *consent.Gate
	debug    bool
	ci       bool      // run by a CI system (isCI)
	begun    time.Time // when Start was called (see processStart)
	// files reads telemetry.toml and .telemetry once per invocation, and
	// again only when one changed (consent is decided again in End).
	files readlimit.Cache

	// Set only when collecting.
	provider *sdktrace.TracerProvider
	spool    *spool.Spool
	tracer   trace.Tracer
	masked   mask.Result
}

// Start decides whether this invocation may be recorded and, if so, builds
// the pipeline that records it. It never fails: whatever goes wrong leaves
// a Telemetry that records nothing and a line in the debug log.
//
// When the process is the detached uploader that an earlier invocation
// started, Start uploads the spool and exits the process: call it first
// thing in main.
func Start(cfg Config) *Telemetry {
	t := newTelemetry(cfg)
	if spool.ClaimUpload(t.spoolCfg) {
		spool.ReleaseInherited()
		t.upload()
		os.Exit(0)
	}
	t.decide()
	if len(t.cfg.Args) > 0 && (t.cfg.Args[0] == shellCompRequestCmd || t.cfg.Args[0] == shellCompNoDescRequestCmd) {
		return t
	}
	d := t.gate.Decision()
	if !d.Enabled {
		if t.debug {
			fmt.Fprintf(t.stderr, "telemetry: nothing would be sent (%s)\n", d.Detail)
		}
		return t
	}
	if d.Implicit() && !t.noticeShown() {
		// The first run only: is this the telemetry command?
		t.masked = mask.New(t.commands()).Mask(t.cfg.Args)
		// Like the .NET CLI: the first run shows the notice and sends
		// nothing, so nobody is counted before they could opt out. The
		// telemetry command itself is the answer to the notice: no notice
		// there. Until the notice is remembered, nothing is sent, and a
		// process that started before then sends nothing either.
		if !t.isTelemetryCommand() {
			t.showNotice()
		}
		if !t.debug {
			return t
		}
		// A user who looks before any real run sees what later runs
		// would send.
		fmt.Fprintln(t.stderr, "telemetry: nothing would be sent on a first run; after it, each run would send:")
	}
	if err := t.buildPipeline(); err != nil {
		t.log.Debug("telemetry: pipeline not built", "err", err)
		if t.debug {
			fmt.Fprintf(t.stderr, "telemetry: nothing would be sent (%v)\n", err)
		}
		t.provider, t.tracer = nil, nil
	} else if t.debug {
		fmt.Fprintln(t.stderr, "telemetry: debug mode: this is what would be sent; nothing is sent or written, and the ids are placeholders")
	}
	return t
}

func newTelemetry(cfg Config) *Telemetry {
	if cfg.Args == nil && len(os.Args) > 0 {
		cfg.Args = os.Args[1:]
	}
	if cfg.LookupEnv == nil {
		cfg.LookupEnv = os.LookupEnv
	}
	t := &Telemetry{cfg: cfg, log: cfg.Logger, stderr: cfg.Stderr, begun: time.Now()}
	if t.log == nil {
		t.log = slog.New(slog.DiscardHandler)
	}
	if t.stderr == nil {
		t.stderr = os.Stderr
	}
	t.spoolCfg = spool.Config{
		Tool:          cfg.Tool,
		Endpoint:      cfg.Endpoint,
		AllowInsecure: cfg.AllowInsecure,
		Logger:        t.log,
		LookupEnv:     cfg.LookupEnv,
	}
	t.ci = isCI(cfg.LookupEnv)
	if t.ci {
		// A CI job's machine goes with its spool: an uploader waiting out
		// its minute may not live to send, so each command starts one.
		t.spoolCfg.UploadInterval = -1
	}
	if path, err := userfile.Path(cfg.Tool); err == nil {
		t.userFile = path
	}
	t.debug = envTrue(cfg.LookupEnv, toolenv.Debug(cfg.Tool))
	return t
}

// decide finds the project and decides consent for this invocation. An
// opt-out in the environment decides before any file is read, so the
// project is not even looked for then.
func (t *Telemetry) decide() {
	cfg := t.cfg
	if _, optedOut := toolenv.OptOut(cfg.Tool, cfg.LookupEnv); cfg.Project.Name != "" && !optedOut {
		wd := cfg.WorkDir
		if wd == "" {
			wd, _ = os.Getwd()
		}
		if pr, ok := cfg.Project.Find(wd); ok {
			t.proj, t.project = pr, pr.Root
		}
	}
	t.gate = consent.NewGate(consent.Config{
		Tool:        cfg.Tool,
		ProjectRoot: t.project,
		UserFile:    t.userFile,
		LookupEnv:   cfg.LookupEnv,
		ReadFile:    t.files.File,
	})
}

// commands returns the command tree, named after the tool.
func (t *Telemetry) commands() Command {
	c := t.cfg.Root
	c.Name = t.cfg.Tool
	return c
}

// isTelemetryCommand reports whether this invocation is the tool's
// "telemetry" command (status, enable, disable).
func (t *Telemetry) isTelemetryCommand() bool {
	return len(t.masked.Path) > 1 && t.masked.Path[1] == "telemetry"
}

// Args returns the raw arguments the invocation runs with (Config.Args).
func (t *Telemetry) Args() []string { return t.cfg.Args }

// Decision returns the consent decision in force.
func (t *Telemetry) Decision() consent.Decision { return t.gate.Decision() }

// Recording reports whether this invocation is being recorded.
func (t *Telemetry) Recording() bool { return t.tracer != nil && t.gate.Enabled() }

// Shutdown ends the pipeline: it writes the spool and starts the detached
// uploader if anything was written. It is bounded in time and never
// reports an error: telemetry failures are not the user's problem.
func (t *Telemetry) Shutdown() {
	if t.provider == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := t.provider.Shutdown(ctx); err != nil {
		t.log.Debug("telemetry: shutdown", "err", err)
	}
	t.provider = nil
	if t.spool != nil && t.spool.Written() && t.gate.Enabled() {
		if err := t.spool.StartUploader(); err != nil {
			t.log.Debug("telemetry: uploader not started", "err", err)
		}
	}
}

// upload runs in the detached uploader process. It honours what can have
// changed since the spans were recorded, with consent: the environment and
// the user's choice (a cleared spool has nothing to send), asked before
// each send. It never looks for a project: it runs in the spool folder,
// and a project above that folder has nothing to do with what was
// recorded.
func (t *Telemetry) upload() {
	allowed := func() bool {
		d := consent.Decide(consent.Config{Tool: t.cfg.Tool, UserFile: t.userFile, LookupEnv: t.cfg.LookupEnv})
		if !d.Enabled {
			t.log.Debug("telemetry: uploader stops, consent is off", "why", d.Detail)
		}
		return d.Enabled
	}
	if !allowed() {
		return
	}
	res, err := spool.Serve(context.Background(), t.spoolCfg, allowed)
	t.log.Debug("telemetry: upload", "sent", res.Sent, "dropped", res.Dropped, "kept", res.Kept, "err", err)
}
