package processor_test

import (
	"context"
	"errors"
	"fmt"

	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"

	"github.com/anontel/anontel/internal/mask"
	"github.com/anontel/anontel/processor"
)

func pipectl() mask.Command {
	return mask.Command{
		Name: "pipectl",
		Commands: []mask.Command{{
			Name: "run",
			Flags: []mask.Flag{
				{Name: "pipeline", Shorthand: "p", TakesValue: true},
				{Name: "env", TakesValue: true},
				{Name: "runner", TakesValue: true, Allowed: []string{"sequential", "parallel"}},
			},
		}},
	}
}

// always is a consent that is always given; consent.Gate is the real one.
type always struct{}

func (always) Enabled() bool { return true }

func ExampleNew() {
	exporter := tracetest.NewInMemoryExporter()
	args := []string{"run", "--pipeline", "data_science"} // os.Args[1:]
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(
		processor.New(sdktrace.NewSimpleSpanProcessor(exporter), processor.Config{
			Consent: always{},
			Root:    pipectl(),
			Args:    args,
		})))

	// Careless code: raw arguments in the attributes and in an error.
	_, span := tp.Tracer("example").Start(context.Background(), "pipectl run")
	span.SetAttributes(semconv.ProcessCommandLine("pipectl run --pipeline data_science"))
	span.RecordError(errors.New(`pipeline "data_science" not found`))
	span.SetStatus(codes.Error, "data_science not found")
	span.End()

	s := exporter.GetSpans()[0]
	fmt.Println(s.Name)
	fmt.Println(s.Attributes[0].Value.AsString())
	fmt.Println(s.Events[0].Attributes[1].Value.AsString())
	fmt.Println(s.Status.Description)
	// Output:
	// pipectl run
	// pipectl run --pipeline *****
	// pipeline "*****" not found
	// ***** not found
}
