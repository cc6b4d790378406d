//go:build !notelemetry

package instrument

import (
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/anontel/anontel/exporter"
	"github.com/anontel/anontel/internal/mask"
	"github.com/anontel/anontel/internal/spool"
	"github.com/anontel/anontel/processor"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// buildPipeline builds the pipeline: instrument → processor → exporter. The ids
// are made later, in End, and only if consent still holds then.
func (t *Telemetry) buildPipeline() error {
	// The SDK reads the process environment itself, not Config.LookupEnv.
	if problem := otelEnvProblem(os.LookupEnv); problem != "" {
		// The SDK would print its parse error on the user's terminal.
		return fmt.Errorf("instrument: %s", problem)
	}
	var next sdktrace.SpanExporter
	if t.debug {
		next = exporter.NewDebug(t.stderr)
	} else {
		sp, err := spool.New(t.spoolCfg)
		if err != nil {
			return fmt.Errorf("instrument: spool: %w", err)
		}
		t.spool, next = sp, sp
	}
	res := processor.NewResource(t.cfg.Tool, t.cfg.Version)
	guard := processor.New(sdktrace.NewSimpleSpanProcessor(next), processor.Config{
		Consent:     t.gate,
		Root:        t.commands(),
		Args:        t.cfg.Args,
		TrustedKeys: trustedKeys,
		// The SDK merges OTEL_RESOURCE_ATTRIBUTES into any resource; the
		// processor puts ours back.
		Resource: res,
	})
	// The arguments are masked once, by the processor; the span carries
	// its result.
	path, args := guard.MaskedArgs()
	t.masked = mask.Result{Path: path, Args: args}
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
	semconv.EnduserPseudoIDKey, keyProjectID, keyConsent, keyCI, semconv.ErrorTypeKey,
	semconv.ExceptionTypeKey, semconv.ProcessExecutableNameKey, semconv.ProcessPIDKey,
	semconv.ProcessExitCodeKey,
}

// The keys of the span contract that instrument sets itself and that have
// no semantic-convention key.
const (
	keyProjectID = attribute.Key("cli.project.id")
	keyCI        = attribute.Key("cli.ci")
	keyConsent   = attribute.Key("cli.consent")
)

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
