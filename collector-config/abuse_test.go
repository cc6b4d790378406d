package jaegere2e

// Abuse of the public endpoint: each request is refused or served, the
// collector stays up, its memory stays under its limit, and the next good
// request is stored.

import (
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// rssLimitKiB is what the collector may reach under abuse: the
// memory_limiter's limit (200 MiB of heap by default) plus the runtime's
// overhead.
const rssLimitKiB = 300 << 10

func TestAbuse(t *testing.T) {
	c := startCollector(t, collectorOpts{})
	good := uint64(0)
	// stored sends one good span and waits until it is in the file export.
	stored := func(t *testing.T) {
		t.Helper()
		good++
		id := traceIDOf(0xb0, good)
		code, _, err := c.post(protoBody(traces(invocation(id))), "application/x-protobuf", false)
		if err != nil || code != http.StatusOK {
			t.Fatalf("good request after abuse: %d %v\n", code, err)
		}
		waitFor(t, 10*time.Second, "the good span in the file export", func() bool {
			td, _ := c.exported(t)
			for _, s := range spansOf(td) {
				if s.span.TraceID() == id {
					return true
				}
			}
			return false
		})
	}
	after := func(t *testing.T) {
		t.Helper()
		if !c.alive() {
			t.Fatalf("the collector died")
		}
		if _, peak := c.rssKiB(); peak > rssLimitKiB {
			t.Errorf("peak RSS %d KiB, over %d KiB", peak, rssLimitKiB)
		}
		stored(t)
	}

	big := protoBody(traces(invocation(traceIDOf(0xbf, 1))))
	for len(big) < 2<<20 {
		big = append(big, big...)
	}
	cases := []struct {
		name     string
		body     func() []byte
		ct       string
		gzip     bool
		path     string
		method   string
		wantCode int
	}{
		{name: "body over the 1 MiB cap", body: func() []byte { return big }, ct: "application/x-protobuf", wantCode: 400},
		{name: "gzip bomb: 512 MiB of zeros", body: func() []byte { return bomb(512 << 20) }, ct: "application/x-protobuf", gzip: true, wantCode: 400},
		{name: "gzip bomb, JSON", body: func() []byte { return bomb(64 << 20) }, ct: "application/json", gzip: true, wantCode: 400},
		{name: "not gzip at all", body: func() []byte { return []byte("not gzip") }, ct: "application/x-protobuf", gzip: true, wantCode: 400},
		{name: "garbage protobuf", body: func() []byte { b := make([]byte, 4096); rand.Read(b); return b }, ct: "application/x-protobuf", wantCode: 400},
		{name: "garbage JSON", body: func() []byte { return []byte(`{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"zz`) }, ct: "application/json", wantCode: 400},
		{name: "unknown content type", body: func() []byte { return []byte("x") }, ct: "text/plain", wantCode: 415},
		{name: "metrics endpoint", body: func() []byte { return []byte("{}") }, ct: "application/json", path: "/v1/metrics", wantCode: 404},
		{name: "logs endpoint", body: func() []byte { return []byte("{}") }, ct: "application/json", path: "/v1/logs", wantCode: 404},
		{name: "GET", body: func() []byte { return nil }, ct: "application/json", method: http.MethodGet, wantCode: 405},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path, method := tc.path, tc.method
			if path == "" {
				path = "/v1/traces"
			}
			if method == "" {
				method = http.MethodPost
			}
			req, err := http.NewRequest(method, c.otlpURL+path, bytes.NewReader(tc.body()))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", tc.ct)
			if tc.gzip {
				req.Header.Set("Content-Encoding", "gzip")
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatalf("%v", err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.wantCode {
				t.Errorf("status %d, want %d", resp.StatusCode, tc.wantCode)
			}
			after(t)
		})
	}

	t.Run("slow client", func(t *testing.T) {
		// Headers trickled in one byte a second: the server hangs up at
		// read_header_timeout (5 s) instead of keeping the connection.
		conn, err := net.Dial("tcp", strings.TrimPrefix(c.otlpURL, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		start := time.Now()
		closed := false
		for i := 0; i < 20 && !closed; i++ {
			if _, err := conn.Write([]byte("P")); err != nil {
				closed = true
				break
			}
			conn.SetReadDeadline(time.Now().Add(time.Second))
			var b [512]byte
			if _, err := conn.Read(b[:]); err != nil && !isTimeout(err) {
				closed = true
			}
		}
		if !closed {
			t.Fatalf("a client sending a byte a second was still connected after %v", time.Since(start))
		}
		t.Logf("slow client cut off after %v", time.Since(start).Round(time.Millisecond))
		after(t)
	})

	t.Run("10000 requests from 64 connections", func(t *testing.T) {
		codes, errs := flood(c, 10000, 64, 0xb1)
		t.Logf("answers %v, transport errors %d", codes, errs)
		for code := range codes {
			if code != http.StatusOK && code != http.StatusTooManyRequests && code != http.StatusServiceUnavailable {
				t.Errorf("answer %d to a good request", code)
			}
		}
		if codes[http.StatusOK] == 0 {
			t.Errorf("no request served")
		}
		if errs > 0 {
			t.Errorf("%d requests got no answer", errs)
		}
		after(t)
	})
}

// TestOverloadRefusedWithRetryAfter: with a memory limit a little above
// what the idle collector uses, large requests from many connections first
// are served and then, as memory grows, refused with 503 and Retry-After;
// the collector stays up and serves again once the burst is over.
func TestOverloadRefusedWithRetryAfter(t *testing.T) {
	c := startCollector(t, collectorOpts{memLimitMiB: 48})
	var served, refused, withRetryAfter atomic.Int64
	var wg sync.WaitGroup
	body := batchBody(0xc0, 0, 800) // 785 kB, under the 1 MiB cap
	deadline := time.Now().Add(15 * time.Second)
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) && refused.Load() < 10 {
				code, ra, err := c.post(body, "application/x-protobuf", false)
				switch {
				case err != nil:
				case code == http.StatusOK:
					served.Add(1)
				case code == http.StatusServiceUnavailable || code == http.StatusTooManyRequests:
					refused.Add(1)
					if ra != "" {
						withRetryAfter.Add(1)
					}
				}
			}
		}()
	}
	wg.Wait()
	t.Logf("served %d, refused %d (%d with Retry-After)", served.Load(), refused.Load(), withRetryAfter.Load())
	if served.Load() == 0 || refused.Load() == 0 {
		t.Fatalf("want some requests served and then some refused")
	}
	if withRetryAfter.Load() != refused.Load() {
		t.Errorf("%d of %d refusals carried Retry-After", withRetryAfter.Load(), refused.Load())
	}
	if !c.alive() {
		t.Fatal("the collector died")
	}
	// Memory comes back down once the burst is over.
	waitFor(t, 30*time.Second, "a request served after the burst", func() bool {
		code, _, err := c.post(protoBody(traces(invocation(traceIDOf(0xc1, 1)))), "application/x-protobuf", false)
		return err == nil && code == http.StatusOK
	})
}

