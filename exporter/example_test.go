package exporter_test

import (
	"context"
	"os"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	"go.opentelemetry.io/otel/sdk/resource"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/anontel/anontel/exporter"
)

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
