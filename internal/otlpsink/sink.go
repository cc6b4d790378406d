package otlpsink

import (
	"compress/gzip"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

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

// Answer is how the sink answers one request.
type Answer struct {
	Status int           // HTTP status; 0 drops the connection without an answer
	Header http.Header   // extra response headers, such as Retry-After
	Delay  time.Duration // wait before answering
}

// Sink is a running receiver. By default it answers every valid request
// 200 with an empty ExportTraceServiceResponse.
type Sink struct {
	URL string // base URL, e.g. http://127.0.0.1:43121

	addr        string
	connections atomic.Int64
	mu          sync.Mutex
	srv         *http.Server
	answer      func(n int) Answer
	requests    int
	spans       []Span   // of requests answered 2xx
	bodies      [][]byte // of requests answered 2xx
	received    []string // span names of every valid request
	bad         []string // why invalid requests were refused
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
	s := &Sink{URL: "http://" + ln.Addr().String(), addr: ln.Addr().String()}
	s.serve(ln)
	return s, nil
}

func (s *Sink) serve(ln net.Listener) {
	mux := http.NewServeMux()
	mux.HandleFunc("/", s.traces)
	srv := &http.Server{
		Handler: mux,
		ConnState: func(_ net.Conn, state http.ConnState) {
			if state == http.StateNew {
				s.connections.Add(1)
			}
		},
	}
	s.mu.Lock()
	s.srv = srv
	s.mu.Unlock()
	go srv.Serve(ln)
}

// Close stops the receiver: its address then refuses connections.
func (s *Sink) Close() error {
	s.mu.Lock()
	srv := s.srv
	s.srv = nil
	s.mu.Unlock()
	if srv == nil {
		return nil
	}
	return srv.Close()
}

// Restart listens again on the same address after Close.
func (s *Sink) Restart() error {
	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		return fmt.Errorf("otlpsink: listening again on %s: %w", s.addr, err)
	}
	s.serve(ln)
	return nil
}

// SetAnswer makes the sink answer request n (counting from 1) with
// answer(n); nil restores the default 200.
func (s *Sink) SetAnswer(answer func(n int) Answer) {
	s.mu.Lock()
	s.answer = answer
	s.mu.Unlock()
}

// Requests returns how many requests reached the sink.
func (s *Sink) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

// Accepted returns the span names of the requests answered 2xx.
func (s *Sink) Accepted() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	names := make([]string, len(s.spans))
	for i, sp := range s.spans {
		names[i] = sp.Name
	}
	return names
}

// Received returns the span names of every valid request, whatever the
// answer.
func (s *Sink) Received() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.received...)
}

// Bad returns why requests that were not OTLP/HTTP protobuf trace requests
// to /v1/traces were refused.
func (s *Sink) Bad() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.bad...)
}

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
	req, raw, err := decode(r)
	s.mu.Lock()
	s.requests++
	n, answer := s.requests, s.answer
	if err != nil {
		s.bad = append(s.bad, err.Error())
	} else {
		for _, sp := range Flatten(req) {
			s.received = append(s.received, sp.Name)
		}
	}
	s.mu.Unlock()
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	a := Answer{Status: http.StatusOK}
	if answer != nil {
		a = answer(n)
	}
	if a.Delay > 0 {
		select {
		case <-time.After(a.Delay):
		case <-r.Context().Done():
			return
		}
	}
	if a.Status == 0 {
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				conn.Close()
			}
		}
		return
	}
	for k, v := range a.Header {
		w.Header()[k] = v
	}
	if a.Status/100 != 2 {
		w.WriteHeader(a.Status)
		return
	}
	s.mu.Lock()
	s.bodies = append(s.bodies, raw)
	s.spans = append(s.spans, Flatten(req)...)
	s.mu.Unlock()
	out, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/x-protobuf")
	}
	w.WriteHeader(a.Status)
	w.Write(out)
}

// decode reads an OTLP/HTTP protobuf trace request, gzipped or not.
func decode(r *http.Request) (*coltracepb.ExportTraceServiceRequest, []byte, error) {
	if r.Method != http.MethodPost || r.URL.Path != "/v1/traces" {
		return nil, nil, fmt.Errorf("%s %s: not the traces endpoint", r.Method, r.URL.Path)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/x-protobuf" {
		return nil, nil, fmt.Errorf("content type %q", ct)
	}
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			return nil, nil, fmt.Errorf("bad gzip: %w", err)
		}
		body = zr
	}
	raw, err := io.ReadAll(io.LimitReader(body, 8<<20))
	if err != nil {
		return nil, nil, fmt.Errorf("reading: %w", err)
	}
	var req coltracepb.ExportTraceServiceRequest
	if err := proto.Unmarshal(raw, &req); err != nil {
		return nil, nil, fmt.Errorf("not an OTLP trace request: %w", err)
	}
	return &req, raw, nil
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
