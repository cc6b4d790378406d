package store

import (
	"encoding/binary"
	"fmt"
	"strings"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// Invocation is one span that follows the README's span contract, in the
// typed shape of the invocations view.
type Invocation struct {
	SpanID         uint64
	StartTime      time.Time
	ServiceName    string
	ServiceVersion string
	DistroVersion  *string
	RuntimeName    *string
	RuntimeVersion *string
	OSType         *string
	HostArch       *string
	SpanName       string
	Command        string // the command path after the tool's name; "" for the tool alone
	UserID         *string
	CommandLine    string
	CommandArgs    []string
	Executable     string
	ExitCode       int64
	ErrorType      *string
	CI             bool
	Consent        string
	ProjectID      *string
	Datasets       *int64
	Nodes          *int64
	Pipelines      *int64
	NewTools       []string // nil when absent
	NewExample     *bool
	Flags          []Flag
}

// Flag is a flag name on the masked command line and its value: the
// allow-listed value, "*****" when masked, or "" when it has none.
type Flag struct{ Name, Value string }

// SkipReason says why a span does not follow the contract.
type SkipReason string

// FromSpan checks a span against the contract and converts it. It never
// guesses: a missing required key or a key of the wrong type skips the span.
func FromSpan(res pcommon.Resource, span ptrace.Span) (Invocation, SkipReason) {
	ra, sa := res.Attributes(), span.Attributes()
	var inv Invocation
	var why SkipReason
	str := func(m pcommon.Map, key string, required bool) *string {
		v, ok := m.Get(key)
		if !ok {
			if required && why == "" {
				why = SkipReason("missing " + key)
			}
			return nil
		}
		if v.Type() != pcommon.ValueTypeStr {
			if why == "" {
				why = SkipReason(fmt.Sprintf("%s is %s, not a string", key, v.Type()))
			}
			return nil
		}
		s := v.Str()
		return &s
	}
	integer := func(key string, required bool) *int64 {
		v, ok := sa.Get(key)
		if !ok {
			if required && why == "" {
				why = SkipReason("missing " + key)
			}
			return nil
		}
		if v.Type() != pcommon.ValueTypeInt {
			if why == "" {
				why = SkipReason(fmt.Sprintf("%s is %s, not an int", key, v.Type()))
			}
			return nil
		}
		i := v.Int()
		return &i
	}
	boolean := func(key string, required bool) *bool {
		v, ok := sa.Get(key)
		if !ok {
			if required && why == "" {
				why = SkipReason("missing " + key)
			}
			return nil
		}
		if v.Type() != pcommon.ValueTypeBool {
			if why == "" {
				why = SkipReason(fmt.Sprintf("%s is %s, not a bool", key, v.Type()))
			}
			return nil
		}
		b := v.Bool()
		return &b
	}
	strings_ := func(key string, required bool) []string {
		v, ok := sa.Get(key)
		if !ok {
			if required && why == "" {
				why = SkipReason("missing " + key)
			}
			return nil
		}
		if v.Type() != pcommon.ValueTypeSlice {
			if why == "" {
				why = SkipReason(fmt.Sprintf("%s is %s, not a string array", key, v.Type()))
			}
			return nil
		}
		out := make([]string, 0, v.Slice().Len())
		for i := range v.Slice().Len() {
			e := v.Slice().At(i)
			if e.Type() != pcommon.ValueTypeStr {
				if why == "" {
					why = SkipReason(fmt.Sprintf("%s holds a %s, not only strings", key, e.Type()))
				}
				return nil
			}
			out = append(out, e.Str())
		}
		return out
	}

	if d := str(ra, "telemetry.distro.name", true); d != nil && *d != "anontel" {
		return inv, SkipReason("telemetry.distro.name is not anontel")
	}
	svc := str(ra, "service.name", true)
	ver := str(ra, "service.version", true)
	inv.DistroVersion = str(ra, "telemetry.distro.version", false)
	inv.RuntimeName = str(ra, "process.runtime.name", false)
	inv.RuntimeVersion = str(ra, "process.runtime.version", false)
	inv.OSType = str(ra, "os.type", false)
	inv.HostArch = str(ra, "host.arch", false)

	inv.UserID = str(sa, "enduser.pseudo.id", false)
	line := str(sa, "process.command_line", true)
	inv.CommandArgs = strings_("process.command_args", true)
	exe := str(sa, "process.executable.name", true)
	exit := integer("process.exit.code", true)
	inv.ErrorType = str(sa, "error.type", false)
	ci := boolean("cli.ci", true)
	consent := str(sa, "cli.consent", true)
	inv.ProjectID = str(sa, "cli.project.id", false)
	inv.Datasets = integer("cli.project.datasets", false)
	inv.Nodes = integer("cli.project.nodes", false)
	inv.Pipelines = integer("cli.project.pipelines", false)
	inv.NewTools = strings_("cli.new.tools", false)
	inv.NewExample = boolean("cli.new.example_pipeline", false)
	if why != "" {
		return inv, why
	}
	if *consent != "implicit" && *consent != "explicit" {
		return inv, "cli.consent is neither implicit nor explicit"
	}
	if len(inv.CommandArgs) == 0 {
		return inv, "process.command_args is empty"
	}
	if inv.ProjectID != nil && !isHex(*inv.ProjectID, 128) {
		return inv, "cli.project.id is not 128 hex digits"
	}
	name := span.Name()
	switch {
	case name == *svc:
	case strings.HasPrefix(name, *svc+" "):
		inv.Command = name[len(*svc)+1:]
	default:
		return inv, "span name does not start with service.name"
	}
	sid := span.SpanID()
	if sid.IsEmpty() {
		return inv, "empty span id"
	}
	inv.SpanID = binary.BigEndian.Uint64(sid[:])
	inv.StartTime = span.StartTimestamp().AsTime().UTC()
	inv.ServiceName, inv.ServiceVersion = *svc, *ver
	inv.SpanName = name
	inv.CommandLine, inv.Executable, inv.ExitCode = *line, *exe, *exit
	inv.CI, inv.Consent = *ci, *consent
	inv.Flags = ParseFlags(inv.CommandArgs, inv.Command)
	return inv, ""
}

func isHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// Masked is what the masker puts in place of every value it does not keep.
const Masked = "*****"

// ParseFlags lists the flags on a masked command line (args[0] is the
// tool): their names, and the value that follows each (`--runner parallel`,
// `--runner=parallel`), which is the allow-listed value, Masked, or "" for
// a flag with none. command is the known command path, whose words are not
// values. Everything after `--` is masked by the client, so it is ignored.
func ParseFlags(args []string, command string) []Flag {
	words := strings.Fields(command)
	var flags []Flag
	pending := -1 // index in flags of a flag that may take the next token
	for _, tok := range args[min(1, len(args)):] {
		if tok == "--" {
			break
		}
		if len(words) > 0 && tok == words[0] {
			words = words[1:]
			pending = -1
			continue
		}
		if len(tok) > 1 && tok[0] == '-' {
			name, value, hasValue := strings.Cut(tok, "=")
			flags = append(flags, Flag{Name: name, Value: value})
			pending = -1
			if !hasValue {
				pending = len(flags) - 1
			}
			continue
		}
		if pending >= 0 {
			flags[pending].Value = tok
		}
		pending = -1
	}
	return flags
}
