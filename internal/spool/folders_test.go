package spool

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestSpoolTightensAnExistingFolder(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix modes")
	}
	cfg := testConfig(t)
	if err := os.MkdirAll(cfg.SpoolDir, 0o755); err != nil {
		t.Fatal(err)
	}
	os.Chmod(cfg.SpoolDir, 0o755)
	s, _ := New(cfg)
	s.ExportSpans(context.Background(), stubSpans("a"))
	if err := s.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(cfg.SpoolDir)
	if fi.Mode().Perm() != 0o700 {
		t.Errorf("spool folder mode %v, want 0700", fi.Mode().Perm())
	}
}

// The tool's cache folder, the spool and the endpoint's folder are
// tightened when they are too open, and refused when one is a symbolic
// link: nothing is written through it and its target is left as it was.
func TestSpoolFoldersAreOursOrRefused(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix modes or links")
	}
	cache := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", cache)
	cfg := Config{Tool: "pipectl", Endpoint: "https://t.example.com"}
	tool := filepath.Join(cache, "pipectl")
	if err := os.MkdirAll(filepath.Join(tool, "spool"), 0o777); err != nil {
		t.Fatal(err)
	}
	os.Chmod(tool, 0o777)
	os.Chmod(filepath.Join(tool, "spool"), 0o777)
	record := func() error {
		s, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		s.ExportSpans(context.Background(), stubSpans("a"))
		return s.Shutdown(context.Background())
	}
	if err := record(); err != nil {
		t.Fatal(err)
	}
	dir, _ := Dir(cfg)
	for _, d := range []string{tool, filepath.Join(tool, "spool"), dir} {
		if fi, err := os.Stat(d); err != nil || fi.Mode().Perm() != 0o700 {
			t.Errorf("%s: %v, want 0700", d, fi.Mode().Perm())
		}
	}

	// The endpoint's folder replaced by a link to someone's folder.
	target := t.TempDir()
	os.Chmod(target, 0o755)
	os.RemoveAll(dir)
	if err := os.Symlink(target, dir); err != nil {
		t.Fatal(err)
	}
	if err := record(); err == nil || !strings.Contains(err.Error(), "symbolic link") {
		t.Errorf("recording through a linked spool folder: %v", err)
	}
	if entries, _ := os.ReadDir(target); len(entries) != 0 {
		t.Errorf("written through the link: %v", entries)
	}
	if fi, _ := os.Stat(target); fi.Mode().Perm() != 0o755 {
		t.Errorf("the link's target was changed to %v", fi.Mode().Perm())
	}
	if _, err := Upload(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), "symbolic link") {
		t.Errorf("uploading from a linked spool folder: %v", err)
	}
}

func TestListSpoolIgnoresForeignAndRemovesStaleTemp(t *testing.T) {
	dir := t.TempDir()
	writeTestFile(t, dir, "ours", time.Now())
	foreign := filepath.Join(dir, "notes.txt")
	os.WriteFile(foreign, []byte("x"), 0o600)
	stale := filepath.Join(dir, ".00000000000000000001-1-aa.otlp.tmp-123")
	fresh := filepath.Join(dir, ".00000000000000000002-1-aa.otlp.tmp-456")
	staleToken := filepath.Join(dir, tokenPrefix+"00112233445566778899aabbccddeeff")
	freshToken := filepath.Join(dir, tokenPrefix+"ffeeddccbbaa99887766554433221100")
	for _, p := range []string{stale, fresh, staleToken, freshToken} {
		os.WriteFile(p, nil, 0o600)
	}
	old := time.Now().Add(-2 * time.Hour)
	os.Chtimes(stale, old, old)
	os.Chtimes(staleToken, old, old)
	files, err := listSpool(dir, time.Now())
	if err != nil || len(files) != 1 {
		t.Fatalf("listSpool = %v, %v; want our one file", files, err)
	}
	for path, want := range map[string]bool{foreign: true, stale: false, fresh: true, staleToken: false, freshToken: true} {
		if _, err := os.Stat(path); (err == nil) != want {
			t.Errorf("%s exists = %v, want %v", filepath.Base(path), err == nil, want)
		}
	}
}

// Listing the spool stats no file written with its size in its name, and
// files named before names held it still count with their real size.
func TestSpoolSizeInName(t *testing.T) {
	dir := t.TempDir()
	writeTestFile(t, dir, "new", time.Now())
	old := filepath.Join(dir, fmt.Sprintf("%020d-1-abcdef12.otlp", time.Now().Add(-time.Minute).UnixNano()))
	if err := os.WriteFile(old, make([]byte, 77), 0o600); err != nil {
		t.Fatal(err)
	}
	files, err := listSpool(dir, time.Now())
	if err != nil || len(files) != 2 {
		t.Fatalf("listSpool = %v, %v", files, err)
	}
	for _, f := range files {
		fi, err := os.Stat(filepath.Join(dir, f.name))
		if err != nil || fi.Size() != f.size {
			t.Errorf("%s: size %d, file has %v (%v)", f.name, f.size, fi.Size(), err)
		}
	}
	if _, ok := sizeInName(filepath.Base(old)); ok {
		t.Errorf("an old name was read as holding a size")
	}
	if n, ok := sizeInName(files[1].name); !ok || n != files[1].size {
		t.Errorf("sizeInName(%q) = %d, %v", files[1].name, n, ok)
	}
}
