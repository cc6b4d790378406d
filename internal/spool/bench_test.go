package spool

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/anontel/anontel/internal/otlpwire"
)

// BenchmarkSpoolWrite measures the exit-path cost of a command: one span
// exported to a Spool and Shutdown, which encodes it and writes the spool
// file (and trims the spool), with and without fsync, into an empty spool
// (the usual case: the uploader drains it) and a full one (100 files).
func BenchmarkSpoolWrite(b *testing.B) {
	spans := stubSpans("pipectl run")
	for _, sync := range []bool{false, true} {
		for _, full := range []bool{false, true} {
			name := "sync=false"
			if sync {
				name = "sync=true"
			}
			if full {
				name += "/spool=full"
			} else {
				name += "/spool=empty"
			}
			b.Run(name, func(b *testing.B) {
				dir := filepath.Join(b.TempDir(), "spool")
				cfg := Config{Tool: "bench", Endpoint: "https://collector.example", SpoolDir: dir, SyncWrites: sync}
				if full {
					for i := range DefaultMaxFiles {
						writeTestFile(b, dir, "old", time.Now().Add(-time.Hour+time.Duration(i)))
					}
				}
				b.ReportAllocs()
				for b.Loop() {
					s := &Spool{cfg: cfg, dir: dir, log: cfg.logger()}
					s.ExportSpans(context.Background(), spans)
					if err := s.Shutdown(context.Background()); err != nil {
						b.Fatal(err)
					}
					if !full {
						b.StopTimer()
						files, _ := listSpool(dir, time.Now())
						for _, f := range files {
							os.Remove(filepath.Join(dir, f.name))
						}
						b.StartTimer()
					}
				}
			})
		}
	}
}

// BenchmarkEncode measures encoding one span.
func BenchmarkEncode(b *testing.B) {
	spans := stubSpans("pipectl run")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := otlpwire.Encode(context.Background(), spans); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkUpload is what one upload costs the uploader process, which the
// user's machine pays too: one spooled invocation read, sent to a loopback
// collector and removed.
func BenchmarkUpload(b *testing.B) {
	c := newCollector(b, answerOK)
	dir := b.TempDir()
	cfg := Config{Tool: "bench", Endpoint: c.URL, SpoolDir: dir}
	body, err := otlpwire.Encode(context.Background(), stubSpans("pipectl run"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		if err := writeSpoolFile(cfg, dir, body, time.Now()); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if res, err := Upload(context.Background(), cfg); err != nil || res.Sent != 1 {
			b.Fatalf("Upload = %+v, %v", res, err)
		}
	}
}
