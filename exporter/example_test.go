package exporter_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/anontel/anontel/exporter"
)

// A command records its span into the spool at exit; later the uploader
// (normally the detached child StartUploader starts) sends it.
func ExampleNewSpool() {
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Println("collector:", r.Method, r.URL.Path, r.Header.Get("Content-Type"), r.Header.Get("Content-Encoding"))
	}))
	defer collector.Close()
	tmp, _ := os.MkdirTemp("", "spool-example")
	defer os.RemoveAll(tmp)

	cfg := exporter.Config{
		Tool:     "pipectl",
		Endpoint: collector.URL, // http is fine: loopback
		SpoolDir: filepath.Join(tmp, "spool"),
	}
	spool, err := exporter.NewSpool(cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spool))
	_, span := tp.Tracer("pipectl").Start(context.Background(), "pipectl run")
	span.End()
	tp.Shutdown(context.Background())
	fmt.Println("written:", spool.Written())

	res, err := exporter.Upload(context.Background(), cfg)
	fmt.Printf("sent %d, dropped %d, kept %d, err %v\n", res.Sent, res.Dropped, res.Kept, err)
	// Output:
	// written: true
	// collector: POST /v1/traces application/x-protobuf gzip
	// sent 1, dropped 0, kept 0, err <nil>
}

// With a debug setting, a tool shows what would be sent instead of
// sending it.
func ExampleNewDebug() {
	start := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	span := tracetest.SpanStub{
		Name: "pipectl run",
		SpanContext: trace.NewSpanContext(trace.SpanContextConfig{
			TraceID: trace.TraceID{0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36},
			SpanID:  trace.SpanID{0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7},
		}),
		SpanKind:             trace.SpanKindInternal,
		StartTime:            start,
		EndTime:              start.Add(250 * time.Millisecond),
		Attributes:           []attribute.KeyValue{attribute.Int("process.exit.code", 0)},
		Resource:             resource.NewSchemaless(attribute.String("service.name", "pipectl")),
		InstrumentationScope: instrumentation.Scope{Name: "pipectl"},
	}
	debug := exporter.NewDebug(os.Stdout)
	debug.ExportSpans(context.Background(), tracetest.SpanStubs{span}.Snapshots())
	// Output:
	// {
	//   "resourceSpans": [
	//     {
	//       "resource": {
	//         "attributes": [
	//           {
	//             "key": "service.name",
	//             "value": {
	//               "stringValue": "pipectl"
	//             }
	//           }
	//         ]
	//       },
	//       "scopeSpans": [
	//         {
	//           "scope": {
	//             "name": "pipectl"
	//           },
	//           "spans": [
	//             {
	//               "traceId": "4bf92f3577b34da6a3ce929d0e0e4736",
	//               "spanId": "00f067aa0ba902b7",
	//               "flags": 256,
	//               "name": "pipectl run",
	//               "kind": 1,
	//               "startTimeUnixNano": "1795867200000000000",
	//               "endTimeUnixNano": "1795867200250000000",
	//               "attributes": [
	//                 {
	//                   "key": "process.exit.code",
	//                   "value": {
	//                     "intValue": "0"
	//                   }
	//                 }
	//               ],
	//               "status": {}
	//             }
	//           ]
	//         }
	//       ]
	//     }
	//   ]
	// }
}
