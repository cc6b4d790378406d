package exporter_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/anontel/anontel/exporter"
	"github.com/anontel/anontel/internal/otlpsink"
	"github.com/anontel/anontel/internal/otlpwire"
)

// syncBuffer is a log destination safe for the exporter's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func testSpans(name string) []sdktrace.ReadOnlySpan {
	return tracetest.SpanStubs{{
		Name:       name,
		Attributes: []attribute.KeyValue{attribute.Int("process.exit.code", 0)},
		Resource:   resource.NewSchemaless(attribute.String("service.name", "pipectl")),
	}}.Snapshots()
}

func newDirect(t *testing.T, answer func(int) otlpsink.Answer, retryMax time.Duration) (sdktrace.SpanExporter, *otlpsink.Sink, *syncBuffer) {
	t.Helper()
	sink, err := otlpsink.Start("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sink.Close() })
	sink.SetAnswer(answer)
	log := &syncBuffer{}
	exp, err := exporter.NewDirect(context.Background(), exporter.Config{
		Tool: "pipectl", Endpoint: sink.URL, RetryMaxTime: retryMax,
		Logger:    slog.New(slog.NewTextHandler(log, &slog.HandlerOptions{Level: slog.LevelDebug})),
		LookupEnv: func(string) (string, bool) { return "", false },
	})
	if err != nil {
		t.Fatal(err)
	}
	return exp, sink, log
}

// TestDirectExport: the direct exporter sends Encode's request, reports
// failures in the debug log only, and sends nothing after Shutdown.
func TestDirectExport(t *testing.T) {
	cases := []struct {
		name     string
		answer   func(int) otlpsink.Answer
		requests int
		accepted int
		logHas   string
	}{
		{name: "200", requests: 1, accepted: 1},
		{name: "503 then 200", answer: func(n int) otlpsink.Answer {
			if n == 1 {
				return otlpsink.Answer{Status: http.StatusServiceUnavailable}
			}
			return otlpsink.Answer{Status: http.StatusOK}
		}, requests: 2, accepted: 1},
		{name: "400", answer: func(int) otlpsink.Answer { return otlpsink.Answer{Status: http.StatusBadRequest} },
			requests: 1, logHas: "spans not exported"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			exp, sink, log := newDirect(t, c.answer, 10*time.Second)
			spans := testSpans("pipectl run")
			if err := exp.ExportSpans(context.Background(), spans); err != nil {
				t.Errorf("ExportSpans = %v, want nil", err)
			}
			if n := sink.Requests(); n != c.requests {
				t.Errorf("%d requests, want %d", n, c.requests)
			}
			if got := sink.Accepted(); len(got) != c.accepted {
				t.Errorf("accepted %q", got)
			}
			if c.accepted > 0 {
				want, err := otlpwire.Encode(context.Background(), spans)
				if err != nil {
					t.Fatal(err)
				}
				if got := sink.Bodies()[0]; !bytes.Equal(got, want) {
					t.Errorf("sent %x, want Encode's %x", got, want)
				}
			}
			if !strings.Contains(log.String(), c.logHas) {
				t.Errorf("log lacks %q:\n%s", c.logHas, log)
			}
			if err := exp.Shutdown(context.Background()); err != nil {
				t.Errorf("Shutdown = %v", err)
			}
			if err := exp.ExportSpans(context.Background(), testSpans("late")); err != nil {
				t.Errorf("ExportSpans after Shutdown = %v", err)
			}
			if n := sink.Requests(); n != c.requests {
				t.Errorf("sent after Shutdown: %d requests, want %d", n, c.requests)
			}
			if err := exp.Shutdown(context.Background()); err != nil {
				t.Errorf("second Shutdown = %v", err)
			}
		})
	}
}

// TestDirectShutdownStopsRetries: Shutdown ends an export that is waiting
// to retry, long before its retry budget.
func TestDirectShutdownStopsRetries(t *testing.T) {
	exp, sink, log := newDirect(t, func(int) otlpsink.Answer {
		return otlpsink.Answer{Status: http.StatusServiceUnavailable, Header: http.Header{"Retry-After": []string{"30"}}}
	}, time.Minute)
	done := make(chan error, 1)
	go func() { done <- exp.ExportSpans(context.Background(), testSpans("pipectl run")) }()
	for sink.Requests() == 0 {
		time.Sleep(10 * time.Millisecond)
	}
	exp.Shutdown(context.Background())
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("ExportSpans = %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("ExportSpans still retrying after Shutdown")
	}
	if n := sink.Requests(); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
	if !strings.Contains(log.String(), "spans not exported") {
		t.Errorf("log:\n%s", log)
	}
}
