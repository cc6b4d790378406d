package spool

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"testing"

	"github.com/anontel/anontel/internal/otlpwire"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
)

// TestEncodeMatchesOTLPTraceHTTP: Encode's bytes are the body otlptracehttp
// itself sends for the same spans (http/protobuf, uncompressed).
func TestEncodeMatchesOTLPTraceHTTP(t *testing.T) {
	spans := stubSpans("a", "b")
	var sent []byte
	client := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		sent, _ = io.ReadAll(r.Body)
		return &http.Response{StatusCode: 200, Header: http.Header{}, Body: http.NoBody, Request: r}, nil
	})}
	exp, err := otlptracehttp.New(context.Background(),
		otlptracehttp.WithEndpointURL("http://127.0.0.1/v1/traces"),
		otlptracehttp.WithHTTPClient(client),
		otlptracehttp.WithCompression(otlptracehttp.NoCompression),
		otlptracehttp.WithEncoding(otlptracehttp.EncodingProtobuf))
	if err != nil {
		t.Fatal(err)
	}
	if err := exp.ExportSpans(context.Background(), spans); err != nil {
		t.Fatal(err)
	}
	got, err := otlpwire.Encode(context.Background(), spans)
	if err != nil {
		t.Fatal(err)
	}
	if len(sent) == 0 || !bytes.Equal(got, sent) {
		t.Errorf("Encode differs from otlptracehttp's body:\n%x\n%x", got, sent)
	}
}
