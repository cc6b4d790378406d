package userfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

func TestPath(t *testing.T) {
	tests := []struct {
		name    string
		xdg     string
		home    string
		tool    string
		want    string // relative to the temp dir
		wantErr bool
	}{
		{name: "XDG_CONFIG_HOME honoured", xdg: "xdg", home: "home", tool: "pipectl", want: "xdg/pipectl/telemetry.toml"},
		{name: "HOME fallback", home: "home", tool: "pipectl", want: "home/.config/pipectl/telemetry.toml"},
		{name: "no home", tool: "pipectl", wantErr: true},
		{name: "tool with separator", xdg: "xdg", tool: "a/b", wantErr: true},
		{name: "empty tool", xdg: "xdg", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			set := func(k, v string) {
				if v == "" {
					t.Setenv(k, "")
					return
				}
				t.Setenv(k, filepath.Join(dir, v))
			}
			set("XDG_CONFIG_HOME", tc.xdg)
			set("HOME", tc.home)
			got, err := Path(tc.tool)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("Path = %q, want error", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if want := filepath.Join(dir, tc.want); got != want {
				t.Fatalf("Path = %q, want %q", got, want)
			}
			if _, err := os.Stat(filepath.Dir(got)); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("Path created its folder (stat: %v)", err)
			}
		})
	}
}

func TestLoad(t *testing.T) {
	tests := []struct {
		name    string
		content *string // nil: no file
		dir     bool    // a folder where the file should be
		want    map[string]any
		corrupt bool
		wantErr bool
	}{
		{name: "missing file", want: map[string]any{}},
		{name: "empty file", content: ptr(""), want: map[string]any{}},
		{name: "no telemetry table", content: ptr("[other]\na = 1\n"), want: map[string]any{}},
		{name: "keys", content: ptr("# c\n[telemetry]\nconsent = false\nuuid = \"x\"\n"), want: map[string]any{"consent": false, "uuid": "x"}},
		{name: "not TOML", content: ptr("{{{ not toml"), corrupt: true, wantErr: true},
		{name: "binary", content: ptr("\x00\xff\xfe"), corrupt: true, wantErr: true},
		{name: "telemetry not a table", content: ptr("telemetry = 5\n"), corrupt: true, wantErr: true},
		{name: "unreadable (a folder)", dir: true, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "telemetry.toml")
			if tc.content != nil {
				write(t, path, *tc.content)
			}
			if tc.dir {
				if err := os.Mkdir(path, 0o700); err != nil {
					t.Fatal(err)
				}
			}
			got, err := Load(path)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("Load = %v, want error", got)
				}
				if errors.Is(err, ErrCorrupt) != tc.corrupt {
					t.Fatalf("errors.Is(%v, ErrCorrupt) = %v, want %v", err, !tc.corrupt, tc.corrupt)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Fatalf("Load = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestSet(t *testing.T) {
	tests := []struct {
		name    string
		before  *string // nil: no file (and no folder)
		key     string
		value   any
		want    string // file afterwards
		backups int    // corrupt-* copies expected
	}{
		{
			name: "fresh: folder and file created",
			key:  "consent", value: true,
			want: "[telemetry]\nconsent = true\n",
		},
		{
			name:   "other keys, tables and comments preserved",
			before: ptr("# my settings\n[telemetry]\nuuid = \"u\" # id\n\n[ui]\ncolor = \"blue\"\n"),
			key:    "consent", value: false,
			want: "# my settings\n[telemetry]\nuuid = \"u\" # id\nconsent = false\n\n[ui]\ncolor = \"blue\"\n",
		},
		{
			name:   "value replaced in place",
			before: ptr("[telemetry]\nconsent = true # chosen\nuuid = \"u\"\n"),
			key:    "consent", value: false,
			want: "[telemetry]\nconsent = false # chosen\nuuid = \"u\"\n",
		},
		{
			name:   "table absent: appended",
			before: ptr("[ui]\ncolor = 1\n"),
			key:    "uuid", value: "u",
			want: "[ui]\ncolor = 1\n\n[telemetry]\nuuid = 'u'\n",
		},
		{
			name:   "corrupt: copy kept, healed",
			before: ptr("[telemetry\nuuid = broken"),
			key:    "consent", value: true,
			want:    "[telemetry]\nconsent = true\n",
			backups: 1,
		},
		{
			name:   "telemetry not a table: copy kept, healed",
			before: ptr("telemetry = \"x\"\n"),
			key:    "consent", value: true,
			want:    "[telemetry]\nconsent = true\n",
			backups: 1,
		},
		{
			name:   "inline telemetry table cannot be edited: copy kept, rewritten",
			before: ptr("telemetry = { uuid = \"u\" }\n"),
			key:    "consent", value: true,
			want:    "[telemetry]\nconsent = true\n",
			backups: 1,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "pipectl")
			path := filepath.Join(dir, "telemetry.toml")
			if tc.before != nil {
				if err := os.Mkdir(dir, 0o755); err != nil {
					t.Fatal(err)
				}
				write(t, path, *tc.before)
			}
			if err := Set(path, tc.key, tc.value); err != nil {
				t.Fatalf("Set: %v", err)
			}
			if got := read(t, path); got != tc.want {
				t.Fatalf("file is\n%q\nwant\n%q", got, tc.want)
			}
			mode(t, path, 0o600)
			if tc.before == nil {
				mode(t, dir, 0o700|os.ModeDir)
			}
			copies, _ := filepath.Glob(path + ".corrupt-*")
			if len(copies) != tc.backups {
				t.Fatalf("%d corrupt copies, want %d", len(copies), tc.backups)
			}
			for _, c := range copies {
				if got := read(t, c); got != *tc.before {
					t.Fatalf("copy holds %q, want the corrupt file %q", got, *tc.before)
				}
				mode(t, c, 0o600)
			}
			tmps, _ := filepath.Glob(filepath.Join(dir, ".telemetry.toml.tmp-*"))
			if len(tmps) != 0 {
				t.Fatalf("temporary files left: %v", tmps)
			}
		})
	}
}

