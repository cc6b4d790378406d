package jaegere2e

// Privacy of otelcol.yaml with hand-made OTLP/HTTP requests (protobuf and
// JSON): whatever a client adds beyond the documented span contract is found
// neither in Jaeger nor in the file export.

import (
	"bytes"
	"encoding/hex"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// leak marks every value that must not be stored.
const leak = "LEAK"

type privacyCase struct {
	name string
	// spec is the span sent; kept says whether the span (reduced) must be
	// stored or dropped whole.
	spec func(traceID pcommon.TraceID) spanSpec
	kept bool
	// mutate changes the built request beyond what spanSpec expresses.
	mutate func(td ptrace.Traces)
	// check inspects the stored span.
	check func(t *testing.T, s flatSpan)
}

var privacyCases = []privacyCase{
	{
		name: "extra span and resource attributes",
		spec: func(id pcommon.TraceID) spanSpec {
			s := invocation(id)
			for _, k := range []string{"host.name", "user.name", "client.address", "process.command", "x.api_token"} {
				s.attrs[k] = leak + "-span-" + k
				s.res[k] = leak + "-res-" + k
			}
			s.res["process.command_args"] = []any{leak}
			return s
		},
		kept: true,
		mutate: func(td ptrace.Traces) {
			sc := td.ResourceSpans().At(0).ScopeSpans().At(0).Scope()
			sc.Attributes().PutStr("scope.secret", leak+"-scope")
		},
		check: func(t *testing.T, s flatSpan) {
			if got := slices.Sorted(maps.Keys(s.res.AsRaw())); len(got) != 8 {
				t.Errorf("resource keys %v, want the 8 documented", got)
			}
			if got := s.span.Attributes().Len(); got != 12 {
				t.Errorf("span has %d attributes, want the 12 sent that are documented: %v", got, s.span.Attributes().AsRaw())
			}
		},
	},
	{
		name: "a span from another SDK",
		spec: func(id pcommon.TraceID) spanSpec {
			s := invocation(id)
			s.res = map[string]any{"service.name": "pipectl", "telemetry.sdk.name": "opentelemetry",
				"telemetry.sdk.language": "python", "host.name": leak + "-other-sdk"}
			return s
		},
	},
	{
		name: "telemetry.distro.name other than anontel",
		spec: func(id pcommon.TraceID) spanSpec {
			s := invocation(id)
			s.res["telemetry.distro.name"] = "anontel-" + leak
			return s
		},
	},
	{
		name: "events carrying messages",
		spec: func(id pcommon.TraceID) spanSpec {
			s := invocation(id)
			s.attrs["error.type"] = "*fs.PathError"
			s.events = []eventSpec{
				{"exception", map[string]any{"exception.type": "*fs.PathError",
					"exception.message":    "open /home/alice/" + leak + ": no such file",
					"exception.stacktrace": leak + "-stack"}},
				{"log", map[string]any{"message": leak + "-log-event"}},
				{"exception", map[string]any{"exception.message": leak + "-exception-without-type"}},
			}
			return s
		},
		kept: true,
		mutate: func(td ptrace.Traces) {
			sp := td.ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0)
			sp.Status().SetCode(ptrace.StatusCodeError)
			sp.Status().SetMessage("open /home/alice/" + leak)
		},
		check: func(t *testing.T, s flatSpan) {
			ev := s.span.Events()
			if ev.Len() != 1 || ev.At(0).Name() != "exception" || ev.At(0).Attributes().Len() != 1 {
				t.Errorf("events: %d, want the exception event with only its type", ev.Len())
			}
			if s.span.Status().Code() != ptrace.StatusCodeError || s.span.Status().Message() != "" {
				t.Errorf("status %v %q, want Error without a message", s.span.Status().Code(), s.span.Status().Message())
			}
		},
	},
	{
		name: "an over-long value",
		spec: func(id pcommon.TraceID) spanSpec {
			s := invocation(id)
			s.attrs["process.command_line"] = "pipectl run " + strings.Repeat("a", 5000) + leak
			s.attrs["process.command_args"] = []any{"pipectl", "run", strings.Repeat("b", 5000) + leak}
			s.res["service.version"] = strings.Repeat("9", 100) + leak
			return s
		},
		kept: true,
		check: func(t *testing.T, s flatSpan) {
			line, _ := s.span.Attributes().Get("process.command_line")
			if n := len(line.Str()); n == 0 || n > 1024 {
				t.Errorf("process.command_line is %d bytes, want 1..1024", n)
			}
			if _, ok := s.span.Attributes().Get("process.command_args"); ok {
				t.Errorf("an over-long process.command_args was kept")
			}
		},
	},
	{
		name: "an argument in the span name",
		spec: func(id pcommon.TraceID) spanSpec {
			s := invocation(id)
			s.name = "pipectl run /home/alice/" + leak
			return s
		},
	},
	{
		name: "an argument with an underscore in the span name",
		spec: func(id pcommon.TraceID) spanSpec {
			s := invocation(id)
			s.name = "pipectl run my_" + leak
			return s
		},
	},
	{
		name: "a span name of another tool",
		spec: func(id pcommon.TraceID) spanSpec {
			s := invocation(id)
			s.name = "otherctl run"
			s.attrs["process.command_line"] = leak + "-wrong-name"
			return s
		},
	},
	{
		name: "a tool name that is not a name",
		spec: func(id pcommon.TraceID) spanSpec {
			s := invocation(id)
			s.res["service.name"] = "pipectl " + leak
			s.name = "pipectl " + leak
			return s
		},
	},
	{
		name: "a span link",
		spec: func(id pcommon.TraceID) spanSpec { return invocation(id) },
		mutate: func(td ptrace.Traces) {
			l := td.ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0).Links().AppendEmpty()
			l.SetTraceID(pcommon.TraceID{9, 9, 9})
			l.Attributes().PutStr("link.secret", leak+"-link")
		},
	},
}

