package otlpsink

import (
	"compress/gzip"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

// Span is a received span with its resource, flattened for assertions.
type Span struct {
	Name       string
	Kind       tracepb.Span_SpanKind
	StatusCode tracepb.Status_StatusCode
	StatusMsg  string
	Scope      string
	ScopeVer   string
	Attributes map[string]any // string, bool, int64, float64 or []string
	Resource   map[string]any
	Events     []Event
}

// Event is a received span event.
type Event struct {
	Name       string
	Attributes map[string]any
}

// Sink is a running receiver.
type Sink struct {
	URL string // base URL, e.g. http://127.0.0.1:43121

	srv         *http.Server
	ln          net.Listener
	connections atomic.Int64
	mu          sync.Mutex
	spans       []Span
	bodies      [][]byte
}

// Start listens on 127.0.0.1 at a free port, or at addr when it is not "".
func Start(addr string) (*Sink, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("otlpsink: listen: %w", err)
	}
	s := &Sink{URL: "http://" + ln.Addr().String(), ln: ln}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/traces", s.traces)
	s.srv = &http.Server{
		Handler: mux,
		ConnState: func(_ net.Conn, state http.ConnState) {
			if state == http.StateNew {
				s.connections.Add(1)
			}
		},
	}
	go s.srv.Serve(ln)
	return s, nil
}

// Close stops the receiver.
func (s *Sink) Close() error { return s.srv.Close() }

// Connections returns how many connections were accepted.
func (s *Sink) Connections() int64 { return s.connections.Load() }

// Spans returns the spans received so far.
func (s *Sink) Spans() []Span {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Span(nil), s.spans...)
}

// Bodies returns the raw (decompressed) request bodies received so far.
func (s *Sink) Bodies() [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([][]byte(nil), s.bodies...)
}

func (s *Sink) traces(w http.ResponseWriter, r *http.Request) {
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			http.Error(w, "bad gzip", http.StatusBadRequest)
			return
		}
		body = zr
	}
	raw, err := io.ReadAll(io.LimitReader(body, 8<<20))
	if err != nil {
		http.Error(w, "read", http.StatusBadRequest)
		return
	}
	var req coltracepb.ExportTraceServiceRequest
	if err := proto.Unmarshal(raw, &req); err != nil {
		http.Error(w, "not an OTLP trace request", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.bodies = append(s.bodies, raw)
	s.spans = append(s.spans, Flatten(&req)...)
	s.mu.Unlock()
	out, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
	w.Header().Set("Content-Type", "application/x-protobuf")
	w.Write(out)
}

// Flatten lists the spans of a request.
func Flatten(req *coltracepb.ExportTraceServiceRequest) []Span {
	var out []Span
	for _, rs := range req.GetResourceSpans() {
		res := attrs(rs.GetResource().GetAttributes())
		for _, ss := range rs.GetScopeSpans() {
			for _, sp := range ss.GetSpans() {
				span := Span{
					Name:       sp.GetName(),
					Kind:       sp.GetKind(),
					StatusCode: sp.GetStatus().GetCode(),
					StatusMsg:  sp.GetStatus().GetMessage(),
					Scope:      ss.GetScope().GetName(),
					ScopeVer:   ss.GetScope().GetVersion(),
					Attributes: attrs(sp.GetAttributes()),
					Resource:   res,
				}
				for _, ev := range sp.GetEvents() {
					span.Events = append(span.Events, Event{Name: ev.GetName(), Attributes: attrs(ev.GetAttributes())})
				}
				out = append(out, span)
			}
		}
	}
	return out
}

func attrs(kvs []*commonpb.KeyValue) map[string]any {
	m := make(map[string]any, len(kvs))
	for _, kv := range kvs {
		m[kv.GetKey()] = value(kv.GetValue())
	}
	return m
}

func value(v *commonpb.AnyValue) any {
	switch x := v.GetValue().(type) {
	case *commonpb.AnyValue_StringValue:
		return x.StringValue
	case *commonpb.AnyValue_BoolValue:
		return x.BoolValue
	case *commonpb.AnyValue_IntValue:
		return x.IntValue
	case *commonpb.AnyValue_DoubleValue:
		return x.DoubleValue
	case *commonpb.AnyValue_ArrayValue:
		var out []string
		for _, e := range x.ArrayValue.GetValues() {
			out = append(out, fmt.Sprint(value(e)))
		}
		return out
	}
	return nil
}
