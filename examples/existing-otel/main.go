// Command existing-otel is a program that already has its own
// OpenTelemetry pipeline, exporting with otlptracehttp to its own backend
// (configured, as usual, by OTEL_EXPORTER_OTLP_*), and adds anonymous usage
// telemetry with anontel. It shows the two common setups:
//
//   - gated (gated.go): anontel's processor in front of the program's own
//     exporter. Every span the program makes, including ones made by code
//     that knows nothing of anontel, is dropped without consent and masked
//     with it, on its way to the program's own backend.
//
//   - split (split.go, EXISTING_OTEL_SETUP=split): one provider, two
//     processors. The program's own traces go to its backend as before,
//     ungated and unmasked; the usage span goes through anontel's processor,
//     gated and masked, to the vendor's collector (exporter.NewDirect, which
//     never reads OTEL_EXPORTER_OTLP_*).
//
//     OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318 go run ./examples/existing-otel report --token s3cret
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"

	"github.com/anontel/anontel/instrument"
)

const (
	tool    = "existing-otel"
	version = "2.4.0"
	// usageScope names the tracer of the usage span: in the split setup,
	// only its spans reach the vendor.
	usageScope = "existing-otel/usage"
)

// commands is the program's command tree, for the masker.
var commands = instrument.Command{
	Name: tool,
	Commands: []instrument.Command{{
		Name:  "report",
		Flags: []instrument.Flag{{Name: "token", TakesValue: true}},
	}},
}

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	ctx := context.Background()
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	newProvider := newGatedProvider
	if os.Getenv("EXISTING_OTEL_SETUP") == "split" {
		newProvider = newSplitProvider
	}
	tp := newProvider(ctx, args, logger)
	defer func() {
		// Bounded: a collector that never answers does not hold the exit.
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = tp.Shutdown(ctx)
	}()

	// The usage span: the command, as anonymous telemetry wants it.
	_, usage := tp.Tracer(usageScope).Start(ctx, tool+" "+firstWord(args))
	usage.SetAttributes(semconv.ProcessCommandLine(tool + " " + strings.Join(args, " ")))

	// The program's own tracing, by code that knows nothing of anontel,
	// records raw data.
	_, span := tp.Tracer("legacy").Start(ctx, "report")
	span.SetAttributes(semconv.ProcessCommandLine(tool + " " + strings.Join(args, " ")))
	err := work(args)
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
		usage.SetStatus(codes.Error, "")
	}
	span.End()
	usage.End()
	if err != nil {
		fmt.Fprintln(os.Stderr, "Error:", err)
		return 1
	}
	fmt.Println("report done")
	return 0
}

func firstWord(args []string) string {
	if len(args) == 0 {
		return ""
	}
	return args[0]
}

func work(args []string) error {
	if len(args) < 3 || args[0] != "report" || args[1] != "--token" {
		return errors.New("usage: existing-otel report --token TOKEN")
	}
	if args[2] != "valid-token" {
		return fmt.Errorf("token %q rejected", args[2])
	}
	return nil
}

// ownExporter is the program's existing exporter: otlptracehttp, which
// reads OTEL_EXPORTER_OTLP_* as the program's operators expect.
func ownExporter(ctx context.Context, logger *slog.Logger) sdktrace.SpanExporter {
	exp, err := newOTLPTraceHTTP(ctx)
	if err != nil {
		logger.Warn("no exporter", "err", err)
		return nil
	}
	return exp
}
