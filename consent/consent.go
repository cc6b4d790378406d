package consent

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"

	"go.yaml.in/yaml/v3"

	"github.com/anontel/anontel/internal/atomicfile"
	"github.com/anontel/anontel/internal/privdir"
	"github.com/anontel/anontel/internal/readlimit"
	"github.com/anontel/anontel/internal/toolenv"
	"github.com/anontel/anontel/internal/userfile"
)

// Source names the rule that made a decision.
type Source string

const (
	SourceEnv     Source = "environment" // DO_NOT_TRACK, <TOOL>_DISABLE_TELEMETRY or OTEL_SDK_DISABLED=true
	SourceProject Source = "project"     // the project's .telemetry file
	SourceUser    Source = "user"        // telemetry.toml, saved by `telemetry enable|disable`
	SourceDefault Source = "default"     // implicit consent
)

// projectFileName is the name of the project-level consent file.
const projectFileName = ".telemetry"

// maxProjectFile bounds what Decide reads from .telemetry, which holds one
// line; anything larger is not a consent file and is refused (off).
const maxProjectFile = readlimit.MaxSmallFile

// Decision is a consent answer and the reason for it.
type Decision struct {
	Enabled bool
	Source  Source
	Detail  string // human explanation, e.g. "DO_NOT_TRACK is set"
}

// Implicit reports whether collection is on without the user's own yes, so
// the user is owed a notice: by default, or because a project's .telemetry
// says yes (a repository's author cannot consent for whoever clones it).
func (d Decision) Implicit() bool {
	return d.Enabled && (d.Source == SourceDefault || d.Source == SourceProject)
}

// Config says where Decide looks.
type Config struct {
	Tool        string                      // "pipectl"; gives the env prefix
	ProjectRoot string                      // "" outside a project: no .telemetry is read
	UserFile    string                      // path of telemetry.toml; "" = none
	LookupEnv   func(string) (string, bool) // nil = os.LookupEnv
	// ReadFile reads the consent files; nil reads at most 64 KiB + 1 byte of
	// a regular file (a bigger one is refused as too large). Tests use it to
	// prove which files are read.
	ReadFile func(name string) ([]byte, error)
}

// Decide applies the consent rules (see the package documentation) to cfg.
// It never fails: unreadable or malformed input turns collection off and the
// decision's Detail says why.
func Decide(cfg Config) Decision {
	lookup := cfg.LookupEnv
	if lookup == nil {
		lookup = os.LookupEnv
	}
	if name, ok := toolenv.OptOut(cfg.Tool, lookup); ok {
		return Decision{Enabled: false, Source: SourceEnv, Detail: name + " is set"}
	}
	read := cfg.ReadFile
	if read == nil {
		read = readBounded
	}
	// Most restrictive wins: a "no" from either file is off, whatever the
	// other says; a "yes" counts only when no file says no.
	var yes *Decision
	if cfg.ProjectRoot != "" {
		if d, ok := decideProject(filepath.Join(cfg.ProjectRoot, projectFileName), read); ok {
			if !d.Enabled {
				return d
			}
			yes = &d
		}
	}
	if cfg.UserFile != "" {
		// A linked or foreign folder could hold anyone's choice and
		// receives our writes: off for the run, with the reason.
		if err := privdir.Check(filepath.Dir(cfg.UserFile)); err != nil {
			return Decision{Enabled: false, Source: SourceUser, Detail: err.Error()}
		}
		if d, ok := decideUser(cfg.UserFile, read); ok {
			if !d.Enabled {
				return d
			}
			// The user's own yes is the one that makes consent explicit.
			yes = &d
		}
	}
	if yes != nil {
		return *yes
	}
	return Decision{Enabled: true, Source: SourceDefault, Detail: "no choice recorded: enabled by default"}
}

// readBounded reads a consent file without reading more than a consent file
// can hold: a stranger's repository chooses the size of .telemetry. The
// user's telemetry.toml is ours, but the same bound costs it nothing.
func readBounded(path string) ([]byte, error) {
	return readlimit.File(path, maxProjectFile)
}

// decideProject reads the project's .telemetry; ok is false when it does not
// exist, so that the next rule applies.
func decideProject(path string, read func(string) ([]byte, error)) (d Decision, ok bool) {
	off := func(why string) (Decision, bool) {
		return Decision{Enabled: false, Source: SourceProject, Detail: path + ": " + why}, true
	}
	data, err := read(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Decision{}, false
	}
	if err != nil && !errors.Is(err, readlimit.ErrTooLarge) {
		return off("unreadable")
	}
	if len(data) > maxProjectFile || errors.Is(err, readlimit.ErrTooLarge) {
		return off("too large")
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return off("not YAML")
	}
	v, found := mappingValue(&doc, "consent")
	if !found {
		return off("consent is missing")
	}
	b, isBool := yamlBool(v)
	if !isBool {
		return off("consent is not a boolean")
	}
	return Decision{Enabled: b, Source: SourceProject, Detail: fmt.Sprintf("%s: consent: %t", path, b)}, true
}

