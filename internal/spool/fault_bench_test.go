//go:build unix

package spool

import (
	"net/http"
	"testing"
	"time"

	"github.com/anontel/anontel/internal/otlpsink"
)

// BenchmarkCommand runs the fake CLI as a real process, per collector
// fault, and reports the command's wall time (wall-ms/cmd), the time spent
// on telemetry inside it (telemetry-µs/cmd) and the same command without
// telemetry (the "no telemetry" case), split into the spool write
// (TracerProvider.Shutdown) and StartUploader (fork/exec, or nothing while
// backing off). Back-off is the default, as users
// have it. Uploaders are waited for after the timing.
func BenchmarkCommand(b *testing.B) {
	const deadline = 2 * time.Second
	cases := []struct {
		name     string
		endpoint func(b *testing.B) string
		mode     string
	}{
		{"no telemetry", func(b *testing.B) string { return "http://127.0.0.1:1" }, "plain"},
		{"collector up", func(b *testing.B) string { return newCollector(b, answerOK).URL }, "cli"},
		{"connection refused", func(b *testing.B) string { return refusedURL(b) }, "cli"},
		{"accepts and never answers", func(b *testing.B) string { return blackhole(b) }, "cli"},
		{"503 Retry-After", func(b *testing.B) string {
			return newCollector(b, func(int) otlpsink.Answer {
				return otlpsink.Answer{Status: 503, Header: http.Header{"Retry-After": []string{"120"}}}
			}).URL
		}, "cli"},
		{"400", func(b *testing.B) string {
			return newCollector(b, func(int) otlpsink.Answer { return otlpsink.Answer{Status: 400} }).URL
		}, "cli"},
		{"slow answer", func(b *testing.B) string {
			return newCollector(b, func(int) otlpsink.Answer { return otlpsink.Answer{Status: 200, Delay: 500 * time.Millisecond} }).URL
		}, "cli"},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			h := newHost(b, tc.endpoint(b), envDeadline+"="+deadline.String(), envAttempt+"=1s")
			var wall time.Duration
			var telemetry, shutdown, start int64
			n := 0
			for b.Loop() {
				rep, w := h.run(tc.mode, "bench")
				wall += w
				telemetry += rep.TelemetryMicros
				shutdown += rep.ShutdownMicros
				start += rep.StartMicros
				n++
			}
			b.ReportMetric(float64(wall.Microseconds())/float64(n)/1000, "wall-ms/cmd")
			b.ReportMetric(float64(telemetry)/float64(n), "telemetry-µs/cmd")
			b.ReportMetric(float64(shutdown)/float64(n), "spool-write-µs/cmd")
			b.ReportMetric(float64(start)/float64(n), "start-uploader-µs/cmd")
			b.ReportMetric(0, "ns/op")
			for _, up := range h.uploaders() {
				h.waitGone(up.Pid, deadline+2*time.Second)
			}
		})
	}
}
