package store_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/anontel/anontel/collector-config/usage/exportfile"
	"github.com/anontel/anontel/collector-config/usage/store"
	"github.com/anontel/anontel/collector-config/usage/synth"
)

// BenchmarkLoad loads a file export of realistic spans into a new database
// per iteration and reports spans/s.
func BenchmarkLoad(b *testing.B) {
	cfg := synth.Demo()
	cfg.Users, cfg.Projects = 600, 200
	ev := synth.Generate(cfg)
	for _, opts := range []exportfile.Options{{Format: "json"}, {Format: "proto"}} {
		b.Run(opts.Format, func(b *testing.B) {
			dir := b.TempDir()
			path := filepath.Join(dir, "spans")
			f, _ := os.Create(path)
			w, _ := exportfile.NewWriter(f, opts)
			if err := synth.Write(w, ev, cfg.Tool, 1000); err != nil {
				b.Fatal(err)
			}
			f.Close()
			b.ResetTimer()
			for i := range b.N {
				db, err := store.Open(context.Background(), filepath.Join(dir, "db"+string(rune('a'+i%26))+".duckdb"))
				if err != nil {
					b.Fatal(err)
				}
				if r := db.LoadFile(context.Background(), path); r.Err != nil || r.Spans != len(ev) {
					b.Fatal(r)
				}
				db.Close()
			}
			b.ReportMetric(float64(len(ev)*b.N)/b.Elapsed().Seconds(), "spans/s")
		})
	}
}
