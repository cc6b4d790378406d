//go:build !notelemetry

package instrument

import (
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/anontel/anontel/internal/toolenv"
	"github.com/anontel/anontel/internal/userfile"
)

// noticeKey remembers in telemetry.toml that the notice was shown.
const noticeKey = "notice_shown"

// noticeShown reports whether the notice was shown to this user before this
// process started. A process that started while another, started at the
// same moment, was showing the notice sends nothing either: it began
// before the user could have read it.
func (t *Telemetry) noticeShown() bool {
	if t.userFile == "" {
		return false
	}
	values, err := t.userValues()
	if err != nil {
		return false
	}
	v, ok := values[noticeKey]
	if !ok {
		return false
	}
	s, _ := v.(string)
	at, err := time.Parse(time.RFC3339Nano, s)
	// An older file holds the date alone: the notice is long shown.
	// The process's start is looked up here only, so that an opted-out
	// command reads nothing from /proc.
	return err != nil || at.Before(startedAt(t.begun))
}

// showNotice shows the notice if this process is the one that remembers it.
// Of many first runs at once, exactly one records notice_shown under the
// lock and shows the notice; the others show nothing and send nothing.
// Where the notice cannot be remembered (no home, read-only or refused
// folder) nothing is ever sent either, so showing it on every run would be
// noise with nothing to announce.
func (t *Telemetry) showNotice() {
	if t.userFile == "" {
		return
	}
	if t.debug {
		// Debug mode writes nothing, so the notice is not remembered.
		fmt.Fprint(t.stderr, t.notice())
		return
	}
	created, err := userfile.SetIfAbsent(t.userFile, noticeKey, time.Now().UTC().Format(time.RFC3339Nano))
	if err != nil {
		t.log.Debug("telemetry: notice not remembered, so not shown", "err", err)
		return
	}
	if created {
		fmt.Fprint(t.stderr, t.notice())
	}
}

// notice is the text shown once per user when consent is implicit. It
// names the telemetry command only if the tool has one.
func (t *Telemetry) notice() string {
	tool, env := t.cfg.Tool, toolenv.Prefix(t.cfg.Tool)
	hasCommand := false
	for _, c := range t.cfg.Root.Commands {
		hasCommand = hasCommand || c.Name == "telemetry"
	}
	optOut := fmt.Sprintf("set %s_DISABLE_TELEMETRY=1 or DO_NOT_TRACK=1", env)
	if hasCommand {
		optOut = fmt.Sprintf("run '%s telemetry disable', or %s", tool, optOut)
	}
	text := fmt.Sprintf("%s collects anonymous usage data to improve the tool: the command with every\n"+
		"argument value masked, versions, OS, and project counts. Nothing was sent this time.\n"+
		"To opt out: %s.\nSee exactly what is sent: %s_TELEMETRY_DEBUG=1.", tool, optOut, env)
	if hasCommand {
		text += fmt.Sprintf(" Details: '%s telemetry status'.", tool)
	}
	return text + "\n"
}

// userValues returns the [telemetry] table of the user's telemetry.toml
// as this invocation read it (see Telemetry.files); none when it is
// missing.
func (t *Telemetry) userValues() (map[string]any, error) {
	data, err := t.files.File(t.userFile)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]any{}, nil
	}
	if err != nil {
		return nil, err
	}
	return userfile.Parse(data)
}
