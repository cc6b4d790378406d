package userfile

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestSetIfAbsent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pipectl", "telemetry.toml")
	created, err := SetIfAbsent(path, "notice_shown", "2026-11-29")
	if err != nil || !created {
		t.Fatalf("first SetIfAbsent = %v, %v; want created", created, err)
	}
	before := read(t, path)
	created, err = SetIfAbsent(path, "notice_shown", "2030-01-01")
	if err != nil || created {
		t.Fatalf("second SetIfAbsent = %v, %v; want not created", created, err)
	}
	if got := read(t, path); got != before || !strings.Contains(got, "2026-11-29") {
		t.Fatalf("file changed to %q", got)
	}
	// A corrupt file holds no key: healed, with a copy kept.
	write(t, path, "[telemetry\nnotice_shown = ")
	if created, err := SetIfAbsent(path, "notice_shown", "x"); err != nil || !created {
		t.Fatalf("SetIfAbsent on a corrupt file = %v, %v", created, err)
	}
	if copies, _ := filepath.Glob(path + ".corrupt-*"); len(copies) != 1 {
		t.Fatalf("%d corrupt copies, want 1", len(copies))
	}
	// An error is never "created".
	file := filepath.Join(t.TempDir(), "file")
	write(t, file, "x")
	if created, err := SetIfAbsent(filepath.Join(file, "pipectl", "telemetry.toml"), "k", "v"); err == nil || created {
		t.Fatalf("SetIfAbsent under a file = %v, %v; want an error, not created", created, err)
	}
}

// TestSetIfAbsentConcurrentGoroutines: 50 first runs at once in one
// process: exactly one is told it created the key, and the file holds its
// value.
func TestSetIfAbsentConcurrentGoroutines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pipectl", "telemetry.toml")
	const n = 50
	created := make([]bool, n)
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			created[i], errs[i] = SetIfAbsent(path, "notice_shown", fmt.Sprint(i))
		})
	}
	close(start)
	wg.Wait()
	winner := -1
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("caller %d: %v", i, errs[i])
		}
		if created[i] {
			if winner >= 0 {
				t.Fatalf("callers %d and %d both created the key", winner, i)
			}
			winner = i
		}
	}
	if winner < 0 {
		t.Fatal("no caller created the key")
	}
	got, err := Load(path)
	if err != nil || got["notice_shown"] != fmt.Sprint(winner) {
		t.Fatalf("file holds %v (%v), want the creator's value %d", got, err, winner)
	}
}

const (
	helperPathEnv  = "ANONTEL_TEST_SETIFABSENT_PATH"
	helperStartEnv = "ANONTEL_TEST_SETIFABSENT_START"
	helperIDEnv    = "ANONTEL_TEST_SETIFABSENT_ID"
)

// TestSetIfAbsentHelperProcess is not a test: it is the body of the child
// processes of TestSetIfAbsentConcurrentProcesses. It waits for the start
// file, calls SetIfAbsent once and prints CREATED=true|false.
func TestSetIfAbsentHelperProcess(t *testing.T) {
	path := os.Getenv(helperPathEnv)
	if path == "" {
		t.Skip("helper process only")
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := os.Stat(os.Getenv(helperStartEnv)); err == nil {
			break
		}
		if time.Now().After(deadline) {
			fmt.Println("ERROR=no start signal")
			os.Exit(2)
		}
		time.Sleep(time.Millisecond)
	}
	created, err := SetIfAbsent(path, "notice_shown", os.Getenv(helperIDEnv))
	if err != nil {
		fmt.Println("ERROR=" + err.Error())
		os.Exit(3)
	}
	fmt.Printf("CREATED=%t\n", created)
	os.Exit(0)
}

// TestSetIfAbsentConcurrentProcesses: 50 real processes start their first
// run at the same moment: exactly one is told it created the key.
func TestSetIfAbsentConcurrentProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts 50 processes")
	}
	tmp := t.TempDir()
	path := filepath.Join(tmp, "pipectl", "telemetry.toml")
	start := filepath.Join(tmp, "go")
	const n = 50
	cmds := make([]*exec.Cmd, n)
	outs := make([]*bytes.Buffer, n)
	for i := range cmds {
		cmd := exec.Command(os.Args[0], "-test.run=^TestSetIfAbsentHelperProcess$", "-test.count=1")
		cmd.Env = append(os.Environ(), helperPathEnv+"="+path, helperStartEnv+"="+start, helperIDEnv+"="+fmt.Sprint(i))
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
	winner := -1
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("process %d: %v\n%s", i, err, outs[i])
		}
		switch out := outs[i].String(); {
		case strings.Contains(out, "CREATED=true"):
			if winner >= 0 {
				t.Fatalf("processes %d and %d both created the key", winner, i)
			}
			winner = i
		case !strings.Contains(out, "CREATED=false"):
			t.Fatalf("process %d printed no answer:\n%s", i, out)
		}
	}
	if winner < 0 {
		t.Fatal("no process created the key")
	}
	got, err := Load(path)
	if err != nil || got["notice_shown"] != fmt.Sprint(winner) {
		t.Fatalf("file holds %v (%v), want the creator's value %d", got, err, winner)
	}
}
