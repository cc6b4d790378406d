//go:build !notelemetry

package instrument

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdkresource "go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/anontel/anontel/consent"
	"github.com/anontel/anontel/exporter"
	"github.com/anontel/anontel/identity"
	"github.com/anontel/anontel/internal/toolenv"
	"github.com/anontel/anontel/internal/userfile"
	"github.com/anontel/anontel/processor"
	"github.com/anontel/anontel/processor/mask"
)

// Compiled reports whether telemetry is compiled into this build (false
// with the notelemetry build tag).
const Compiled = true

// shutdownTimeout bounds what Shutdown may spend: writing the spool is
// local and takes well under a millisecond, so this only guards against a
// wedged file system.
const shutdownTimeout = 250 * time.Millisecond

// noticeKey remembers in telemetry.toml that the notice was shown.
const noticeKey = "notice_shown"

// Telemetry is the telemetry of one process. Its methods are safe to call
// on a Telemetry that collects nothing.
type Telemetry struct {
	cfg      Config
	log      *slog.Logger
	stderr   io.Writer
	exporter exporter.Config
	userFile string // "" when the user folder is unknown
	project  string // project root, "" outside a project
	gate     *consent.Gate
	debug    bool

	// Set only when collecting.
	provider *sdktrace.TracerProvider
	spool    *exporter.Spool
	tracer   trace.Tracer
	masker   *mask.Masker
	masked   mask.Masked
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
	if exporter.IsUploader(t.exporter) {
		t.upload()
		os.Exit(0)
	}
	if len(t.cfg.Args) > 0 && (t.cfg.Args[0] == cobra.ShellCompRequestCmd || t.cfg.Args[0] == cobra.ShellCompNoDescRequestCmd) {
		// Shell completion runs on every TAB: not a use of the tool.
		return t
	}
	d := t.gate.Decision()
	if !d.Enabled {
		if t.debug {
			fmt.Fprintf(t.stderr, "telemetry: nothing would be sent (%s)\n", d.Detail)
		}
		return t
	}
	t.masker = mask.New(t.commands())
	t.masked = t.masker.Mask(t.cfg.Args)
	if d.Implicit() && !t.noticeShown() {
		// Like the .NET CLI: the first run shows the notice and sends
		// nothing, so nobody is counted before they could opt out. The
		// telemetry command itself is the answer to the notice: no notice
		// there. Until the notice is remembered, nothing is sent.
		if !t.isTelemetryCommand() {
			t.showNotice()
		}
		if t.debug {
			fmt.Fprintln(t.stderr, "telemetry: nothing would be sent (first run: the notice was shown)")
		}
		return t
	}
	if err := t.collect(); err != nil {
		t.log.Debug("telemetry: pipeline not built", "err", err)
		if t.debug {
			fmt.Fprintf(t.stderr, "telemetry: nothing would be sent (%v)\n", err)
		}
		t.provider, t.tracer = nil, nil
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
	t := &Telemetry{cfg: cfg, log: cfg.Logger, stderr: cfg.Stderr}
	if t.log == nil {
		t.log = slog.New(slog.DiscardHandler)
	}
	if t.stderr == nil {
		t.stderr = os.Stderr
	}
	t.exporter = exporter.Config{
		Tool:          cfg.Tool,
		Endpoint:      cfg.Endpoint,
		AllowInsecure: cfg.AllowInsecure,
		Logger:        t.log,
		LookupEnv:     cfg.LookupEnv,
	}
	if path, err := userfile.Path(cfg.Tool); err == nil {
		t.userFile = path
	}
	// An opt-out in the environment decides before any file is read, so
	// the project is not even looked for then.
	optedOut := consent.Decide(consent.Config{Tool: cfg.Tool, LookupEnv: cfg.LookupEnv}).Source == consent.SourceEnv
	if cfg.Project.Name != "" && !optedOut {
		wd := cfg.WorkDir
		if wd == "" {
			wd, _ = os.Getwd()
		}
		if root, ok := cfg.Project.Root(wd); ok {
			t.project = root
		}
	}
	t.gate = consent.NewGate(consent.Config{
		Tool:        cfg.Tool,
		ProjectRoot: t.project,
		UserFile:    t.userFile,
		LookupEnv:   cfg.LookupEnv,
	})
	t.debug = envTrue(cfg.LookupEnv, toolenv.Debug(cfg.Tool))
	return t
}

// collect builds the pipeline: instrument → processor → exporter. The ids
// are made later, in End, and only if consent still holds then.
func (t *Telemetry) collect() error {
	// The SDK reads the process environment itself, not Config.LookupEnv.
	if problem := otelEnvProblem(os.LookupEnv); problem != "" {
		// The SDK would print its parse error on the user's terminal.
		return fmt.Errorf("instrument: %s", problem)
	}
	var next sdktrace.SpanExporter
	if t.debug {
		next = exporter.NewDebug(t.stderr)
	} else {
		if _, err := exporter.ResolveEndpoint(t.exporter); err != nil {
			return fmt.Errorf("instrument: endpoint: %w", err)
		}
		spool, err := exporter.NewSpool(t.exporter)
		if err != nil {
			return fmt.Errorf("instrument: spool: %w", err)
		}
		t.spool, next = spool, spool
	}
	res := t.resource()
	guard := processor.New(sdktrace.NewSimpleSpanProcessor(next), processor.Config{
		Consent:     t.gate,
		Masker:      t.masker,
		Args:        t.cfg.Args,
		TrustedKeys: trustedKeys,
		// The SDK merges OTEL_RESOURCE_ATTRIBUTES into any resource; the
		// processor puts ours back.
		Resource: res,
	})
	t.provider = sdktrace.NewTracerProvider(
		sdktrace.WithSpanProcessor(guard),
		sdktrace.WithResource(res),
		// Explicit, so that the user's OTEL_TRACES_SAMPLER and
		// OTEL_*_LIMIT settings for their own services do not apply.
		sdktrace.WithSampler(sdktrace.AlwaysSample()),
		sdktrace.WithRawSpanLimits(spanLimits),
	)
	t.tracer = t.provider.Tracer("github.com/anontel/anontel/instrument",
		trace.WithInstrumentationVersion(Version),
		trace.WithSchemaURL(semconv.SchemaURL))
	return nil
}

// trustedKeys are the span attributes instrument makes itself from derived
// data; the processor passes them as they are (see processor.Config).
var trustedKeys = []attribute.Key{
	semconv.EnduserPseudoIDKey, KeyProjectID, KeyConsent, KeyCI, KeyNewTools, KeyNewExample,
	KeyDatasets, KeyNodes, KeyPipelines, semconv.ErrorTypeKey, semconv.ExceptionTypeKey,
	semconv.ProcessExecutableNameKey, semconv.ProcessPIDKey, semconv.ProcessExitCodeKey,
}

// spanLimits are the SDK's defaults, set explicitly so that the
// environment cannot change them.
var spanLimits = sdktrace.SpanLimits{
	AttributeValueLengthLimit:   sdktrace.DefaultAttributeValueLengthLimit,
	AttributeValueDepthLimit:    sdktrace.DefaultAttributeValueDepthLimit,
	AttributeCountLimit:         sdktrace.DefaultAttributeCountLimit,
	EventCountLimit:             sdktrace.DefaultEventCountLimit,
	LinkCountLimit:              sdktrace.DefaultLinkCountLimit,
	AttributePerEventCountLimit: sdktrace.DefaultAttributePerEventCountLimit,
	AttributePerLinkCountLimit:  sdktrace.DefaultAttributePerLinkCountLimit,
}

// otelEnvProblem returns why the OpenTelemetry variables that the SDK parses
// while a provider is built would make it print an error, or "".
func otelEnvProblem(lookup func(string) (string, bool)) string {
	if v, _ := lookup("OTEL_RESOURCE_ATTRIBUTES"); strings.TrimSpace(v) != "" {
		for _, pair := range strings.Split(v, ",") {
			_, val, ok := strings.Cut(pair, "=")
			if !ok {
				return "OTEL_RESOURCE_ATTRIBUTES is malformed"
			}
			if _, err := url.PathUnescape(strings.TrimSpace(val)); err != nil {
				return "OTEL_RESOURCE_ATTRIBUTES is malformed"
			}
		}
	}
	sampler, _ := lookup("OTEL_TRACES_SAMPLER")
	switch strings.ToLower(strings.TrimSpace(sampler)) {
	case "", "always_on", "always_off", "parentbased_always_on", "parentbased_always_off":
	case "traceidratio", "parentbased_traceidratio":
		if arg, _ := lookup("OTEL_TRACES_SAMPLER_ARG"); strings.TrimSpace(arg) != "" {
			if r, err := strconv.ParseFloat(strings.TrimSpace(arg), 64); err != nil || r < 0 || r > 1 {
				return "OTEL_TRACES_SAMPLER_ARG is malformed"
			}
		}
	default:
		return "OTEL_TRACES_SAMPLER is not a sampler the SDK knows"
	}
	return ""
}

// commands returns the command tree, named after the tool.
func (t *Telemetry) commands() mask.Command {
	c := t.cfg.Commands
	c.Name = t.cfg.Tool
	return c
}

// isTelemetryCommand reports whether this invocation is the tool's
// "telemetry" command (status, enable, disable).
func (t *Telemetry) isTelemetryCommand() bool {
	return len(t.masked.Path) > 1 && t.masked.Path[1] == "telemetry"
}

// resource describes the tool and runtime and nothing about the person:
// no host name, user, path or OTEL_RESOURCE_ATTRIBUTES content.
func (t *Telemetry) resource() *sdkresource.Resource {
	return sdkresource.NewWithAttributes(semconv.SchemaURL,
		semconv.ServiceName(t.cfg.Tool),
		semconv.ServiceVersion(t.cfg.Version),
		semconv.TelemetryDistroName("anontel"),
		semconv.TelemetryDistroVersion(Version),
		semconv.TelemetrySDKName("opentelemetry"),
		semconv.TelemetrySDKLanguageGo,
		semconv.ProcessRuntimeName("go"),
		semconv.ProcessRuntimeVersion(runtime.Version()),
		semconv.OSTypeKey.String(runtime.GOOS),
		semconv.HostArchKey.String(hostArch(runtime.GOARCH)),
	)
}

// hostArch maps GOARCH to the host.arch values of the conventions.
func hostArch(goarch string) string {
	switch goarch {
	case "386":
		return "x86"
	case "arm":
		return "arm32"
	default:
		return goarch
	}
}

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
		if err := exporter.StartUploader(t.exporter); err != nil {
			t.log.Debug("telemetry: uploader not started", "err", err)
		}
	}
}