// mappingValue returns the value of key in a YAML document whose top level
// is a mapping.
func mappingValue(doc *yaml.Node, key string) (*yaml.Node, bool) {
	n := doc
	if n.Kind == yaml.DocumentNode {
		if len(n.Content) != 1 {
			return nil, false
		}
		n = n.Content[0]
	}
	if n.Kind != yaml.MappingNode {
		return nil, false
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i]; k.Kind == yaml.ScalarNode && k.Value == key {
			return n.Content[i+1], true
		}
	}
	return nil, false
}

// yamlBool reads a YAML 1.1 style boolean: true/false/yes/no/on/off in any
// case, as a plain (unquoted) scalar. yaml v3 follows YAML 1.2 and reads
// only true/false as booleans, so the rest is done here. A quoted "yes" is a
// string, not a boolean.
func yamlBool(n *yaml.Node) (value, ok bool) {
	if n.Kind != yaml.ScalarNode || n.Style&(yaml.SingleQuotedStyle|yaml.DoubleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		return false, false
	}
	if n.Tag != "" && n.Tag != "!!bool" && n.Tag != "!!str" {
		return false, false
	}
	switch strings.ToLower(n.Value) {
	case "true", "yes", "on":
		return true, true
	case "false", "no", "off":
		return false, true
	}
	return false, false
}

// decideUser reads the user's saved choice; ok is false when there is none.
func decideUser(path string, read func(string) ([]byte, error)) (d Decision, ok bool) {
	off := func(why string) (Decision, bool) {
		return Decision{Enabled: false, Source: SourceUser, Detail: path + ": " + why}, true
	}
	data, err := read(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Decision{}, false
	}
	if errors.Is(err, readlimit.ErrTooLarge) {
		return off("too large")
	}
	if err != nil {
		return off("unreadable")
	}
	values, err := userfile.Parse(data)
	if err != nil {
		return off("not valid TOML")
	}
	v, found := values["consent"]
	if !found {
		return Decision{}, false
	}
	b, isBool := v.(bool)
	if !isBool {
		return off("consent is not a boolean")
	}
	return Decision{Enabled: b, Source: SourceUser, Detail: fmt.Sprintf("%s: consent = %t", path, b)}, true
}

// WriteProjectConsent writes dir/.telemetry ("consent: true|false", mode
// 0644, atomically) and makes sure dir/.gitignore lists .telemetry, appending
// the line when missing and never rewriting the rest of the file. It is
// meant for a `new --telemetry=yes|no` command.
func WriteProjectConsent(dir string, consent bool) error {
	data := fmt.Sprintf("consent: %t\n", consent)
	if err := atomicfile.WriteFile(filepath.Join(dir, projectFileName), []byte(data), 0o644, true); err != nil {
		return fmt.Errorf("consent: writing %s: %w", projectFileName, err)
	}
	if err := ignoreInGit(filepath.Join(dir, ".gitignore")); err != nil {
		return fmt.Errorf("consent: updating .gitignore: %w", err)
	}
	return nil
}

// ignoreInGit appends ".telemetry" to the .gitignore at path unless a line
// already ignores it.
func ignoreInGit(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		return err
	}
	for line := range strings.Lines(string(data)) {
		switch strings.TrimSpace(line) {
		case projectFileName, "/" + projectFileName:
			return nil
		}
	}
	add := projectFileName + "\n"
	if len(data) > 0 && data[len(data)-1] != '\n' {
		add = "\n" + add
	}
	if _, err := f.WriteString(add); err != nil {
		return err
	}
	return f.Close()
}

// SaveUserChoice stores the user's choice ([telemetry] consent = enabled) in
// telemetry.toml at userFile, for `telemetry enable|disable`. Other keys and
// comments are kept.
func SaveUserChoice(userFile string, enabled bool) error {
	if userFile == "" {
		return errors.New("consent: no user file")
	}
	if err := userfile.Set(userFile, "consent", enabled); err != nil {
		return fmt.Errorf("consent: saving choice: %w", err)
	}
	return nil
}

// Gate is a live consent answer, safe for concurrent use. Enabled is a
// single atomic load, cheap enough to ask for every span. A nil *Gate is
// closed.
type Gate struct {
	cfg Config
	d   atomic.Pointer[Decision]
}

// NewGate decides now (see Decide) and keeps cfg for Refresh.
func NewGate(cfg Config) *Gate {
	g := &Gate{cfg: cfg}
	g.Refresh()
	return g
}

// Enabled reports whether collection is allowed.
func (g *Gate) Enabled() bool {
	if g == nil {
		return false
	}
	return g.d.Load().Enabled
}

// Decision returns the current decision.
func (g *Gate) Decision() Decision {
	if g == nil {
		return Decision{Enabled: false, Source: SourceDefault, Detail: "no consent gate"}
	}
	return *g.d.Load()
}

// Refresh decides again, for example after `telemetry enable|disable`, and
// returns the new decision.
func (g *Gate) Refresh() Decision {
	d := Decide(g.cfg)
	g.d.Store(&d)
	return d
}