func TestSetSameValueDoesNotRewrite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "telemetry.toml")
	write(t, path, "[telemetry]\nconsent = true\n")
	before, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := Set(path, "consent", true); err != nil {
		t.Fatal(err)
	}
	after, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if !os.SameFile(before, after) {
		t.Fatal("file was replaced although the value did not change")
	}
}

func TestSetErrors(t *testing.T) {
	tmp := t.TempDir()
	file := filepath.Join(tmp, "file")
	write(t, file, "x")
	tests := []struct {
		name  string
		path  string
		value any
	}{
		{name: "folder cannot be created (parent is a file)", path: filepath.Join(file, "pipectl", "telemetry.toml"), value: true},
		{name: "value not encodable", path: filepath.Join(tmp, "ok", "telemetry.toml"), value: map[string]any{"a": map[string]any{"b": 1}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := Set(tc.path, "k", tc.value); err == nil {
				t.Fatal("Set succeeded, want error")
			}
			if _, err := os.Stat(tc.path); err == nil {
				t.Fatal("file exists after failed Set")
			}
		})
	}
}

func TestUpdateNoWriteLeavesFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "telemetry.toml")
	const content = "[telemetry\nbroken"
	write(t, path, content)
	var seen map[string]any
	err := Update(path, func(v map[string]any) (string, any, bool) {
		seen = v
		return "", nil, false
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != 0 {
		t.Fatalf("corrupt file passed as %v, want empty table", seen)
	}
	if got := read(t, path); got != content {
		t.Fatalf("file changed to %q", got)
	}
	if copies, _ := filepath.Glob(path + ".corrupt-*"); len(copies) != 0 {
		t.Fatalf("copy made without a write: %v", copies)
	}
}

// TestUpdateNoLostWrites runs many writers of distinct keys at once; the lock
// makes each read-modify-write see the previous ones, so all keys survive.
func TestUpdateNoLostWrites(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cfg", "telemetry.toml")
	const n = 20
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			errs <- Set(path, fmt.Sprintf("k%02d", i), true)
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	got, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != n {
		t.Fatalf("%d keys survived, want %d: %s", len(got), n, read(t, path))
	}
}

func BenchmarkLoad(b *testing.B) {
	path := filepath.Join(b.TempDir(), "telemetry.toml")
	os.WriteFile(path, []byte("[telemetry]\nconsent = true\nuuid = \"0f8fad5b-d9cb-469f-a165-70867728950e\"\n"), 0o600)
	for b.Loop() {
		if _, err := Load(path); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSet(b *testing.B) {
	path := filepath.Join(b.TempDir(), "telemetry.toml")
	v := false
	for b.Loop() {
		v = !v
		if err := Set(path, "consent", v); err != nil {
			b.Fatal(err)
		}
	}
}

func ptr(s string) *string { return &s }

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func mode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode(); got != want {
		t.Fatalf("%s has mode %v, want %v", filepath.Base(path), got, want)
	}
}