// upload runs in the detached uploader process. Consent is asked again:
// the user may have opted out since the spans were spooled.
func (t *Telemetry) upload() {
	if d := t.gate.Decision(); !d.Enabled {
		t.log.Debug("telemetry: uploader stops, consent is off", "why", d.Detail)
		return
	}
	res, err := exporter.Upload(context.Background(), t.exporter)
	t.log.Debug("telemetry: upload", "sent", res.Sent, "dropped", res.Dropped, "kept", res.Kept, "err", err)
}

func (t *Telemetry) noticeShown() bool {
	if t.userFile == "" {
		return false
	}
	values, err := userfile.Load(t.userFile)
	if err != nil {
		return false
	}
	_, ok := values[noticeKey]
	return ok
}

// showNotice shows the notice if it can be remembered. Where it cannot
// (no home, read-only folder) nothing is ever sent either, so showing it on
// every run would be noise with nothing to announce.
func (t *Telemetry) showNotice() {
	if t.userFile == "" {
		return
	}
	if err := userfile.Set(t.userFile, noticeKey, time.Now().UTC().Format(time.DateOnly)); err != nil {
		t.log.Debug("telemetry: notice not remembered, so not shown", "err", err)
		return
	}
	fmt.Fprint(t.stderr, t.notice())
}

