package identity

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/anontel/anontel/internal/userfile"
)

var canonical = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestUserID(t *testing.T) {
	const id36 = "0f8fad5b-d9cb-469f-a165-70867728950e"
	tests := []struct {
		name   string
		before *string // nil: no file and no folder
		// want is the id returned; "" means a fresh random v4 id.
		want string
		// after is the file afterwards with the new id as %[1]s; "" means
		// the file must be byte-for-byte unchanged.
		after   string
		backups int
	}{
		{name: "first run: folder and file created", after: "[telemetry]\nuuid = '%[1]s'\n"},
		{name: "36-char id read", before: p("[telemetry]\nuuid = \"" + id36 + "\"\n"), want: id36},
		{name: "32-hex id read, returned canonical, file kept", before: p("[telemetry]\nuuid = \"0f8fad5bd9cb469fa16570867728950e\"\n"), want: id36},
		{name: "upper case id returned lower case", before: p("[telemetry]\nuuid = \"" + strings.ToUpper(id36) + "\"\n"), want: id36},
		{
			name:   "other keys and comments preserved",
			before: p("# written by pipectl\n[telemetry]\nconsent = true # yes\n\n[ui]\ncolor = \"auto\"\n"),
			after:  "# written by pipectl\n[telemetry]\nconsent = true # yes\nuuid = '%[1]s'\n\n[ui]\ncolor = \"auto\"\n",
		},
		{name: "table absent", before: p("[ui]\nx = 1\n"), after: "[ui]\nx = 1\n\n[telemetry]\nuuid = '%[1]s'\n"},
		{name: "empty file", before: p(""), after: "[telemetry]\nuuid = '%[1]s'\n"},
		{name: "not TOML: copy kept, healed", before: p("[telemetry\nuuid = oops"), after: "[telemetry]\nuuid = '%[1]s'\n", backups: 1},
		{name: "binary junk: copy kept, healed", before: p("\x00\x01\xff"), after: "[telemetry]\nuuid = '%[1]s'\n", backups: 1},
		{name: "bad uuid: copy kept, healed in place", before: p("[telemetry]\nuuid = \"not-a-uuid\" # x\nconsent = true\n"), after: "[telemetry]\nuuid = '%[1]s' # x\nconsent = true\n", backups: 1},
		{name: "uuid not a string", before: p("[telemetry]\nuuid = 42\n"), after: "[telemetry]\nuuid = '%[1]s'\n", backups: 1},
		{name: "uuid empty", before: p("[telemetry]\nuuid = \"\"\n"), after: "[telemetry]\nuuid = '%[1]s'\n", backups: 1},
		{name: "nil uuid refused", before: p("[telemetry]\nuuid = \"00000000-0000-0000-0000-000000000000\"\n"), after: "[telemetry]\nuuid = '%[1]s'\n", backups: 1},
		{name: "braced form refused", before: p("[telemetry]\nuuid = \"{" + id36 + "}\"\n"), after: "[telemetry]\nuuid = '%[1]s'\n", backups: 1},
		{name: "urn form refused", before: p("[telemetry]\nuuid = \"urn:uuid:" + id36 + "\"\n"), after: "[telemetry]\nuuid = '%[1]s'\n", backups: 1},
		{name: "31 hex digits refused", before: p("[telemetry]\nuuid = \"0f8fad5bd9cb469fa16570867728950\"\n"), after: "[telemetry]\nuuid = '%[1]s'\n", backups: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "config", "pipectl")
			path := filepath.Join(dir, "telemetry.toml")
			if tc.before != nil {
				write(t, path, *tc.before, 0o600)
			}
			var before os.FileInfo
			if tc.before != nil {
				before, _ = os.Stat(path)
			}

			id, err := UserID(path)
			if err != nil {
				t.Fatalf("UserID: %v", err)
			}

			if tc.want != "" && id != tc.want {
				t.Fatalf("UserID = %q, want %q", id, tc.want)
			}
			if tc.want == "" && !canonical.MatchString(id) {
				t.Fatalf("UserID = %q, want a fresh canonical v4 UUID", id)
			}
			got := read(t, path)
			if tc.after == "" {
				if got != *tc.before {
					t.Fatalf("file changed to %q", got)
				}
				if after, _ := os.Stat(path); !os.SameFile(before, after) {
					t.Fatal("file replaced although it held a valid id")
				}
			} else if want := fmt.Sprintf(tc.after, id); got != want {
				t.Fatalf("file is\n%q\nwant\n%q", got, want)
			}
			if perm(t, path) != 0o600 {
				t.Fatalf("file mode %v, want 0600", perm(t, path))
			}
			if tc.before == nil && perm(t, dir) != 0o700 {
				t.Fatalf("folder mode %v, want 0700", perm(t, dir))
			}
			copies, _ := filepath.Glob(path + ".corrupt-*")
			if len(copies) != tc.backups {
				t.Fatalf("%d corrupt copies, want %d", len(copies), tc.backups)
			}
			for _, c := range copies {
				if read(t, c) != *tc.before {
					t.Fatalf("copy %s does not hold the original file", c)
				}
			}
			// Stable: the next run reads the same id and writes nothing.
			snap := snapshot(t, dir)
			again, err := UserID(path)
			if err != nil || again != id {
				t.Fatalf("second UserID = %q, %v; want %q", again, err, id)
			}
			if snapshot(t, dir) != snap {
				t.Fatal("second UserID changed the folder")
			}
		})
	}
}

