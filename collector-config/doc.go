// Package jaegere2e holds no library code: it tests the receiving side in
// this folder end to end. otelcol-anontel (otelcol.yaml) is built from the
// builder's generated module in ./otelcol, Jaeger v2 (jaeger.yaml) from the
// tool directive in this nested module (so neither's dependencies reach the
// library's go.mod), and pipectl from the parent module. Spans are sent by
// pipectl and by a hand-made OTLP client, and read back through Jaeger's
// query API and the collector's file export.
package jaegere2e