// notice is the text shown once per user when consent is implicit. It
// names the telemetry command only if the tool has one.
func (t *Telemetry) notice() string {
	tool, env := t.cfg.Tool, consent.EnvPrefix(t.cfg.Tool)
	hasCommand := false
	for _, c := range t.cfg.Commands.Commands {
		hasCommand = hasCommand || c.Name == "telemetry"
	}
	optOut := fmt.Sprintf("set %s_DISABLE_TELEMETRY=1 or DO_NOT_TRACK=1", env)
	if hasCommand {
		optOut = fmt.Sprintf("run '%s telemetry disable', or %s", tool, optOut)
	}
	text := fmt.Sprintf("%s collects anonymous usage data to improve the tool: the command with every\n"+
		"argument value masked, versions, OS, and project counts. Nothing was sent this time.\n"+
		"To opt out: %s.\nSee exactly what is sent: %s_TELEMETRY_DEBUG=1.", tool, optOut, env)
	if hasCommand {
		text += fmt.Sprintf(" Details: '%s telemetry status'.", tool)
	}
	return text + "\n"
}

// envTrue reports whether the variable is set to something other than
// "", "0", "false", "no" or "off".
func envTrue(lookup func(string) (string, bool), name string) bool {
	v, ok := lookup(name)
	if !ok {
		return false
	}
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "", "0", "false", "no", "off":
		return false
	}
	return true
}

