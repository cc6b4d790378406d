// Command existing-otel is a program that already has its own
// OpenTelemetry TracerProvider and adds anontel's pieces to it: the
// consent-gated, masking processor in front of a direct OTLP/HTTP exporter.
//
//	EXISTING_OTEL_TELEMETRY_ENDPOINT=http://127.0.0.1:4318 go run ./examples/existing-otel report --token s3cret
//
// Every span of the program, including ones made by code that knows nothing
// of anontel, passes the processor: with consent off none is exported, and
// the token never leaves the process.
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

	"github.com/anontel/anontel/consent"
	"github.com/anontel/anontel/exporter"
	"github.com/anontel/anontel/internal/mask"
	"github.com/anontel/anontel/processor"
)

const tool = "existing-otel"

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	ctx := context.Background()
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))

	// The program's own pipeline, with anontel's processor wrapped around the
	// exporter's batcher.
	gate := consent.NewGate(consent.Config{Tool: tool})
	var guard sdktrace.SpanProcessor
	if gate.Enabled() {
		exp, err := exporter.NewDirect(ctx, exporter.Config{
			Tool:     tool,
			Endpoint: "http://127.0.0.1:4318",
			Logger:   logger,
		})
		if err != nil {
			logger.Debug("telemetry off", "err", err)
		} else {
			masker := mask.New(mask.Command{
				Name: tool,
				Commands: []mask.Command{{
					Name:  "report",
					Flags: []mask.Flag{{Name: "token", TakesValue: true}},
				}},
			})
			guard = processor.New(sdktrace.NewBatchSpanProcessor(exp), processor.Config{
				Consent: gate,
				Masker:  masker,
				Args:    args,
			})
		}
	}
	opts := []sdktrace.TracerProviderOption{}
	if guard != nil {
		opts = append(opts, sdktrace.WithSpanProcessor(guard))
	}
	tp := sdktrace.NewTracerProvider(opts...)
	defer func() {
		// Bounded: a collector that never answers does not hold the exit.
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = tp.Shutdown(ctx)
	}()

	// Code that knows nothing of anontel records raw data.
	_, span := tp.Tracer("legacy").Start(ctx, "report")
	span.SetAttributes(semconv.ProcessCommandLine(tool + " " + strings.Join(args, " ")))
	err := work(args)
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	}
	span.End()
	if err != nil {
		fmt.Fprintln(os.Stderr, "Error:", err)
		return 1
	}
	fmt.Println("report done")
	return 0
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
