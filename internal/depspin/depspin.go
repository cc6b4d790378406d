// Package depspin pins the module's dependencies while the packages that use
// them are written; it is removed once they are.
package depspin

import (
	_ "github.com/gofrs/flock"
	_ "github.com/google/uuid"
	_ "github.com/pelletier/go-toml/v2"
	_ "github.com/spf13/cobra"
	_ "go.opentelemetry.io/otel"
	_ "go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	_ "go.opentelemetry.io/otel/sdk/trace"
	_ "go.opentelemetry.io/otel/sdk/trace/tracetest"
	_ "go.opentelemetry.io/otel/semconv/v1.43.0"
	_ "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	_ "go.yaml.in/yaml/v3"
	_ "google.golang.org/protobuf/encoding/protojson"
)