// bomb gzips n zeros: a small body that expands enormously.
func bomb(n int) []byte {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zero := make([]byte, 1<<20)
	for i := 0; i < n; i += len(zero) {
		zw.Write(zero)
	}
	zw.Close()
	return buf.Bytes()
}

func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}

// flood sends n gzip'd one-span requests from conns concurrent connections
// and counts the answers.
func flood(c *collector, n, conns int, prefix byte) (map[int]int, int) {
	var mu sync.Mutex
	codes := map[int]int{}
	errs := 0
	var next atomic.Int64
	var wg sync.WaitGroup
	tr := &http.Transport{MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns}
	defer tr.CloseIdleConnections()
	cl := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	for range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1)
				if i > int64(n) {
					return
				}
				body := gzipBytes(protoBody(traces(invocation(traceIDOf(prefix, uint64(i))))))
				req, _ := http.NewRequest(http.MethodPost, c.otlpURL+"/v1/traces", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/x-protobuf")
				req.Header.Set("Content-Encoding", "gzip")
				resp, err := cl.Do(req)
				mu.Lock()
				if err != nil {
					errs++
				} else {
					codes[resp.StatusCode]++
				}
				mu.Unlock()
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
			}
		}()
	}
	wg.Wait()
	return codes, errs
}

// batchBody is one request of n invocation spans with trace ids from first.
func batchBody(prefix byte, first uint64, n int) []byte {
	specs := make([]spanSpec, n)
	for i := range specs {
		specs[i] = invocation(traceIDOf(prefix, first+uint64(i)))
	}
	td := traces(specs...)
	return protoBody(td)
}