func TestUserIDErrors(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	write(t, file, "x", 0o600)
	roDir := filepath.Join(t.TempDir(), "ro")
	if err := os.Mkdir(roDir, 0o500); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		path     string
		skipRoot bool // root ignores permission bits
	}{
		{name: "folder cannot be created (parent is a file)", path: filepath.Join(file, "pipectl", "telemetry.toml")},
		{name: "file path is a folder", path: t.TempDir()},
		{name: "read-only folder", path: filepath.Join(roDir, "telemetry.toml"), skipRoot: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.skipRoot && os.Geteuid() == 0 {
				t.Skip("running as root: permission bits are not enforced")
			}
			id, err := UserID(tc.path)
			if err == nil || id != "" {
				t.Fatalf("UserID = %q, %v; want no id and an error", id, err)
			}
		})
	}
}

// TestUserIDNoHome: without a home folder there is no path, hence no id,
// and nothing is created.
func TestUserIDNoHome(t *testing.T) {
	t.Setenv("HOME", "")
	t.Setenv("XDG_CONFIG_HOME", "")
	if path, err := userfile.Path("pipectl"); err == nil {
		t.Fatalf("Path = %q, want error without a home", path)
	}
}

// TestUserIDXDG: the id lands under XDG_CONFIG_HOME/<tool>.
func TestUserIDXDG(t *testing.T) {
	xdg := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", xdg)
	path, err := userfile.Path("pipectl")
	if err != nil {
		t.Fatal(err)
	}
	id, err := UserID(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := read(t, filepath.Join(xdg, "pipectl", "telemetry.toml")); got != "[telemetry]\nuuid = '"+id+"'\n" {
		t.Fatalf("file = %q", got)
	}
}

const (
	helperEnv     = "ANONTEL_TEST_USERID_HELPER" // path of telemetry.toml
	helperGoEnv   = "ANONTEL_TEST_USERID_GO"     // file whose existence starts the race
	helperPrefix  = "USERID="
	processesRace = 20
)

// TestUserIDHelperProcess is not a test: it is the body of the child
// processes of TestUserIDConcurrentProcesses. It waits for the start file,
// calls UserID once and prints the id.
func TestUserIDHelperProcess(t *testing.T) {
	path := os.Getenv(helperEnv)
	if path == "" {
		t.Skip("helper process only")
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := os.Stat(os.Getenv(helperGoEnv)); err == nil {
			break
		}
		if time.Now().After(deadline) {
			fmt.Println("ERROR=no start signal")
			os.Exit(2)
		}
		time.Sleep(time.Millisecond)
	}
	id, err := UserID(path)
	if err != nil {
		fmt.Println("ERROR=" + err.Error())
		os.Exit(3)
	}
	fmt.Println(helperPrefix + id)
	os.Exit(0)
}

// TestUserIDConcurrentProcesses starts 20 real processes that call UserID
// at the same moment on a fresh folder (and on a corrupt file): all must
// print the same id, the file must hold it, and a corrupt file must be
// copied exactly once.
func TestUserIDConcurrentProcesses(t *testing.T) {
	tests := []struct {
		name    string
		before  *string
		backups int
	}{
		{name: "fresh folder"},
		{name: "corrupt file", before: p("[telemetry\ngarbage"), backups: 1},
		{name: "bad uuid", before: p("# keep me\n[telemetry]\nuuid = \"bad\"\n"), backups: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tmp := t.TempDir()
			path := filepath.Join(tmp, "config", "pipectl", "telemetry.toml")
			if tc.before != nil {
				write(t, path, *tc.before, 0o600)
			}
			start := filepath.Join(tmp, "go")

			cmds := make([]*exec.Cmd, processesRace)
			outs := make([]*bytes.Buffer, processesRace)
			for i := range cmds {
				cmd := exec.Command(os.Args[0], "-test.run=^TestUserIDHelperProcess$", "-test.count=1")
				cmd.Env = append(os.Environ(), helperEnv+"="+path, helperGoEnv+"="+start)
				outs[i] = new(bytes.Buffer)
				cmd.Stdout, cmd.Stderr = outs[i], outs[i]
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				cmds[i] = cmd
			}
			if err := os.WriteFile(start, nil, 0o600); err != nil {
				t.Fatal(err)
			}
			ids := map[string]int{}
			for i, cmd := range cmds {
				if err := cmd.Wait(); err != nil {
					t.Fatalf("process %d: %v\n%s", i, err, outs[i])
				}
				id := ""
				sc := bufio.NewScanner(outs[i])
				for sc.Scan() {
					if v, ok := strings.CutPrefix(sc.Text(), helperPrefix); ok {
						id = v
					}
				}
				if id == "" {
					t.Fatalf("process %d printed no id:\n%s", i, outs[i])
				}
				ids[id]++
			}
			if len(ids) != 1 {
				t.Fatalf("processes disagree: %v", ids)
			}
			var id string
			for id = range ids {
			}
			if _, err := uuid.Parse(id); err != nil || !canonical.MatchString(id) {
				t.Fatalf("id %q is not a canonical v4 UUID", id)
			}
			stored, err := userfile.Load(path)
			if err != nil || stored["uuid"] != id {
				t.Fatalf("file holds %v (%v), want %s", stored, err, id)
			}
			if copies, _ := filepath.Glob(path + ".corrupt-*"); len(copies) != tc.backups {
				t.Fatalf("%d corrupt copies, want %d", len(copies), tc.backups)
			}
			if tmps, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".telemetry.toml.tmp-*")); len(tmps) != 0 {
				t.Fatalf("temporary files left: %v", tmps)
			}
		})
	}
}

func BenchmarkUserIDExisting(b *testing.B) {
	path := filepath.Join(b.TempDir(), "telemetry.toml")
	if _, err := UserID(path); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := UserID(path); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkUserIDCreate(b *testing.B) {
	dir := b.TempDir()
	i := 0
	for b.Loop() {
		i++
		if _, err := UserID(filepath.Join(dir, fmt.Sprint(i), "telemetry.toml")); err != nil {
			b.Fatal(err)
		}
	}
}

func p(s string) *string { return &s }
