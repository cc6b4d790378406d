package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/anontel/anontel/collector-config/usage/exportfile"
	"github.com/anontel/anontel/collector-config/usage/synth"
)

// usage runs the command in-process and returns its exit code and output.
func usage(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func writeExport(t *testing.T, path string, opts exportfile.Options, ev []synth.Event) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w, err := exportfile.NewWriter(f, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := synth.Write(w, ev, "pipectl", 16); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestLoadExitCodes(t *testing.T) {
	dir := t.TempDir()
	ev := synth.Generate(synth.Config{Seed: 3, Users: 5, Projects: 2, Weeks: 2, Start: time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC), Tool: "pipectl"})
	good := filepath.Join(dir, "spans.jsonl")
	writeExport(t, good, exportfile.Options{}, ev)
	bad := filepath.Join(dir, "notes.txt")
	os.WriteFile(bad, []byte("hello, world\n"), 0o644)
	db := filepath.Join(dir, "u.duckdb")

	for _, tc := range []struct {
		name  string
		files []string
		code  int
		says  string
	}{
		{"only a bad file", []string{bad}, 1, "notes.txt: not loaded: not a trace file export"},
		{"a bad file and a good one", []string{bad, good}, 0, "spans loaded"},
		{"everything already loaded", []string{good}, 0, "already loaded"},
		{"a missing file", []string{filepath.Join(dir, "gone.jsonl")}, 1, "no such file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := usage(t, append([]string{"load", "--db", db}, tc.files...)...)
			if code != tc.code || !strings.Contains(stderr, tc.says) {
				t.Errorf("exit %d, want %d; stderr:\n%s(want it to say %q)", code, tc.code, stderr, tc.says)
			}
		})
	}
}
