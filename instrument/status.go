//go:build !notelemetry

package instrument

import (
	"fmt"
	"io"
	"path/filepath"

	"github.com/anontel/anontel/consent"
	"github.com/anontel/anontel/internal/otlphttp"
	"github.com/anontel/anontel/internal/privdir"
	"github.com/anontel/anontel/internal/spool"
	"github.com/anontel/anontel/internal/toolenv"
	"github.com/anontel/anontel/internal/userfile"
)

// SetUserChoice saves the user's choice in telemetry.toml; disabling also
// deletes the spans queued for upload. The choice takes effect at once,
// for the running command too.
func (t *Telemetry) SetUserChoice(enabled bool, w io.Writer) error {
	if t == nil {
		return fmt.Errorf("telemetry: not started")
	}
	if t.userFile == "" {
		return fmt.Errorf("telemetry: no user configuration folder to save the choice in")
	}
	if err := consent.SaveUserChoice(t.userFile, enabled); err != nil {
		return fmt.Errorf("telemetry: saving the choice: %w", err)
	}
	d := t.gate.Refresh()
	word := "enabled"
	if !enabled {
		word = "disabled"
		n, err := spool.Clear(t.spoolCfg)
		if n > 0 {
			fmt.Fprintf(w, "Deleted %d queued upload(s).\n", n)
		}
		if err != nil {
			return fmt.Errorf("telemetry: deleting queued data: %w", err)
		}
	}
	fmt.Fprintf(w, "Telemetry %s for this user (saved in %s).\n", word, t.userFile)
	if d.Enabled != enabled {
		fmt.Fprintf(w, "Note: it stays %s here because %s.\n", onOff(d.Enabled), d.Detail)
	}
	return nil
}

// WriteStatus explains the decision, its source, what is collected, where
// the files are and how much is queued.
func (t *Telemetry) WriteStatus(w io.Writer) error {
	if t == nil {
		return fmt.Errorf("telemetry: not started")
	}
	d := t.gate.Decision()
	state := onOff(d.Enabled)
	if d.Implicit() {
		state += " (by default)"
	}
	fmt.Fprintf(w, "Telemetry: %s\nDecided by: %s: %s\n", state, d.Source, d.Detail)
	endpoint, err := otlphttp.Resolve(t.cfg.Tool, t.cfg.Endpoint, t.cfg.AllowInsecure, t.cfg.LookupEnv)
	if err != nil {
		endpoint = "none (" + err.Error() + ")"
	} else {
		endpoint = otlphttp.Redact(endpoint)
	}
	fmt.Fprintf(w, "Endpoint: %s\n", endpoint)
	fmt.Fprintf(w, "User settings: %s\n", orNone(t.userFile))
	if t.userFile != "" {
		if err := userfile.Check(t.userFile); err != nil {
			fmt.Fprintf(w, "  refused, so telemetry is off: %v\n", err)
		}
	}
	if t.project != "" {
		fmt.Fprintf(w, "Project: %s (consent file %s)\n", t.project, filepath.Join(t.project, ".telemetry"))
	} else {
		fmt.Fprintln(w, "Project: none here")
	}
	if dir, err := spool.Dir(t.spoolCfg); err == nil {
		files, size, _ := spool.Queued(t.spoolCfg)
		fmt.Fprintf(w, "Queued for upload: %d invocation(s), %d bytes in %s\n", files, size, dir)
		// The endpoint's folder, the spool and the tool's cache folder.
		for _, d := range []string{filepath.Dir(filepath.Dir(dir)), filepath.Dir(dir), dir} {
			if err := privdir.Check(d); err != nil {
				fmt.Fprintf(w, "  refused, so nothing is recorded: %v\n", err)
				break
			}
		}
	}
	env := toolenv.Prefix(t.cfg.Tool)
	fmt.Fprintf(w, `
Collected, once per command: a random user id, the command with every argument
value masked, a hash of the project's random id, the versions of %[1]s, anontel
and Go, the OS and CPU kind, the exit code, whether it runs in CI, and what
%[1]s itself describes of the command and project (counts and fixed choices).
Never: names, paths, host, environment, or any argument value.

Opt out: '%[1]s telemetry disable', %[2]s_DISABLE_TELEMETRY=1, DO_NOT_TRACK=1 or OTEL_SDK_DISABLED=true,
or "consent: false" in the project's .telemetry file.
See exactly what would be sent: %[2]s_TELEMETRY_DEBUG=1 %[1]s ...
`, t.cfg.Tool, env)
	return nil
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