// Invocation is the span of one command. A nil *Invocation or one of a
// Telemetry that records nothing does nothing.
type Invocation struct {
	t     *Telemetry
	ctx   context.Context
	span  trace.Span
	tools []string
	newOK bool
	exam  bool
}

type invocationKey struct{}

// Begin starts the span of this invocation. The returned Invocation's
// Context carries it, so commands can add what only they know
// (SetNewProject).
func (t *Telemetry) Begin(ctx context.Context) *Invocation {
	inv := &Invocation{t: t, ctx: ctx}
	inv.ctx = context.WithValue(ctx, invocationKey{}, inv)
	if !t.Recording() {
		return inv
	}
	attrs := []attribute.KeyValue{
		semconv.ProcessExecutableName(t.cfg.Tool),
		semconv.ProcessPID(os.Getpid()),
		semconv.ProcessCommandArgs(t.masked.Args...),
		semconv.ProcessCommandLine(t.masked.Line),
		KeyCI.Bool(isCI(t.cfg.LookupEnv)),
		KeyConsent.String(consentKind(t.gate.Decision())),
	}
	name := strings.Join(t.masked.Path, " ")
	if name == "" {
		name = t.cfg.Tool
	}
	inv.ctx, inv.span = t.tracer.Start(inv.ctx, name,
		trace.WithSpanKind(trace.SpanKindInternal),
		trace.WithAttributes(attrs...))
	return inv
}

// Context returns the context that carries the invocation.
func (inv *Invocation) Context() context.Context { return inv.ctx }

