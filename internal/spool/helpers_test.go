package spool

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"

	"github.com/anontel/anontel/internal/otlpsink"
	"github.com/anontel/anontel/internal/otlpwire"
	"google.golang.org/protobuf/proto"
)

// newCollector starts the shared fake collector on loopback, answering
// with answer (nil: 200), and stops it when the test ends.
func newCollector(t testing.TB, answer func(n int) otlpsink.Answer) *otlpsink.Sink {
	t.Helper()
	c, err := otlpsink.Start("")
	if err != nil {
		t.Fatal(err)
	}
	c.SetAnswer(answer)
	t.Cleanup(func() { c.Close() })
	return c
}

// answerOK answers every request 200.
var answerOK func(int) otlpsink.Answer

func spanNames(raw []byte) ([]string, error) {
	var req coltracepb.ExportTraceServiceRequest
	if err := proto.Unmarshal(raw, &req); err != nil {
		return nil, err
	}
	var names []string
	for _, rs := range req.ResourceSpans {
		for _, ss := range rs.ScopeSpans {
			for _, s := range ss.Spans {
				names = append(names, s.Name)
			}
		}
	}
	return names, nil
}

// blackhole accepts connections and never reads or answers.
func blackhole(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, conn)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	return "http://" + ln.Addr().String()
}

// refusedURL returns a loopback URL where nothing listens.
func refusedURL(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr
}

// writeTestFile writes a spool file holding one span named name.
func writeTestFile(t testing.TB, dir, name string, created time.Time) {
	t.Helper()
	body, err := otlpwire.Encode(context.Background(), stubSpans(name))
	if err != nil {
		t.Fatal(err)
	}
	if err := writeSpoolFile(Config{}, dir, body, created); err != nil {
		t.Fatal(err)
	}
}

// eventually polls cond until it holds or d has passed, and reports
// whether it held.
func eventually(d time.Duration, cond func() bool) bool {
	for deadline := time.Now().Add(d); !cond(); time.Sleep(2 * time.Millisecond) {
		if time.Now().After(deadline) {
			return false
		}
	}
	return true
}
