package consent_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/anontel/anontel/consent"
)

func ExampleDecide() {
	project, _ := os.MkdirTemp("", "project")
	defer os.RemoveAll(project)
	os.WriteFile(filepath.Join(project, ".telemetry"), []byte("consent: no\n"), 0o644)
	noEnv := func(string) (string, bool) { return "", false }

	d := consent.Decide(consent.Config{Tool: "pipectl", ProjectRoot: project, LookupEnv: noEnv})
	fmt.Println(d.Enabled, d.Source)

	d = consent.Decide(consent.Config{Tool: "pipectl", LookupEnv: noEnv})
	fmt.Println(d.Enabled, d.Source, d.Implicit())

	doNotTrack := func(k string) (string, bool) { return "", k == "DO_NOT_TRACK" }
	d = consent.Decide(consent.Config{Tool: "pipectl", ProjectRoot: project, LookupEnv: doNotTrack})
	fmt.Println(d.Enabled, d.Source, d.Detail)
	// Output:
	// false project
	// true default true
	// false environment DO_NOT_TRACK is set
}

func ExampleGate() {
	dir, _ := os.MkdirTemp("", "config")
	defer os.RemoveAll(dir)
	userFile := filepath.Join(dir, "pipectl", "telemetry.toml")
	noEnv := func(string) (string, bool) { return "", false }

	g := consent.NewGate(consent.Config{Tool: "pipectl", UserFile: userFile, LookupEnv: noEnv})
	fmt.Println(g.Enabled(), g.Decision().Implicit())

	consent.SaveUserChoice(userFile, false) // telemetry disable
	fmt.Println(g.Refresh().Enabled, g.Enabled(), g.Decision().Source)
	// Output:
	// true true
	// false false user
}