// End ends the span with the command's exit code and error. Status is
// Error iff code is not 0.
func (inv *Invocation) End(code int, err error) {
	if inv == nil || inv.span == nil {
		return
	}
	t := inv.t
	span := inv.span
	inv.span = nil
	if !t.gate.Enabled() {
		// Consent was withdrawn while the command ran (telemetry
		// disable): make no id, count nothing; the processor drops the span.
		span.End()
		return
	}
	span.SetAttributes(t.ids()...)
	span.SetAttributes(semconv.ProcessExitCode(code))
	if inv.newOK {
		span.SetAttributes(
			KeyNewTools.StringSlice(allowOnly(inv.tools, t.cfg.NewTools)),
			KeyNewExample.Bool(inv.exam))
	}
	if t.project != "" && t.cfg.ProjectStats != nil {
		if s, serr := t.cfg.ProjectStats(t.project); serr == nil {
			span.SetAttributes(
				KeyDatasets.Int(s.Datasets),
				KeyNodes.Int(s.Nodes),
				KeyPipelines.Int(s.Pipelines))
		} else {
			t.log.Debug("telemetry: no project statistics", "err", serr)
		}
	}
	if code != 0 {
		span.SetAttributes(semconv.ErrorTypeKey.String(errorType(code, err)))
		if err != nil {
			// The type only, as the .NET CLI does: a message can hold
			// paths, names or values that are no argument of this command
			// and so that nothing would know to mask.
			span.AddEvent(semconv.ExceptionEventName,
				trace.WithAttributes(semconv.ExceptionType(fmt.Sprintf("%T", err))))
		}
		span.SetStatus(codes.Error, "")
	}
	span.End()
}

// ids returns the anonymous ids, making them on first use. Either is left
// out when it cannot be kept.
func (t *Telemetry) ids() []attribute.KeyValue {
	var out []attribute.KeyValue
	if t.userFile != "" {
		if id, err := identity.UserID(t.userFile); err == nil {
			out = append(out, semconv.EnduserPseudoID(id))
		} else {
			t.log.Debug("telemetry: no user id for this run", "err", err)
		}
	}
	if t.project != "" {
		if id, err := identity.ProjectID(t.project, t.cfg.Project); err == nil {
			out = append(out, KeyProjectID.String(id))
		} else {
			t.log.Debug("telemetry: no project id for this run", "err", err)
		}
	}
	return out
}

// SetNewProject records the choices of a "new" command: the tools selected
// (values outside Config.NewTools are masked) and whether the example
// pipeline was added. ctx is the command's context.
func SetNewProject(ctx context.Context, tools []string, examplePipeline bool) {
	inv, _ := ctx.Value(invocationKey{}).(*Invocation)
	if inv == nil {
		return
	}
	inv.tools = append([]string(nil), tools...)
	inv.exam = examplePipeline
	inv.newOK = true
}

// errorType is a low-cardinality class of the failure that quotes nothing
// the user typed: a Go type name, or the exit code.
func errorType(code int, err error) string {
	if err == nil {
		return fmt.Sprint(code)
	}
	var typed interface{ Unwrap() error }
	for errors.As(err, &typed) && typed.Unwrap() != nil && isPlain(err) {
		err = typed.Unwrap()
	}
	if isPlain(err) {
		return "_OTHER"
	}
	return fmt.Sprintf("%T", err)
}

// isPlain reports errors whose type says nothing (errors.New, fmt.Errorf).
func isPlain(err error) bool {
	switch fmt.Sprintf("%T", err) {
	case "*errors.errorString", "*fmt.wrapError", "*fmt.wrapErrors", "*errors.joinError":
		return true
	}
	return false
}

func allowOnly(values, allowed []string) []string {
	out := make([]string, len(values))
	for i, v := range values {
		out[i] = mask.Mask
		for _, a := range allowed {
			if v == a {
				out[i] = v
				break
			}
		}
	}
	return out
}

func consentKind(d consent.Decision) string {
	if d.Implicit() {
		return "implicit"
	}
	return "explicit"
}

// isCI reports the CI variables Kedro checks.
func isCI(lookup func(string) (string, bool)) bool {
	if v, _ := lookup("CI"); strings.EqualFold(v, "true") {
		return true
	}
	for _, name := range []string{"GITLAB_CI", "GITHUB_ACTION", "BITBUCKET_BUILD_NUMBER",
		"JENKINS_URL", "CODEBUILD_BUILD_ID", "CIRCLECI", "TRAVIS", "BUILDKITE"} {
		if v, _ := lookup(name); v != "" {
			return true
		}
	}
	return false
}