// TestPrivacyHandMadeRequests sends every case as OTLP protobuf and as OTLP
// JSON (gzip'd and not) through the collector into Jaeger and the file.
func TestPrivacyHandMadeRequests(t *testing.T) {
	j := startJaeger(t)
	c := startCollector(t, collectorOpts{jaegerOTLP: j.otlpAddr})

	type sent struct {
		c    privacyCase
		id   pcommon.TraceID
		enc  string
		kept bool
	}
	var all []sent
	n := uint64(0)
	for _, enc := range []string{"proto", "json", "proto+gzip"} {
		for _, pc := range privacyCases {
			n++
			id := traceIDOf(0xa0, n)
			td := traces(pc.spec(id))
			if pc.mutate != nil {
				pc.mutate(td)
			}
			var body []byte
			ct := "application/x-protobuf"
			if enc == "json" {
				body, ct = jsonBody(td), "application/json"
			} else {
				body = protoBody(td)
			}
			gz := strings.HasSuffix(enc, "+gzip")
			if gz {
				body = gzipBytes(body)
			}
			code, _, err := c.post(body, ct, gz)
			if err != nil || code != http.StatusOK {
				// A dropped span is still acknowledged: the client has
				// nothing to retry.
				t.Fatalf("%s %s: %d %v", enc, pc.name, code, err)
			}
			all = append(all, sent{pc, id, enc, pc.kept})
		}
	}
	// A span sent last, after everything else: once it is in both stores,
	// everything before it went through the pipeline.
	n++
	last := traceIDOf(0xa0, n)
	if code, _, err := c.post(protoBody(traces(invocation(last))), "application/x-protobuf", false); err != nil || code != http.StatusOK {
		t.Fatalf("last span: %d %v", code, err)
	}

	wantKept := 1
	for _, s := range all {
		if s.kept {
			wantKept++
		}
	}
	var stored []flatSpan
	var raw []byte
	waitFor(t, 15*time.Second, "the last span in the file export", func() bool {
		td, r := c.exported(t)
		stored, raw = spansOf(td), r
		for _, s := range stored {
			if s.span.TraceID() == last {
				return true
			}
		}
		return false
	})
	byID := map[pcommon.TraceID]flatSpan{}
	for _, s := range stored {
		byID[s.span.TraceID()] = s
	}
	if len(stored) != wantKept {
		t.Errorf("file export holds %d spans, want %d", len(stored), wantKept)
	}
	for _, s := range all {
		got, ok := byID[s.id]
		switch {
		case s.kept && !ok:
			t.Errorf("%s %s: span not stored", s.enc, s.c.name)
		case !s.kept && ok:
			t.Errorf("%s %s: span stored, want dropped: %v", s.enc, s.c.name, got.span.Attributes().AsRaw())
		case ok && s.c.check != nil:
			t.Run(s.enc+"/"+s.c.name, func(t *testing.T) { s.c.check(t, got) })
		}
	}
	if i := bytes.Index(raw, []byte(leak)); i >= 0 {
		t.Errorf("the file export contains %q: …%s…", leak, raw[max(0, i-200):min(len(raw), i+50)])
	}

	// Jaeger: the same spans, and nothing marked.
	spans, body := j.waitSpans(t, "pipectl", wantKept)
	if len(spans) != wantKept {
		t.Errorf("jaeger holds %d spans, want %d", len(spans), wantKept)
	}
	if i := bytes.Index(body, []byte(leak)); i >= 0 {
		t.Errorf("jaeger's JSON contains %q: …%s…", leak, body[max(0, i-200):min(len(body), i+50)])
	}
	if svcs := j.services(t); len(svcs) != 1 || svcs[0] != "pipectl" {
		t.Errorf("jaeger services %v, want only pipectl", svcs)
	}
	for _, s := range all {
		if s.kept && !bytes.Contains(body, []byte(hex.EncodeToString(s.id[:]))) {
			t.Errorf("%s %s: not in jaeger", s.enc, s.c.name)
		}
	}
}
