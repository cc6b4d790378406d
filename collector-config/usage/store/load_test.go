package store_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/anontel/anontel/collector-config/usage/exportfile"
	"github.com/anontel/anontel/collector-config/usage/report"
	"github.com/anontel/anontel/collector-config/usage/store"
	"github.com/anontel/anontel/collector-config/usage/synth"
)

func events(t *testing.T, n int) []synth.Event {
	t.Helper()
	ev := synth.Generate(synth.Config{Seed: 1, Users: 20, Projects: 5, Weeks: 4, Start: time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC), Tool: "pipectl"})
	if len(ev) < n {
		t.Fatalf("the generator made %d events, want at least %d", len(ev), n)
	}
	return ev[:n]
}

// appendExport appends events to path as the file exporter would, batch
// spans per record.
func appendExport(t *testing.T, path string, opts exportfile.Options, ev []synth.Event, batch int) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w, err := exportfile.NewWriter(f, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := synth.Write(w, ev, "pipectl", batch); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func open(t *testing.T) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "usage.duckdb"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func count(t *testing.T, db *store.DB) int {
	t.Helper()
	var n int
	if err := db.QueryRow("SELECT count(*) FROM invocations").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func load(t *testing.T, db *store.DB, path string) *store.Result {
	t.Helper()
	r := db.LoadFile(context.Background(), path)
	t.Log(r)
	return r
}

func TestLoadFormatsIncrementally(t *testing.T) {
	ev := events(t, 60)
	for _, opts := range []exportfile.Options{
		{Format: "json"}, {Format: "proto"},
		{Format: "json", Compression: "zstd"}, {Format: "proto", Compression: "zstd"},
		{Format: "json", Compression: "zstd", NativeCompression: true},
	} {
		name := opts.Format + " " + opts.Compression
		if opts.NativeCompression {
			name += " native"
		}
		t.Run(name, func(t *testing.T) {
			db := open(t)
			path := filepath.Join(t.TempDir(), "spans.jsonl")
			appendExport(t, path, opts, ev[:25], 10)
			if r := load(t, db, path); r.Err != nil || r.Spans != 25 || r.Records != 3 {
				t.Fatalf("first load: %v", r)
			}
			// Re-running is idempotent.
			if r := load(t, db, path); r.Err != nil || r.Progress() || !strings.Contains(r.String(), "already loaded") {
				t.Fatalf("second load: %v", r)
			}
			// The collector appends: only the new records are loaded.
			appendExport(t, path, opts, ev[25:60], 7)
			if r := load(t, db, path); r.Err != nil || r.Spans != 35 || r.Records != 5 || r.AlreadyLoaded == 0 {
				t.Fatalf("after appending: %v", r)
			}
			if n := count(t, db); n != 60 {
				t.Errorf("%d invocations, want 60", n)
			}
		})
	}
}

func TestRotation(t *testing.T) {
	ev := events(t, 50)
	db := open(t)
	dir := t.TempDir()
	active := filepath.Join(dir, "spans.jsonl")
	appendExport(t, active, exportfile.Options{}, ev[:10], 5)
	load(t, db, active)
	appendExport(t, active, exportfile.Options{}, ev[10:20], 5)
	// timberjack renames the active file aside and starts a new one.
	backup := filepath.Join(dir, "spans-2026-01-06T10-00-00.000-size.jsonl")
	if err := os.Rename(active, backup); err != nil {
		t.Fatal(err)
	}
	appendExport(t, active, exportfile.Options{}, ev[20:50], 5)
	r1, r2 := load(t, db, backup), load(t, db, active)
	if r1.Err != nil || r1.Spans != 10 || r1.AlreadyLoaded == 0 || r2.Err != nil || r2.Spans != 30 || r2.AlreadyLoaded != 0 {
		t.Fatalf("after rotation: %v / %v", r1, r2)
	}
	if n := count(t, db); n != 50 {
		t.Errorf("%d invocations, want 50", n)
	}
}

func TestBadInput(t *testing.T) {
	ev := events(t, 30)
	dir := t.TempDir()
	good := filepath.Join(dir, "good.jsonl")
	appendExport(t, good, exportfile.Options{}, ev[:10], 5)

	t.Run("duplicate file", func(t *testing.T) {
		db := open(t)
		load(t, db, good)
		dup := filepath.Join(dir, "copy.jsonl")
		b, _ := os.ReadFile(good)
		os.WriteFile(dup, b, 0o644)
		r := load(t, db, dup)
		if r.Err != nil || r.Progress() || !strings.Contains(r.String(), "same content as "+good) {
			t.Errorf("duplicate: %v", r)
		}
		if n := count(t, db); n != 10 {
			t.Errorf("%d invocations, want 10", n)
		}
	})
	t.Run("truncated file", func(t *testing.T) {
		db := open(t)
		b, _ := os.ReadFile(good)
		cut := filepath.Join(t.TempDir(), "cut.jsonl")
		os.WriteFile(cut, b[:len(b)-50], 0o644)
		r := load(t, db, cut)
		if r.Err != nil || r.Spans != 5 || !r.IncompleteTail || !strings.Contains(r.String(), "ends inside a record") {
			t.Errorf("truncated: %v", r)
		}
		// Once the record is whole, the rest loads.
		os.WriteFile(cut, b, 0o644)
		if r := load(t, db, cut); r.Err != nil || r.Spans != 5 || r.IncompleteTail {
			t.Errorf("completed: %v", r)
		}
		if n := count(t, db); n != 10 {
			t.Errorf("%d invocations, want 10", n)
		}
	})
	t.Run("another format", func(t *testing.T) {
		db := open(t)
		for name, content := range map[string]string{
			"a.csv":         "time,user,command\n2026-01-01,u,run\n",
			"metrics.jsonl": `{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"m"}]}]}]}` + "\n",
			"good-then-bad": string(mustRead(t, good)) + "{not json}\n",
			"jaeger.json":   `{"data":[{"traceID":"abc","spans":[]}]}` + "\n",
		} {
			p := filepath.Join(t.TempDir(), name)
			os.WriteFile(p, []byte(content), 0o644)
			r := load(t, db, p)
			if r.Err == nil || r.Spans != 0 {
				t.Errorf("%s: %v, want an error", name, r)
			}
		}
		if n := count(t, db); n != 0 {
			t.Errorf("%d invocations stored from bad files (one transaction per file)", n)
		}
		var files int
		db.QueryRow("SELECT count(*) FROM loaded_files").Scan(&files)
		if files != 0 {
			t.Errorf("%d files recorded as loaded", files)
		}
	})
	t.Run("spans outside the contract", func(t *testing.T) {
		db := open(t)
		td := synth.Traces(ev[10:14], "pipectl")
		rss := td.ResourceSpans()
		rss.At(0).ScopeSpans().At(0).Spans().At(0).Attributes().Remove("process.exit.code")
		rss.At(1).ScopeSpans().At(0).Spans().At(0).Attributes().PutStr("cli.ci", "yes")
		rss.At(2).Resource().Attributes().PutStr("telemetry.distro.name", "other")
		p := filepath.Join(t.TempDir(), "mixed.jsonl")
		writeTraces(t, p, td)
		r := load(t, db, p)
		want := map[string]int{"missing process.exit.code": 1, "cli.ci is Str, not a bool": 1, "telemetry.distro.name is not anontel": 1}
		if r.Err != nil || r.Spans != 1 || len(r.Skipped) != 3 {
			t.Fatalf("mixed: %v", r)
		}
		for k, v := range want {
			if r.Skipped[k] != v {
				t.Errorf("skipped %q: %d, want %d (all: %v)", k, r.Skipped[k], v, r.Skipped)
			}
		}
		st, _ := db.Stats(context.Background())
		if st.Invocations != 1 || st.Skipped != 3 {
			t.Errorf("stats %+v", st)
		}
		if rep, err := report.Build(context.Background(), db.DB, report.Options{}); err != nil || rep.Skipped != 3 || rep.Invocations != 1 {
			t.Errorf("the report does not say 3 spans were skipped: %v", err)
		}
	})
	t.Run("the same spans in another file", func(t *testing.T) {
		db := open(t)
		load(t, db, good)
		again := filepath.Join(t.TempDir(), "retried.jsonl")
		appendExport(t, again, exportfile.Options{Format: "proto"}, ev[5:15], 4)
		r := load(t, db, again)
		if r.Err != nil || r.Spans != 5 || r.Duplicates != 5 {
			t.Errorf("retried spans: %v", r)
		}
		if n := count(t, db); n != 15 {
			t.Errorf("%d invocations, want 15", n)
		}
	})
}

func mustRead(t *testing.T, p string) []byte {
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func writeTraces(t *testing.T, p string, td ptrace.Traces) {
	t.Helper()
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w, _ := exportfile.NewWriter(f, exportfile.Options{})
	if err := w.Write(td); err != nil {
		t.Fatal(err)
	}
}

func TestParseFlags(t *testing.T) {
	for _, tc := range []struct {
		args    string
		command string
		want    string
	}{
		{"pipectl run --pipeline ***** --env ***** --runner parallel", "run", "--pipeline=***** --env=***** --runner=parallel"},
		{"pipectl run --runner=sequential --async", "run", "--runner=sequential --async="},
		{"pipectl --verbose run -p *****", "run", "--verbose= -p=*****"},
		{"pipectl new --name ***** --tools lint,viz --telemetry=no", "new", "--name=***** --tools=lint,viz --telemetry=no"},
		{"pipectl pipeline create *****", "pipeline create", ""},
		{"pipectl run -- ***** *****", "run", ""},
		{"pipectl *****", "", ""},
	} {
		var got []string
		for _, f := range store.ParseFlags(strings.Fields(tc.args), tc.command) {
			got = append(got, f.Name+"="+f.Value)
		}
		if strings.Join(got, " ") != tc.want {
			t.Errorf("%q: %q, want %q", tc.args, strings.Join(got, " "), tc.want)
		}
	}
}
