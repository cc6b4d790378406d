package jaegere2e

// Load benchmark of otelcol.yaml through the full pipeline (receiver,
// memory_limiter, filter, transform, file export and the Jaeger exporter's
// persistent queue), reported, not asserted. Bounded: a fixed number of
// requests and a time limit, whichever comes first. Run it with
//
//	make collector-load
//
// The generator runs in this process, on the same 2 cores as the collector.

import (
	"bytes"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

type loadResult struct {
	sent, ok, refused, failed int64
	elapsed                   time.Duration
	latencies                 []time.Duration // of 2xx answers
	acked                     []pcommon.TraceID
}

// load sends up to total requests from conns connections for at most
// limit. Each request carries spansPer invocation spans; with rate > 0 the
// senders together start at most rate requests a second (open loop).
func load(c *collector, prefix byte, total, conns, spansPer int, rate float64, limit time.Duration, gz bool) loadResult {
	var (
		mu   sync.Mutex
		res  loadResult
		next atomic.Int64
		wg   sync.WaitGroup
	)
	tr := &http.Transport{MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns}
	defer tr.CloseIdleConnections()
	cl := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	// Bodies are encoded before the clock starts, so that the generator's
	// share of the 2 cores is only sending. An open-ended run reuses a
	// window of them.
	nb := min(total, 100000)
	bodies := make([][]byte, nb)
	for i := range bodies {
		bodies[i] = batchBody(prefix, uint64(i+1)*uint64(spansPer), spansPer)
		if gz {
			bodies[i] = gzipBytes(bodies[i])
		}
	}
	start := time.Now()
	deadline := start.Add(limit)
	var tick <-chan time.Time
	if rate > 0 {
		tk := time.NewTicker(time.Duration(float64(time.Second) / rate))
		defer tk.Stop()
		tick = tk.C
	}
	for range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var lat []time.Duration
			var acked []pcommon.TraceID
			var ok, refused, failed, sent int64
			defer func() {
				mu.Lock()
				res.latencies = append(res.latencies, lat...)
				res.acked = append(res.acked, acked...)
				res.ok += ok
				res.refused += refused
				res.failed += failed
				res.sent += sent
				mu.Unlock()
			}()
			for time.Now().Before(deadline) {
				i := next.Add(1)
				if i > int64(total) {
					return
				}
				if tick != nil {
					select {
					case <-tick:
					case <-time.After(time.Until(deadline)):
						return
					}
				}
				// Request i carries trace ids from i*spansPer; beyond the
				// window of bodies ids repeat, so only the first nb
				// requests count as distinct for the acknowledgement check.
				j := (i - 1) % int64(nb)
				first := uint64(j+1) * uint64(spansPer)
				body := bodies[j]
				req, _ := http.NewRequest(http.MethodPost, c.otlpURL+"/v1/traces", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/x-protobuf")
				if gz {
					req.Header.Set("Content-Encoding", "gzip")
				}
				sent++
				t0 := time.Now()
				resp, err := cl.Do(req)
				if err != nil {
					failed++
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode/100 == 2 {
					ok++
					lat = append(lat, time.Since(t0))
					for k := range spansPer {
						if i <= int64(nb) {
							acked = append(acked, traceIDOf(prefix, first+uint64(k)))
						}
					}
				} else {
					refused++
				}
			}
		}()
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	return res
}

func (r loadResult) p99() time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	l := slices.Clone(r.latencies)
	slices.Sort(l)
	return l[len(l)*99/100]
}

// BenchmarkCollectorLoad: figures for collector-config/README.md. Each
// sub-benchmark starts its own collector; unless a case starts Jaeger, the
// Jaeger exporter points at a port where nothing listens, so its queue is
// written but never drained.
func BenchmarkCollectorLoad(b *testing.B) {
	cases := []struct {
		name     string
		total    int
		conns    int
		spansPer int
		gz       bool
		jaeger   bool // a running Jaeger drains the queue, on the same cores
	}{
		// Uncompressed is what anontel's uploader sends; gzip is what
		// other OTLP clients may send.
		{"one span per request", 30000, 64, 1, false, false},
		{"one span per request, gzip", 30000, 64, 1, true, false},
		{"one span per request, Jaeger running", 30000, 64, 1, false, true},
		{"100 spans per request", 2000, 16, 100, false, false},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			var o collectorOpts
			if tc.jaeger {
				o.jaegerOTLP = startJaeger(b).otlpAddr
			}
			c := startCollector(b, o)
			var r loadResult
			var cpu time.Duration
			for b.Loop() {
				cpu0 := c.cpuTime()
				r = load(c, 0xe0, tc.total, tc.conns, tc.spansPer, 0, 20*time.Second, tc.gz)
				cpu = c.cpuTime() - cpu0
			}
			_, peak := c.rssKiB()
			secs := r.elapsed.Seconds()
			// The machine may be shared: the collector's own CPU time per
			// request says what 2 cores of its own would carry.
			perReq := cpu.Seconds() / float64(r.ok)
			b.ReportMetric(perReq*1e6, "collector-CPU-µs/req")
			b.ReportMetric(2/perReq, "req/s-per-2-cores")
			b.ReportMetric(float64(r.ok)/secs, "req/s")
			b.ReportMetric(float64(r.ok)*float64(tc.spansPer)/secs, "spans/s")
			b.ReportMetric(float64(r.p99().Microseconds())/1000, "p99-ms")
			b.ReportMetric(float64(peak)/1024, "peak-RSS-MiB")
			b.ReportMetric(float64(r.refused), "refused")
			b.ReportMetric(float64(r.failed), "no-answer")
			b.Logf("%s: sent %d, ok %d, refused %d, no answer %d in %v", tc.name, r.sent, r.ok, r.refused, r.failed, r.elapsed.Round(time.Millisecond))
		})
	}

	// Overload: twice the measured one-span capacity, offered open loop,
	// with a memory limit; the collector refuses rather than grows, and
	// every acknowledged span is stored.
	b.Run("2x overload", func(b *testing.B) {
		c := startCollector(b, collectorOpts{})
		probe := load(c, 0xe1, 20000, 64, 1, 0, 5*time.Second, false)
		capacity := float64(probe.ok) / probe.elapsed.Seconds()
		var r loadResult
		for b.Loop() {
			r = load(c, 0xe2, 1<<30, 256, 1, 2*capacity, 15*time.Second, false)
		}
		_, peak := c.rssKiB()
		stored := map[pcommon.TraceID]bool{}
		deadline := time.Now().Add(30 * time.Second)
		missing := len(r.acked)
		for missing > 0 && time.Now().Before(deadline) {
			td, _ := c.exported(b)
			for _, s := range spansOf(td) {
				stored[s.span.TraceID()] = true
			}
			missing = 0
			for _, id := range r.acked {
				if !stored[id] {
					missing++
				}
			}
			if missing > 0 {
				time.Sleep(500 * time.Millisecond)
			}
		}
		b.ReportMetric(capacity, "capacity-req/s")
		b.ReportMetric(float64(r.ok)/r.elapsed.Seconds(), "served-req/s")
		b.ReportMetric(float64(r.refused)/r.elapsed.Seconds(), "refused-req/s")
		b.ReportMetric(float64(r.p99().Microseconds())/1000, "p99-ms")
		b.ReportMetric(float64(peak)/1024, "peak-RSS-MiB")
		b.ReportMetric(float64(missing), "acked-lost")
		b.Logf("overload: offered %.0f req/s, sent %d, ok %d, refused %d, no answer %d, acked but not stored %d",
			2*capacity, r.sent, r.ok, r.refused, r.failed, missing)
		if missing > 0 {
			b.Errorf("%d acknowledged spans are not stored", missing)
		}
	})
}
